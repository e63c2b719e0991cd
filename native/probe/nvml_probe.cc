// Stand-alone check of the NVML path on hosts without Node (a fresh GPU node, a container
// under debug): the same loader and reader the addon uses, printed as one JSON document.
//
//   nvml_probe [--events SECONDS] [--groups identity,memory,...]
//
// Exit status: 0 when NVML initialised, 2 on bad arguments, else the NVML return code (capped).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "device_reader.h"
#include "nvml_loader.h"
#include "xid_events.h"

namespace pw = proofwatch::nvml;
using nlohmann::ordered_json;

namespace {

struct Options {
  double eventSeconds = 0;
  uint32_t groups = pw::kAllGroups;
};

bool ParseArgs(int argc, char** argv, Options* opts) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--events" && i + 1 < argc) {
      opts->eventSeconds = std::atof(argv[++i]);
    } else if (arg == "--groups" && i + 1 < argc) {
      opts->groups = 0;
      std::string list = argv[++i];
      size_t start = 0;
      while (start <= list.size()) {
        const size_t comma = std::min(list.find(',', start), list.size());
        const uint32_t bit = pw::GroupFromName(list.substr(start, comma - start));
        if (bit == 0) return false;
        opts->groups |= bit;
        start = comma + 1;
      }
    } else {
      return false;
    }
  }
  return true;
}

ordered_json ErrorJson(int code) {
  return {{"code", code}, {"name", pw::ReturnCodeName(code)}};
}

struct JsonFieldWriter {
  ordered_json& values;
  void operator()(const char* name, const std::optional<std::string>& v) {
    if (v) values[name] = *v;
  }
  void operator()(const char* name, const std::optional<uint64_t>& v) {
    if (v) values[name] = *v;
  }
  void operator()(const char* name, const std::optional<std::vector<pw::ComputeProcess>>& v) {
    if (!v) return;
    ordered_json list = ordered_json::array();
    for (const auto& p : *v) {
      ordered_json o = {{"pid", p.pid}};
      if (p.usedGpuMemoryBytes) o["usedGpuMemoryBytes"] = *p.usedGpuMemoryBytes;
      list.push_back(o);
    }
    values[name] = list;
  }
};

ordered_json DeviceJson(const pw::Api& api, unsigned int index, uint32_t groups) {
  pw::DeviceReading reading;
  const nvmlReturn_t rc = pw::ReadDevice(api, index, groups, &reading);
  ordered_json out = {{"index", index}};
  if (rc != NVML_SUCCESS) {
    out["error"] = ErrorJson(rc);
    return out;
  }
  ordered_json values = ordered_json::object();
  reading.ForEachField(JsonFieldWriter{values});
  ordered_json errors = ordered_json::object();
  for (const auto& [field, code] : reading.errors) errors[field] = code;
  out["values"] = values;
  out["errors"] = errors;
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  Options opts;
  if (!ParseArgs(argc, argv, &opts)) {
    std::string groups;
    for (auto name : pw::GroupNames()) groups += (groups.empty() ? "" : ",") + std::string(name);
    std::fprintf(stderr, "usage: %s [--events SECONDS] [--groups GROUP,...]\ngroups: %s\n",
                 argv[0], groups.c_str());
    return 2;
  }
  ordered_json doc;
  doc["library"] = pw::LibraryPath();
  const pw::LoadResult load = pw::Acquire();
  if (load.code != NVML_SUCCESS) {
    doc["error"] = ErrorJson(load.code);
    doc["error"]["message"] = load.message;
    std::cout << doc.dump(2, ' ', false, ordered_json::error_handler_t::replace) << std::endl;
    return load.code > 125 ? 125 : load.code;
  }
  pw::ApiPtr api = pw::Current();
  doc["missingFunctions"] = api->missing;

  char version[NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE] = {};
  nvmlReturn_t rc = api->systemGetDriverVersion
                        ? api->systemGetDriverVersion(version, sizeof(version))
                        : NVML_ERROR_FUNCTION_NOT_FOUND;
  doc["driverVersion"] = rc == NVML_SUCCESS ? ordered_json(version) : ErrorJson(rc);
  int cudaVersion = 0;
  rc = api->systemGetCudaDriverVersion ? api->systemGetCudaDriverVersion(&cudaVersion)
                                       : NVML_ERROR_FUNCTION_NOT_FOUND;
  doc["cudaDriverVersion"] = rc == NVML_SUCCESS ? ordered_json(cudaVersion) : ErrorJson(rc);

  unsigned int count = 0;
  rc = api->deviceGetCount ? api->deviceGetCount(&count) : NVML_ERROR_FUNCTION_NOT_FOUND;
  doc["deviceCount"] = rc == NVML_SUCCESS ? ordered_json(count) : ErrorJson(rc);
  doc["devices"] = ordered_json::array();
  for (unsigned int i = 0; i < count; ++i) doc["devices"].push_back(DeviceJson(*api, i, opts.groups));

  if (opts.eventSeconds > 0) {
    std::mutex mutex;
    ordered_json events = ordered_json::array();
    pw::XidWatcher watcher;
    pw::XidRegistration registration;
    std::string message;
    rc = pw::XidWatcher::Register(*api, &registration, &message);
    if (rc == NVML_SUCCESS) {
      rc = watcher.Start(
          api, &registration,
          [&](const pw::XidEvent& e) {
            std::lock_guard<std::mutex> lock(mutex);
            events.push_back({{"index", e.index}, {"uuid", e.uuid}, {"xid", e.xid}});
          },
          &message);
    }
    pw::XidWatcher::Free(*api, &registration);
    if (rc == NVML_SUCCESS) {
      doc["eventDevices"] = watcher.Devices();
      std::this_thread::sleep_for(std::chrono::duration<double>(opts.eventSeconds));
      watcher.Stop();
      doc["events"] = events;
    } else {
      doc["events"] = {{"error", ErrorJson(rc)}, {"message", message}};
    }
  }

  api.reset();
  pw::Release();
  std::cout << doc.dump(2, ' ', false, ordered_json::error_handler_t::replace) << std::endl;
  return 0;
}
