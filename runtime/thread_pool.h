// The thread pool every kernel's parallel loop runs on (runtime.cpp installs it as Halide's do_par_for).
//
// Why not Halide's own pool: its idle workers sleep on a condition variable almost at once, and on
// this kind of machine (a VM) waking a sleeping thread costs 50-80 us. GoogLeNet runs ~40 parallel
// loops per image in ~11 ms, most of them a few hundred microseconds long, so the second thread
// arrived late to many of them. Here idle workers spin (with pause) for a while before they sleep, as
// OpenMP runtimes and ONNX Runtime's pool do.
//
// Rules:
//  - A parallel loop is a job on a shared list; its caller runs its iterations too, and any thread
//    claims the next one under the list's mutex, so the caller never waits for a worker to wake.
//  - A thread waiting for its job's last iterations runs iterations of other jobs meanwhile: a lane of
//    a branch group (runtime.cpp) waits in its group's loop while its kernels' loops are still running.
//  - A job lives on its caller's stack. A thread touches it only under the list's mutex or while it
//    holds an iteration it claimed; finishing that iteration is its last access.
//  - Workers spin for kSpinMicros after their last iteration, then sleep until a job is queued.
#pragma once

#include <HalideRuntime.h>

namespace deeper::runtime {

/// Halide's do_par_for on this pool: runs f(user_context, i, closure) for i in [min, min + size).
/// Returns the first non-zero result of an iteration, else 0.
int parallelFor(void *user_context, halide_task_t f, int min, int size, uint8_t *closure);

/// More threads than this are a typo (or an attack): the system refuses them long before.
constexpr int kMaxThreads = 256;

/// Threads that run iterations, the callers included, at most kMaxThreads; 0: one per core
/// (HL_NUM_THREADS when set). A worker the system cannot start lowers the count to those running.
void setThreadCount(int threads);
/// The count setThreadCount set, or the default it stands for.
int threadCount();

}  // namespace deeper::runtime
