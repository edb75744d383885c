#include "inspect/OrtProfile.h"

#include "runtime/printable.h"
#include "support/Diagnostics.h"
#include "support/Files.h"
#include "support/Process.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>

namespace deeper::inspect {
namespace {

constexpr const char *kKernelTime = "_kernel_time";

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

/// The layer an ORT node computes. Deeper's export names nodes "<layer>" or "<layer>:<part>"; ORT's NCHWc
/// layout transformer renames a node it takes over "<name>_nchwc", where <name> is the node's or, after a
/// fusion, its last output value's: PyTorch names values "<node>_output_<i>".
std::string layerOf(const std::string &ortNode) {
  std::string layer = ortNode.substr(0, ortNode.find(':'));
  const std::string nchwc = "_nchwc", output = "_output_";
  if (layer.size() > nchwc.size() && layer.compare(layer.size() - nchwc.size(), nchwc.size(), nchwc) == 0) layer.resize(layer.size() - nchwc.size());
  size_t at = layer.rfind(output);
  if (at != std::string::npos && at + output.size() < layer.size() &&
      layer.find_first_not_of("0123456789", at + output.size()) == std::string::npos)
    layer.resize(at);
  return layer;
}

std::string onlyTrace(const std::string &folder) {
  for (const auto &entry : std::filesystem::directory_iterator(folder)) {
    std::string name = entry.path().filename().string();
    if (name.rfind("ort", 0) == 0 && name.size() > 5 && name.compare(name.size() - 5, 5, ".json") == 0) return entry.path().string();
  }
  fail(fmt::format("ONNX Runtime wrote no profile into {}", folder));
}

}  // namespace

std::vector<OrtNodeTime> parseOrtTrace(const std::string &text, const std::string &what) {
  std::map<std::string, size_t> index;
  std::vector<OrtNodeTime> nodes;
  std::vector<std::vector<double>> samples;
  try {
    for (const nlohmann::json &event : nlohmann::json::parse(text)) {
      if (event.value("cat", "") != "Node") continue;
      std::string name = event.at("name").get<std::string>();
      size_t suffix = name.rfind(kKernelTime);
      if (suffix == std::string::npos || suffix + std::string(kKernelTime).size() != name.size()) continue;
      name.resize(suffix);
      auto [it, fresh] = index.emplace(name, nodes.size());
      if (fresh) {
        std::string op = event.contains("args") ? event["args"].value("op_name", "") : "";
        nodes.push_back({name, op, 0, 0});
        samples.emplace_back();
      }
      samples[it->second].push_back(event.at("dur").get<double>() / 1000.0);  // microseconds
    }
  } catch (const std::exception &e) {
    fail(fmt::format("{}: not an ONNX Runtime profile ({})", what, e.what()));
  }
  for (size_t i = 0; i < nodes.size(); ++i) nodes[i].ms = median(samples[i]), nodes[i].runs = static_cast<int>(samples[i].size());
  return nodes;
}

std::string ortModulesFolder() {
  if (const char *dir = std::getenv("DEEPER_ORT_DIR"); dir && *dir) return dir;
  return std::string(DEEPER_SOURCE_DIR) + "/build/ort/node_modules";
}

OrtProfile profileWithOrt(const std::string &onnx, const std::vector<int64_t> &inputShape, int threads, int runs) {
  std::string modules = ortModulesFolder();
  if (!std::filesystem::exists(modules + "/onnxruntime-node/package.json"))
    fail(fmt::format("--ort needs ONNX Runtime's Node.js package in {} (install it with scripts/install-ort, or point $DEEPER_ORT_DIR at a "
                     "node_modules folder holding onnxruntime-node)",
                     modules));
  ScratchFolder scratch("deeper-ort");
  std::vector<std::string> dims;
  for (int64_t d : inputShape) dims.push_back(std::to_string(d));
  ProcessResult r = runProcess({"node", std::string(DEEPER_SOURCE_DIR) + "/inspect/ort_profile.js", modules, onnx, fmt::format("{}", fmt::join(dims, ",")),
                                std::to_string(threads), std::to_string(runs), scratch.path()},
                               900);
  if (r.ending == ProcessResult::Ending::Exited && r.code == 127) fail("--ort needs Node.js (`node`; Debian package nodejs)");
  if (!r.ok()) fail(fmt::format("ONNX Runtime failed on {} ({}): {}", onnx, r.describe(), r.output.substr(r.output.size() > 600 ? r.output.size() - 600 : 0)));
  OrtProfile p;
  p.onnx = onnx;
  size_t at = r.output.find("median_ms=");
  if (at == std::string::npos) fail(fmt::format("ONNX Runtime printed no time: {}", r.output.substr(0, 300)));
  p.wholeMs = std::stod(r.output.substr(at + 10));
  std::string trace = onlyTrace(scratch.path());
  p.nodes = parseOrtTrace(readFile(trace), trace);
  return p;
}

std::string printOrtComparison(const ComparedBuild &d, const OrtProfile &ort) {
  // Which Deeper kernel computes each layer.
  std::map<std::string, size_t> kernelOf;
  for (size_t k = 0; k < d.manifest.kernels.size(); ++k) {
    kernelOf[d.manifest.kernels[k].node] = k;
    for (const std::string &layer : d.manifest.kernels[k].absorbed) kernelOf[layer] = k;
  }
  std::vector<std::vector<size_t>> ortOfKernel(d.manifest.kernels.size());
  std::map<std::string, std::vector<size_t>> ortOfOther;  // layers Deeper runs no kernel for
  std::vector<size_t> unmatched, reorders;
  for (size_t i = 0; i < ort.nodes.size(); ++i) {
    std::string layer = layerOf(ort.nodes[i].node);
    if (auto k = kernelOf.find(layer); k != kernelOf.end()) ortOfKernel[k->second].push_back(i);
    else if (d.manifest.notKernels.count(layer)) ortOfOther[layer].push_back(i);
    else if (ort.nodes[i].op.rfind("Reorder", 0) == 0) reorders.push_back(i);
    else unmatched.push_back(i);
  }
  auto ortText = [&](const std::vector<size_t> &nodes, double &ms) {
    std::vector<std::string> parts;
    ms = 0;
    for (size_t i : nodes) ms += ort.nodes[i].ms, parts.push_back(fmt::format("{} ({})", ort.nodes[i].node, ort.nodes[i].op));
    return fmt::format("{}", fmt::join(parts, ", "));
  };
  std::string s = fmt::format("A: Deeper, {} ({}, batch {}, {} kernels): whole model {:.3f} ms\n", d.label, d.manifest.target, d.manifest.batch,
                              d.manifest.kernels.size(), d.profile.total.median);
  s += fmt::format("B: ONNX Runtime (npm onnxruntime-node) on {}: whole model {:.3f} ms (timed without its profiler), {} nodes profiled\n", ort.onnx,
                   ort.wholeMs, ort.nodes.size());
  s += fmt::format("whole model: ORT / Deeper = {:.2f}\n\n", d.profile.total.median > 0 ? ort.wholeMs / d.profile.total.median : 0.0);
  s += fmt::format("{:<36} {:>9} {:>9} {:>7}  {}\n", "Deeper kernel", "Deeper ms", "ORT ms", "ORT/D", "ORT nodes (kernels)");
  double deeperSum = 0, ortSum = 0;
  for (size_t k = 0; k < d.manifest.kernels.size(); ++k) {
    double ortMs = 0, ms = d.profile.steps[k].ms.median;
    std::string nodes = ortText(ortOfKernel[k], ortMs);
    deeperSum += ms, ortSum += ortMs;
    s += fmt::format("{:<36} {:>9.3f} {:>9} {:>7}  {}\n", d.manifest.kernels[k].node, ms, nodes.empty() ? "-" : fmt::format("{:.3f}", ortMs),
                     nodes.empty() || ms <= 0 ? "-" : fmt::format("{:.2f}", ortMs / ms), nodes.empty() ? "(none: fused away or named otherwise)" : nodes);
  }
  for (const auto &[layer, nodes] : ortOfOther) {
    double ortMs = 0;
    std::string text = ortText(nodes, ortMs);
    ortSum += ortMs;
    s += fmt::format("{:<36} {:>9} {:>9.3f} {:>7}  {}; Deeper: {}\n", layer, "-", ortMs, "-", text, d.manifest.notKernels.at(layer));
  }
  for (auto [group, label] : {std::pair<const std::vector<size_t> *, const char *>{&reorders, "(ORT only: layout reorders)"},
                               {&unmatched, "(ORT only: no Deeper layer)"}}) {
    if (group->empty()) continue;
    double ortMs = 0;
    std::string text = ortText(*group, ortMs);
    ortSum += ortMs;
    s += fmt::format("{:<36} {:>9} {:>9.3f} {:>7}  {}\n", label, "-", ortMs, "-", group == &reorders ? fmt::format("{} nodes", group->size()) : text);
  }
  s += fmt::format("\n{:<36} {:>9.3f} {:>9.3f} {:>7.2f}  (Deeper's lanes overlap; ORT runs its nodes one after another)\n", "sum of kernels",
                   deeperSum, ortSum, deeperSum > 0 ? ortSum / deeperSum : 0.0);
  return printableText(s);
}

}  // namespace deeper::inspect
