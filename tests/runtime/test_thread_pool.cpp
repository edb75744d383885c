// The runtime's thread pool (runtime/thread_pool.h): every iteration once, errors reported, nested
// loops (a branch lane's kernels inside its group's loop), several callers at once, iterations
// really side by side. The compiled-model tests (tests/e2e) run it under whole networks.
#include "runtime/thread_pool.h"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

using deeper::runtime::parallelFor;
using deeper::runtime::setThreadCount;

namespace {

/// What a loop's iterations share: how often each index ran, and a result to return per index.
struct Counts {
  std::vector<std::atomic<int>> ran;
  int failAt = -1;
  explicit Counts(size_t n) : ran(n) {}
  bool eachOnce() const {
    for (const auto &r : ran)
      if (r.load() != 1) return false;
    return true;
  }
};

int count(void *, int i, uint8_t *closure) {
  Counts &c = *reinterpret_cast<Counts *>(closure);
  c.ran[static_cast<size_t>(i)].fetch_add(1);
  return i == c.failAt ? 7 : 0;
}

int loop(Counts &c, int min, int size) { return parallelFor(nullptr, count, min, size, reinterpret_cast<uint8_t *>(&c)); }

/// Each outer iteration runs an inner loop of 16 over its own counts.
struct Nested {
  std::vector<Counts> inner;
  std::atomic<int> failures{0};
};

int outer(void *, int i, uint8_t *closure) {
  Nested &n = *reinterpret_cast<Nested *>(closure);
  if (loop(n.inner[static_cast<size_t>(i)], 0, 16) != 0) n.failures.fetch_add(1);
  return 0;
}

}  // namespace

TEST_CASE("thread pool: every iteration runs once, from min, at 1, 2 and 4 threads") {
  for (int threads : {1, 2, 4}) {
    setThreadCount(threads);
    for (int size : {0, 1, 2, 3, 16, 113}) {
      Counts c(static_cast<size_t>(size) + 5);
      CHECK(loop(c, 5, size) == 0);
      for (int i = 0; i < 5; ++i) CHECK(c.ran[static_cast<size_t>(i)].load() == 0);
      bool once = true;
      for (int i = 5; i < size + 5; ++i) once = once && c.ran[static_cast<size_t>(i)].load() == 1;
      CHECK_MESSAGE(once, threads << " threads, " << size << " iterations");
    }
  }
}

TEST_CASE("thread pool: a failing iteration's result is returned, the others still run") {
  for (int threads : {1, 2}) {
    setThreadCount(threads);
    Counts c(32);
    c.failAt = 20;
    CHECK(loop(c, 0, 32) == 7);
    CHECK(c.ran[20].load() == 1);
    if (threads > 1) CHECK(c.eachOnce());  // one thread runs them in order and stops at the failure
  }
}

TEST_CASE("thread pool: nested loops and several callers at once") {
  setThreadCount(2);
  Nested n;
  for (int i = 0; i < 3; ++i) n.inner.emplace_back(16);
  CHECK(parallelFor(nullptr, outer, 0, 3, reinterpret_cast<uint8_t *>(&n)) == 0);
  CHECK(n.failures.load() == 0);
  for (const Counts &c : n.inner) CHECK(c.eachOnce());

  std::vector<Counts> perCaller;
  for (int t = 0; t < 4; ++t) perCaller.emplace_back(200 * 8);
  std::vector<std::thread> callers;
  for (int t = 0; t < 4; ++t)
    callers.emplace_back([&perCaller, t] {
      for (int round = 0; round < 200; ++round) loop(perCaller[static_cast<size_t>(t)], round * 8, 8);
    });
  for (std::thread &t : callers) t.join();
  for (const Counts &c : perCaller) CHECK(c.eachOnce());
}

namespace {

/// Iteration 0 waits until iteration 1 has started, so a pool that ran them one after another on one
/// thread would never finish them (the wait gives up after 10 s and reports it).
struct Rendezvous {
  std::atomic<bool> secondStarted{false}, gaveUp{false};
};

int meet(void *, int i, uint8_t *closure) {
  Rendezvous &r = *reinterpret_cast<Rendezvous *>(closure);
  if (i == 1) {
    r.secondStarted = true;
    return 0;
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!r.secondStarted)
    if (std::chrono::steady_clock::now() > deadline) return r.gaveUp = true, 1;
  return 0;
}

}  // namespace

TEST_CASE("thread pool: two threads run two iterations side by side") {
  setThreadCount(2);
  for (int round = 0; round < 20; ++round) {
    Rendezvous r;
    CHECK(parallelFor(nullptr, meet, 0, 2, reinterpret_cast<uint8_t *>(&r)) == 0);
    REQUIRE_FALSE(r.gaveUp.load());
  }
}
