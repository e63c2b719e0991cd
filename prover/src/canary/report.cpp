// The canary report as one JSON object (its schema: contracts/canary-report.ts) or as
// a few lines for a person.
#include <cstdio>

#include "canary/canary.h"

namespace pw {
namespace canary {
namespace {

std::string quote(const std::string& s) {
  std::string o = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      o.push_back('\\');
      o.push_back(c);
    } else if ((unsigned char)c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", (unsigned)(unsigned char)c);
      o += buf;
    } else {
      o.push_back(c);
    }
  }
  return o + "\"";
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", v);
  return buf;
}

}  // namespace

bool Report::passed() const {
  if (checks.empty()) return false;
  for (const CheckResult& c : checks)
    if (!c.passed) return false;
  return true;
}

std::vector<std::string> Report::failed() const {
  std::vector<std::string> names;
  for (const CheckResult& c : checks)
    if (!c.passed) names.push_back(c.name);
  return names;
}

std::string report_json(const Report& r) {
  std::string o = "{\"version\":1,\"passed\":" + std::string(r.passed() ? "true" : "false");
  o += ",\"backend\":" + quote(r.backend) + ",\"device\":" + std::to_string(r.device) +
       ",\"deviceName\":" + quote(r.device_name) + ",\"memoryShare\":" + num(r.memory_share) +
       ",\"freeBytes\":" + std::to_string(r.free_bytes) + ",\"testedBytes\":" + std::to_string(r.tested_bytes) +
       ",\"answersSeconds\":" + num(r.answers_seconds) + ",\"seconds\":" + num(r.seconds) + ",\"failed\":[";
  const std::vector<std::string> failed = r.failed();
  for (size_t i = 0; i < failed.size(); ++i) o += (i ? "," : "") + quote(failed[i]);
  o += "],\"checks\":[";
  for (size_t i = 0; i < r.checks.size(); ++i) {
    const CheckResult& c = r.checks[i];
    o += std::string(i ? "," : "") + "{\"name\":" + quote(c.name) + ",\"kind\":" + quote(c.kind) +
         ",\"size\":" + std::to_string(c.size) + ",\"passed\":" + (c.passed ? "true" : "false") +
         ",\"mismatches\":" + std::to_string(c.mismatches) + ",\"seconds\":" + num(c.seconds) +
         ",\"detail\":" + quote(c.detail) + "}";
  }
  return o + "]}\n";
}

std::string report_text(const Report& r) {
  std::string o = "canary on " + r.device_name + " (" + r.backend + ", device " + std::to_string(r.device) + "): " +
                  (r.passed() ? "passed" : "FAILED") + " in " + num(r.seconds) + " s\n";
  for (const CheckResult& c : r.checks) {
    char head[96];
    std::snprintf(head, sizeof head, "  %-4s %-22s %10.6f s  ", c.passed ? "ok" : "FAIL", c.name.c_str(), c.seconds);
    o += head + c.detail + "\n";
  }
  return o;
}

}  // namespace canary
}  // namespace pw
