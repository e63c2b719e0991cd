// A circuit's id names its folder in a circuits directory (the verifier's and the prover
// service's, which may be one folder) and travels in job requests and proof submissions.
import { z } from "zod";

/** Letters, digits, '.', '_', '-', not starting with a dot: safe as one path segment. */
export const CIRCUIT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export const CircuitId = z
  .string()
  .regex(CIRCUIT_ID, "a circuit id: letters, digits, '.', '_', '-'");
export type CircuitId = z.infer<typeof CircuitId>;
