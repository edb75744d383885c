// Fuzz target: tuning records (tune/TuningDatabase.h), as `deeper tune --import` reads them from
// another machine, then looked up for tests/fuzz/records-model.dnet as `deeper compile --db` does.
// Accepted records must export and import back to as many, and whatever they say, every kernel of
// the build they make must get a schedule that scheduleProblem accepts.
#include "FuzzModel.h"

#include "codegen/Compile.h"
#include "frontend/Load.h"
#include "passes/PassManager.h"
#include "reference/Weights.h"
#include "tune/Tuner.h"
#include "tune/Units.h"

namespace {

deeper::TunableModel &model() {
  static deeper::TunableModel m(
      [] {
        deeper::Graph g = deeper::loadModel(DEEPER_SOURCE_DIR "/tests/fuzz/records-model.dnet");
        deeper::PassOptions o;
        o.pipeline = deeper::cleanupPipeline();
        deeper::runPasses(g, o);
        return g;
      },
      16);
  return m;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string text(reinterpret_cast<const char *>(data), size);
  deeper::TuningDatabase db(":memory:");
  size_t added = 0;
  try {
    added = db.importJsonl(text, "fuzz.jsonl");
  } catch (const deeper::UserError &) {
    return 0;
  }
  deeper::TuningDatabase again(":memory:");
  FUZZ_CHECK(again.importJsonl(db.exportJsonl(), "exported.jsonl") == added, "{} records exported do not import back", added);
  deeper::printBestRecords(db);
  static const deeper::TuningContext context = deeper::tuningContext(deeper::parseTarget("x86-64-linux-avx512_skylake"), 0, 1);
  deeper::TunedBuild tuned = deeper::tunedBuild(model(), db, context);
  for (const deeper::Kernel &k : tuned.build.kernels)
    FUZZ_CHECK(deeper::scheduleProblem(*k.node, k.schedule).empty(), "'{}' got the schedule '{}'", k.node->name, k.schedule.print());
  return 0;
}
