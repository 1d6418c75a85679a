// A fixed pool of worker threads that run one parallel loop at a time with the calling thread.
// Idle workers spin briefly (so back-to-back ops of a forward pass start without a wake-up
// latency), then sleep on a condition variable: an idle engine uses no CPU.
//
// Tasks are claimed one at a time from a counter tagged with the job's number, so a worker that
// wakes late (its core busy with another process) finds the job finished and skips it: the
// caller never waits for a thread that has not started a task, only for claimed tasks to end.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace flt {

class ThreadPool {
 public:
  // fn(ctx, task, thread) for every task in [0, numTasks); thread in [0, numThreads).
  using TaskFn = void (*)(void* ctx, int task, int thread);

  explicit ThreadPool(int numThreads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int numThreads() const { return numThreads_; }

  // Runs all tasks, the caller taking part; returns when every task is done. Tasks are handed
  // out in order, so the split adapts to uneven task costs and to threads that run late.
  void run(int numTasks, TaskFn fn, void* ctx);

  template <class F>
  void parallelFor(int numTasks, F&& f) {
    using Fn = std::remove_reference_t<F>;
    auto thunk = [](void* c, int task, int thread) { (*static_cast<Fn*>(c))(task, thread); };
    run(numTasks, thunk, const_cast<void*>(static_cast<const void*>(&f)));
  }

 private:
  void workerLoop(int thread);
  // Claims and runs tasks of job `job` until none is left or a newer job started.
  void work(uint32_t job, int thread);
  // One job of at most kMaxTasks tasks.
  void runJob(int numTasks, TaskFn fn, void* ctx);

  const int numThreads_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::atomic<int> numSleeping_{0};
  std::atomic<bool> stop_{false};
  // job number (32 bits) | number of tasks (16) | next task (16): one word, so a claim can never
  // pair one job's task index with another job's task count
  std::atomic<uint64_t> claim_{0};
  std::atomic<int> numDone_{0};
  // the current job's function; written before its number is published in claim_, unchanged
  // until all its tasks are done
  std::atomic<TaskFn> fn_{nullptr};
  std::atomic<void*> ctx_{nullptr};
};

}  // namespace flt
