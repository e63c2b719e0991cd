// The service as operators run it: `proofwatch prover` in its own process on fake-nvml. Its
// /metrics carries the documented names, types and labels and passes `promtool check
// metrics`; its traces reach an OTLP/HTTP endpoint with a span per job, run and phase; it
// stops cleanly on SIGTERM.
import type { ChildProcess } from "node:child_process";
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listen } from "../../common/listen.js";
import { packageVersion } from "../../common/package-root.js";
import { find, parseExposition, sampleValue } from "../../demo/src/exposition.js";
import { freePort } from "../../demo/src/ports.js";
import { spawnCli, untilHealthy } from "../helpers/cli.js";
import { readBody } from "../helpers/http.js";
import {
  familyTypes,
  PROCESS_FAMILIES,
  promtoolCheckMetrics,
  selfMetrics,
  undocumentedMetrics,
} from "../helpers/prometheus.js";
import {
  finished,
  fixture,
  gpuUuid,
  submitJob,
  until,
  type Workspace,
  workspace,
} from "./helpers.js";

interface OtlpSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes?: Array<{ key: string; value: Record<string, unknown> }>;
}

/** A minimal OTLP/HTTP traces receiver: keeps the spans of every JSON export. */
async function startOtlpReceiver(): Promise<{ url: string; spans: OtlpSpan[]; server: Server }> {
  const spans: OtlpSpan[] = [];
  const server = createServer(async (req, res) => {
    const text = await readBody(req);
    if (req.url === "/v1/traces") {
      const body = JSON.parse(text) as {
        resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }>;
      };
      for (const resource of body.resourceSpans) {
        for (const scope of resource.scopeSpans) spans.push(...scope.spans);
      }
    }
    res.writeHead(200, { "content-type": "application/json" }).end("{}");
  });
  const bound = await listen(server, { host: "127.0.0.1", port: 0 });
  return { url: `http://127.0.0.1:${bound.port}`, spans, server };
}

describe("proofwatch prover as a process", () => {
  let ws: Workspace;
  let child: ChildProcess;
  let base: string;
  let otlp: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let scrape: string;
  let jobId: string;

  beforeAll(async () => {
    ws = await workspace("metrics", 2, ["multiplier", "multi_io"]);
    otlp = await startOtlpReceiver();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const proc = spawnCli("prover", [
      "--listen",
      `127.0.0.1:${port}`,
      "--circuits",
      ws.circuits,
      "--spool",
      ws.spool,
      "--witness-dir",
      ws.witnesses,
      "--no-verifier",
      // Jobs here come without credentials; test/web/services.test.ts is about those.
      "--insecure-no-auth",
      "--host",
      "test-host",
      "--threads",
      "1",
      "--otlp-endpoint",
      otlp.url,
    ]);
    child = proc.child;
    await untilHealthy(proc, base, 30_000);

    jobId = await submitJob(base, {
      circuit: "multiplier",
      witnessFile: fixture(ws, "multiplier").wtns,
      expectedPublicSignals: ["33"],
    });
    const failing = await submitJob(base, {
      circuit: "multiplier",
      witnessFile: fixture(ws, "multi_io").wtns,
    });
    await finished(base, jobId);
    await finished(base, failing);
    scrape = await (await fetch(`${base}/metrics`)).text();
  });
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill("SIGKILL");
    await new Promise<void>((resolve) => otlp?.server.close(() => resolve()));
    await ws?.cleanup();
  });

  it("serves the documented names, types and labels", () => {
    const exposition = parseExposition(scrape);
    const types = familyTypes(exposition, "proofwatch_prover_");
    expect(types).toEqual({
      proofwatch_prover_canary_duration_seconds: "histogram",
      proofwatch_prover_canary_last_success_timestamp_seconds: "gauge",
      proofwatch_prover_canary_mismatches_total: "counter",
      proofwatch_prover_canary_runs_total: "counter",
      proofwatch_prover_canary_success: "gauge",
      proofwatch_prover_device_transfer_bytes_total: "counter",
      proofwatch_prover_energy_joules_total: "counter",
      // Declared from the start; their series come with the first event (or list read).
      proofwatch_prover_http_requests_refused_total: "counter",
      proofwatch_prover_quarantine_list_timestamp_seconds: "gauge",
      proofwatch_prover_verifier_submissions_total: "counter",
      proofwatch_prover_job_failures_total: "counter",
      proofwatch_prover_job_retries_total: "counter",
      proofwatch_prover_jobs_deadline_exceeded_total: "counter",
      proofwatch_prover_jobs_in_flight: "gauge",
      proofwatch_prover_jobs_queued: "gauge",
      proofwatch_prover_jobs_received_total: "counter",
      proofwatch_prover_phase_duration_seconds: "histogram",
      proofwatch_prover_proofs_total: "counter",
      proofwatch_prover_verifier_backlog: "gauge",
      proofwatch_prover_workers: "gauge",
      proofwatch_prover_workers_quarantined: "gauge",
    } satisfies Record<string, string>);

    const proved = exposition.samples.filter(
      (s) => s.name === "proofwatch_prover_proofs_total" && s.labels.result === "proved",
    );
    expect(proved.map((s) => s.value).reduce((a, b) => a + b, 0)).toBe(1);
    expect(Object.keys(proved[0]?.labels ?? {}).sort()).toEqual(["circuit", "result", "uuid"]);
    expect([gpuUuid(0), gpuUuid(1)]).toContain(proved[0]?.labels.uuid);
    expect(
      sampleValue(exposition, "proofwatch_prover_job_failures_total", {
        reason: "witness_mismatch",
      }),
    ).toBe(3);
    expect(
      sampleValue(exposition, "proofwatch_prover_jobs_received_total", { source: "http" }),
    ).toBe(2);
    expect(sampleValue(exposition, "proofwatch_prover_workers")).toBe(2);
    expect(sampleValue(exposition, "proofwatch_prover_workers_quarantined")).toBe(0);
    expect(sampleValue(exposition, "proofwatch_prover_jobs_queued")).toBe(0);
    expect(sampleValue(exposition, "proofwatch_prover_jobs_in_flight", { uuid: gpuUuid(0) })).toBe(
      0,
    );
    // The CPU backend moves nothing to a device, and says so rather than leaving it out.
    const transferred = exposition.samples.filter(
      (s) => s.name === "proofwatch_prover_device_transfer_bytes_total",
    );
    expect(transferred.map((s) => s.value)).toEqual([0]);
    // No --quarantine-file or --quarantine-url: no list was read, so no time to report.
    expect(find(exposition, "proofwatch_prover_quarantine_list_timestamp_seconds")).toEqual([]);
    const phases = new Set(
      exposition.samples
        .filter((s) => s.name === "proofwatch_prover_phase_duration_seconds_count")
        .map((s) => s.labels.phase),
    );
    expect([...phases].sort()).toEqual(
      ["finalize", "load", "msm", "ntt", "qap", "write", "zkey_load"].sort(),
    );
  });

  it("serves the process metrics and its build info, documented", () => {
    const self = selfMetrics(parseExposition(scrape));
    expect(self.processFamilies).toEqual(PROCESS_FAMILIES);
    expect(self.buildInfo).toEqual([
      {
        name: "proofwatch_build_info",
        labels: {
          version: packageVersion(),
          component: "prover",
          nodejs_version: process.versions.node,
        },
        value: 1,
      },
    ]);
    expect(self.undocumented).toEqual([]);
  });

  it("passes promtool check metrics", () => {
    const check = promtoolCheckMetrics(scrape);
    expect(check.output).toBe("");
    expect(check.status).toBe(0);
  });

  it("documents every metric it serves in docs/metrics.md", () => {
    const names = Object.keys(familyTypes(parseExposition(scrape), "proofwatch_prover_"));
    expect(undocumentedMetrics(names)).toEqual([]);
  });

  it("exports a trace per job over OTLP: job, run, phases", async () => {
    const spans = await until(() => {
      const names = new Set(otlp.spans.map((s) => s.name));
      return names.has("prover.job") && names.has("prover.phase.ntt") ? otlp.spans : undefined;
    }, "spans at the OTLP endpoint");
    const job = spans.find(
      (s) =>
        s.name === "prover.job" &&
        s.attributes?.some((a) => a.key === "job.id" && a.value.stringValue === jobId),
    );
    expect(job).toBeDefined();
    const inTrace = spans.filter((s) => s.traceId === job?.traceId);
    const run = inTrace.find((s) => s.name === "prover.run");
    expect(run?.parentSpanId).toBe(job?.spanId);
    const phaseNames = inTrace
      .filter((s) => s.parentSpanId === run?.spanId)
      .map((s) => s.name)
      .sort();
    expect(phaseNames).toEqual(
      [
        "prover.phase.build_abc",
        "prover.phase.finalize",
        "prover.phase.load",
        "prover.phase.msm_a",
        "prover.phase.msm_b1",
        "prover.phase.msm_b2",
        "prover.phase.msm_c",
        "prover.phase.msm_h",
        "prover.phase.ntt",
        "prover.phase.write",
      ].sort(),
    );
  });

  it("stops on SIGTERM with status 0", async () => {
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  });
});
