// What a compiled model's executable reports with --profile-json (runtime/deeper_main.cpp): each step's
// and each lane group's times over repeated runs, and the machine rates they were measured against.
// Read by `deeper tune` (tune/Measure.h), `deeper explain --measure` and `deeper compare`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace deeper {

struct Quartiles {
  double median = 0, q1 = 0, q3 = 0;
};

struct StepProfile {
  std::string name, output;  ///< the node; its output shape as the header writes it ("[1][64][56][56]")
  int64_t macs = 0;          ///< multiply-adds the step executes
  int group = 0, lane = 0;
  Quartiles ms;
};

/// One executable's profile.
struct Profile {
  std::vector<StepProfile> steps;  ///< in execution order
  std::vector<Quartiles> groups;   ///< per lane group, group 1 first
  Quartiles total;
  int runs = 0;
  int threads = 0;
  double peakGflops = 0, readGBps = 0;  ///< 0 when run with --no-rates

  /// The step named `name`, or null.
  const StepProfile *step(const std::string &name) const;
};

/// The median of `values` (the mean of the middle two for an even count); 0 for none. Profiles'
/// quartiles, the tuner's records and the comparisons all take it.
double medianOf(std::vector<double> values);

/// Parses --profile-json output; UserError (naming `what`) when it is not one.
Profile parseProfile(const std::string &json, const std::string &what);

struct ProfileRunOptions {
  int threads = 0;  ///< 0: the executable's default (one per core)
  int runs = 20;    ///< at least this many profiled runs
  bool rates = true;
  double timeoutSeconds = 600;
  std::vector<std::string> extraArgs;  ///< e.g. --input NAME=FILE
};

/// Runs `executable` --profile (in a child process, killed after the timeout) and reads its profile.
/// UserError with the executable's last output when it fails.
Profile runProfile(const std::string &executable, const ProfileRunOptions &options);

}  // namespace deeper
