// Writes a circuit's verification key and the benchmark's cached proofs (made by
// bench/verifier/run.ts) as one decimal per line, the input of profile.cc.
//   node bench/verifier/dump-fixture.mjs CIRCUIT OUTFILE
import { readdirSync, readFileSync, writeFileSync } from "node:fs";

const [circuit, outFile] = process.argv.slice(2);
const vk = JSON.parse(readFileSync(`.cache/circuits/${circuit}/verification_key.json`, "utf8"));
const out = [];
const g1 = (p) => out.push(...p);
const g2 = (p) => out.push(...p.flat());
g1(vk.vk_alpha_1);
g2(vk.vk_beta_2);
g2(vk.vk_gamma_2);
g2(vk.vk_delta_2);
out.push(String(vk.IC.length));
vk.IC.forEach(g1);
const dir = `.cache/bench/verifier/${circuit}`;
const n = readdirSync(dir).filter((f) => /^proof-\d+\.json$/.test(f)).length;
out.push(String(n));
for (let i = 0; i < n; ++i) {
  const p = JSON.parse(readFileSync(`${dir}/proof-${i}.json`, "utf8"));
  const s = JSON.parse(readFileSync(`${dir}/public-${i}.json`, "utf8"));
  g1(p.pi_a);
  g2(p.pi_b);
  g1(p.pi_c);
  out.push(String(s.length), ...s);
}
writeFileSync(outFile, `${out.join("\n")}\n`);
