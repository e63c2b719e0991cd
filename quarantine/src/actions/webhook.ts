// `webhook`: tells an operator's endpoint, with an HMAC-SHA256 signature over timestamp and
// body (the scheme Stripe and GitHub use) so the receiver can reject forgeries and replays.
// Delivery is at least once: a crash after the POST and before mark-done repeats it with
// the same Idempotency-Key.
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { z } from "zod";
import { parseDuration } from "../../../common/duration.js";
import { PermanentActionError, type QuarantineAction, type Target } from "../types.js";

export const WebhookActionConfig = z
  .object({
    url: z.url({ protocol: /^https?$/ }),
    /** File holding the HMAC key. */
    secretFile: z.string().min(1),
    timeout: z.string().default("10s"),
  })
  .strict();

export const SIGNATURE_HEADER = "x-proofwatch-signature";
export const TIMESTAMP_HEADER = "x-proofwatch-timestamp";

/** `sha256=<hex>` over `<timestamp>.<body>`. */
export function sign(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

export function createWebhookAction(config: z.infer<typeof WebhookActionConfig>): QuarantineAction {
  const secret = readFileSync(config.secretFile, "utf8").trim();
  if (secret.length < 16) throw new Error(`webhook secret in ${config.secretFile} is too short`);
  const timeoutMs = parseDuration(config.timeout);

  const send = async (event: "apply" | "release", target: Target) => {
    const body = JSON.stringify({
      version: 1,
      event,
      scope: target.scope,
      uuid: target.uuid,
      host: target.host,
      gpu: target.gpu,
      reason: target.reason,
      hostGpus: target.hostGpus,
      hostQuarantined: target.hostQuarantined,
      idempotencyKey: target.idempotencyKey,
    });
    const timestamp = String(Math.floor(Date.now() / 1000));
    const response = await fetch(config.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "idempotency-key": target.idempotencyKey,
        [TIMESTAMP_HEADER]: timestamp,
        [SIGNATURE_HEADER]: sign(secret, timestamp, body),
      },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.arrayBuffer();
    if (response.ok) return;
    const message = `POST ${config.url}: HTTP ${response.status}`;
    // A 4xx other than timeout or rate limit will not change by retrying.
    const retryable = response.status >= 500 || response.status === 408 || response.status === 429;
    throw retryable ? new Error(message) : new PermanentActionError(message);
  };
  return {
    name: "webhook",
    apply: (target) => send("apply", target),
    release: (target) => send("release", target),
  };
}
