// Elementwise functions of one value: a relu that no epilogue absorbed, and unary's functions
// (activations, exp and friends). Each sample's values are one row, whatever their layout.
#include "codegen/Generators.h"

#include <functional>

namespace deeper::codegen {

using namespace Halide;

Expr applyUnary(const UnaryParams &u, Expr x) {
  auto f = [](double v) { return Expr(static_cast<float>(v)); };
  switch (u.fn) {
    case UnaryFn::Sigmoid: return 1.0f / (1.0f + exp(-x));
    case UnaryFn::Tanh: return tanh(x);
    case UnaryFn::Exp: return exp(x);
    case UnaryFn::Log: return log(x);
    case UnaryFn::Sqrt: return sqrt(x);
    case UnaryFn::Neg: return -x;
    case UnaryFn::Abs: return abs(x);
    case UnaryFn::Erf: return erf(x);
    case UnaryFn::Clip: return clamp(x, f(u.lo), f(u.hi));
    case UnaryFn::LeakyRelu: return select(x < 0.0f, f(u.alpha) * x, x);
    case UnaryFn::HardSigmoid: return clamp(f(u.alpha) * x + f(u.beta), 0.0f, 1.0f);
    case UnaryFn::HardSwish: return x * clamp(x / 6.0f + 0.5f, 0.0f, 1.0f);
  }
  return Expr();
}

namespace {

/// `fn` of input 0 over rows of values (per sample), vectorised along them.
Func elementwise(const Kernel &k, const ImageParam &input, const std::function<Expr(Expr)> &fn, const char *name) {
  Var f("f"), n("n");
  Func out(name);
  out(f, n) = fn(input(f, n));
  out.vectorize(f, k.schedule.vector, TailStrategy::GuardWithIf);
  if (k.schedule.parallel) out.parallel(n);
  return out;
}

}  // namespace

Func generateRelu(const Kernel &k, const std::vector<ImageParam> &p) {
  return elementwise(k, p[0], [](Expr x) { return max(x, 0.0f); }, "relu");
}

Func generateUnary(const Kernel &k, const std::vector<ImageParam> &p) {
  UnaryParams u = UnaryParams::of(*k.node);
  return elementwise(k, p[0], [&](Expr x) { return applyUnary(u, x); }, "unary");
}

}  // namespace deeper::codegen
