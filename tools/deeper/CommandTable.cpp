#include "tools/deeper/CommandTable.h"

#include "codegen/KernelCache.h"

#include <fmt/format.h>

#include <algorithm>

namespace deeper::cli {
namespace {

// Options several commands share, each with the text it has everywhere.
const OptionHelp kTarget{"--target T", "host (default) or a Halide target, e.g. x86-64-linux-avx2; GPUs: host-opencl, host-cuda-cuda_capability_86"};
const OptionHelp kPassTarget{"--target T", "the target the passes prepare the graph for (GPU targets keep 1x1 reduces apart)"};
const OptionHelp kJobs{"--jobs N", "parallel kernel compiles (default: one per core)"};
const OptionHelp kSchedules{"--schedules FILE", "schedules for some kernels, as `deeper schedules` prints them"};
const OptionHelp kDb{"--db FILE.sqlite", "the best schedules `deeper tune` recorded for this target and batch"};
const OptionHelp kSeed{"--seed N", "pseudo-random weights from seed N (the default: --seed 0)"};
const OptionHelp kWeights{"--weights FILE.safetensors", "the weights, by the model's layer names (excludes --seed)"};
const OptionHelp kThreads{"--threads N", "the thread count to run at (default: every core)"};
const OptionHelp kRounds{"--rounds N", "profile N alternating rounds (default 3)"};
const OptionHelp kRuns{"--runs N", "of N runs each (default 20)"};

const char *const kModelNote = "MODEL is a .dnet description, a printed .ir file, an ONNX model (.onnx) or a Caffe network (.prototxt).";

std::vector<CommandSpec> makeCommandSpecs() {
  return {
      {"summary", "MODEL", "per-layer table like Table 1 of the GoogLeNet paper", true,
       {{"--json", "machine-readable"}, {"--all", "include training-only parts (no inference-cleanup)"}, {"-o FILE", "write the table to FILE"}}, ""},
      {"ir", "MODEL", "print the IR after the pass pipeline (a valid .ir file)", true, {{"-o FILE", "write the IR to FILE"}, kPassTarget}, ""},
      {"graph", "MODEL", "print Graphviz dot; block instances are clusters", true, {{"-o FILE", "write the dot text to FILE"}, kPassTarget}, ""},
      {"run", "MODEL", "run the reference executor", true,
       {{"--input [NAME=]FILE.npy", "input tensor (repeatable; NAME defaults to the only input; .pb: ONNX TensorProto)"},
        {"--synthetic-input", "a seeded pseudo-random input instead of --input"},
        {"--output [NAME=]FILE.npy", "write a value (repeatable; NAME defaults to the only output; any value name of the IR may be given)"},
        kSeed, kWeights,
        {"--top5", "print the five largest entries of each output row"}},
       ""},
      {"compile", "MODEL -o DIR", "compile to a native library, header, weights file and executable", true,
       {{"-o DIR", "output folder (required)"},
        {"--target T[,T2...]", "host (default) or Halide targets; several (best first, the baseline last, e.g. "
                               "x86-64-linux-avx512_skylake,x86-64-linux-avx2) build one library that runs the best this CPU supports"},
        kJobs, kSchedules, kDb, kSeed, kWeights,
        {"--embed-weights", "link the weights into the library and executable: the executable alone is the whole model"},
        {"--shared", "build lib<model>.so too (exporting the C API only)"}},
       "Kernels are cached in $DEEPER_CACHE_DIR (default ~/.cache/deeper); see `deeper help cache`."},
      {"schedules", "MODEL", "print every kernel's schedule as a file that compile --schedules takes back", true,
       {kTarget, kSchedules, kDb, {"-o FILE", "write the schedule file to FILE"}, kSeed, kWeights}, ""},
      {"explain", "MODEL --kernel NAME", "one kernel as generated: work, bytes, lowered loops, instruction mix, llvm-mca", true,
       {{"--kernel NAME", "the node whose kernel to explain (required)"}, kTarget, kSchedules, kDb,
        {"--stmt", "print Halide's lowered statement of the kernel"},
        {"--asm", "print its disassembly (LLVM MC; the hot loop marked '>')"},
        {"-o DIR", "write NAME.stmt, NAME.stmt.html (Halide's view), NAME.s, NAME.loop.s there"},
        {"--measure", "compile the whole model and time the kernel in it: GFLOP/s, % of this machine's FMA peak and the roofline bound"},
        kThreads, kJobs, kSeed, kWeights},
       ""},
      {"compare", "DIR_A DIR_B | MODEL --a \"OPTS\" --b \"OPTS\"", "two builds kernel by kernel, or one against ONNX Runtime", true,
       {{"--a \"OPTS\"", "build A's options (default: none), e.g. --a \"--passes=\""},
        {"--b \"OPTS\"", "build B's options, e.g. --b \"--target x86-64-linux-avx2\""},
        {"--ort", "Deeper's build (--a) against ONNX Runtime (npm, scripts/install-ort) on the same network and weights"},
        {"--stmt", "(MODEL only) diffs of the lowered statements of kernels that differ"},
        kRounds, kRuns, kThreads, kTarget, kJobs, kSchedules, kDb, kSeed, kWeights},
       "DIR_A DIR_B are two `deeper compile` output folders; --a and --b take compile's options."},
      {"report", "MODEL -o FILE.html", "one self-contained HTML file: graph, kernel times, roofline, lanes, ablation, tuning", true,
       {{"-o FILE.html", "where to write it (required)"},
        {"--db FILE.sqlite", "build with the database's records and plot its tuning convergence"},
        {"--no-ablation", "skip the builds with each optimising pass left out (one compile each)"},
        {"--ort", "add ONNX Runtime's per-node times on the same network (as compare --ort)"},
        kRounds, kRuns, kThreads, kTarget, kJobs, kSchedules, kSeed, kWeights},
       ""},
      {"tune", "[MODEL] --db FILE.sqlite", "search each kernel's and module's schedules by measuring them", true,
       {{"--db FILE.sqlite", "the tuning database (created when missing; required)"},
        {"--budget T", "stop starting rounds after T: 90s, 10m, 1h (default 10m); round 0 (defaults and autoschedulers) always runs whole"},
        {"--trials N", "or after N candidates of the search (after round 0)"},
        {"--threads N", "the thread count measured at (default: every core)"},
        {"--autoschedulers=a,b", "Halide autoschedulers measured as baselines in round 0 (default: Mullapudi2016,Adams2019,Li2018; none: --autoschedulers=)"},
        kTarget, kJobs, kSeed, kWeights,
        {"--export FILE.jsonl", "write every record (no MODEL needed)"},
        {"--import FILE.jsonl", "add the file's records"},
        {"--best", "print each unit's best record and its gain over the default"}},
       ""},
      {"export-onnx", "MODEL -o FILE.onnx", "write the inference graph and its weights as ONNX", true,
       {{"-o FILE.onnx", "where to write it (required)"}, kSeed, kWeights}, ""},
      {"tensor", "FILE", "print a tensor file's name and shape (FILE.npy or ONNX FILE.pb)", false,
       {{"-o OUT.npy", "convert it to .npy"}}, ""},
      {"cache", "", "the kernel cache: where it is and what it holds; --prune or --clear it", false,
       {{"--prune", "remove the least recently used entries until the cache fits its limit"},
        {"--max-size SIZE", "the limit to prune to, e.g. 500M, 2G (default: $DEEPER_CACHE_SIZE, else 5G)"},
        {"--clear", "remove every entry"}},
       "Compiled kernels and runtimes are cached in $DEEPER_CACHE_DIR (default ~/.cache/deeper), each under the\n"
       "hash of what decided it, which is kept beside it and checked on every use. Every compile prunes the\n"
       "cache to $DEEPER_CACHE_SIZE, least recently used first, keeping entries used in the last ten minutes."},
      {"passes", "", "list the passes", false, {}, ""},
      {"ops", "", "list the ops and their attributes", false, {}, ""},
      {"help", "[COMMAND]", "the commands, or one command's options", false, {}, ""},
  };
}

std::string optionLines(const std::vector<OptionHelp> &options) {
  size_t width = 0;
  for (const OptionHelp &o : options) width = std::max(width, o.spelling.size());
  std::string text;
  for (const OptionHelp &o : options) text += fmt::format("  {:<{}}  {}\n", o.spelling, width, o.text);
  return text;
}

}  // namespace

const std::vector<CommandSpec> &commandSpecs() {
  static const std::vector<CommandSpec> specs = makeCommandSpecs();
  return specs;
}

const CommandSpec *findCommand(const std::string &name) {
  for (const CommandSpec &c : commandSpecs())
    if (c.name == name) return &c;
  return nullptr;
}

std::vector<std::string> commandNames() {
  std::vector<std::string> names;
  for (const CommandSpec &c : commandSpecs()) names.push_back(c.name);
  return names;
}

const std::vector<OptionHelp> &pipelineOptions() {
  static const std::vector<OptionHelp> options = {
      {"--batch N", "batch size (default: the file's, else 1; run: the input's)"},
      {"--passes=a,b", "passes to run, in order (default: all; --passes= runs none)"},
      {"--print-after=NAME", "print the IR after pass NAME to stderr (repeatable)"},
      {"--print-after-all", "print the IR after every pass"},
      {"--time-passes", "print the time each pass took"},
      {"--verify-each", "verify the IR after every pass"},
      {"--no-fuse-reduce", "keep every 1x1 reduce a kernel of its own (the pipeline without reduce-conv-fusion)"},
      {"--outputs=a,b", "compute these values instead of the declared outputs"},
      {"--bind NAME=FILE", "ONNX: treat input NAME as a constant with FILE's value (.npy or .pb)"},
  };
  return options;
}

std::vector<std::string> optionsOf(const CommandSpec &command) {
  std::vector<std::string> keys;
  for (const OptionHelp &o : command.options) keys.push_back(o.key());
  if (command.pipeline)
    for (const OptionHelp &o : pipelineOptions()) keys.push_back(o.key());
  for (std::string &k : keys) k = k.substr(0, k.find('='));  // "--passes=a,b" is the option --passes
  return keys;
}

std::string generalUsage() {
  std::string text = fmt::format("usage: deeper COMMAND MODEL [options]\n\n{}\n\ncommands:\n", kModelNote);
  for (const CommandSpec &c : commandSpecs()) text += fmt::format("  {:<12} {}\n", c.name, c.summary);
  text += "\n`deeper help COMMAND` (or `deeper COMMAND --help`) lists a command's options; `deeper --version` prints the version.\n";
  return text;
}

std::string commandUsage(const CommandSpec &command) {
  std::string text = fmt::format("usage: deeper {}{}{}\n\n{}\n", command.name, command.operands.empty() ? "" : " ", command.operands,
                                 command.summary);
  if (command.pipeline) text += fmt::format("{}\n", kModelNote);
  if (!command.options.empty()) text += "\noptions:\n" + optionLines(command.options);
  if (command.pipeline) text += "\npipeline options:\n" + optionLines(pipelineOptions());
  if (!command.notes.empty()) text += "\n" + command.notes + "\n";
  return text;
}

std::string versionText() {
  return fmt::format("deeper {} (code generation {}; Halide {})\n", DEEPER_VERSION, codeGeneratorHash().substr(0, 12), halideVersion());
}

}  // namespace deeper::cli
