// Inline witnesses become `.wtns` files before they reach the daemon, which reads files only.
// Format: iden3 binfile "wtns" version 2 (https://github.com/iden3/snarkjs, src/wtns_utils.js):
// section 1 = n8 (u32), prime (n8 bytes), count (u32); section 2 = the values, n8 bytes each,
// little-endian.
import { SCALAR_MODULUS } from "../../../contracts/index.js";

const N8 = 32;

function writeLE(target: Buffer, offset: number, value: bigint): void {
  let rest = value;
  for (let i = 0; i < N8; i++) {
    target[offset + i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
}

/** A `.wtns` file holding `values` (decimal strings, each below the scalar modulus). */
export function encodeWtns(values: readonly string[]): Buffer {
  const headerSize = 4 + N8 + 4;
  const dataSize = N8 * values.length;
  const out = Buffer.alloc(12 + 12 + headerSize + 12 + dataSize);
  out.write("wtns", 0, "latin1");
  out.writeUInt32LE(2, 4);
  out.writeUInt32LE(2, 8);
  let pos = 12;
  out.writeUInt32LE(1, pos);
  out.writeBigUInt64LE(BigInt(headerSize), pos + 4);
  out.writeUInt32LE(N8, pos + 12);
  writeLE(out, pos + 16, SCALAR_MODULUS);
  out.writeUInt32LE(values.length, pos + 16 + N8);
  pos += 12 + headerSize;
  out.writeUInt32LE(2, pos);
  out.writeBigUInt64LE(BigInt(dataSize), pos + 4);
  pos += 12;
  for (const value of values) {
    writeLE(out, pos, BigInt(value));
    pos += N8;
  }
  return out;
}
