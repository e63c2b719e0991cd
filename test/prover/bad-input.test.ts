/**
 * Every malformed input must end in a non-zero exit and one `proofwatch-prover: ...` line
 * naming the problem, never a crash or a proof. The bad files are the real fixture bytes
 * with one thing changed, found through the section table.
 */
import { copyFile, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  parseBinFile,
  readLE,
  readWtnsHeader,
  readZkeyHeader,
  section,
  withoutSection,
  writeLE,
  writeU32,
  ZKEY_SECTION,
} from "../helpers/binfile.js";
import { g1OnCurve, mod, modInv, Q, R } from "../helpers/bn254.js";
import { makeTempDir } from "../helpers/tmpdir.js";
import { ensureCircuit, runProver, snarkjsVerifyDetailed } from "./fixtures.js";
import { describeWithProver } from "./prover-run.js";

/** Exit codes from prover/README.md. */
const EXIT = { usage: 2, badZkey: 3, badWitness: 4, mismatch: 5, output: 6, badR1cs: 7 } as const;

/** secp256k1's base field prime: a 32-byte prime that is not BN254's. */
const SECP256K1_P = 2n ** 256n - 2n ** 32n - 977n;

/** zkey field elements are Montgomery form: the stored integer is x * 2^256 mod q. */
const MONT_INV = modInv(2n ** 256n, Q);

/**
 * Changes the x coordinate of the G1 point stored at `offset` so it is still below q but
 * off the curve, checking that with BigInt instead of trusting the patch.
 */
function pushG1OffCurve(bytes: Uint8Array, offset: number): void {
  const stored = readLE(bytes, offset, 32);
  const patched = stored + 1n < Q ? stored + 1n : stored - 1n;
  writeLE(bytes, offset, 32, patched);
  const x = mod(patched * MONT_INV, Q);
  const y = mod(readLE(bytes, offset + 32, 32) * MONT_INV, Q);
  if (g1OnCurve({ x, y })) throw new Error("patched point is still on the curve");
}

interface BadCase {
  name: string;
  /** Returns [zkey, wtns] paths to prove with. */
  make: () => Promise<[string, string]>;
  code: number;
  message: RegExp;
}

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let zkey: string;
let wtns: string;
let otherWtns: string;
let zkeyBytes: Uint8Array;
let wtnsBytes: Uint8Array;
let vkey: string;

async function patched(name: string, bytes: Uint8Array): Promise<string> {
  const path = join(tmp.dir, name);
  await writeFile(path, bytes);
  return path;
}

/** A copy of the good zkey, changed in place by `patch`. */
async function patchedZkey(name: string, patch: (bytes: Uint8Array) => void) {
  const bytes = zkeyBytes.slice();
  patch(bytes);
  return patched(`${name}.zkey`, bytes);
}

async function patchedWtns(name: string, patch: (bytes: Uint8Array) => void) {
  const bytes = wtnsBytes.slice();
  patch(bytes);
  return patched(`${name}.wtns`, bytes);
}

const ZKEY_MAGIC_BROKEN = new TextEncoder().encode("keyz");
const WTNS_MAGIC_BROKEN = new TextEncoder().encode("zkey");

async function alpha1OffCurveZkey(): Promise<string> {
  return patchedZkey("alpha1-off-curve", (b) => {
    pushG1OffCurve(b, readZkeyHeader(b).alpha1Offset);
  });
}

const cases: BadCase[] = [
  {
    name: "zkey with the wrong magic",
    make: async () => [await patchedZkey("magic", (b) => b.set(ZKEY_MAGIC_BROKEN)), wtns],
    code: EXIT.badZkey,
    message: /magic/i,
  },
  {
    name: "zkey with an unknown version",
    make: async () => [await patchedZkey("version", (b) => writeU32(b, 4, 99)), wtns],
    code: EXIT.badZkey,
    message: /version 99/,
  },
  {
    name: "truncated zkey",
    make: async () => [
      await patched("truncated.zkey", zkeyBytes.slice(0, zkeyBytes.length >> 1)),
      wtns,
    ],
    code: EXIT.badZkey,
    message: /truncated|past the end/i,
  },
  {
    name: "zkey without its H section",
    make: async () => [
      await patched("no-h.zkey", withoutSection(zkeyBytes, ZKEY_SECTION.pointsH)),
      wtns,
    ],
    code: EXIT.badZkey,
    message: /section 9.*missing/i,
  },
  {
    name: "zkey for another curve (q patched)",
    make: async () => [
      await patchedZkey("curve", (b) => writeLE(b, readZkeyHeader(b).qOffset, 32, SECP256K1_P)),
      wtns,
    ],
    code: EXIT.badZkey,
    message: /BN254/,
  },
  {
    name: "zkey whose domain is not a power of two",
    make: async () => [
      await patchedZkey("domain", (b) => {
        const h = readZkeyHeader(b);
        writeU32(b, h.domainSizeOffset, h.domainSize + h.domainSize / 2);
      }),
      wtns,
    ],
    code: EXIT.badZkey,
    message: /power of two/i,
  },
  {
    name: "zkey with alpha1 off the curve",
    make: async () => [await alpha1OffCurveZkey(), wtns],
    code: EXIT.badZkey,
    message: /alpha1.*not on the .*curve/i,
  },
  {
    name: "zkey with the last H point off the curve",
    make: async () => [
      await patchedZkey("h-off-curve", (b) => {
        const h = section(parseBinFile(b), ZKEY_SECTION.pointsH);
        pushG1OffCurve(b, h.offset + h.size - 64);
      }),
      wtns,
    ],
    code: EXIT.badZkey,
    message: /H\[\d+\].*not on the .*curve/i,
  },
  {
    name: "missing zkey",
    make: async () => [join(tmp.dir, "does-not-exist.zkey"), wtns],
    code: EXIT.badZkey,
    message: /cannot open .*does-not-exist\.zkey/,
  },
  {
    name: "wtns with the wrong magic",
    make: async () => [zkey, await patchedWtns("magic", (b) => b.set(WTNS_MAGIC_BROKEN))],
    code: EXIT.badWitness,
    message: /magic/i,
  },
  {
    name: "truncated wtns",
    make: async () => [
      zkey,
      await patched("truncated.wtns", wtnsBytes.slice(0, wtnsBytes.length - 7)),
    ],
    code: EXIT.badWitness,
    message: /truncated|past the end/i,
  },
  {
    name: "wtns over another prime",
    make: async () => [
      zkey,
      await patchedWtns("prime", (b) => {
        writeLE(b, section(parseBinFile(b), 1).offset + 4, 32, SECP256K1_P);
      }),
    ],
    code: EXIT.badWitness,
    message: /BN254/,
  },
  {
    name: "wtns with a value >= r",
    make: async () => [
      zkey,
      await patchedWtns("value", (b) => {
        const h = readWtnsHeader(b);
        writeLE(b, h.valuesOffset + (h.nWitness - 1) * h.n8, h.n8, R);
      }),
    ],
    code: EXIT.badWitness,
    message: />= r/,
  },
  {
    name: "missing wtns",
    make: async () => [zkey, join(tmp.dir, "does-not-exist.wtns")],
    code: EXIT.badWitness,
    message: /cannot open .*does-not-exist\.wtns/,
  },
  {
    name: "wtns of another circuit (nWitness != nVars)",
    make: async () => [zkey, otherWtns],
    code: EXIT.mismatch,
    message: /witness|nVars/i,
  },
];

describeWithProver("proofwatch-prover bad input", () => {
  beforeAll(async () => {
    tmp = await makeTempDir("bad-input");
    const f = await ensureCircuit("multi_io");
    const other = await ensureCircuit("multiplier");
    zkey = join(tmp.dir, "good.zkey");
    wtns = join(tmp.dir, "good.wtns");
    otherWtns = other.wtns;
    vkey = f.vkey;
    await copyFile(f.zkey, zkey);
    await copyFile(f.wtns, wtns);
    zkeyBytes = new Uint8Array(await readFile(zkey));
    wtnsBytes = new Uint8Array(await readFile(wtns));
  }, 600_000);
  afterAll(async () => tmp?.cleanup());

  it("proves from the unpatched copies (the control)", async () => {
    const proof = join(tmp.dir, "good-proof.json");
    const pub = join(tmp.dir, "good-public.json");

    const run = await runProver([zkey, wtns, proof, pub, "--backend", "cpu"]);

    expect(run.code, run.stderr).toBe(0);
    expect(await snarkjsVerifyDetailed(vkey, pub, proof)).toMatchObject({ valid: true });
  });

  it.each(cases)("$name", async ({ make, code, message }) => {
    const [badZkey, badWtns] = await make();
    const proof = join(tmp.dir, "bad-proof.json");
    const pub = join(tmp.dir, "bad-public.json");

    const run = await runProver([badZkey, badWtns, proof, pub, "--backend", "cpu"]);

    expect(run.code, run.stderr).toBe(code);
    expect(run.stderr).toMatch(/^proofwatch-prover: /m);
    expect(run.stderr).toMatch(message);
  });

  it.each([
    ["an unknown option", ["--no-such-option"]],
    ["a missing positional argument", []],
    ["an unknown backend", ["--backend", "tpu"]],
    ["a non-numeric --threads", ["--threads", "many"]],
  ])("usage error: %s (exit 2)", async (_, extra) => {
    const outputs =
      extra.length === 0
        ? [join(tmp.dir, "usage-proof.json")]
        : [join(tmp.dir, "usage-proof.json"), join(tmp.dir, "usage-public.json")];

    const run = await runProver([zkey, wtns, ...outputs, ...extra]);

    expect(run.code, run.stderr).toBe(EXIT.usage);
    expect(run.stderr).toMatch(/^proofwatch-prover: /m);
  });

  it("an output folder that does not exist (exit 6)", async () => {
    const proof = join(tmp.dir, "no-such-dir", "proof.json");

    const run = await runProver([zkey, wtns, proof, join(tmp.dir, "out-public.json")]);

    expect(run.code, run.stderr).toBe(EXIT.output);
    expect(run.stderr).toMatch(/^proofwatch-prover: .*no-such-dir/m);
  });

  it("dev-setup of a file that is not an r1cs (exit 7)", async () => {
    const run = await runProver(["dev-setup", zkey, join(tmp.dir, "dev.zkey")]);

    expect(run.code, run.stderr).toBe(EXIT.badR1cs);
    expect(run.stderr).toMatch(/^proofwatch-prover: .*magic/m);
  });

  it("--trust-zkey skips the on-curve check (and the proof is then wrong)", async () => {
    const badZkey = await alpha1OffCurveZkey();
    const proof = join(tmp.dir, "trusted-proof.json");
    const pub = join(tmp.dir, "trusted-public.json");

    const run = await runProver([badZkey, wtns, proof, pub, "--backend", "cpu", "--trust-zkey"]);

    expect(run.code, run.stderr).toBe(0);
    expect(await snarkjsVerifyDetailed(vkey, pub, proof)).toMatchObject({ valid: false });
  });
});
