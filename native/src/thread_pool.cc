#include "thread_pool.h"

#include <chrono>

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define FLT_PAUSE() _mm_pause()
#elif defined(__aarch64__)
#define FLT_PAUSE() asm volatile("yield")
#else
#define FLT_PAUSE() ((void)0)
#endif

namespace flt {

namespace {
// How long an idle worker polls for the next job before it sleeps. Long enough to bridge the
// gap between two ops of one forward pass (a few microseconds of JavaScript), short enough that
// an idle server is idle.
constexpr auto kSpin = std::chrono::microseconds(300);

constexpr int kMaxTasks = 0xffff;

uint32_t job_of(uint64_t claim) { return uint32_t(claim >> 32); }
int tasks_of(uint64_t claim) { return int((claim >> 16) & 0xffff); }
int next_of(uint64_t claim) { return int(claim & 0xffff); }
}  // namespace

ThreadPool::ThreadPool(int numThreads) : numThreads_(numThreads < 1 ? 1 : numThreads) {
  for (int i = 1; i < numThreads_; i++) workers_.emplace_back([this, i] { workerLoop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_.store(true);
    claim_.fetch_add(uint64_t(1) << 32);
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::work(uint32_t job, int thread) {
  uint64_t c = claim_.load(std::memory_order_acquire);
  for (;;) {
    if (job_of(c) != job || next_of(c) >= tasks_of(c)) return;
    if (!claim_.compare_exchange_weak(c, c + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
    // the claimed task keeps its job unfinished, so fn_ and ctx_ are still this job's
    fn_.load(std::memory_order_relaxed)(ctx_.load(std::memory_order_relaxed), next_of(c), thread);
    numDone_.fetch_add(1, std::memory_order_acq_rel);
    c = claim_.load(std::memory_order_acquire);
  }
}

void ThreadPool::run(int numTasks, TaskFn fn, void* ctx) {
  if (numTasks <= 0) return;
  if (numThreads_ == 1 || numTasks == 1) {
    for (int t = 0; t < numTasks; t++) fn(ctx, t, 0);
    return;
  }
  if (numTasks <= kMaxTasks) return runJob(numTasks, fn, ctx);
  struct Slice {
    TaskFn fn;
    void* ctx;
    int base;
  } slice{fn, ctx, 0};
  for (; slice.base < numTasks; slice.base += kMaxTasks) {
    const int n = numTasks - slice.base < kMaxTasks ? numTasks - slice.base : kMaxTasks;
    runJob(n, [](void* c, int task, int thread) {
      auto* s = static_cast<Slice*>(c);
      s->fn(s->ctx, s->base + task, thread);
    }, &slice);
  }
}

void ThreadPool::runJob(int numTasks, TaskFn fn, void* ctx) {
  fn_.store(fn, std::memory_order_relaxed);
  ctx_.store(ctx, std::memory_order_relaxed);
  numDone_.store(0, std::memory_order_relaxed);
  const uint32_t job = job_of(claim_.load(std::memory_order_relaxed)) + 1;
  {
    // Publishing under the mutex orders it against a worker that is about to sleep, so no
    // wake-up is lost.
    std::lock_guard<std::mutex> lock(mutex_);
    claim_.store((uint64_t(job) << 32) | (uint64_t(numTasks) << 16), std::memory_order_release);
  }
  if (numSleeping_.load(std::memory_order_acquire) > 0) wake_.notify_all();
  work(job, 0);
  // Only tasks already claimed can be outstanding; they finish soon. Yield now and then in case
  // the thread running one shares this core.
  for (int spins = 0; numDone_.load(std::memory_order_acquire) < numTasks; spins++) {
    FLT_PAUSE();
    if (spins % 256 == 255) std::this_thread::yield();
  }
}

void ThreadPool::workerLoop(int thread) {
  uint32_t seen = 0;
  for (;;) {
    uint32_t job = job_of(claim_.load(std::memory_order_acquire));
    if (job == seen) {
      const auto until = std::chrono::steady_clock::now() + kSpin;
      int polls = 0;
      while ((job = job_of(claim_.load(std::memory_order_acquire))) == seen) {
        FLT_PAUSE();
        if (++polls % 64 == 0 && std::chrono::steady_clock::now() > until) break;
      }
      if (job == seen) {
        std::unique_lock<std::mutex> lock(mutex_);
        numSleeping_.fetch_add(1, std::memory_order_acq_rel);
        wake_.wait(lock, [&] { return job_of(claim_.load(std::memory_order_acquire)) != seen; });
        numSleeping_.fetch_sub(1, std::memory_order_acq_rel);
        job = job_of(claim_.load(std::memory_order_acquire));
      }
    }
    seen = job;
    if (stop_.load()) return;
    work(job, thread);
  }
}

}  // namespace flt
