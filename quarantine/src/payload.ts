// Alertmanager's webhook payload (contracts/alertmanager-webhook.ts), parsed and turned into
// quarantine requests.
import { z } from "zod";
import { AlertmanagerWebhook } from "../../contracts/index.js";

/** The label that marks an alert for this service. */
export const ACTION_LABEL = "proofwatch_action";

/** A quarantine request taken from one alert, after every check that does not need state. */
export interface QuarantineRequest {
  /** fingerprint + "@" + startsAt: one firing episode of one alert. */
  key: string;
  fingerprint: string;
  startsAt: string;
  /** startsAt as `orderedTime`: episodes of one alert order by it. */
  startsAtUtc: string;
  endsAt: string;
  status: "firing" | "resolved";
  alertname: string;
  severity: string | null;
  uuid: string;
  gpu: string | null;
  host: string;
  /** The alert asks for the node, not only the GPU (`proofwatch_scope="node"`). */
  nodeScope: boolean;
}

// NVML UUIDs (GPU-…, MIG-…); conservative because the value reaches scontrol and node objects.
// The inventory read from Prometheus is held to the same rules as alert labels.
export const UUID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
// A DNS name or an IPv4/IPv6 literal.
export const HOST = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,252}$/;

/**
 * An RFC 3339 time (as the schema above admits it) rewritten as UTC with nine fractional
 * digits, so that two times order as text. Alertmanager's times carry nanoseconds and may
 * carry an offset; neither Date (milliseconds) nor the raw strings order them right.
 */
export function orderedTime(time: string): string {
  const match = /^(.{19})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(time);
  if (!match) throw new PayloadError(`"${time}" is not an RFC 3339 time`);
  const seconds = new Date(`${match[1]}${match[3]}`);
  if (Number.isNaN(seconds.getTime())) throw new PayloadError(`"${time}" is not a valid time`);
  return `${seconds.toISOString().slice(0, 19)}.${(match[2] ?? "").padEnd(9, "0")}Z`;
}

/** The host part of Prometheus' `instance` label: "host:port", "[v6]:port" or a bare host. */
export function hostOfInstance(instance: string): string {
  const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(instance);
  if (v6) return v6[1] as string;
  const colons = instance.split(":").length - 1;
  if (colons === 1) return instance.slice(0, instance.lastIndexOf(":"));
  return instance;
}

export class PayloadError extends Error {
  override readonly name = "PayloadError";
}

/**
 * Parses a webhook body. Throws PayloadError for anything that can never succeed (the
 * caller answers 400) and checks every alert before any is acted on, so a bad message has
 * no effect at all. Alerts without `proofwatch_action="quarantine"` are returned apart.
 */
export function parsePayload(body: unknown): {
  payload: AlertmanagerWebhook;
  requests: QuarantineRequest[];
  ignored: number;
} {
  const parsed = AlertmanagerWebhook.safeParse(body);
  if (!parsed.success) {
    throw new PayloadError(z.prettifyError(parsed.error).replaceAll("\n", "; "));
  }
  const payload = parsed.data;
  const requests: QuarantineRequest[] = [];
  let ignored = 0;
  payload.alerts.forEach((alert, index) => {
    if (alert.labels[ACTION_LABEL] !== "quarantine") {
      ignored++;
      return;
    }
    const where = `alerts[${index}] (${alert.labels.alertname ?? alert.fingerprint})`;
    const uuid = alert.labels.uuid;
    if (!uuid) throw new PayloadError(`${where}: missing label "uuid"`);
    if (!UUID.test(uuid)) throw new PayloadError(`${where}: label "uuid" is not a GPU UUID`);
    const host = alert.labels.host || hostOfInstance(alert.labels.instance ?? "");
    if (!host) throw new PayloadError(`${where}: needs a "host" or "instance" label`);
    if (!HOST.test(host)) throw new PayloadError(`${where}: "${host}" is not a host name`);
    const gpu = alert.labels.gpu ?? null;
    if (gpu !== null && !/^\d{1,4}$/.test(gpu)) {
      throw new PayloadError(`${where}: label "gpu" is not a GPU index`);
    }
    let startsAtUtc: string;
    try {
      startsAtUtc = orderedTime(alert.startsAt);
    } catch (error) {
      throw new PayloadError(`${where}: startsAt: ${(error as Error).message}`);
    }
    requests.push({
      key: `${alert.fingerprint}@${alert.startsAt}`,
      fingerprint: alert.fingerprint,
      startsAt: alert.startsAt,
      startsAtUtc,
      endsAt: alert.endsAt,
      status: alert.status,
      alertname: alert.labels.alertname ?? "unnamed",
      severity: alert.labels.severity ?? null,
      uuid,
      gpu,
      host,
      nodeScope: alert.labels.proofwatch_scope === "node",
    });
  });
  return { payload, requests, ignored };
}
