// Pod attribution: the real exporter on fake-nvml reads which pod uses each GPU from a stand-in
// for the kubelet's pod-resources socket (kubelet-stand-in.ts: a gRPC server speaking the
// kubelet's .proto; no kubelet can run here) and serves proofwatch_gpu_pod_info, without ever
// making a scrape wait on that socket.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { DEFAULT_WEB_FLAGS } from "../../common/web/index.js";
import { type Exposition, find, parseExposition, sampleValue } from "../../demo/src/exposition.js";
import { parseExporterArgs } from "../../exporter/src/cli.js";
import { COLLECTORS, type RunningExporter, startExporter } from "../../exporter/src/index.js";
import {
  refOfClaimDevice,
  refOfPluginDevice,
} from "../../exporter/src/pod-resources/device-ids.js";
import { readMinorNumbers } from "../../exporter/src/pod-resources/minor-numbers.js";
import { fakeNvmlLibraryPath } from "../../native/index.js";
import { promtoolCheckMetrics, undocumentedMetrics } from "../helpers/prometheus.js";
import { makeTempDir } from "../helpers/tmpdir.js";
import { until } from "../helpers/until.js";
import { fullGpu, ScenarioFile } from "./harness.js";
import { KubeletStandIn, listenSilently, type PodResource } from "./kubelet-stand-in.js";

const UUID0 = "GPU-00000000-0000-0000-0000-000000000000";
const UUID1 = "GPU-00000000-0000-0000-0000-000000000001";
const MIG_UUID = "MIG-11111111-2222-3333-4444-555555555555";
const DEADLINE_MS = 500;

interface Exporter extends RunningExporter {
  scrapeText(): Promise<string>;
  scrape(): Promise<Exposition>;
  /** A scrape and how long it took to answer. */
  timedScrape(): Promise<{ metrics: Exposition; ms: number }>;
}

async function startWithPodResources(
  socket: string,
  intervalMs: number,
  nvidiaProcGpus?: string,
): Promise<Exporter> {
  const scenario = new ScenarioFile({
    driverVersion: "550.54.15",
    devices: [fullGpu(0), fullGpu(1)],
  });
  process.env.PROOFWATCH_NVML_LIBRARY = fakeNvmlLibraryPath();
  process.env.FAKE_NVML_SCENARIO = scenario.path;
  const exporter = await startExporter({
    listen: { host: "127.0.0.1", port: 0 },
    collectors: COLLECTORS.map((c) => c.name),
    scrapeDeadlineMs: DEADLINE_MS,
    web: DEFAULT_WEB_FLAGS,
    podResources: { socket, intervalMs, ...(nvidiaProcGpus ? { nvidiaProcGpus } : {}) },
  });
  const scrapeText = async () => {
    const response = await fetch(`${exporter.url}/metrics`);
    if (!response.ok) throw new Error(`/metrics answered ${response.status}`);
    return response.text();
  };
  const scrape = async () => parseExposition(await scrapeText());
  const timedScrape = async () => {
    const started = performance.now();
    const metrics = await scrape();
    return { metrics, ms: performance.now() - started };
  };
  return { ...exporter, scrapeText, scrape, timedScrape };
}

const podInfo = (metrics: Exposition) =>
  find(metrics, "proofwatch_gpu_pod_info")
    .map(({ labels }) => `${labels.uuid} ${labels.namespace}/${labels.pod}/${labels.container}`)
    .sort();

const requests = (metrics: Exposition, result: string) =>
  sampleValue(metrics, "proofwatch_exporter_pod_resources_requests_total", { result }) ?? 0;

const lastSuccess = (metrics: Exposition) =>
  sampleValue(metrics, "proofwatch_exporter_pod_resources_last_success_timestamp_seconds");

/** A pod holding NVIDIA's device-plugin GPUs in one container. */
const pluginPod = (namespace: string, name: string, resourceName: string, ids: string[]) => ({
  name,
  namespace,
  containers: [{ name: "prover", devices: [{ resourceName, deviceIds: ids }] }],
});

describe("the exporter reading the kubelet's pod-resources API", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let kubelet: KubeletStandIn;
  let exporter: Exporter;

  const trainer: PodResource = pluginPod("ml", "trainer-0", "nvidia.com/gpu", [UUID0]);
  // Time-slicing: two replicas of GPU 1 in one container are one series, not two.
  const shared: PodResource = pluginPod("zk", "prover-a", "nvidia.com/gpu.shared", [
    `${UUID1}::0`,
    `${UUID1}::3`,
  ]);
  // --device-id-strategy=index: NVML's index 1.
  const byIndex: PodResource = pluginPod("zk", "prover-b", "nvidia.com/gpu", ["1"]);
  // A DRA claim on NVIDIA's driver names the GPU by minor number: minor 0 is GPU 1 here.
  const claimed: PodResource = {
    name: "prover-dra",
    namespace: "zk",
    containers: [
      { name: "sidecar", devices: [{ resourceName: "example.com/nic", deviceIds: ["eth1"] }] },
      {
        name: "prover",
        dynamicResources: [
          {
            claimName: "gpu",
            claimNamespace: "zk",
            claimResources: [
              {
                driverName: "gpu.nvidia.com",
                poolName: "node-a",
                deviceName: "gpu-0",
                cdiDevices: [{ name: "k8s.gpu.nvidia.com/claim=6d1c-gpu-0" }],
              },
            ],
          },
        ],
      },
    ],
  };
  // A MIG instance's own UUID names no GPU NVML enumerated: counted, not guessed.
  const mig: PodResource = pluginPod("zk", "mig-user", "nvidia.com/mig-1g.10gb", [MIG_UUID]);

  beforeAll(async () => {
    ({ dir, cleanup } = await makeTempDir("pod-resources"));
    // The driver's per-GPU files as it writes them, minors swapped against NVML's indices.
    for (const [bus, uuid, minor] of [
      ["0000:10:00.0", UUID0, 1],
      ["0000:11:00.0", UUID1, 0],
    ] as const) {
      await mkdir(join(dir, "gpus", bus), { recursive: true });
      await writeFile(
        join(dir, "gpus", bus, "information"),
        [
          "Model: \t\t NVIDIA H100 80GB HBM3",
          "IRQ:   \t\t 311",
          `GPU UUID: \t ${uuid}`,
          "Video BIOS: \t 96.00.99.00.01",
          "Bus Type: \t PCIe",
          "DMA Size: \t 52 bits",
          "DMA Mask: \t 0xfffffffffffff",
          `Bus Location: \t ${bus}`,
          `Device Minor: \t ${minor}`,
          "GPU Firmware: \t 550.54.15",
          "GPU Excluded:\t No",
          "",
        ].join("\n"),
      );
    }
    kubelet = await KubeletStandIn.listen(join(dir, "kubelet.sock"));
    kubelet.answer = [trainer, shared, byIndex, claimed, mig];
    // Each List's deadline is the interval: twice the scrape deadline, so that a scrape which
    // waited for a hung List would miss its own.
    exporter = await startWithPodResources(
      join(dir, "kubelet.sock"),
      2 * DEADLINE_MS,
      join(dir, "gpus"),
    );
  });
  afterAll(async () => {
    await exporter?.close();
    kubelet?.close();
    await cleanup?.();
  });

  it("serves one join series per GPU and container, labelled with the GPU's UUID", async () => {
    // NVML's index resolves once the exporter has read the GPUs; the next List picks it up.
    const metrics = await until(async () => {
      const scraped = await exporter.scrape();
      return podInfo(scraped).length === 4 ? scraped : undefined;
    }, "four pod-info series");

    expect(podInfo(metrics)).toEqual([
      `${UUID0} ml/trainer-0/prover`,
      `${UUID1} zk/prover-a/prover`,
      `${UUID1} zk/prover-b/prover`,
      `${UUID1} zk/prover-dra/prover`,
    ]);
    for (const sample of find(metrics, "proofwatch_gpu_pod_info")) expect(sample.value).toBe(1);
    expect(sampleValue(metrics, "proofwatch_exporter_pod_resources_unresolved_devices")).toBe(1);
    expect(requests(metrics, "success")).toBeGreaterThan(0);
    expect(requests(metrics, "failure")).toBe(0);
    expect(lastSuccess(metrics)).toBeGreaterThan(Date.now() / 1000 - 60);
    // The join in docs/metrics.md works on these labels: each pod-info uuid has GPU series.
    const gpuUuids = new Set(find(metrics, "proofwatch_gpu_up").map((s) => s.labels.uuid));
    for (const sample of find(metrics, "proofwatch_gpu_pod_info")) {
      expect(gpuUuids).toContain(sample.labels.uuid);
    }
  });

  it("passes promtool and documents every family it adds", async () => {
    const text = await exporter.scrapeText();
    expect(promtoolCheckMetrics(text)).toEqual({ output: "", status: 0 });
    const added = [
      "proofwatch_gpu_pod_info",
      "proofwatch_exporter_pod_resources_requests_total",
      "proofwatch_exporter_pod_resources_last_success_timestamp_seconds",
      "proofwatch_exporter_pod_resources_unresolved_devices",
    ];
    for (const name of added) expect(text).toContain(`# TYPE ${name} `);
    expect(undocumentedMetrics(added)).toEqual([]);
  });

  it("drops a pod's series once the kubelet no longer lists it", async () => {
    kubelet.answer = [shared, byIndex, claimed, mig];
    const metrics = await until(async () => {
      const scraped = await exporter.scrape();
      return podInfo(scraped).length === 3 ? scraped : undefined;
    }, "the trainer's series to go");
    expect(podInfo(metrics)).not.toContain(`${UUID0} ml/trainer-0/prover`);
    expect(find(metrics, "proofwatch_gpu_pod_info", { uuid: UUID0 })).toEqual([]);
  });

  it("keeps serving the last good mapping, within the scrape deadline, while List hangs", async () => {
    const mapping = podInfo(await exporter.scrape());
    expect(mapping).toHaveLength(3);
    const logged: string[] = [];
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation((line) => {
      logged.push(String(line));
      return true;
    });
    kubelet.answer = "hang";
    // Each hung call fails at its own deadline (the 1 s interval); scrapes meanwhile answer
    // from memory, and none waits for a call.
    let slowestMs = 0;
    const failedAfter = async (failures: number) =>
      until(async () => {
        const { metrics, ms } = await exporter.timedScrape();
        slowestMs = Math.max(slowestMs, ms);
        return requests(metrics, "failure") >= failures ? metrics : undefined;
      }, `${failures} failed List calls`);
    const first = await failedAfter(1);
    const later = await failedAfter(requests(first, "failure") + 2);
    stderr.mockRestore();
    expect(slowestMs).toBeLessThan(DEADLINE_MS);
    // Logged once with its cause, not once a call.
    const warnings = logged.filter((line) => line.includes("pod-resources List failed"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("DEADLINE_EXCEEDED");
    expect(podInfo(first)).toEqual(mapping);
    expect(podInfo(later)).toEqual(mapping);
    expect(lastSuccess(later)).toBe(lastSuccess(first));
    expect(sampleValue(later, "proofwatch_exporter_nvml_up")).toBe(1);

    kubelet.answer = [shared];
    const after = await until(async () => {
      const scraped = await exporter.scrape();
      return podInfo(scraped).length === 1 ? scraped : undefined;
    }, "the mapping after the kubelet answers again");
    expect(podInfo(after)).toEqual([`${UUID1} zk/prover-a/prover`]);
    expect(lastSuccess(after)).toBeGreaterThan(lastSuccess(later) as number);
  });
});

describe("the exporter when the pod-resources socket", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ dir, cleanup } = await makeTempDir("pod-resources-down"));
  });
  afterAll(() => cleanup?.());

  it("is missing: scrapes are whole, each failed List counted", async () => {
    const exporter = await startWithPodResources(join(dir, "absent.sock"), 200);
    try {
      const metrics = await until(async () => {
        const scraped = await exporter.scrape();
        return requests(scraped, "failure") >= 2 ? scraped : undefined;
      }, "two failed List calls");
      expect(requests(metrics, "success")).toBe(0);
      expect(lastSuccess(metrics)).toBe(0);
      expect(find(metrics, "proofwatch_gpu_pod_info")).toEqual([]);
      expect(sampleValue(metrics, "proofwatch_exporter_nvml_up")).toBe(1);
      expect(find(metrics, "proofwatch_gpu_up").map((s) => s.value)).toEqual([1, 1]);
    } finally {
      await exporter.close();
    }
  });

  it("accepts connections and never answers: every scrape within its deadline", async () => {
    const socket = join(dir, "silent.sock");
    const silent = await listenSilently(socket);
    // Each List waits out its whole 2 s deadline on the silent socket, so the scrapes below
    // fall inside a pending call.
    const exporter = await startWithPodResources(socket, 2000);
    try {
      let slowestMs = 0;
      let scrapes = 0;
      const metrics = await until(async () => {
        const { metrics, ms } = await exporter.timedScrape();
        slowestMs = Math.max(slowestMs, ms);
        scrapes += 1;
        return requests(metrics, "failure") >= 1 ? metrics : undefined;
      }, "the hung List to fail at its deadline");
      // Several scrapes fell inside the pending call, none waited for it.
      expect(scrapes).toBeGreaterThan(3);
      expect(slowestMs).toBeLessThan(DEADLINE_MS);
      expect(requests(metrics, "success")).toBe(0);
      expect(sampleValue(metrics, "proofwatch_gpu_up", { gpu: "0", uuid: UUID0 })).toBe(1);
    } finally {
      await exporter.close();
      silent.close();
    }
  });
});

describe("device ids in the pod-resources answer", () => {
  it("reads each form NVIDIA's device plugin hands out", () => {
    expect(refOfPluginDevice(UUID0)).toEqual({ kind: "uuid", uuid: UUID0 });
    expect(refOfPluginDevice(`${UUID0}::7`)).toEqual({ kind: "uuid", uuid: UUID0 });
    expect(refOfPluginDevice(`MIG-${UUID1}/1/0`)).toEqual({ kind: "uuid", uuid: UUID1 });
    expect(refOfPluginDevice("3")).toEqual({ kind: "index", index: 3 });
    expect(refOfPluginDevice("3:1::0")).toEqual({ kind: "index", index: 3 });
    expect(refOfPluginDevice(MIG_UUID)).toEqual({ kind: "unknown", id: MIG_UUID });
    expect(refOfPluginDevice(`${UUID0}x`)).toEqual({ kind: "unknown", id: `${UUID0}x` });
  });

  it("reads NVIDIA's DRA device names, and a UUID from any driver that names one", () => {
    const claim = (driverName: string, deviceName: string, cdiDevices: string[] = []) =>
      refOfClaimDevice({ driverName, deviceName, cdiDevices });
    expect(claim("gpu.nvidia.com", "gpu-2")).toEqual({ kind: "minor", minor: 2 });
    expect(claim("gpu.nvidia.com", "gpu-2-mig-1g10gb-19-4")).toEqual({ kind: "minor", minor: 2 });
    expect(claim("gpu.nvidia.com", "gpu-vfio-0")).toEqual({ kind: "unknown", id: "gpu-vfio-0" });
    expect(claim("example.com", "dev", [`example.com/gpu=${UUID1}`])).toEqual({
      kind: "uuid",
      uuid: UUID1,
    });
    expect(claim("example.com", "gpu-0")).toBeUndefined();
  });

  it("finds no minor numbers where the driver's folder is absent", async () => {
    expect((await readMinorNumbers("/nonexistent/proofwatch")).size).toBe(0);
  });
});

describe("the exporter's pod-resources flags", () => {
  it("are off unless the socket is given, and take a Prometheus duration", () => {
    const base = ["--listen", "127.0.0.1:0"];
    const off = parseExporterArgs(base);
    expect(off === "help" ? undefined : off.podResources).toBeUndefined();
    const on = parseExporterArgs([
      ...base,
      "--kubelet.pod-resources-socket",
      "/var/lib/kubelet/pod-resources/kubelet.sock",
      "--kubelet.pod-resources-interval",
      "1m30s",
    ]);
    expect(on === "help" ? undefined : on.podResources).toEqual({
      socket: "/var/lib/kubelet/pod-resources/kubelet.sock",
      intervalMs: 90_000,
    });
    expect(() =>
      parseExporterArgs([
        ...base,
        "--kubelet.pod-resources-socket",
        "/s",
        "--kubelet.pod-resources-interval",
        "100ms",
      ]),
    ).toThrow(/at least 1s/);
    expect(() =>
      parseExporterArgs([
        ...base,
        "--kubelet.pod-resources-socket",
        "/s",
        "--kubelet.pod-resources-interval",
        "soon",
      ]),
    ).toThrow(/invalid duration/);
  });
});
