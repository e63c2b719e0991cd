// `kubernetes`: the node annotation `proofwatch.dev/quarantined-gpus` lists the node's
// quarantined GPU UUIDs (for a device plugin or scheduler extender to honour); escalation
// cordons the node (`spec.unschedulable`) and adds the `proofwatch.dev/quarantined:NoSchedule`
// taint. Each call reads the node, computes the node we want and sends one JSON merge
// patch carrying the resourceVersion it read, so a concurrent writer makes the API server
// answer 409 instead of losing an update; we then read again and retry.
// Where the API server serves DRA device taints, a quarantined GPU also gets DeviceTaintRules
// that take just that GPU out of service (device-taints.ts); the node annotation stays.
import {
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Node,
  type V1Taint,
} from "@kubernetes/client-node";
import { z } from "zod";
import { createLogger } from "../../../common/log.js";
import {
  PermanentActionError,
  type QuarantineAction,
  type QuarantineList,
  type Target,
} from "../types.js";
import { DEVICE_TAINT_EFFECTS, DeviceTaints, type Discovery, GPU_DRIVER } from "./device-taints.js";

export const KubernetesActionConfig = z
  .object({
    /** A kubeconfig file; without it, in-cluster credentials, else the default kubeconfig. */
    kubeconfig: z.string().optional(),
    /** "short" strips the domain from the host to get the node name. */
    nodeName: z.enum(["host", "short"]).default("host"),
    /**
     * Effect of the DRA device taint: NoSchedule (the default) keeps new claims off the GPU,
     * NoExecute also evicts the pods using it.
     */
    deviceTaintEffect: z.enum(DEVICE_TAINT_EFFECTS).optional(),
  })
  .strict();

export const GPUS_ANNOTATION = "proofwatch.dev/quarantined-gpus";
/** Set only when proofwatch itself cordoned the node, so release never uncordons an operator's cordon. */
export const CORDONED_ANNOTATION = "proofwatch.dev/cordoned";
export const TAINT_KEY = "proofwatch.dev/quarantined";

type MergePatch = {
  metadata: { resourceVersion: string; annotations?: Record<string, string | null> };
  spec?: { unschedulable?: boolean | null; taints?: V1Taint[] | null };
};

/** The patch that takes `node` to the state `target` asks for, or null when it is there. */
export function nodePatch(node: V1Node, target: Target): MergePatch | null {
  const annotations = node.metadata?.annotations ?? {};
  const taints = node.spec?.taints ?? [];
  const ourTaint = taints.some((t) => t.key === TAINT_KEY && t.effect === "NoSchedule");
  const cordonedByUs = annotations[CORDONED_ANNOTATION] === "true";
  const patch: MergePatch = { metadata: { resourceVersion: node.metadata?.resourceVersion ?? "" } };
  const setAnnotation = (key: string, value: string | null) => {
    patch.metadata.annotations = { ...patch.metadata.annotations, [key]: value };
  };
  const spec: NonNullable<MergePatch["spec"]> = {};

  const gpus = [...target.hostGpus].sort().join(",");
  const currentGpus = annotations[GPUS_ANNOTATION] ?? "";
  if (gpus !== currentGpus) setAnnotation(GPUS_ANNOTATION, gpus === "" ? null : gpus);

  if (target.hostQuarantined) {
    if (!ourTaint) spec.taints = [...taints, { key: TAINT_KEY, effect: "NoSchedule" }];
    if (!node.spec?.unschedulable) {
      spec.unschedulable = true;
      setAnnotation(CORDONED_ANNOTATION, "true");
    }
  } else {
    if (ourTaint) {
      const kept = taints.filter((t) => !(t.key === TAINT_KEY && t.effect === "NoSchedule"));
      spec.taints = kept.length > 0 ? kept : null;
    }
    if (cordonedByUs) {
      if (node.spec?.unschedulable) spec.unschedulable = null;
      setAnnotation(CORDONED_ANNOTATION, null);
    }
  }
  if (Object.keys(spec).length > 0) patch.spec = spec;
  return patch.spec || patch.metadata.annotations ? patch : null;
}

function statusOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === "number" ? code : undefined;
}

/** The API server's own message (its Status body), not the client's dump of headers. */
function messageOf(error: unknown): string {
  const body = (error as { body?: unknown }).body;
  const parsed = typeof body === "string" ? safeJson(body) : body;
  const message = (parsed as { message?: unknown } | undefined)?.message;
  return typeof message === "string" ? message : ((error as Error).message.split("\n")[0] ?? "");
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function createKubernetesAction(
  config: z.infer<typeof KubernetesActionConfig>,
): QuarantineAction {
  const kc = new KubeConfig();
  if (config.kubeconfig) kc.loadFromFile(config.kubeconfig);
  else if (process.env.KUBERNETES_SERVICE_HOST) kc.loadFromCluster();
  else kc.loadFromDefault();
  const api = kc.makeApiClient(CoreV1Api);
  // Set explicitly: the generated client would otherwise pick the first type it lists
  // (json-patch), which this body is not.
  const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
  const nodeName = (host: string) =>
    config.nodeName === "short" && !/^[\d.]+$/.test(host) ? (host.split(".")[0] as string) : host;

  const patchNode = async (target: Target) => {
    const name = nodeName(target.host);
    for (let attempt = 1; ; attempt++) {
      let node: V1Node;
      try {
        node = await api.readNode({ name });
      } catch (error) {
        if (statusOf(error) === 404) throw new PermanentActionError(`node ${name} not found`);
        throw error;
      }
      const patch = nodePatch(node, target);
      if (!patch) return;
      try {
        await api.patchNode({ name, body: patch, fieldManager: "proofwatch" }, mergePatch);
        return;
      } catch (error) {
        if (statusOf(error) !== 409 || attempt >= 5) throw error;
      }
    }
  };

  const log = createLogger("quarantine");
  const effect = config.deviceTaintEffect ?? "NoSchedule";
  const taints = new DeviceTaints(kc, effect);
  let discovery: Discovery | undefined;
  /** False until every stored quarantine was reconciled with the rules found (at start). */
  let reconciled = false;
  let enforced = new Set<string>();
  const discovered = async (): Promise<Discovery> => {
    if (discovery) return discovery;
    discovery = await taints.discover();
    if (discovery.rules && discovery.slices) {
      log.info("per-GPU quarantine through DRA device taints", {
        apiVersion: discovery.rules,
        slices: discovery.slices,
        driver: GPU_DRIVER,
        effect,
      });
    } else {
      log.warn(
        "the API server serves no DeviceTaintRule (resource.k8s.io): a quarantined GPU is only named in its node's annotation, which nothing enforces; node escalation still cordons",
        { annotation: GPUS_ANNOTATION },
      );
    }
    return discovery;
  };

  /**
   * Converges the rules of one GPU (`only`); the first time, and after a start that could not
   * reach the API server, those of every GPU.
   */
  const syncDevices = async (fleet: QuarantineList, only?: string) => {
    const { rules, slices } = await discovered();
    if (!rules || !slices) return;
    const quarantined = new Set(fleet.gpus.map((g) => g.uuid));
    let looked: Iterable<string>;
    if (!reconciled) {
      enforced = await taints.sync({ rules, slices }, quarantined);
      reconciled = true;
      looked = quarantined;
    } else if (only !== undefined) {
      const done = await taints.sync(
        { rules, slices },
        quarantined.has(only) ? new Set([only]) : new Set(),
        only,
      );
      if (done.has(only)) enforced.add(only);
      else enforced.delete(only);
      looked = [only];
    } else {
      return;
    }
    for (const uuid of looked) {
      if (quarantined.has(uuid) && !enforced.has(uuid)) {
        log.warn("no DRA device of this GPU found: only the node annotation marks it", {
          uuid,
          driver: GPU_DRIVER,
        });
      }
    }
  };

  // Device taints first: they select the GPU by its UUID, so they hold even where the host
  // label names no node. Their failure never keeps the node from its patch (annotation,
  // escalation): it is reported after it, a refusal by RBAC as permanent (audited, not
  // retried forever) since only a changed ClusterRole fixes it.
  const converge = async (target: Target) => {
    let deviceError: unknown;
    try {
      await syncDevices(
        target.fleet,
        target.scope === "gpu" ? (target.uuid ?? undefined) : undefined,
      );
    } catch (error) {
      deviceError = error;
    }
    await patchNode(target);
    if (deviceError === undefined) return;
    if (statusOf(deviceError) === 403) {
      throw new PermanentActionError(
        `DRA device taints: ${messageOf(deviceError)}; grant the quarantine service's ServiceAccount list on resourceslices and list, create, update, delete on devicetaintrules (deploy/kubernetes/rbac.yaml)`,
      );
    }
    throw deviceError;
  };
  return {
    name: "kubernetes",
    apply: converge,
    release: converge,
    init: async (fleet) => {
      try {
        await syncDevices(fleet);
      } catch (error) {
        // Not fatal: the next quarantine or release reconciles every GPU first.
        log.warn("could not reconcile DRA device taints at start; retried with the next change", {
          error: messageOf(error),
        });
      }
    },
    enforcement: () => ({
      perGpu: Boolean(discovery?.rules && discovery.slices),
      enforced,
    }),
  };
}
