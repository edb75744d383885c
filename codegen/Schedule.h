// Schedules are plain data: one struct per kernel that prints as text, parses back, and has a default
// chosen from the kernel's shape and the target. Generators apply it; the autotuner and the comparison
// tools (later) vary exactly these fields.
//
//   vector=16 tile_c=2 tile_x=7 chunk_i=32 block_tasks=false parallel=true winograd=0
//
// For conv (the apps/conv_layer recipe): a register tile of tile_c vectors of output channels times
// tile_x output pixels accumulates over input channels and the kernel window, with the input broadcast.
// Weights are stored a block of tile_c x vector output channels at a time. A row of tiles shares each
// chunk of chunk_i input channels' weights (kept in L1); parallel tasks are rows, or channel blocks
// with all rows inside (block_tasks: small maps, weights read once per image).
// winograd=M (2 or 4): a 3x3 or 5x5 stride-1 conv computed as Winograd F(MxM,RxR) (codegen/WinogradConv.cpp;
// F(2x2,3x3), F(4x4,3x3), F(2x2,5x5)),
// its register tile tile_c vectors by tile_x MxM output tiles, over every input channel at once
// (chunk_i stays at its neutral 32); 0 is the direct conv.
// autoscheduler=NAME (Mullapudi2016, Adams2019, Li2018; printed only when set): the conv's algorithm
// scheduled by that Halide 14 autoscheduler instead of by these fields (codegen/Autoschedule.cpp): the
// baselines the tuner's records are compared with. vector and tile_c still pad the packed weights (in
// one block: see weightBlock), parallel says whether it may use threads. For fc: tile_c vectors of outputs. For
// pooling, lrn, concat, relu, softmax: vector lanes along the innermost axis.
//
// GPU targets (gpu: set from the target, not a field of the text) print four more fields, and their
// kernels ignore tile_x, block_tasks and parallel (kept at 1, false, true):
//
//   vector=16 tile_c=2 tile_x=1 chunk_i=32 block_tasks=false parallel=true winograd=0 gpu_c=32 gpu_tx=8 gpu_x=4 gpu_shared=false
//
// A conv's thread block is gpu_c output channels (a thread each: consecutive threads read consecutive
// packed weights) by gpu_tx runs of gpu_x pixels of a row (a thread each, its gpu_x sums in registers);
// gpu_shared=true stages the block's input tile in shared memory, chunk_i input channels at a time,
// loaded by all its threads together and read by its gpu_c channel threads (the block's sums in shared
// memory too), where by default each thread reads its own taps through the cache (a fused source
// recomputed at each) and keeps its sums in registers. Any other
// kernel is a thread per output element, in blocks of gpu_tx threads along the innermost axis
// (gpu_c=1 gpu_x=1). A Winograd conv on a GPU (winograd=2|4; direct by default) is three launches,
// a thread per channel and tile each (gpu_x=1; codegen/WinogradConv.cpp).
#pragma once

#include <string>
#include <vector>

namespace Halide {
struct Target;
}

namespace deeper {

/// The widest input chunk a schedule may name: ResNet-50's widest conv input has 2048 channels.
constexpr int kMostChunkInputs = 4096;
/// Threads in a GPU block: CUDA's limit (OpenCL devices name theirs; PoCL's is 4096).
constexpr int kMostGpuThreads = 1024;
/// Threads per block of a GPU kernel computing each output element on its own (gpu_tx's default).
constexpr int kGpuElementThreads = 64;

struct Schedule {
  int vector = 16;       ///< lanes per vector (16 on AVX-512, 8 on AVX2)
  int tileChannels = 2;  ///< output-channel vectors per register tile (conv, fc)
  int tileWidth = 4;     ///< output pixels per register tile (conv)
  int chunkInputs = 32;  ///< input channels per weight chunk (the direct conv); all of them in one: register tiles
  bool blockTasks = false;  ///< tasks are channel blocks rather than rows (conv)
  bool parallel = true;  ///< split the work over the thread pool
  int winograd = 0;  ///< conv 3x3 or 5x5, stride 1: output tile M of Winograd F(MxM,RxR) (2 or 4), 0: direct
  std::string autoscheduler;  ///< conv: a Halide autoscheduler's name schedules it instead; "" (none): ours
  bool gpu = false;          ///< for a GPU target: the gpu_ fields apply (not in the text: the target says)
  int gpuChannels = 32;      ///< GPU conv: output-channel threads per block
  int gpuRowThreads = 8;     ///< GPU: threads per block along a row (conv: runs of gpuPixels; others: elements)
  int gpuPixels = 4;         ///< GPU conv: output pixels per thread, its sums in registers
  bool gpuSharedInput = false;  ///< GPU conv: the block's input tile staged in shared memory, chunk_i channels at a time

  /// The Halide 14 autoschedulers `autoscheduler` may name.
  static const std::vector<std::string> &autoschedulers();
  /// This schedule handed to autoscheduler `name`: vector, tile_c and parallel kept, the fields the
  /// autoscheduler decides at their neutral values (tile_x=1 chunk_i=32 block_tasks=false winograd=0).
  Schedule handedTo(const std::string &name) const;
  /// Output channels per register tile: packed weights are padded to a multiple of this and stored a
  /// block of this many channels at a time (conv, fc; codegen/Kernel.h weightBlock).
  int channelBlock() const { return vector * tileChannels; }
  std::string print() const;
  /// UserError when `text` is not a schedule; fields it leaves out keep the defaults above. A text
  /// naming any gpu_ field is a GPU kernel's (gpu: as print() writes them).
  static Schedule parse(const std::string &text);
  /// Sets field `key` (as printed: "tile_c") from `value`; what is wrong with them, or "".
  std::string assign(const std::string &key, const std::string &value);
  bool operator==(const Schedule &o) const { return print() == o.print(); }
};

}  // namespace deeper
