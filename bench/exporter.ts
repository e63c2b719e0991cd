// Scrape latency (p50, p99) and resident memory of `proofwatch exporter` serving 8 GPUs on
// fake-nvml. Run with `npm run bench:exporter` after `npm run build`.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import http from "node:http";
import { join } from "node:path";
import { packageRoot } from "../common/package-root.js";
import { fakeNvmlLibraryPath } from "../native/index.js";

const WARMUP = 200;
const SCRAPES = Number(process.env.BENCH_SCRAPES ?? 2000);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  return Number(kib) * 1024;
}

async function waitForUrl(url: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not answer`);
}

// A keep-alive client on node:http, as Prometheus keeps its connection: fetch (undici)
// allocates enough per request that its own GC pauses showed up in the tail.
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function scrape(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (response) => {
        let bytes = 0;
        response.on("data", (chunk: Buffer) => {
          bytes += chunk.length;
        });
        response.on("end", () => resolve(bytes));
      })
      .on("error", reject);
  });
}

async function main(): Promise<void> {
  const root = packageRoot();
  const port = 19840;
  // Through the shipped entry point, with the V8 settings it gives the exporter.
  const child = spawn(join(root, "bin/proofwatch"), ["exporter", "--listen", `127.0.0.1:${port}`], {
    env: {
      ...process.env,
      PROOFWATCH_NVML_LIBRARY: fakeNvmlLibraryPath(),
      FAKE_NVML_SCENARIO: join(root, "native/fake-nvml/scenarios/h100x8.json"),
      PROOFWATCH_LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const url = `http://127.0.0.1:${port}/metrics`;
  try {
    await waitForUrl(url);
    const timings: number[] = [];
    let bytes = 0;
    for (let i = 0; i < WARMUP + SCRAPES; i++) {
      const started = performance.now();
      bytes = await scrape(url);
      const elapsed = performance.now() - started;
      if (i >= WARMUP) timings.push(elapsed);
    }
    timings.sort((a, b) => a - b);
    const rss = rssBytes(child.pid as number);
    const p50 = percentile(timings, 50);
    const p99 = percentile(timings, 99);
    console.log(`exporter, 8 GPUs on fake-nvml (h100x8), ${SCRAPES} sequential scrapes`);
    console.log(`  response size   ${(bytes / 1024).toFixed(1)} KiB`);
    console.log(`  scrape p50      ${p50.toFixed(2)} ms`);
    console.log(`  scrape p90      ${percentile(timings, 90).toFixed(2)} ms`);
    console.log(`  scrape p95      ${percentile(timings, 95).toFixed(2)} ms`);
    console.log(
      `  scrape p99      ${p99.toFixed(2)} ms   (target < 5 ms: ${p99 < 5 ? "met" : "MISSED"})`,
    );
    console.log(`  scrape max      ${(timings.at(-1) as number).toFixed(2)} ms`);
    console.log(
      `  exporter RSS    ${(rss / 2 ** 20).toFixed(1)} MiB (target < 80 MB: ${rss < 80e6 ? "met" : "MISSED"})`,
    );
  } finally {
    agent.destroy();
    child.kill("SIGTERM");
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
