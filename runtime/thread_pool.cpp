// The runtime's thread pool; the rules are in thread_pool.h.
#include "thread_pool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace deeper::runtime {

namespace {

/// How long an idle thread spins before it sleeps (workers) or yields its core (waiting callers):
/// longer than the gaps between one image's parallel loops, short next to anything a user would
/// call idle.
constexpr std::chrono::microseconds kSpinMicros{2000};

using Clock = std::chrono::steady_clock;

void relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}

/// One parallel loop, on its caller's stack.
struct Job {
  void *user_context;
  halide_task_t f;
  int min, size;
  uint8_t *closure;
  int next = 0;                 ///< the next iteration to claim (under the pool's mutex)
  std::atomic<int> done{0};     ///< iterations finished
  std::atomic<int> status{0};   ///< the first failing iteration's result
  Job *link = nullptr;          ///< the next job on the pool's list
};

struct Pool {
  std::mutex mutex;
  std::condition_variable wake;
  Job *jobs = nullptr;           ///< jobs with iterations left to claim, newest first (under mutex)
  std::atomic<int> queued{0};    ///< how many: spinning threads read it without the mutex
  std::atomic<int> threads{0};   ///< threads that run iterations, callers included
  int workers = 0;               ///< worker threads started (under mutex)
  int sleeping = 0;              ///< workers waiting on `wake` (under mutex)
};

/// Never destroyed: a context destroyed by another static destructor may still run kernels at exit.
Pool &pool() {
  static Pool *p = new Pool;
  return *p;
}

int defaultThreadCount() {
  const char *env = std::getenv("HL_NUM_THREADS");
  int n = env ? std::atoi(env) : 0;
  return std::min(kMaxThreads, n > 0 ? n : std::max(1, static_cast<int>(std::thread::hardware_concurrency())));
}

int threadCount(Pool &p) {
  int n = p.threads.load(std::memory_order_relaxed);
  if (n > 0) return n;
  int expected = 0;
  p.threads.compare_exchange_strong(expected, defaultThreadCount());
  return p.threads.load(std::memory_order_relaxed);
}

/// Claims the next iteration of `job` (or of the newest queued job when null); the claimer of a job's
/// last iteration takes it off the list.
Job *claim(Pool &p, Job *job, int &iteration) {
  if (!job && p.queued.load(std::memory_order_relaxed) == 0) return nullptr;
  std::lock_guard<std::mutex> lock(p.mutex);
  if (!job) job = p.jobs;
  if (!job || job->next >= job->size) return nullptr;
  iteration = job->next++;
  if (job->next == job->size) {
    Job **at = &p.jobs;
    while (*at != job) at = &(*at)->link;
    *at = job->link;
    p.queued.fetch_sub(1, std::memory_order_relaxed);
  }
  return job;
}

/// Runs a claimed iteration; counting it done is the last time this thread touches the job.
void run(Job &job, int iteration) {
  if (int result = job.f(job.user_context, job.min + iteration, job.closure)) {
    int none = 0;
    job.status.compare_exchange_strong(none, result);
  }
  job.done.fetch_add(1, std::memory_order_release);
}

bool runAnyQueued(Pool &p) {
  int iteration = 0;
  Job *job = claim(p, nullptr, iteration);
  if (job) run(*job, iteration);
  return job != nullptr;
}

/// Worker `index` (0-based; the callers are the other threads): runs queued iterations, spins when
/// there are none, sleeps after kSpinMicros, and sleeps too while the pool wants fewer workers.
void workerLoop(Pool &p, int index) {
  auto idleSince = Clock::now();
  for (unsigned spins = 0;; ++spins) {
    bool wanted = index < threadCount(p) - 1;
    if (wanted && runAnyQueued(p)) {
      idleSince = Clock::now();
      continue;
    }
    relax();
    if (wanted && (spins % 64 != 0 || Clock::now() - idleSince < kSpinMicros)) continue;
    std::unique_lock<std::mutex> lock(p.mutex);
    ++p.sleeping;
    p.wake.wait(lock, [&] { return p.jobs != nullptr && index < threadCount(p) - 1; });
    --p.sleeping;
    idleSince = Clock::now();
  }
}

/// Queues `job`, starting the workers the pool lacks and waking sleeping ones.
void enqueue(Pool &p, Job &job) {
  bool wakeSleepers;
  {
    std::lock_guard<std::mutex> lock(p.mutex);
    for (; p.workers < threadCount(p) - 1; ++p.workers) try {
        std::thread(workerLoop, std::ref(p), p.workers).detach();
      } catch (const std::system_error &) {  // out of threads: run with those started (and the caller)
        p.threads.store(p.workers + 1);
      }
    job.link = p.jobs;
    p.jobs = &job;
    p.queued.fetch_add(1, std::memory_order_relaxed);
    wakeSleepers = p.sleeping > 0;
  }
  if (wakeSleepers) p.wake.notify_all();
}

/// Until every iteration of `job` has finished: runs other jobs' iterations, else spins, then yields.
void waitFor(Pool &p, Job &job) {
  auto since = Clock::now();
  for (unsigned spins = 0; job.done.load(std::memory_order_acquire) < job.size; ++spins) {
    if (runAnyQueued(p)) continue;
    relax();
    if (spins % 64 == 0 && Clock::now() - since > kSpinMicros) std::this_thread::yield();
  }
}

}  // namespace

int parallelFor(void *user_context, halide_task_t f, int min, int size, uint8_t *closure) {
  Pool &p = pool();
  if (size <= 1 || threadCount(p) <= 1) {
    for (int i = min; i < min + size; ++i)
      if (int result = f(user_context, i, closure)) return result;
    return 0;
  }
  Job job{user_context, f, min, size, closure};
  enqueue(p, job);
  int iteration = 0;
  while (claim(p, &job, iteration)) run(job, iteration);
  waitFor(p, job);
  return job.status.load();
}

int threadCount() { return threadCount(pool()); }

void setThreadCount(int threads) {
  Pool &p = pool();
  p.threads.store(threads > 0 ? std::min(threads, kMaxThreads) : defaultThreadCount());
  std::lock_guard<std::mutex> lock(p.mutex);  // workers now wanted may be asleep
  p.wake.notify_all();
}

}  // namespace deeper::runtime
