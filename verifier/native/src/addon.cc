// proofwatch_verifier: the Node binding of the Groth16 verifier. Thin on purpose: argument
// shapes come checked from verifier/native.ts, which also turns the numeric codes into the
// public Verdict type. Each environment (main thread, worker thread) gets its own addon
// instance; the only shared state is immutable constants initialised once by C++ statics.
#include <napi.h>

#include <cstdint>
#include <memory>

#include "groth16_verifier.h"
#include "bn254/pairing/self_test.h"

namespace {

using pw::verifier::PreparedKey;
using pw::verifier::ProofText;
using pw::verifier::Verdict;

// Marks the externals this addon made, so a foreign external is refused, not reinterpreted.
constexpr napi_type_tag kKeyTag = {0x70726f6f66776174ULL, 0x63682d766b657931ULL};

// Longer strings are not read into memory: 78 digits already exceed both moduli.
constexpr size_t kMaxStringBytes = 96;
constexpr uint32_t kMaxArray = 1u << 20;

// Reads a string argument; an over-long one becomes a non-decimal stand-in so that the
// verifier reports it like any other junk.
bool read_string(const Napi::Value& v, std::string& out) {
  if (!v.IsString()) return false;
  size_t len = 0;
  if (napi_get_value_string_utf8(v.Env(), v, nullptr, 0, &len) != napi_ok) return false;
  if (len > kMaxStringBytes) {
    out = "<too long>";
    return true;
  }
  char buf[kMaxStringBytes + 1];
  if (napi_get_value_string_utf8(v.Env(), v, buf, sizeof buf, &len) != napi_ok) return false;
  out.assign(buf, len);
  return true;
}

bool read_strings(const Napi::Value& v, std::vector<std::string>& out) {
  if (!v.IsArray()) return false;
  const Napi::Array a = v.As<Napi::Array>();
  const uint32_t n = a.Length();
  if (n > kMaxArray) return false;
  out.resize(n);
  for (uint32_t i = 0; i < n; ++i) {
    const Napi::Value e = a.Get(i);
    if (v.Env().IsExceptionPending() || !read_string(e, out[i])) return false;
  }
  return true;
}

template <size_t N>
void take(const std::vector<std::string>& s, size_t at, std::array<std::string, N>& out) {
  for (size_t i = 0; i < N; ++i) out[i] = s[at + i];
}

// Proof layout: pi_a (3), pi_b (6), pi_c (3).
bool read_proof(const Napi::Value& proof, const Napi::Value& publics, ProofText& out) {
  std::vector<std::string> s;
  if (!read_strings(proof, s) || s.size() != 12 || !read_strings(publics, out.publics)) return false;
  take(s, 0, out.a);
  take(s, 3, out.b);
  take(s, 9, out.c);
  return true;
}

// With C++ exceptions off, throwing while another exception is pending (an array getter
// that threw) would be a fatal error: that one is left to propagate instead.
Napi::Value type_error(Napi::Env env, const char* what) {
  if (!env.IsExceptionPending()) Napi::TypeError::New(env, what).ThrowAsJavaScriptException();
  return env.Undefined();
}

const PreparedKey* unwrap_key(const Napi::Value& v) {
  if (!v.IsExternal()) return nullptr;
  const auto ext = v.As<Napi::External<PreparedKey>>();
  if (!ext.CheckTypeTag(&kKeyTag)) return nullptr;
  return ext.Data();
}

Napi::Value verdict_value(Napi::Env env, const Verdict& v) {
  Napi::Array a = Napi::Array::New(env, 2);
  a.Set(0u, Napi::Number::New(env, (double)static_cast<int>(v.outcome)));
  a.Set(1u, Napi::String::New(env, v.reason));
  return a;
}

class VerifierAddon : public Napi::Addon<VerifierAddon> {
 public:
  VerifierAddon(Napi::Env, Napi::Object exports) {
    DefineAddon(exports, {
                             InstanceMethod("prepareKey", &VerifierAddon::PrepareKey),
                             InstanceMethod("verifyProof", &VerifierAddon::VerifyProof),
                             InstanceMethod("verifyBatch", &VerifierAddon::VerifyBatch),
                             InstanceMethod("pairingSelfTest", &VerifierAddon::PairingSelfTest),
                             InstanceMethod("batchCounters", &VerifierAddon::BatchCounters),
                         });
  }

 private:
  // prepareKey(strings): alpha (3), beta, gamma, delta (6 each), then IC points (3 each).
  // Returns the key handle, or a string saying why the key is unusable.
  Napi::Value PrepareKey(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::vector<std::string> s;
    if (info.Length() != 1 || !read_strings(info[0], s) || s.size() < 24 || (s.size() - 21) % 3 != 0) {
      return type_error(env, "prepareKey expects the key's decimal strings");
    }
    pw::verifier::KeyText text;
    take(s, 0, text.alpha);
    take(s, 3, text.beta);
    take(s, 9, text.gamma);
    take(s, 15, text.delta);
    text.ic.resize((s.size() - 21) / 3);
    for (size_t i = 0; i < text.ic.size(); ++i) take(s, 21 + 3 * i, text.ic[i]);
    std::string reason;
    std::unique_ptr<PreparedKey> key = PreparedKey::prepare(text, reason);
    if (!key) return Napi::String::New(env, reason);
    const int64_t bytes = (int64_t)key->memory_bytes();
    Napi::MemoryManagement::AdjustExternalMemory(env, bytes);
    auto ext = Napi::External<PreparedKey>::New(env, key.release(), [bytes](Napi::Env e, PreparedKey* k) {
      Napi::MemoryManagement::AdjustExternalMemory(e, -bytes);
      delete k;
    });
    ext.TypeTag(&kKeyTag);
    return ext;
  }

  // verifyProof(key, proofStrings, publicSignals) -> [code, reason]
  Napi::Value VerifyProof(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const PreparedKey* key = info.Length() == 3 ? unwrap_key(info[0]) : nullptr;
    ProofText proof;
    if (!key || !read_proof(info[1], info[2], proof)) {
      return type_error(env, "verifyProof expects (key, proof strings, public signals)");
    }
    return verdict_value(env, key->verify(proof));
  }

  // verifyBatch(key, proofStrings[], publicSignals[]) -> [code, reason][]
  Napi::Value VerifyBatch(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const PreparedKey* key = info.Length() == 3 ? unwrap_key(info[0]) : nullptr;
    if (!key || !info[1].IsArray() || !info[2].IsArray()) {
      return type_error(env, "verifyBatch expects (key, proof strings[], public signals[])");
    }
    const Napi::Array proofs = info[1].As<Napi::Array>(), publics = info[2].As<Napi::Array>();
    const uint32_t n = proofs.Length();
    if (publics.Length() != n || n > kMaxArray) return type_error(env, "verifyBatch: array lengths differ");
    std::vector<ProofText> items(n);
    for (uint32_t i = 0; i < n; ++i) {
      if (!read_proof(proofs.Get(i), publics.Get(i), items[i])) {
        return type_error(env, "verifyBatch expects (key, proof strings[], public signals[])");
      }
    }
    const std::vector<Verdict> verdicts = key->verify_batch(items);
    Napi::Array out = Napi::Array::New(env, verdicts.size());
    for (uint32_t i = 0; i < verdicts.size(); ++i) out.Set(i, verdict_value(env, verdicts[i]));
    return out;
  }

  // batchCounters() -> [combined checks, combined passes] over the process
  Napi::Value BatchCounters(const Napi::CallbackInfo& info) {
    const pw::verifier::BatchCounters counters = pw::verifier::batch_counters();
    Napi::Array out = Napi::Array::New(info.Env(), 2);
    out.Set(0u, Napi::Number::New(info.Env(), (double)counters.combined_checks));
    out.Set(1u, Napi::Number::New(info.Env(), (double)counters.combined_passes));
    return out;
  }

  // pairingSelfTest(seed: number) -> [name, ok][]
  Napi::Value PairingSelfTest(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() != 1 || !info[0].IsNumber()) return type_error(env, "pairingSelfTest expects a seed");
    const auto checks = pw::pairing_self_test((uint64_t)info[0].As<Napi::Number>().Int64Value());
    Napi::Array out = Napi::Array::New(env, checks.size());
    for (uint32_t i = 0; i < checks.size(); ++i) {
      Napi::Array c = Napi::Array::New(env, 2);
      c.Set(0u, Napi::String::New(env, checks[i].name));
      c.Set(1u, Napi::Boolean::New(env, checks[i].ok));
      out.Set(i, c);
    }
    return out;
  }
};

}  // namespace

NODE_API_ADDON(VerifierAddon)
