#include "inspect/Explain.h"

#include "codegen/Generators.h"
#include "codegen/KernelCache.h"
#include "inspect/Svg.h"
#include "ir/Printer.h"
#include "runtime/printable.h"
#include "support/Diagnostics.h"
#include "support/Files.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <numeric>

namespace deeper::inspect {
namespace {

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

/// Halide's lowered statement of `k`, as text or HTML, into `path`.
void writeLoweredStatement(const Kernel &k, const Halide::Target &target, Halide::StmtOutputFormat format, const std::string &path) {
  Halide::Target kernelTarget = target.with_feature(Halide::Target::NoRuntime);
  std::optional<codegen::HalideWarningsSilenced> quiet;
  if (!k.schedule.autoscheduler.empty()) quiet.emplace();
  codegen::KernelPipeline kp = codegen::generateKernel(k, kernelTarget);
  kp.output.compile_to_lowered_stmt(path, kp.arguments(), format, kernelTarget);
}

void lower(const Kernel &k, const Halide::Target &target, const ExplainOptions &o, KernelExplanation &e) {
  if (o.loweredStatement) e.loweredStatement = loweredStatement(k, target);
  if (o.htmlStatementPath.empty()) return;
  // Halide 14's HTML view shows the statement only: the assembly (as disassembled here, the hot loop
  // marked) follows it on the same page.
  writeLoweredStatement(k, target, Halide::HTML, o.htmlStatementPath);
  std::string html = readFile(o.htmlStatementPath);
  size_t end = html.rfind("</body>");
  std::string assembly = "<h2 id=\"assembly\">Assembly (the compiled object, disassembled; the hot loop marked &gt;)</h2>\n<pre>" +
                         svg::escape(printDisassembly(e)) + "</pre>\n";
  html.insert(end == std::string::npos ? html.size() : end, assembly);
  writeFileAtomic(o.htmlStatementPath, html);
}

void readCode(const CompiledKernel &compiled, const Halide::Target &target, const ExplainOptions &o, KernelExplanation &e) {
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

std::string canonicalStatement(const std::string &stmt) {
  auto identifierChar = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '$'; };
  auto digits = [&](size_t at) {
    size_t end = at;
    while (end < stmt.size() && std::isdigit(static_cast<unsigned char>(stmt[end]))) ++end;
    return end;
  };
  std::map<std::string, int> temporaries;
  std::string out;
  out.reserve(stmt.size());
  for (size_t i = 0; i < stmt.size();) {
    if (stmt[i] == '$' && digits(i + 1) > i + 1) {  // a uniquifying suffix: conv$1
      i = digits(i + 1);
      continue;
    }
    bool wordStart = i == 0 || !identifierChar(stmt[i - 1]);
    size_t end = digits(i + 1);
    if (stmt[i] == 't' && wordStart && end > i + 1 && (end == stmt.size() || !identifierChar(stmt[end]))) {
      auto [it, fresh] = temporaries.emplace(stmt.substr(i, end - i), static_cast<int>(temporaries.size()));
      out += "t" + std::to_string(it->second);
      i = end;
      continue;
    }
    out += stmt[i++];
  }
  return out;
}

std::string loweredStatement(const Kernel &k, const Halide::Target &target) {
  ScratchFolder scratch("deeper-stmt");
  std::string path = scratch.path() + "/kernel.stmt";
  writeLoweredStatement(k, target, Halide::Text, path);
  return canonicalStatement(readFile(path));
}

KernelExplanation explainKernel(const Kernel &k, const Halide::Target &target, const ExplainOptions &o) {
  KernelExplanation e;
  e.target = target.to_string();
  CompileJobsOptions jobs;
  jobs.jobs = 1, jobs.progress = false;
  CompiledKernel compiled = compileKernels({k}, target, jobs).at(0);
  e.kernel = kernelRecord(k, compiled.function);
  readCode(compiled, target, o, e);
  lower(k, target, o, e);
  return e;
}

void attachMeasurement(KernelExplanation &e, const Profile &profile) {
  const StepProfile *step = profile.step(e.kernel.node);
  if (!step) fail(fmt::format("the profiled build has no step '{}'", e.kernel.node));
  e.measured = *step;
  e.threads = profile.threads, e.peakGflops = profile.peakGflops, e.readGBps = profile.readGBps;
}

namespace {

/// "measured" and "roofline" lines: the time in the model, its rate against the measured peak, and
/// what bounds it (the lesser of the peak and intensity x bandwidth).
std::string measuredText(const KernelExplanation &e) {
  const Quartiles &ms = e.measured->ms;
  double gflops = ms.median > 0 ? 2e-6 * static_cast<double>(e.kernel.executedMacs) / ms.median : 0;
  std::string s = fmt::format("  measured    {:.3f} ms median (quartiles {:.3f}-{:.3f}) in the whole model on {} threads", ms.median, ms.q1, ms.q3,
                              e.threads);
  if (e.kernel.executedMacs) s += fmt::format(": {:.1f} GFLOP/s, {:.1f}% of the measured FMA peak ({:.1f} GFLOP/s)", gflops, 100 * gflops / e.peakGflops, e.peakGflops);
  s += e.kernel.lane ? fmt::format("; it runs in branch lane {}, beside the others\n", e.kernel.lane) : "\n";
  if (e.kernel.executedMacs && e.kernel.bytes()) {
    double memoryBound = e.kernel.intensity() * e.readGBps;
    s += fmt::format("  roofline    {:.1f} flops/byte x {:.1f} GB/s read bandwidth = {:.1f} GFLOP/s: {}\n", e.kernel.intensity(), e.readGBps, memoryBound,
                     memoryBound < e.peakGflops ? "memory-bound (below the FMA peak)" : "compute-bound (the FMA peak is lower)");
  }
  s += fmt::format("  bytes/time  {:.1f} GB/s of its compulsory bytes\n", static_cast<double>(e.kernel.bytes()) / (ms.median * 1e6));
  return s;
}

}  // namespace

std::string printExplanation(const KernelExplanation &e) {
  std::string s = fmt::format("kernel {} (target {})\n", e.kernel.node, e.target);
  s += fmt::format("  node        {}\n", e.kernel.nodeText);
  if (!e.kernel.absorbed.empty()) s += fmt::format("  absorbs     {} (folded, fused or merged into it by the passes)\n", fmt::join(e.kernel.absorbed, ", "));
  for (const std::string &in : e.kernel.inputs) s += fmt::format("  input       {}\n", in);
  s += fmt::format("  output      {}{}\n", e.kernel.output, e.kernel.lane ? fmt::format(" (branch lane {})", e.kernel.lane) : "");
  s += fmt::format("  schedule    {}\n", e.kernel.schedule);
  s += fmt::format("  algorithm   {}\n", e.kernel.algorithm);
  if (e.kernel.layerMacs) {
    s += fmt::format("  work        {} multiply-adds in the layer", megas(e.kernel.layerMacs));
    s += e.kernel.executedMacs != e.kernel.layerMacs ? fmt::format(", {} executed ({:.2f}x fewer)\n", megas(e.kernel.executedMacs),
                                                     static_cast<double>(e.kernel.layerMacs) / static_cast<double>(e.kernel.executedMacs))
                                       : " (all executed)\n";
  }
  s += fmt::format("  bytes       in {}, weights {}, out {}: {} each read or written at least once\n", byteText(e.kernel.inputBytes),
                   byteText(e.kernel.weightBytes), byteText(e.kernel.outputBytes), byteText(e.kernel.bytes()));
  if (e.kernel.executedMacs) s += fmt::format("  intensity   {:.1f} flops per byte (executed flops / those bytes)\n", e.kernel.intensity());
  s += fmt::format("  code        {} in {}: {} functions\n", e.kernel.function, e.object, e.code.size());
  if (Halide::Target(e.target).has_gpu_feature()) {  // the x86 code only launches the kernel: its mix says nothing
    s += "  device code PTX or OpenCL C inside the object, compiled by the GPU's driver: `--stmt` shows its loops\n";
    if (e.measured) s += measuredText(e);
    return printableText(s);
  }
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
