#include "groth16/prover_c_api.h"

#include <cstring>
#include <memory>
#include <new>
#include <string>

#include "groth16/prover.h"
#include "io/proof_json.h"
#include "util/error.h"

struct pw_prover {
  std::unique_ptr<pw::Groth16Prover> impl;
};

namespace {

void set_err(char* err, size_t n, const std::string& msg) {
  if (!err || n == 0) return;
  size_t k = std::min(n - 1, msg.size());
  std::memcpy(err, msg.data(), k);
  err[k] = 0;
}

template <class Fn>
int guarded(char* err, size_t err_size, Fn fn) {
  try {
    return fn();
  } catch (const pw::ProverError& e) {
    set_err(err, err_size, e.what());
    return e.code;
  } catch (const std::bad_alloc&) {
    set_err(err, err_size, "out of memory");
  } catch (const std::exception& e) {
    set_err(err, err_size, std::string("internal error: ") + e.what());
  } catch (...) {
    set_err(err, err_size, "internal error");
  }
  return PW_PROVER_ERROR;
}

bool copy_out(const std::string& s, char* buf, size_t* size) {
  size_t need = s.size() + 1;
  if (!buf || *size < need) {
    *size = need;
    return false;
  }
  std::memcpy(buf, s.c_str(), need);
  *size = need;
  return true;
}

}  // namespace

extern "C" int pw_prover_create(pw_prover** out, const char* zkey_path, unsigned threads, int check_points, char* err,
                                size_t err_size) {
  return guarded(err, err_size, [&] {
    if (!out || !zkey_path) {
      set_err(err, err_size, "null argument");
      return (int)PW_PROVER_ERROR_ARGS;
    }
    *out = nullptr;
    auto p = std::make_unique<pw_prover>();
    p->impl = std::make_unique<pw::Groth16Prover>(zkey_path, std::make_shared<pw::ThreadPool>(threads), check_points != 0);
    *out = p.release();
    return (int)PW_PROVER_OK;
  });
}

extern "C" int pw_prover_prove(pw_prover* prover, const char* wtns_path, char* proof_buf, size_t* proof_size,
                               char* public_buf, size_t* public_size, char* err, size_t err_size) {
  return guarded(err, err_size, [&] {
    if (!prover || !prover->impl || !wtns_path || !proof_size || !public_size) {
      set_err(err, err_size, "null argument");
      return (int)PW_PROVER_ERROR_ARGS;
    }
    pw::Witness w = pw::load_wtns(wtns_path);
    pw::Proof proof = prover->impl->prove(w.values);
    bool ok1 = copy_out(pw::proof_to_json(proof), proof_buf, proof_size);
    bool ok2 = copy_out(pw::public_to_json(proof), public_buf, public_size);
    if (!ok1 || !ok2) {
      set_err(err, err_size, "output buffer too small");
      return (int)PW_PROVER_ERROR_SHORT_BUFFER;
    }
    return (int)PW_PROVER_OK;
  });
}

extern "C" void pw_prover_destroy(pw_prover* prover) { delete prover; }
