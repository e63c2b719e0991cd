// The quarantine list has one schema (contracts/quarantine-list.ts): the quarantine service
// writes and serves it typed by it, and the prover service reads it with a view of it.
import { describe, expect, expectTypeOf, it } from "vitest";
import { QuarantineList, QuarantineListTargets } from "../../contracts/index.js";
import { Store } from "../../quarantine/src/store.js";
import { makeTempDir } from "../helpers/tmpdir.js";

describe("the quarantine list contract", () => {
  it("is what the quarantine service writes, and its readers can read it", async () => {
    expectTypeOf<ReturnType<Store["fleet"]>>().toEqualTypeOf<QuarantineList>();
    const { dir, cleanup } = await makeTempDir("contracts-quarantine");
    const store = new Store(`${dir}/quarantine.db`);
    try {
      store.setGpuQuarantined(
        { uuid: "GPU-1", host: "gpu-node-1", gpu: "0" },
        "ProofwatchGpuInvalidProofs",
        null,
        Date.now(),
      );
      store.setNodeQuarantined("gpu-node-2", true, "escalated", Date.now());
      const written = JSON.parse(JSON.stringify(store.fleet())) as unknown;

      expect(QuarantineList.parse(written)).toEqual(written);
      expect(QuarantineListTargets.parse(written)).toMatchObject({
        version: 1,
        gpus: [{ uuid: "GPU-1", host: "gpu-node-1" }],
        hosts: [{ host: "gpu-node-2" }],
      });
    } finally {
      store.close();
      await cleanup();
    }
  });

  it("a reader holds only what it acts on against a list", () => {
    const sparse = { version: 1, gpus: [{ uuid: "GPU-1", reason: 7 }] };

    expect(QuarantineList.safeParse(sparse).success).toBe(false);
    expect(QuarantineListTargets.parse(sparse)).toEqual({
      version: 1,
      gpus: [{ uuid: "GPU-1", reason: 7 }],
      hosts: [],
    });
    expect(QuarantineListTargets.safeParse({ version: 1, gpus: "nonsense" }).success).toBe(false);
    expect(QuarantineListTargets.safeParse({ version: 2, gpus: [] }).success).toBe(false);
  });
});
