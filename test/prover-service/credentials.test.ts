// The prover service's credentials toward the verifier: a bearer token from
// --verifier-token-file on every delivery (a rotated file is used from the next proof on), a
// 401 taken as a configuration error (not retried, logged, counted as `unauthorized`, the
// token never in the job record), and mutual TLS with --verifier-ca, --verifier-cert and
// --verifier-key against an https verifier that requires a client certificate
// (test/helpers/pki.ts makes the certificates).
import { readFileSync, writeFileSync } from "node:fs";
import { rename, writeFile } from "node:fs/promises";
import { createServer } from "node:https";
import { join } from "node:path";
import type { TLSSocket } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeServer, listen } from "../../common/listen.js";
import { find, parseExposition } from "../../demo/src/exposition.js";
import { parseProverArgs } from "../../prover/service/src/cli.js";
import type { RunningProverService } from "../../prover/service/src/index.js";
import { readBody } from "../helpers/http.js";
import { type KeyPair, makePki } from "../helpers/pki.js";
import {
  finished,
  getJob,
  type Recorder,
  start,
  startRecorder,
  submitJob,
  until,
  type Workspace,
  workspace,
} from "./helpers.js";

const FIRST = "first-token-0123456789abcdef";
const SECOND = "second-token-0123456789abcdef";

async function writeToken(file: string, token: string): Promise<void> {
  await writeFile(`${file}.tmp`, `${token}\n`);
  await rename(`${file}.tmp`, file);
}

const prove = async (prover: RunningProverService) =>
  finished(
    prover.url,
    await submitJob(prover.url, { circuit: "multiplier", witnessValues: ["1", "33", "3", "11"] }),
  );

const delivered = (prover: RunningProverService, id: string) =>
  until(async () => {
    const job = await getJob(prover.url, id);
    return job.verifier.state === "pending" ? undefined : job;
  }, `the delivery of ${id}`);

/** Deliveries counted with `result` (0 while the series is absent). */
async function deliveries(prover: RunningProverService, result: string): Promise<number> {
  const scrape = parseExposition(await (await fetch(`${prover.url}/metrics`)).text());
  const samples = find(scrape, "proofwatch_prover_verifier_submissions_total", { result });
  return samples.reduce((sum, sample) => sum + sample.value, 0);
}

describe("a bearer token toward the verifier", () => {
  let ws: Workspace;
  let recorder: Recorder;
  let prover: RunningProverService;
  let tokenFile: string;

  beforeAll(async () => {
    ws = await workspace("credentials", 1);
    tokenFile = join(ws.dir, "verifier.token");
    await writeToken(tokenFile, FIRST);
    recorder = await startRecorder();
    prover = await start(ws, { verifierUrl: recorder.url, verifierTokenFile: tokenFile });
  });
  afterAll(async () => {
    await prover?.close();
    await recorder?.close();
    await ws?.cleanup();
  });

  it("sends the token with every delivery, and a rotated one from the next proof on", async () => {
    const first = await prove(prover);
    expect((await delivered(prover, first.id)).verifier.state).toBe("accepted");
    await writeToken(tokenFile, SECOND);
    const second = await prove(prover);
    expect((await delivered(prover, second.id)).verifier.state).toBe("accepted");

    expect(recorder.headers.map((h) => h.authorization)).toEqual([
      `Bearer ${FIRST}`,
      `Bearer ${SECOND}`,
    ]);
  });

  it("takes a 401 as final: not retried, counted as unauthorized, no token in the record", async () => {
    recorder.status = 401;
    const before = recorder.bodies.length;
    const job = await delivered(prover, (await prove(prover)).id);
    // Past the first retry's backoff (1 s): a retried delivery would have come again.
    await new Promise((resolve) => setTimeout(resolve, 1500));

    expect(job.verifier.state).toBe("rejected");
    expect(job.verifier.detail).toMatch(/HTTP 401: the verifier refused the credentials/);
    expect(JSON.stringify(job)).not.toContain(SECOND);
    expect(recorder.bodies.length - before).toBe(1);
    expect(await deliveries(prover, "unauthorized")).toBe(1);
    expect(await deliveries(prover, "error")).toBe(0);
    recorder.status = 202;
  });
});

describe("credential options", () => {
  const base = ["--circuits", "/c", "--out", "/o"];

  it("need a verifier, and a certificate its key", () => {
    expect(() => parseProverArgs([...base, "--no-verifier", "--verifier-token-file", "t"])).toThrow(
      /need --verifier URL/,
    );
    expect(() =>
      parseProverArgs([...base, "--verifier", "https://v", "--verifier-cert", "c.pem"]),
    ).toThrow(/--verifier-cert and --verifier-key go together/);
  });

  it("refuse TLS files for an http verifier and an empty token file at start", async () => {
    const ws = await workspace("credentials-start", 1);
    try {
      const empty = join(ws.dir, "empty.token");
      writeFileSync(empty, "\n");
      await expect(
        start(ws, { verifierUrl: "http://127.0.0.1:9", verifierTokenFile: empty }),
      ).rejects.toThrow(/empty/);
      await expect(
        start(ws, { verifierUrl: "http://127.0.0.1:9", verifierCaFile: empty }),
      ).rejects.toThrow(/need an https:\/\/ --verifier URL/);
    } finally {
      await ws.cleanup();
    }
  });
});

// --- mutual TLS -------------------------------------------------------------------------

describe("mutual TLS toward an https verifier", () => {
  let ws: Workspace;
  let prover: RunningProverService;
  let server: ReturnType<typeof createServer>;
  const peers: Array<{ authorized: boolean; cn: string | undefined }> = [];

  beforeAll(async () => {
    ws = await workspace("credentials-tls", 1);
    const pki = makePki(ws.dir, ["prover"]);
    const client = pki.clients.prover as KeyPair;
    server = createServer(
      {
        key: readFileSync(pki.server.key),
        cert: readFileSync(pki.server.cert),
        ca: readFileSync(pki.ca),
        requestCert: true,
        rejectUnauthorized: true,
      },
      async (req, res) => {
        await readBody(req);
        const socket = req.socket as TLSSocket;
        const cn = socket.getPeerCertificate().subject?.CN;
        peers.push({ authorized: socket.authorized, cn: Array.isArray(cn) ? cn[0] : cn });
        res.writeHead(202, { "content-type": "application/json" }).end("{}");
      },
    );
    const bound = await listen(server, { host: "127.0.0.1", port: 0 });
    prover = await start(ws, {
      verifierUrl: `https://127.0.0.1:${bound.port}`,
      verifierCaFile: pki.ca,
      verifierCertFile: client.cert,
      verifierKeyFile: client.key,
    });
  });
  afterAll(async () => {
    await prover?.close();
    if (server) await closeServer(server);
    await ws?.cleanup();
  });

  it("trusts the given CA and presents the client certificate", async () => {
    const job = await delivered(prover, (await prove(prover)).id);
    expect(job.verifier, JSON.stringify(job.verifier)).toMatchObject({ state: "accepted" });
    expect(peers).toEqual([{ authorized: true, cn: "prover" }]);
  });
});
