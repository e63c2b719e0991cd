// One proof job, one trace (issue 17): the prover service and the verifier run as an operator
// runs them (`proofwatch prover`, `proofwatch verifier`, each its own process, configured only
// through the standard OTEL_* variables), and export their spans over OTLP/HTTP to a small
// receiver here. The receiver stands in for an OpenTelemetry Collector: it decodes the OTLP
// JSON requests the exporters send (what a Collector's otlp receiver takes on :4318) and keeps
// them. The job's trace must hold the prover's job, run, phase and delivery spans and the
// verifier's request, queue, batch check and verdict spans, with the right parents; and the
// prover's line for the finished job carries that trace's id.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  bearer,
  type SuiteCredentials,
  writeSuiteCredentials,
} from "../../demo/src/credentials.js";
import { freePort } from "../../demo/src/ports.js";
import { DEMO_CIRCUIT, DEMO_CIRCUITS } from "../../demo/src/suite.js";
import { type CliProcess, spawnCli, untilHealthy } from "../helpers/cli.js";
import { until } from "./helpers.js";

const HOST = "127.0.0.1";
const COLLECTOR_TOKEN = "collector-secret";

interface OtlpValue {
  stringValue?: string;
  intValue?: number | string;
  boolValue?: boolean;
  doubleValue?: number;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: OtlpAttribute[];
  links?: Array<{ traceId: string; spanId: string }>;
}
interface OtlpRequest {
  resourceSpans: Array<{
    resource: { attributes: OtlpAttribute[] };
    scopeSpans: Array<{ spans: OtlpSpan[] }>;
  }>;
}

/** A received span with its resource's service name and attributes as plain values. */
interface Received {
  service: string;
  resource: Record<string, unknown>;
  span: OtlpSpan;
  attributes: Record<string, unknown>;
}

const plain = (attributes: OtlpAttribute[] = []) =>
  Object.fromEntries(
    attributes.map(({ key, value }) => [
      key,
      value.stringValue ?? value.intValue ?? value.boolValue ?? value.doubleValue,
    ]),
  );

interface Collector {
  url: string;
  spans: Received[];
  requests: Array<{ path: string; headers: IncomingHttpHeaders }>;
  server: Server;
}

async function startCollector(): Promise<Collector> {
  const spans: Received[] = [];
  const requests: Collector["requests"] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      requests.push({ path: req.url ?? "", headers: req.headers });
      if (req.method !== "POST" || req.url !== "/v1/traces") {
        res.writeHead(404).end();
        return;
      }
      if (!String(req.headers["content-type"]).startsWith("application/json")) {
        res.writeHead(415).end();
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as OtlpRequest;
      for (const { resource, scopeSpans } of body.resourceSpans) {
        const attributes = plain(resource.attributes);
        for (const scope of scopeSpans) {
          for (const span of scope.spans) {
            spans.push({
              service: String(attributes["service.name"]),
              resource: attributes,
              span,
              attributes: plain(span.attributes),
            });
          }
        }
      }
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://${HOST}:${port}`, spans, requests, server };
}

describe("one trace per proof job", () => {
  let dir: string;
  let collector: Collector;
  let credentials: SuiteCredentials;
  let verifier: CliProcess;
  let prover: CliProcess;
  let proverUrl: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "proofwatch-trace-"));
    collector = await startCollector();
    credentials = writeSuiteCredentials(dir, HOST);
    // Only the standard variables: the SDK reads them (no --otlp-endpoint flag here).
    const otel = {
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_EXPORTER_OTLP_HEADERS: `authorization=Bearer ${COLLECTOR_TOKEN}`,
      OTEL_RESOURCE_ATTRIBUTES: "deployment.environment.name=e2e",
      // No GPU here: the prover proves on the CPU.
      PROOFWATCH_NVML_LIBRARY: "/nonexistent/libnvidia-ml.so.1",
    };
    const [verifierPort, proverPort] = [await freePort(), await freePort()];
    const verifierUrl = `http://${HOST}:${verifierPort}`;
    proverUrl = `http://${HOST}:${proverPort}`;
    verifier = spawnCli(
      "verifier",
      [
        ...["--listen", `${HOST}:${verifierPort}`, "--circuits", DEMO_CIRCUITS],
        ...["--db", join(dir, "verifier.db"), "--workers", "1", "--sample-rate", "1"],
        ...["--web.config.file", credentials.webConfig.verifier],
        ...["--provers", credentials.proversFile],
      ],
      otel,
    );
    prover = spawnCli(
      "prover",
      [
        ...["--listen", `${HOST}:${proverPort}`, "--circuits", DEMO_CIRCUITS],
        ...["--out", join(dir, "proofs"), "--host", HOST, "--backend", "cpu", "--threads", "1"],
        ...["--verifier", verifierUrl, "--verifier-token-file", credentials.prover.file],
        ...["--web.config.file", credentials.webConfig.prover, "--log.format", "json"],
      ],
      { ...otel, OTEL_SERVICE_NAME: "prover-eu-1" },
    );
    await Promise.all([untilHealthy(verifier, verifierUrl), untilHealthy(prover, proverUrl)]);
  }, 120_000);

  afterAll(async () => {
    for (const proc of [prover, verifier]) {
      if (proc && proc.child.exitCode === null) proc.child.kill("SIGTERM");
    }
    await Promise.all([prover?.exited, verifier?.exited]);
    await new Promise((resolve) => collector?.server.close(resolve));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("holds the prover's and the verifier's spans of a job under one trace id", {
    timeout: 120_000,
  }, async () => {
    // multiplier: w = [1, c, a, b] with c = a * b; the job names its expected output.
    const job = {
      id: "traced-1",
      circuit: DEMO_CIRCUIT,
      witnessValues: ["1", "33", "3", "11"],
      expectedPublicSignals: ["33"],
    };
    const response = await fetch(`${proverUrl}/v1/jobs`, {
      method: "POST",
      headers: { "content-type": "application/json", ...bearer(credentials.scheduler) },
      body: JSON.stringify(job),
    });
    expect(response.status, await response.text()).toBe(202);

    const named = (name: string) => collector.spans.find((s) => s.span.name === name);
    // The verifier's verdict span is the job's last; the exporters send within about 1 s.
    const verdict = await until(() => named("verifier.verdict"), "the verdict span", 90_000);
    const jobSpan = await until(() => named("prover.job"), "the job span", 30_000);

    // One job, one trace: every span either service sent belongs to it.
    const traceId = jobSpan.span.traceId;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(collector.spans.map((s) => s.span.traceId))).toEqual(new Set([traceId]));

    const one = (name: string) => {
      const found = collector.spans.filter((s) => s.span.name === name);
      expect(found, `${name} spans`).toHaveLength(1);
      return found[0] as Received;
    };
    const run = one("prover.run");
    const delivery = one("prover.verifier_submit");
    const request = one("verifier.submit");
    const queue = one("verifier.queue");
    const check = one("verifier.batch_check");

    // The prover's spans: the job is the root, the run and the delivery under it, the
    // proving phases under the run.
    expect(jobSpan.span.parentSpanId ?? "").toBe("");
    expect(jobSpan.attributes).toMatchObject({ "job.id": job.id, circuit: DEMO_CIRCUIT });
    expect(run.span.parentSpanId).toBe(jobSpan.span.spanId);
    expect(run.attributes).toMatchObject({ result: "proved", uuid: `CPU-${HOST}-0` });
    expect(delivery.span.parentSpanId).toBe(jobSpan.span.spanId);
    const phases = collector.spans.filter((s) => s.span.name.startsWith("prover.phase."));
    expect(phases.length).toBeGreaterThan(0);
    for (const phase of phases) expect(phase.span.parentSpanId).toBe(run.span.spanId);

    // The verifier continues the traceparent it was sent: its request span is the child of
    // the prover's delivery span, and the proof's queue, batch check and verdict are under it.
    expect(request.span.parentSpanId).toBe(delivery.span.spanId);
    expect(request.span.kind).toBe(2); // SPAN_KIND_SERVER
    expect(request.attributes).toMatchObject({ "http.response.status_code": 202 });
    for (const child of [queue, check, verdict]) {
      expect(child.span.parentSpanId).toBe(request.span.spanId);
    }
    expect(check.attributes).toMatchObject({ circuit: DEMO_CIRCUIT, "verifier.batch.size": 1 });
    expect(verdict.attributes).toMatchObject({ "verifier.verdict": "valid" });

    // Which service sent what: OTEL_SERVICE_NAME where it was set, the default elsewhere;
    // OTEL_RESOURCE_ATTRIBUTES on both, and the headers of OTEL_EXPORTER_OTLP_HEADERS.
    for (const s of [jobSpan, run, delivery, ...phases]) {
      expect(s.service).toBe("prover-eu-1");
      expect(s.resource).toMatchObject({ "host.name": HOST });
    }
    for (const s of [request, queue, check, verdict]) expect(s.service).toBe("proofwatch-verifier");
    for (const s of collector.spans) {
      expect(s.resource).toMatchObject({ "deployment.environment.name": "e2e" });
    }
    for (const { path, headers } of collector.requests) {
      expect(path).toBe("/v1/traces");
      expect(headers.authorization).toBe(`Bearer ${COLLECTOR_TOKEN}`);
    }

    // The prover's one line for the finished job, in its trace.
    const lines = prover
      .output()
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const finished = lines.filter((line) => line.msg === "job finished");
    expect(finished).toHaveLength(1);
    expect(finished[0]).toMatchObject({
      level: "info",
      component: "prover",
      job: job.id,
      circuit: DEMO_CIRCUIT,
      uuid: `CPU-${HOST}-0`,
      result: "proved",
      trace_id: traceId,
      span_id: jobSpan.span.spanId,
    });
    expect(finished[0]?.durationSeconds).toBeGreaterThan(0);
  });

  it("continues the trace of a scheduler that sends a traceparent", {
    timeout: 120_000,
  }, async () => {
    const scheduler = { traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331" };
    const response = await fetch(`${proverUrl}/v1/jobs`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        traceparent: `00-${scheduler.traceId}-${scheduler.spanId}-01`,
        ...bearer(credentials.scheduler),
      },
      body: JSON.stringify({
        id: "traced-2",
        circuit: DEMO_CIRCUIT,
        witnessValues: ["1", "35", "5", "7"],
        expectedPublicSignals: ["35"],
      }),
    });
    expect(response.status, await response.text()).toBe(202);
    const inTrace = () => collector.spans.filter((s) => s.span.traceId === scheduler.traceId);
    await until(
      () => inTrace().find((s) => s.span.name === "verifier.verdict"),
      "the verdict span in the scheduler's trace",
      90_000,
    );
    const job = inTrace().find((s) => s.span.name === "prover.job");
    expect(job?.span.parentSpanId).toBe(scheduler.spanId);
    expect(job?.attributes).toMatchObject({ "job.id": "traced-2" });
    expect(inTrace().map((s) => s.service)).toEqual(
      expect.arrayContaining(["prover-eu-1", "proofwatch-verifier"]),
    );
  });
});
