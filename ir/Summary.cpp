#include "ir/Summary.h"

#include "ir/OpParams.h"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace deeper {
namespace {

int64_t numel(const Dims &d) {
  int64_t n = 1;
  for (int64_t v : d) n *= v;
  return n;
}

/// 1582671872 -> "1,582,671,872"
std::string grouped(int64_t v) {
  std::string digits = std::to_string(v), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

/// The layer's name inside its block: "inception_3a/3x3_reduce" -> "3x3_reduce".
std::string localName(const Node &n) {
  return n.block.empty() ? n.name : n.name.substr(std::min(n.name.size(), n.block.size() + 1));
}

/// Paper order: HxWxC for activations, the remaining dims otherwise; the batch is left out.
std::string outputSize(const Dims &s) {
  if (s.size() == 4) return fmt::format("{}x{}x{}", s[2], s[3], s[1]);
  return dimsString(Dims(s.begin() + 1, s.end()));
}

std::string patchStride(const Node &n) {
  if (!n.attrs.count("kernel")) return "";
  const Dims &k = n.attrDims("kernel"), &s = n.attrDims("stride");
  std::string stride = s[0] == s[1] ? std::to_string(s[0]) : dimsString(s);
  return fmt::format("{}/{}", dimsString(k), stride);
}

std::vector<BlockSummary> blocksOf(const Summary &summary) {
  std::vector<BlockSummary> blocks;
  for (const LayerSummary &l : summary.layers) {
    if (l.node->block.empty()) continue;
    if (blocks.empty() || blocks.back().instance != l.node->block)
      blocks.push_back(BlockSummary{l.node->block, l.node->blockType, {}});
    BlockSummary &b = blocks.back();
    b.layers.push_back(&l);
    b.weights += l.weights;
    b.biases += l.biases;
    b.macs += l.macs;
  }
  return blocks;
}

/// Table-1 columns: the local names of the convolutions inside blocks, in first-seen order.
std::vector<std::string> blockColumns(const std::vector<BlockSummary> &blocks) {
  std::vector<std::string> columns;
  for (const BlockSummary &b : blocks)
    for (const LayerSummary *l : b.layers)
      if (l->node->op == OpKind::Conv &&
          std::find(columns.begin(), columns.end(), localName(*l->node)) == columns.end())
        columns.push_back(localName(*l->node));
  return columns;
}

constexpr const char *kRowFormat = "{:<28} {:<12} {:<9} {:<12} {} {:>11} {:>15}\n";

std::string columnCells(const std::vector<std::string> &columns, const BlockSummary *block) {
  std::string cells;
  for (const std::string &c : columns) {
    std::string cell;
    if (block)
      for (const LayerSummary *l : block->layers)
        if (l->node->op == OpKind::Conv && localName(*l->node) == c) cell = std::to_string(l->node->attrInt("out"));
    cells += fmt::format("{:>{}} ", cell, std::max<size_t>(c.size() + 1, 5));
  }
  return cells;
}

std::string columnHeaders(const std::vector<std::string> &columns) {
  std::string cells;
  for (const std::string &c : columns) cells += fmt::format("{:>{}} ", "#" + c, std::max<size_t>(c.size() + 1, 5));
  return cells;
}

std::string layerRow(const LayerSummary &l, const std::vector<std::string> &columns, bool indent) {
  const Node &n = *l.node;
  return fmt::format(kRowFormat, (indent ? "  " : "") + n.name, n.opLabel(), patchStride(n), outputSize(n.shape),
                     columnCells(columns, nullptr), l.weights ? grouped(l.weights) : "",
                     l.macs ? grouped(l.macs) : "");
}

}  // namespace

Summary summarize(const Graph &graph) {
  Summary s;
  for (const auto &node : graph.nodes()) {
    LayerSummary l{node.get()};
    for (const ParamSpec &p : paramsOf(*node)) (p.info().kind == ParamKind::Bias ? l.biases : l.weights) += numel(p.shape);
    l.macs = macsOf(*node);
    s.weights += l.weights;
    s.biases += l.biases;
    s.macs += l.macs;
    s.layers.push_back(l);
  }
  return s;
}

std::string summaryText(const Graph &graph, const Summary &summary) {
  std::vector<BlockSummary> blocks = blocksOf(summary);
  std::vector<std::string> columns = blockColumns(blocks);
  std::string out = fmt::format("{} (batch {}): {} layers\n", graph.name, graph.batch, summary.layers.size());
  out += fmt::format(kRowFormat, "layer", "type", "patch", "output", columnHeaders(columns), "weights", "MACs");
  size_t nextBlock = 0;
  for (const LayerSummary &l : summary.layers) {
    bool inBlock = !l.node->block.empty();
    if (inBlock && nextBlock < blocks.size() && blocks[nextBlock].layers.front() == &l) {
      const BlockSummary &b = blocks[nextBlock++];
      out += fmt::format(kRowFormat, b.instance, b.type, "", outputSize(b.layers.back()->node->shape),
                         columnCells(columns, &b), grouped(b.weights), grouped(b.macs));
    }
    out += layerRow(l, columns, inBlock);
  }
  out += fmt::format("total: {} weights (+{} biases), {} multiply-adds\n", grouped(summary.weights),
                     grouped(summary.biases), grouped(summary.macs));
  return out;
}

std::string summaryJson(const Graph &graph, const Summary &summary) {
  using nlohmann::json;
  json layers = json::array(), blocks = json::array();
  for (const LayerSummary &l : summary.layers) {
    const Node &n = *l.node;
    layers.push_back({{"name", n.name}, {"op", n.info().name},
                      {"block", n.block.empty() ? json(nullptr) : json(n.block)}, {"output", n.shape},
                      {"weights", l.weights}, {"biases", l.biases}, {"macs", l.macs}});
  }
  for (const BlockSummary &b : blocksOf(summary)) {
    json convs = json::object();
    for (const LayerSummary *l : b.layers)
      if (l->node->op == OpKind::Conv) convs[localName(*l->node)] = l->node->attrInt("out");
    blocks.push_back({{"name", b.instance}, {"type", b.type}, {"output", b.layers.back()->node->shape},
                      {"convs", convs}, {"weights", b.weights}, {"biases", b.biases}, {"macs", b.macs}});
  }
  json total = {{"layers", summary.layers.size()}, {"weights", summary.weights}, {"biases", summary.biases},
                {"macs", summary.macs}};
  json doc = {{"model", graph.name}, {"batch", graph.batch}, {"layers", layers}, {"blocks", blocks}, {"total", total}};
  return doc.dump(2) + "\n";
}

}  // namespace deeper
