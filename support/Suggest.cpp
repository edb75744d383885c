#include "support/Suggest.h"

#include <fmt/format.h>

#include <algorithm>

namespace deeper {
namespace {

/// Optimal string alignment distance: insertions, deletions, substitutions and adjacent transpositions.
size_t editDistance(const std::string &a, const std::string &b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i)
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t substitution = d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, substitution});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.size()][b.size()];
}

}  // namespace

std::string closestName(const std::string &word, const std::vector<std::string> &candidates) {
  if (word.empty() || word.size() > 200) return "";  // a pasted paragraph is no slip, and the table stays small
  size_t allowed = std::max<size_t>(1, word.size() / 3), best = allowed + 1;
  std::string closest;
  for (const std::string &c : candidates) {
    if (c == word || c.size() > 200) continue;
    size_t distance = word.size() >= 3 && c.size() > word.size() + 2 && c.compare(0, word.size(), word) == 0 ? allowed : editDistance(word, c);
    if (distance < best) best = distance, closest = c;
  }
  return closest;
}

std::string didYouMean(const std::string &word, const std::vector<std::string> &candidates) {
  std::string closest = closestName(word, candidates);
  return closest.empty() ? "" : fmt::format("; did you mean '{}'?", closest);
}

}  // namespace deeper
