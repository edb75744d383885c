#include "codegen/Glue.h"

#include <cctype>
#include <set>

namespace deeper {
namespace {

// Names come from model files, which are untrusted (README, "Reliability"): in generated C and C++
// they appear only as string literals and comments that they cannot end, so no name becomes code.

/// A C string literal of `s`: quotes and backslashes escaped, other bytes outside printable ASCII as
/// three-digit octal escapes (a hex escape would swallow the digits after it).
std::string cString(const std::string &s) {
  std::string out = "\"";
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') out += std::string("\\") + c;
    else if (u < 0x20 || u >= 0x7f) out += fmt::format("\\{:03o}", u);
    else out += c;
  }
  return out + "\"";
}

/// `s` inside a // or /* */ comment: on one line, printable, and unable to close the comment.
std::string commentText(const std::string &s) {
  std::string out;
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    out += u < 0x20 || u >= 0x7f ? '?' : c;
    if (out.size() >= 2 && out.compare(out.size() - 2, 2, "*/") == 0) out.insert(out.size() - 1, " ");
  }
  return out;
}

template <typename T>
std::string braced(const std::vector<T> &v, size_t pad) {
  std::vector<std::string> items;
  for (const T &x : v) items.push_back(std::to_string(x));
  while (items.size() < pad) items.push_back("0");
  return fmt::format("{{{}}}", fmt::join(items, ", "));
}

/// One operand row: where it lives (`skip` bytes further in: a channel slice) and its Halide view. The
/// view's extents are the value's own, its first axis included: that is the compiled batch for most
/// values, but not for a concat along axis 0 or a flatten that folds axes into the first.
std::string operandRow(const Placement &p, int index, const OperandView &view, const std::string &comment, int64_t skip = 0) {
  static const char *kinds[] = {"DEEPER_ARENA", "DEEPER_INPUT", "DEEPER_OUTPUT"};
  std::string kind = index >= 0 ? "DEEPER_WEIGHT" : kinds[static_cast<int>(p.storage)];
  int32_t idx = index >= 0 ? index : (p.storage == Storage::Arena ? 0 : static_cast<int32_t>(p.offset));
  int64_t offset = (index < 0 && p.storage == Storage::Arena ? p.offset : 0) + skip;
  return fmt::format("    {{{}, {}, {}, {}, {}, {}}},  // {}\n", kind, idx, offset, view.extent.size(),
                     braced(view.extent, kMaxRank), braced(view.stride, kMaxRank), commentText(comment));
}

/// A model input or output: what callers call it, and the value.
struct Port {
  std::string label;
  const Node *node;
};

std::string tensorInfos(const std::vector<Port> &ports) {
  std::string rows;
  for (const Port &p : ports)
    rows += fmt::format("    {{{}, {}, {}}},\n", cString(p.label), p.node->shape.size(), braced(p.node->shape, kMaxRank));
  return rows;
}

std::vector<Port> graphInputs(const Graph &g) {
  std::vector<Port> out;
  for (const Node *n : g.nodesOfOp(OpKind::Input)) out.push_back({n->name, n});
  return out;
}

std::vector<Port> graphOutputs(const Graph &g) {
  std::vector<Port> out;
  for (const GraphOutput &o : g.outputs()) out.push_back({o.label(), o.node});
  return out;
}

std::string stepOperands(const GlueInput &in, size_t s, int &weightIndex) {
  const Kernel &k = (*in.kernels)[s];
  std::string rows;
  for (size_t i = 0; i < k.inputs.size(); ++i) {
    int64_t skip = 4 * k.inputOffsets[i];
    rows += operandRow(in.plan->placement.at(k.inputs[i]), -1, k.inputViews[i],
                       skip ? fmt::format("{} from byte {}", k.inputs[i]->name, skip) : k.inputs[i]->name, skip);
  }
  for (const PackedParam &p : k.params)
    rows += operandRow({}, weightIndex++, p.view, p.tensorName());
  const Placement &out = in.plan->placement.at(k.node);
  rows += operandRow(out, -1, k.outputView,
                     out.storage == Storage::Arena ? fmt::format("{} (arena bytes {}..{})", k.node->name, out.offset, out.offset + out.bytes)
                                                   : k.node->name);
  return rows;
}

std::string upperCase(std::string text) {
  for (char &c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

/// The header's macros for the inputs and outputs: their count, and for each its index in the arrays
/// `_run` takes and its element count, named after it (GOOGLENET_INPUT_DATA 0, ..._ELEMENTS 150528).
std::string portMacros(const std::string &guard, const std::vector<Port> &ins, const std::vector<Port> &outs) {
  std::string text = fmt::format("#define {0}_NUM_INPUTS {1}\n#define {0}_NUM_OUTPUTS {2}\n", guard, ins.size(), outs.size());
  std::set<std::string> taken;  // two names may spell one identifier ("a/b", "a_b"): the second gets its index
  auto define = [&](const char *kind, size_t index, const Port &p) {
    std::string name = fmt::format("{}_{}_{}", guard, kind, upperCase(cIdentifier(p.label)));
    if (!taken.insert(name).second) name += fmt::format("_{}", index);
    text += fmt::format("#define {} {}\n#define {}_ELEMENTS {}\n", name, index, name, checkedNumel(p.node->shape).value());
  };
  for (size_t i = 0; i < ins.size(); ++i) define("INPUT", i, ins[i]);
  for (size_t i = 0; i < outs.size(); ++i) define("OUTPUT", i, outs[i]);
  return text;
}

/// The step table of variant `v`: the steps' operands are shared, the kernels are the variant's.
std::string stepTable(const GlueInput &in, size_t v) {
  const std::vector<Kernel> &kernels = *in.kernels;
  std::string out = fmt::format("const deeper_step steps{}[] = {{  // {}\n", v, in.variants[v].target);
  for (size_t s = 0; s < kernels.size(); ++s)
    out += fmt::format("    {{{}, {}_argv, {}, step{}, {}, {}, {}}},\n", cString(kernels[s].node->name), (*in.variants[v].compiled)[s].function,
                       kernels[s].inputs.size() + kernels[s].params.size() + 1, s, executedMacs(kernels[s]), kernels[s].group,
                       kernels[s].lane);
  return out + "};\n\n";
}

/// A multi-target library's model: the first variant whose features the CPU has (Halide's own test,
/// the one its multi-target libraries use), chosen once, before main; DEEPER_TARGET=T forces one.
std::string variantSelection(const GlueInput &in, const std::string &model) {
  std::vector<std::string> names, targets, steps, features;
  for (size_t v = 0; v < in.variants.size(); ++v) {
    names.push_back(in.variants[v].target);
    targets.push_back(cString(in.variants[v].target));
    steps.push_back(fmt::format("steps{}", v));
    std::vector<std::string> words;
    for (uint64_t w : in.variants[v].features) words.push_back(fmt::format("0x{:x}ull", w));
    features.push_back(fmt::format("{{{}}}", fmt::join(words, ", ")));
  }
  return fmt::format(
      "namespace {{\n\n"
      "const char *const variant_targets[] = {{{targets}}};\n"
      "const deeper_step *const variant_steps[] = {{{steps}}};\n"
      "const uint64_t variant_features[][{words}] = {{{features}}};\n"
      "const char *chosen_target = nullptr;\n\n"
      "deeper_model chooseVariant() {{\n"
      "  deeper_model model = {model};\n"
      "  int chosen = {last};  // the baseline: the one the library assumes every CPU it runs on has\n"
      "  for (int v = {last}; v >= 0; --v)\n"
      "    if (halide_can_use_target_features({words}, variant_features[v])) chosen = v;\n"
      "  if (const char *forced = std::getenv(\"DEEPER_TARGET\")) {{\n"
      "    int v = 0;\n"
      "    while (v <= {last} && std::strcmp(forced, variant_targets[v])) ++v;\n"
      "    if (v <= {last}) chosen = v;\n"
      "    else std::fprintf(stderr, \"warning: DEEPER_TARGET=%s is none of this library's targets ({list}); using %s\\n\", forced, variant_targets[chosen]);\n"
      "  }}\n"
      "  model.steps = variant_steps[chosen];\n"
      "  chosen_target = variant_targets[chosen];\n"
      "  return model;\n"
      "}}\n\n"
      "}}  // namespace\n\n"
      "extern \"C\" const deeper_model {id}_model = chooseVariant();\n"
      "extern \"C\" const char *const {id}_target = chosen_target;\n",
      fmt::arg("targets", fmt::join(targets, ", ")), fmt::arg("steps", fmt::join(steps, ", ")), fmt::arg("words", in.variants[0].features.size()),
      fmt::arg("features", fmt::join(features, ", ")), fmt::arg("model", model), fmt::arg("last", in.variants.size() - 1),
      fmt::arg("list", fmt::join(names, ", ")), fmt::arg("id", in.identifier));
}

}  // namespace

std::string cIdentifier(const std::string &name) {
  std::string id;
  for (char c : name) id += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  if (id.empty() || std::isdigit(static_cast<unsigned char>(id[0]))) id = "m_" + id;
  return id;
}

std::vector<std::string> weightTableNames(const std::vector<Kernel> &kernels) {
  std::vector<std::string> names;
  for (const Kernel &k : kernels)
    for (const PackedParam &p : k.params) names.push_back(p.tensorName());
  return names;
}

std::string emitGlueSource(const GlueInput &in) {
  const std::vector<Kernel> &kernels = *in.kernels;
  std::string out = fmt::format(
      "// Generated by `deeper compile {}`: the step table of model '{}'.\n"
      "// Target {}, batch {}. Arena {} bytes ({} bytes without reuse).\n"
      "#include \"{}.h\"\n\n#include <HalideRuntime.h>\n\n#include <cstdio>\n#include <cstdlib>\n#include <cstring>\n\nextern \"C\" {{\n",
      commentText(in.source), commentText(in.graph->name), in.target, in.graph->batch, in.plan->arenaBytes, in.plan->totalBytes, in.identifier);
  std::set<std::string> declared;
  for (const GlueVariant &v : in.variants)
    for (const CompiledKernel &ck : *v.compiled)
      if (declared.insert(ck.function).second) out += fmt::format("int {}_argv(void **args);\n", ck.function);
  if (in.embeddedWeightsBytes) out += fmt::format("extern const unsigned char {}_weights[];  // the weights file, assembled in\n", in.identifier);
  out += "}\n\nnamespace {\n\n// Operands: kind, index, arena offset, rank, extents and strides (innermost first).\n";
  int weightIndex = 0;
  for (size_t s = 0; s < kernels.size(); ++s)
    out += fmt::format("// step {}: {}{}\n// schedule: {}\nconst deeper_operand step{}[] = {{\n{}}};\n\n", s,
                       commentText(kernels[s].node->name),
                       kernels[s].group ? fmt::format(" (group {}, lane {})", kernels[s].group, kernels[s].lane) : "",
                       kernels[s].schedule.print(), s, stepOperands(in, s, weightIndex));
  for (size_t v = 0; v < in.variants.size(); ++v) out += stepTable(in, v);
  std::vector<std::string> names = weightTableNames(kernels), quoted;
  std::vector<int64_t> bytes;
  for (const Kernel &k : kernels)
    for (const PackedParam &p : k.params) bytes.push_back(4 * checkedNumel(Dims(p.view.extent.begin(), p.view.extent.end())).value());
  for (const std::string &n : names) quoted.push_back(cString(n));
  out += fmt::format("const char *const weight_names[] = {{{}}};\nconst int64_t weight_bytes[] = {{{}}};\n",
                     fmt::join(quoted, ", "), fmt::join(bytes, ", "));
  std::vector<Port> ins = graphInputs(*in.graph), outs = graphOutputs(*in.graph);
  out += fmt::format("const deeper_tensor_info inputs[] = {{\n{}}};\nconst deeper_tensor_info outputs[] = {{\n{}}};\n\n}}  // namespace\n\n",
                     tensorInfos(ins), tensorInfos(outs));
  std::string embedded = in.embeddedWeightsBytes ? fmt::format("{}_weights, {}", in.identifier, in.embeddedWeightsBytes) : "nullptr, 0";
  std::string model = fmt::format("{{\n    {}, 0x{:016x}ull, {}, {}, steps0, {}, weight_names, weight_bytes,\n    {}, inputs, {}, outputs, {}}}",
                                  cString(in.graph->name), in.hash, in.plan->arenaBytes, kernels.size(), names.size(), ins.size(), outs.size(), embedded);
  if (in.variants.size() == 1)
    return out + fmt::format("extern \"C\" const char *const {0}_target = {1};\nextern \"C\" const deeper_model {0}_model = {2};\n", in.identifier,
                             cString(in.variants[0].target), model);
  return out + variantSelection(in, model);
  return out;
}

std::string emitHeader(const GlueInput &in) {
  const std::string &id = in.identifier;
  std::string guard = upperCase(id);
  std::vector<Port> ins = graphInputs(*in.graph), outs = graphOutputs(*in.graph);
  std::string shapes;
  for (const Port &p : ins) shapes += fmt::format(" *   input  {:<20} float[{}]\n", commentText(p.label), fmt::join(p.node->shape, "]["));
  for (const Port &p : outs) shapes += fmt::format(" *   output {:<20} float[{}]\n", commentText(p.label), fmt::join(p.node->shape, "]["));
  bool single = ins.size() == 1 && outs.size() == 1;
  std::string single_run = !single ? "" : fmt::format(
      "/* The same for a model of one input and one output. */\n"
      "static inline deeper_status {0}_run_single(deeper_context *ctx, const float *input, float *output) {{\n"
      "  const float *in[1] = {{input}};\n  float *out[1] = {{output}};\n  return deeper_run(ctx, in, out);\n}}\n\n", id);
  return fmt::format(
      "/* Generated by `{command}`: model '{name}', target {target}, batch {batch}.\n"
      " *\n{shapes}"
      " *\n * Link with lib{id}.a and -lstdc++ -lpthread -ldl -lm (the runtime is C++), or use {id}Config.cmake or {id}.pc;\n"
      " * weights: {weights}. Every call returns a deeper_status; on failure deeper_last_error() says why. */\n"
      "#ifndef {guard}_H\n#define {guard}_H\n\n#include \"deeper_runtime.h\"\n\n"
      "#ifdef __cplusplus\nextern \"C\" {{\n#endif\n\n"
      "extern const deeper_model {id}_model;\n"
      "/* The target whose kernels run: of a multi-target library, the first this CPU supports (DEEPER_TARGET=T forces one). */\n"
      "extern const char *const {id}_target;\n\n#define {guard}_BATCH {batch}\n#define {guard}_EMBEDDED_WEIGHTS {embedded}\n{ports}\n"
      "/* weights_path: a {id}.weights file; NULL: the weights linked in ({guard}_EMBEDDED_WEIGHTS builds). */\n"
      "static inline deeper_status {id}_create(const char *weights_path, deeper_context **ctx) {{\n"
      "  return deeper_create(&{id}_model, weights_path, ctx);\n}}\n\n"
      "/* inputs[{guard}_INPUT_<NAME>] and outputs[{guard}_OUTPUT_<NAME>]: {guard}_<...>_ELEMENTS floats each, batch first. */\n"
      "static inline deeper_status {id}_run(deeper_context *ctx, const float *const *inputs, float *const *outputs) {{\n"
      "  return deeper_run(ctx, inputs, outputs);\n}}\n\n{single_run}"
      "static inline void {id}_destroy(deeper_context *ctx) {{ deeper_destroy(ctx); }}\n\n"
      "/* Shapes: {id}_input(i)->shape[0..rank), {id}_output(i)->shape[0..rank). */\n"
      "static inline const deeper_tensor_info *{id}_input(int i) {{ return &{id}_model.inputs[i]; }}\n"
      "static inline const deeper_tensor_info *{id}_output(int i) {{ return &{id}_model.outputs[i]; }}\n\n"
      "#ifdef __cplusplus\n}}\n#endif\n\n#endif\n",
      fmt::arg("command", commentText(in.command)), fmt::arg("name", commentText(in.graph->name)), fmt::arg("target", in.target),
      fmt::arg("batch", in.graph->batch), fmt::arg("shapes", shapes), fmt::arg("id", id), fmt::arg("guard", guard),
      fmt::arg("ports", portMacros(guard, ins, outs)), fmt::arg("embedded", in.embeddedWeightsBytes ? 1 : 0),
      fmt::arg("weights", in.embeddedWeightsBytes ? fmt::format("linked in ({}_create(NULL, &ctx))", id) : id + ".weights"), fmt::arg("single_run", single_run));
}

}  // namespace deeper
