// What a kernel's machine code is made of: an instruction mix (FMAs by vector width, loads, stores,
// broadcasts, stack spills) and the loop that does its work, read from its disassembly
// (inspect/Disassembly.h). The classification is by LLVM's opcode names and operand registers, so it
// holds for any x86 level (SSE to AVX-512); other architectures count everything but FMA widths.
#pragma once

#include "inspect/Disassembly.h"

#include <map>
#include <string>
#include <vector>

namespace deeper::inspect {

struct InstructionMix {
  int instructions = 0;
  std::map<int, int> fmaByBits;     ///< fused multiply-adds by register width in bits (32: scalar, 128, 256, 512)
  std::map<int, int> vectorByBits;  ///< every instruction naming a vector register, by its widest register
  int loads = 0, stores = 0;
  int broadcasts = 0;       ///< broadcast instructions and operands ({1toN})
  int spills = 0;           ///< vector registers stored to the stack
  int reloads = 0;          ///< vector registers loaded from the stack
  int branches = 0, calls = 0;

  int fmas() const;
  /// The widest FMA's width in bits, 0 without FMAs.
  int widestFma() const;
  InstructionMix &operator+=(const InstructionMix &o);
};

/// The mix of `instructions[begin, end)`.
InstructionMix mixOf(const std::vector<Instruction> &instructions, size_t begin, size_t end);
InstructionMix mixOf(const std::vector<DisassembledFunction> &functions);

/// One instruction's register width in bits as the mix counts it: 512 for zmm, 256 for ymm, 128 for a
/// packed xmm operation, 32 or 64 for a scalar one, 0 when it names no vector register.
int vectorBits(const Instruction &instruction);
bool isFma(const Instruction &instruction);

/// A loop of the machine code: the instructions from a backward branch's target to the branch.
struct Loop {
  const DisassembledFunction *function = nullptr;
  size_t begin = 0, end = 0;  ///< instruction indices: [begin, end), the branch last
  InstructionMix mix;
  bool found() const { return function != nullptr; }
};

/// The innermost loop (one that contains no other) whose instructions are most FMAs, then most vector
/// instructions: where a compute kernel spends its time (a static guess: nothing here counts how often
/// a loop runs). Not found() for straight-line code.
Loop hottestInnermostLoop(const std::vector<DisassembledFunction> &functions);

/// "512-bit x 1152, 32-bit x 4": the widths of a count map, widest first.
std::string widthsText(const std::map<int, int> &byBits);

}  // namespace deeper::inspect
