import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Native reads, real Prometheus and snarkjs set-ups are slow on a 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 300_000,
    pool: "forks",
  },
});
