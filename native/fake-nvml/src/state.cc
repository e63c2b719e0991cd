#include "state.h"

#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

namespace fakenvml {
namespace {

using Clock = std::chrono::steady_clock;

// How often calls look at the scenario file: cheap enough per call, quick enough for tests.
constexpr auto kRecheck = std::chrono::milliseconds(50);

struct FileId {
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = -1;
  long long mtimeNs = -1;
  bool operator==(const FileId& o) const {
    return dev == o.dev && ino == o.ino && size == o.size && mtimeNs == o.mtimeNs;
  }
};

struct State {
  std::mutex mutex;
  int inits = 0;
  std::optional<Clock::time_point> epoch;
  std::string path;
  FileId file;
  std::string lastError;
  Clock::time_point lastCheck;
  std::shared_ptr<const Scenario> scenario;
  std::set<std::string> delivered;
  nvmlDevice_st handles[kMaxDevices];

  State() {
    for (unsigned int i = 0; i < kMaxDevices; ++i) handles[i].index = i;
  }
};

State& S() {
  static State* state = new State();  // never destroyed: threads may call in during exit
  return *state;
}

std::optional<FileId> Stat(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return FileId{st.st_dev, st.st_ino, st.st_size,
                static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec};
}

// Loads the file if it changed since the last successful load. Caller holds the mutex.
bool LoadIfChanged(State& s, std::string* error) {
  auto id = Stat(s.path);
  if (!id) {
    *error = "cannot stat " + s.path;
    return false;
  }
  if (s.scenario && *id == s.file) return true;
  std::ifstream in(s.path);
  std::stringstream text;
  text << in.rdbuf();
  auto parsed = ParseScenario(text.str(), error);
  if (!parsed) {
    *error = s.path + ": " + *error;
    return false;
  }
  s.scenario = std::move(parsed);
  s.file = *id;
  return true;
}

void MaybeReload(State& s) {
  const auto now = Clock::now();
  if (s.path.empty() || now - s.lastCheck < kRecheck) return;
  s.lastCheck = now;
  std::string error;
  if (LoadIfChanged(s, &error)) {
    s.lastError.clear();
  } else if (error != s.lastError) {
    // A half-written or broken file keeps the last good scenario; say so once, not per call.
    std::fprintf(stderr, "fake-nvml: keeping previous scenario: %s\n", error.c_str());
    s.lastError = error;
  }
}

// Before the first nvmlInit has returned there is no clock yet: time 0.
double SecondsSinceEpoch(const State& s) {
  if (!s.epoch) return 0;
  return std::chrono::duration<double>(Clock::now() - *s.epoch).count();
}

std::string BaseName(const std::string& symbol) {
  const auto pos = symbol.rfind("_v");
  if (pos != std::string::npos && pos + 2 < symbol.size() &&
      symbol.find_first_not_of("0123456789", pos + 2) == std::string::npos) {
    return symbol.substr(0, pos);
  }
  return symbol;
}

template <typename V>
const V* Lookup(const std::map<std::string, V>& m, const std::string& symbol,
                const std::string& base) {
  auto it = m.find(symbol);
  if (it == m.end()) it = m.find(base);
  return it == m.end() ? nullptr : &it->second;
}

// The scenario as it is now, reloaded if its file changed. Caller holds the mutex.
std::shared_ptr<const Scenario> Reload(State& s, double* seconds) {
  MaybeReload(s);
  *seconds = SecondsSinceEpoch(s);
  return s.scenario;
}

// As Reload, whether or not NVML is initialised: a hung nvmlInit waits on it too.
std::shared_ptr<const Scenario> Current(double* seconds) {
  std::lock_guard<std::mutex> lock(S().mutex);
  return Reload(S(), seconds);
}

unsigned int DelayOf(const std::string& symbol, const std::string& base, const Call& call) {
  const unsigned int* delay = call.device ? Lookup(call.device->delaysMs, symbol, base) : nullptr;
  if (delay == nullptr) delay = Lookup(call.scenario->delaysMs, symbol, base);
  return delay != nullptr ? *delay : 0;
}

// Delay, then forced code: a delayed call still answers normally afterwards. A hung call
// polls the scenario and, once a rewrite lifts the hang, goes on as a call made on that
// scenario would. `device` is the call's GPU index, or -1 for a call that names none.
nvmlReturn_t Apply(const char* symbol, int device, Call* call) {
  const std::string sym(symbol), base = BaseName(sym);
  unsigned int delay = DelayOf(sym, base, *call);
  while (delay == kHang) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    call->scenario = Current(&call->seconds);
    if (device >= 0) {
      // The scenario is swapped, so the old device entry is no longer held.
      if (static_cast<size_t>(device) >= call->scenario->devices.size()) {
        call->device = nullptr;
        return NVML_ERROR_GPU_IS_LOST;
      }
      call->device = &call->scenario->devices[device];
    }
    delay = DelayOf(sym, base, *call);
  }
  if (delay > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(delay));
    std::lock_guard<std::mutex> lock(S().mutex);
    call->seconds = SecondsSinceEpoch(S());
  }
  if (call->device != nullptr && call->device->LostAt(call->seconds)) {
    return NVML_ERROR_GPU_IS_LOST;
  }
  const nvmlReturn_t* forced = call->device ? Lookup(call->device->returns, sym, base) : nullptr;
  if (forced == nullptr) forced = Lookup(call->scenario->returns, sym, base);
  return forced != nullptr ? *forced : NVML_SUCCESS;
}

}  // namespace

nvmlReturn_t Init(const char* symbol) {
  State& s = S();
  Call call;
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    if (s.inits == 0) {
      const char* path = std::getenv("FAKE_NVML_SCENARIO");
      s.path = path != nullptr ? path : "";
      s.file = FileId{};
      s.scenario.reset();
      if (s.path.empty()) {
        s.scenario = DefaultScenario();
      } else {
        std::string error;
        if (!LoadIfChanged(s, &error)) {
          std::fprintf(stderr, "fake-nvml: nvmlInit: %s\n", error.c_str());
          // The closest real failure: the driver is not there to answer.
          return NVML_ERROR_DRIVER_NOT_LOADED;
        }
      }
      s.lastCheck = Clock::now();
    } else {
      MaybeReload(s);
    }
    call.scenario = s.scenario;
    call.seconds = SecondsSinceEpoch(s);
  }
  // Outside the lock, as a driver that hangs in nvmlInit holds up only its caller.
  const nvmlReturn_t rc = Apply(symbol, -1, &call);
  if (rc != NVML_SUCCESS) return rc;
  std::lock_guard<std::mutex> lock(s.mutex);
  if (!s.epoch) s.epoch = Clock::now();
  ++s.inits;
  return NVML_SUCCESS;
}

nvmlReturn_t Shutdown() {
  State& s = S();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (s.inits == 0) return NVML_ERROR_UNINITIALIZED;
  --s.inits;
  return NVML_SUCCESS;
}

std::shared_ptr<const Scenario> Refresh(double* seconds) {
  State& s = S();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (s.inits == 0) return nullptr;
  return Reload(s, seconds);
}

nvmlReturn_t Enter(const char* symbol, Call* call) {
  call->scenario = Refresh(&call->seconds);
  if (!call->scenario) return NVML_ERROR_UNINITIALIZED;
  return Apply(symbol, -1, call);
}

nvmlReturn_t EnterDevice(const char* symbol, nvmlDevice_t device, Call* call) {
  call->scenario = Refresh(&call->seconds);
  if (!call->scenario) return NVML_ERROR_UNINITIALIZED;
  State& s = S();
  if (device < &s.handles[0] || device >= &s.handles[kMaxDevices]) {
    return NVML_ERROR_INVALID_ARGUMENT;
  }
  // A GPU removed from the scenario by a rewrite is as gone as one that fell off the bus.
  if (device->index >= call->scenario->devices.size()) return NVML_ERROR_GPU_IS_LOST;
  call->device = &call->scenario->devices[device->index];
  return Apply(symbol, static_cast<int>(device->index), call);
}

nvmlReturn_t EnterIndex(const char* symbol, unsigned int index, Call* call) {
  call->scenario = Refresh(&call->seconds);
  if (!call->scenario) return NVML_ERROR_UNINITIALIZED;
  if (index >= call->scenario->devices.size() || index >= kMaxDevices) {
    return NVML_ERROR_INVALID_ARGUMENT;
  }
  call->device = &call->scenario->devices[index];
  return Apply(symbol, static_cast<int>(index), call);
}

nvmlDevice_t HandleOf(unsigned int index) { return &S().handles[index]; }

bool TakeEvent(const Call& call, const std::vector<unsigned int>& devices, Event* out) {
  State& s = S();
  std::lock_guard<std::mutex> lock(s.mutex);
  const Event* best = nullptr;
  for (const Event& e : call.scenario->events) {
    if (e.atSeconds > call.seconds || s.delivered.count(e.id) != 0) continue;
    bool registered = false;
    for (unsigned int d : devices) registered = registered || d == e.device;
    if (!registered) continue;
    if (best == nullptr || e.atSeconds < best->atSeconds) best = &e;
  }
  if (best == nullptr) return false;
  s.delivered.insert(best->id);
  *out = *best;
  return true;
}

}  // namespace fakenvml
