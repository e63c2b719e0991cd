// Alertmanager's webhook payload, version 4
// (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config): what
// Alertmanager posts to the quarantine service (`POST /v1/alertmanager`,
// quarantine/src/payload.ts). The tests build their payloads with these types.
import { z } from "zod";

// RFC 3339 as Go's time.Time marshals it (fractional seconds up to nanoseconds).
const timestamp = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/, "RFC 3339 time");

const labelSet = z.record(z.string(), z.string());

export const AlertmanagerAlert = z.object({
  status: z.enum(["firing", "resolved"]),
  labels: labelSet,
  annotations: labelSet.default({}),
  startsAt: timestamp,
  endsAt: timestamp,
  generatorURL: z.string().optional(),
  fingerprint: z.string().min(1).max(64),
});
export type AlertmanagerAlert = z.infer<typeof AlertmanagerAlert>;

export const AlertmanagerWebhook = z.object({
  version: z.literal("4"),
  groupKey: z.string(),
  truncatedAlerts: z.number().int().min(0).default(0),
  status: z.enum(["firing", "resolved"]),
  receiver: z.string(),
  groupLabels: labelSet.default({}),
  commonLabels: labelSet.default({}),
  commonAnnotations: labelSet.default({}),
  externalURL: z.string().optional(),
  alerts: z.array(AlertmanagerAlert).max(10_000),
});
export type AlertmanagerWebhook = z.infer<typeof AlertmanagerWebhook>;
