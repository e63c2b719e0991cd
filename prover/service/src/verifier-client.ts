// Delivers every proof to the verifier (`POST /v1/proofs`, docs/verifier.md) with the GPU's
// uuid, host, job id and the job's expected public signals. Whether a proof gets checked is
// the verifier's decision (sampling); this client never leaves one out.
//
// Deliveries go out in order, one at a time. A network error, a 5xx, a 408 or a 429 keeps the
// delivery at the head and retries it with backoff (1 s doubling to 30 s, or Retry-After);
// any other 4xx is permanent (logged and recorded on the job). A 401 or 403 means the
// verifier refused this service's credentials (verifier-credentials.ts): a configuration
// error that retrying cannot fix, so it is permanent too, logged as an error for every proof
// it costs and counted apart (`result="unauthorized"`). The backlog is in memory and
// bounded: past `maxBacklog` the oldest delivery is dropped, logged and counted, never silently.

import { type Agent, request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { type Context, context, ROOT_CONTEXT } from "@opentelemetry/api";
import type { Logger } from "../../../common/log.js";
import type { ProofSubmission } from "../../../contracts/index.js";
import type { DeliveryResult } from "./metrics.js";
import type { VerifierCredentials } from "./verifier-credentials.js";

export interface Delivery {
  body: ProofSubmission;
  headers: Record<string, string>;
  /** The trace context of the delivery's job: its log lines are written under it. */
  context?: Context;
  /** Called once with the outcome. */
  done(outcome: { state: "accepted" | "rejected" | "dropped"; detail: string }): void;
}

export interface VerifierClientOptions {
  url: string;
  maxBacklog: number;
  timeoutMs: number;
  credentials: VerifierCredentials;
  onResult(result: DeliveryResult): void;
}

/** Runs `fn` in the delivery's trace context (its job's), so its log lines carry that trace. */
const within = <T>(delivery: Delivery, fn: () => T): T =>
  context.with(delivery.context ?? ROOT_CONTEXT, fn);

const MIN_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 30_000;
/** Of a reply body, only this much is kept (it goes into a log line and the job record). */
const MAX_REPLY_BYTES = 64 * 1024;

interface Reply {
  status: number;
  retryAfter: string | undefined;
  text: string;
}

/** One POST over node:http(s), which takes the TLS agent that the global fetch cannot. */
function post(
  url: URL,
  body: string,
  headers: Record<string, string>,
  agent: Agent,
  timeoutMs: number,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === "https:" ? httpsRequest : httpRequest;
    const req = send(
      url,
      {
        method: "POST",
        headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
        agent,
        signal: AbortSignal.timeout(timeoutMs),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          if (size < MAX_REPLY_BYTES) chunks.push(chunk);
          size += chunk.length;
        });
        res.on("end", () => {
          const retryAfter = res.headers["retry-after"];
          resolve({
            status: res.statusCode ?? 0,
            retryAfter,
            text: Buffer.concat(chunks).subarray(0, MAX_REPLY_BYTES).toString("utf8"),
          });
        });
        res.on("error", reject);
        // A reply cut off (the timeout, a reset) may end in neither "end" nor "error".
        res.on("close", () => {
          if (!res.complete) reject(new Error("reply cut off"));
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

export class VerifierClient {
  private readonly backlog: Delivery[] = [];
  private backoffMs = MIN_BACKOFF_MS;
  private running = false;
  private closed = false;
  private wake: (() => void) | undefined;
  private sleeping: NodeJS.Timeout | undefined;
  private readonly endpoint: URL;

  constructor(
    private readonly options: VerifierClientOptions,
    private readonly log: Logger,
  ) {
    this.endpoint = new URL(`${options.url.replace(/\/+$/, "")}/v1/proofs`);
  }

  get pending(): number {
    return this.backlog.length;
  }

  submit(delivery: Delivery): void {
    delivery.context ??= context.active();
    if (this.closed) {
      delivery.done({ state: "dropped", detail: "service shutting down" });
      this.options.onResult("dropped");
      return;
    }
    this.backlog.push(delivery);
    while (this.backlog.length > this.options.maxBacklog) {
      const dropped = this.backlog.shift() as Delivery;
      within(dropped, () =>
        this.log.error("verifier backlog full: proof dropped", {
          job: dropped.body.jobId,
          uuid: dropped.body.gpu.uuid,
          backlog: this.options.maxBacklog,
        }),
      );
      this.options.onResult("dropped");
      dropped.done({ state: "dropped", detail: "verifier backlog full" });
    }
    // The loop serves every job's deliveries: it runs in no job's context, each one in its own.
    if (!this.running) void context.with(ROOT_CONTEXT, () => this.drain());
  }

  /** Stops; whatever is still waiting is logged (by job id) and reported dropped. */
  close(): void {
    this.closed = true;
    clearTimeout(this.sleeping);
    this.wake?.();
    this.options.credentials.close();
    for (const delivery of this.backlog.splice(0)) {
      within(delivery, () =>
        this.log.error("proof not delivered to the verifier before shutdown", {
          job: delivery.body.jobId,
          uuid: delivery.body.gpu.uuid,
        }),
      );
      this.options.onResult("dropped");
      delivery.done({ state: "dropped", detail: "service shut down before delivery" });
    }
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (!this.closed && this.backlog.length > 0) {
        const delivery = this.backlog[0] as Delivery;
        const outcome = await within(delivery, () => this.send(delivery));
        if (this.closed) return;
        if (outcome.retryAfterMs === undefined) {
          this.backlog.shift();
          this.backoffMs = MIN_BACKOFF_MS;
          delivery.done({ state: outcome.state, detail: outcome.detail });
          continue;
        }
        within(delivery, () =>
          this.log.warn("verifier unavailable; will retry", {
            job: delivery.body.jobId,
            error: outcome.detail,
            retryInMs: outcome.retryAfterMs,
            backlog: this.backlog.length,
          }),
        );
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          this.sleeping = setTimeout(resolve, outcome.retryAfterMs);
        });
        this.wake = undefined;
      }
    } finally {
      this.running = false;
    }
  }

  private async send(delivery: Delivery): Promise<{
    state: "accepted" | "rejected";
    detail: string;
    retryAfterMs?: number;
  }> {
    let reply: Reply;
    try {
      const presented = await this.options.credentials.present();
      reply = await post(
        this.endpoint,
        JSON.stringify(delivery.body),
        {
          "content-type": "application/json",
          ...delivery.headers,
          ...(presented.authorization ? { authorization: presented.authorization } : {}),
        },
        presented.agent,
        this.options.timeoutMs,
      );
    } catch (error) {
      this.options.onResult("error");
      const code = (error as NodeJS.ErrnoException).code;
      return { state: "rejected", detail: code ?? (error as Error).message, ...this.later() };
    }
    const { status, text } = reply;
    if (status >= 200 && status < 300) {
      this.options.onResult("accepted");
      return { state: "accepted", detail: text.slice(0, 500) };
    }
    if (status >= 500 || status === 429 || status === 408) {
      this.options.onResult("error");
      const retryAfter = Number(reply.retryAfter);
      return {
        state: "rejected",
        detail: `HTTP ${status}`,
        ...this.later(
          Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined,
        ),
      };
    }
    if (status === 401 || status === 403) {
      this.options.onResult("unauthorized");
      const credentials = this.options.credentials.describe();
      this.log.error(
        "the verifier refused this prover's credentials: proof not delivered and not retried; " +
          "check --verifier-token-file, --verifier-cert and --verifier-key against the verifier",
        { job: delivery.body.jobId, status, credentials, body: text.slice(0, 300) },
      );
      return {
        state: "rejected",
        detail: `HTTP ${status}: the verifier refused the credentials (${credentials})`,
      };
    }
    this.options.onResult("rejected");
    this.log.error("verifier refused a proof", {
      job: delivery.body.jobId,
      status,
      body: text.slice(0, 300),
    });
    return { state: "rejected", detail: `HTTP ${status}: ${text.slice(0, 300)}` };
  }

  private later(hintMs?: number): { retryAfterMs: number } {
    const wait = Math.min(hintMs ?? this.backoffMs, MAX_BACKOFF_MS);
    this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
    return { retryAfterMs: wait };
  }
}
