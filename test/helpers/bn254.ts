/**
 * BN254 (alt_bn128) in plain BigInt: slow, obviously correct arithmetic for checking the
 * prover's results. Affine coordinates, `null` for the point at infinity.
 * Constants: EIP-196/197 and https://hackmd.io/@jpw/bn254
 */

/** Base field modulus. */
export const Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;
/** Scalar field modulus (the group order). */
export const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

export function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

export function modPow(base: bigint, exponent: bigint, m: bigint): bigint {
  let result = 1n;
  let b = mod(base, m);
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return result;
}

/**
 * Inverse modulo m by the extended Euclidean algorithm (about five times faster in BigInt
 * than Fermat's a^(m-2), which matters for affine point arithmetic). Throws on zero
 * rather than returning a wrong answer.
 */
export function modInv(a: bigint, m: bigint): bigint {
  let [r0, r1] = [mod(a, m), m];
  if (r0 === 0n) throw new RangeError("inverse of zero");
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  if (r0 !== 1n) throw new RangeError(`${a} has no inverse modulo ${m}`);
  return mod(s0, m);
}

/** A prime field: enough operations to model Fr and Fq. */
export interface PrimeField {
  p: bigint;
  add(a: bigint, b: bigint): bigint;
  sub(a: bigint, b: bigint): bigint;
  mul(a: bigint, b: bigint): bigint;
  neg(a: bigint): bigint;
  inv(a: bigint): bigint;
  pow(a: bigint, e: bigint): bigint;
}

function primeField(p: bigint): PrimeField {
  return {
    p,
    add: (a, b) => mod(a + b, p),
    sub: (a, b) => mod(a - b, p),
    mul: (a, b) => mod(a * b, p),
    neg: (a) => mod(-a, p),
    inv: (a) => modInv(a, p),
    pow: (a, e) => modPow(a, e, p),
  };
}

export const Fr = primeField(R);
export const Fq = primeField(Q);

/** Fr has 2-adicity 28 with 5 as a generator, as ffjavascript (and hence snarkjs) uses. */
export const FR_TWO_ADICITY = 28;

/** A primitive 2^k-th root of unity in Fr: 5^((r-1)/2^k), ffjavascript's `Fr.w[k]`. */
export function rootOfUnity(k: number): bigint {
  if (k < 0 || k > FR_TWO_ADICITY) throw new RangeError(`no 2^${k}-th root of unity in Fr`);
  return modPow(5n, (R - 1n) >> BigInt(k), R);
}

/** Fq2 = Fq[u] / (u^2 + 1); `[c0, c1]` is c0 + c1*u. */
export type Fq2Element = readonly [bigint, bigint];

export const Fq2 = {
  zero: [0n, 0n] as Fq2Element,
  one: [1n, 0n] as Fq2Element,
  add: (a: Fq2Element, b: Fq2Element): Fq2Element => [mod(a[0] + b[0], Q), mod(a[1] + b[1], Q)],
  sub: (a: Fq2Element, b: Fq2Element): Fq2Element => [mod(a[0] - b[0], Q), mod(a[1] - b[1], Q)],
  neg: (a: Fq2Element): Fq2Element => [mod(-a[0], Q), mod(-a[1], Q)],
  mul: (a: Fq2Element, b: Fq2Element): Fq2Element => [
    mod(a[0] * b[0] - a[1] * b[1], Q),
    mod(a[0] * b[1] + a[1] * b[0], Q),
  ],
  square: (a: Fq2Element): Fq2Element => Fq2.mul(a, a),
  /** (c0 + c1 u)^-1 = (c0 - c1 u) / (c0^2 + c1^2). */
  inv: (a: Fq2Element): Fq2Element => {
    const norm = modInv(a[0] * a[0] + a[1] * a[1], Q);
    return [mod(a[0] * norm, Q), mod(-a[1] * norm, Q)];
  },
  eq: (a: Fq2Element, b: Fq2Element): boolean => a[0] === b[0] && a[1] === b[1],
  isZero: (a: Fq2Element): boolean => a[0] === 0n && a[1] === 0n,
};

export interface G1Affine {
  x: bigint;
  y: bigint;
}
/** `null` is the point at infinity. */
export type G1Point = G1Affine | null;

export interface G2Affine {
  x: Fq2Element;
  y: Fq2Element;
}
export type G2Point = G2Affine | null;

export const G1_GENERATOR: G1Affine = { x: 1n, y: 2n };
const G1_B = 3n;

/** The twist's b' = 3 / (9 + u) (EIP-197). */
export const G2_B: Fq2Element = [
  19485874751759354771024239261021720505790618469301721065564631296452457478373n,
  266929791119991161246907387137283842545076965332900288569378510910307636690n,
];

export const G2_GENERATOR: G2Affine = {
  x: [
    10857046999023057135944570762232829481370756359578518086990519993285655852781n,
    11559732032986387107991004021392285783925812861821192530917403151452391805634n,
  ],
  y: [
    8495653923123431417604973247489272438418190587263600148770280649306958101930n,
    4082367875863433681332203403145435568316851327593401208105741076214120093531n,
  ],
};

export function g1OnCurve(p: G1Point): boolean {
  if (p === null) return true;
  if (p.x < 0n || p.x >= Q || p.y < 0n || p.y >= Q) return false;
  return mod(p.y * p.y - p.x * p.x * p.x - G1_B, Q) === 0n;
}

export function g1Eq(a: G1Point, b: G1Point): boolean {
  if (a === null || b === null) return a === b;
  return a.x === b.x && a.y === b.y;
}

export function g1Neg(p: G1Point): G1Point {
  return p === null ? null : { x: p.x, y: mod(-p.y, Q) };
}

export function g1Double(p: G1Point): G1Point {
  if (p === null || p.y === 0n) return null;
  const lambda = mod(3n * p.x * p.x * modInv(2n * p.y, Q), Q);
  const x = mod(lambda * lambda - 2n * p.x, Q);
  return { x, y: mod(lambda * (p.x - x) - p.y, Q) };
}

export function g1Add(a: G1Point, b: G1Point): G1Point {
  if (a === null) return b;
  if (b === null) return a;
  if (a.x === b.x) return a.y === b.y ? g1Double(a) : null;
  const lambda = mod((b.y - a.y) * modInv(b.x - a.x, Q), Q);
  const x = mod(lambda * lambda - a.x - b.x, Q);
  return { x, y: mod(lambda * (a.x - x) - a.y, Q) };
}

/**
 * `scalar`·p by double-and-add, in either group (null is the identity); the scalar is taken
 * as an integer, not reduced mod r, and one below 1 gives the identity.
 */
function doubleAndAdd<P extends object>(
  p: P | null,
  scalar: bigint,
  add: (a: P | null, b: P | null) => P | null,
  double: (p: P | null) => P | null,
): P | null {
  let result: P | null = null;
  let addend = p;
  for (let k = scalar; k > 0n; k >>= 1n) {
    if (k & 1n) result = add(result, addend);
    addend = double(addend);
  }
  return result;
}

/** The scalar is taken as an integer, not reduced mod r; a negative one multiplies -p. */
export function g1Mul(p: G1Point, scalar: bigint): G1Point {
  if (scalar < 0n) return g1Mul(g1Neg(p), -scalar);
  return doubleAndAdd(p, scalar, g1Add, g1Double);
}

export function g2OnCurve(p: G2Point): boolean {
  if (p === null) return true;
  for (const c of [...p.x, ...p.y]) if (c < 0n || c >= Q) return false;
  const lhs = Fq2.square(p.y);
  const rhs = Fq2.add(Fq2.mul(Fq2.square(p.x), p.x), G2_B);
  return Fq2.eq(lhs, rhs);
}

export function g2Double(p: G2Point): G2Point {
  if (p === null || Fq2.isZero(p.y)) return null;
  const xx = Fq2.square(p.x);
  const lambda = Fq2.mul(Fq2.add(Fq2.add(xx, xx), xx), Fq2.inv(Fq2.add(p.y, p.y)));
  const x = Fq2.sub(Fq2.square(lambda), Fq2.add(p.x, p.x));
  return { x, y: Fq2.sub(Fq2.mul(lambda, Fq2.sub(p.x, x)), p.y) };
}

export function g2Add(a: G2Point, b: G2Point): G2Point {
  if (a === null) return b;
  if (b === null) return a;
  if (Fq2.eq(a.x, b.x)) return Fq2.eq(a.y, b.y) ? g2Double(a) : null;
  const lambda = Fq2.mul(Fq2.sub(b.y, a.y), Fq2.inv(Fq2.sub(b.x, a.x)));
  const x = Fq2.sub(Fq2.sub(Fq2.square(lambda), a.x), b.x);
  return { x, y: Fq2.sub(Fq2.mul(lambda, Fq2.sub(a.x, x)), a.y) };
}

export function g2Neg(p: G2Point): G2Point {
  return p === null ? null : { x: p.x, y: Fq2.neg(p.y) };
}

export function g2Mul(p: G2Point, scalar: bigint): G2Point {
  return doubleAndAdd(p, scalar, g2Add, g2Double);
}

/** On the twist and in the order-r subgroup (the twist has a large cofactor). */
export function g2InSubgroup(p: G2Point): boolean {
  return g2OnCurve(p) && g2Mul(p, R) === null;
}

/** Decimal string to BigInt, refusing anything that is not a plain non-negative integer. */
export function parseDecimal(text: unknown): bigint {
  if (typeof text !== "string" || !/^[0-9]+$/.test(text)) {
    throw new TypeError(`not a decimal integer string: ${JSON.stringify(text)}`);
  }
  return BigInt(text);
}

/**
 * A G1 point as snarkjs writes it: projective `[x, y, z]` decimal strings, in practice
 * z = 1, or `["0", "1", "0"]` for infinity.
 */
export function parseG1Json(value: unknown): G1Point {
  if (!Array.isArray(value) || value.length !== 3) throw new TypeError("G1 point: want [x, y, z]");
  const [x, y, z] = value.map(parseDecimal) as [bigint, bigint, bigint];
  if (z === 0n) return null;
  const zInv = modInv(z, Q);
  return { x: mod(x * zInv, Q), y: mod(y * zInv, Q) };
}

function parseFq2Json(value: unknown): Fq2Element {
  if (!Array.isArray(value) || value.length !== 2) throw new TypeError("Fq2: want [c0, c1]");
  return [parseDecimal(value[0]), parseDecimal(value[1])];
}

/** A G2 point as snarkjs writes it: `[[x0, x1], [y0, y1], [z0, z1]]`. */
export function parseG2Json(value: unknown): G2Point {
  if (!Array.isArray(value) || value.length !== 3) throw new TypeError("G2 point: want [x, y, z]");
  const [x, y, z] = value.map(parseFq2Json) as [Fq2Element, Fq2Element, Fq2Element];
  if (Fq2.isZero(z)) return null;
  const zInv = Fq2.inv(z);
  return { x: Fq2.mul(x, zInv), y: Fq2.mul(y, zInv) };
}

/** A G1 point as snarkjs writes it (z = 1, or infinity as `["0", "1", "0"]`). */
export function g1ToJson(p: G1Point): string[] {
  return p === null ? ["0", "1", "0"] : [p.x.toString(), p.y.toString(), "1"];
}

/** A G2 point as snarkjs writes it (z = 1, or infinity as z = 0). */
export function g2ToJson(p: G2Point): string[][] {
  return p === null
    ? [
        ["0", "0"],
        ["1", "0"],
        ["0", "0"],
      ]
    : [p.x.map(String), p.y.map(String), ["1", "0"]];
}

export interface Groth16Proof {
  a: G1Point;
  b: G2Point;
  c: G1Point;
}

/** A snarkjs-format Groth16 proof (`pi_a`, `pi_b`, `pi_c`, protocol, curve). */
export function parseGroth16Proof(json: unknown): Groth16Proof {
  if (typeof json !== "object" || json === null) throw new TypeError("proof: not an object");
  const proof = json as Record<string, unknown>;
  if (proof.protocol !== "groth16")
    throw new TypeError(`proof protocol: ${String(proof.protocol)}`);
  if (proof.curve !== "bn128") throw new TypeError(`proof curve: ${String(proof.curve)}`);
  return { a: parseG1Json(proof.pi_a), b: parseG2Json(proof.pi_b), c: parseG1Json(proof.pi_c) };
}
