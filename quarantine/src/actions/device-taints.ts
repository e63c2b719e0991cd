// Per-GPU quarantine through Kubernetes DRA device taints (KEP-5055): one DeviceTaintRule
// (group resource.k8s.io) per device of a quarantined GPU, so that new claims avoid it
// (NoSchedule) or pods using it are evicted (NoExecute), while the node's other GPUs stay
// in service. The rule selects the device by driver, pool and name: the only selector every
// served version has (the CEL `selectors` of 1.33/1.34's v1alpha3 were removed in 1.35). The
// device is found in the ResourceSlices of NVIDIA's DRA driver for GPUs (`gpu.nvidia.com`),
// which publishes each GPU with its NVML UUID as attribute `uuid`, and each MIG device with
// its parent's as `parentUUID` (k8s-dra-driver-gpu, cmd/gpu-kubelet-plugin/deviceinfo.go).
import { createHash } from "node:crypto";
import {
  type KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  ResourceApi,
  type V1APIResource,
} from "@kubernetes/client-node";
import { PermanentActionError } from "../types.js";

export const RESOURCE_GROUP = "resource.k8s.io";
export const GPU_DRIVER = "gpu.nvidia.com";
/** The same key as the node taint of an escalation: one toleration covers both. */
export const DEVICE_TAINT_KEY = "proofwatch.dev/quarantined";
export const DEVICE_TAINT_EFFECTS = ["NoSchedule", "NoExecute"] as const;
export type DeviceTaintEffect = (typeof DEVICE_TAINT_EFFECTS)[number];
/** Marks the rules this service owns: it lists, changes and deletes no others. */
export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
export const MANAGED_BY = "proofwatch";
/** A hash of the GPU UUID: UUIDs may hold characters a label value may not (`:`). */
export const GPU_LABEL = "proofwatch.dev/gpu";
export const UUID_ANNOTATION = "proofwatch.dev/gpu-uuid";

/** What discovery found: the apiVersions to use, or null where the server serves none. */
export interface Discovery {
  rules: string | null;
  slices: string | null;
}

/** One device as the DeviceTaintRule selector names it. */
export interface DeviceRef {
  driver: string;
  pool: string;
  device: string;
  /**
   * Set for a device other than the whole GPU as the driver's `type: gpu` (a MIG device, a
   * VFIO passthrough of it): its rule's name also carries the device's.
   */
  secondary: boolean;
}

type Attribute = { string?: string };
interface SliceDevice {
  name?: string;
  attributes?: Record<string, Attribute>;
  /** v1beta1 keeps attributes one level down. */
  basic?: { attributes?: Record<string, Attribute> };
}
interface ResourceSlice extends KubernetesObject {
  spec?: { driver?: string; pool?: { name?: string }; devices?: SliceDevice[] };
}
interface DeviceTaintRule extends KubernetesObject {
  spec?: {
    deviceSelector?: { driver?: string; pool?: string; device?: string };
    taint?: { key?: string; value?: string; effect?: string };
  };
}

/** Kubernetes' version priority: GA before beta before alpha, higher numbers first. */
export function versionRank(version: string): number {
  const match = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(version);
  if (!match) return -1;
  const stage = match[2] === undefined ? 2 : match[2] === "beta" ? 1 : 0;
  return stage * 1_000_000 + Number(match[1]) * 1000 + Number(match[3] ?? 0);
}

export const gpuHash = (uuid: string) =>
  createHash("sha256").update(uuid).digest("hex").slice(0, 16);

/** Stable per GPU and device: a repeat finds the rule it made before. */
export function ruleName(uuid: string, device: DeviceRef, withDevice = device.secondary): string {
  const base = `proofwatch-gpu-${gpuHash(uuid)}`;
  return withDevice ? `${base}-${device.device}` : base;
}

const statusOf = (error: unknown): number | undefined => {
  const code = (error as { code?: unknown }).code;
  return typeof code === "number" ? code : undefined;
};

// The generic client finds a kind's resource through the group version's discovery document
// (and caches it); this only makes that lookup callable.
class ObjectApi extends KubernetesObjectApi {
  served(apiVersion: string, kind: string): Promise<V1APIResource | undefined> {
    return this.resource(apiVersion, kind);
  }
}

export class DeviceTaints {
  private readonly objects: ObjectApi;
  private readonly group: ResourceApi;

  constructor(
    kc: KubeConfig,
    private readonly effect: DeviceTaintEffect,
  ) {
    this.objects = kc.makeApiClient(ObjectApi);
    this.group = kc.makeApiClient(ResourceApi);
  }

  /**
   * The newest resource.k8s.io versions serving DeviceTaintRule and ResourceSlice. A server
   * without the group (404) serves neither; any other failure is thrown, to be retried.
   */
  async discover(): Promise<Discovery> {
    let versions: string[];
    try {
      const group = await this.group.getAPIGroup();
      versions = group.versions.map((v) => v.version);
    } catch (error) {
      if (statusOf(error) === 404) return { rules: null, slices: null };
      throw error;
    }
    versions.sort((a, b) => versionRank(b) - versionRank(a));
    const newestServing = async (kind: string) => {
      for (const version of versions) {
        const apiVersion = `${RESOURCE_GROUP}/${version}`;
        if (await this.objects.served(apiVersion, kind)) return apiVersion;
      }
      return null;
    };
    const rules = await newestServing("DeviceTaintRule");
    return { rules, slices: rules ? await newestServing("ResourceSlice") : null };
  }

  /** Every device the GPU driver publishes, by the GPU UUID it belongs to. */
  async publishedDevices(slicesVersion: string): Promise<Map<string, DeviceRef[]>> {
    const devices = new Map<string, DeviceRef[]>();
    const seen = new Set<string>();
    let continueToken: string | undefined;
    do {
      const page = await this.objects.list<ResourceSlice>(
        slicesVersion,
        "ResourceSlice",
        undefined,
        undefined,
        undefined,
        undefined,
        `spec.driver=${GPU_DRIVER}`,
        undefined,
        500,
        continueToken,
      );
      for (const slice of page.items) {
        const driver = slice.spec?.driver;
        const pool = slice.spec?.pool?.name;
        if (driver !== GPU_DRIVER || !pool) continue;
        for (const device of slice.spec?.devices ?? []) {
          const attributes = device.attributes ?? device.basic?.attributes ?? {};
          // An attribute in the driver's own domain may be written with or without it.
          const attribute = (name: string) =>
            (attributes[name] ?? attributes[`${GPU_DRIVER}/${name}`])?.string;
          const parent = attribute("parentUUID");
          const uuid = parent ?? attribute("uuid");
          const type = attribute("type");
          const key = `${pool}/${device.name}`;
          // A pool is republished in a new generation while the old slices linger.
          if (!uuid || !device.name || seen.has(key)) continue;
          seen.add(key);
          const list = devices.get(uuid) ?? [];
          list.push({
            driver,
            pool,
            device: device.name,
            secondary: parent !== undefined || (type !== undefined && type !== "gpu"),
          });
          devices.set(uuid, list);
        }
      }
      // The typed list model renames `continue`; a list of a version it lacks keeps the name.
      const meta = page.metadata as { _continue?: string; continue?: string } | undefined;
      continueToken = meta?._continue || meta?.continue || undefined;
    } while (continueToken);
    return devices;
  }

  rule(apiVersion: string, uuid: string, device: DeviceRef, withDevice = false): DeviceTaintRule {
    return {
      apiVersion,
      kind: "DeviceTaintRule",
      metadata: {
        name: ruleName(uuid, device, withDevice || device.secondary),
        labels: { [MANAGED_BY_LABEL]: MANAGED_BY, [GPU_LABEL]: gpuHash(uuid) },
        annotations: { [UUID_ANNOTATION]: uuid },
      },
      spec: {
        deviceSelector: { driver: device.driver, pool: device.pool, device: device.device },
        taint: { key: DEVICE_TAINT_KEY, effect: this.effect },
      },
    };
  }

  /**
   * Makes the rules proofwatch manages match `quarantined` (GPU UUIDs). With `only`, just
   * that GPU's rules are looked at (one quarantine or release); without, all of them (the
   * reconciliation at start). Returns the GPUs that now have at least one rule.
   */
  async sync(
    discovery: { rules: string; slices: string },
    quarantined: ReadonlySet<string>,
    only?: string,
  ): Promise<Set<string>> {
    const selector = [
      `${MANAGED_BY_LABEL}=${MANAGED_BY}`,
      ...(only === undefined ? [] : [`${GPU_LABEL}=${gpuHash(only)}`]),
    ].join(",");
    const existing = await this.objects.list<DeviceTaintRule>(
      discovery.rules,
      "DeviceTaintRule",
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      selector,
    );
    const published = quarantined.size > 0 ? await this.publishedDevices(discovery.slices) : null;
    const wanted = new Map<string, DeviceTaintRule>();
    const tainted = new Set<string>();
    for (const uuid of quarantined) {
      for (const device of published?.get(uuid) ?? []) {
        // Two devices that both look like the whole GPU keep apart by their names.
        const taken = wanted.has(ruleName(uuid, device));
        const rule = this.rule(discovery.rules, uuid, device, taken);
        wanted.set(rule.metadata?.name as string, rule);
        tainted.add(uuid);
      }
    }
    const byName = new Map(existing.items.map((r) => [r.metadata?.name as string, r]));
    for (const [name, rule] of byName) {
      if (wanted.has(name)) continue;
      await this.objects
        .delete({ ...rule, apiVersion: discovery.rules, kind: "DeviceTaintRule" })
        .catch((error: unknown) => {
          if (statusOf(error) !== 404) throw error;
        });
    }
    for (const [name, rule] of wanted) {
      const current = byName.get(name);
      if (!current) {
        await this.objects
          .create(rule, undefined, undefined, MANAGED_BY)
          .catch((error: unknown) => {
            if (statusOf(error) === 409) {
              throw new PermanentActionError(
                `a DeviceTaintRule named ${name} exists that proofwatch does not manage (no ${MANAGED_BY_LABEL}=${MANAGED_BY} label)`,
              );
            }
            throw error;
          });
      } else if (!sameSpec(current, rule)) {
        // The effect was changed in the configuration, or the driver renamed the device.
        await this.objects.replace(
          {
            ...rule,
            metadata: { ...rule.metadata, resourceVersion: current.metadata?.resourceVersion },
          },
          undefined,
          undefined,
          MANAGED_BY,
        );
      }
    }
    return tainted;
  }
}

function sameSpec(a: DeviceTaintRule, b: DeviceTaintRule): boolean {
  const [x, y] = [a.spec ?? {}, b.spec ?? {}];
  return (
    x.deviceSelector?.driver === y.deviceSelector?.driver &&
    x.deviceSelector?.pool === y.deviceSelector?.pool &&
    x.deviceSelector?.device === y.deviceSelector?.device &&
    x.taint?.key === y.taint?.key &&
    (x.taint?.value ?? "") === (y.taint?.value ?? "") &&
    x.taint?.effect === y.taint?.effect
  );
}
