#include "ir/Verifier.h"

#include "ir/ShapeFunctions.h"

#include <set>

namespace deeper {
namespace {

bool attrTypeMatches(AttrType type, const AttrValue &v) {
  switch (type) {
    case AttrType::Int: return std::holds_alternative<int64_t>(v);
    case AttrType::Float: return std::holds_alternative<double>(v);
    case AttrType::Bool: return std::holds_alternative<bool>(v);
    case AttrType::Int2: return std::holds_alternative<Dims>(v) && std::get<Dims>(v).size() == 2;
    case AttrType::Pad: return std::holds_alternative<Dims>(v) && std::get<Dims>(v).size() == 4;
    case AttrType::Dims: return std::holds_alternative<Dims>(v);
    case AttrType::Word: return std::holds_alternative<std::string>(v);
  }
  return false;
}

void checkArity(const Node &n, std::vector<std::string> &problems) {
  const OpInfo &info = n.info();
  int count = static_cast<int>(n.inputs().size());
  if (!info.acceptsInputs(count))
    problems.push_back(fmt::format("'{}': {} takes {}..{} inputs, has {}", n.name, info.name, info.minInputs,
                                   info.maxInputs, count));
}

void checkAttrs(const Node &n, std::vector<std::string> &problems) {
  const OpInfo &info = n.info();
  for (const AttrSpec &spec : info.attrs) {
    auto it = n.attrs.find(spec.name);
    if (it == n.attrs.end()) problems.push_back(fmt::format("'{}': missing attribute '{}'", n.name, spec.name));
    else if (!attrTypeMatches(spec.type, it->second))
      problems.push_back(fmt::format("'{}': attribute '{}' is not of type {}", n.name, spec.name, attrTypeName(spec.type)));
  }
  for (const auto &entry : n.attrs)
    if (!info.findAttr(entry.first))
      problems.push_back(fmt::format("'{}': {} has no attribute '{}'", n.name, info.name, entry.first));
}

void checkShape(const Graph &g, const Node &n, std::vector<std::string> &problems) {
  try {
    Dims want = inferShape(n, g.batch);
    if (want != n.shape)
      problems.push_back(fmt::format("'{}': shape f32[{}] but its inputs give f32[{}]", n.name,
                                     fmt::join(n.shape, ","), fmt::join(want, ",")));
  } catch (const UserError &e) {
    problems.push_back(fmt::format("'{}': {}", n.name, e.what()));
  }
}

}  // namespace

std::vector<std::string> verifyGraph(const Graph &graph) {
  std::vector<std::string> problems;
  std::set<const Node *> seen;
  std::set<std::string> names;
  for (const auto &node : graph.nodes()) {
    const Node &n = *node;
    if (!names.insert(n.name).second) problems.push_back(fmt::format("duplicate node name '{}'", n.name));
    bool inputsOk = true;
    for (const Node *in : n.inputs())
      if (!seen.count(in)) {
        problems.push_back(fmt::format("'{}': input is not defined before it (cycle or foreign node)", n.name));
        inputsOk = false;
      }
    checkArity(n, problems);
    size_t before = problems.size();
    checkAttrs(n, problems);
    if (inputsOk && problems.size() == before) checkShape(graph, n, problems);
    seen.insert(&n);
  }
  if (graph.outputs().empty()) problems.push_back("the graph has no outputs");
  for (const std::string &p : graph.checkBookkeeping()) problems.push_back(p);
  for (const GraphOutput &o : graph.outputs())
    if (!seen.count(o.node)) problems.push_back("an output is not a node of the graph");
  return problems;
}

void verifyOrDie(const Graph &graph, const std::string &context) {
  std::vector<std::string> problems = verifyGraph(graph);
  DEEPER_CHECK(problems.empty(), "IR verification failed {}:\n  {}", context, fmt::join(problems, "\n  "));
}

}  // namespace deeper
