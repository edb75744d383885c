#include "inspect/InstructionMix.h"

#include <fmt/format.h>

#include <algorithm>
#include <tuple>

namespace deeper::inspect {
namespace {

std::string mnemonic(const Instruction &in) { return in.text.substr(0, in.text.find(' ')); }

bool endsWith(const std::string &s, const char *tail) {
  std::string t(tail);
  return s.size() >= t.size() && s.compare(s.size() - t.size(), t.size(), t) == 0;
}

bool startsWith(const std::string &s, const char *head) { return s.rfind(head, 0) == 0; }

/// Addresses the stack: the frame or stack pointer as a memory operand's base.
bool touchesStack(const Instruction &in) {
  return in.text.find("[rsp") != std::string::npos || in.text.find("[rbp") != std::string::npos;
}

}  // namespace

int vectorBits(const Instruction &in) {
  if (in.text.find("zmm") != std::string::npos) return 512;
  if (in.text.find("ymm") != std::string::npos) return 256;
  if (in.text.find("xmm") == std::string::npos) return 0;
  std::string m = mnemonic(in);
  if (endsWith(m, "ss")) return 32;  // scalar single: one lane of an xmm register
  if (endsWith(m, "sd")) return 64;
  return 128;
}

bool isFma(const Instruction &in) {
  for (const char *head : {"VFMADD", "VFMSUB", "VFNMADD", "VFNMSUB", "FMLA", "FMLS", "FMADD", "FMSUB"})
    if (startsWith(in.opcode, head)) return true;
  return false;
}

int InstructionMix::fmas() const {
  int n = 0;
  for (const auto &[bits, count] : fmaByBits) n += count;
  return n;
}

int InstructionMix::widestFma() const { return fmaByBits.empty() ? 0 : fmaByBits.rbegin()->first; }

InstructionMix &InstructionMix::operator+=(const InstructionMix &o) {
  instructions += o.instructions;
  for (const auto &[bits, count] : o.fmaByBits) fmaByBits[bits] += count;
  for (const auto &[bits, count] : o.vectorByBits) vectorByBits[bits] += count;
  loads += o.loads, stores += o.stores, broadcasts += o.broadcasts;
  spills += o.spills, reloads += o.reloads, branches += o.branches, calls += o.calls;
  return *this;
}

InstructionMix mixOf(const std::vector<Instruction> &instructions, size_t begin, size_t end) {
  InstructionMix mix;
  for (size_t i = begin; i < end; ++i) {
    const Instruction &in = instructions[i];
    ++mix.instructions;
    int bits = vectorBits(in);
    if (bits) ++mix.vectorByBits[bits];
    if (isFma(in)) ++mix.fmaByBits[bits ? bits : 32];
    mix.loads += in.loads;
    mix.stores += in.stores;
    mix.branches += in.branches;
    mix.calls += in.calls;
    if (startsWith(in.opcode, "VBROADCAST") || startsWith(in.opcode, "VPBROADCAST") || in.text.find("{1to") != std::string::npos) ++mix.broadcasts;
    if (bits >= 128 && touchesStack(in)) {
      mix.spills += in.stores;
      mix.reloads += in.loads && !in.stores;
    }
  }
  return mix;
}

InstructionMix mixOf(const std::vector<DisassembledFunction> &functions) {
  InstructionMix mix;
  for (const DisassembledFunction &f : functions) mix += mixOf(f.instructions, 0, f.instructions.size());
  return mix;
}

Loop hottestInnermostLoop(const std::vector<DisassembledFunction> &functions) {
  Loop best;
  // By FMA density first: a kernel's arithmetic loop is mostly FMAs, while a fully unrolled transform
  // or epilogue may hold more FMAs in one long body that runs far fewer times.
  auto score = [](const InstructionMix &m) {
    int vectors = 0;
    for (const auto &[bits, count] : m.vectorByBits) vectors += count;
    double n = std::max(1, m.instructions);
    return std::make_tuple(m.fmas() / n, vectors / n, m.instructions);
  };
  auto better = [&](const InstructionMix &a, const InstructionMix &b) { return score(a) > score(b); };
  for (const DisassembledFunction &f : functions) {
    const std::vector<Instruction> &code = f.instructions;
    // Backward branches within the function: [index of the target, index of the branch].
    std::vector<std::pair<size_t, size_t>> loops;
    for (size_t i = 0; i < code.size(); ++i) {
      if (!code[i].branches || !code[i].branchTarget || *code[i].branchTarget > code[i].address) continue;
      auto target = std::lower_bound(code.begin(), code.end(), *code[i].branchTarget,
                                     [](const Instruction &in, uint64_t a) { return in.address < a; });
      if (target != code.end() && target->address == *code[i].branchTarget) loops.push_back({static_cast<size_t>(target - code.begin()), i});
    }
    for (const auto &[begin, last] : loops) {
      bool innermost = std::none_of(loops.begin(), loops.end(), [&, b = begin, l = last](const std::pair<size_t, size_t> &o) {
        return o != std::make_pair(b, l) && o.first >= b && o.second <= l;
      });
      if (!innermost) continue;
      Loop candidate{&f, begin, last + 1, mixOf(code, begin, last + 1)};
      if (!best.found() || better(candidate.mix, best.mix)) best = candidate;
    }
  }
  return best;
}

std::string widthsText(const std::map<int, int> &byBits) {
  std::string text;
  for (auto it = byBits.rbegin(); it != byBits.rend(); ++it)
    text += fmt::format("{}{}-bit x {}", text.empty() ? "" : ", ", it->first, it->second);
  return text.empty() ? "none" : text;
}

}  // namespace deeper::inspect
