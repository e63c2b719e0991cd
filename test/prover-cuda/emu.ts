/**
 * Client for `prover/build/prover-cuda-emu`: the CUDA backend's kernel bodies run on the
 * CPU grid emulator (and, where a GPU is present, on the GPU), each answer compared by
 * the binary with the CPU backend. One request a line of words, one JSON answer a line,
 * in order (protocol at the top of prover/tests/cuda_emu.cpp).
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { repoRoot } from "../prover/fixtures.js";

export const emuPath =
  process.env.PROOFWATCH_PROVER_CUDA_EMU ?? join(repoRoot, "prover/build/prover-cuda-emu");
export const emuPresent = existsSync(emuPath);
export const emuMissingReason = `prover-cuda-emu not built (${emuPath}); run \`npm run build\``;

/** A request the binary refused; code is the prover exit code where it gave one (8: no CUDA). */
export class EmuError extends Error {
  constructor(
    message: string,
    readonly code: number | undefined,
  ) {
    super(message);
  }
}

interface Pending {
  resolve: (value: Record<string, unknown>) => void;
  reject: (error: Error) => void;
}

export class CudaEmu {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly queue: Pending[] = [];
  private stderr = "";

  constructor(args: readonly string[] = []) {
    this.child = spawn(emuPath, args, { stdio: ["pipe", "pipe", "pipe"] });
    this.child.stderr.on("data", (chunk: Buffer) => {
      this.stderr += chunk.toString("utf8");
    });
    createInterface({ input: this.child.stdout }).on("line", (line) => this.onLine(line));
    this.child.on("close", (code, signal) => {
      const error = new Error(`prover-cuda-emu exited (${code ?? signal})\n${this.stderr}`);
      for (const p of this.queue.splice(0)) p.reject(error);
    });
  }

  private onLine(line: string): void {
    const pending = this.queue.shift();
    if (!pending) throw new Error(`prover-cuda-emu answered nothing asked: ${line}`);
    const message: unknown = JSON.parse(line);
    if (typeof message !== "object" || message === null || Array.isArray(message)) {
      pending.reject(new Error(`prover-cuda-emu: ${line}`));
      return;
    }
    const record = message as Record<string, unknown>;
    if (typeof record.error === "string") {
      pending.reject(
        new EmuError(record.error, typeof record.code === "number" ? record.code : undefined),
      );
    } else {
      pending.resolve(record);
    }
  }

  /** Sends one request (words joined by spaces); resolves with the JSON answer. */
  request(...words: ReadonlyArray<string | number | bigint>): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      this.queue.push({ resolve, reject });
      this.child.stdin.write(`${words.map(String).join(" ")}\n`);
    });
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const closed = new Promise((resolve) => this.child.once("close", resolve));
    this.child.stdin.end();
    await closed;
  }
}
