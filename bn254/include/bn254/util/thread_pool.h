// A fixed pool of std::threads. parallel_for hands out task indices dynamically; the
// calling thread works too, so a pool of size 1 runs everything inline.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace pw {

class ThreadPool {
 public:
  explicit ThreadPool(unsigned threads = 0);  // 0: hardware_concurrency
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  unsigned size() const { return (unsigned)workers_.size() + 1; }

  // Runs fn(i) for i in [0, tasks) across the pool; returns when all are done.
  // The first exception thrown by a task is rethrown here. Safe to call from several
  // threads (jobs run one after another) and from inside a task (runs inline).
  void parallel_for(size_t tasks, const std::function<void(size_t)>& fn);

  // Splits [0, n) into about size()*4 contiguous chunks: fn(begin, end).
  void parallel_range(size_t n, const std::function<void(size_t, size_t)>& fn, size_t min_chunk = 1024);

 private:
  void worker_loop();
  void run_current(const std::function<void(size_t)>* job, size_t tasks);

  std::vector<std::thread> workers_;
  std::mutex submit_mu_;
  std::mutex mu_;
  std::condition_variable cv_, done_cv_;
  const std::function<void(size_t)>* job_ = nullptr;
  size_t job_tasks_ = 0;
  std::atomic<size_t> next_{0};
  size_t active_ = 0;
  uint64_t generation_ = 0;
  bool stop_ = false;
  std::exception_ptr error_;
};

}  // namespace pw
