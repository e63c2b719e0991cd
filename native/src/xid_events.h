// Watches critical XID errors (the driver's fault reports: 48 double-bit ECC, 79 fallen off
// the bus ...) on a background thread, since nvmlEventSetWait blocks.
#ifndef PROOFWATCH_XID_EVENTS_H_
#define PROOFWATCH_XID_EVENTS_H_

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "nvml_loader.h"

namespace proofwatch::nvml {

struct XidEvent {
  unsigned int index = 0;
  std::string uuid;
  unsigned long long xid = 0;
};

class XidWatcher {
 public:
  // Runs on the watcher thread; must not block for long.
  using Callback = std::function<void(const XidEvent&)>;

  XidWatcher() = default;
  XidWatcher(const XidWatcher&) = delete;
  XidWatcher& operator=(const XidWatcher&) = delete;
  ~XidWatcher() { Stop(); }

  // Creates an event set, registers every device that supports XID events (a device that
  // answers NOT_SUPPORTED, or cannot be opened, is skipped) and starts waiting.
  nvmlReturn_t Start(ApiPtr api, Callback onEvent, std::string* message);
  // Joins the thread (within one wait timeout) and frees the set. Safe when not running.
  void Stop();
  bool Running() const;
  // Indices of the devices registered by the last Start.
  std::vector<unsigned int> Devices() const;

  // Short, so Stop() returns promptly; TIMEOUT from the wait is the normal idle case.
  static constexpr unsigned int kWaitMs = 200;

 private:
  struct Registered {
    nvmlDevice_t handle;
    unsigned int index;
    std::string uuid;
  };

  void Run();

  mutable std::mutex mutex_;
  ApiPtr api_;
  nvmlEventSet_t set_ = nullptr;
  Callback onEvent_;
  std::vector<Registered> devices_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace proofwatch::nvml

#endif  // PROOFWATCH_XID_EVENTS_H_
