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

// A device registered for XID events.
struct XidDevice {
  nvmlDevice_t handle;
  unsigned int index;
  std::string uuid;
};

// An event set with every device that supports XID events registered in it: what
// XidWatcher::Register makes and XidWatcher::Start waits on.
struct XidRegistration {
  nvmlEventSet_t set = nullptr;
  std::vector<XidDevice> devices;
};

class XidWatcher {
 public:
  // Runs on the watcher thread; must not block for long.
  using Callback = std::function<void(const XidEvent&)>;

  XidWatcher() = default;
  XidWatcher(const XidWatcher&) = delete;
  XidWatcher& operator=(const XidWatcher&) = delete;
  ~XidWatcher() { Stop(); }

  // SUCCESS when `api` has every function watching needs; no NVML call.
  static nvmlReturn_t CheckFunctions(const Api* api, std::string* message);

  // Creates an event set and registers every device that supports XID events (a device that
  // answers NOT_SUPPORTED, or cannot be opened, is skipped). It asks the driver for the
  // count and a handle per GPU, which a hung driver may never give, so callers that must not
  // block run it on a thread of their own; it touches no watcher.
  static nvmlReturn_t Register(const Api& api, XidRegistration* out, std::string* message);
  // Frees a registration that was not handed to Start.
  static void Free(const Api& api, XidRegistration* registration);

  // Starts waiting on `registration`'s set on a new thread, and takes it over (leaves it
  // empty) on success. Makes no NVML call itself.
  nvmlReturn_t Start(ApiPtr api, XidRegistration* registration, Callback onEvent,
                     std::string* message);
  // Joins the thread (within one wait timeout) and frees the set. Safe when not running.
  void Stop();
  bool Running() const;
  // Indices of the devices registered by the last Start.
  std::vector<unsigned int> Devices() const;

  // Short, so Stop() returns promptly; TIMEOUT from the wait is the normal idle case.
  static constexpr unsigned int kWaitMs = 200;

 private:
  void Run();

  mutable std::mutex mutex_;
  ApiPtr api_;
  nvmlEventSet_t set_ = nullptr;
  Callback onEvent_;
  std::vector<XidDevice> devices_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace proofwatch::nvml

#endif  // PROOFWATCH_XID_EVENTS_H_
