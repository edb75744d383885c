#include "reference/Kernels.h"

#include "support/Diagnostics.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace deeper::reference {
namespace {

/// Strides of an N,C,H,W tensor.
struct Nchw {
  int64_t n, c, h, w;
  explicit Nchw(const Dims &s) : n(s.at(0)), c(s.at(1)), h(s.at(2)), w(s.at(3)) {}
  int64_t at(int64_t in, int64_t ic, int64_t iy, int64_t ix) const { return ((in * c + ic) * h + iy) * w + ix; }
};

/// Dims split around `axis`: outer * extent * inner == numel.
struct AxisSplit {
  int64_t outer = 1, extent, inner = 1;
  AxisSplit(const Dims &s, int64_t axis) : extent(s.at(axis)) {
    for (int64_t d = 0; d < axis; ++d) outer *= s[d];
    for (size_t d = axis + 1; d < s.size(); ++d) inner *= s[d];
  }
};

/// A pooling output: value(n, c, y0, x0) for each window, (y0, x0) its top-left corner in the unpadded input.
template <typename WindowValue>
Tensor pool(const Tensor &x, const PoolParams &p, WindowValue value) {
  Nchw in(x.shape);
  Tensor y({in.n, in.c, windowOutputSize(in.h, p.win.extentH(), p.win.sh, p.win.ph, p.win.phEnd, p.ceil),
            windowOutputSize(in.w, p.win.extentW(), p.win.sw, p.win.pw, p.win.pwEnd, p.ceil)});
  Nchw out(y.shape);
  for (int64_t n = 0; n < in.n; ++n)
    for (int64_t c = 0; c < in.c; ++c)
      for (int64_t oy = 0; oy < out.h; ++oy)
        for (int64_t ox = 0; ox < out.w; ++ox)
          y.data[out.at(n, c, oy, ox)] = value(n, c, oy * p.win.sh - p.win.ph, ox * p.win.sw - p.win.pw);
  return y;
}

/// For tap (ky, kx) of window `w`: f(y, x, ty, tx) for every pixel (y, x) of `from` whose tap pixel
/// ty = y * sh - ph + ky * dh (and so along x) lies inside `to`. A conv reads input pixel t for output
/// pixel (y, x); a transposed conv writes output pixel t for input pixel (y, x).
template <typename F>
void forEachTapPair(const Window2d &w, int64_t ky, int64_t kx, const Nchw &from, const Nchw &to, F f) {
  for (int64_t y = 0; y < from.h; ++y) {
    int64_t ty = y * w.sh - w.ph + ky * w.dh;
    if (ty < 0 || ty >= to.h) continue;
    for (int64_t x = 0; x < from.w; ++x) {
      int64_t tx = x * w.sw - w.pw + kx * w.dw;
      if (tx >= 0 && tx < to.w) f(y, x, ty, tx);
    }
  }
}

/// The conv's epilogue on a biased sum: relu (bounded by relu_max) or its activation.
double convEpilogue(const ConvParams &p, double a) {
  if (p.relu) return std::min(std::max(a, 0.0), p.reluMax);
  if (p.activation == ConvActivation::None) return a;
  double activated = unaryValue(p.activationUnary(), a);
  return p.activation == ConvActivation::Silu ? a * activated : activated;
}

}  // namespace

Tensor conv2d(const Tensor &x, const Tensor &weight, const Tensor *bias, const ConvParams &p, const Tensor *residual) {
  Nchw in(x.shape);
  const Window2d &w = p.win;
  int64_t groupIn = in.c / p.groups, groupOut = p.out / p.groups;
  DEEPER_CHECK(weight.shape == Dims({p.out, groupIn, w.kh, w.kw}), "conv weight shape {}", dimsString(weight.shape));
  Tensor y({in.n, p.out, windowOutputSize(in.h, w.extentH(), w.sh, w.ph, w.phEnd, false),
            windowOutputSize(in.w, w.extentW(), w.sw, w.pw, w.pwEnd, false)});
  Nchw out(y.shape);
  DEEPER_CHECK(!residual || residual->shape == y.shape, "conv residual shape {}", dimsString(residual->shape));
  std::vector<double> acc(out.h * out.w);
  for (int64_t n = 0; n < in.n; ++n)
    for (int64_t oc = 0; oc < p.out; ++oc) {
      std::fill(acc.begin(), acc.end(), bias ? bias->data[oc] : 0.0);
      for (int64_t gi = 0; gi < groupIn; ++gi)
        for (int64_t ky = 0; ky < w.kh; ++ky)
          for (int64_t kx = 0; kx < w.kw; ++kx) {
            int64_t ic = oc / groupOut * groupIn + gi;  // output group g reads input group g
            double wv = weight.data[((oc * groupIn + gi) * w.kh + ky) * w.kw + kx];
            forEachTapPair(w, ky, kx, out, in, [&](int64_t oy, int64_t ox, int64_t iy, int64_t ix) {
              acc[oy * out.w + ox] += wv * x.data[in.at(n, ic, iy, ix)];
            });
          }
      for (int64_t i = 0; i < out.h * out.w; ++i) {
        int64_t at = out.at(n, oc, 0, 0) + i;
        y.data[at] = static_cast<float>(convEpilogue(p, acc[i] + (residual ? residual->data[at] : 0.0)));
      }
    }
  return y;
}

Tensor convTranspose2d(const Tensor &x, const Tensor &weight, const Tensor *bias, const ConvTransposeParams &p) {
  Nchw in(x.shape);
  const Window2d &w = p.win;
  int64_t groupIn = in.c / p.groups, groupOut = p.out / p.groups;
  DEEPER_CHECK(weight.shape == Dims({in.c, groupOut, w.kh, w.kw}), "conv_transpose weight shape {}", dimsString(weight.shape));
  Tensor y({in.n, p.out, p.outputH(in.h), p.outputW(in.w)});
  Nchw out(y.shape);
  std::vector<double> acc(static_cast<size_t>(y.numel()), 0.0);
  for (int64_t n = 0; n < in.n; ++n)
    for (int64_t ic = 0; ic < in.c; ++ic)
      for (int64_t go = 0; go < groupOut; ++go) {
        int64_t oc = ic / groupIn * groupOut + go;  // input group g writes output group g
        for (int64_t ky = 0; ky < w.kh; ++ky)
          for (int64_t kx = 0; kx < w.kw; ++kx) {
            double wv = weight.data[((ic * groupOut + go) * w.kh + ky) * w.kw + kx];
            forEachTapPair(w, ky, kx, in, out, [&](int64_t iy, int64_t ix, int64_t oy, int64_t ox) {  // conv's relation, turned around
              acc[out.at(n, oc, oy, ox)] += wv * x.data[in.at(n, ic, iy, ix)];
            });
          }
      }
  for (int64_t i = 0; i < y.numel(); ++i) y.data[i] = static_cast<float>(acc[i] + (bias ? bias->data[(i / (out.h * out.w)) % p.out] : 0.0));
  return y;
}

Tensor maxPool2d(const Tensor &x, const PoolParams &p) {
  Nchw in(x.shape);
  return pool(x, p, [&](int64_t n, int64_t c, int64_t y0, int64_t x0) {
    float m = -std::numeric_limits<float>::infinity();
    for (int64_t ky = 0; ky < p.win.kh; ++ky)
      for (int64_t kx = 0; kx < p.win.kw; ++kx) {
        int64_t iy = y0 + ky * p.win.dh, ix = x0 + kx * p.win.dw;
        if (iy >= 0 && iy < in.h && ix >= 0 && ix < in.w) m = std::max(m, x.data[in.at(n, c, iy, ix)]);
      }
    return m;
  });
}

Tensor avgPool2d(const Tensor &x, const PoolParams &p) {
  Nchw in(x.shape);
  return pool(x, p, [&](int64_t n, int64_t c, int64_t y0, int64_t x0) {
    int64_t y1 = std::min(y0 + p.win.kh, in.h + p.win.phEnd), x1 = std::min(x0 + p.win.kw, in.w + p.win.pwEnd);
    double sum = 0;
    int64_t inside = 0;
    for (int64_t iy = std::max<int64_t>(y0, 0); iy < std::min(y1, in.h); ++iy)
      for (int64_t ix = std::max<int64_t>(x0, 0); ix < std::min(x1, in.w); ++ix, ++inside) sum += x.data[in.at(n, c, iy, ix)];
    return static_cast<float>(sum / static_cast<double>(p.excludePad ? inside : (y1 - y0) * (x1 - x0)));
  });
}

Tensor lrn(const Tensor &x, const LrnParams &p) {
  Nchw in(x.shape);
  Tensor y(x.shape);
  int64_t half = p.size / 2;
  for (int64_t n = 0; n < in.n; ++n)
    for (int64_t c = 0; c < in.c; ++c)
      for (int64_t iy = 0; iy < in.h; ++iy)
        for (int64_t ix = 0; ix < in.w; ++ix) {
          double sum = 0;
          for (int64_t cc = std::max<int64_t>(0, c - half); cc <= std::min(in.c - 1, c + half); ++cc) {
            double v = x.data[in.at(n, cc, iy, ix)];
            sum += v * v;
          }
          double scale = p.k + p.alpha / static_cast<double>(p.size) * sum;
          int64_t i = in.at(n, c, iy, ix);
          y.data[i] = static_cast<float>(x.data[i] / std::pow(scale, p.beta));
        }
  return y;
}

Tensor relu(const Tensor &x) {
  Tensor y = x;
  for (float &v : y.data) v = std::max(v, 0.0f);
  return y;
}

double unaryValue(const UnaryParams &u, double a) {
  switch (u.fn) {
    case UnaryFn::Sigmoid: return 1.0 / (1.0 + std::exp(-a));
    case UnaryFn::Tanh: return std::tanh(a);
    case UnaryFn::Exp: return std::exp(a);
    case UnaryFn::Log: return std::log(a);
    case UnaryFn::Sqrt: return std::sqrt(a);
    case UnaryFn::Neg: return -a;
    case UnaryFn::Abs: return std::fabs(a);
    case UnaryFn::Erf: return std::erf(a);
    case UnaryFn::Clip: return std::min(std::max(a, u.lo), u.hi);
    case UnaryFn::LeakyRelu: return a < 0 ? u.alpha * a : a;
    case UnaryFn::HardSigmoid: return std::min(1.0, std::max(0.0, u.alpha * a + u.beta));
    case UnaryFn::HardSwish: return a * std::min(1.0, std::max(0.0, a / 6.0 + 0.5));
  }
  return a;
}

Tensor unary(const Tensor &x, const UnaryParams &u) {
  Tensor y = x;
  for (float &v : y.data) v = static_cast<float>(unaryValue(u, v));
  return y;
}

Tensor batchNorm(const Tensor &x, const Tensor &scale, const Tensor &bias, const Tensor &mean, const Tensor &var, double epsilon) {
  Tensor y(x.shape);
  AxisSplit s(x.shape, 1);
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t c = 0; c < s.extent; ++c) {
      double k = scale.data[c] / std::sqrt(static_cast<double>(var.data[c]) + epsilon);
      for (int64_t i = 0; i < s.inner; ++i) {
        int64_t at = (o * s.extent + c) * s.inner + i;
        y.data[at] = static_cast<float>((x.data[at] - mean.data[c]) * k + bias.data[c]);
      }
    }
  return y;
}

Tensor concat(const std::vector<const Tensor *> &xs, int64_t axis, bool interleave) {
  Dims shape = xs.at(0)->shape;
  shape[axis] = 0;
  for (const Tensor *x : xs) shape[axis] += x->shape[axis];
  Tensor y(shape);
  AxisSplit out(shape, axis);
  const int64_t k = static_cast<int64_t>(xs.size());
  int64_t offset = 0;  // where this input starts along the axis (interleaved: its first index)
  for (const Tensor *x : xs) {
    AxisSplit in(x->shape, axis);
    for (int64_t o = 0; o < in.outer; ++o) {
      auto from = x->data.begin() + o * in.extent * in.inner;
      if (!interleave) {
        std::copy_n(from, in.extent * in.inner, y.data.begin() + (o * out.extent + offset) * out.inner);
        continue;
      }
      for (int64_t j = 0; j < in.extent; ++j)  // index j goes to j*k + offset
        std::copy_n(from + j * in.inner, in.inner, y.data.begin() + (o * out.extent + j * k + offset) * out.inner);
    }
    offset += interleave ? 1 : in.extent;
  }
  return y;
}

Tensor sliceChannels(const Tensor &x, int64_t begin, int64_t end) {
  Dims shape = x.shape;
  shape[1] = end - begin;
  Tensor y(shape);
  AxisSplit in(x.shape, 1), out(shape, 1);
  for (int64_t o = 0; o < in.outer; ++o)
    std::copy_n(x.data.begin() + (o * in.extent + begin) * in.inner, out.extent * out.inner, y.data.begin() + o * out.extent * out.inner);
  return y;
}

Tensor fullyConnected(const Tensor &x, const Tensor &weight, const Tensor *bias, bool applyRelu) {
  int64_t batch = x.shape.at(0), features = x.numel() / batch, outputs = weight.shape.at(0);
  DEEPER_CHECK(weight.shape == Dims({outputs, features}), "fc weight shape {}", dimsString(weight.shape));
  Tensor y({batch, outputs});
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t o = 0; o < outputs; ++o) {
      double acc = bias ? bias->data[o] : 0.0;
      for (int64_t i = 0; i < features; ++i) acc += static_cast<double>(weight.data[o * features + i]) * x.data[n * features + i];
      y.data[n * outputs + o] = static_cast<float>(applyRelu ? std::max(acc, 0.0) : acc);
    }
  return y;
}

Tensor softmax(const Tensor &x, int64_t axis, bool log) {
  Tensor y(x.shape);
  AxisSplit s(x.shape, axis);
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t i = 0; i < s.inner; ++i) {
      auto at = [&](int64_t e) { return (o * s.extent + e) * s.inner + i; };
      double m = -std::numeric_limits<double>::infinity(), sum = 0;
      for (int64_t e = 0; e < s.extent; ++e) m = std::max(m, static_cast<double>(x.data[at(e)]));
      for (int64_t e = 0; e < s.extent; ++e) sum += std::exp(x.data[at(e)] - m);
      for (int64_t e = 0; e < s.extent; ++e)
        y.data[at(e)] = static_cast<float>(log ? x.data[at(e)] - m - std::log(sum) : std::exp(x.data[at(e)] - m) / sum);
    }
  return y;
}

Tensor prelu(const Tensor &x, const Tensor &slope) {
  Tensor y(x.shape);
  AxisSplit s(x.shape, 1);
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t c = 0; c < s.extent; ++c)
      for (int64_t i = 0; i < s.inner; ++i) {
        size_t at = static_cast<size_t>((o * s.extent + c) * s.inner + i);
        float v = x.data[at];
        y.data[at] = v > 0 ? v : slope.data[static_cast<size_t>(c)] * v;
      }
  return y;
}

Tensor reduce(const Tensor &x, const ReduceParams &r, const Dims &out) {
  Tensor y(out);
  int64_t outer = 1, extent = 1, inner = 1;
  for (size_t d = 0; d < x.shape.size(); ++d) {
    int64_t a = static_cast<int64_t>(d);
    (a < r.first ? outer : a <= r.last ? extent : inner) *= x.shape[d];
  }
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      double acc = r.fn == ReduceFn::Max ? -std::numeric_limits<double>::infinity() : 0.0;
      for (int64_t e = 0; e < extent; ++e) {
        double v = x.data[static_cast<size_t>((o * extent + e) * inner + i)];
        acc = r.fn == ReduceFn::Max ? std::max(acc, v) : acc + v;
      }
      y.data[static_cast<size_t>(o * inner + i)] = static_cast<float>(r.fn == ReduceFn::Mean ? acc / static_cast<double>(extent) : acc);
    }
  return y;
}

namespace {

/// Row-major strides of `shape`, with 0 where an axis of size 1 is broadcast to `out` (aligned at the end).
std::vector<int64_t> broadcastStrides(const Dims &shape, const Dims &out) {
  std::vector<int64_t> strides(out.size(), 0);
  int64_t stride = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    size_t d = shape.size() - 1 - i, o = out.size() - 1 - i;
    strides[o] = shape[d] == 1 ? 0 : stride;
    stride *= shape[d];
  }
  return strides;
}

/// Calls f(index of each operand) for every element of `out` in C order.
template <typename F>
void forEachIndex(const Dims &out, const std::vector<std::vector<int64_t>> &strides, F f) {
  std::vector<int64_t> idx(out.size(), 0), offset(strides.size(), 0);
  int64_t total = checkedNumel(out).value();
  for (int64_t e = 0; e < total; ++e) {
    f(offset);
    for (size_t d = out.size(); d-- > 0;) {  // odometer increment, last axis fastest
      for (size_t k = 0; k < strides.size(); ++k) offset[k] += strides[k][d];
      if (++idx[d] < out[d]) break;
      for (size_t k = 0; k < strides.size(); ++k) offset[k] -= strides[k][d] * out[d];
      idx[d] = 0;
    }
  }
}

}  // namespace

Tensor binary(const Tensor &a, const Tensor &b, BinaryFn fn) {
  std::optional<Dims> shape = broadcastShapes(a.shape, b.shape);
  DEEPER_CHECK(shape.has_value(), "{} and {} do not broadcast", dimsString(a.shape), dimsString(b.shape));
  Tensor y(*shape);
  int64_t e = 0;
  forEachIndex(*shape, {broadcastStrides(a.shape, *shape), broadcastStrides(b.shape, *shape)}, [&](const std::vector<int64_t> &at) {
    double x = a.data[at[0]], z = b.data[at[1]];
    double r = 0;
    switch (fn) {
      case BinaryFn::Add: r = x + z; break;
      case BinaryFn::Sub: r = x - z; break;
      case BinaryFn::Mul: r = x * z; break;
      case BinaryFn::Div: r = x / z; break;
      case BinaryFn::Pow: r = std::pow(x, z); break;
      case BinaryFn::Max: r = std::isnan(x) || std::isnan(z) ? x + z : std::max(x, z); break;  // NaN if either is (numpy, ONNX)
      case BinaryFn::Min: r = std::isnan(x) || std::isnan(z) ? x + z : std::min(x, z); break;
    }
    y.data[e++] = static_cast<float>(r);
  });
  return y;
}

Tensor transpose(const Tensor &x, const Dims &perm) {
  std::vector<int64_t> strides = broadcastStrides(x.shape, x.shape), permuted;  // row-major strides of x
  Dims shape;
  for (int64_t a : perm) shape.push_back(x.shape[static_cast<size_t>(a)]), permuted.push_back(strides[static_cast<size_t>(a)]);
  Tensor y(shape);
  int64_t e = 0;
  forEachIndex(shape, {permuted}, [&](const std::vector<int64_t> &at) { y.data[e++] = x.data[at[0]]; });
  return y;
}

Tensor expand(const Tensor &x, const Dims &shape) {
  Tensor y(shape);
  int64_t e = 0;
  forEachIndex(shape, {broadcastStrides(x.shape, shape)}, [&](const std::vector<int64_t> &at) { y.data[e++] = x.data[at[0]]; });
  return y;
}

Tensor pad(const Tensor &x, const Dims &pads, const std::string &mode, float value) {
  size_t rank = x.shape.size();
  Dims shape = x.shape;
  for (size_t d = 0; d < rank; ++d) shape[d] += pads[d] + pads[d + rank];
  Tensor y(shape);
  std::vector<int64_t> idx(rank, 0);
  for (int64_t e = 0; e < y.numel(); ++e) {
    int64_t rest = e, source = 0;
    bool inside = true;
    for (size_t d = rank; d-- > 0;) {
      idx[d] = rest % shape[d] - pads[d];
      rest /= shape[d];
    }
    for (size_t d = 0; d < rank; ++d) {
      int64_t i = idx[d], n = x.shape[d];
      if (i < 0 || i >= n) {
        inside = mode != "constant";
        if (mode == "edge") i = std::clamp<int64_t>(i, 0, n - 1);
        if (mode == "reflect") i = i < 0 ? -i : 2 * (n - 1) - i;
        if (!inside) break;
      }
      source = source * n + i;
    }
    y.data[e] = inside ? x.data[source] : value;
  }
  return y;
}

Tensor matmul(const Tensor &x, const Tensor &weight, bool transA) {
  size_t ra = x.shape.size(), rb = weight.shape.size();
  int64_t m = x.shape[ra - (transA ? 1 : 2)], k = x.shape[ra - (transA ? 2 : 1)], n = weight.shape[rb - 1];
  DEEPER_CHECK(weight.shape[rb - 2] == k, "matmul inner sizes {} and {}", k, weight.shape[rb - 2]);
  Dims stackA(x.shape.begin(), x.shape.end() - 2), stackB(weight.shape.begin(), weight.shape.end() - 2);
  std::optional<Dims> broadcast = broadcastShapes(stackA, stackB);
  DEEPER_CHECK(broadcast.has_value(), "matmul stacks {} and {} do not broadcast", dimsString(stackA), dimsString(stackB));
  const Dims &stack = *broadcast;
  Dims shape = stack;
  shape.insert(shape.end(), {m, n});
  Tensor y(shape);
  int64_t e = 0;
  forEachIndex(stack, {broadcastStrides(stackA, stack), broadcastStrides(stackB, stack)}, [&](const std::vector<int64_t> &at) {
    const float *a = x.data.data() + at[0] * m * k, *b = weight.data.data() + at[1] * k * n;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double acc = 0;
        for (int64_t r = 0; r < k; ++r) acc += static_cast<double>(transA ? a[r * m + i] : a[i * k + r]) * b[r * n + j];
        y.data[e++] = static_cast<float>(acc);
      }
  });
  return y;
}

Tensor reshape(const Tensor &x, const Dims &shape) {
  Tensor y = x;
  y.shape = shape;
  DEEPER_CHECK(checkedNumel(shape) == x.numel(), "reshape to {} changes the element count", dimsString(shape));
  return y;
}

}  // namespace deeper::reference
