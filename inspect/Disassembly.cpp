#include "inspect/Disassembly.h"

#include "support/Diagnostics.h"
#include "support/Files.h"

#include <llvm/ADT/Triple.h>
#include <llvm/MC/MCAsmInfo.h>
#include <llvm/MC/MCContext.h>
#include <llvm/MC/MCDisassembler/MCDisassembler.h>
#include <llvm/MC/MCInst.h>
#include <llvm/MC/MCInstPrinter.h>
#include <llvm/MC/MCInstrAnalysis.h>
#include <llvm/MC/MCInstrInfo.h>
#include <llvm/MC/MCRegisterInfo.h>
#include <llvm/MC/MCSubtargetInfo.h>
#include <llvm/MC/MCTargetOptions.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Object/Archive.h>
#include <llvm/Object/ObjectFile.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>

namespace deeper::inspect {
namespace {

std::string errorText(llvm::Error e) { return llvm::toString(std::move(e)); }

/// LLVM's MC objects for one target triple: what decoding and printing an instruction needs.
struct McTarget {
  std::unique_ptr<llvm::MCRegisterInfo> registers;
  std::unique_ptr<llvm::MCAsmInfo> asmInfo;
  std::unique_ptr<llvm::MCSubtargetInfo> subtarget;
  std::unique_ptr<llvm::MCInstrInfo> instructions;
  std::unique_ptr<llvm::MCContext> context;
  std::unique_ptr<llvm::MCDisassembler> disassembler;
  std::unique_ptr<llvm::MCInstrAnalysis> analysis;
  std::unique_ptr<llvm::MCInstPrinter> printer;

  McTarget(const llvm::Triple &triple, const std::string &what) {
    initializeLlvmTargets();
    std::string error;
    const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple.str(), error);
    if (!target) fail(fmt::format("{}: no disassembler for its target '{}' ({})", what, triple.str(), error));
    registers.reset(target->createMCRegInfo(triple.str()));
    asmInfo.reset(target->createMCAsmInfo(*registers, triple.str(), llvm::MCTargetOptions()));
    // No CPU and no features: the decoder then accepts every instruction of the architecture.
    subtarget.reset(target->createMCSubtargetInfo(triple.str(), "", ""));
    instructions.reset(target->createMCInstrInfo());
    DEEPER_CHECK(registers && asmInfo && subtarget && instructions, "LLVM gave no MC tables for {}", triple.str());
    context = std::make_unique<llvm::MCContext>(triple, asmInfo.get(), registers.get(), subtarget.get());
    disassembler.reset(target->createMCDisassembler(*subtarget, *context));
    analysis.reset(target->createMCInstrAnalysis(instructions.get()));
    const unsigned intelSyntax = triple.isX86() ? 1 : 0;  // x86: Intel syntax, as Intel's manuals and Halide's docs
    printer.reset(target->createMCInstPrinter(triple, intelSyntax, *asmInfo, *instructions, *registers));
    if (!disassembler || !printer) fail(fmt::format("{}: LLVM 14 cannot disassemble '{}' code", what, triple.str()));
  }

  Instruction decode(const llvm::MCInst &inst, uint64_t address, uint64_t size) const {
    Instruction out;
    out.address = address;
    std::string text;
    llvm::raw_string_ostream os(text);
    printer->printInst(&inst, address, "", *subtarget, os);
    os.flush();
    std::replace(text.begin(), text.end(), '\t', ' ');
    size_t first = text.find_first_not_of(' ');
    out.text = first == std::string::npos ? "" : text.substr(first);
    out.opcode = instructions->getName(inst.getOpcode()).str();
    const llvm::MCInstrDesc &desc = instructions->get(inst.getOpcode());
    out.loads = desc.mayLoad();
    out.stores = desc.mayStore();
    out.branches = desc.isBranch();
    out.calls = desc.isCall();
    uint64_t target = 0;
    if (analysis && (out.branches || out.calls) && analysis->evaluateBranch(inst, address, size, target)) out.branchTarget = target;
    return out;
  }
};

/// The function symbols of `section`, by address.
std::map<uint64_t, std::string> functionSymbols(const llvm::object::ObjectFile &object, const llvm::object::SectionRef &section) {
  std::map<uint64_t, std::string> names;
  for (const llvm::object::SymbolRef &symbol : object.symbols()) {
    llvm::Expected<llvm::object::SymbolRef::Type> type = symbol.getType();
    llvm::Expected<llvm::object::section_iterator> where = symbol.getSection();
    llvm::Expected<uint64_t> address = symbol.getAddress();
    llvm::Expected<llvm::StringRef> name = symbol.getName();
    if (!type || !where || !address || !name) {  // a symbol LLVM cannot read names no function
      llvm::consumeError(type.takeError());
      llvm::consumeError(where.takeError());
      llvm::consumeError(address.takeError());
      llvm::consumeError(name.takeError());
      continue;
    }
    if (*type == llvm::object::SymbolRef::ST_Function && *where == section) names.emplace(*address - section.getAddress(), name->str());
  }
  return names;
}

std::vector<DisassembledFunction> disassemble(const llvm::object::ObjectFile &object, const std::string &what) {
  McTarget mc(object.makeTriple(), what);
  std::vector<DisassembledFunction> functions;
  for (const llvm::object::SectionRef &section : object.sections()) {
    if (!section.isText() || section.getSize() == 0) continue;
    llvm::Expected<llvm::StringRef> contents = section.getContents();
    if (!contents) fail(fmt::format("{}: unreadable code section ({})", what, errorText(contents.takeError())));
    std::map<uint64_t, std::string> names = functionSymbols(object, section);
    llvm::ArrayRef<uint8_t> bytes(reinterpret_cast<const uint8_t *>(contents->data()), contents->size());
    for (uint64_t offset = 0, size = 0; offset < bytes.size(); offset += size) {
      auto symbol = names.find(offset);
      if (symbol != names.end() || functions.empty())
        functions.push_back({symbol != names.end() ? symbol->second : "(no symbol)", {}});
      llvm::MCInst inst;
      if (mc.disassembler->getInstruction(inst, size, bytes.slice(offset), offset, llvm::nulls()) != llvm::MCDisassembler::Success) {
        size = std::max<uint64_t>(size, 1);  // padding or data in the code: skip a byte at a time
        continue;
      }
      Instruction decoded = mc.decode(inst, offset, size);
      decoded.function = functions.back().name;
      functions.back().instructions.push_back(std::move(decoded));
    }
  }
  return functions;
}

}  // namespace

void initializeLlvmTargets() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeAllTargetInfos();
    llvm::InitializeAllTargetMCs();
    llvm::InitializeAllDisassemblers();
  });
}

std::vector<DisassembledFunction> disassembleObjectBytes(const std::string &bytes, const std::string &what) {
  llvm::MemoryBufferRef buffer(llvm::StringRef(bytes.data(), bytes.size()), what);
  llvm::Expected<std::unique_ptr<llvm::object::ObjectFile>> object = llvm::object::ObjectFile::createObjectFile(buffer);
  if (!object) fail(fmt::format("{}: not an object file LLVM reads ({})", what, errorText(object.takeError())));
  return disassemble(**object, what);
}

std::vector<DisassembledFunction> disassembleObject(const std::string &objectPath) {
  return disassembleObjectBytes(readFile(objectPath), objectPath);
}

std::vector<std::vector<DisassembledFunction>> disassembleArchiveMembers(const std::string &archivePath, const std::vector<std::string> &symbols) {
  std::string bytes = readFile(archivePath);
  llvm::Expected<std::unique_ptr<llvm::object::Archive>> archive =
      llvm::object::Archive::create(llvm::MemoryBufferRef(llvm::StringRef(bytes.data(), bytes.size()), archivePath));
  if (!archive) fail(fmt::format("{}: not a static library ({})", archivePath, errorText(archive.takeError())));
  std::vector<std::vector<DisassembledFunction>> out;
  for (const std::string &symbol : symbols) {
    llvm::Expected<llvm::Optional<llvm::object::Archive::Child>> child = (*archive)->findSym(symbol);
    if (!child) fail(fmt::format("{}: unreadable symbol table ({})", archivePath, errorText(child.takeError())));
    if (!*child) fail(fmt::format("{}: no member defines '{}'", archivePath, symbol));
    llvm::Expected<llvm::StringRef> member = (*child)->getBuffer();
    if (!member) fail(fmt::format("{}: unreadable member for '{}' ({})", archivePath, symbol, errorText(member.takeError())));
    out.push_back(disassembleObjectBytes(member->str(), fmt::format("{}({})", archivePath, symbol)));
  }
  return out;
}

std::vector<DisassembledFunction> disassembleArchiveMember(const std::string &archivePath, const std::string &symbol) {
  return std::move(disassembleArchiveMembers(archivePath, {symbol}).at(0));
}

}  // namespace deeper::inspect
