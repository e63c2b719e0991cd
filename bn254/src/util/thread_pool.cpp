#include "bn254/util/thread_pool.h"

#include <algorithm>

namespace pw {

namespace {
// The pool whose task this thread is running, so a nested parallel_for runs inline
// instead of deadlocking on the pool it already occupies.
thread_local const ThreadPool* tls_running = nullptr;

struct RunningScope {
  const ThreadPool* saved;
  explicit RunningScope(const ThreadPool* p) : saved(tls_running) { tls_running = p; }
  ~RunningScope() { tls_running = saved; }
};
}  // namespace

ThreadPool::ThreadPool(unsigned threads) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 1; i < threads; ++i) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::run_current(const std::function<void(size_t)>* job, size_t tasks) {
  if (!job) return;
  RunningScope scope(this);
  for (;;) {
    size_t i = next_.fetch_add(1);
    if (i >= tasks) break;
    try {
      (*job)(i);
    } catch (...) {
      std::lock_guard<std::mutex> lk(mu_);
      if (!error_) error_ = std::current_exception();
    }
  }
}

void ThreadPool::worker_loop() {
  uint64_t seen = 0;
  for (;;) {
    const std::function<void(size_t)>* job;
    size_t tasks;
    {
      std::unique_lock<std::mutex> lk(mu_);
      cv_.wait(lk, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      job = job_;
      tasks = job_tasks_;
      ++active_;
    }
    run_current(job, tasks);
    {
      std::lock_guard<std::mutex> lk(mu_);
      if (--active_ == 0) done_cv_.notify_all();
    }
  }
}

void ThreadPool::parallel_for(size_t tasks, const std::function<void(size_t)>& fn) {
  if (tasks == 0) return;
  if (workers_.empty() || tasks == 1 || tls_running == this) {
    for (size_t i = 0; i < tasks; ++i) fn(i);
    return;
  }
  // One job at a time: callers on different threads (e.g. two proofs sharing a
  // Groth16Prover) queue here.
  std::lock_guard<std::mutex> submit(submit_mu_);
  {
    std::lock_guard<std::mutex> lk(mu_);
    job_ = &fn;
    job_tasks_ = tasks;
    next_.store(0);
    error_ = nullptr;
    ++generation_;
  }
  cv_.notify_all();
  run_current(&fn, tasks);
  std::exception_ptr err;
  {
    std::unique_lock<std::mutex> lk(mu_);
    // Workers that woke for this generation finish before the job goes out of scope.
    done_cv_.wait(lk, [&] { return active_ == 0; });
    job_ = nullptr;
    job_tasks_ = 0;
    err = error_;
  }
  if (err) std::rethrow_exception(err);
}

void ThreadPool::parallel_range(size_t n, const std::function<void(size_t, size_t)>& fn, size_t min_chunk) {
  if (n == 0) return;
  size_t chunks = std::max<size_t>(1, std::min<size_t>(size() * 4, (n + min_chunk - 1) / min_chunk));
  size_t per = (n + chunks - 1) / chunks;
  parallel_for(chunks, [&](size_t c) {
    size_t b = c * per, e = std::min(n, b + per);
    if (b < e) fn(b, e);
  });
}

}  // namespace pw
