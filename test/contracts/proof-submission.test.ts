// The proof submission has one schema (contracts/proof-submission.ts): the prover service's
// delivery is typed by it and the verifier's edge parses with it, so the two cannot drift.
// test/prover-service/verifier.test.ts checks the bodies the prover really delivers.
import { readFile } from "node:fs/promises";
import { describe, expect, expectTypeOf, it } from "vitest";
import type { z } from "zod";
import {
  Groth16Proof,
  ProofSubmission,
  ReceivedProofSubmission,
  type SubmissionMeta,
} from "../../contracts/index.js";
import type { Delivery } from "../../prover/service/src/verifier-client.js";
import { checkProof } from "../../verifier/src/schema.js";
import type { Submission } from "../../verifier/src/service.js";
import { ensureCircuit } from "../prover/fixtures.js";

describe("the proof submission contract", () => {
  it("is the type the prover service delivers and the verifier takes in", () => {
    expectTypeOf<Delivery["body"]>().toEqualTypeOf<ProofSubmission>();
    // Whatever a prover may send passes the verifier's edge (the proof is judged after).
    expectTypeOf<ProofSubmission>().toExtend<z.input<typeof ReceivedProofSubmission>>();
    expectTypeOf<Submission["meta"]>().toEqualTypeOf<SubmissionMeta>();
  });

  it("takes a snarkjs proof as a prover sends it, at the verifier's edge and in its judge", async () => {
    const multiplier = await ensureCircuit("multiplier");
    const body: ProofSubmission = {
      circuit: "multiplier",
      proof: Groth16Proof.parse(JSON.parse(await readFile(multiplier.snarkjsProof, "utf8"))),
      publicSignals: JSON.parse(await readFile(multiplier.snarkjsPublic, "utf8")) as string[],
      expectedPublicSignals: multiplier.publicSignals,
      gpu: { uuid: "GPU-00000000-0000-0000-0000-000000000000", host: "gpu-node-1" },
      prover: "proofwatch-prover-daemon/test (cpu)",
      jobId: "job-1",
    };
    const wire = JSON.parse(JSON.stringify(body)) as unknown;

    const received = ReceivedProofSubmission.safeParse(wire);
    const sent = ProofSubmission.safeParse(wire);

    expect(received.success).toBe(true);
    expect(sent.success).toBe(true);
    expect(checkProof(body.proof, body.publicSignals, 1)).toMatchObject({ ok: true });
  });

  it("refuses at the edge only what it cannot attribute or store", () => {
    const meta = {
      circuit: "multiplier",
      gpu: { uuid: "GPU-1", host: "h" },
      jobId: "job-1",
      publicSignals: ["33"],
    };

    const notAProof = ReceivedProofSubmission.safeParse({ ...meta, proof: { hello: "world" } });
    const hugeArray = ReceivedProofSubmission.safeParse({ ...meta, proof: { pi_a: Array(9) } });
    const badCircuit = ReceivedProofSubmission.safeParse({ ...meta, circuit: "../x", proof: {} });

    expect(notAProof.success, "stored and judged malformed").toBe(true);
    expect(ProofSubmission.safeParse({ ...meta, proof: { hello: "world" } }).success).toBe(false);
    expect(hugeArray.success).toBe(false);
    expect(badCircuit.success).toBe(false);
  });
});
