#include "scenario.h"

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "nvml_loader.h"

namespace fakenvml {
namespace {

using nlohmann::json;

// A healthy, idle H100 SXM. Scenarios list only what differs, so they stay short.
const char* const kDefaultFields = R"({
  "gpuUtilPercent": 0, "memoryUtilPercent": 0,
  "memoryTotalBytes": 85520809984, "memoryReservedBytes": 481296384,
  "memoryUsedBytes": 0, "memoryFreeBytes": 0,
  "temperatureGpuCelsius": 32, "fanSpeedPercent": "NOT_SUPPORTED",
  "powerUsageMilliwatts": 70000, "powerLimitMilliwatts": 700000,
  "totalEnergyMillijoules": 0, "performanceState": 0,
  "pcieTxKilobytesPerSecond": 0, "pcieRxKilobytesPerSecond": 0, "pcieReplayCounter": 0,
  "pcieLinkGeneration": 5, "pcieLinkWidth": 16, "pcieMaxLinkGeneration": 5, "pcieMaxLinkWidth": 16,
  "smClockMegahertz": 345, "memoryClockMegahertz": 2619, "clocksEventReasons": 1,
  "eccModeCurrent": 1, "eccModePending": 1,
  "eccCorrectedVolatile": 0, "eccCorrectedAggregate": 0,
  "eccUncorrectedVolatile": 0, "eccUncorrectedAggregate": 0,
  "retiredPagesSingleBitEcc": 0, "retiredPagesDoubleBitEcc": 0, "retiredPagesPending": 0,
  "remappedRowsCorrectable": 0, "remappedRowsUncorrectable": 0,
  "remappedRowsPending": 0, "remappedRowsFailure": 0
})";

// PCI buses of the eight GPUs in a DGX H100, so default bus ids look like a real host's.
constexpr unsigned int kDgxBuses[] = {0x18, 0x2a, 0x3a, 0x5d, 0x9a, 0xab, 0xba, 0xdb};

nvmlReturn_t CodeOrThrow(const json& j) {
  auto code = CodeFromName(j.get<std::string>());
  if (!code) throw std::runtime_error("unknown NVML return code \"" + j.get<std::string>() + "\"");
  return *code;
}

ValueSpec ParseValue(const std::string& field, const json& j) {
  ValueSpec v;
  if (j.is_number()) {
    v.start = j.get<double>();
  } else if (j.is_string()) {
    v.code = CodeOrThrow(j);
  } else if (j.is_object()) {
    for (const auto& [key, val] : j.items()) {
      if (key == "start") v.start = val.get<double>();
      else if (key == "perSecond") v.perSecond = val.get<double>();
      else if (key == "afterSeconds") v.afterSeconds = val.get<double>();
      else if (key == "max") v.max = val.get<double>();
      else throw std::runtime_error("field " + field + ": unknown key \"" + key + "\"");
    }
  } else {
    throw std::runtime_error("field " + field + ": expected a number, a code name or a counter");
  }
  return v;
}

void ParseCodes(const json& j, std::map<std::string, nvmlReturn_t>* out) {
  for (const auto& [fn, code] : j.items()) (*out)[fn] = CodeOrThrow(code);
}

// Milliseconds, or "hang" for a call that answers only once the scenario lifts the hang.
void ParseDelays(const json& j, std::map<std::string, unsigned int>* out) {
  for (const auto& [fn, ms] : j.items()) {
    if (ms.is_string() && ms.get<std::string>() == "hang") {
      (*out)[fn] = kHang;
    } else if (ms.is_number_unsigned() && ms.get<unsigned long long>() < kHang) {
      (*out)[fn] = ms.get<unsigned int>();
    } else {
      throw std::runtime_error("delay of " + fn + ": expected milliseconds or \"hang\"");
    }
  }
}

// Misspelt keys would otherwise fall back to defaults without a word.
void CheckKeys(const json& j, std::initializer_list<const char*> allowed, const std::string& where) {
  if (!j.is_object()) throw std::runtime_error(where + ": expected an object");
  for (const auto& [key, val] : j.items()) {
    bool known = false;
    for (const char* a : allowed) known = known || key == a;
    if (!known) throw std::runtime_error(where + ": unknown key \"" + key + "\"");
  }
}

Device ParseDevice(unsigned int index, const json& j, const std::map<std::string, ValueSpec>& base) {
  CheckKeys(j,
            {"count", "uuid", "name", "serial", "pciBusId", "pciDeviceId", "vbiosVersion",
             "inforomImageVersion", "fields", "processes", "lost", "lostAfterSeconds", "returns",
             "delays"},
            "device " + std::to_string(index));
  Device d;
  char buf[64];
  std::snprintf(buf, sizeof(buf), "GPU-5eed%04x-0000-4000-8000-%012x", index, index);
  d.uuid = j.value("uuid", std::string(buf));
  d.name = j.value("name", std::string("NVIDIA H100 80GB HBM3"));
  std::snprintf(buf, sizeof(buf), "165242%07u", 1000000 + index);
  d.serial = j.value("serial", std::string(buf));
  const unsigned int bus = index < 8 ? kDgxBuses[index] : 0x10 + index;
  std::snprintf(buf, sizeof(buf), "00000000:%02X:00.0", bus);
  d.pciBusId = j.value("pciBusId", std::string(buf));
  // An H100 SXM5's firmware as shipped in 2024.
  d.vbiosVersion = j.value("vbiosVersion", std::string("96.00.99.00.01"));
  d.inforomImageVersion = j.value("inforomImageVersion", std::string("G520.0200.00.05"));
  // H100 SXM5: device 0x2330, vendor 0x10de.
  d.pciDeviceId = j.value("pciDeviceId", 0x233010deu);
  d.fields = base;
  if (j.contains("fields")) {
    for (const auto& [key, val] : j.at("fields").items()) {
      if (base.count(key) == 0) throw std::runtime_error("unknown field \"" + key + "\"");
      d.fields[key] = ParseValue(key, val);
      if (key == "memoryFreeBytes") d.explicitFree = true;
      if (key == "totalEnergyMillijoules") d.explicitEnergy = true;
    }
  }
  if (j.contains("processes")) {
    const json& p = j.at("processes");
    if (p.is_string()) {
      d.processesCode = CodeOrThrow(p);
    } else {
      for (const auto& item : p) {
        CheckKeys(item, {"pid", "usedGpuMemoryBytes"}, "process");
        Process proc;
        proc.pid = item.at("pid").get<unsigned int>();
        if (item.contains("usedGpuMemoryBytes")) {
          proc.usedGpuMemoryBytes = item.at("usedGpuMemoryBytes").get<unsigned long long>();
        }
        d.processes.push_back(proc);
      }
    }
  }
  if (j.contains("lost") && j.at("lost").get<bool>()) d.lostAfterSeconds = 0;
  if (j.contains("lostAfterSeconds")) d.lostAfterSeconds = j.at("lostAfterSeconds").get<double>();
  if (j.contains("returns")) ParseCodes(j.at("returns"), &d.returns);
  if (j.contains("delays")) ParseDelays(j.at("delays"), &d.delaysMs);
  return d;
}

std::shared_ptr<const Scenario> Build(const json& root) {
  CheckKeys(root,
            {"driverVersion", "cudaDriverVersion", "defaults", "returns", "delays", "devices",
             "events"},
            "scenario");
  auto s = std::make_shared<Scenario>();
  s->driverVersion = root.value("driverVersion", std::string("550.54.15"));
  if (root.contains("cudaDriverVersion")) {
    const json& cuda = root.at("cudaDriverVersion");
    if (cuda.is_string()) {
      s->cudaDriverVersionCode = CodeOrThrow(cuda);
    } else if (cuda.is_number_integer()) {
      s->cudaDriverVersion = cuda.get<int>();
    } else {
      throw std::runtime_error("cudaDriverVersion: expected a number such as 12040 or a code");
    }
  }
  if (root.contains("returns")) ParseCodes(root.at("returns"), &s->returns);
  if (root.contains("delays")) ParseDelays(root.at("delays"), &s->delaysMs);

  std::map<std::string, ValueSpec> base;
  const json defaults = json::parse(kDefaultFields);
  for (const auto& [key, val] : defaults.items()) base[key] = ParseValue(key, val);
  // "defaults" overrides the built-in field values for every device of this scenario.
  if (root.contains("defaults")) {
    for (const auto& [key, val] : root.at("defaults").items()) {
      if (base.count(key) == 0) throw std::runtime_error("unknown field \"" + key + "\"");
      base[key] = ParseValue(key, val);
    }
  }

  json devices = json::array();
  devices.push_back(json::object());
  if (root.contains("devices")) devices = root.at("devices");
  // "count" repeats a device entry, so eight identical GPUs take one line.
  for (const auto& entry : devices) {
    const unsigned int repeat = entry.value("count", 1u);
    for (unsigned int r = 0; r < repeat; ++r) {
      if (s->devices.size() >= kMaxDevices) {
        throw std::runtime_error("more than " + std::to_string(kMaxDevices) + " devices");
      }
      s->devices.push_back(ParseDevice(static_cast<unsigned int>(s->devices.size()), entry, base));
    }
  }
  if (root.contains("events")) {
    size_t position = 0;
    for (const auto& e : root.at("events")) {
      CheckKeys(e, {"id", "device", "xid", "atSeconds"}, "event " + std::to_string(position));
      Event ev;
      ev.id = e.value("id", "#" + std::to_string(position));
      ev.device = e.at("device").get<unsigned int>();
      ev.xid = e.at("xid").get<unsigned long long>();
      ev.atSeconds = e.value("atSeconds", 0.0);
      if (ev.device >= s->devices.size()) {
        throw std::runtime_error("event " + ev.id + ": no device " + std::to_string(ev.device));
      }
      s->events.push_back(ev);
      ++position;
    }
  }
  return s;
}

}  // namespace

nvmlReturn_t ValueSpec::Eval(double t, unsigned long long* out) const {
  if (code != NVML_SUCCESS) return code;
  double v = start + perSecond * std::max(0.0, t - afterSeconds);
  if (max && v > *max) v = *max;
  *out = v <= 0 ? 0ull : static_cast<unsigned long long>(std::floor(v));
  return NVML_SUCCESS;
}

std::optional<nvmlReturn_t> CodeFromName(const std::string& name) {
  const std::string bare = name.rfind("NVML_ERROR_", 0) == 0 ? name.substr(11) : name;
  for (int code = 0; code <= 40; ++code) {
    if (proofwatch::nvml::ReturnCodeName(code) == bare) return static_cast<nvmlReturn_t>(code);
  }
  if (bare == "UNKNOWN") return NVML_ERROR_UNKNOWN;
  return std::nullopt;
}

std::shared_ptr<const Scenario> ParseScenario(const std::string& text, std::string* error) {
  try {
    return Build(json::parse(text));
  } catch (const std::exception& e) {
    *error = e.what();
    return nullptr;
  }
}

std::shared_ptr<const Scenario> DefaultScenario() {
  std::string ignored;
  return ParseScenario("{}", &ignored);
}

}  // namespace fakenvml
