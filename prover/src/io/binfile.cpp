#include "io/binfile.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace pw {

BinFile::BinFile(const std::string& path, const char magic[4], uint32_t max_version, int err_code)
    : path_(path), code_(err_code) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) throw ProverError(err_code, "cannot open " + path + ": " + std::strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw ProverError(err_code, path + " is not a regular file");
  }
  size_ = (uint64_t)st.st_size;
  if (size_ > 0) {
    // Populated up front: every byte is read anyway, and one call that maps the page-cache
    // pages costs less than a fault per page.
    void* m = mmap(nullptr, size_, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    if (m == MAP_FAILED) {
      ::close(fd);
      throw ProverError(err_code, "cannot map " + path + ": " + std::strerror(errno));
    }
    data_ = static_cast<const uint8_t*>(m);
  }
  ::close(fd);

  const std::string kind(magic, 4);
  Cursor c(data_, size_, err_code, path);
  if (size_ < 12 || std::memcmp(data_, magic, 4) != 0) {
    throw ProverError(err_code, path + " is not a " + kind + " file (bad magic)");
  }
  c.take(4);
  version_ = c.u32();
  if (version_ < 1 || version_ > max_version) {
    throw ProverError(err_code, path + ": unsupported " + kind + " version " + std::to_string(version_));
  }
  uint32_t n = c.u32();
  for (uint32_t i = 0; i < n; ++i) {
    if (c.remaining() < 12) throw ProverError(err_code, path + ": section table is truncated");
    Section s;
    s.id = c.u32();
    s.size = c.u64();
    s.offset = c.pos();
    if (s.size > c.remaining()) {
      throw ProverError(err_code, path + ": section " + std::to_string(s.id) + " runs past the end of the file");
    }
    c.take(s.size);
    sections_.push_back(s);
  }
}

BinFile::~BinFile() {
  if (data_) munmap(const_cast<uint8_t*>(data_), size_);
}

bool BinFile::has(uint32_t id) const {
  for (auto& s : sections_)
    if (s.id == id) return true;
  return false;
}

Cursor BinFile::section(uint32_t id, const char* name) const {
  const Section* found = nullptr;
  for (auto& s : sections_) {
    if (s.id != id) continue;
    if (found) throw ProverError(code_, path_ + ": section " + std::to_string(id) + " (" + name + ") is repeated");
    found = &s;
  }
  if (!found) throw ProverError(code_, path_ + ": section " + std::to_string(id) + " (" + name + ") is missing");
  return Cursor(data_ + found->offset, found->size, code_, path_ + " section " + std::to_string(id) + " (" + name + ")");
}

}  // namespace pw
