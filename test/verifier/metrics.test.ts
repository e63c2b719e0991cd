// The verifier's metrics as Prometheus sees them: names and labels as documented, read back
// through a real Prometheus scraping /metrics, and clean under `promtool check metrics`.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packageVersion } from "../../common/package-root.js";
import { parseExposition, sampleValue } from "../../demo/src/exposition.js";
import {
  eventually,
  familyTypes,
  PROCESS_FAMILIES,
  promtoolCheckMetrics,
  type RunningPrometheus,
  selfMetrics,
  startPrometheus,
  undocumentedMetrics,
} from "../helpers/prometheus.js";
import {
  decided,
  GateChecker,
  multiplierWorkspace,
  type ProofPair,
  post,
  type RunningVerifier,
  start,
  submission,
  type Workspace,
} from "./helpers.js";

const GOOD_GPU = "GPU-11111111-1111-1111-1111-111111111111";
const BAD_GPU = "GPU-22222222-2222-2222-2222-222222222222";

describe("metrics", () => {
  let ws: Workspace;
  let verifier: RunningVerifier;
  let prometheus: RunningPrometheus;
  let scrape: string;

  beforeAll(async () => {
    const setup = await multiplierWorkspace("metrics", 3);
    ws = setup.ws;
    const [base, a, b] = setup.proofs as [ProofPair, ProofPair, ProofPair];
    // Verdicts here come from the stand-in (valid) and the edge's own judgement (malformed):
    // what is tested is how they are exposed. Real verdicts: agreement.test.ts.
    const gate = new GateChecker();
    gate.open();
    verifier = await start(ws, { checker: gate, baseRate: 0, recoverAfter: 2 });
    const ids = [];
    const first = submission(base, { circuit: "multiplier", uuid: GOOD_GPU });
    for (const body of [
      first,
      {
        ...submission(b, { circuit: "multiplier", uuid: BAD_GPU }),
        proof: { x: 1 },
      },
      // On probation after the malformed one: checked although the base rate is 0.
      submission(a, { circuit: "multiplier", uuid: BAD_GPU }),
    ]) {
      const reply = await post(verifier.url, body);
      expect(reply.status).toBe(202);
      ids.push(reply.body.id);
    }
    for (const id of ids) await decided(verifier.url, id);
    // A retry of the first submission: the same job from the same GPU.
    expect((await post(verifier.url, first)).status).toBe(200);
    await post(verifier.url, "nonsense");
    const address = verifier.address;
    prometheus = await startPrometheus({ targets: [`127.0.0.1:${address.port}`] });
    scrape = await (await fetch(`${verifier.url}/metrics`)).text();
  });
  afterAll(async () => {
    await prometheus?.stop();
    await verifier?.close();
    await ws?.cleanup();
  });

  it("serves the documented names, types and labels", () => {
    const exposition = parseExposition(scrape);
    const types = familyTypes(exposition, "proofwatch_verifier_");

    expect(types).toEqual({
      proofwatch_verifier_batch_size: "histogram",
      proofwatch_verifier_circuits: "gauge",
      // Declared from the start; their series come with the first event.
      proofwatch_verifier_http_requests_refused_total: "counter",
      proofwatch_verifier_last_invalid_proof_timestamp_seconds: "gauge",
      proofwatch_verifier_proof_replays_total: "counter",
      proofwatch_verifier_proofs_checked_total: "counter",
      proofwatch_verifier_proofs_duplicate_total: "counter",
      proofwatch_verifier_proofs_received_total: "counter",
      proofwatch_verifier_proofs_skipped_total: "counter",
      proofwatch_verifier_queue_capacity: "gauge",
      proofwatch_verifier_queue_depth: "gauge",
      proofwatch_verifier_sampling_rate: "gauge",
      proofwatch_verifier_submissions_forbidden_total: "counter",
      proofwatch_verifier_submissions_rejected_total: "counter",
      proofwatch_verifier_verification_duration_seconds: "histogram",
      proofwatch_verifier_worker_failures_total: "counter",
    } satisfies Record<string, string>);
    expect(
      sampleValue(exposition, "proofwatch_verifier_proofs_received_total", {
        circuit: "multiplier",
        source: "http",
      }),
    ).toBe(3);
    expect(
      sampleValue(exposition, "proofwatch_verifier_proofs_checked_total", {
        result: "malformed",
        circuit: "multiplier",
        uuid: BAD_GPU,
      }),
    ).toBe(1);
    expect(
      sampleValue(exposition, "proofwatch_verifier_submissions_rejected_total", {
        reason: "bad_request",
      }),
    ).toBe(1);
    expect(
      sampleValue(exposition, "proofwatch_verifier_proofs_skipped_total", {
        circuit: "multiplier",
        uuid: GOOD_GPU,
      }),
    ).toBe(1);
    expect(sampleValue(exposition, "proofwatch_verifier_sampling_rate", { uuid: BAD_GPU })).toBe(1);
    expect(sampleValue(exposition, "proofwatch_verifier_sampling_rate", { uuid: GOOD_GPU })).toBe(
      0,
    );
    expect(sampleValue(exposition, "proofwatch_verifier_circuits")).toBe(1);
    const lastInvalid = sampleValue(
      exposition,
      "proofwatch_verifier_last_invalid_proof_timestamp_seconds",
      { uuid: BAD_GPU },
    );
    expect(Math.abs(lastInvalid - Date.now() / 1000)).toBeLessThan(120);
  });

  it("serves the process metrics and its build info, documented", () => {
    const self = selfMetrics(parseExposition(scrape));
    expect(self.processFamilies).toEqual(PROCESS_FAMILIES);
    expect(self.buildInfo).toEqual([
      {
        name: "proofwatch_build_info",
        labels: {
          version: packageVersion(),
          component: "verifier",
          nodejs_version: process.versions.node,
        },
        value: 1,
      },
    ]);
    expect(self.undocumented).toEqual([]);
  });

  it("passes promtool check metrics on a saved scrape", () => {
    const check = promtoolCheckMetrics(scrape);

    expect(check.output).toBe("");
    expect(check.status).toBe(0);
  });

  it("is read back by a real Prometheus, joinable with the exporter on uuid", async () => {
    const checked = await eventually(
      async () => {
        const result = await prometheus.query(
          'sum by (uuid, result) (proofwatch_verifier_proofs_checked_total{result!="valid"})',
        );
        return result.length > 0 ? result : undefined;
      },
      30_000,
      "the checked counter in Prometheus",
    );
    expect(checked.map((r) => [r.metric.uuid, r.metric.result, r.value[1]])).toEqual([
      [BAD_GPU, "malformed", "1"],
    ]);
    const rate = await prometheus.query(
      `proofwatch_verifier_sampling_rate == 1 and on (uuid) proofwatch_verifier_last_invalid_proof_timestamp_seconds`,
    );
    expect(rate.map((r) => r.metric.uuid)).toEqual([BAD_GPU]);
  });

  it("documents every metric it serves in docs/metrics.md", () => {
    const names = Object.keys(familyTypes(parseExposition(scrape), "proofwatch_verifier_"));
    expect(undocumentedMetrics(names)).toEqual([]);
  });
});
