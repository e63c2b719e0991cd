// What the demo's table shows, read from the running suite each refresh: per GPU its health
// (exporter scrape and firing alerts), proofs per minute (the prover's per-worker counts), the
// last verdict (the verifier) and whether it is quarantined (the webhook's list, and whether the
// prover has taken it out of its schedule).
import { type Exposition, find, parseExposition } from "./exposition.js";
import { getJson, quarantineList, type Suite, type Worker } from "./suite.js";

export interface FiringAlert {
  alertname: string;
  uuid?: string;
}

export interface GpuRow {
  gpu: string;
  uuid: string;
  up: boolean;
  temperatureCelsius?: number;
  eccUncorrected?: number;
  xids: number;
  alerts: string[];
  proofsPerMinute?: number;
  lastVerdict?: string;
  /** The quarantine service's reason, when it lists the GPU. */
  quarantined?: string;
  /** The prover service gives the GPU no more work. */
  drained: boolean;
  /** Why the prover's known-answer canary keeps the GPU from work; absent once it passed. */
  canaryHold?: "pending" | "running" | "failed";
}

export interface FleetView {
  rows: GpuRow[];
  hostAlerts: string[];
  /** The prover's jobs: waiting for a GPU, and runs proved and failed, over all GPUs. */
  jobs?: { queued: number; proved: number; failed: number };
}

interface Verdict {
  id: number;
  status: string;
  result: string | null;
}

const WINDOW_MS = 60_000;

function value(metrics: Exposition, name: string, where: Record<string, string>) {
  return find(metrics, name, where)[0]?.value;
}

async function firingAlerts(prometheusUrl: string | null): Promise<FiringAlert[]> {
  if (!prometheusUrl) return [];
  const body = await getJson<{
    data: { alerts: Array<{ state: string; labels: Record<string, string> }> };
  }>(`${prometheusUrl}/api/v1/alerts`);
  return body.data.alerts
    .filter((alert) => alert.state === "firing")
    .map(({ labels }) => ({
      alertname: labels.alertname ?? "?",
      ...(labels.uuid ? { uuid: labels.uuid } : {}),
    }));
}

/** Reads the suite; keeps the history proofs per minute and last verdicts need. */
export class FleetWatcher {
  /** Per uuid: (time, proofs proved so far) samples of the last minute. */
  private readonly proved = new Map<string, Array<[number, number]>>();
  /** Per uuid: the last verdict id read, and the last decided result. */
  private readonly verdicts = new Map<string, { after: number; last?: string }>();

  constructor(private readonly suite: Pick<Suite, "urls">) {}

  private proofsPerMinute(worker: Worker, now: number): number | undefined {
    const samples = this.proved.get(worker.uuid) ?? [];
    samples.push([now, worker.proved]);
    while (samples.length > 1 && now - (samples[0]?.[0] ?? now) > WINDOW_MS) samples.shift();
    this.proved.set(worker.uuid, samples);
    const first = samples[0];
    if (!first || now - first[0] < 5_000) return undefined;
    return ((worker.proved - first[1]) * 60_000) / (now - first[0]);
  }

  /** Pages through the GPU's verdicts from the last one read: the newest checked one wins. */
  private async lastVerdict(uuid: string): Promise<string | undefined> {
    const state = this.verdicts.get(uuid) ?? { after: 0 };
    for (;;) {
      const page = await getJson<{ verdicts: Verdict[]; next?: number }>(
        `${this.suite.urls.verifier}/v1/verdicts?gpu=${encodeURIComponent(uuid)}&after=${state.after}&limit=1000`,
      );
      for (const verdict of page.verdicts) {
        // Stop at the first one not checked yet, to read it again next time.
        if (verdict.status === "accepted") break;
        state.after = verdict.id;
        state.last = verdict.result ?? verdict.status;
      }
      if (page.next === undefined || page.verdicts.some((v) => v.status === "accepted")) break;
    }
    this.verdicts.set(uuid, state);
    return state.last;
  }

  async read(): Promise<FleetView> {
    const now = Date.now();
    const [metricsText, alerts, list, prover] = await Promise.all([
      fetch(`${this.suite.urls.exporter}/metrics`).then((response) => response.text()),
      firingAlerts(this.suite.urls.prometheus).catch(() => []),
      quarantineList(this.suite).catch(() => undefined),
      getJson<{ workers: Worker[]; queued: number }>(`${this.suite.urls.prover}/v1/workers`).catch(
        () => undefined,
      ),
    ]);
    const workerList = prover?.workers ?? [];
    const metrics = parseExposition(metricsText);
    const rows = await Promise.all(
      find(metrics, "proofwatch_gpu_up").map(async (up): Promise<GpuRow> => {
        const gpu = { gpu: up.labels.gpu ?? "", uuid: up.labels.uuid ?? "" };
        const worker = workerList.find((w) => w.uuid === gpu.uuid);
        const listed = list?.gpus.find((entry) => entry.uuid === gpu.uuid);
        const xids = find(metrics, "proofwatch_gpu_xid_errors_total", gpu);
        const row: GpuRow = {
          ...gpu,
          up: up.value === 1,
          xids: xids.reduce((total, sample) => total + sample.value, 0),
          alerts: alerts.filter((a) => a.uuid === gpu.uuid).map((a) => a.alertname),
          drained: worker?.quarantined ?? false,
        };
        const temperature = value(metrics, "proofwatch_gpu_temperature_celsius", gpu);
        if (temperature !== undefined) row.temperatureCelsius = temperature;
        const ecc = value(metrics, "proofwatch_gpu_ecc_errors_total", {
          ...gpu,
          type: "uncorrected",
          counter: "volatile",
        });
        if (ecc !== undefined) row.eccUncorrected = ecc;
        const rate = worker && this.proofsPerMinute(worker, now);
        if (rate !== undefined) row.proofsPerMinute = rate;
        const verdict = await this.lastVerdict(gpu.uuid).catch(() => undefined);
        if (verdict !== undefined) row.lastVerdict = verdict;
        if (listed) row.quarantined = listed.reason;
        if (worker?.canary) row.canaryHold = worker.canary;
        return row;
      }),
    );
    const view: FleetView = {
      rows,
      hostAlerts: alerts.filter((alert) => !alert.uuid).map((alert) => alert.alertname),
    };
    if (prover) {
      view.jobs = {
        queued: prover.queued,
        proved: workerList.reduce((total, w) => total + w.proved, 0),
        failed: workerList.reduce((total, w) => total + w.failed, 0),
      };
    }
    return view;
  }
}
