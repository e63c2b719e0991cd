// `proofwatch demo` as a person runs it: a child process on free ports that prints where each
// part listens, plays its story (GPU 1's invalid proofs, GPU 2's ECC errors and XID 48) until
// both are quarantined, and leaves no process behind after Ctrl-C, after --duration, or after
// a Ctrl-C while it is still starting.
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { QuarantineList } from "../../contracts/index.js";
import { ALERTMANAGER_BINARY } from "../../demo/src/alertmanager.js";
import { PROMETHEUS_BINARY } from "../../demo/src/prometheus.js";
import type { Worker } from "../../demo/src/suite.js";
import { canarySupported, defaultCanaryBinary } from "../../prover/service/src/canary.js";
import { defaultDaemonBinary } from "../../prover/service/src/index.js";
import { type CliProcess, spawnCli } from "../helpers/cli.js";
import { alive, descendants, until } from "./helpers.js";

interface Demo extends CliProcess {
  /** Every descendant seen so far (sampled every 500 ms while it runs). */
  seen: Set<number>;
}

function startDemo(args: string[], env: NodeJS.ProcessEnv = {}): Demo {
  const ports = ["exporter", "verifier", "quarantine", "prover", "prometheus", "alertmanager"];
  const proc = spawnCli(
    "demo",
    [...ports.flatMap((part) => [`--${part}-port`, "0"]), ...args],
    env,
  );
  const seen = new Set<number>();
  const sampler = setInterval(() => {
    if (proc.child.pid) for (const pid of descendants(proc.child.pid)) seen.add(pid);
  }, 500);
  const exited = proc.exited.then((status) => {
    clearInterval(sampler);
    return status;
  });
  return { ...proc, exited, seen };
}

/** The addresses the demo printed, by part. */
function addresses(output: string): Record<string, string> {
  return Object.fromEntries(
    [...output.matchAll(/^ {2}(\w+) +(http:\/\/127\.0\.0\.1:\d+\S*)$/gm)].map((m) => [m[1], m[2]]),
  );
}

async function expectNothingLeft(demo: Demo): Promise<void> {
  const { code } = await demo.exited;
  expect(code, demo.output()).toBe(0);
  expect(demo.seen.size).toBeGreaterThan(0);
  // Give the kernel a moment to reap what was killed last.
  const left = await until(
    () => {
      const running = [...demo.seen].filter(alive);
      return running.length === 0 ? running : undefined;
    },
    "every child of the demo to be gone",
    10_000,
  ).catch(() => [...demo.seen].filter(alive));
  expect(left).toEqual([]);
}

/** The services' logs outlive the run, in the folder the last line names; removed here. */
function expectLogsKept(output: string): void {
  const logs = /Logs kept in (\S+)$/m.exec(output)?.[1];
  expect(logs, output).toBeDefined();
  const folder = logs as string;
  expect(readdirSync(folder).sort()).toEqual(
    expect.arrayContaining(["exporter.log", "prover.log", "quarantine.log", "verifier.log"]),
  );
  expect(readFileSync(join(folder, "verifier.log"), "utf8")).toContain("msg=listening");
  // Nothing else of the run is left beside them (databases, tokens, proofs).
  expect(readdirSync(dirname(folder))).toEqual(["logs"]);
  rmSync(dirname(folder), { recursive: true, force: true });
}

describe("proofwatch demo", () => {
  beforeAll(() => {
    // Without them the demo runs, but nothing gets quarantined: the story cannot be checked.
    for (const binary of [PROMETHEUS_BINARY, ALERTMANAGER_BINARY]) {
      if (!existsSync(binary)) throw new Error(`${binary} missing: bash scripts/setup.sh`);
    }
  });

  it("prints where each part listens, quarantines both faulty GPUs, and stops everything on Ctrl-C", {
    timeout: 180_000,
  }, async () => {
    const demo = startDemo(["--duration", "170s"]);
    try {
      const urls = await until(
        () => {
          const found = addresses(demo.output());
          return Object.keys(found).length === 6 ? found : undefined;
        },
        "the demo's addresses",
        90_000,
      );
      expect(Object.keys(urls).sort()).toEqual(
        ["alertmanager", "exporter", "prometheus", "prover", "quarantine", "verifier"].sort(),
      );
      for (const [part, url] of Object.entries(urls)) {
        const response = await fetch(url);
        expect(response.status, `${part} ${url}`).toBe(200);
      }

      // The story: GPU 1 (invalid proofs from 20 s) and GPU 2 (ECC from 35 s, XID 48 at 45 s).
      const list = await until(
        async () => {
          const current = (await (await fetch(urls.quarantine as string)).json()) as QuarantineList;
          return current.gpus.length >= 2 ? current : undefined;
        },
        "both faulty GPUs quarantined",
        120_000,
      );
      const prover = (await (await fetch(urls.prover as string)).json()) as { workers: Worker[] };
      const byUuid = new Map(prover.workers.map((w) => [w.uuid, w.index]));
      expect(list.gpus.map((gpu) => byUuid.get(gpu.uuid)).sort()).toEqual([1, 2]);
      expect(list.gpus.map((gpu) => gpu.reason).sort()).toEqual(
        expect.arrayContaining(["ProofwatchGpuInvalidProofs"]),
      );
      // The third story: GPU 3 failed the prover's canary at start and never proved (its
      // alert quarantines it only after its 2-minute `for:`). A prover built before the
      // canary runs without it, and the demo says so.
      if (await canarySupported(defaultCanaryBinary(defaultDaemonBinary()))) {
        const gpu3 = prover.workers.find((w) => w.index === 3);
        expect(gpu3).toMatchObject({ canary: "failed", proved: 0, failed: 0 });
        expect(demo.output()).toMatch(
          /^ +\d+ s {2}GPU 3 failed its known-answer canary \(memory\)/m,
        );
      } else {
        expect(demo.output()).toContain("without the GPU canary");
      }
      // Its output, not a terminal here, tells it one line a change (demo/src/output.ts).
      await until(
        () =>
          [1, 2].every((gpu) =>
            new RegExp(`^ +\\d+ s  GPU ${gpu} is quarantined \\(`, "m").test(demo.output()),
          )
            ? true
            : undefined,
        "a line for each quarantine",
        10_000,
      );
    } finally {
      demo.child.kill("SIGINT");
    }
    await expectNothingLeft(demo);
    expect(demo.output()).toContain("proofwatch demo stopped; nothing left running.");
    // No table redrawn into a pipe: each change once.
    expect(demo.output()).not.toContain("proofwatch demo —");
    expect(demo.output()).not.toContain("\x1b[");
    expect(demo.output().match(/^ +\d+ s {2}GPU 1 is quarantined/gm)).toHaveLength(1);
    expectLogsKept(demo.output());
  });

  it("stops by itself after --duration, leaving nothing running", {
    timeout: 120_000,
  }, async () => {
    const demo = startDemo(["--duration", "8s"]);
    await expectNothingLeft(demo);
    expect(Object.keys(addresses(demo.output()))).toHaveLength(6);
    expectLogsKept(demo.output());
  });

  it("stops everything it started on a Ctrl-C while still starting", {
    timeout: 120_000,
  }, async () => {
    const demo = startDemo([]);
    await until(
      () => (demo.output().includes("starting the prover service") ? true : undefined),
      "the demo to be half way up",
      90_000,
    );
    demo.child.kill("SIGINT");
    await expectNothingLeft(demo);
    // What had started left its logs.
    const logs = /Logs kept in (\S+)$/m.exec(demo.output())?.[1];
    expect(logs, demo.output()).toBeDefined();
    expect(readdirSync(logs as string)).toContain("verifier.log");
    rmSync(dirname(logs as string), { recursive: true, force: true });
  });

  it("runs without Prometheus and Alertmanager, saying what it runs without", {
    timeout: 120_000,
  }, async () => {
    const demo = startDemo(["--duration", "8s"], {
      PROMETHEUS_BINARY: "/nonexistent/prometheus",
      ALERTMANAGER_BINARY: "/nonexistent/prometheus-alertmanager",
    });
    await expectNothingLeft(demo);
    const output = demo.output();
    expect(output).toMatch(/prometheus +not running/);
    expect(output).toMatch(/alertmanager +not running/);
    expect(output).toContain("without Prometheus (/nonexistent/prometheus not found");
    expect(output).toContain(
      "without Alertmanager (/nonexistent/prometheus-alertmanager not found",
    );
    // The rest runs: the fleet is told.
    expect(output).toMatch(/^ +\d+ s {2}GPU 3 \(GPU-/m);
    expectLogsKept(output);
  });
});
