#include "io/bin_writer.h"

#include <cerrno>
#include <cstring>

#include "util/error.h"

namespace pw {

namespace {
constexpr size_t kBufferBytes = size_t(1) << 20;
}

BinWriter::BinWriter(const std::string& path) : path_(path), f_(std::fopen(path.c_str(), "wb")) {
  if (!f_) fail();
  buf_.resize(kBufferBytes);
}

BinWriter::~BinWriter() {
  if (f_) std::fclose(f_);
}

void BinWriter::fail() {
  throw ProverError(kExitOutput, "cannot write " + path_ + ": " + std::strerror(errno));
}

void BinWriter::flush() {
  if (used_ && std::fwrite(buf_.data(), 1, used_, f_) != used_) fail();
  used_ = 0;
}

void BinWriter::bytes(const void* p, size_t n) {
  if (n <= buf_.size() - used_) {
    std::memcpy(buf_.data() + used_, p, n);
    used_ += n;
    return;
  }
  flush();
  if (n >= buf_.size()) {
    // Large blocks (a zkey's point sections) go straight to the file.
    if (std::fwrite(p, 1, n, f_) != n) fail();
    return;
  }
  std::memcpy(buf_.data(), p, n);
  used_ = n;
}

void BinWriter::close() {
  if (!f_) return;
  flush();
  FILE* f = f_;
  f_ = nullptr;
  if (std::fclose(f) != 0) fail();
}

}  // namespace pw
