// Every service behind the web-security layer, through its real HTTP API and a web
// configuration file with a real token (the layer itself is tested in security.test.ts):
// a write without credentials is refused with 401 and changes nothing, the configured
// identity is accepted, and a changed file takes effect without a restart. The exporter has
// no writes: there the file closes its reads. The verifier also binds the identity to its
// host: naming another host's GPU gives 403 and records nothing (more in
// test/verifier/attribution.test.ts).
import { createHash, randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_WEB_FLAGS, type WebFlags } from "../../common/web/index.js";
import { fullGpu, ScenarioFile, startTestExporter } from "../exporter/harness.js";
import { postJson } from "../helpers/http.js";
import { makeTempDir } from "../helpers/tmpdir.js";
import { until } from "../helpers/until.js";
import * as proverHelpers from "../prover-service/helpers.js";
import * as quarantineHelpers from "../quarantine/helpers.js";
import * as verifierHelpers from "../verifier/helpers.js";

const token = () => randomBytes(24).toString("hex");
const sha256 = (text: string) => `sha256:${createHash("sha256").update(text).digest("hex")}`;
const bearer = (value: string) => ({ authorization: `Bearer ${value}` });

/** One service, started with a web configuration file the test rewrites. */
interface UnderTest {
  /** The request that changes state (or, for the exporter, the read the file closes). */
  attempt(headers: Record<string, string>): Promise<number>;
  /** How many changes the attempts have made so far (submissions stored, GPUs quarantined). */
  changes(): Promise<number>;
  /** Where the service binds identities to hosts: a write for another host's GPU. */
  attemptForeign?(headers: Record<string, string>): Promise<number>;
  close(): Promise<void>;
}

interface Case {
  service: string;
  /** Extra lines of the web configuration (read_access for the exporter). */
  extra?: string;
  start(web: WebFlags): Promise<UnderTest>;
}

const cases: Case[] = [
  {
    service: "exporter",
    extra: "read_access: authenticated",
    async start(web) {
      const exporter = await startTestExporter(new ScenarioFile({ devices: [fullGpu(0)] }), {
        web,
      });
      return {
        attempt: async (headers) => (await fetch(`${exporter.url}/metrics`, { headers })).status,
        changes: async () => 0,
        close: () => exporter.close(),
      };
    },
  },
  {
    service: "quarantine",
    async start(web) {
      const ws = quarantineHelpers.workspace();
      const service = await quarantineHelpers.start(ws, { web, auth: {} });
      let n = 0;
      return {
        attempt: async (headers) => {
          n += 1;
          const body = quarantineHelpers.payload([
            quarantineHelpers.alert({ uuid: `GPU-web-${n}` }),
          ]);
          return (await postJson(`${service.url}/v1/alertmanager`, body, { headers })).status;
        },
        changes: async () => (await quarantineHelpers.quarantineList(service.url)).gpus.length,
        close: async () => {
          await service.close();
          ws.remove();
        },
      };
    },
  },
  {
    service: "verifier",
    async start(web) {
      const { ws, proofs } = await verifierHelpers.multiplierWorkspace("web", 8);
      const proversFile = join(ws.dir, "provers.yml");
      writeFileSync(proversFile, "provers:\n  - identity: scheduler\n    hosts: [gpu-node-1]\n");
      const verifier = await verifierHelpers.start(ws, { web, proversFile });
      let n = 0;
      const post = (host: string, headers: Record<string, string>) => {
        const pair = proofs[n++ % proofs.length] as verifierHelpers.ProofPair;
        const body = verifierHelpers.submission(pair, { circuit: "multiplier", host });
        return postJson(`${verifier.url}/v1/proofs`, body, { headers });
      };
      return {
        attempt: async (headers) => (await post("gpu-node-1", headers)).status,
        attemptForeign: async (headers) => (await post("gpu-node-2", headers)).status,
        changes: async () =>
          (await verifierHelpers.getJson<{ verdicts: unknown[] }>(`${verifier.url}/v1/verdicts`))
            .verdicts.length,
        close: async () => {
          await verifier.close();
          await ws.cleanup();
        },
      };
    },
  },
  {
    service: "prover",
    async start(web) {
      const ws = await proverHelpers.workspace("web", 1);
      const service = await proverHelpers.start(ws, { web });
      const body = {
        circuit: "multiplier",
        witnessFile: proverHelpers.fixture(ws, "multiplier").wtns,
      };
      return {
        attempt: async (headers) =>
          (await postJson(`${service.url}/v1/jobs`, body, { headers })).status,
        changes: async () => {
          const reply = await fetch(`${service.url}/v1/jobs`);
          return ((await reply.json()) as { jobs: unknown[] }).jobs.length;
        },
        close: async () => {
          await service.close();
          await ws.cleanup();
        },
      };
    },
  },
];

describe.each(cases)("$service behind --web.config.file", (testCase) => {
  let tmp: { dir: string; cleanup(): Promise<void> };
  let service: UnderTest;
  let configFile: string;
  const first = token();
  const second = token();
  const writeConfig = (name: string, value: string) =>
    writeFileSync(
      configFile,
      `bearer_tokens:\n  ${name}: "${sha256(value)}"\n${testCase.extra ?? ""}\n`,
    );

  beforeAll(async () => {
    tmp = await makeTempDir(`web-${testCase.service}`);
    configFile = join(tmp.dir, "web.yml");
    writeConfig("scheduler", first);
    service = await testCase.start({ ...DEFAULT_WEB_FLAGS, configFile });
  });
  afterAll(async () => {
    await service?.close();
    await tmp.cleanup();
  });

  it("refuses a request without credentials, or with wrong ones, and changes nothing", async () => {
    expect(await service.attempt({})).toBe(401);
    expect(await service.attempt(bearer(second))).toBe(401);
    expect(await service.changes()).toBe(0);
  });

  it.runIf(testCase.service === "verifier")(
    "refuses the identity a GPU of another host (403) and records nothing",
    async () => {
      expect(await service.attemptForeign?.(bearer(first))).toBe(403);
      expect(await service.changes()).toBe(0);
    },
  );

  it("accepts the configured identity", async () => {
    const status = await service.attempt(bearer(first));
    expect(status).toBeGreaterThanOrEqual(200);
    expect(status).toBeLessThan(300);
    if (testCase.service !== "exporter") expect(await service.changes()).toBe(1);
  });

  it("takes a changed web configuration without a restart", async () => {
    writeConfig("scheduler", second);
    await until(
      async () => ((await service.attempt(bearer(first))) === 401 ? true : undefined),
      "the old token to be refused",
      10_000,
    );
    const status = await service.attempt(bearer(second));
    expect(status).toBeLessThan(300);
  });
});
