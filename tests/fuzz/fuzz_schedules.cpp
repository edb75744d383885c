// Fuzz target: schedule files (codegen/ScheduleFile.h), as `deeper compile --schedules` reads them,
// applied to tests/fuzz/schedules-model.dnet after the default passes. An accepted file must give every
// kernel a schedule that scheduleProblem accepts, and what `deeper schedules` prints for the result
// must read back to the same schedules.
#include "FuzzModel.h"

#include "codegen/ScheduleFile.h"
#include "frontend/Load.h"
#include "passes/PassManager.h"

namespace {

const deeper::Graph &model() {
  static const deeper::Graph graph = [] {
    deeper::Graph g = deeper::loadModel(DEEPER_SOURCE_DIR "/tests/fuzz/schedules-model.dnet");
    deeper::runPasses(g, deeper::PassOptions{});
    return g;
  }();
  return graph;
}

constexpr int kLanes = 16;  // AVX-512, as the seeds were printed

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string text(reinterpret_cast<const char *>(data), size);
  std::vector<deeper::Kernel> kernels;
  try {
    deeper::ScheduleChoices choices = deeper::parseScheduleFile(text, "fuzz.schedules");
    kernels = deeper::kernelsOf(model(), kLanes, &choices);
  } catch (const deeper::UserError &) {
    return 0;
  }
  for (const deeper::Kernel &k : kernels)
    FUZZ_CHECK(deeper::scheduleProblem(*k.node, k.schedule).empty(), "'{}' got the schedule '{}': {}", k.node->name,
               k.schedule.print(), deeper::scheduleProblem(*k.node, k.schedule));
  std::string printed = deeper::printScheduleFile(kernels);
  deeper::ScheduleChoices again = deeper::parseScheduleFile(printed, "printed.schedules");
  FUZZ_CHECK(deeper::printScheduleFile(deeper::kernelsOf(model(), kLanes, &again)) == printed,
             "the printed schedules do not read back to themselves:\n{}", printed);
  return 0;
}
