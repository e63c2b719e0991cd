// Alertmanager's webhook payload has one schema (contracts/alertmanager-webhook.ts), which the
// quarantine service parses with and the tests' payloads are typed by.
import { describe, expect, it } from "vitest";
import { AlertmanagerWebhook } from "../../contracts/index.js";
import { parsePayload } from "../../quarantine/src/payload.js";
import { alert, payload } from "../quarantine/helpers.js";

describe("the Alertmanager webhook contract", () => {
  it("takes the tests' payloads as they are sent, and the quarantine service reads them", () => {
    const body = payload([alert({ uuid: "GPU-1" }), alert({ uuid: "GPU-2", status: "resolved" })]);
    const wire = JSON.parse(JSON.stringify(body)) as unknown;

    expect(AlertmanagerWebhook.parse(wire)).toEqual(body);
    expect(parsePayload(wire).requests.map((request) => request.uuid)).toEqual(["GPU-1", "GPU-2"]);
  });
});
