#include "FuzzModel.h"

#include "frontend/Load.h"
#include "ir/OpParams.h"
#include "ir/Printer.h"
#include "passes/PassManager.h"
#include "reference/Executor.h"
#include "reference/Weights.h"

#include <cmath>
#include <optional>

namespace deeper::fuzz {
namespace {

// The reference runs plain loops in double: bounds keep one execution well under a millisecond.
constexpr int64_t kMaxElements = 1 << 16;  // every value of the graph together
constexpr int64_t kMaxMacs = 1 << 20;

/// Learned parameters, counted without allocating them: a mutated model may declare gigabytes.
int64_t parameterCount(const Graph &graph) {
  int64_t count = 0;
  for (const auto &n : graph.nodes())
    for (const ParamSpec &p : paramsOf(*n)) count += checkedNumel(p.shape).value_or(kMaxElements + 1);
  return count;
}

bool small(const Graph &graph) {
  int64_t elements = 0, macs = 0;
  for (const auto &n : graph.nodes()) {
    elements += checkedNumel(n->shape).value_or(kMaxElements + 1);
    macs += macsOf(*n);
    if (elements > kMaxElements || macs > kMaxMacs) return false;
  }
  return true;
}

TensorMap syntheticInputs(const Graph &graph) {
  TensorMap inputs;
  for (const Node *in : graph.nodesOfOp(OpKind::Input)) inputs[in->name] = syntheticInput(in->shape, in->name, 1);
  return inputs;
}

/// The graph's outputs on synthetic inputs, by label; nullopt when the reference refuses to run it.
std::optional<TensorMap> reference(const Graph &graph) {
  try {
    TensorMap values = ReferenceExecutor(graph, graph.weights).run(syntheticInputs(graph));
    TensorMap byLabel;
    for (const GraphOutput &o : graph.outputs()) byLabel[o.label()] = values.at(o.node->name);
    return byLabel;
  } catch (const UserError &) {
    return std::nullopt;
  }
}

/// Equal up to the reassociation folding passes do (batchnorm into a conv), NaN where NaN.
bool close(const Tensor &a, const Tensor &b) {
  if (a.shape != b.shape) return false;
  double scale = 1;
  for (float v : b.data)
    if (std::isfinite(v)) scale = std::max(scale, static_cast<double>(std::abs(v)));
  for (size_t i = 0; i < a.data.size(); ++i) {
    float x = a.data[i], y = b.data[i];
    if (std::isnan(x) != std::isnan(y)) return false;
    if (std::isinf(y) || std::isnan(y)) continue;  // overflow may round either way
    if (std::abs(static_cast<double>(x) - y) > 1e-3 * scale) return false;
  }
  return true;
}

}  // namespace

void exerciseModel(Graph graph) {
  bool runnable = small(graph) && parameterCount(graph) <= kMaxElements;
  if (graph.weights.empty() && runnable) graph.weights = initWeights(graph, 7);
  std::optional<TensorMap> before = runnable ? reference(graph) : std::nullopt;
  PassOptions options;
  options.verifyEach = true;
  try {
    runPasses(graph, options);
  } catch (const UserError &) {
    return;  // e.g. weights a pass needs are missing from the model file
  }
  std::string text = printGraph(graph);
  Graph back;
  try {
    back = parseModel(text, "fuzz.ir");
  } catch (const UserError &e) {
    FUZZ_CHECK(false, "the printed IR does not parse back: {}\n{}", e.what(), text);
  }
  FUZZ_CHECK(printGraph(back) == text, "the printed IR prints differently after parsing:\n{}", text);
  if (!before) return;
  std::optional<TensorMap> after = reference(graph);
  FUZZ_CHECK(after.has_value(), "the reference ran the graph before the passes but not after:\n{}", text);
  for (const auto &[label, value] : *before) {
    auto it = after->find(label);
    FUZZ_CHECK(it != after->end(), "output '{}' is gone after the passes", label);
    FUZZ_CHECK(close(it->second, value), "output '{}' differs after the passes:\n{}", label, text);
  }
}

void loadAndExercise(const std::string &bytes, const std::string &path) {
  Graph graph;
  try {
    graph = parseModel(bytes, path);
  } catch (const UserError &) {
    return;  // refused with a message: the right answer to a bad file
  }
  exerciseModel(std::move(graph));
}

}  // namespace deeper::fuzz
