// Kernels' scratch memory: Halide's halide_malloc/halide_free for the buffers a kernel allocates on
// each call (a Winograd conv's transformed tiles and accumulators, a row of a conv's accumulators),
// kept by the thread that freed them for its next call (runtime.cpp installs them).
//
// Why not the C library's malloc: glibc hands the free top of its heap back to the system once more
// than a threshold (128 KiB until the process has freed one large block) is free there, and a worker
// thread's arena likewise; each run then faults the same pages back in. A Winograd 3x3 conv on a
// 28x28x128 map took 1.6 ms instead of 0.33 ms in a program whose heap had never held a large block
// (60 page faults and 4 brk/madvise calls a run; 2026-12-02).
//
// Rules:
//  - A freed block goes to the cache of the thread that frees it. An allocation takes its thread's
//    smallest cached block that holds it and is at most twice its size, else a new block.
//  - A thread caches at most kCachedBytesPerThread; a block beyond that goes back to the C library,
//    as does every cached block when its thread exits.
//  - Blocks start on a 64-byte boundary (a cache line, an AVX-512 vector) and may be read 64 bytes
//    before their start and past their end, as halide_malloc promises Halide's code.
#pragma once

#include <cstddef>

namespace deeper::runtime {

constexpr size_t kCachedBytesPerThread = size_t{64} << 20;

/// halide_malloc: a block of at least `bytes`, or null when the system has no memory.
void *scratchMalloc(void *user_context, size_t bytes);
/// halide_free: `block` (from scratchMalloc, or null) into the calling thread's cache.
void scratchFree(void *user_context, void *block);
/// The bytes of blocks the calling thread holds cached.
size_t cachedScratchBytes();
/// Returns the calling thread's cached blocks to the C library.
void releaseCachedScratch();

}  // namespace deeper::runtime
