// The verifier's part of a proof job's trace (common/tracing.ts). A submission continues the
// `traceparent` the prover sent: a server span for the request, then, under it, one span for
// the time the proof waited in the queue, one for the batch check it was part of (a batch is
// several jobs' proofs: each job's trace gets its own span of the same check, linked to the
// other proofs' requests), and one for recording its verdict. The checks happen later than the
// request, so the request's context is kept by proof id until the verdict is recorded.
import {
  type Context,
  context,
  type Link,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";
import { createTracing, type Tracing } from "../../common/tracing.js";

export function createVerifierTracing(endpoint: string | null): Tracing {
  return createTracing({ service: "proofwatch-verifier", endpoint });
}

interface ProofTrace {
  /** The request span's context: the parent of the proof's later spans. */
  parent: Context;
  queue?: Span;
  check?: Span;
}

/** The verdict spans of one recording, ended together after the commit. */
export interface VerdictSpans {
  /** Runs `fn` under the proof's verdict span (its log lines carry the job's trace id). */
  within<T>(id: number, fn: () => T): T;
  end(results: ReadonlyMap<number, string>): void;
}

export class ProofTraces {
  private readonly proofs = new Map<number, ProofTrace>();

  /**
   * @param tracing null: no spans (a service built without tracing, as in some tests).
   * @param limit proofs whose spans are kept open at most; the oldest are ended first (a proof
   *   whose circuit went away stays stored, and is checked much later or never).
   */
  constructor(
    private readonly tracing: Tracing | null,
    private readonly limit = 100_000,
  ) {}

  /** The server span of a proof submission, continuing the caller's trace. */
  request(headers: Record<string, string | string[] | undefined>): Span | null {
    if (!this.tracing) return null;
    return this.tracing.tracer.startSpan(
      "verifier.submit",
      {
        kind: SpanKind.SERVER,
        attributes: { "http.request.method": "POST", "url.path": "/v1/proofs" },
      },
      this.tracing.extract(headers),
    );
  }

  /** A proof was accepted and queued under `parent` (its request's context). */
  queued(id: number, parent: Context | undefined): void {
    if (!this.tracing || !parent) return;
    const queue = this.tracing.tracer.startSpan("verifier.queue", {}, parent);
    queue.setAttribute("proof.id", id);
    this.proofs.set(id, { parent, queue });
    while (this.proofs.size > this.limit) {
      const [oldest, spans] = this.proofs.entries().next().value as [number, ProofTrace];
      spans.queue?.end();
      spans.check?.end();
      this.proofs.delete(oldest);
    }
  }

  /** A batch starts: each traced proof leaves the queue and its check span starts. */
  checking(ids: readonly number[], circuit: string): void {
    if (!this.tracing) return;
    const traced = ids.flatMap((id) => {
      const proof = this.proofs.get(id);
      return proof ? [[id, proof] as const] : [];
    });
    for (const [id, proof] of traced) {
      proof.queue?.end();
      delete proof.queue;
      proof.check?.end(); // a batch put back (its key went away while it waited)
      const links: Link[] = traced
        .filter(([other]) => other !== id)
        .flatMap(([, other]) => {
          const span = trace.getSpanContext(other.parent);
          return span ? [{ context: span }] : [];
        });
      proof.check = this.tracing.tracer.startSpan(
        "verifier.batch_check",
        {
          attributes: { "proof.id": id, circuit, "verifier.batch.size": ids.length },
          links,
        },
        proof.parent,
      );
    }
  }

  /** A batch failed: its check spans end with the error; the proofs are tried again later. */
  failed(ids: readonly number[], error: Error): void {
    for (const id of ids) {
      const check = this.proofs.get(id)?.check;
      if (!check) continue;
      check.recordException(error);
      check.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
      check.end();
      delete this.proofs.get(id)?.check;
    }
  }

  /** Verdicts are about to be recorded: check spans end, verdict spans start. */
  verdicts(ids: readonly number[]): VerdictSpans {
    const open = new Map<number, { parent: Context; span: Span }>();
    if (this.tracing) {
      for (const id of ids) {
        const proof = this.proofs.get(id);
        if (!proof) continue;
        proof.queue?.end(); // judged without a batch (not a proof)
        proof.check?.end();
        this.proofs.delete(id);
        const span = this.tracing.tracer.startSpan(
          "verifier.verdict",
          { attributes: { "proof.id": id } },
          proof.parent,
        );
        open.set(id, { parent: proof.parent, span });
      }
    }
    return {
      within: (id, fn) => {
        const verdict = open.get(id);
        return verdict ? context.with(trace.setSpan(verdict.parent, verdict.span), fn) : fn();
      },
      end: (results) => {
        for (const [id, { span }] of open) {
          const result = results.get(id);
          if (result !== undefined) span.setAttribute("verifier.verdict", result);
          span.end();
        }
      },
    };
  }
}
