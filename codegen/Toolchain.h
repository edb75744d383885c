// The C++ tools that build a model's library and executable around its kernels: this machine's for
// x86-64 Linux, Debian's cross tools for 64-bit ARM Linux (g++-aarch64-linux-gnu; the executable then
// runs on an ARM machine, or here under qemu-aarch64). Halide writes the kernels for either itself.
#pragma once

#include <Halide.h>

#include <string>

namespace deeper {

struct Toolchain {
  std::string cxx;     ///< the C++ compiler driver: "c++", "aarch64-linux-gnu-g++"
  std::string ar;      ///< the archiver
  std::string linker;  ///< the driver's linker choice (" -fuse-ld=gold" where there is one), or ""

  /// "<cxx> -std=c++17 -O2 -fPIC" with the runtime's, Halide's and `includeDir`'s headers.
  std::string compileCommand(const std::string &includeDir) const;
};

/// The tools for `target`; UserError for a target no toolchain here builds for (the message says
/// which package to install for one that only lacks its tools).
Toolchain toolchainFor(const Halide::Target &target);

}  // namespace deeper
