// Measuring one configuration of a whole model: the tuner's only way to learn a time.
//
// Every candidate is compiled exactly as `deeper compile` compiles (the same driver, kernel cache and
// link; only the schedule file differs) and run as the compiled executable in a child process with a
// time limit, so a candidate that crashes or hangs is recorded and the tuner goes on. The executable
// profiles itself (--profile-json: each step's and each lane group's median and quartiles over runs
// repeated until the median settles) and writes its outputs, which must match the reference executor's
// on the same fixed inputs and weights before any of its times count. Once there is a baseline (the
// default build), it runs just before and after each build: this machine changes speed by 20-40% for
// seconds or minutes at a time, so times only compare as ratios to a baseline measured beside them.
#pragma once

#include "codegen/ExecutableProfile.h"
#include "ir/Graph.h"
#include "support/Safetensors.h"

#include <optional>
#include <string>
#include <vector>

namespace deeper {

struct Measurement {
  std::string status = "ok";  ///< ok, compile-error, crash, timeout, mismatch
  std::string detail;         ///< why, when not ok
  Profile profile;
  /// The baseline build's profile, run just before and after this one (the mean of the two), when
  /// there is a baseline: what this build's times are compared to.
  std::optional<Profile> baseline;
  double maxError = 0;  ///< the largest output difference from the reference, relative to the output's largest value
  double compileSeconds = 0, runSeconds = 0;
};

struct MeasureOptions {
  std::string target = "host";
  int threads = 1;
  int jobs = 0;  ///< parallel kernel compiles
  std::string source;
  std::string scratch;  ///< a folder of the measurer's own
};

class Measurer {
 public:
  /// Computes the reference outputs of `reference` (weights bound) for the fixed inputs once.
  Measurer(const Graph &reference, MeasureOptions options);

  /// Builds `graph` (the same model, optimised some way; weights bound) with `scheduleFile`
  /// (codegen/ScheduleFile.h text) and runs it: at least `minimumRuns` profiled runs, killed after
  /// `timeoutSeconds`.
  Measurement measure(const Graph &graph, const std::string &scheduleFile, int minimumRuns, double timeoutSeconds);
  /// The build of the last measure() becomes the baseline every later build is run beside.
  void keepAsBaseline();
  bool hasBaseline() const { return !baseline_.empty(); }

 private:
  bool outputsMatch(Measurement &m) const;
  /// Runs `executable` with the profile; what went wrong, or "".
  std::string profileRun(const std::string &executable, bool outputs, int runs, double timeoutSeconds, Profile &profile, Measurement &m);

  MeasureOptions options_;
  std::vector<std::string> inputArgs_, outputArgs_;
  std::vector<std::pair<std::string, Tensor>> expected_;  ///< (file the executable writes, reference output)
  std::string lastExecutable_, baseline_;
};

}  // namespace deeper
