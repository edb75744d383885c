// The kernels' scratch memory (runtime/scratch_memory.h): blocks aligned and reused by the thread
// that freed them, no reuse of a block more than twice too large, the per-thread bound, and Halide's
// halide_malloc routed to it once the runtime is in use.
#include "runtime/scratch_memory.h"

#include "runtime/deeper_runtime.h"

#include <HalideRuntime.h>
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

using deeper::runtime::cachedScratchBytes;
using deeper::runtime::kCachedBytesPerThread;
using deeper::runtime::releaseCachedScratch;
using deeper::runtime::scratchFree;
using deeper::runtime::scratchMalloc;

namespace {

bool aligned64(const void *p) { return reinterpret_cast<uintptr_t>(p) % 64 == 0; }

}  // namespace

TEST_CASE("scratch memory: aligned blocks, usable from 64 bytes before to 64 past the end") {
  releaseCachedScratch();
  for (size_t bytes : {size_t{1}, size_t{63}, size_t{64}, size_t{1000}, size_t{1} << 20}) {
    auto *block = static_cast<unsigned char *>(scratchMalloc(nullptr, bytes));
    REQUIRE(block != nullptr);
    CHECK(aligned64(block));
    std::memset(block, 0xab, bytes);  // ASan (the sanitizer stage) checks every byte is the block's
    volatile unsigned char before = block[-8], after = block[(bytes + 63) / 64 * 64 + 8];
    (void)before, (void)after;
    scratchFree(nullptr, block);
  }
  scratchFree(nullptr, nullptr);
  // Sizes whose block (header and slack included) would wrap around: no block, never a short one.
  for (size_t bytes : {SIZE_MAX, SIZE_MAX - 63, SIZE_MAX - 100, SIZE_MAX - 127}) CHECK(scratchMalloc(nullptr, bytes) == nullptr);
  releaseCachedScratch();
  CHECK(cachedScratchBytes() == 0);
}

TEST_CASE("scratch memory: a freed block serves the next allocation it fits, not one it would waste") {
  releaseCachedScratch();
  void *block = scratchMalloc(nullptr, 100000);
  scratchFree(nullptr, block);
  CHECK(cachedScratchBytes() == 100032);  // rounded up to whole cache lines
  CHECK(scratchMalloc(nullptr, 90000) == block);  // fits, at most twice its size
  CHECK(cachedScratchBytes() == 0);
  scratchFree(nullptr, block);
  void *small = scratchMalloc(nullptr, 40000);  // would waste more than half the cached block
  CHECK(small != block);
  CHECK(cachedScratchBytes() == 100032);
  void *large = scratchMalloc(nullptr, 200000);  // larger than anything cached
  CHECK(large != block);
  scratchFree(nullptr, small);
  scratchFree(nullptr, large);
  // The 100,032- and 200,000-byte blocks both fit 100,000 bytes: the smaller one serves.
  CHECK(scratchMalloc(nullptr, 100000) == block);
  scratchFree(nullptr, block);
  releaseCachedScratch();
}

TEST_CASE("scratch memory: each thread caches what it frees, at most kCachedBytesPerThread") {
  releaseCachedScratch();
  void *mine = scratchMalloc(nullptr, 4096);
  std::thread([mine] {
    CHECK(cachedScratchBytes() == 0);
    scratchFree(nullptr, mine);  // freed here: this thread's cache takes it
    CHECK(cachedScratchBytes() == 4096);
    CHECK(scratchMalloc(nullptr, 4096) == mine);
    scratchFree(nullptr, mine);
  }).join();  // the thread's cache goes back to the C library as it exits (LSan checks)
  CHECK(cachedScratchBytes() == 0);
  std::vector<void *> blocks;
  for (int i = 0; i < 5; ++i) blocks.push_back(scratchMalloc(nullptr, kCachedBytesPerThread / 4));
  for (void *block : blocks) scratchFree(nullptr, block);
  CHECK(cachedScratchBytes() == kCachedBytesPerThread);  // the fifth went back
  releaseCachedScratch();
}

TEST_CASE("scratch memory: Halide's halide_malloc is the cache once the runtime is in use") {
  REQUIRE(deeper_set_num_threads(deeper_get_num_threads()) == DEEPER_OK);  // installs the runtime's hooks, as deeper_create does
  releaseCachedScratch();
  void *block = halide_malloc(nullptr, 1 << 16);
  halide_free(nullptr, block);
  CHECK(cachedScratchBytes() == 1 << 16);
  CHECK(halide_malloc(nullptr, 1 << 16) == block);
  halide_free(nullptr, block);
  releaseCachedScratch();
}
