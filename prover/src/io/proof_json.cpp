#include "io/proof_json.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "bn254/ff/decimal.h"
#include "util/error.h"

namespace pw {

namespace {
std::string q(const Fq& x) { return "\"" + field_to_decimal(x) + "\""; }

std::string g1(const G1Aff& p) {
  // snarkjs writes the point at infinity in projective form (0, 1, 0).
  if (p.is_inf()) return "[\"0\",\"1\",\"0\"]";
  return "[" + q(p.x) + "," + q(p.y) + ",\"1\"]";
}
}  // namespace

std::string proof_to_json(const Proof& p) {
  std::string b;
  if (p.b.is_inf()) {
    b = "[[\"0\",\"0\"],[\"1\",\"0\"],[\"0\",\"0\"]]";
  } else {
    b = "[[" + q(p.b.x.c0) + "," + q(p.b.x.c1) + "],[" + q(p.b.y.c0) + "," + q(p.b.y.c1) + "],[\"1\",\"0\"]]";
  }
  return "{\n \"pi_a\": " + g1(p.a) + ",\n \"pi_b\": " + b + ",\n \"pi_c\": " + g1(p.c) +
         ",\n \"protocol\": \"groth16\",\n \"curve\": \"bn128\"\n}\n";
}

std::string public_to_json(const Proof& p) {
  std::string s = "[";
  for (size_t i = 0; i < p.public_signals.size(); ++i) {
    if (i) s += ",";
    s += "\n \"" + to_decimal(p.public_signals[i].l) + "\"";
  }
  s += p.public_signals.empty() ? "]\n" : "\n]\n";
  return s;
}

void write_text_file(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) throw ProverError(kExitOutput, "cannot write " + path + ": " + std::strerror(errno));
  bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  ok = (std::fclose(f) == 0) && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw ProverError(kExitOutput, "cannot write " + path + ": " + std::strerror(errno));
  }
}

}  // namespace pw
