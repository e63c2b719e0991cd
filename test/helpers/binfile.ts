/**
 * Readers for the iden3 binary container shared by `.r1cs`, `.wtns` and `.zkey`:
 * a 4-byte magic, a u32 version, a u32 section count, then sections of
 * (u32 type, u64 size, data). All integers little-endian.
 * Spec: https://github.com/iden3/binfileutils and https://github.com/iden3/r1csfile
 */

export interface Section {
  type: number;
  /** Offset of the section's 12-byte header (type + size) in the file. */
  headerOffset: number;
  /** Offset of the section's data. */
  offset: number;
  size: number;
}

export interface BinFile {
  magic: string;
  version: number;
  sections: Section[];
}

export function parseBinFile(bytes: Uint8Array): BinFile {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = new TextDecoder().decode(bytes.subarray(0, 4));
  const version = view.getUint32(4, true);
  const count = view.getUint32(8, true);
  const sections: Section[] = [];
  let pos = 12;
  for (let i = 0; i < count; i++) {
    const type = view.getUint32(pos, true);
    const size = Number(view.getBigUint64(pos + 4, true));
    sections.push({ type, headerOffset: pos, offset: pos + 12, size });
    pos += 12 + size;
  }
  if (pos > bytes.byteLength) throw new Error(`${magic}: sections run past the end of the file`);
  return { magic, version, sections };
}

export function section(file: BinFile, type: number): Section {
  const found = file.sections.find((s) => s.type === type);
  if (!found) throw new Error(`${file.magic}: no section ${type}`);
  return found;
}

/** Little-endian unsigned integer of `n` bytes. */
export function readLE(bytes: Uint8Array, offset: number, n: number): bigint {
  let value = 0n;
  for (let i = n - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[offset + i] ?? 0);
  return value;
}

export function writeLE(bytes: Uint8Array, offset: number, n: number, value: bigint): void {
  let rest = value;
  for (let i = 0; i < n; i++) {
    bytes[offset + i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  if (rest !== 0n) throw new Error(`${value} does not fit in ${n} bytes`);
}

export function readU32(bytes: Uint8Array, offset: number): number {
  return Number(readLE(bytes, offset, 4));
}

export function writeU32(bytes: Uint8Array, offset: number, value: number): void {
  writeLE(bytes, offset, 4, BigInt(value));
}

/** A copy of the file with the sections of the given type left out. */
export function withoutSection(bytes: Uint8Array, type: number): Uint8Array {
  const file = parseBinFile(bytes);
  const kept = file.sections.filter((s) => s.type !== type);
  if (kept.length === file.sections.length) throw new Error(`${file.magic}: no section ${type}`);
  const head = bytes.slice(0, 12);
  writeU32(head, 8, kept.length);
  const parts = [head, ...kept.map((s) => bytes.subarray(s.headerOffset, s.offset + s.size))];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let pos = 0;
  for (const part of parts) {
    out.set(part, pos);
    pos += part.length;
  }
  return out;
}

/** Section 2 of a Groth16 `.zkey` (snarkjs `zkey_utils.js` readHeaderGroth16). */
export interface ZkeyGroth16Header {
  n8q: number;
  q: bigint;
  qOffset: number;
  n8r: number;
  r: bigint;
  nVars: number;
  nPublic: number;
  domainSize: number;
  domainSizeOffset: number;
  /** Offset of vk_alpha_1 (x then y, Montgomery form, n8q bytes each). */
  alpha1Offset: number;
}

export const ZKEY_SECTION = {
  header: 1,
  groth16Header: 2,
  ic: 3,
  coeffs: 4,
  pointsA: 5,
  pointsB1: 6,
  pointsB2: 7,
  pointsC: 8,
  pointsH: 9,
  contributions: 10,
} as const;

export function readZkeyHeader(bytes: Uint8Array): ZkeyGroth16Header {
  const file = parseBinFile(bytes);
  if (file.magic !== "zkey") throw new Error(`not a zkey: ${file.magic}`);
  const protocol = readU32(bytes, section(file, ZKEY_SECTION.header).offset);
  if (protocol !== 1) throw new Error(`zkey protocol ${protocol} is not Groth16`);
  let pos = section(file, ZKEY_SECTION.groth16Header).offset;
  const n8q = readU32(bytes, pos);
  const qOffset = pos + 4;
  const q = readLE(bytes, qOffset, n8q);
  pos = qOffset + n8q;
  const n8r = readU32(bytes, pos);
  const r = readLE(bytes, pos + 4, n8r);
  pos += 4 + n8r;
  const nVars = readU32(bytes, pos);
  const nPublic = readU32(bytes, pos + 4);
  const domainSizeOffset = pos + 8;
  const domainSize = readU32(bytes, domainSizeOffset);
  return {
    n8q,
    q,
    qOffset,
    n8r,
    r,
    nVars,
    nPublic,
    domainSize,
    domainSizeOffset,
    alpha1Offset: domainSizeOffset + 4,
  };
}

/** Section 1 of a `.wtns` file; values follow in section 2, n8 bytes each, normal form. */
export interface WtnsHeader {
  n8: number;
  q: bigint;
  nWitness: number;
  valuesOffset: number;
}

export function readWtnsHeader(bytes: Uint8Array): WtnsHeader {
  const file = parseBinFile(bytes);
  if (file.magic !== "wtns") throw new Error(`not a wtns: ${file.magic}`);
  const pos = section(file, 1).offset;
  const n8 = readU32(bytes, pos);
  return {
    n8,
    q: readLE(bytes, pos + 4, n8),
    nWitness: readU32(bytes, pos + 4 + n8),
    valuesOffset: section(file, 2).offset,
  };
}

/** Section 1 of a `.r1cs` file (https://github.com/iden3/r1csfile). */
export interface R1csHeader {
  n8: number;
  prime: bigint;
  nWires: number;
  nPubOut: number;
  nPubIn: number;
  nPrvIn: number;
  nLabels: bigint;
  nConstraints: number;
}

export function readR1csHeader(bytes: Uint8Array): R1csHeader {
  const file = parseBinFile(bytes);
  if (file.magic !== "r1cs") throw new Error(`not an r1cs: ${file.magic}`);
  let pos = section(file, 1).offset;
  const n8 = readU32(bytes, pos);
  const prime = readLE(bytes, pos + 4, n8);
  pos += 4 + n8;
  return {
    n8,
    prime,
    nWires: readU32(bytes, pos),
    nPubOut: readU32(bytes, pos + 4),
    nPubIn: readU32(bytes, pos + 8),
    nPrvIn: readU32(bytes, pos + 12),
    nLabels: readLE(bytes, pos + 16, 8),
    nConstraints: readU32(bytes, pos + 24),
  };
}
