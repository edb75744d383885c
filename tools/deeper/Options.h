// Command-line options of `deeper`, parsed once for every subcommand.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace deeper::cli {

/// `NAME=FILE` or plain `FILE` (name empty), as given to --input / --output.
struct NamedFile {
  std::string name;
  std::string path;
};

struct Options {
  std::string command;
  std::string model;
  std::string commandLine;  ///< as typed: "deeper" and the arguments, each as a shell reads it back
  std::optional<int64_t> batch;
  std::optional<std::vector<std::string>> passes;
  std::vector<std::string> printAfter;
  bool printAfterAll = false;
  bool timePasses = false;
  bool verifyEach = false;
  // summary
  bool json = false;
  bool all = false;
  // run
  std::vector<NamedFile> inputs;
  std::vector<NamedFile> outputs;
  std::vector<NamedFile> bind;  ///< ONNX inputs to compile as constants
  std::optional<uint64_t> seed;
  std::string weights;
  bool syntheticInput = false;
  bool top5 = false;
  bool noFuseReduce = false;
  bool embedWeights = false, shared = false;  ///< compile: weights linked in; a shared library too  ///< --no-fuse-reduce: the pipeline without reduce-conv-fusion
  // output file for ir / graph / summary (stdout when empty); output folder for compile
  std::string outFile;
  // compile
  std::string target = "host";
  int jobs = 0;
  std::optional<std::vector<std::string>> outputsOverride;
  std::string schedules;  ///< compile, schedules: a schedule file (codegen/ScheduleFile.h)
  std::string db;         ///< tune, compile, schedules: the tuning database (tune/TuningDatabase.h)
  // tune
  double budgetSeconds = 600;
  int64_t trials = 0;
  std::optional<std::vector<std::string>> autoschedulers;  ///< tune: unset = TuneOptions' default
  int threads = 0;
  std::string exportFile, importFile;
  bool best = false;
  // explain
  std::string kernel;           ///< the node whose kernel to explain
  bool stmt = false;            ///< print Halide's lowered statement
  bool assembly = false;        ///< print the disassembly
  bool measure = false;         ///< time the kernel in the whole compiled model
  // compare
  std::string secondModel;      ///< compare DIR_A DIR_B: the second folder
  std::optional<std::string> variantA, variantB;  ///< compare MODEL --a "OPTIONS" --b "OPTIONS"
  int rounds = 3, runs = 20;    ///< profiling: alternating rounds, runs per round
  // report
  bool noAblation = false;
  bool ort = false;             ///< compare: ONNX Runtime as the second build
  // cache
  bool prune = false, clear = false;
  std::optional<uint64_t> maxCacheBytes;
};

/// Parses argv; UserError (with the usage hint) on anything unknown or malformed.
Options parseOptions(int argc, char **argv);

/// `base` with the options of `text` (whitespace-separated, as on a command line) applied: a variant
/// of a model for `deeper compare --a/--b`.
Options withOptionText(Options base, const std::string &text);

}  // namespace deeper::cli
