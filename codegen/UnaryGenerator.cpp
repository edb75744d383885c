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

/// `value` where `x` is NaN or +inf (x itself there), else `otherwise`; as a blend of bits.
Expr passSpecial(Expr x, Expr special, Expr otherwise) {
  return reinterpret(Float(32), select(special, bits(x), bits(otherwise)));
}

}  // namespace

Expr ieeeExp(Expr x) {
  // float's exp overflows above log(FLT_MAX) = 88.7228; Halide's gives inf there, but 0 for inf itself.
  return passSpecial(x, isNaN(x), select(x > 88.8f, kInfinity, exp(x)));
}

Expr ieeeLog(Expr x) { return passSpecial(x, isNaN(x) || isPlusInfinity(x), log(x)); }

Expr ieeeErf(Expr x) {
  // erf is 1 to float precision from 4 on: the clamp keeps the polynomial's argument finite.
  return passSpecial(x, isNaN(x), erf(clamp(x, -8.0f, 8.0f)));
}

Expr ieeePow(Expr a, Expr b) {
  // |a|^b as exp(b log|a|), which gives 0 and inf at the extremes (0^-1, 2^inf, 0.5^-inf) where
  // Halide's pow gives 0; a negative base keeps its sign for odd integer exponents and has no real
  // power for fractional ones. Infinite exponents count as even.
  Expr magnitude = ieeeExp(b * ieeeLog(abs(a)));
  Expr integral = b == floor(b), odd = integral && floor(b * 0.5f) * 2.0f != b;
  return select(a == 1.0f || b == 0.0f, 1.0f,  // even for a NaN exponent or base
                isNaN(a) || isNaN(b), kNaN,     //
                a == -1.0f && isInfinity(b), 1.0f,  // (-1)^(+-inf)
                a >= 0.0f, magnitude,           //
                !integral, kNaN,                //
                odd, -magnitude, magnitude);
}

Expr nanMax(Expr a, Expr b) { return select(isNaN(a) || isNaN(b), kNaN, max(a, b)); }
Expr nanMin(Expr a, Expr b) { return select(isNaN(a) || isNaN(b), kNaN, min(a, b)); }

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
