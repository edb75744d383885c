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
  for (size_t i = 0; i < nodes.size(); ++i) nodes[i].ms = medianOf(samples[i]), nodes[i].runs = static_cast<int>(samples[i].size());
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

std::vector<OrtRow> matchOrt(const ComparedBuild &d, const OrtProfile &ort) {
  // Which Deeper kernel computes each layer.
  std::map<std::string, size_t> kernelOf;
  for (size_t k = 0; k < d.manifest.kernels.size(); ++k) {
    kernelOf[d.manifest.kernels[k].node] = k;
    for (const std::string &layer : d.manifest.kernels[k].absorbed) kernelOf[layer] = k;
  }
  std::vector<OrtRow> rows;
  for (size_t k = 0; k < d.manifest.kernels.size(); ++k) rows.push_back({d.manifest.kernels[k].node, d.profile.steps[k].ms.median, {}, 0, ""});
  std::map<std::string, size_t> otherRow;  // layers Deeper runs no kernel for
  OrtRow reorders{"(ORT only: layout reorders)", -1, {}, 0, ""}, unmatched{"(ORT only: no Deeper layer)", -1, {}, 0, ""};
  for (size_t i = 0; i < ort.nodes.size(); ++i) {
    std::string layer = layerOf(ort.nodes[i].node);
    OrtRow *row = nullptr;
    if (auto k = kernelOf.find(layer); k != kernelOf.end()) row = &rows[k->second];
    else if (auto why = d.manifest.notKernels.find(layer); why != d.manifest.notKernels.end()) {
      auto [it, fresh] = otherRow.emplace(layer, 0);
      if (fresh) {
        it->second = rows.size();
        rows.push_back({layer, -1, {}, 0, "Deeper: " + why->second});
      }
      row = &rows[it->second];
    } else row = ort.nodes[i].op.rfind("Reorder", 0) == 0 ? &reorders : &unmatched;
    row->ortNodes.push_back(i);
    row->ortMs += ort.nodes[i].ms;
  }
  for (OrtRow *extra : {&reorders, &unmatched})
    if (!extra->ortNodes.empty()) rows.push_back(std::move(*extra));
  return rows;
}

std::string printOrtComparison(const ComparedBuild &d, const OrtProfile &ort) {
  std::string s = fmt::format("A: Deeper, {} ({}, batch {}, {} kernels): whole model {:.3f} ms\n", d.label, d.manifest.target, d.manifest.batch,
                              d.manifest.kernels.size(), d.profile.total.median);
  s += fmt::format("B: ONNX Runtime (npm onnxruntime-node) on {}: whole model {:.3f} ms (timed without its profiler), {} nodes profiled\n", ort.onnx,
                   ort.wholeMs, ort.nodes.size());
  s += fmt::format("whole model: ORT / Deeper = {:.2f}\n\n", d.profile.total.median > 0 ? ort.wholeMs / d.profile.total.median : 0.0);
  s += fmt::format("{:<36} {:>9} {:>9} {:>7}  {}\n", "Deeper kernel", "Deeper ms", "ORT ms", "ORT/D", "ORT nodes (kernels)");
  double deeperSum = 0, ortSum = 0;
  for (const OrtRow &row : matchOrt(d, ort)) {
    std::vector<std::string> parts;
    for (size_t i : row.ortNodes) parts.push_back(fmt::format("{} ({})", ort.nodes[i].node, ort.nodes[i].op));
    std::string nodes = row.label == "(ORT only: layout reorders)" ? fmt::format("{} nodes", parts.size()) : fmt::format("{}", fmt::join(parts, ", "));
    if (row.ortNodes.empty()) nodes = "(none: fused away or named otherwise)";
    if (!row.note.empty()) nodes += "; " + row.note;
    deeperSum += std::max(0.0, row.deeperMs), ortSum += row.ortMs;
    s += fmt::format("{:<36} {:>9} {:>9} {:>7}  {}\n", row.label, row.deeperMs < 0 ? "-" : fmt::format("{:.3f}", row.deeperMs),
                     row.ortNodes.empty() ? "-" : fmt::format("{:.3f}", row.ortMs),
                     row.ortNodes.empty() || row.deeperMs <= 0 ? "-" : fmt::format("{:.2f}", row.ortMs / row.deeperMs), nodes);
  }
  s += fmt::format("\n{:<36} {:>9.3f} {:>9.3f} {:>7.2f}  (Deeper's lanes overlap; ORT runs its nodes one after another)\n", "sum of kernels",
                   deeperSum, ortSum, deeperSum > 0 ? ortSum / deeperSum : 0.0);
  return printableText(s);
}

}  // namespace deeper::inspect
