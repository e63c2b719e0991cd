/**
 * Client for `prover/build/prover-testkit`: one JSON request a line on stdin, one JSON
 * response a line on stdout, `{"id", "result"}` or `{"id", "error"}` (protocol in
 * prover/README.md). Requests are pipelined: many can be in flight, matched by id.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createInterface } from "node:readline";
import { type Fq2Element, type G1Point, type G2Point, parseDecimal } from "../helpers/bn254.js";
import { testkitPath } from "./fixtures.js";

export const testkitPresent = existsSync(testkitPath);
export const testkitMissingReason = `prover-testkit not built (${testkitPath}); run \`npm run build\``;

/** A request the testkit refused, with its message. */
export class TestkitError extends Error {}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

export class Testkit {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private stderr = "";

  /** `env` replaces the testkit's environment (default: this process's). */
  constructor(args: readonly string[] = [], env?: NodeJS.ProcessEnv) {
    this.child = spawn(testkitPath, args, {
      stdio: ["pipe", "pipe", "pipe"],
      env: env ?? process.env,
    });
    this.child.stderr.on("data", (chunk: Buffer) => {
      this.stderr += chunk.toString("utf8");
    });
    createInterface({ input: this.child.stdout }).on("line", (line) => this.onLine(line));
    this.child.on("close", (code, signal) => {
      const error = new Error(
        `prover-testkit exited (${code ?? signal}) with requests in flight\n${this.stderr}`,
      );
      for (const p of this.pending.values()) p.reject(error);
      this.pending.clear();
    });
  }

  private onLine(line: string): void {
    const message: unknown = JSON.parse(line);
    if (typeof message !== "object" || message === null) throw new Error(`testkit: ${line}`);
    const { id, result, error } = message as { id?: unknown; result?: unknown; error?: unknown };
    const pending = typeof id === "number" ? this.pending.get(id) : undefined;
    if (!pending) throw new Error(`testkit answered an unknown request: ${line}`);
    this.pending.delete(id as number);
    if (typeof error === "string") pending.reject(new TestkitError(error));
    else if (result === undefined) pending.reject(new Error(`testkit: no result in ${line}`));
    else pending.resolve(result);
  }

  /** Sends `{op, ...params}` and resolves with the `result`, or rejects with its error. */
  request(op: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.stdin.write(`${JSON.stringify({ id, op, ...params })}\n`);
    });
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const closed = new Promise((resolve) => this.child.once("close", resolve));
    this.child.stdin.end();
    await closed;
  }
}

/** Decimal-string encodings the testkit reads and writes. */
export const encode = {
  field: (x: bigint): string => x.toString(),
  fq2: (x: Fq2Element): [string, string] => [x[0].toString(), x[1].toString()],
  /** Affine [x, y]; the point at infinity is [0, 0] as in the zkey format. */
  g1: (p: G1Point): [string, string] =>
    p === null ? ["0", "0"] : [p.x.toString(), p.y.toString()],
  g2: (p: G2Point): [[string, string], [string, string]] =>
    p === null
      ? [
          ["0", "0"],
          ["0", "0"],
        ]
      : [encode.fq2(p.x), encode.fq2(p.y)],
};

function pair(value: unknown, what: string): [unknown, unknown] {
  if (!Array.isArray(value) || value.length !== 2) {
    throw new TypeError(`${what}: want a pair, got ${JSON.stringify(value)}`);
  }
  return [value[0], value[1]];
}

export const decode = {
  field: (value: unknown): bigint => parseDecimal(value),
  fields: (value: unknown): bigint[] => {
    if (!Array.isArray(value)) throw new TypeError(`want an array, got ${JSON.stringify(value)}`);
    return value.map(parseDecimal);
  },
  fq2: (value: unknown): Fq2Element => {
    const [c0, c1] = pair(value, "Fq2");
    return [parseDecimal(c0), parseDecimal(c1)];
  },
  g1: (value: unknown): G1Point => {
    const [x, y] = pair(value, "G1").map(parseDecimal) as [bigint, bigint];
    return x === 0n && y === 0n ? null : { x, y };
  },
  g2: (value: unknown): G2Point => {
    const [x, y] = pair(value, "G2").map(decode.fq2) as [Fq2Element, Fq2Element];
    return x[0] === 0n && x[1] === 0n && y[0] === 0n && y[1] === 0n ? null : { x, y };
  },
};
