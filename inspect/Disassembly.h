// Reading compiled kernels back: an object file (or one member of a static library) disassembled with
// LLVM's MC layer, the same tables LLVM's own assembler and llvm-objdump use, so what is counted is
// what the CPU executes rather than what a textual assembly listing happens to print.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace deeper::inspect {

struct Instruction {
  uint64_t address = 0;  ///< offset in its section
  std::string function;  ///< the symbol it belongs to (the last one at or before it)
  std::string text;      ///< Intel syntax, e.g. "vfmadd231ps zmm0, zmm1, dword ptr [rax + 4]{1to16}"
  std::string opcode;    ///< LLVM's opcode name, e.g. "VFMADD231PSZrmb"
  bool loads = false, stores = false, branches = false, calls = false;
  std::optional<uint64_t> branchTarget;  ///< a direct branch's destination in the same section
};

/// A function's instructions in address order.
struct DisassembledFunction {
  std::string name;
  std::vector<Instruction> instructions;
};

/// Registers every target LLVM was built with (their descriptions, MC tables, disassemblers), once per
/// process: what looking a target up by triple or CPU needs first.
void initializeLlvmTargets();

/// Every function of the executable sections of `objectPath` (an ELF object), in address order.
/// UserError when the file is no object LLVM reads or has code for a target LLVM was not built with.
std::vector<DisassembledFunction> disassembleObject(const std::string &objectPath);

/// The same for the bytes of an object held in memory (e.g. a member of a static library); `what` names
/// it in errors.
std::vector<DisassembledFunction> disassembleObjectBytes(const std::string &bytes, const std::string &what);

/// The members of the static library `archivePath` whose symbol table defines `symbol`, disassembled.
/// UserError when none does.
std::vector<DisassembledFunction> disassembleArchiveMember(const std::string &archivePath, const std::string &symbol);
/// The same for several symbols, the library read once: one result per symbol, in order.
std::vector<std::vector<DisassembledFunction>> disassembleArchiveMembers(const std::string &archivePath, const std::vector<std::string> &symbols);

}  // namespace deeper::inspect
