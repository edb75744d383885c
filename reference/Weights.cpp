#include "reference/Weights.h"

#include "ir/OpParams.h"
#include "support/Hash.h"

#include <cmath>

namespace deeper {
namespace {

struct SplitMix64 {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  float uniform01() { return static_cast<float>(next() >> 40) * (1.0f / 16777216.0f); }
};

Tensor uniformTensor(const Dims &shape, const std::string &name, uint64_t seed, float bound) {
  Tensor t(shape);
  SplitMix64 rng{seed ^ fnv1a64(name)};
  for (float &v : t.data) v = (2.0f * rng.uniform01() - 1.0f) * bound;
  return t;
}

Tensor seededTensor(const std::string &name, const ParamSpec &spec, uint64_t seed) {
  double fanIn = static_cast<double>(std::max<int64_t>(1, spec.fanIn));
  switch (spec.info().kind) {
    case ParamKind::Scale: {  // batchnorm scale and variance, arithmetic constants: near one, never a divisor near 0
      Tensor t = uniformTensor(spec.shape, name, seed, 0.25f);
      for (float &v : t.data) v = 1.0f + std::fabs(v);
      return t;
    }
    case ParamKind::Mean: return uniformTensor(spec.shape, name, seed, 0.25f);
    case ParamKind::Filter: return uniformTensor(spec.shape, name, seed, static_cast<float>(std::sqrt(6.0 / fanIn)));  // He
    case ParamKind::Bias: break;
  }
  return uniformTensor(spec.shape, name, seed, static_cast<float>(1.0 / std::sqrt(fanIn)));
}

}  // namespace

TensorMap initWeights(const Graph &graph, uint64_t seed) {
  TensorMap weights;
  for (const auto &node : graph.nodes())
    for (const ParamSpec &spec : paramsOf(*node)) {
      std::string name = spec.tensorName(*node);
      weights.emplace(name, seededTensor(name, spec, seed));
    }
  return weights;
}

Tensor syntheticInput(const Dims &shape, const std::string &name, uint64_t seed) {
  return uniformTensor(shape, name, seed, 1.0f);
}

void checkWeights(const Graph &graph, const TensorMap &weights, const std::string &source, bool complete) {
  for (const auto &node : graph.nodes())
    for (const ParamSpec &spec : paramsOf(*node)) {
      std::string name = spec.tensorName(*node);
      auto it = weights.find(name);
      if (it == weights.end() && !complete) continue;
      if (it == weights.end())
        fail(fmt::format("{} has no tensor '{}' (f32[{}]) for layer '{}'", source, name, fmt::join(spec.shape, ","), node->name));
      if (it->second.shape != spec.shape)
        fail(fmt::format("{}: tensor '{}' is f32[{}], layer '{}' needs f32[{}]", source, name,
                         fmt::join(it->second.shape, ","), node->name, fmt::join(spec.shape, ",")));
    }
}

TensorMap loadWeights(const Graph &graph, const std::string &path) {
  TensorMap weights = readSafetensors(path);
  checkWeights(graph, weights, fmt::format("'{}'", path));
  return weights;
}

}  // namespace deeper
