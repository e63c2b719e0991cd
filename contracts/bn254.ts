// The BN254 curve (alt_bn128, EIP-196/197) every proof in proofwatch is over: the constants
// the prover service, the verifier and the tests share. Arithmetic lives in bn254/ (C++).
import { z } from "zod";

/** Base field modulus q: the coordinates of pi_a, pi_b and pi_c are below it. */
export const FIELD_MODULUS =
  21888242871839275222246405745257275088696311157297823662689037894645226208583n;

/** Scalar field modulus r: witness values and public signals are below it. */
export const SCALAR_MODULUS =
  21888242871839275222246405745257275088548364400416034343698204186575808495617n;

/**
 * The names a proof's or key's "curve" field gives this curve: snarkjs writes "bn128"
 * (https://github.com/iden3/snarkjs), other tools "bn254"; both are the one curve.
 */
export const CURVE_NAMES = ["bn128", "bn254"] as const;
export const CurveName = z.enum(CURVE_NAMES);
export type CurveName = z.infer<typeof CurveName>;
