// The --top5 line, header-only so that `deeper run` and compiled executables print exactly the same:
//   prob[0] top-5:  722:0.098729  865:0.050353 ...
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <numeric>
#include <string>
#include <vector>

#include "printable.h"

namespace deeper {

/// The line for row `row` of `name`: the five largest of `values[0..count)`, index and value, best first.
inline std::string top5Line(const std::string &name, int64_t row, const float *values, int64_t count) {
  std::vector<int64_t> idx(static_cast<size_t>(count));
  std::iota(idx.begin(), idx.end(), 0);
  int64_t k = std::min<int64_t>(5, count);
  std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), [&](int64_t a, int64_t b) { return values[a] > values[b]; });
  char item[64];
  std::snprintf(item, sizeof item, "[%lld] top-%lld:", static_cast<long long>(row), static_cast<long long>(k));
  std::string line = printableText(name) + item;
  for (int64_t i = 0; i < k; ++i) {
    std::snprintf(item, sizeof item, "  %lld:%.6f", static_cast<long long>(idx[i]), values[idx[i]]);
    line += item;
  }
  return line + "\n";
}

}  // namespace deeper
