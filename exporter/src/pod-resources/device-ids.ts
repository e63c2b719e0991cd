// What a device id in the kubelet's pod-resources answer says about which GPU it is. The ids
// are the device plugin's or the DRA driver's own names, not NVML's, so each form NVIDIA's
// plugin and driver publish is read here; anything else is "unknown" and counted, never
// guessed at.

/** How an assigned device names its GPU, before it is resolved against this host's GPUs. */
export type GpuRef =
  | { kind: "uuid"; uuid: string }
  /** NVML's index: NVIDIA's device plugin with --device-id-strategy=index. */
  | { kind: "index"; index: number }
  /** The /dev/nvidiaN minor number: NVIDIA's DRA driver names its devices gpu-N after it. */
  | { kind: "minor"; minor: number }
  /** An NVIDIA device this exporter cannot place on a GPU (a MIG instance's own UUID). */
  | { kind: "unknown"; id: string };

const UUID = "GPU-[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
/** Time-slicing and MPS replicas: k8s-device-plugin hands out `<id>::<replica>`. */
const REPLICA = "(?:::\\d+)?";

const PLUGIN_FORMS: readonly [RegExp, (match: RegExpExecArray) => GpuRef][] = [
  // The default strategy: the GPU's UUID.
  [new RegExp(`^(${UUID})${REPLICA}$`), (m) => ({ kind: "uuid", uuid: m[1] as string })],
  // MIG under drivers before R470: MIG-<parent UUID>/<GPU instance>/<compute instance>.
  [
    new RegExp(`^MIG-(${UUID})/\\d+/\\d+${REPLICA}$`),
    (m) => ({ kind: "uuid", uuid: m[1] as string }),
  ],
  // --device-id-strategy=index: "<gpu>" for a GPU, "<gpu>:<mig>" for a MIG device on it.
  [new RegExp(`^(\\d+)(?::\\d+)?${REPLICA}$`), (m) => ({ kind: "index", index: Number(m[1]) })],
];

/** NVIDIA's device-plugin resources: nvidia.com/gpu, nvidia.com/gpu.shared, nvidia.com/mig-*. */
export function isNvidiaResource(resourceName: string): boolean {
  return resourceName.startsWith("nvidia.com/");
}

/** A device id handed out by NVIDIA's device plugin (k8s-device-plugin). */
export function refOfPluginDevice(id: string): GpuRef {
  for (const [pattern, ref] of PLUGIN_FORMS) {
    const match = pattern.exec(id);
    if (match) return ref(match);
  }
  return { kind: "unknown", id };
}

/** The name NVIDIA's DRA driver for GPUs (k8s-dra-driver-gpu) publishes its devices under. */
export const NVIDIA_DRA_DRIVER = "gpu.nvidia.com";

const UUID_ANYWHERE = new RegExp(UUID);
// gpu-<minor> for a whole GPU, gpu-<parent minor>-mig-<profile>-<id>-<start> for a MIG slice
// (cmd/gpu-kubelet-plugin/deviceinfo.go CanonicalName, mig.go ToCanonicalName).
const DRA_GPU = /^gpu-(\d+)(?:-mig-[a-z0-9-]+)?$/;

/**
 * A device a DRA claim allocated, or undefined when it is no GPU of NVIDIA's driver and names
 * no GPU UUID. A device or CDI name that carries a UUID is taken at its word (some drivers
 * name devices so); NVIDIA's driver names them by minor number, and its CDI names by claim.
 */
export function refOfClaimDevice(device: {
  driverName: string;
  deviceName: string;
  cdiDevices: readonly string[];
}): GpuRef | undefined {
  for (const name of [device.deviceName, ...device.cdiDevices]) {
    const uuid = UUID_ANYWHERE.exec(name);
    if (uuid) return { kind: "uuid", uuid: uuid[0] };
  }
  if (device.driverName !== NVIDIA_DRA_DRIVER) return undefined;
  const minor = DRA_GPU.exec(device.deviceName);
  if (minor) return { kind: "minor", minor: Number(minor[1]) };
  return { kind: "unknown", id: device.deviceName };
}
