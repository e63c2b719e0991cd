/**
 * Inputs the verifier must refuse as malformed, each with a reason that names what is
 * wrong, and verification keys prepareKey must refuse. None may crash the process.
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  nativeVerifierAvailable,
  type PreparedKey,
  prepareKey,
  verifyProof,
} from "../../verifier/native.js";
import { G1_GENERATOR, g2InSubgroup, g2OnCurve, g2ToJson, Q, R } from "../helpers/bn254.js";
import { Rng } from "../helpers/random.js";
import { makeTempDir } from "../helpers/tmpdir.js";
import {
  type Circuit,
  clone,
  loadCircuit,
  type ProofCase,
  randomTwistPoint,
  type SnarkjsProof,
} from "./support.js";

const available = nativeVerifierAvailable();

describe.skipIf(!available)("malformed proofs and keys", () => {
  let circuit: Circuit;
  let key: PreparedKey;
  let base: ProofCase;
  const rng = Rng.fromEnv("verifier-native-malformed");
  let twistPoint: ReturnType<typeof randomTwistPoint>;

  beforeAll(async () => {
    const { dir, cleanup } = await makeTempDir("verifier-malformed");
    circuit = await loadCircuit("multi_io", dir);
    await cleanup();
    key = prepareKey(circuit.keyJson);
    base = circuit.proofs[0] as ProofCase;
    twistPoint = randomTwistPoint(rng);
  });

  // Edits a copy of the valid proof (as parsed JSON) and checks the verdict's reason.
  const proofCases: [string, (p: SnarkjsProof & Record<string, unknown>) => void, RegExp][] = [
    [
      "pi_a off the curve",
      (p) => {
        p.pi_a[1] = (BigInt(p.pi_a[1] as string) + 1n).toString();
      },
      /^pi_a is not on the curve$/,
    ],
    [
      "pi_a.x not below q",
      (p) => {
        p.pi_a[0] = (BigInt(p.pi_a[0] as string) + Q).toString();
      },
      /^pi_a\.x is not below the field modulus$/,
    ],
    [
      "pi_c.y equal to q",
      (p) => {
        p.pi_c[1] = Q.toString();
      },
      /^pi_c\.y is not below the field modulus$/,
    ],
    [
      "a leading zero",
      (p) => {
        p.pi_a[0] = `0${p.pi_a[0]}`;
      },
      /^pi_a\.x is not a canonical decimal \(leading zero\)$/,
    ],
    [
      "a hexadecimal coordinate",
      (p) => {
        (p.pi_b[0] as string[])[0] = "0x1f";
      },
      /^pi_b\.x\.c0 is not a decimal string$/,
    ],
    [
      "a negative coordinate",
      (p) => {
        (p.pi_b[1] as string[])[1] = "-5";
      },
      /^pi_b\.y\.c1 is not a decimal string$/,
    ],
    [
      "an exponent",
      (p) => {
        p.pi_c[0] = "1e5";
      },
      /^pi_c\.x is not a decimal string$/,
    ],
    [
      "an empty string",
      (p) => {
        p.pi_c[0] = "";
      },
      /^pi_c\.x is not a decimal string$/,
    ],
    [
      "a 90-digit number",
      (p) => {
        p.pi_c[0] = "9".repeat(90);
      },
      /^pi_c\.x is not below the field modulus$/,
    ],
    [
      "a 200-digit number",
      (p) => {
        p.pi_c[0] = "9".repeat(200);
      },
      /^proof pi_c\[0\]: /,
    ],
    [
      // A number is read as the number it is, as in a submission (contracts/groth16.ts).
      "a number instead of a string, off the curve",
      (p) => {
        (p.pi_a as unknown[])[0] = 1;
      },
      /^pi_a is not on the curve$/,
    ],
    [
      "a number JSON does not keep exact",
      (p) => {
        (p.pi_a as unknown[])[0] = 2 ** 60;
      },
      /^proof pi_a\[0\]: \d+ is not a non-negative integer that JSON keeps exact$/,
    ],
    [
      "a number that is not an integer",
      (p) => {
        (p.pi_b[1] as unknown[])[0] = 1.5;
      },
      /^proof pi_b\[1\]\[0\]: 1\.5 is not a non-negative integer/,
    ],
    [
      "an object instead of a coordinate",
      (p) => {
        (p.pi_c as unknown[])[1] = {};
      },
      /^proof pi_c\[1\]: not a string or a number$/,
    ],
    [
      "a curve named bn254",
      (p) => {
        p.curve = "bn254";
        p.pi_a[1] = (BigInt(p.pi_a[1] as string) + 1n).toString();
      },
      /^pi_a is not on the curve$/,
    ],
    [
      "a missing coordinate",
      (p) => {
        p.pi_a.pop();
      },
      /^proof pi_a/,
    ],
    [
      "an extra coordinate",
      (p) => {
        p.pi_a.push("1");
      },
      /^proof pi_a/,
    ],
    [
      "pi_b as a G1 point",
      (p) => {
        (p as Record<string, unknown>).pi_b = p.pi_a;
      },
      /^proof pi_b/,
    ],
    [
      "pi_a missing",
      (p) => {
        delete (p as Record<string, unknown>).pi_a;
      },
      /^proof pi_a/,
    ],
    [
      "z = 2",
      (p) => {
        p.pi_a[2] = "2";
      },
      /^pi_a\.z is neither 1/,
    ],
    [
      "G2 z = [1, 1]",
      (p) => {
        (p.pi_b[2] as string[])[1] = "1";
      },
      /^pi_b\.z is neither \[1, 0\]/,
    ],
    [
      "z = 0 with other coordinates",
      (p) => {
        p.pi_c[2] = "0";
      },
      /^pi_c has z = 0 but is not the point at infinity/,
    ],
    [
      "pi_b on the twist but outside G2",
      (p) => {
        p.pi_b = g2ToJson(twistPoint);
      },
      /^pi_b is not in the G2 subgroup$/,
    ],
    [
      "pi_b off the twist curve",
      (p) => {
        (p.pi_b[0] as string[])[0] = "1";
      },
      /^pi_b is not on the twist curve$/,
    ],
    [
      "protocol plonk",
      (p) => {
        p.protocol = "plonk";
      },
      /^proof protocol: /,
    ],
    [
      "curve bls12381",
      (p) => {
        p.curve = "bls12381";
      },
      /^proof curve: /,
    ],
  ];

  it.each(proofCases)("%s", (_name, edit, reason) => {
    const proof = clone(base.proof) as SnarkjsProof & Record<string, unknown>;
    edit(proof);

    const verdict = verifyProof(key, JSON.stringify(proof), JSON.stringify(base.publicSignals));

    expect(verdict.result).toBe("malformed");
    expect(verdict.reason).toMatch(reason);
  });

  it("builds its non-subgroup point on the twist curve, outside G2", () => {
    expect(g2OnCurve(twistPoint)).toBe(true);
    expect(g2InSubgroup(twistPoint)).toBe(false);
  });

  const publicCases: [string, (s: unknown[]) => unknown, RegExp][] = [
    ["one signal too few", (s) => s.slice(1), /^expected 6 public signals \(nPublic\), got 5$/],
    ["one signal too many", (s) => [...s, "1"], /^expected 6 public signals \(nPublic\), got 7$/],
    [
      "a signal equal to r",
      (s) => {
        s[3] = R.toString();
        return s;
      },
      /^public signal 3 is not below the scalar field modulus$/,
    ],
    [
      "a signal above q",
      (s) => {
        s[0] = (Q + 1n).toString();
        return s;
      },
      /^public signal 0 is not below the scalar field modulus$/,
    ],
    [
      "a number signal JSON does not keep exact",
      (s) => {
        s[1] = 1e30;
        return s;
      },
      /^public signals \[1\]: 1e\+30 is not a non-negative integer that JSON keeps exact$/,
    ],
    [
      "a decimal point",
      (s) => {
        s[2] = "5.0";
        return s;
      },
      /^public signal 2 is not a decimal string$/,
    ],
    ["an object instead of an array", () => ({ 0: "1" }), /^public signals: .*array/],
  ];

  it.each(publicCases)("public signals: %s", (_name, edit, reason) => {
    const signals = edit(clone(base.publicSignals) as unknown[]);

    const verdict = verifyProof(key, JSON.stringify(base.proof), JSON.stringify(signals));

    expect(verdict).toEqual({ result: "malformed", reason: expect.stringMatching(reason) });
  });

  const hostile: [string, string][] = [
    ["not JSON", "{pi_a:"],
    ["empty text", ""],
    ["null", "null"],
    ["a bare number", "12"],
    ["deep nesting", `${"[".repeat(200_000)}${"]".repeat(200_000)}`],
    ["deep nesting in a field", `{"pi_a":${"[".repeat(100_000)}${"]".repeat(100_000)}}`],
    ["a huge document", JSON.stringify({ pi_a: ["1".repeat(1 << 20)] })],
  ];

  it.each(hostile)("hostile proof text: %s", (_name, text) => {
    const verdict = verifyProof(key, text, JSON.stringify(base.publicSignals));

    expect(verdict.result).toBe("malformed");
    expect(verdict.reason).toMatch(/^proof/);
  });

  it("reads a signal given as a number as the number it is", () => {
    const signals: unknown[] = clone(base.publicSignals);
    const small = signals.findIndex((s) => BigInt(s as string) <= BigInt(Number.MAX_SAFE_INTEGER));
    signals[small] = Number(signals[small]);

    expect(small).not.toBe(-1);
    expect(verifyProof(key, JSON.stringify(base.proof), JSON.stringify(signals))).toEqual({
      result: "valid",
    });
  });

  it("takes a proof whose curve is called bn254 as well as bn128", () => {
    const proof = { ...clone(base.proof), curve: "bn254" };

    expect(verifyProof(key, JSON.stringify(proof), JSON.stringify(base.publicSignals))).toEqual({
      result: "valid",
    });
  });

  it("a point at infinity is well-formed but fails the pairing check", () => {
    const proof = clone(base.proof);
    proof.pi_c = ["0", "1", "0"];

    expect(verifyProof(key, JSON.stringify(proof), JSON.stringify(base.publicSignals))).toEqual({
      result: "invalid",
      reason: "pairing check failed",
    });
  });

  it("refuses a key object it did not make", () => {
    expect(() => verifyProof({ nPublic: 6 }, JSON.stringify(base.proof), "[]")).toThrow(TypeError);
  });

  describe("verification keys", () => {
    const keyCases: [string, (k: Record<string, unknown>) => void, RegExp][] = [
      [
        "vk_beta_2 outside G2",
        (k) => {
          k.vk_beta_2 = g2ToJson(twistPoint);
        },
        /vk_beta_2 is not in the G2 subgroup$/,
      ],
      [
        "vk_alpha_1 off the curve",
        (k) => {
          (k.vk_alpha_1 as string[])[0] = "5";
        },
        /vk_alpha_1 is not on the curve$/,
      ],
      [
        "vk_gamma_2 at infinity",
        (k) => {
          k.vk_gamma_2 = [
            ["0", "0"],
            ["1", "0"],
            ["0", "0"],
          ];
        },
        /vk_gamma_2 is the point at infinity$/,
      ],
      [
        "an IC point off the curve",
        (k) => {
          (k.IC as string[][])[2] = [G1_GENERATOR.x.toString(), "3", "1"];
        },
        /IC\[2\] is not on the curve$/,
      ],
      [
        "IC shorter than nPublic + 1",
        (k) => {
          (k.IC as unknown[]).pop();
        },
        /IC has 6 points, nPublic \+ 1 = 7 expected$/,
      ],
      [
        "nPublic not a number",
        (k) => {
          k.nPublic = "6";
        },
        /key nPublic: /,
      ],
      [
        "a Groth16 key for another curve",
        (k) => {
          k.curve = "bls12381";
        },
        /key curve: /,
      ],
      [
        "IC.x not canonical",
        (k) => {
          (k.IC as string[][])[0] = ["00", "0", "0"];
        },
        /IC\[0\]\.x is not a canonical decimal/,
      ],
    ];

    it("takes a key whose curve is called bn254 as well as bn128", () => {
      const vk = { ...(JSON.parse(circuit.keyJson) as Record<string, unknown>), curve: "bn254" };
      const bn254 = prepareKey(JSON.stringify(vk));

      expect(bn254.nPublic).toBe(6);
      expect(
        verifyProof(bn254, JSON.stringify(base.proof), JSON.stringify(base.publicSignals)),
      ).toEqual({ result: "valid" });
    });

    it.each(keyCases)("%s", (_name, edit, reason) => {
      const vk = JSON.parse(circuit.keyJson) as Record<string, unknown>;
      edit(vk);

      expect(() => prepareKey(JSON.stringify(vk))).toThrow(reason);
    });

    it("not JSON", () => {
      expect(() => prepareKey("]")).toThrow(/^invalid verification key: key is not valid JSON/);
    });
  });
});

describe.skipIf(!available)("the raw binding", () => {
  it("survives arguments that throw while it reads them", async () => {
    const { createRequire } = await import("node:module");
    const { addonPath } = await import("../../verifier/native.js");
    const raw = createRequire(import.meta.url)(addonPath()) as {
      prepareKey(strings: unknown): unknown;
    };
    const hostile = new Proxy(["1"], {
      get(target, prop) {
        if (prop === "0") throw new Error("getter says no");
        return Reflect.get(target, prop);
      },
    });

    expect(() => raw.prepareKey(hostile)).toThrow();
    expect(() => raw.prepareKey("not an array")).toThrow(TypeError);
    expect(() => raw.prepareKey(Array(24).fill(5))).toThrow(TypeError);
  });
});
