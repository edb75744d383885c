// What `deeper compile` writes for the builds that consume a model, beside its library and header:
//
//   <id>Config.cmake   find_package(<id> CONFIG) defines deeper::<id> (the static library, include
//                      folder and system libraries) and, with --shared, deeper::<id>_shared
//   <id>.pc            pkg-config: `cc app.c $(pkg-config --cflags --libs DIR/<id>.pc)`
//   exports.map        (scratch) the shared library's version script: only the model's and the
//                      runtime's C API are exported, not the Halide runtime it carries
//   weights.S          (scratch, --embed-weights) the weights file assembled into <id>_weights
//
// Every path is relative to the file itself (CMAKE_CURRENT_LIST_DIR, ${pcfiledir}): the folder can move.
#pragma once

#include <cstdint>
#include <string>

namespace deeper {

struct PackageInfo {
  std::string identifier;  ///< the model's C identifier: lib<id>.a, <id>.h
  std::string modelName;
  std::string target;
  int64_t batch = 1;
  bool shared = false;  ///< lib<id>.so built too
};

std::string cmakePackageConfig(const PackageInfo &p);
std::string pkgConfigFile(const PackageInfo &p);
std::string sharedLibraryExports(const std::string &identifier);
/// Assembler source defining <id>_weights: `weightsFile`'s bytes, 64-byte aligned (the format's
/// alignment), read only. `weightsFile` is opened relative to the assembler's working folder.
std::string weightsAssembly(const std::string &identifier, const std::string &weightsFile);

}  // namespace deeper
