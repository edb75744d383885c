#include "inspect/Explain.h"

#include "codegen/Generators.h"
#include "codegen/KernelCache.h"
#include "ir/Printer.h"
#include "runtime/printable.h"
#include "support/Diagnostics.h"
#include "support/Files.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <numeric>

namespace deeper::inspect {
namespace {

int64_t elements(const OperandView &v) {
  return std::accumulate(v.extent.begin(), v.extent.end(), int64_t{1}, [](int64_t a, int32_t e) { return a * e; });
}

/// N,C,H,W as the IR writes shapes: the view's extents outermost first.
std::string shapeText(const OperandView &v) {
  std::vector<int32_t> dims(v.extent.rbegin(), v.extent.rend());
  return fmt::format("f32[{}]", fmt::join(dims, ","));
}

/// The LLVM features the kernel's code may use, for choosing llvm-mca's model.
std::vector<std::string> llvmFeatures(const Halide::Target &t) {
  using T = Halide::Target;
  if (t.arch != T::X86) return {};
  std::vector<std::string> features;
  if (t.has_feature(T::AVX512) || t.has_feature(T::AVX512_Skylake) || t.has_feature(T::AVX512_Cannonlake) ||
      t.has_feature(T::AVX512_SapphireRapids))
    features.push_back("avx512f");
  if (t.has_feature(T::AVX2)) features.push_back("avx2");
  if (t.has_feature(T::FMA) || t.has_feature(T::AVX2)) features.push_back("fma");
  return features;
}

void lower(const Kernel &k, const Halide::Target &target, const ExplainOptions &o, KernelExplanation &e) {
  Halide::Target kernelTarget = target.with_feature(Halide::Target::NoRuntime);
  std::optional<codegen::HalideWarningsSilenced> quiet;
  if (!k.schedule.autoscheduler.empty()) quiet.emplace();
  codegen::KernelPipeline kp = codegen::generateKernel(k, kernelTarget);
  if (o.loweredStatement) {
    ScratchFolder scratch("deeper-explain");
    std::string path = scratch.path() + "/kernel.stmt";
    kp.output.compile_to_lowered_stmt(path, kp.arguments(), Halide::Text, kernelTarget);
    e.loweredStatement = readFile(path);
  }
  if (!o.htmlStatementPath.empty()) kp.output.compile_to_lowered_stmt(o.htmlStatementPath, kp.arguments(), Halide::HTML, kernelTarget);
}

void readCode(const CompiledKernel &compiled, const Halide::Target &target, const ExplainOptions &o, KernelExplanation &e) {
  e.function = compiled.function;
  e.object = compiled.object;
  e.code = disassembleObject(compiled.object);
  e.mix = mixOf(e.code);
  e.hotLoop = hottestInnermostLoop(e.code);
  if (!o.mca) return;
  if (!e.hotLoop.found()) {
    e.mcaProblem = "the code has no loop";
    return;
  }
  try {
    e.mca = estimateLoop(e.hotLoop, llvmFeatures(target));
  } catch (const UserError &error) {
    e.mcaProblem = error.what();  // the rest of the explanation stands without it
  }
}

std::string megas(int64_t n) { return n >= 1000000 ? fmt::format("{:.2f} M", n / 1e6) : fmt::format("{:.1f} K", n / 1e3); }

std::string byteText(int64_t n) { return n >= (1 << 20) ? fmt::format("{:.2f} MiB", n / 1048576.0) : fmt::format("{:.1f} KiB", n / 1024.0); }

std::string mixText(const InstructionMix &m) {
  return fmt::format("{} instructions; FMAs {}; vector {}; loads {}, stores {}, broadcasts {}, stack spills {}, reloads {}",
                     m.instructions, widthsText(m.fmaByBits), widthsText(m.vectorByBits), m.loads, m.stores, m.broadcasts, m.spills,
                     m.reloads);
}

}  // namespace

double KernelExplanation::intensity() const { return bytes() ? 2.0 * static_cast<double>(executedMacs) / static_cast<double>(bytes()) : 0.0; }

std::string algorithmName(const Kernel &k) {
  if (!k.schedule.autoscheduler.empty()) return fmt::format("Halide's {} autoscheduler", k.schedule.autoscheduler);
  if (k.schedule.winograd) return fmt::format("Winograd F({0}x{0},3x3)", k.schedule.winograd);
  if (k.node->op == OpKind::Conv) return "direct";
  return opInfo(k.node->op).name;
}

KernelExplanation explainKernel(const Kernel &k, const Halide::Target &target, const ExplainOptions &o) {
  KernelExplanation e;
  e.node = k.node->name;
  e.nodeText = printNode(*k.node);
  for (size_t i = 0; i < k.inputViews.size(); ++i) {
    e.inputs.push_back(shapeText(k.inputViews[i]) + " " + k.inputs[i]->name);
    e.inputBytes += 4 * elements(k.inputViews[i]);
  }
  for (const PackedParam &p : k.params) e.weightBytes += 4 * elements(p.view);
  e.output = shapeText(k.outputView);
  e.outputBytes = 4 * elements(k.outputView);
  e.target = target.to_string();
  e.schedule = k.schedule.print();
  e.algorithm = algorithmName(k);
  e.layerMacs = macsOf(*k.node);
  e.executedMacs = executedMacs(k);
  e.lane = k.lane;
  CompileJobsOptions jobs;
  jobs.jobs = 1, jobs.progress = false;
  readCode(compileKernels({k}, target, jobs).at(0), target, o, e);
  lower(k, target, o, e);
  return e;
}

void attachMeasurement(KernelExplanation &e, const Profile &profile) {
  const StepProfile *step = profile.step(e.node);
  if (!step) fail(fmt::format("the profiled build has no step '{}'", e.node));
  e.measured = *step;
  e.threads = profile.threads, e.peakGflops = profile.peakGflops, e.readGBps = profile.readGBps;
}

namespace {

/// "measured" and "roofline" lines: the time in the model, its rate against the measured peak, and
/// what bounds it (the lesser of the peak and intensity x bandwidth).
std::string measuredText(const KernelExplanation &e) {
  const Quartiles &ms = e.measured->ms;
  double gflops = ms.median > 0 ? 2e-6 * static_cast<double>(e.executedMacs) / ms.median : 0;
  std::string s = fmt::format("  measured    {:.3f} ms median (quartiles {:.3f}-{:.3f}) in the whole model on {} threads", ms.median, ms.q1, ms.q3,
                              e.threads);
  if (e.executedMacs) s += fmt::format(": {:.1f} GFLOP/s, {:.1f}% of the measured FMA peak ({:.1f} GFLOP/s)", gflops, 100 * gflops / e.peakGflops, e.peakGflops);
  s += e.lane ? fmt::format("; it runs in branch lane {}, beside the others\n", e.lane) : "\n";
  if (e.executedMacs && e.bytes()) {
    double memoryBound = e.intensity() * e.readGBps;
    s += fmt::format("  roofline    {:.1f} flops/byte x {:.1f} GB/s read bandwidth = {:.1f} GFLOP/s: {}\n", e.intensity(), e.readGBps, memoryBound,
                     memoryBound < e.peakGflops ? "memory-bound (below the FMA peak)" : "compute-bound (the FMA peak is lower)");
  }
  s += fmt::format("  bytes/time  {:.1f} GB/s of its compulsory bytes\n", static_cast<double>(e.bytes()) / (ms.median * 1e6));
  return s;
}

}  // namespace

std::string printExplanation(const KernelExplanation &e) {
  std::string s = fmt::format("kernel {} (target {})\n", e.node, e.target);
  s += fmt::format("  node        {}\n", e.nodeText);
  for (const std::string &in : e.inputs) s += fmt::format("  input       {}\n", in);
  s += fmt::format("  output      {}{}\n", e.output, e.lane ? fmt::format(" (branch lane {})", e.lane) : "");
  s += fmt::format("  schedule    {}\n", e.schedule);
  s += fmt::format("  algorithm   {}\n", e.algorithm);
  if (e.layerMacs) {
    s += fmt::format("  work        {} multiply-adds in the layer", megas(e.layerMacs));
    s += e.executedMacs != e.layerMacs ? fmt::format(", {} executed ({:.2f}x fewer)\n", megas(e.executedMacs),
                                                     static_cast<double>(e.layerMacs) / static_cast<double>(e.executedMacs))
                                       : " (all executed)\n";
  }
  s += fmt::format("  bytes       in {}, weights {}, out {}: {} each read or written at least once\n", byteText(e.inputBytes),
                   byteText(e.weightBytes), byteText(e.outputBytes), byteText(e.bytes()));
  if (e.executedMacs) s += fmt::format("  intensity   {:.1f} flops per byte (executed flops / those bytes)\n", e.intensity());
  s += fmt::format("  code        {} in {}: {} functions\n", e.function, e.object, e.code.size());
  s += fmt::format("  mix         {}\n", mixText(e.mix));
  if (e.hotLoop.found()) {
    const Instruction &first = e.hotLoop.function->instructions[e.hotLoop.begin];
    s += fmt::format("  hot loop    {} at {:#x}: {}\n", e.hotLoop.function->name, first.address, mixText(e.hotLoop.mix));
  }
  if (e.mca)
    s += fmt::format("  llvm-mca    {:.2f} cycles per iteration, IPC {:.2f}, {:.2f} FMAs per cycle; model {} ({})\n", e.mca->cyclesPerIteration,
                     e.mca->ipc, e.mca->fmasPerCycle, e.mca->cpu, e.mca->why);
  else if (!e.mcaProblem.empty())
    s += fmt::format("  llvm-mca    no estimate: {}\n", e.mcaProblem);
  if (e.measured) s += measuredText(e);
  return printableText(s);
}

std::string printDisassembly(const KernelExplanation &e) {
  std::string s;
  for (const DisassembledFunction &f : e.code) {
    s += fmt::format("{}:\n", f.name);
    for (size_t i = 0; i < f.instructions.size(); ++i) {
      bool hot = e.hotLoop.function == &f && i >= e.hotLoop.begin && i < e.hotLoop.end;
      s += fmt::format("{} {:6x}  {}\n", hot ? '>' : ' ', f.instructions[i].address, f.instructions[i].text);
    }
  }
  return printableText(s);
}

}  // namespace deeper::inspect
