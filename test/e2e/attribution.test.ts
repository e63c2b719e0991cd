// Forged evidence never takes a GPU out of service (docs/security.md, "Attribution"): the
// suite as the demo runs it (demo/src/suite.ts: credentials made for the run, the verifier's
// --provers binding the suite's prover to its host), with Prometheus running the shipped rules
// and Alertmanager the shipped routes, at 1-second intervals. Callers that are not the host's
// prover send forged invalid proofs naming one of its GPUs, enough for
// ProofwatchGpuInvalidProofs to fire had they counted: a caller without credentials (401) and
// a prover identity bound to another host (403). Past the rule's next evaluation the GPU is
// still in service and the verifier holds nothing from them. Then the host's own prover makes
// the same fault, and the GPU is quarantined: the chain that stayed quiet was live.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALERTMANAGER_BINARY } from "../../demo/src/alertmanager.js";
import { bearer } from "../../demo/src/credentials.js";
import { type Feeder, startFeeder } from "../../demo/src/feeder.js";
import { PROMETHEUS_BINARY } from "../../demo/src/prometheus.js";
import {
  DEMO_CIRCUIT,
  getJson,
  injectInvalidProofs,
  quarantineList,
  SUITE_HOST,
  type Suite,
  startSuite,
} from "../../demo/src/suite.js";
import { until, uuidOf, writeFleet } from "./helpers.js";

const GPUS = 2;
const TARGET = 1;
/** A host the verifier knows a prover identity for, whose prover is not the suite's. */
const FORGER_HOST = "10.0.0.9";
/** Forged submissions per caller: more than the one invalid proof the rule fires on. */
const FORGERIES = 5;

interface Verdict {
  id: number;
  jobId: string;
  host: string;
  status: string;
  result: string | null;
  /** "<method>:<name>" of the identity that submitted it. */
  submittedBy: string | null;
}

interface GpuSummary {
  uuid: string;
  counts: { valid: number; invalid: number; malformed: number };
}

const verdicts = async (suite: Suite, uuid: string) =>
  (
    await getJson<{ verdicts: Verdict[] }>(
      `${suite.urls.verifier}/v1/verdicts?gpu=${encodeURIComponent(uuid)}&limit=10000`,
    )
  ).verdicts;

/** An instant query; the result's series. */
async function query(suite: Suite, promql: string) {
  const body = await getJson<{
    data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
  }>(`${suite.urls.prometheus}/api/v1/query?query=${encodeURIComponent(promql)}`);
  return body.data.result;
}

/** The shipped rule as Prometheus runs it: its health, and when its group last ran. */
async function invalidProofsRule(suite: Suite) {
  const body = await getJson<{
    data: {
      groups: Array<{
        lastEvaluation: string;
        rules: Array<{ name: string; health: string; lastError?: string }>;
      }>;
    };
  }>(`${suite.urls.prometheus}/api/v1/rules?type=alert`);
  for (const group of body.data.groups) {
    const rule = group.rules.find((r) => r.name === "ProofwatchGpuInvalidProofs");
    if (rule) return { ...rule, lastEvaluation: Date.parse(group.lastEvaluation) };
  }
  throw new Error("ProofwatchGpuInvalidProofs is not loaded");
}

describe("forged invalid proofs, end to end", () => {
  let dir: string;
  let suite: Suite;
  let feeder: Feeder;

  beforeAll(async () => {
    for (const binary of [PROMETHEUS_BINARY, ALERTMANAGER_BINARY]) {
      if (!existsSync(binary)) throw new Error(`${binary} missing: bash scripts/setup.sh`);
    }
    dir = mkdtempSync(join(tmpdir(), "proofwatch-e2e-attribution-"));
    const scenario = join(dir, "fleet.json");
    writeFleet(scenario, GPUS);
    suite = await startSuite({
      scenario,
      scrapeInterval: "1s",
      evaluationInterval: "1s",
      quarantineInterval: "500ms",
      // One GPU of two may go: the one the host's own prover gets wrong, at the end.
      fleetSize: GPUS,
      maxShare: 0.5,
      otherProverHosts: [FORGER_HOST],
    });
    feeder = startFeeder(suite, 2, "attribution");
    // Every GPU has proved and been checked, and Prometheus knows the fleet (the rule joins
    // the verifier's counts with the exporter's proofwatch_gpu_info).
    await until(async () => {
      const { gpus } = await getJson<{ gpus: GpuSummary[] }>(`${suite.urls.verifier}/v1/gpus`);
      const info = await query(suite, "proofwatch_gpu_info");
      return gpus.length === GPUS && gpus.every((g) => g.counts.valid > 0) && info.length === GPUS
        ? true
        : undefined;
    }, "a valid proof from every GPU, and the fleet in Prometheus");
  }, 120_000);
  afterAll(async () => {
    await feeder?.stop();
    await suite?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("refuses forged proofs for the host's GPU from anyone but its prover, and keeps the GPU in service", {
    timeout: 60_000,
  }, async () => {
    const uuid = uuidOf(TARGET);
    // Arrange: a real proof of this run, presented as new work with another expectation, so
    // that it would be judged invalid (a replay, and the wrong public signal) if stored.
    const proofDir = join(suite.dir, "proofs");
    const job = readdirSync(proofDir).find((name) =>
      existsSync(join(proofDir, name, "public.json")),
    );
    expect(job).toBeDefined();
    const proof = JSON.parse(readFileSync(join(proofDir, job as string, "proof.json"), "utf8"));
    const publicSignals = JSON.parse(
      readFileSync(join(proofDir, job as string, "public.json"), "utf8"),
    ) as string[];
    let n = 0;
    const forge = (host: string, headers: Record<string, string>) => {
      n += 1;
      return fetch(`${suite.urls.verifier}/v1/proofs`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify({
          circuit: DEMO_CIRCUIT,
          proof,
          publicSignals,
          expectedPublicSignals: publicSignals.map((s) => (BigInt(s) + 1n).toString()),
          gpu: { uuid, host },
          prover: "forger",
          jobId: `forged-${n}`,
        }),
      });
    };
    const forger = suite.credentials.otherProvers.find((c) => c.name === FORGER_HOST);
    expect(forger).toBeDefined();
    const callers = [
      // (a) no credentials, and a token nobody was given
      { host: SUITE_HOST, headers: {}, status: 401 },
      { host: SUITE_HOST, headers: bearer({ token: "f".repeat(64) }), status: 401 },
      // (b) a valid prover identity of another host: naming the suite's host, or its own
      // host with the suite's GPU
      { host: SUITE_HOST, headers: bearer(forger as { token: string }), status: 403 },
      { host: FORGER_HOST, headers: bearer(forger as { token: string }), status: 403 },
    ];

    // Act
    const sentAt = Date.now();
    for (const caller of callers) {
      for (let i = 0; i < FORGERIES; i++) {
        const response = await forge(caller.host, caller.headers);
        expect(response.status, `${JSON.stringify(caller)}: ${await response.text()}`).toBe(
          caller.status,
        );
      }
    }
    // Prometheus has scraped the verifier after the last forgery (its refusals are counted:
    // 401s by the web layer, 403s by attribution, each for its reason), and the rules have been
    // evaluated since: had a forgery counted, the alert would fire now.
    const sum = async (promql: string) =>
      Number((await query(suite, `sum(${promql})`))[0]?.value[1] ?? 0);
    const counted = async () => ({
      unauthenticated: await sum(
        'proofwatch_verifier_http_requests_refused_total{reason=~"unauthenticated|bad_credentials"}',
      ),
      foreignHost: await sum(
        'proofwatch_verifier_submissions_forbidden_total{reason="foreign_host"}',
      ),
      foreignGpu: await sum(
        'proofwatch_verifier_submissions_forbidden_total{reason="foreign_gpu"}',
      ),
    });
    await until(async () => {
      const now = await counted();
      return now.unauthenticated >= 2 * FORGERIES &&
        now.foreignHost + now.foreignGpu >= 2 * FORGERIES
        ? true
        : undefined;
    }, "Prometheus to scrape the verifier's refusals");
    const scrapedBy = Date.now();
    const rule = await until(async () => {
      const current = await invalidProofsRule(suite);
      return current.lastEvaluation > scrapedBy + 1_000 ? current : undefined;
    }, "ProofwatchGpuInvalidProofs evaluated on the scrape that saw the forgeries");
    // Alertmanager sends at once (group_wait 0s) and the webhook acts in milliseconds: leave
    // it a few seconds to act on an alert it should never have got.
    await new Promise((resolve) => setTimeout(resolve, 3_000));

    // Assert: the rule ran and never fired for the GPU, nothing counted against it, it is
    // in service, and the verifier stored nothing from the forger.
    expect(rule.health, rule.lastError).toBe("ok");
    const window = `${Math.ceil((Date.now() - sentAt) / 1000) + 5}s`;
    expect(
      await query(
        suite,
        `count_over_time(ALERTS{alertname="ProofwatchGpuInvalidProofs",uuid="${uuid}"}[${window}])`,
      ),
    ).toEqual([]);
    expect(
      await query(
        suite,
        `proofwatch_verifier_proofs_checked_total{result!="valid",uuid="${uuid}"}`,
      ),
    ).toEqual([]);
    expect((await quarantineList(suite)).gpus).toEqual([]);
    const { gpus } = await getJson<{ gpus: GpuSummary[] }>(`${suite.urls.verifier}/v1/gpus`);
    expect(gpus.find((g) => g.uuid === uuid)?.counts).toMatchObject({ invalid: 0, malformed: 0 });
    // The forger naming this host was refused for the host, naming its own for the GPU (which
    // the verifier has on this host).
    expect(await counted()).toEqual({
      unauthenticated: 2 * FORGERIES,
      foreignHost: FORGERIES,
      foreignGpu: FORGERIES,
    });
    const stored = await verdicts(suite, uuid);
    expect(stored.length).toBeGreaterThan(0);
    expect(stored.filter((v) => v.jobId.startsWith("forged-"))).toEqual([]);
    expect(
      stored.filter((v) => v.host !== SUITE_HOST || v.submittedBy !== `bearer:${SUITE_HOST}`),
    ).toEqual([]);
  });

  it("quarantines the GPU when its own host's prover makes the same fault", {
    timeout: 60_000,
  }, async () => {
    const uuid = uuidOf(TARGET);

    await injectInvalidProofs(suite, uuid);

    const listed = await until(async () => {
      const list = await quarantineList(suite);
      return list.gpus.find((gpu) => gpu.uuid === uuid);
    }, "the GPU quarantined");
    expect(listed).toMatchObject({ host: SUITE_HOST, reason: "ProofwatchGpuInvalidProofs" });
    // On the evidence of the host's own prover, and nobody else's.
    const invalid = (await verdicts(suite, uuid)).filter((v) => v.result === "invalid");
    expect(invalid.length).toBeGreaterThan(0);
    expect(
      invalid.filter(
        (v) =>
          v.host !== SUITE_HOST ||
          v.submittedBy !== `bearer:${SUITE_HOST}` ||
          v.jobId.startsWith("forged-"),
      ),
    ).toEqual([]);
  });
});
