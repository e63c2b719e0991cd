#include "device_workers.h"

#include <condition_variable>
#include <deque>
#include <thread>
#include <utility>

namespace proofwatch::nvml {

struct DeviceWorkers::Worker {
  std::mutex mutex;
  std::condition_variable wake;
  std::deque<Job> queue;
  bool stopping = false;
};

void DeviceWorkers::Post(unsigned int index, Job job) {
  std::shared_ptr<Worker> w;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& slot = workers_[index];
    if (!slot) {
      slot = std::make_shared<Worker>();
      // Detached, owning its Worker: a thread stuck in a hung driver call can then never
      // block the owner's destruction (process exit, worker_threads teardown).
      std::thread([w = slot] { Loop(w); }).detach();
    }
    w = slot;
  }
  {
    std::lock_guard<std::mutex> lock(w->mutex);
    w->queue.push_back(std::move(job));
  }
  w->wake.notify_one();
}

DeviceWorkers::~DeviceWorkers() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& [index, w] : workers_) {
    {
      std::lock_guard<std::mutex> wlock(w->mutex);
      w->stopping = true;
      w->queue.clear();
    }
    w->wake.notify_one();
  }
}

void DeviceWorkers::Loop(const std::shared_ptr<Worker>& w) {
  for (;;) {
    Job job;
    {
      std::unique_lock<std::mutex> lock(w->mutex);
      w->wake.wait(lock, [&] { return w->stopping || !w->queue.empty(); });
      if (w->stopping) return;
      job = std::move(w->queue.front());
      w->queue.pop_front();
    }
    job();
  }
}

}  // namespace proofwatch::nvml
