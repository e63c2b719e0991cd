// One long-lived thread per GPU, each with its own queue, so that a driver call that hangs
// on one GPU stalls only that GPU's reads (sharp's baton pattern, but per device rather than
// one shared pool where a few hung calls would starve every other device).
#ifndef PROOFWATCH_DEVICE_WORKERS_H_
#define PROOFWATCH_DEVICE_WORKERS_H_

#include <functional>
#include <map>
#include <memory>
#include <mutex>

namespace proofwatch::nvml {

class DeviceWorkers {
 public:
  using Job = std::function<void()>;

  DeviceWorkers() = default;
  DeviceWorkers(const DeviceWorkers&) = delete;
  DeviceWorkers& operator=(const DeviceWorkers&) = delete;
  // Stops every thread; queued jobs that have not started are dropped.
  ~DeviceWorkers();

  // Runs `job` on device `index`'s thread after the jobs queued before it, starting the
  // thread on first use.
  void Post(unsigned int index, Job job);

 private:
  struct Worker;
  static void Loop(const std::shared_ptr<Worker>& w);

  std::mutex mutex_;
  std::map<unsigned int, std::shared_ptr<Worker>> workers_;
};

}  // namespace proofwatch::nvml

#endif  // PROOFWATCH_DEVICE_WORKERS_H_
