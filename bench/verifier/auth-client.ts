// The prover fleet of bench/verifier/auth.ts, in a child process of its own so that its CPU
// time is counted apart from the verifier's and its event loop never delays the service's.
// Each identity is one prover host with its own keep-alive agent (its own client certificate
// for mTLS) and one request in flight per slot; request bodies are serialised before the
// clock starts. Driven over the IPC channel: "prepare" (build the bodies, open every
// connection with one authenticated GET each, which also fills the service's credential
// cache), then "go", then "close".
import { readFileSync } from "node:fs";
import { Agent as HttpAgent, request as httpRequest } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";

export interface ClientIdentity {
  name: string;
  /** The Authorization header this identity sends, if any. */
  authorization?: string;
  /** PEM client certificate and key (mTLS). */
  cert?: string;
  key?: string;
  gpus: ReadonlyArray<{ uuid: string; host: string }>;
}

export interface PrepareMessage {
  type: "prepare";
  url: string;
  /** PEM CA the server's certificate is checked against (HTTPS only). */
  ca?: string;
  identities: ClientIdentity[];
  concurrency: number;
  /** JSON file: an array of {proof, publicSignals}, one submission each. */
  proofsFile: string;
  circuit: string;
  /** Prefix of this run's job ids. */
  runTag: string;
}

export type ParentMessage = PrepareMessage | { type: "go" } | { type: "close" };

export interface SubmittedReport {
  type: "submitted";
  /** performance.timeOrigin + performance.now() of the first request and of the last reply. */
  firstSentAt: number;
  lastReplyAt: number;
  /** This process's CPU time (user + system) from "go" to the last reply, ms. */
  cpuMs: number;
  latencyMs: { p50: number; p99: number };
  /** Replies other than 202, by status, and the first such body. */
  refused: Record<string, number>;
  firstRefusal?: string;
}

export type ClientMessage =
  | { type: "ready"; warmupMs: number; connections: number }
  | SubmittedReport
  | { type: "closed" }
  | { type: "error"; error: string };

interface Slot {
  agent: HttpAgent;
  headers: Record<string, string>;
  bodies: Buffer[];
}

const epochMs = () => performance.timeOrigin + performance.now();

let prepared:
  | { message: PrepareMessage; slots: Slot[][]; agents: HttpAgent[]; total: number }
  | undefined;
const proofsCache = new Map<string, Array<{ proof: unknown; publicSignals: unknown }>>();

function send(message: ClientMessage): void {
  process.send?.(message);
}

function post(
  message: PrepareMessage,
  agent: HttpAgent,
  method: "GET" | "POST",
  path: string,
  headers: Record<string, string>,
  body?: Buffer,
): Promise<{ status: number; text: string }> {
  const https = message.url.startsWith("https:");
  const request = https ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      `${message.url}${path}`,
      {
        method,
        agent,
        headers: body
          ? { ...headers, "content-type": "application/json", "content-length": body.length }
          : headers,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

async function prepare(message: PrepareMessage): Promise<void> {
  let proofs = proofsCache.get(message.proofsFile);
  if (!proofs) {
    proofs = JSON.parse(readFileSync(message.proofsFile, "utf8")) as Array<{
      proof: unknown;
      publicSignals: unknown;
    }>;
    proofsCache.set(message.proofsFile, proofs);
  }
  const https = message.url.startsWith("https:");
  const perIdentity = Math.max(1, Math.floor(message.concurrency / message.identities.length));
  const gpus = message.identities.flatMap((identity, owner) =>
    identity.gpus.map((gpu) => ({ ...gpu, owner })),
  );
  // Request i comes from GPU i mod |gpus|; each identity's slots share its requests.
  const slots: Slot[][] = message.identities.map(() => []);
  const agents: HttpAgent[] = [];
  for (const [k, identity] of message.identities.entries()) {
    const agentOptions = { keepAlive: true, maxSockets: perIdentity, maxFreeSockets: perIdentity };
    const agent = https
      ? new HttpsAgent({
          ...agentOptions,
          ...(message.ca ? { ca: message.ca } : {}),
          ...(identity.cert && identity.key ? { cert: identity.cert, key: identity.key } : {}),
        })
      : new HttpAgent(agentOptions);
    agents.push(agent);
    const headers: Record<string, string> = identity.authorization
      ? { authorization: identity.authorization }
      : {};
    for (let s = 0; s < perIdentity; s++) slots[k]?.push({ agent, headers, bodies: [] });
  }
  const next = message.identities.map(() => 0);
  proofs.forEach((pair, i) => {
    const gpu = gpus[i % gpus.length] as (typeof gpus)[number];
    const own = slots[gpu.owner] as Slot[];
    const slot = own[(next[gpu.owner] as number) % own.length] as Slot;
    next[gpu.owner] = (next[gpu.owner] as number) + 1;
    slot.bodies.push(
      Buffer.from(
        JSON.stringify({
          circuit: message.circuit,
          proof: pair.proof,
          publicSignals: pair.publicSignals,
          gpu: { uuid: gpu.uuid, host: gpu.host },
          prover: "bench/verifier/auth",
          jobId: `${message.runTag}-${i}`,
        }),
      ),
    );
  });

  // One authenticated GET per slot, all at once: every keep-alive connection is open (TLS
  // handshakes done) and every credential checked once before the clock starts.
  const t0 = performance.now();
  await Promise.all(
    slots.flat().map(async (slot) => {
      const reply = await post(message, slot.agent, "GET", "/healthz", slot.headers);
      if (reply.status !== 200) throw new Error(`warm-up GET /healthz: ${reply.status}`);
    }),
  );
  const warmupMs = performance.now() - t0;
  prepared = { message, slots, agents, total: proofs.length };
  send({ type: "ready", warmupMs, connections: slots.flat().length });
}

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

async function go(): Promise<void> {
  if (!prepared) throw new Error("go before prepare");
  const { message, slots } = prepared;
  const latencies: number[] = [];
  const refused: Record<string, number> = {};
  let firstRefusal: string | undefined;
  const cpu0 = process.cpuUsage();
  const firstSentAt = epochMs();
  await Promise.all(
    slots.flat().map(async (slot) => {
      for (const body of slot.bodies) {
        const t = performance.now();
        const reply = await post(message, slot.agent, "POST", "/v1/proofs", slot.headers, body);
        latencies.push(performance.now() - t);
        if (reply.status !== 202) {
          refused[reply.status] = (refused[reply.status] ?? 0) + 1;
          firstRefusal ??= reply.text;
        }
      }
    }),
  );
  const lastReplyAt = epochMs();
  const cpu = process.cpuUsage(cpu0);
  latencies.sort((a, b) => a - b);
  send({
    type: "submitted",
    firstSentAt,
    lastReplyAt,
    cpuMs: (cpu.user + cpu.system) / 1000,
    latencyMs: { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) },
    refused,
    ...(firstRefusal === undefined ? {} : { firstRefusal }),
  });
}

function close(): void {
  for (const agent of prepared?.agents ?? []) agent.destroy();
  prepared = undefined;
  send({ type: "closed" });
}

process.on("message", (message: ParentMessage) => {
  const step =
    message.type === "prepare"
      ? prepare(message)
      : message.type === "go"
        ? go()
        : Promise.resolve(close());
  step.catch((error: unknown) => send({ type: "error", error: String(error) }));
});
process.on("disconnect", () => process.exit(0));
