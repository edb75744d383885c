#include "tools/deeper/Commands.h"

#include "codegen/CacheFolder.h"
#include "codegen/Compile.h"
#include "codegen/Glue.h"
#include "codegen/Kernel.h"
#include "codegen/ScheduleFile.h"
#include "frontend/Load.h"
#include "frontend/OnnxExporter.h"
#include "frontend/OnnxImporter.h"
#include "inspect/Compare.h"
#include "inspect/Explain.h"
#include "inspect/OrtProfile.h"
#include "inspect/Report.h"
#include "ir/Graphviz.h"
#include "ir/Names.h"
#include "ir/Printer.h"
#include "ir/Summary.h"
#include "passes/PassManager.h"
#include "reference/Executor.h"
#include "reference/Weights.h"
#include "runtime/printable.h"
#include "runtime/top5.h"
#include "support/Files.h"
#include "support/Npy.h"
#include "support/Process.h"
#include "support/Safetensors.h"
#include "support/Suggest.h"
#include "tools/deeper/CommandTable.h"
#include "tune/Tuner.h"
#include "tune/Units.h"

#include <algorithm>
#include <cstring>
#include <ctime>
#include <set>
#include <thread>
#include <unistd.h>
#include <numeric>

namespace deeper::cli {
namespace {

/// .npy, or an ONNX TensorProto file (.pb, whose name goes to `name`), by extension.
Tensor readTensorFile(const std::string &path, std::string *name = nullptr) {
  bool pb = path.size() > 3 && path.compare(path.size() - 3, 3, ".pb") == 0;
  return pb ? readOnnxTensor(path, name) : readNpy(path);
}

PassOptions passOptions(const Options &o, std::vector<std::string> pipeline) {
  PassOptions p;
  p.pipeline = o.passes.value_or(std::move(pipeline));
  // On a GPU a fused reduce is recomputed by every channel thread at every tap (Cin times the conv's
  // multiply-adds again; staged, gpu_shared, still once per block row and channel block), where its
  // own kernel computes it once: GPU builds keep reduces apart unless --passes names the pass.
  bool gpu = parseTargets(o.target).front().has_gpu_feature();
  if (o.noFuseReduce || (gpu && !o.passes))
    p.pipeline.erase(std::remove_if(p.pipeline.begin(), p.pipeline.end(), [](const std::string &n) { return n.rfind("reduce-conv-fusion", 0) == 0; }),
                     p.pipeline.end());
  p.printAfter.insert(o.printAfter.begin(), o.printAfter.end());
  p.printAfterAll = o.printAfterAll;
  p.timePasses = o.timePasses;
  p.verifyEach = p.verifyEach || o.verifyEach;
  return p;
}

/// --outputs: the values to compute instead of the declared outputs.
void overrideOutputs(Graph &graph, const std::vector<std::string> &names) {
  if (names.empty()) fail("--outputs needs at least one value name");
  graph.removeOutputs([](const GraphOutput &) { return true; });
  for (const std::string &name : names) {
    Node *node = graph.find(name);
    if (!node) fail(fmt::format("--outputs: the model has no value '{}'{}", name, didYouMean(name, graph.nodeNames())));
    graph.addOutput(GraphOutput{node, false, ""});
  }
}

/// The weights as the model file names them (its layer names, before any pass): --weights, else
/// --seed, else the weights the model file carries (ONNX), else seed 0. Bound to the graph before the
/// passes run, so the passes that fold or merge layers rewrite them along with the graph.
void bindWeights(const Options &o, Graph &graph) {
  if (!o.weights.empty()) {
    graph.weights = readSafetensors(o.weights);
    // Shapes now, before a pass reads a tensor; completeness after the passes, for what is left.
    checkWeights(graph, graph.weights, fmt::format("'{}'", o.weights), /*complete=*/false);
  } else if (o.seed || graph.weights.empty()) graph.weights = initWeights(graph, o.seed.value_or(0));
}

/// The model after `pipeline`; with `withWeights`, its weights bound and checked against what the
/// optimised graph reads. `inputValues` (deeper run's --input): an ONNX input the model needs constant
/// is bound to its value; `boundInputs` receives their names.
Graph prepare(const Options &o, std::vector<std::string> pipeline = defaultPipeline(), bool withWeights = false,
              const TensorMap &inputValues = {}, std::set<std::string> *boundInputs = nullptr) {
  if (o.model.empty()) fail(fmt::format("'deeper {}' needs a MODEL (.dnet, .ir, .onnx or .prototxt)", o.command));
  ElaborateOptions eo;
  eo.batch = o.batch;
  eo.inputValues = inputValues;
  for (const NamedFile &b : o.bind) {
    if (b.name.empty()) fail("--bind needs NAME=FILE");
    eo.bind[b.name] = readTensorFile(b.path);
  }
  Graph graph = loadModel(o.model, eo);
  if (boundInputs) *boundInputs = *eo.boundInputs;
  if (o.outputsOverride) overrideOutputs(graph, *o.outputsOverride);
  if (withWeights) bindWeights(o, graph);
  runPasses(graph, passOptions(o, std::move(pipeline)));
  if (withWeights) checkWeights(graph, graph.weights, o.weights.empty() ? fmt::format("'{}'", o.model) : fmt::format("'{}'", o.weights));
  return graph;
}

/// Prints to stdout text that may hold names from the model, its control characters escaped.
template <typename... Args>
void printForTerminal(fmt::format_string<Args...> format, Args &&...args) {
  fmt::print("{}", printableText(fmt::format(format, std::forward<Args>(args)...)));
}

void emit(const Options &o, const std::string &text) {
  if (o.outFile.empty()) printForTerminal("{}", text);
  else writeFileAtomic(o.outFile, text);
}

int commandIr(const Options &o) {
  emit(o, printGraph(prepare(o)));
  return 0;
}

int commandGraph(const Options &o) {
  emit(o, graphToDot(prepare(o)));
  return 0;
}

int commandSummary(const Options &o) {
  std::vector<std::string> pipeline = cleanupPipeline();  // the model's layers, as the paper counts them
  if (o.all) pipeline.erase(std::remove(pipeline.begin(), pipeline.end(), "inference-cleanup"), pipeline.end());
  Graph graph = prepare(o, pipeline);
  Summary s = summarize(graph);
  emit(o, o.json ? summaryJson(graph, s) : summaryText(graph, s));
  return 0;
}

int commandPasses(const Options &) {
  for (const PassInfo &p : allPasses())
    fmt::print("{:<30} {}{}\n", p.name, p.description, p.inclusion == PassInclusion::OptIn ? " (opt-in: not in the default pipeline)" : "");
  return 0;
}

int commandOps(const Options &) {
  size_t width = 0;  // the longest attribute or learned tensor name: the columns line up
  for (const OpInfo &op : allOps()) {
    for (const AttrSpec &a : op.attrs) width = std::max(width, std::strlen(a.name));
    for (const ParamInfo &p : op.params) width = std::max(width, std::strlen(p.role) + 7);
  }
  for (const OpInfo &op : allOps()) {
    std::string traits = traitNames(op.traits);
    fmt::print("{:<8} [{}{}{}] {}\n", op.name, patternKindName(op.pattern), traits.empty() ? "" : "; ", traits, op.doc);
    for (const AttrSpec &a : op.attrs)
      fmt::print("    {:<{}} {:<5} {:<10} {}{}\n", a.name, width, attrTypeName(a.type), a.defaultText ? a.defaultText : "(required)", a.doc,
                 a.choices ? fmt::format(" (one of: {})", fmt::join(a.choiceList(), ", ")) : "");
    for (const ParamInfo &p : op.params)
      fmt::print("    {:<{}} learned, {}{}: {}\n", fmt::format("<node>.{}", p.role), width, packingName(p.packing),
                 p.presentWhen ? fmt::format(", when {}", p.presentWhen) : "", p.doc);
  }
  return 0;
}

// --- run ---

int commandTensor(const Options &o) {
  if (o.model.empty()) fail("'deeper tensor' needs a FILE (.npy or .pb)");
  std::string name;
  Tensor t = readTensorFile(o.model, &name);
  if (!o.outFile.empty()) writeNpy(o.outFile, t);
  printForTerminal("{} f32[{}]\n", name.empty() ? "-" : name, fmt::join(t.shape, ","));
  return 0;
}

/// The name a plain FILE stands for: the only one of `names`, else an error asking for NAME=FILE.
std::string soleName(const std::vector<std::string> &names, const char *what, const char *flag) {
  if (names.size() == 1) return names[0];
  fail(fmt::format("the model has {} {}s ({}); name one: {} NAME=FILE.npy", names.size(), what, fmt::join(names, ", "), flag));
}

std::vector<std::string> inputNames(const Graph &g) {
  std::vector<std::string> names;
  for (const Node *n : g.nodesOfOp(OpKind::Input)) names.push_back(n->name);
  return names;
}

std::vector<std::string> outputNames(const Graph &g) {
  std::vector<std::string> names;
  for (const GraphOutput &out : g.outputs()) names.push_back(out.label());
  return names;
}

TensorMap gatherInputs(const Options &o, const Graph &graph, const std::vector<Tensor> &files) {
  TensorMap inputs;
  if (o.syntheticInput) {
    for (const Node *n : graph.nodesOfOp(OpKind::Input)) inputs[n->name] = syntheticInput(n->shape, n->name, o.seed.value_or(0));
    return inputs;
  }
  for (size_t i = 0; i < o.inputs.size(); ++i) {
    std::string name = o.inputs[i].name.empty() ? soleName(inputNames(graph), "input", "--input") : o.inputs[i].name;
    if (!inputs.emplace(name, files[i]).second) fail(fmt::format("input '{}' given twice", name));
  }
  return inputs;
}

void printTop5(const std::string &name, const Tensor &t) {
  if (t.shape.size() != 2) fail(fmt::format("--top5 needs a [N, classes] output; '{}' is f32[{}]", name, fmt::join(t.shape, ",")));
  int64_t classes = t.shape[1];
  for (int64_t n = 0; n < t.shape[0]; ++n) fmt::print("{}", top5Line(name, n, t.data.data() + n * classes, classes));
}

int commandRun(const Options &o) {
  if (o.inputs.empty() && !o.syntheticInput) fail("'deeper run' needs --input FILE.npy (or --synthetic-input)");
  if (!o.inputs.empty() && o.syntheticInput) fail("--input and --synthetic-input exclude each other");
  std::vector<Tensor> files;
  for (const NamedFile &f : o.inputs) files.push_back(readTensorFile(f.path));
  Options opts = o;
  if (!opts.batch && !files.empty() && !files[0].shape.empty()) opts.batch = files[0].shape[0];  // batch follows the input
  TensorMap named;  // inputs given by name: the model may need some as constants (ONNX weights passed as inputs)
  for (size_t i = 0; i < o.inputs.size(); ++i)
    if (!o.inputs[i].name.empty()) named[o.inputs[i].name] = files[i];
  std::set<std::string> bound;
  Graph graph = prepare(opts, defaultPipeline(), true, named, &bound);
  for (size_t i = files.size(); i-- > 0;)  // those bound are constants of the graph now, no longer its inputs
    if (bound.count(opts.inputs[i].name)) opts.inputs.erase(opts.inputs.begin() + static_cast<long>(i)), files.erase(files.begin() + static_cast<long>(i));

  ReferenceExecutor executor(graph, graph.weights);
  // An output label (ONNX `y = Identity(x)`) stands for its value; any other name is a value's own.
  auto valueOf = [&](const std::string &label) {
    const Node *n = graph.findOutput(label);
    return n ? n->name : label;
  };
  std::vector<std::string> written, wanted;
  for (const GraphOutput &out : graph.outputs()) wanted.push_back(out.node->name);  // always computed
  for (const NamedFile &f : o.outputs) {
    written.push_back(valueOf(f.name.empty() ? soleName(outputNames(graph), "output", "--output") : f.name));
    if (std::find(wanted.begin(), wanted.end(), written.back()) == wanted.end()) wanted.push_back(written.back());
  }
  TensorMap results = executor.run(gatherInputs(opts, graph, files), wanted);

  for (size_t i = 0; i < o.outputs.size(); ++i) writeNpy(o.outputs[i].path, results.at(written[i]));
  for (const std::string &name : outputNames(graph)) {
    const Tensor &t = results.at(valueOf(name));
    if (o.top5) printTop5(name, t);
    else printForTerminal("{}: f32[{}]\n", name, fmt::join(t.shape, ","));
  }
  return 0;
}

/// The --schedules file, or nothing.
std::optional<ScheduleChoices> scheduleChoices(const Options &o) {
  if (o.schedules.empty()) return std::nullopt;
  return parseScheduleFile(readFile(o.schedules), o.schedules);
}

/// The model as `deeper tune` and --db see it: loaded, weights bound, after the cleanup passes; the
/// optimising passes run with each module's decisions (tune/Units.h).
TunableModel tunableModel(const Options &o, const Halide::Target &target) {
  if (o.passes || o.noFuseReduce) fail(fmt::format("'deeper {}' with a tuning database runs the default passes with the database's decisions: "
                                                   "--passes and --no-fuse-reduce do not apply", o.command));
  if (!o.schedules.empty()) fail("--schedules and --db exclude each other: give one");
  return TunableModel([&o] { return prepare(o, cleanupPipeline(), true); }, kernelTargetOf(target));
}

/// The model optimised with the best --db records: each module's decisions and every kernel's schedule.
TunableModel::Build tunedFromDatabase(const Options &o, const Halide::Target &target) {
  if (access(o.db.c_str(), F_OK) != 0) fail(fmt::format("--db '{}': no such tuning database; make one with `deeper tune MODEL --db {}`", o.db, o.db));
  TuningDatabase db(o.db);
  TunableModel model = tunableModel(o, target);
  TunedBuild tuned = tunedBuild(model, db, tuningContext(target, 0, model.batch()));
  fmt::print(stderr, "{}: {} of {} units tuned (kernels alone, and modules with their decisions); the rest keep their defaults{}\n", o.db,
             tuned.unitsTuned, tuned.units, tuned.build.misfits ? fmt::format("; {} records did not fit and were ignored", tuned.build.misfits) : "");
  return std::move(tuned.build);
}

/// The kernels of the build `deeper compile` would make with these options (--schedules, --db).
struct KernelBuild {
  Graph graph;
  std::vector<Kernel> kernels;  ///< point into `graph`
};

KernelBuild buildKernels(const Options &o, const Halide::Target &target) {
  KernelBuild b;
  if (!o.db.empty()) {
    TunableModel::Build tuned = tunedFromDatabase(o, target);
    b.graph = std::move(tuned.graph), b.kernels = std::move(tuned.kernels);
  } else {
    b.graph = prepare(o, defaultPipeline());
    std::optional<ScheduleChoices> choices = scheduleChoices(o);
    b.kernels = kernelsForTarget(b.graph, target, choices ? &*choices : nullptr);
  }
  return b;
}

int commandSchedules(const Options &o) {
  Halide::Target target = parseTarget(o.target);
  KernelBuild b = buildKernels(o, target);
  emit(o, fmt::format("# schedules of {} for {} (batch {}): a line per kernel, in execution order; fields a line\n"
                      "# leaves out keep the default. Edit, then: deeper compile MODEL --schedules FILE -o DIR\n",
                      printName(b.graph.name), o.target, b.graph.batch) +
              printScheduleFile(b.kernels));
  return 0;
}

/// The kernel of node `name`; a UserError saying why a node has none, or naming some that exist.
const Kernel &kernelNamed(const KernelBuild &b, const std::string &name) {
  for (const Kernel &k : b.kernels)
    if (k.node->name == name) return k;
  if (const Node *n = b.graph.find(name))
    fail(fmt::format("'{}' ({}) runs no kernel of its own: it computes nothing (an alias or an in-place concat) or a pass fused it "
                     "into another kernel; `deeper schedules MODEL` lists the kernels",
                     name, n->info().name));
  std::vector<std::string> some;
  for (size_t i = 0; i < b.kernels.size() && some.size() < 6; i += std::max<size_t>(1, b.kernels.size() / 6)) some.push_back(b.kernels[i].node->name);
  fail(fmt::format("the optimised model has no node '{}'{} (the passes remove training-only layers and merge others: `deeper ir MODEL` "
                   "prints what remains); its kernels include {} (`deeper schedules MODEL` lists them all)",
                   name, didYouMean(name, b.graph.nodeNames()), fmt::join(some, ", ")));
}

/// Compiles the model as the options say (--db, --schedules, --target, --jobs) into `outDir`; `built`,
/// when given, receives the compiled graph and its kernels (what buildKernels would make of the options).
CompileReport compileAsOptions(const Options &o, const std::string &outDir, KernelBuild *built = nullptr, bool progress = true) {
  Halide::Target target = parseTargets(o.target).front();  // a bad target fails before the weights are made
  std::optional<ScheduleChoices> choices = scheduleChoices(o);  // and a bad schedule file
  Graph graph;
  if (!o.db.empty()) {
    TunableModel::Build b = tunedFromDatabase(o, target);
    graph = std::move(b.graph);
    choices = parseScheduleFile(b.scheduleFile, o.db);
  } else {
    graph = prepare(o, defaultPipeline(), true);
  }
  CompileOptions co;
  co.schedules = choices ? &*choices : nullptr;
  co.outDir = outDir;
  co.target = o.target;
  co.source = o.model;
  co.command = o.commandLine;
  co.jobs = o.jobs;
  co.progress = progress;
  co.embedWeights = o.embedWeights;
  co.shared = o.shared;
  CompileReport r = compileModel(graph, graph.weights, co);
  if (built) {
    built->graph = std::move(graph);
    built->kernels = kernelsForTarget(built->graph, target, co.schedules);
  }
  return r;
}

int commandCompile(const Options &o) {
  if (o.outFile.empty()) fail("'deeper compile' needs -o DIR, the output folder");
  KernelBuild built;
  CompileReport r = compileAsOptions(o, o.outFile, &built);
  const Graph &graph = built.graph;
  printForTerminal("compiled {} for {} (batch {}): {} kernels, {} distinct, {} compiled now, {} cached; arena {} bytes ({} without reuse); "
             "{:.1f} s\n  {}/{} (executable), lib{}.a{}, {}.h, {}\n",
             graph.name, o.target, graph.batch, r.kernels, r.distinct, r.distinctCompiled, r.distinct - r.distinctCompiled, r.arenaBytes,
             r.totalBytes, r.seconds, o.outFile, r.identifier, r.identifier, o.shared ? fmt::format(", lib{}.so", r.identifier) : "",
             r.identifier, o.embedWeights ? "weights linked in" : r.identifier + ".weights");
  return 0;
}

int commandExplain(const Options &o) {
  if (o.kernel.empty()) fail("'deeper explain' needs --kernel NAME, the node whose kernel to explain (`deeper schedules MODEL` lists them)");
  Halide::Target target = parseTarget(o.target);
  // With --measure the whole model is compiled (in a scratch folder) and profiled: its kernels are the
  // ones explained, so the model is prepared once.
  std::optional<ScratchFolder> measured;
  CompileReport compiled;
  KernelBuild b;
  if (o.measure) measured.emplace("deeper-measure"), compiled = compileAsOptions(o, measured->path() + "/build", &b, false);
  else b = buildKernels(o, target);
  const Kernel &kernel = kernelNamed(b, o.kernel);
  std::optional<StagedFolder> out;
  std::string file = cIdentifier(kernel.node->name);
  inspect::ExplainOptions eo;
  if (!o.outFile.empty()) out.emplace(o.outFile), eo.htmlStatementPath = out->staged(file + ".stmt.html");
  inspect::KernelExplanation e = inspect::explainKernel(kernel, target, eo);
  if (measured) {
    ProfileRunOptions po;
    po.threads = o.threads;
    inspect::attachMeasurement(e, runProfile(measured->path() + "/build/" + compiled.identifier, po));
  }
  fmt::print("{}", inspect::printExplanation(e));
  if (o.stmt) printForTerminal("\n{}", e.loweredStatement);
  if (o.assembly) fmt::print("\n{}", inspect::printDisassembly(e));
  if (out) {
    writeFileAtomic(out->staged(file + ".stmt"), e.loweredStatement);
    writeFileAtomic(out->staged(file + ".s"), inspect::printDisassembly(e));
    writeFileAtomic(out->staged(file + ".loop.s"), e.mca ? e.mca->input : "");
    out->commit();
    printForTerminal("wrote {0}/{1}.stmt, {0}/{1}.stmt.html, {0}/{1}.s, {0}/{1}.loop.s\n", o.outFile, file);
  }
  return 0;
}

/// What a variant's options say, for the comparison's header: "MODEL --passes=" or "MODEL (defaults)".
std::string variantLabel(const Options &o, const std::optional<std::string> &variant) {
  return variant && !variant->empty() ? fmt::format("{} {}", o.model, *variant) : fmt::format("{} (defaults)", o.model);
}

/// The lowered statements of the kernels that match one to one but differ in code, as diffs; `builtA`
/// and `builtB` are the compiled builds with their options.
void printStatementDiffs(const inspect::ComparedBuild &a, const inspect::ComparedBuild &b, const std::vector<inspect::MatchedKernels> &rows,
                         const KernelBuild &buildA, const Options &optionsA, const KernelBuild &buildB, const Options &optionsB) {
  Halide::Target targetA = parseTarget(optionsA.target), targetB = parseTarget(optionsB.target);
  for (const inspect::MatchedKernels &row : rows) {
    if (row.a.size() != 1 || row.b.size() != 1) continue;
    const KernelRecord &ka = a.manifest.kernels[row.a[0]], &kb = b.manifest.kernels[row.b[0]];
    if (ka.function == kb.function || ka.node != kb.node) continue;
    std::string diff = inspect::unifiedDiff(inspect::loweredStatement(kernelNamed(buildA, ka.node), targetA),
                                            inspect::loweredStatement(kernelNamed(buildB, kb.node), targetB), "A/" + ka.node, "B/" + kb.node, 60);
    printForTerminal("\n=== lowered statement of {}: A against B\n{}", ka.node, diff.empty() ? "(the same: only the operands' strides differ)\n" : diff);
  }
}

/// ONNX Runtime on the model: the ONNX file itself, or Deeper's export of the network with the same weights
/// (into `scratch`); `form` says which.
inspect::OrtProfile profileOrt(const Options &options, const std::string &scratch, int threads, std::string &form) {
  Options o = options;  // the network as written, whatever passes Deeper's own build ran
  o.passes.reset(), o.noFuseReduce = false;
  Graph graph = prepare(o, {"shape-inference", "inference-cleanup"}, true);
  std::string onnx = o.model;
  form = fmt::format("{} itself", o.model);
  if (o.model.size() < 5 || o.model.compare(o.model.size() - 5, 5, ".onnx") != 0) {
    onnx = scratch + "/model.onnx";
    writeFileAtomic(onnx, exportOnnx(graph, graph.weights));
    form = fmt::format("Deeper's ONNX export of {} (same weights)", o.model);
  }
  std::vector<Node *> inputs = graph.nodesOfOp(OpKind::Input);
  if (inputs.size() != 1) fail(fmt::format("--ort feeds one input; the model has {}", inputs.size()));
  return inspect::profileWithOrt(onnx, inputs[0]->shape, threads, o.rounds * o.runs);
}

/// Deeper's build of MODEL (--a's options) beside ONNX Runtime on the same network and weights.
int compareWithOrt(const Options &o) {
  if (!o.secondModel.empty()) fail("--ort compares a MODEL's build with ONNX Runtime: give one MODEL (and --a for Deeper's options)");
  if (o.variantB) fail("--ort takes B's place: give --a for Deeper's options, not --b");
  if (o.stmt) fail("--stmt compares two Deeper builds; ONNX Runtime has no lowered statements");
  Options deeper = withOptionText(o, o.variantA.value_or(""));
  ScratchFolder scratch("deeper-compare-ort");
  fmt::print(stderr, "compiling {}\n", variantLabel(o, o.variantA));
  compileAsOptions(deeper, scratch.path() + "/a", nullptr, false);
  inspect::ComparedBuild a = inspect::loadBuild(scratch.path() + "/a", variantLabel(o, o.variantA));
  int threads = o.threads ? o.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  fmt::print(stderr, "profiling Deeper, {} rounds of {} runs, then ONNX Runtime, {} runs\n", o.rounds, o.runs, o.rounds * o.runs);
  inspect::profileTogether({&a}, o.rounds, o.runs, threads);
  std::string form;
  inspect::OrtProfile ort = profileOrt(deeper, scratch.path(), threads, form);
  fmt::print("{}", inspect::printOrtComparison(a, ort));
  return 0;
}

int commandCompare(const Options &o) {
  if (o.ort) return compareWithOrt(o);
  bool folders = !o.secondModel.empty();
  if (folders && (o.variantA || o.variantB)) fail("compare takes two folders, or one MODEL with --a/--b: not both");
  if (!folders && !o.variantA && !o.variantB)
    fail("'deeper compare' needs two compiled folders (DIR_A DIR_B), or a MODEL and the options of each build (--a \"OPTS\" --b \"OPTS\")");
  if (o.model.empty()) fail("'deeper compare' needs DIR_A DIR_B, or MODEL --a \"OPTS\" --b \"OPTS\"");
  if (folders && o.stmt) fail("--stmt compares lowered statements, which compiled folders do not keep: give a MODEL with --a/--b");
  std::optional<ScratchFolder> scratch;
  std::string folderA = o.model, folderB = o.secondModel, labelA = o.model, labelB = o.secondModel;
  Options optionsA = withOptionText(o, o.variantA.value_or("")), optionsB = withOptionText(o, o.variantB.value_or(""));
  KernelBuild builtA, builtB;
  if (!folders) {
    scratch.emplace("deeper-compare");
    folderA = scratch->path() + "/a", folderB = scratch->path() + "/b";
    labelA = variantLabel(o, o.variantA), labelB = variantLabel(o, o.variantB);
    fmt::print(stderr, "compiling A: {}\n", labelA);
    compileAsOptions(optionsA, folderA, &builtA, false);
    fmt::print(stderr, "compiling B: {}\n", labelB);
    compileAsOptions(optionsB, folderB, &builtB, false);
  }
  inspect::ComparedBuild a = inspect::loadBuild(folderA, labelA), b = inspect::loadBuild(folderB, labelB);
  fmt::print(stderr, "profiling both, {} alternating rounds of {} runs\n", o.rounds, o.runs);
  inspect::profileTogether({&a, &b}, o.rounds, o.runs, o.threads);
  std::vector<inspect::MatchedKernels> rows = inspect::matchKernels(a.manifest, b.manifest);
  fmt::print("{}", inspect::printComparison(a, b, rows));
  if (o.stmt) printStatementDiffs(a, b, rows, builtA, optionsA, builtB, optionsB);
  return 0;
}

/// The passes of `pipeline` whose absence still compiles a correct model and only costs time.
std::vector<std::string> optimisingPasses(const std::vector<std::string> &pipeline) {
  static const std::set<std::string> required = {"shape-inference", "inference-cleanup", "output-copies"};
  std::vector<std::string> out;
  for (const std::string &p : pipeline)
    if (!required.count(p)) out.push_back(p);
  return out;
}

/// Graphviz's SVG of `graph`, nodes coloured by their kernels' times; "" and `problem` when dot fails.
std::string graphSvg(const Graph &graph, const inspect::ComparedBuild &b, std::string &problem) {
  DotStyle style;
  double slowest = 0;
  for (const StepProfile &s : b.profile.steps) slowest = std::max(slowest, s.ms.median);
  for (size_t i = 0; i < b.manifest.kernels.size(); ++i) {
    double ms = b.profile.steps[i].ms.median;
    style.fill[b.manifest.kernels[i].node] = inspect::svg::heatColor(slowest > 0 ? ms / slowest : 0);
    style.tooltip[b.manifest.kernels[i].node] = fmt::format("{}: {:.3f} ms", b.manifest.kernels[i].node, ms);
  }
  ScratchFolder scratch("deeper-graph");
  writeFileAtomic(scratch.path() + "/g.dot", graphToDot(graph, style));
  ProcessResult r = runProcess({"dot", "-Tsvg", scratch.path() + "/g.dot", "-o", scratch.path() + "/g.svg"}, 120);
  if (!r.ok()) {
    problem = fmt::format("Graphviz's dot failed ({}; Debian package graphviz)", r.describe());
    return "";
  }
  std::string svgText = readFile(scratch.path() + "/g.svg");
  size_t start = svgText.find("<svg");  // without the XML prolog and doctype: inline in HTML
  return start == std::string::npos ? "" : svgText.substr(start);
}

int commandReport(const Options &o) {
  if (o.outFile.empty()) fail("'deeper report' needs -o FILE.html");
  ScratchFolder scratch("deeper-report");
  KernelBuild built;
  fmt::print(stderr, "compiling {}\n", o.model);
  compileAsOptions(o, scratch.path() + "/build", &built, false);
  inspect::ComparedBuild build = inspect::loadBuild(scratch.path() + "/build", o.model);
  inspect::ReportInput in;
  in.build = &build;
  std::vector<inspect::ComparedBuild> variants;
  std::vector<std::string> left;
  if (o.noAblation) in.ablationNote = "--no-ablation";
  else if (!o.db.empty()) in.ablationNote = "the build comes from a tuning database, whose decisions replace the passes' own";
  else {
    std::vector<std::string> pipeline = o.passes.value_or(defaultPipeline());
    const std::string optimised = printGraph(built.graph);
    for (const std::string &pass : optimisingPasses(pipeline)) {
      Options without = o;
      without.passes = pipeline;
      without.passes->erase(std::find(without.passes->begin(), without.passes->end(), pass));
      Options quiet = without;  // compared, not shown: no pass output twice
      quiet.printAfter.clear(), quiet.printAfterAll = false, quiet.timePasses = false;
      if (printGraph(prepare(quiet)) == optimised) {  // the same kernels: a build would time noise
        in.unchangedPasses.push_back(pass);
        continue;
      }
      std::string folder = scratch.path() + "/no-" + pass;
      fmt::print(stderr, "compiling without {}\n", pass);
      compileAsOptions(without, folder, nullptr, false);
      variants.push_back(inspect::loadBuild(folder, "without " + pass));
      left.push_back(pass);
    }
    if (left.empty()) in.ablationNote = "the pipeline has no optimising pass that changes this model";
  }
  std::vector<inspect::ComparedBuild *> all = {&build};
  for (inspect::ComparedBuild &v : variants) all.push_back(&v);
  fmt::print(stderr, "profiling {} builds, {} alternating rounds of {} runs\n", all.size(), o.rounds, o.runs);
  inspect::profileTogether(all, o.rounds, o.runs, o.threads);
  for (size_t i = 0; i < variants.size(); ++i) in.ablation.push_back({left[i], variants[i].profile.total.median, build.profile.total.median});
  in.graphSvg = graphSvg(built.graph, build, in.graphProblem);
  if (o.db.empty()) in.convergenceNote = "no tuning database given (--db)";
  else {
    in.convergence = inspect::convergenceCurves(TuningDatabase(o.db).all(), build.manifest.target, build.manifest.batch);
    if (in.convergence.empty()) in.convergenceNote = fmt::format("'{}' has no unit tuned over several trials for this target and batch", o.db);
  }
  std::optional<inspect::OrtProfile> ort;
  if (o.ort) {
    std::string form;
    ort = profileOrt(o, scratch.path(), build.profile.threads, form);
    in.ort = &*ort, in.ortForm = form;
  }
  in.command = "deeper report " + o.model + (o.db.empty() ? "" : " --db " + o.db) + (o.ort ? " --ort" : "");
  std::time_t now = std::time(nullptr);
  char created[32];
  std::strftime(created, sizeof created, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  in.created = created;
  writeFileAtomic(o.outFile, inspect::renderReport(in));
  printForTerminal("wrote {}: {} kernels, {} ablation builds{}\n", o.outFile, build.manifest.kernels.size(), variants.size(),
                   in.convergence.empty() ? "" : fmt::format(", {} tuning curves", in.convergence.size()));
  return 0;
}

/// --import, --export and --best work on the database alone; otherwise the MODEL is tuned.
int commandTune(const Options &o) {
  if (o.db.empty()) fail("'deeper tune' needs --db FILE.sqlite, the tuning database (created when missing)");
  if (!o.importFile.empty() && !o.exportFile.empty() && o.importFile == o.exportFile)
    fail("--import and --export name the same file");
  TuningDatabase db(o.db);
  if (!o.importFile.empty()) {
    size_t added = db.importJsonl(readFile(o.importFile), o.importFile);
    fmt::print("{}: {} new records from {}\n", o.db, added, o.importFile);
  }
  if (!o.exportFile.empty()) {
    writeFileAtomic(o.exportFile, db.exportJsonl());
    fmt::print("{}: wrote every record to {}\n", o.db, o.exportFile);
  }
  if (o.best) printForTerminal("{}", printBestRecords(db));
  if (o.model.empty()) {
    if (o.importFile.empty() && o.exportFile.empty() && !o.best) fail("'deeper tune' needs a MODEL (or --import, --export, --best)");
    return 0;
  }
  Halide::Target target = parseTarget(o.target);
  TunableModel model = tunableModel(o, target);
  TuneOptions to;
  to.target = o.target, to.threads = o.threads, to.budgetSeconds = o.budgetSeconds, to.maxTrials = o.trials, to.jobs = o.jobs;
  to.source = o.model;
  if (o.autoschedulers) to.autoschedulers = *o.autoschedulers;
  TuneReport report = tuneModel(model, db, to);
  printForTerminal("{}", printTuneReport(report));
  return 0;
}

/// "12.3 MiB", "5.0 GiB".
std::string byteSize(uint64_t bytes) {
  double mib = static_cast<double>(bytes) / (1 << 20);
  return mib < 1024 ? fmt::format("{:.1f} MiB", mib) : fmt::format("{:.1f} GiB", mib / 1024);
}

/// `deeper cache [--prune [--max-size SIZE] | --clear]`.
int commandCache(const Options &o) {
  if (o.prune && o.clear) fail("--prune and --clear exclude each other: give one");
  if (o.maxCacheBytes && !o.prune) fail("--max-size is the limit --prune prunes to: give --prune too");
  std::string dir = cacheDirectory();
  if (o.prune || o.clear) {
    CacheUsage removed = pruneCache(dir, o.clear ? 0 : o.maxCacheBytes.value_or(cacheSizeLimit()), 0);
    printForTerminal("removed {} entries, {}\n", removed.entries, byteSize(removed.bytes));
  }
  CacheUsage usage = cacheUsage(dir);
  printForTerminal("kernel cache {}: {} entries, {} (pruned to {} after each compile)\n", dir, usage.entries, byteSize(usage.bytes),
                   byteSize(cacheSizeLimit()));
  return 0;
}

/// `deeper help [CMD]`.
int commandHelp(const Options &o) {
  if (o.model.empty()) {
    fmt::print("{}", generalUsage());
    return 0;
  }
  const CommandSpec *command = findCommand(o.model);
  if (!command) {
    fail(fmt::format("no command '{}'{}; `deeper help` lists them", o.model, didYouMean(o.model, commandNames())));
  }
  fmt::print("{}", commandUsage(*command));
  return 0;
}

int commandExportOnnx(const Options &o) {
  if (o.outFile.empty()) fail("'deeper export-onnx' needs -o FILE.onnx");
  // The graph before fusion: ONNX has no fused epilogues (a fused relu is written as Relu anyway).
  std::vector<std::string> pipeline = {"shape-inference", "inference-cleanup"};
  Graph graph = prepare(o, pipeline, true);
  writeFileAtomic(o.outFile, exportOnnx(graph, graph.weights));
  printForTerminal("wrote {} (ONNX opset 13, batch {}, outputs {})\n", o.outFile, graph.batch, fmt::join(outputNames(graph), ", "));
  return 0;
}

}  // namespace

int runCommand(const Options &o) {
  static const std::vector<std::pair<std::string, int (*)(const Options &)>> commands = {
      {"summary", commandSummary}, {"ir", commandIr},         {"graph", commandGraph},
      {"run", commandRun},         {"passes", commandPasses}, {"ops", commandOps},
      {"compile", commandCompile}, {"export-onnx", commandExportOnnx}, {"tensor", commandTensor},
      {"schedules", commandSchedules}, {"tune", commandTune},           {"explain", commandExplain},
      {"compare", commandCompare},   {"report", commandReport},          {"help", commandHelp},
      {"cache", commandCache},
  };
  for (const auto &[name, fn] : commands)
    if (o.command == name) return fn(o);
  DEEPER_CHECK(false, "command '{}' is in the command table but has no function", o.command);
  return 1;
}

}  // namespace deeper::cli
