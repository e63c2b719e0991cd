// A Groth16 proof, its public signals and its verification key over BN254, in the JSON form
// snarkjs writes (https://github.com/iden3/snarkjs#7-prove-the-circuit): points as arrays of
// decimal strings, projective (G1 [x, y, z], G2 [[x0, x1], [y0, y1], [z0, z1]]).
//
// These schemas check the form only: array lengths, short strings or numbers where numbers go,
// protocol and curve. Whether a number is a canonical decimal below its modulus, a point on
// its curve and in its group is judged by the consumer (the verifier's `checkProof` and its
// native addon), because a proof of the right form with a wrong number is exactly what the
// verifier exists to catch and record against the GPU that made it.
import { z } from "zod";
import { CurveName } from "./bn254.js";

/** Most public signals a proof may carry (and a key may declare); more is refused as huge. */
export const MAX_PUBLIC_SIGNALS = 4096;

/**
 * A field element as JSON carries it: a decimal string (snarkjs), or a number. Strings are
 * bounded so that no huge value gets past the edge (a BN254 element has at most 77 digits).
 */
export const FieldElementJson = z.union([z.string().max(100), z.number()], {
  error: (issue) =>
    typeof issue.input === "string" ? "longer than 100 characters" : "not a string or a number",
});
export type FieldElementJson = z.infer<typeof FieldElementJson>;

/**
 * The decimal a JSON number stands for, or null when JSON may have changed it on the way (not a
 * non-negative integer below 2^53): such a number is no exact field element.
 */
export function exactDecimal(value: number): string | null {
  return Number.isSafeInteger(value) && value >= 0 ? String(value) : null;
}

// "missing", "not an array" or "2 elements, want 3": what is wrong with a point's array.
const tuple = <T extends [z.ZodType, ...z.ZodType[]]>(items: T) =>
  z.tuple(items, {
    error: (issue) => {
      if (issue.input === undefined) return "missing";
      if (!Array.isArray(issue.input)) return "not an array";
      return `${issue.input.length} elements, want ${items.length}`;
    },
  });

const F = FieldElementJson;
export const G1Json = tuple([F, F, F]);
export const G2Json = tuple([tuple([F, F]), tuple([F, F]), tuple([F, F])]);

// `"plonk", want "groth16"`: the value found, then the values taken.
const found = (input: unknown) =>
  input === undefined ? "missing" : JSON.stringify(input)?.slice(0, 40);
const protocol = z.literal("groth16", {
  error: (issue) => `${found(issue.input)}, want "groth16"`,
});
const curve = z.enum(CurveName.options, {
  error: (issue) =>
    `${found(issue.input)}, want one of ${CurveName.options.map((name) => `"${name}"`).join(", ")}`,
});

/** snarkjs' proof.json. `protocol` and `curve` may be left out; other fields pass through. */
export const Groth16Proof = z.looseObject({
  protocol: protocol.optional(),
  curve: curve.optional(),
  pi_a: G1Json,
  pi_b: G2Json,
  pi_c: G1Json,
});
export type Groth16Proof = z.infer<typeof Groth16Proof>;

/** snarkjs' public.json: the public signals in circuit order. */
export const PublicSignals = z.array(FieldElementJson).max(MAX_PUBLIC_SIGNALS);
export type PublicSignals = z.infer<typeof PublicSignals>;

/** A proof's points once every number is a canonical decimal below its modulus. */
export interface CanonicalProof {
  pi_a: [string, string, string];
  pi_b: [[string, string], [string, string], [string, string]];
  pi_c: [string, string, string];
}

/** snarkjs' verification_key.json. vk_alphabeta_12 and other fields are not read. */
export const VerificationKey = z
  .looseObject({
    protocol,
    curve,
    nPublic: z.number().int().min(0).max(MAX_PUBLIC_SIGNALS),
    vk_alpha_1: G1Json,
    vk_beta_2: G2Json,
    vk_gamma_2: G2Json,
    vk_delta_2: G2Json,
    IC: z
      .array(G1Json)
      .min(1)
      .max(MAX_PUBLIC_SIGNALS + 1),
  })
  .refine((key) => key.IC.length === key.nPublic + 1, {
    error: (issue) => {
      const key = issue.input as { IC: unknown[]; nPublic: number };
      return `IC has ${key.IC.length} points, nPublic + 1 = ${key.nPublic + 1} expected`;
    },
  });
export type VerificationKey = z.infer<typeof VerificationKey>;
