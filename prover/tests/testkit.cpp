// prover-testkit: field, curve, MSM and NTT primitives over a line-oriented JSON
// protocol, for the vitest suites in test/prover (protocol in prover/README.md).
#include <cstdio>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "bn254/ec/curve.h"
#include "bn254/ff/backend_check.h"
#include "bn254/ff/decimal.h"
#include "msm/msm_cpu.h"
#include "ntt/ntt_cpu.h"

using namespace pw;

namespace {

struct JVal {
  enum Kind { kNull, kBool, kNum, kStr, kArr, kObj } kind = kNull;
  std::string s;  // string contents, or the literal text of a number/bool
  std::vector<JVal> arr;
  std::vector<std::pair<std::string, JVal>> obj;
  const JVal* get(const std::string& k) const {
    for (auto& [key, v] : obj)
      if (key == k) return &v;
    return nullptr;
  }
};

struct Parser {
  const std::string& t;
  size_t i = 0;
  void ws() {
    while (i < t.size() && (t[i] == ' ' || t[i] == '\t' || t[i] == '\r' || t[i] == '\n')) ++i;
  }
  [[noreturn]] void bad() { throw std::runtime_error("malformed JSON at offset " + std::to_string(i)); }
  std::string str() {
    if (t[i] != '"') bad();
    ++i;
    std::string out;
    while (i < t.size() && t[i] != '"') {
      if (t[i] == '\\') {
        if (++i >= t.size()) bad();
        char e = t[i];
        out.push_back(e == 'n' ? '\n' : e == 't' ? '\t' : e);
      } else {
        out.push_back(t[i]);
      }
      ++i;
    }
    if (i >= t.size()) bad();
    ++i;
    return out;
  }
  JVal val(int depth = 0) {
    if (depth > 64) bad();
    ws();
    if (i >= t.size()) bad();
    JVal v;
    char ch = t[i];
    if (ch == '{') {
      v.kind = JVal::kObj;
      ++i;
      ws();
      if (i < t.size() && t[i] == '}') {
        ++i;
        return v;
      }
      for (;;) {
        ws();
        std::string k = str();
        ws();
        if (i >= t.size() || t[i] != ':') bad();
        ++i;
        v.obj.emplace_back(k, val(depth + 1));
        ws();
        if (i < t.size() && t[i] == ',') {
          ++i;
          continue;
        }
        if (i < t.size() && t[i] == '}') {
          ++i;
          return v;
        }
        bad();
      }
    }
    if (ch == '[') {
      v.kind = JVal::kArr;
      ++i;
      ws();
      if (i < t.size() && t[i] == ']') {
        ++i;
        return v;
      }
      for (;;) {
        v.arr.push_back(val(depth + 1));
        ws();
        if (i < t.size() && t[i] == ',') {
          ++i;
          continue;
        }
        if (i < t.size() && t[i] == ']') {
          ++i;
          return v;
        }
        bad();
      }
    }
    if (ch == '"') {
      v.kind = JVal::kStr;
      v.s = str();
      return v;
    }
    size_t b = i;
    while (i < t.size() && (isalnum((unsigned char)t[i]) || t[i] == '-' || t[i] == '+' || t[i] == '.')) ++i;
    if (b == i) bad();
    v.s = t.substr(b, i - b);
    v.kind = (v.s == "true" || v.s == "false") ? JVal::kBool : v.s == "null" ? JVal::kNull : JVal::kNum;
    return v;
  }
};

std::string quote(const std::string& s) {
  std::string o = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') o.push_back('\\');
    if ((unsigned char)c < 0x20) continue;
    o.push_back(c);
  }
  return o + "\"";
}

const JVal& need(const JVal& req, const char* key) {
  const JVal* v = req.get(key);
  if (!v) throw std::runtime_error(std::string("missing field '") + key + "'");
  return *v;
}

template <class F>
F field(const JVal& v, const char* what) {
  if (v.kind != JVal::kStr && v.kind != JVal::kNum) throw std::runtime_error(std::string(what) + ": expected a decimal string");
  F x;
  if (!parse_field(v.s, x)) throw std::runtime_error(std::string(what) + ": not a canonical field element: " + v.s);
  return x;
}

Scalar scalar(const JVal& v) {
  Fr x = field<Fr>(v, "scalar");
  Scalar s;
  x.to_normal(s.l);
  return s;
}

const std::vector<JVal>& array(const JVal& v, const char* what, size_t len = 0) {
  if (v.kind != JVal::kArr || (len && v.arr.size() != len))
    throw std::runtime_error(std::string(what) + ": expected an array" + (len ? " of " + std::to_string(len) : ""));
  return v.arr;
}

Fq2 fq2(const JVal& v) {
  auto& a = array(v, "Fq2 element", 2);
  return Fq2{field<Fq>(a[0], "Fq2.c0"), field<Fq>(a[1], "Fq2.c1")};
}

G1Aff g1(const JVal& v) {
  auto& a = array(v, "G1 point", 2);
  G1Aff p{field<Fq>(a[0], "x"), field<Fq>(a[1], "y")};
  if (!on_curve<G1>(p)) throw std::runtime_error("G1 point is not on the curve");
  return p;
}
G2Aff g2(const JVal& v) {
  auto& a = array(v, "G2 point", 2);
  G2Aff p{fq2(a[0]), fq2(a[1])};
  if (!on_curve<G2>(p)) throw std::runtime_error("G2 point is not on the curve");
  return p;
}

std::string dec(const Fq& x) { return quote(field_to_decimal(x)); }
std::string out_fq2(const Fq2& x) { return "[" + dec(x.c0) + "," + dec(x.c1) + "]"; }
std::string out_g1(const G1::Acc& p) {
  G1Aff a = p.to_affine();
  return "[" + dec(a.x) + "," + dec(a.y) + "]";
}
std::string out_g2(const G2::Acc& p) {
  G2Aff a = p.to_affine();
  return "[" + out_fq2(a.x) + "," + out_fq2(a.y) + "]";
}

template <class F>
std::string binop(const std::string& op, const JVal& req) {
  F a = field<F>(need(req, "a"), "a");
  if (op == "inv") {
    if (a.is_zero()) throw std::runtime_error("inverse of zero");
    return quote(field_to_decimal(a.inverse()));
  }
  F b = field<F>(need(req, "b"), "b");
  F r = op == "mul" ? a * b : op == "add" ? a + b : a - b;
  return quote(field_to_decimal(r));
}

std::string handle(const JVal& req, ThreadPool& pool) {
  const JVal& opv = need(req, "op");
  const std::string& op = opv.s;
  if (op == "fr_mul" || op == "fr_add" || op == "fr_sub" || op == "fr_inv") return binop<Fr>(op.substr(3), req);
  if (op == "fq_mul" || op == "fq_add" || op == "fq_sub" || op == "fq_inv") return binop<Fq>(op.substr(3), req);
  if (op == "fq2_mul") return out_fq2(fq2(need(req, "a")) * fq2(need(req, "b")));
  if (op == "g1_scalar_mul") {
    Scalar k = scalar(need(req, "scalar"));
    return out_g1(scalar_mul(G1::Acc::from_affine(g1(need(req, "point"))), k.l));
  }
  if (op == "g2_scalar_mul") {
    Scalar k = scalar(need(req, "scalar"));
    return out_g2(scalar_mul(G2::Acc::from_affine(g2(need(req, "point"))), k.l));
  }
  if (op == "g1_add") {
    G1::Acc a = G1::Acc::from_affine(g1(need(req, "a")));
    a.add_affine(g1(need(req, "b")));
    return out_g1(a);
  }
  if (op == "g1_msm" || op == "g2_msm") {
    auto& pts = array(need(req, "points"), "points");
    auto& sc = array(need(req, "scalars"), "scalars");
    if (pts.size() != sc.size()) throw std::runtime_error("points and scalars differ in length");
    std::vector<Scalar> s(sc.size());
    for (size_t i = 0; i < sc.size(); ++i) s[i] = scalar(sc[i]);
    if (op == "g1_msm") {
      std::vector<G1Aff> p(pts.size());
      for (size_t i = 0; i < pts.size(); ++i) p[i] = g1(pts[i]);
      return out_g1(msm_cpu<G1>(p.data(), s.data(), p.size(), pool));
    }
    std::vector<G2Aff> p(pts.size());
    for (size_t i = 0; i < pts.size(); ++i) p[i] = g2(pts[i]);
    return out_g2(msm_cpu<G2>(p.data(), s.data(), p.size(), pool));
  }
  if (op == "ntt" || op == "intt") {
    auto& vals = array(need(req, "values"), "values");
    size_t n = vals.size();
    if (n == 0 || (n & (n - 1)) || n > (size_t(1) << 24)) throw std::runtime_error("values: length must be a power of two <= 2^24");
    int log_n = 0;
    while ((size_t(1) << log_n) < n) ++log_n;
    std::vector<Fr> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = field<Fr>(vals[i], "value");
    NttDomain d(log_n);
    if (op == "ntt") {
      d.forward(v.data(), pool);
    } else {
      d.inverse(v.data(), pool);
    }
    std::string o = "[";
    for (size_t i = 0; i < n; ++i) o += (i ? "," : "") + quote(field_to_decimal(v[i]));
    return o + "]";
  }
  if (op == "field_backend") {
    // Which backend the products run on, and the backends checked against each other.
    const JVal* sv = req.get("seed");
    const uint64_t seed = sv ? std::stoull(sv->s) : 1;
    std::string o = std::string("{\"backend\":") + quote(field_backend::name()) + ",\"checks\":[";
    bool first = true;
    for (const BackendCheck& c : field_backend_check(seed)) {
      o += (first ? "" : ",") + std::string("{\"name\":") + quote(c.name) + ",\"ok\":" + (c.ok ? "true" : "false") + "}";
      first = false;
    }
    return o + "]}";
  }
  if (op == "root_of_unity") {
    const JVal& k = need(req, "log_n");
    int log_n = std::stoi(k.s);
    if (log_n < 0 || log_n > 28) throw std::runtime_error("log_n must be 0..28");
    return quote(field_to_decimal(root_of_unity(log_n)));
  }
  throw std::runtime_error("unknown op '" + op + "'");
}

}  // namespace

int main(int argc, char** argv) {
  unsigned threads = 0;
  for (int i = 1; i + 1 < argc; ++i)
    if (std::string(argv[i]) == "--threads") threads = (unsigned)std::stoul(argv[i + 1]);
  ThreadPool pool(threads);
  std::string line;
  std::ios::sync_with_stdio(false);
  while (std::getline(std::cin, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::string id;
    try {
      Parser p{line};
      JVal req = p.val();
      if (req.kind != JVal::kObj) throw std::runtime_error("request must be a JSON object");
      if (const JVal* v = req.get("id")) id = v->kind == JVal::kStr ? quote(v->s) : v->s;
      std::string res = handle(req, pool);
      std::cout << "{" << (id.empty() ? "" : "\"id\":" + id + ",") << "\"result\":" << res << "}\n";
    } catch (const std::exception& e) {
      std::cout << "{" << (id.empty() ? "" : "\"id\":" + id + ",") << "\"error\":" << quote(e.what()) << "}\n";
    }
    std::cout.flush();
  }
  return 0;
}
