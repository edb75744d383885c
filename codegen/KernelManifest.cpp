#include "codegen/KernelManifest.h"

#include "codegen/Glue.h"
#include "ir/Printer.h"
#include "support/Diagnostics.h"
#include "support/Files.h"
#include "support/Json.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <numeric>

namespace deeper {
namespace {

/// More lanes than a module has branches (GoogLeNet's have four) is no manifest `deeper compile` wrote.
constexpr int kMostLanes = 64;

int64_t elements(const OperandView &v) {
  return std::accumulate(v.extent.begin(), v.extent.end(), int64_t{1}, [](int64_t a, int32_t e) { return a * e; });
}

/// N,C,H,W as the IR writes shapes: the view's extents outermost first.
std::string shapeText(const OperandView &v) {
  std::vector<int32_t> dims(v.extent.rbegin(), v.extent.rend());
  return fmt::format("f32[{}]", fmt::join(dims, ","));
}

}  // namespace

double KernelRecord::intensity() const { return bytes() ? 2.0 * static_cast<double>(executedMacs) / static_cast<double>(bytes()) : 0.0; }

std::string algorithmName(const Kernel &k) {
  if (!k.schedule.autoscheduler.empty()) return fmt::format("Halide's {} autoscheduler", k.schedule.autoscheduler);
  if (k.schedule.winograd) return fmt::format("Winograd F({0}x{0},{1}x{1})", k.schedule.winograd, ConvParams::of(*k.node).win.kh);
  if (k.node->op == OpKind::Conv) return "direct";
  return opInfo(k.node->op).name;
}

std::string whyNoKernel(const Node &node) {
  if (node.op == OpKind::Input) return "a graph input";
  if (isAlias(node)) return fmt::format("a view of its input's storage ({})", opInfo(node.op).name);
  if (node.op == OpKind::Concat) return "an in-place concat: its inputs write into it (concat-elision)";
  if (isInlined(node)) {
    const Node *reader = &node;
    while (isInlined(*reader)) reader = reader->uses().at(0).user;
    return fmt::format("computed inside the kernel of '{}' (elementwise-fusion)", reader->name);
  }
  return "computes nothing of its own";
}

KernelRecord kernelRecord(const Kernel &k, const std::string &function) {
  KernelRecord r;
  r.node = k.node->name;
  r.op = k.node->opLabel();
  r.nodeText = printNode(*k.node);
  r.absorbed = k.node->absorbed;
  for (const Node *n : k.inlined) {
    r.absorbed.push_back(n->name);
    r.absorbed.insert(r.absorbed.end(), n->absorbed.begin(), n->absorbed.end());
  }
  for (size_t i = 0; i < k.inputViews.size(); ++i) {
    r.inputs.push_back(shapeText(k.inputViews[i]) + " " + k.inputs[i]->name);
    r.inputBytes += 4 * elements(k.inputViews[i]);
  }
  for (const PackedParam &p : k.params) r.weightBytes += 4 * elements(p.view);
  r.output = shapeText(k.outputView);
  r.outputBytes = 4 * elements(k.outputView);
  r.schedule = k.schedule.print();
  r.algorithm = algorithmName(k);
  r.function = function;
  r.layerMacs = macsOf(*k.node);
  r.executedMacs = executedMacs(k);
  r.lane = k.lane, r.group = k.group;
  return r;
}

std::string manifestJson(const BuildManifest &m) {
  nlohmann::json j = {{"model", m.model},   {"identifier", m.identifier}, {"source", m.source},
                      {"target", m.target}, {"batch", m.batch},           {"kernels", nlohmann::json::array()},
                      {"not_kernels", m.notKernels}};
  for (const KernelRecord &r : m.kernels)
    j["kernels"].push_back({{"node", r.node}, {"op", r.op}, {"node_text", r.nodeText}, {"absorbed", r.absorbed}, {"inputs", r.inputs},
                            {"output", r.output}, {"schedule", r.schedule}, {"algorithm", r.algorithm}, {"function", r.function},
                            {"layer_macs", r.layerMacs}, {"executed_macs", r.executedMacs}, {"input_bytes", r.inputBytes},
                            {"weight_bytes", r.weightBytes}, {"output_bytes", r.outputBytes}, {"lane", r.lane}, {"group", r.group}});
  // Names come from model files: the dump escapes what is not ASCII rather than failing on bad UTF-8.
  return j.dump(1, ' ', true, nlohmann::json::error_handler_t::replace) + "\n";
}

BuildManifest parseManifest(const std::string &text, const std::string &what) {
  BuildManifest m;
  try {
    nlohmann::json j = nlohmann::json::parse(text);
    m.model = j.at("model"), m.identifier = j.at("identifier"), m.source = j.at("source"), m.target = j.at("target");
    m.batch = jsonInteger<int64_t>(j.at("batch"), "batch");
    for (const nlohmann::json &k : j.at("kernels")) {
      KernelRecord r;
      r.node = k.at("node"), r.op = k.at("op"), r.nodeText = k.at("node_text");
      r.absorbed = k.at("absorbed").get<std::vector<std::string>>();
      r.inputs = k.at("inputs").get<std::vector<std::string>>();
      r.output = k.at("output"), r.schedule = k.at("schedule"), r.algorithm = k.at("algorithm"), r.function = k.at("function");
      r.layerMacs = jsonInteger<int64_t>(k.at("layer_macs"), "layer_macs");
      r.executedMacs = jsonInteger<int64_t>(k.at("executed_macs"), "executed_macs");
      r.inputBytes = jsonInteger<int64_t>(k.at("input_bytes"), "input_bytes");
      r.weightBytes = jsonInteger<int64_t>(k.at("weight_bytes"), "weight_bytes");
      r.outputBytes = jsonInteger<int64_t>(k.at("output_bytes"), "output_bytes");
      r.lane = jsonInteger<int>(k.at("lane"), "lane"), r.group = jsonInteger<int>(k.at("group"), "group");
      m.kernels.push_back(std::move(r));
    }
    m.notKernels = j.at("not_kernels").get<std::map<std::string, std::string>>();
  } catch (const std::exception &e) {
    fail(fmt::format("{}: not a kernel manifest of `deeper compile` ({})", what, e.what()));
  }
  // What the readers index or name files by: the identifier names the library and the executable
  // beside the manifest (no path may hide in it), lanes and groups size the report's timelines.
  if (m.identifier != cIdentifier(m.identifier) || m.identifier.empty())
    fail(fmt::format("{}: identifier '{}' is not the C identifier `deeper compile` writes", what, m.identifier));
  for (const KernelRecord &k : m.kernels)
    if (k.lane < 0 || k.lane > kMostLanes || k.group < 0 || k.group > static_cast<int64_t>(m.kernels.size()) || k.layerMacs < 0 ||
        k.executedMacs < 0 || k.inputBytes < 0 || k.weightBytes < 0 || k.outputBytes < 0)
      fail(fmt::format("{}: kernel '{}' has a lane, group, work or byte count no build has", what, k.node));
  return m;
}

BuildManifest readManifest(const std::string &path) { return parseManifest(readFile(path), path); }

}  // namespace deeper
