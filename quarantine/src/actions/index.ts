// The action registry: one file per backend, chosen by the `actions` object of the config.
import { z } from "zod";
import type { QuarantineAction } from "../types.js";
import { createFileAction, FileActionConfig } from "./file.js";
import { createKubernetesAction, KubernetesActionConfig } from "./kubernetes.js";
import { createSlurmAction, SlurmActionConfig } from "./slurm.js";
import { createWebhookAction, WebhookActionConfig } from "./webhook.js";

export const ActionsConfig = z
  .object({
    file: FileActionConfig.optional(),
    kubernetes: KubernetesActionConfig.optional(),
    slurm: SlurmActionConfig.optional(),
    webhook: WebhookActionConfig.optional(),
  })
  .strict();

export type ActionsConfig = z.infer<typeof ActionsConfig>;

export function createActions(config: ActionsConfig): Map<string, QuarantineAction> {
  const actions = new Map<string, QuarantineAction>();
  if (config.file) actions.set("file", createFileAction(config.file));
  if (config.kubernetes) actions.set("kubernetes", createKubernetesAction(config.kubernetes));
  if (config.slurm) actions.set("slurm", createSlurmAction(config.slurm));
  if (config.webhook) actions.set("webhook", createWebhookAction(config.webhook));
  return actions;
}
