#include "scratch_memory.h"

#include <cstdint>
#include <cstdlib>
#include <new>
#include <vector>

namespace deeper::runtime {
namespace {

constexpr size_t kAlign = 64;

/// A block is [header | usable bytes | slack]: the header line holds the usable size.
size_t &capacityOf(void *block) { return *reinterpret_cast<size_t *>(static_cast<char *>(block) - kAlign); }
void *baseOf(void *block) { return static_cast<char *>(block) - kAlign; }

struct ThreadCache {
  std::vector<void *> blocks;
  size_t bytes = 0;
  void release() {
    for (void *block : blocks) std::free(baseOf(block));
    blocks.clear();
    bytes = 0;
  }
  ~ThreadCache() { release(); }
};

thread_local ThreadCache cache;

/// The index of the smallest cached block that holds `bytes` without wasting more than its size.
long bestFit(size_t bytes) {
  long best = -1;
  for (size_t i = 0; i < cache.blocks.size(); ++i) {
    size_t capacity = capacityOf(cache.blocks[i]);
    if (capacity >= bytes && capacity <= 2 * bytes && (best < 0 || capacity < capacityOf(cache.blocks[best])))
      best = static_cast<long>(i);
  }
  return best;
}

}  // namespace

void *scratchMalloc(void *, size_t bytes) {
  if (long i = bestFit(bytes); i >= 0) {
    void *block = cache.blocks[i];
    cache.blocks[i] = cache.blocks.back();
    cache.blocks.pop_back();
    cache.bytes -= capacityOf(block);
    return block;
  }
  size_t capacity = (bytes + kAlign - 1) / kAlign * kAlign;
  if (capacity < bytes || capacity > SIZE_MAX - 2 * kAlign) return nullptr;  // the block's size would wrap around
  void *base = std::aligned_alloc(kAlign, kAlign + capacity + kAlign);
  if (!base) return nullptr;
  void *block = static_cast<char *>(base) + kAlign;
  capacityOf(block) = capacity;
  return block;
}

void scratchFree(void *, void *block) {
  if (!block) return;
  size_t capacity = capacityOf(block);
  if (cache.bytes + capacity > kCachedBytesPerThread) {
    std::free(baseOf(block));
    return;
  }
  try {
    cache.blocks.push_back(block);
  } catch (const std::bad_alloc &) {  // no room to remember it: Halide's code cannot take an exception
    std::free(baseOf(block));
    return;
  }
  cache.bytes += capacity;
}

size_t cachedScratchBytes() { return cache.bytes; }

void releaseCachedScratch() { cache.release(); }

}  // namespace deeper::runtime
