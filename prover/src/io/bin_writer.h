// Writes the iden3 binary container (zkey, wtns, r1cs; layout in binfile.h) through an
// in-memory buffer: the r1cs and wtns writers emit millions of 4- and 32-byte fields, and
// one stdio call each would cost more than computing them. Every failure, close included,
// is a ProverError(kExitOutput) naming the file.
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace pw {

class BinWriter {
 public:
  explicit BinWriter(const std::string& path);
  ~BinWriter();
  BinWriter(const BinWriter&) = delete;
  BinWriter& operator=(const BinWriter&) = delete;

  void bytes(const void* p, size_t n);
  void u32(uint32_t v) { bytes(&v, 4); }
  void u64(uint64_t v) { bytes(&v, 8); }
  // A section header: the caller then writes exactly `size` bytes of payload.
  void section(uint32_t id, uint64_t size) {
    u32(id);
    u64(size);
  }
  // Flushes and closes; without it the destructor closes quietly and a short file may go
  // unnoticed.
  void close();

 private:
  void flush();
  [[noreturn]] void fail();

  std::string path_;
  FILE* f_;
  std::vector<uint8_t> buf_;
  size_t used_ = 0;
};

}  // namespace pw
