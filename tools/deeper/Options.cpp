#include "tools/deeper/Options.h"

#include "codegen/Schedule.h"
#include "support/Diagnostics.h"
#include "support/Process.h"

#include <fmt/ranges.h>

#include <algorithm>
#include <functional>
#include <map>

namespace deeper::cli {
namespace {

const char *const kUsage = R"(usage: deeper COMMAND MODEL [options]

MODEL is a .dnet description, a printed .ir file, an ONNX model (.onnx) or a Caffe network (.prototxt).

commands:
  summary   per-layer table like Table 1 of the GoogLeNet paper (--json, --all)
  ir        print the IR after the pass pipeline (a valid .ir file)
  graph     print Graphviz dot; block instances are clusters
  run       run the reference executor
  compile   compile to a native library, header, weights file and executable (-o DIR)
  schedules print every kernel's schedule as a file that compile --schedules takes back
  explain   one kernel as generated: work, bytes, lowered loops, instruction mix, llvm-mca (--kernel NAME)
  compare   two builds kernel by kernel: DIR_A DIR_B (compiled folders), or MODEL --a "OPTIONS" --b "OPTIONS"
  report    one self-contained HTML file: graph, kernel times, roofline, lanes, ablation, tuning (-o FILE.html)
  tune      search each kernel's and module's schedules by measuring them (--db FILE.sqlite)
  export-onnx  write the inference graph and its weights as ONNX (-o FILE.onnx; --seed N | --weights F)
  tensor    print a tensor file's name and shape (FILE.npy or ONNX FILE.pb); -o OUT.npy converts it
  passes    list the passes (no MODEL)
  ops       list the ops and their attributes (no MODEL)

pipeline options (every command that takes a MODEL):
  --batch N               batch size (default: the file's, else 1; run: the input's)
  --passes=a,b            passes to run, in order (default: all; --passes= runs none)
  --print-after=NAME      print the IR after pass NAME to stderr (repeatable)
  --print-after-all       print the IR after every pass
  --time-passes           print the time each pass took
  --verify-each           verify the IR after every pass
  --no-fuse-reduce        keep every 1x1 reduce a kernel of its own (the pipeline without reduce-conv-fusion)
  --bind NAME=FILE        ONNX: treat input NAME as a constant with FILE's value (.npy or .pb)
  -o FILE                 write ir/graph/summary output to FILE instead of stdout

compile:  -o DIR                     output folder (required)
          --target T                 host (default) or a Halide target, e.g. x86-64-linux-avx2; GPUs: host-opencl, host-cuda-cuda_capability_86
          --jobs N                   parallel kernel compiles (default: one per core)
          --outputs=a,b              compute these values instead of the declared outputs
          --schedules FILE           schedules for some kernels, as `deeper schedules` prints them
          --db FILE.sqlite           the best schedules `deeper tune` recorded for this target and batch
          --seed N | --weights FILE.safetensors   the weights to pack (default: --seed 0)
          kernels are cached in $DEEPER_CACHE_DIR (default ~/.cache/deeper)

schedules: --target T, --outputs, --schedules FILE, --db FILE as for compile; -o FILE writes the file there

tune:     --db FILE.sqlite           the tuning database (created when missing; required)
          --budget T                 stop starting rounds after T: 90s, 10m, 1h (default 10m); round 0
                                     (defaults and autoschedulers, the baselines) always runs whole
          --trials N                 or after N candidates of the search (after round 0)
          --threads N                the thread count measured at (default: every core)
          --autoschedulers=a,b       Halide autoschedulers measured as baselines in round 0 (default:
                                     Mullapudi2016,Adams2019,Li2018; Adams2019 searches greedily; none: --autoschedulers=)
          --target T, --batch N, --jobs N, --seed N | --weights F   as for compile
          --export FILE.jsonl        write every record (no MODEL needed); --import FILE.jsonl adds records
          --best                     print each unit's best record and its gain over the default

explain:  --kernel NAME               the node whose kernel to explain (required)
          --target T, --schedules FILE | --db FILE, --batch N   the build to explain, as for compile
          --stmt                     print Halide's lowered statement of the kernel
          --asm                      print its disassembly (LLVM MC; the hot loop marked '>')
          -o DIR                     write NAME.stmt, NAME.stmt.html (Halide's view), NAME.s, NAME.loop.s there
          --measure [--threads N]    compile the whole model and time the kernel in it: GFLOP/s, % of this
                                     machine's FMA peak and the roofline bound, both measured there

compare:  DIR_A DIR_B                 two `deeper compile` output folders
          MODEL --a "OPTS" --b "OPTS"   two builds of MODEL, each with its options (either may be left out:
                                     the defaults), e.g. --b "--passes=" or --b "--target x86-64-linux-avx2"
          --rounds N --runs N        profile both N rounds, alternating, of N runs each (default 3, 20)
          --threads N                the thread count both run at (default: every core)
          --stmt                     (MODEL only) diffs of the lowered statements of kernels that differ
          MODEL --ort [--a "OPTS"]   Deeper's build against ONNX Runtime (npm, scripts/install-ort) on the same
                                     network and weights: ORT's per-node profile beside Deeper's kernels

report:   -o FILE.html               where to write it (required)
          --db FILE.sqlite           build with the database's records and plot its tuning convergence
          --no-ablation              skip the builds with each optimising pass left out (one compile each)
          --ort                      add ONNX Runtime's per-node times on the same network (as compare --ort)
          --threads N, --rounds N, --runs N, --target T, --schedules F, --passes=...   as for compare/compile

summary:  --json  machine-readable;  --all  include training-only parts (no inference-cleanup)
run:      --input [NAME=]FILE.npy    input tensor (repeatable; NAME defaults to the only input; .pb: ONNX TensorProto)
          --synthetic-input          a seeded pseudo-random input instead of --input
          --output [NAME=]FILE.npy   write a value (repeatable; NAME defaults to the only output;
                                     any value name of the IR may be given)
          --seed N | --weights FILE.safetensors   weights (default: --seed 0)
          --top5                     print the five largest entries of each output row
)";

NamedFile namedFile(const std::string &text) {
  size_t eq = text.find('=');
  if (eq == std::string::npos) return NamedFile{"", text};
  return NamedFile{text.substr(0, eq), text.substr(eq + 1)};
}

/// "90s", "10m", "1h" or plain seconds.
double parseDuration(const std::string &flag, const std::string &text) {
  static const std::map<char, double> units = {{'s', 1}, {'m', 60}, {'h', 3600}};
  std::string number = text;
  double unit = 1;
  if (!text.empty() && units.count(text.back())) unit = units.at(text.back()), number.pop_back();
  bool digits = !number.empty() && number.size() <= 9 && number.find_first_not_of("0123456789") == std::string::npos;
  if (!digits) fail(fmt::format("{} expects a duration such as 90s, 10m or 1h, got '{}'", flag, text));
  return std::stod(number) * unit;
}

uint64_t parseCount(const std::string &flag, const std::string &text, bool allowZero) {
  bool digits = !text.empty() && text.size() <= 18 && text.find_first_not_of("0123456789") == std::string::npos;
  uint64_t v = digits ? std::stoull(text) : 0;
  if (!digits || (!allowZero && v == 0))
    fail(fmt::format("{} expects a {} integer, got '{}'", flag, allowZero ? "non-negative" : "positive", text));
  return v;
}

std::vector<std::string> splitList(const std::string &text) {
  std::vector<std::string> items;
  size_t begin = 0;
  while (begin <= text.size() && !text.empty()) {
    size_t comma = text.find(',', begin);
    std::string item = text.substr(begin, comma == std::string::npos ? std::string::npos : comma - begin);
    if (!item.empty()) items.push_back(item);
    if (comma == std::string::npos) break;
    begin = comma + 1;
  }
  return items;
}

using Setter = std::function<void(Options &, const std::string &)>;

/// Options that take a value.
const std::map<std::string, Setter> &valueOptions() {
  static const std::map<std::string, Setter> table = {
      {"--batch", [](Options &o, const std::string &v) { o.batch = static_cast<int64_t>(parseCount("--batch", v, false)); }},
      {"--passes", [](Options &o, const std::string &v) { o.passes = splitList(v); }},
      {"--print-after", [](Options &o, const std::string &v) { for (auto &p : splitList(v)) o.printAfter.push_back(p); }},
      {"--input", [](Options &o, const std::string &v) { o.inputs.push_back(namedFile(v)); }},
      {"--output", [](Options &o, const std::string &v) { o.outputs.push_back(namedFile(v)); }},
      {"--bind", [](Options &o, const std::string &v) { o.bind.push_back(namedFile(v)); }},
      {"--seed", [](Options &o, const std::string &v) { o.seed = parseCount("--seed", v, true); }},
      {"--weights", [](Options &o, const std::string &v) { o.weights = v; }},
      {"-o", [](Options &o, const std::string &v) { o.outFile = v; }},
      {"--target", [](Options &o, const std::string &v) { o.target = v; }},
      {"--jobs", [](Options &o, const std::string &v) { o.jobs = static_cast<int>(parseCount("--jobs", v, false)); }},
      {"--outputs", [](Options &o, const std::string &v) { o.outputsOverride = splitList(v); }},
      {"--schedules", [](Options &o, const std::string &v) { o.schedules = v; }},
      {"--db", [](Options &o, const std::string &v) { o.db = v; }},
      {"--budget", [](Options &o, const std::string &v) { o.budgetSeconds = parseDuration("--budget", v); }},
      {"--trials", [](Options &o, const std::string &v) { o.trials = static_cast<int64_t>(parseCount("--trials", v, false)); }},
      {"--threads", [](Options &o, const std::string &v) {
         uint64_t n = parseCount("--threads", v, false);
         if (n > 256) fail(fmt::format("--threads {}: at most 256", v));
         o.threads = static_cast<int>(n);
       }},
      {"--autoschedulers", [](Options &o, const std::string &v) {
         o.autoschedulers = splitList(v);
         const std::vector<std::string> &known = Schedule::autoschedulers();
         for (const std::string &name : *o.autoschedulers)
           if (std::find(known.begin(), known.end(), name) == known.end())
             fail(fmt::format("--autoschedulers: no autoscheduler '{}'; Halide 14's are {}", name, fmt::join(known, ", ")));
       }},
      {"--export", [](Options &o, const std::string &v) { o.exportFile = v; }},
      {"--import", [](Options &o, const std::string &v) { o.importFile = v; }},
      {"--kernel", [](Options &o, const std::string &v) { o.kernel = v; }},
      {"--a", [](Options &o, const std::string &v) { o.variantA = v; }},
      {"--b", [](Options &o, const std::string &v) { o.variantB = v; }},
      {"--rounds", [](Options &o, const std::string &v) { o.rounds = static_cast<int>(std::min<uint64_t>(100, parseCount("--rounds", v, false))); }},
      {"--runs", [](Options &o, const std::string &v) { o.runs = static_cast<int>(std::min<uint64_t>(10000, parseCount("--runs", v, false))); }},
  };
  return table;
}

/// Options that are flags.
const std::map<std::string, bool Options::*> &flagOptions() {
  static const std::map<std::string, bool Options::*> table = {
      {"--print-after-all", &Options::printAfterAll}, {"--time-passes", &Options::timePasses},
      {"--verify-each", &Options::verifyEach},         {"--json", &Options::json},
      {"--all", &Options::all},                        {"--synthetic-input", &Options::syntheticInput},
      {"--top5", &Options::top5},                      {"--no-fuse-reduce", &Options::noFuseReduce},
      {"--best", &Options::best},                      {"--stmt", &Options::stmt},
      {"--asm", &Options::assembly},                   {"--measure", &Options::measure},
      {"--no-ablation", &Options::noAblation},         {"--ort", &Options::ort},
  };
  return table;
}

/// Consumes one option at argv[i] (and its value); returns the next index.
int parseOne(Options &o, int argc, char **argv, int i) {
  std::string arg = argv[i];
  std::string key = arg, value;
  bool inlineValue = false;
  if (size_t eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
    key = arg.substr(0, eq);
    value = arg.substr(eq + 1);
    inlineValue = true;
  }
  if (auto flag = flagOptions().find(key); flag != flagOptions().end()) {
    if (inlineValue) fail(fmt::format("{} takes no value", key));
    o.*(flag->second) = true;
    return i + 1;
  }
  auto setter = valueOptions().find(key);
  if (setter == valueOptions().end()) fail(fmt::format("unknown option '{}'; see `deeper --help`", arg));
  if (!inlineValue) {
    if (i + 1 >= argc) fail(fmt::format("{} needs a value", key));
    value = argv[++i];
  }
  setter->second(o, value);
  return i + 1;
}

}  // namespace

Options withOptionText(Options o, const std::string &text) {
  std::vector<std::string> words;
  for (size_t i = 0; i < text.size();) {
    size_t begin = text.find_first_not_of(" \t\n", i);
    if (begin == std::string::npos) break;
    size_t end = text.find_first_of(" \t\n", begin);
    words.push_back(text.substr(begin, end == std::string::npos ? std::string::npos : end - begin));
    i = end == std::string::npos ? text.size() : end;
  }
  std::vector<char *> argv;
  for (std::string &w : words) argv.push_back(w.data());
  for (int i = 0; i < static_cast<int>(argv.size());) {
    if (argv[i][0] != '-') fail(fmt::format("'{}' in \"{}\": a variant is options only (the model is given once)", argv[i], text));
    i = parseOne(o, static_cast<int>(argv.size()), argv.data(), i);
  }
  return o;
}

std::string usage() { return kUsage; }

Options parseOptions(int argc, char **argv) {
  Options o;
  o.commandLine = "deeper";
  for (int i = 1; i < argc; ++i) o.commandLine += " " + shellQuoted(argv[i]);
  std::vector<std::string> positional;
  for (int i = 1; i < argc;) {
    std::string arg = argv[i];
    if (arg.size() > 1 && arg[0] == '-') {
      i = parseOne(o, argc, argv, i);
    } else {
      positional.push_back(arg);
      ++i;
    }
  }
  if (positional.empty()) fail("no command given; see `deeper --help`");
  o.command = positional[0];
  size_t most = o.command == "compare" ? 3 : 2;  // compare DIR_A DIR_B
  if (positional.size() > most)
    fail(fmt::format("unexpected argument '{}'; {}", positional[most], most == 3 ? "compare takes two folders" : "one MODEL per command"));
  if (positional.size() >= 2) o.model = positional[1];
  if (positional.size() == 3) o.secondModel = positional[2];
  if (o.seed && !o.weights.empty()) fail("--seed and --weights exclude each other: give one");
  return o;
}

}  // namespace deeper::cli
