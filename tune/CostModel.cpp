#include "tune/CostModel.h"

#include "ir/OpParams.h"

#include <fmt/format.h>

#include <cmath>

namespace deeper {
namespace {

constexpr double kRidge = 1.0;  // prior strength, in observations' worth

/// The op family ("conv", "conv/winograd2", "conv/winograd4" have different costs) and map size class of a kernel.
std::pair<std::string, std::string> kernelClass(const Kernel &k, const Schedule &s) {
  std::string family = k.node->info().name;
  if (s.winograd) family += fmt::format("/winograd{}", s.winograd);
  const Dims shape = k.node->op == OpKind::Conv ? convOutputShape(*k.node) : k.node->shape;
  int64_t pixels = shape.size() >= 4 ? shape[2] * shape[3] : 1;
  return {family, pixels <= 196 ? "small-map" : "large-map"};
}

/// Solves (A + kRidge I) x = b in place by Gauss-Jordan elimination (A symmetric positive semidefinite,
/// so the ridge term keeps every pivot positive).
std::vector<double> solveRidge(std::vector<std::vector<double>> a, std::vector<double> b) {
  size_t n = b.size();
  for (size_t i = 0; i < n; ++i) a[i][i] += kRidge;
  for (size_t col = 0; col < n; ++col) {
    size_t pivot = col;
    for (size_t r = col + 1; r < n; ++r)
      if (std::fabs(a[r][col]) > std::fabs(a[pivot][col])) pivot = r;
    std::swap(a[col], a[pivot]), std::swap(b[col], b[pivot]);
    double p = a[col][col];
    for (size_t r = 0; r < n; ++r) {
      if (r == col || a[r][col] == 0) continue;
      double f = a[r][col] / p;
      for (size_t c = col; c < n; ++c) a[r][c] -= f * a[col][c];
      b[r] -= f * b[col];
    }
  }
  for (size_t i = 0; i < n; ++i) b[i] /= a[i][i];
  return b;
}

}  // namespace

std::vector<std::string> scheduleFeatures(const Kernel &kernel, const Schedule &s) {
  auto [family, size] = kernelClass(kernel, s);
  std::vector<std::string> out;
  for (const std::string &field : {fmt::format("vector={}", s.vector), fmt::format("tile_c={}", s.tileChannels),
                                   fmt::format("tile_x={}", s.tileWidth), fmt::format("chunk_i={}", s.chunkInputs),
                                   fmt::format("block_tasks={}", s.blockTasks), fmt::format("parallel={}", s.parallel)}) {
    out.push_back(family + ":" + field);
    out.push_back(family + ":" + size + ":" + field);
  }
  return out;
}

void CostModel::fit(const std::vector<KernelObservation> &observations) {
  std::map<std::string, size_t> index;
  std::vector<std::vector<size_t>> rows;
  for (const KernelObservation &o : observations) {
    rows.emplace_back();
    for (const std::string &f : scheduleFeatures(*o.kernel, o.schedule)) rows.back().push_back(index.insert({f, index.size()}).first->second);
  }
  size_t n = index.size();
  std::vector<std::vector<double>> a(n, std::vector<double>(n, 0.0));
  std::vector<double> b(n, 0.0);
  for (size_t r = 0; r < rows.size(); ++r)
    for (size_t i : rows[r]) {
      b[i] += observations[r].logRelativeTime;
      for (size_t j : rows[r]) a[i][j] += 1;
    }
  std::vector<double> x = n ? solveRidge(std::move(a), std::move(b)) : std::vector<double>{};
  weights_.clear();
  for (const auto &[feature, i] : index) weights_[feature] = x[i];
  observations_ = observations.size();
}

double CostModel::predict(const Kernel &kernel, const Schedule &s) const {
  double sum = 0;
  for (const std::string &f : scheduleFeatures(kernel, s)) {
    auto it = weights_.find(f);
    if (it != weights_.end()) sum += it->second;
  }
  return sum;
}

}  // namespace deeper

