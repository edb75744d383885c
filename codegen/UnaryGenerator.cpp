// Elementwise functions of one value: a relu that no epilogue absorbed, and unary's functions
// (activations, exp and friends). Each sample's values are one row, whatever their layout.
#include "codegen/Generators.h"

#include <functional>
#include <limits>

namespace deeper::codegen {

using namespace Halide;

namespace {

// Halide compiles float code assuming no NaNs and no infinities: LLVM folds x != x, x == inf and
// selects of NaN constants away, in the vector tails' scalar code at least (is_nan did not survive
// there). So these test and make the special values through their bits, which no float flag touches.
Expr bits(Expr x) { return reinterpret(UInt(32), x); }
Expr u32(uint32_t v) { return Internal::make_const(UInt(32), v); }
Expr isNaN(Expr x) { return (bits(x) & u32(0x7fffffff)) > u32(0x7f800000); }
Expr isPlusInfinity(Expr x) { return bits(x) == u32(0x7f800000); }
Expr isInfinity(Expr x) { return (bits(x) & u32(0x7fffffff)) == u32(0x7f800000); }
const Expr kInfinity = reinterpret(Float(32), u32(0x7f800000));
const Expr kNaN = reinterpret(Float(32), u32(0x7fc00000));

/// `special` where `is`, else `otherwise`: a select of their bits, which no float flag folds.
Expr pick(Expr is, Expr special, Expr otherwise) { return reinterpret(Float(32), select(is, bits(special), bits(otherwise))); }

}  // namespace

Expr ieeeExp(Expr x) {
  // float's exp overflows above log(FLT_MAX) = 88.7228; Halide's gives inf there, but 0 for inf itself.
  return pick(isNaN(x), x, pick(isPlusInfinity(x) || x > 88.8f, kInfinity, exp(x)));
}

Expr ieeeLog(Expr x) { return pick(isNaN(x) || isPlusInfinity(x), x, log(x)); }

Expr ieeeErf(Expr x) {
  // erf is 1 to float precision from 4 on: the clamp keeps the polynomial's argument finite.
  return pick(isNaN(x), x, erf(clamp(x, -8.0f, 8.0f)));
}

Expr ieeePow(Expr a, Expr b) {
  // |a|^b as exp(b log|a|), which gives 0 and inf at the extremes (0^-1, 2^inf, 0.5^-inf) where
  // Halide's pow gives 0. A base with its sign bit set (-0 and -inf too) keeps the sign for odd
  // integer exponents; a finite negative base has no real power for a fractional exponent.
  // Infinite exponents count as even.
  Expr magnitude = ieeeExp(b * ieeeLog(abs(a)));
  Expr integral = !isInfinity(b) && b == floor(b), odd = integral && floor(b * 0.5f) * 2.0f != b;
  Expr negative = (bits(a) >> 31) == u32(1), finiteNonzero = !isInfinity(a) && a != 0.0f;
  Expr signedPower = pick(negative && odd, -magnitude, magnitude);
  return pick(a == 1.0f || b == 0.0f || (a == -1.0f && isInfinity(b)), 1.0f,  // even 1^NaN, NaN^0 and (-1)^(+-inf)
              pick(isNaN(a) || isNaN(b) || (negative && finiteNonzero && !integral && !isInfinity(b)), kNaN, signedPower));
}

Expr nanMax(Expr a, Expr b) { return pick(isNaN(a) || isNaN(b), kNaN, max(a, b)); }
Expr nanMin(Expr a, Expr b) { return pick(isNaN(a) || isNaN(b), kNaN, min(a, b)); }

Expr applyUnary(const UnaryParams &u, Expr x) {
  auto f = [](double v) { return Expr(static_cast<float>(v)); };
  switch (u.fn) {
    case UnaryFn::Sigmoid: return 1.0f / (1.0f + ieeeExp(-x));
    case UnaryFn::Tanh: return tanh(x);
    case UnaryFn::Exp: return ieeeExp(x);
    case UnaryFn::Log: return ieeeLog(x);
    case UnaryFn::Sqrt: return sqrt(x);
    case UnaryFn::Neg: return -x;
    case UnaryFn::Abs: return abs(x);
    case UnaryFn::Erf: return ieeeErf(x);
    case UnaryFn::Clip: return clamp(x, f(u.lo), f(u.hi));
    case UnaryFn::LeakyRelu: return select(x < 0.0f, f(u.alpha) * x, x);
    case UnaryFn::HardSigmoid: return clamp(f(u.alpha) * x + f(u.beta), 0.0f, 1.0f);
    case UnaryFn::HardSwish: return x * clamp(x / 6.0f + 0.5f, 0.0f, 1.0f);
  }
  return Expr();
}

namespace {

/// `fn` of input 0 over rows of values (per sample), vectorised along them (on a GPU a thread each).
Func elementwise(const Kernel &k, const ImageParam &input, const std::function<Expr(Expr)> &fn, const char *name) {
  Var f("f"), n("n");
  Func out(name);
  out(f, n) = fn(input(f, n));
  if (k.schedule.gpu) {
    gpuPerElement(out, k.schedule);
    return out;
  }
  out.vectorize(f, k.schedule.vector, TailStrategy::GuardWithIf);
  if (k.schedule.parallel) out.parallel(n);
  return out;
}

}  // namespace

Func generateUnary(const Kernel &k, const std::vector<ImageParam> &p) {
  return elementwise(k, p[0], [&](Expr x) { return pointwiseValue(*k.node, x, Expr()); }, k.node->info().name);
}

}  // namespace deeper::codegen
