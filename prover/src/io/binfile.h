// The iden3 binary container (zkey, wtns, r1cs): magic, u32 version, u32 section count,
// then {u32 id, u64 size, payload}. The file is mapped read-only and every read is
// bounds-checked; errors carry the exit code of the file kind being read.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "util/error.h"

namespace pw {

class Cursor {
 public:
  Cursor(const uint8_t* p, uint64_t n, int err_code, std::string what)
      : p_(p), n_(n), code_(err_code), what_(std::move(what)) {}
  uint32_t u32() {
    uint32_t v;
    std::memcpy(&v, take(4), 4);
    return v;
  }
  uint64_t u64() {
    uint64_t v;
    std::memcpy(&v, take(8), 8);
    return v;
  }
  const uint8_t* take(uint64_t k) {
    if (k > n_ - pos_) throw ProverError(code_, what_ + " is truncated");
    const uint8_t* r = p_ + pos_;
    pos_ += k;
    return r;
  }
  void limbs(uint64_t out[4]) { std::memcpy(out, take(32), 32); }
  uint64_t remaining() const { return n_ - pos_; }
  uint64_t pos() const { return pos_; }

 private:
  const uint8_t* p_;
  uint64_t n_, pos_ = 0;
  int code_;
  std::string what_;
};

class BinFile {
 public:
  struct Section {
    uint32_t id;
    uint64_t offset, size;
  };
  // Maps path and checks magic, version (1..max_version) and the section table.
  BinFile(const std::string& path, const char magic[4], uint32_t max_version, int err_code);
  ~BinFile();
  BinFile(const BinFile&) = delete;
  BinFile& operator=(const BinFile&) = delete;

  uint32_t version() const { return version_; }
  // The one section with this id; missing or repeated is an error.
  Cursor section(uint32_t id, const char* name) const;
  bool has(uint32_t id) const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  const uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
  uint32_t version_ = 0;
  int code_;
  std::vector<Section> sections_;
};

}  // namespace pw
