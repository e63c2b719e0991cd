// The demo's Alertmanager config is the shipped example with the webhook pointed at the
// demo's quarantine service: also when that service got the example's own port, 9842
// (a fresh machine's demo run failed on exactly that before).
import { describe, expect, it } from "vitest";
import { alertmanagerConfig } from "../../demo/src/suite.js";

describe("the demo's Alertmanager config", () => {
  it.each(["http://127.0.0.1:9842", "http://127.0.0.1:40123"])(
    "sends the webhook to %s with the demo's token and pages nobody",
    (url) => {
      const text = alertmanagerConfig(url, "/tmp/demo-token");

      expect(text).toContain(`- url: ${url}/v1/alertmanager`);
      expect(text).toContain("/tmp/demo-token");
      expect(text).not.toContain("/etc/proofwatch/quarantine-webhook.token");
      expect(text).not.toContain("pagerduty_configs");
    },
  );
});
