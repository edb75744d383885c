// Fuzz target: the files `deeper compare` and `deeper report` read back from a compiled folder and its
// runs (inspect/): the kernel manifest (<model>.kernels.json), the executable's --profile-json, and ONNX
// Runtime's profiler trace. Every input is tried as each. Whatever a reader accepts must hold what its
// users index by (a manifest's identifier names files in its folder), and an accepted manifest must
// write and read back to the same text.
#include "codegen/ExecutableProfile.h"
#include "codegen/Glue.h"
#include "codegen/KernelManifest.h"
#include "inspect/Compare.h"
#include "inspect/OrtProfile.h"
#include "support/Diagnostics.h"

#include <cstdio>
#include <cstdlib>

namespace {

[[noreturn]] void broken(const char *what) {
  std::fprintf(stderr, "oracle: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string text(reinterpret_cast<const char *>(data), size);
  try {
    deeper::BuildManifest m = deeper::parseManifest(text, "fuzz.kernels.json");
    if (m.identifier.empty() || m.identifier != deeper::cIdentifier(m.identifier)) broken("a manifest's identifier is no C identifier");
    std::string written = deeper::manifestJson(m);
    if (deeper::manifestJson(deeper::parseManifest(written, "written")) != written) broken("a manifest does not read back as written");
    size_t rows = 0;
    for (const deeper::inspect::MatchedKernels &row : deeper::inspect::matchKernels(m, m)) rows += row.a.size();
    if (rows != m.kernels.size()) broken("matching a manifest with itself lost or doubled kernels");
  } catch (const deeper::UserError &) {
  }
  try {
    deeper::Profile p = deeper::parseProfile(text, "fuzz.json");
    for (const deeper::StepProfile &s : p.steps) (void)p.step(s.name);
  } catch (const deeper::UserError &) {
  }
  try {
    for (const deeper::inspect::OrtNodeTime &n : deeper::inspect::parseOrtTrace(text, "ort.json"))
      if (n.runs < 1) broken("an ORT node without a run");
  } catch (const deeper::UserError &) {
  }
  return 0;
}
