// A per-layer summary in the spirit of Table 1 of "Going Deeper with Convolutions": type, patch/stride,
// output size, the widths of each block's convolutions (#1x1, #3x3_reduce, ... for inception), weights
// (biases counted apart) and multiply-adds.
#pragma once

#include "ir/Graph.h"

#include <string>
#include <vector>

namespace deeper {

struct LayerSummary {
  const Node *node;
  int64_t weights = 0;  ///< learned weights, biases excluded
  int64_t biases = 0;
  int64_t macs = 0;     ///< multiply-adds of conv and fc
};

struct BlockSummary {
  std::string instance, type;
  std::vector<const LayerSummary *> layers;
  int64_t weights = 0, biases = 0, macs = 0;
};

struct Summary {
  std::vector<LayerSummary> layers;  ///< graph order
  int64_t weights = 0, biases = 0, macs = 0;
};

Summary summarize(const Graph &graph);

/// The table for people: layers grouped under a row per block instance, totals last.
std::string summaryText(const Graph &graph, const Summary &summary);

/// {"layers":[{"name","op","block","output","weights","biases","macs"}],"blocks":[...],"total":{...}}
std::string summaryJson(const Graph &graph, const Summary &summary);

}  // namespace deeper
