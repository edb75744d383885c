#include "frontend/OnnxFolding.h"

#include "support/Diagnostics.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <set>

namespace deeper {
namespace {

using Tensor = FoldedTensor;
using onnx::TensorProto;

/// Evaluates one node; errors name it.
class Folder {
 public:
  Folder(const onnx::NodeProto &n, const std::vector<const Tensor *> &in, int opset, const std::string &path)
      : n_(n), in_(in), opset_(opset), path_(path) {}

  std::vector<Tensor> run() {
    const std::string &op = n_.op_type();
    if (op == "Shape") return {shape()};
    if (op == "Gather") return {gather()};
    if (op == "Unsqueeze") return {unsqueeze()};
    if (op == "Squeeze") return {squeeze()};
    if (op == "Concat") return {concat()};
    if (op == "Cast") return {cast(input(0), static_cast<int32_t>(intAttr("to", TensorProto::FLOAT)))};
    if (op == "Equal") return {broadcast({&input(0), &input(1)}, TensorProto::BOOL, [](auto v) { return v[0] == v[1]; })};
    if (op == "Less") return {broadcast({&input(0), &input(1)}, TensorProto::BOOL, [](auto v) { return v[0] < v[1]; })};
    if (op == "Greater") return {broadcast({&input(0), &input(1)}, TensorProto::BOOL, [](auto v) { return v[0] > v[1]; })};
    if (op == "Not") return {broadcast({&input(0)}, TensorProto::BOOL, [](auto v) { return v[0] == 0; })};
    if (op == "Where") return {broadcast({&input(0), &input(1), &input(2)}, input(1).type, [](auto v) { return v[0] != 0 ? v[1] : v[2]; })};
    if (op == "ConstantOfShape") return {constantOfShape()};
    if (op == "Range") return {range()};
    if (op == "Slice") return {slice()};
    if (op == "Reshape") return {reshape()};
    if (op == "Identity") return {input(0)};
    if (op == "Transpose") return {transpose()};
    if (op == "Expand") return {expand()};
    if (op == "Neg") return {broadcast({&input(0)}, input(0).type, [](auto v) { return -v[0]; })};
    if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") return {arithmetic(op)};
    DEEPER_CHECK(false, "op '{}' is not foldable", op);  // isFoldableOp and this list disagree
    return {};
  }

 private:
  [[noreturn]] void bad(const std::string &what) const {
    fail(fmt::format("{}: node '{}' ({}): {}", path_, n_.name().empty() ? n_.output(0) : n_.name(), n_.op_type(), what));
  }

  const Tensor &input(size_t i) const {
    if (i >= in_.size() || !in_[i]) bad(fmt::format("input {} is missing", i));
    return *in_[i];
  }
  bool given(size_t i) const { return i < in_.size() && in_[i]; }

  const onnx::AttributeProto *attr(const char *name) const {
    for (const auto &a : n_.attribute())
      if (a.name() == name) return &a;
    return nullptr;
  }
  int64_t intAttr(const char *name, int64_t fallback) const {
    const onnx::AttributeProto *a = attr(name);
    return a ? a->i() : fallback;
  }
  std::vector<int64_t> intsAttr(const char *name) const {
    const onnx::AttributeProto *a = attr(name);
    return a ? std::vector<int64_t>(a->ints().begin(), a->ints().end()) : std::vector<int64_t>{};
  }

  /// The values of an integer input (axes, indices, a shape).
  std::vector<int64_t> ints(const Tensor &t) const {
    std::vector<int64_t> out;
    for (double v : t.values) {
      if (!std::isfinite(v) || v != std::trunc(v)) bad(fmt::format("expected integer values, got {}", v));
      // Exporters write "to the end" as +-(2^63 - 1), which doubles round to 2^63: saturate.
      constexpr double kLimit = 9.2233720368547758e18;
      out.push_back(v >= kLimit ? std::numeric_limits<int64_t>::max() : v <= -kLimit ? std::numeric_limits<int64_t>::min() : static_cast<int64_t>(v));
    }
    return out;
  }
  /// Axes from the attribute (before `inputFrom`) or input `index`.
  std::vector<int64_t> axes(int inputFrom, size_t index) const {
    return opset_ >= inputFrom ? (given(index) ? ints(input(index)) : std::vector<int64_t>{}) : intsAttr("axes");
  }
  int64_t axis(int64_t a, size_t rank) const {
    int64_t r = static_cast<int64_t>(rank);
    if (a < -r || a >= r) bad(fmt::format("axis {} is out of range for rank {}", a, rank));
    return a < 0 ? a + r : a;
  }

  Tensor make(int32_t type, Dims shape) const {
    int64_t count = 1;
    for (int64_t d : shape) {
      if (d < 0 || (d > 0 && count > kMaxFoldedElements / d)) bad(fmt::format("its result [{}] is too large to fold", fmt::join(shape, ",")));
      count *= d;
    }
    if (count > kMaxFoldedElements) bad(fmt::format("its result [{}] is too large to fold", fmt::join(shape, ",")));
    return Tensor{type, std::move(shape), std::vector<double>(static_cast<size_t>(count), 0.0)};
  }

  Tensor shape() const {
    const Dims &s = input(0).shape;
    int64_t rank = static_cast<int64_t>(s.size()), start = 0, end = rank;
    if (opset_ >= 15) {
      auto clamp = [&](int64_t v) { return std::clamp(v < 0 ? v + rank : v, int64_t(0), rank); };
      start = clamp(intAttr("start", 0)), end = clamp(intAttr("end", rank));
    }
    Tensor out = make(TensorProto::INT64, {std::max<int64_t>(end - start, 0)});
    for (int64_t d = start; d < end; ++d) out.values[static_cast<size_t>(d - start)] = static_cast<double>(s[static_cast<size_t>(d)]);
    return out;
  }

  /// Row-major strides of `shape`.
  static Dims strides(const Dims &shape) {
    Dims s(shape.size(), 1);
    for (size_t d = shape.size(); d-- > 1;) s[d - 1] = s[d] * shape[d];
    return s;
  }

  /// The index after `index` in C order within `shape` (wrapping to zeros after the last).
  static void nextIndex(Dims &index, const Dims &shape) {
    for (size_t d = shape.size(); d-- > 0;) {
      if (++index[d] < shape[d]) return;
      index[d] = 0;
    }
  }

  /// A view of `data`'s values: element `index` of the result (of `shape`) is data[base + sum index * by].
  Tensor strided(const Tensor &data, const Dims &shape, int64_t base, const Dims &by) const {
    Tensor out = make(data.type, shape);
    Dims index(shape.size(), 0);
    for (double &v : out.values) {
      int64_t at = base;
      for (size_t d = 0; d < shape.size(); ++d) at += index[d] * by[d];
      v = data.values[static_cast<size_t>(at)];
      nextIndex(index, shape);
    }
    return out;
  }

  Tensor gather() const {
    const Tensor &data = input(0), &indices = input(1);
    if (data.shape.empty()) bad("gathers from a scalar");
    size_t a = static_cast<size_t>(axis(intAttr("axis", 0), data.shape.size()));
    Dims shape(data.shape.begin(), data.shape.begin() + static_cast<long>(a));
    shape.insert(shape.end(), indices.shape.begin(), indices.shape.end());
    shape.insert(shape.end(), data.shape.begin() + static_cast<long>(a) + 1, data.shape.end());
    Tensor out = make(data.type, shape);
    int64_t outer = 1, inner = 1, extent = data.shape[a];
    for (size_t d = 0; d < a; ++d) outer *= data.shape[d];
    for (size_t d = a + 1; d < data.shape.size(); ++d) inner *= data.shape[d];
    std::vector<int64_t> at = ints(indices);
    for (int64_t &i : at) {
      if (i < -extent || i >= extent) bad(fmt::format("index {} is out of range for an axis of {}", i, extent));
      if (i < 0) i += extent;
    }
    size_t e = 0;
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i : at)
        for (int64_t k = 0; k < inner; ++k) out.values[e++] = data.values[static_cast<size_t>((o * extent + i) * inner + k)];
    return out;
  }

  Tensor unsqueeze() const {
    Tensor out = input(0);
    std::vector<int64_t> list = axes(13, 1);
    size_t rank = out.shape.size() + list.size();
    std::set<int64_t> at;
    for (int64_t a : list)
      if (!at.insert(axis(a, rank)).second) bad(fmt::format("axis {} is given twice", a));
    Dims shape;
    for (size_t d = 0, from = 0; d < rank; ++d) shape.push_back(at.count(static_cast<int64_t>(d)) ? 1 : out.shape.at(from++));
    out.shape = shape;
    return out;
  }

  Tensor squeeze() const {
    Tensor out = input(0);
    std::set<int64_t> at;
    for (int64_t a : axes(13, 1)) at.insert(axis(a, out.shape.size()));
    Dims shape;
    for (size_t d = 0; d < out.shape.size(); ++d) {
      bool listed = at.count(static_cast<int64_t>(d)) > 0;
      if (listed && out.shape[d] != 1) bad(fmt::format("squeezes axis {} of size {}", d, out.shape[d]));
      if (!(listed || (at.empty() && out.shape[d] == 1))) shape.push_back(out.shape[d]);
    }
    out.shape = shape;
    return out;
  }

  Tensor concat() const {
    if (in_.empty()) bad("has no inputs");
    const Tensor &first = input(0);
    size_t a = static_cast<size_t>(axis(intAttr("axis", 0), first.shape.size()));
    Dims shape = first.shape;
    shape[a] = 0;
    for (size_t i = 0; i < in_.size(); ++i) {
      const Tensor &t = input(i);
      for (size_t d = 0; d < shape.size(); ++d)
        if (t.shape.size() != shape.size() || (d != a && t.shape[d] != first.shape[d]))
          bad(fmt::format("inputs [{}] and [{}] differ outside axis {}", fmt::join(first.shape, ","), fmt::join(t.shape, ","), a));
      shape[a] += t.shape[a];
    }
    Tensor out = make(first.type, shape);
    int64_t outer = 1;
    for (size_t d = 0; d < a; ++d) outer *= shape[d];
    size_t e = 0;
    for (int64_t o = 0; o < outer; ++o)
      for (const Tensor *t : in_) {
        size_t block = t->values.size() / static_cast<size_t>(std::max<int64_t>(outer, 1));
        for (size_t k = 0; k < block; ++k) out.values[e++] = t->values[static_cast<size_t>(o) * block + k];
      }
    return out;
  }

  Tensor cast(Tensor t, int32_t to) const {
    for (double &v : t.values) {
      switch (to) {
        case TensorProto::FLOAT: v = static_cast<float>(v); break;
        case TensorProto::DOUBLE: break;
        case TensorProto::BOOL: v = v != 0; break;
        case TensorProto::INT64:
        case TensorProto::INT32:
        case TensorProto::INT16:
        case TensorProto::INT8:
        case TensorProto::UINT8:
          if (!std::isfinite(v)) bad(fmt::format("casts {} to an integer", v));
          v = std::trunc(v);
          break;
        default: bad(fmt::format("casts to data type {}, which folding does not compute with", to));
      }
    }
    t.type = to;
    return t;
  }

  /// f over the values of `operands` broadcast as numpy (shapes aligned at the last axis).
  Tensor broadcast(const std::vector<const Tensor *> &operands, int32_t type, const std::function<double(const double *)> &f) const {
    Dims shape;
    for (const Tensor *t : operands) {
      if (t->shape.size() > shape.size()) shape.insert(shape.begin(), t->shape.size() - shape.size(), 1);
      for (size_t i = 0; i < t->shape.size(); ++i) {
        int64_t &o = shape[shape.size() - t->shape.size() + i], d = t->shape[i];
        if (o != d && o != 1 && d != 1) bad(fmt::format("shapes do not broadcast: [{}]", fmt::join(t->shape, ",")));
        if (o == 1) o = d;
      }
    }
    Tensor out = make(type, shape);
    std::vector<Dims> stride;
    for (const Tensor *t : operands) {
      Dims own = strides(t->shape), s(shape.size(), 0);
      for (size_t i = 0; i < t->shape.size(); ++i) s[shape.size() - t->shape.size() + i] = t->shape[i] == 1 ? 0 : own[i];
      stride.push_back(s);
    }
    Dims index(shape.size(), 0);
    std::vector<double> args(operands.size());
    for (double &v : out.values) {
      for (size_t k = 0; k < operands.size(); ++k) {
        int64_t at = 0;
        for (size_t d = 0; d < shape.size(); ++d) at += index[d] * stride[k][d];
        args[k] = operands[k]->values[static_cast<size_t>(at)];
      }
      v = f(args.data());
      nextIndex(index, shape);
    }
    return out;
  }

  Tensor arithmetic(const std::string &op) const {
    const Tensor &a = input(0), &b = input(1);
    bool integer = a.type != TensorProto::FLOAT && a.type != TensorProto::DOUBLE;
    if (op == "Div" && integer && std::count(b.values.begin(), b.values.end(), 0.0)) bad("divides an integer by zero");
    return broadcast({&a, &b}, a.type, [&](const double *v) {
      double r = op == "Add" ? v[0] + v[1] : op == "Sub" ? v[0] - v[1] : op == "Mul" ? v[0] * v[1] : v[0] / v[1];
      return integer ? std::trunc(r) : a.type == TensorProto::FLOAT ? static_cast<float>(r) : r;
    });
  }

  Tensor constantOfShape() const {
    std::vector<int64_t> dims = ints(input(0));
    for (int64_t d : dims)
      if (d < 0) bad(fmt::format("shape [{}] has a negative dimension", fmt::join(dims, ",")));
    double value = 0;
    int32_t type = TensorProto::FLOAT;
    if (const onnx::AttributeProto *a = attr("value")) {
      const TensorProto &t = a->t();
      type = t.data_type();
      if (t.float_data_size()) value = t.float_data(0);
      else if (t.int64_data_size()) value = static_cast<double>(t.int64_data(0));
      else if (t.int32_data_size()) value = t.int32_data(0);
      else if (t.double_data_size()) value = t.double_data(0);
      else if (type == TensorProto::FLOAT && t.raw_data().size() == 4) value = *reinterpret_cast<const float *>(t.raw_data().data());
      else if (type == TensorProto::INT64 && t.raw_data().size() == 8) value = static_cast<double>(*reinterpret_cast<const int64_t *>(t.raw_data().data()));
      else if (type == TensorProto::BOOL && t.raw_data().size() == 1) value = t.raw_data()[0] != 0;
      else bad("its value is not one float, int64 or bool");
    }
    Tensor out = make(type, Dims(dims));
    std::fill(out.values.begin(), out.values.end(), value);
    return out;
  }

  Tensor range() const {
    double start = input(0).values.at(0), limit = input(1).values.at(0), delta = input(2).values.at(0);
    if (delta == 0) bad("its delta is 0");
    double count = std::max(std::ceil((limit - start) / delta), 0.0);
    if (!(count <= static_cast<double>(kMaxFoldedElements))) bad(fmt::format("its {} values are too many to fold", count));
    Tensor out = make(input(0).type, {static_cast<int64_t>(count)});
    for (size_t i = 0; i < out.values.size(); ++i) out.values[i] = start + static_cast<double>(i) * delta;
    return out;
  }

  Tensor slice() const {
    const Tensor &data = input(0);
    auto list = [&](size_t i, const char *name) { return opset_ >= 10 ? (given(i) ? ints(input(i)) : std::vector<int64_t>{}) : intsAttr(name); };
    std::vector<int64_t> starts = list(1, "starts"), ends = list(2, "ends"), along = list(3, "axes"), steps = list(4, "steps");
    if (along.empty())
      for (size_t d = 0; d < starts.size(); ++d) along.push_back(static_cast<int64_t>(d));
    if (steps.empty()) steps.assign(starts.size(), 1);
    if (ends.size() != starts.size() || along.size() != starts.size() || steps.size() != starts.size())
      bad("starts, ends, axes and steps differ in length");
    size_t rank = data.shape.size();
    Dims first(rank, 0), step(rank, 1), shape = data.shape;
    for (size_t i = 0; i < starts.size(); ++i) {
      size_t a = static_cast<size_t>(axis(along[i], rank));
      int64_t dim = data.shape[a], s = std::max(steps[i], -std::numeric_limits<int64_t>::max());
      if (s == 0) bad("a step is 0");
      auto clampTo = [&](int64_t v, int64_t lo, int64_t hi) { return std::clamp(v < 0 ? v + dim : v, lo, hi); };
      int64_t b = s > 0 ? clampTo(starts[i], 0, dim) : clampTo(starts[i], -1, dim - 1);
      int64_t e = s > 0 ? clampTo(ends[i], 0, dim) : clampTo(ends[i], -1, dim - 1);
      first[a] = b, step[a] = s;
      shape[a] = s > 0 ? (e > b ? (e - b - 1) / s + 1 : 0) : (b > e ? (b - e - 1) / -s + 1 : 0);
    }
    Dims from = strides(data.shape), by(rank);
    int64_t base = 0;
    for (size_t d = 0; d < rank; ++d) base += first[d] * from[d], by[d] = step[d] * from[d];
    return strided(data, shape, base, by);
  }

  Tensor transpose() const {
    const Tensor &data = input(0);
    size_t rank = data.shape.size();
    std::vector<int64_t> perm = intsAttr("perm");
    if (perm.empty())
      for (size_t d = rank; d-- > 0;) perm.push_back(static_cast<int64_t>(d));
    std::vector<int64_t> sorted = perm;
    std::sort(sorted.begin(), sorted.end());
    for (size_t d = 0; d < sorted.size(); ++d)
      if (sorted.size() != rank || sorted[d] != static_cast<int64_t>(d)) bad(fmt::format("perm [{}] is no permutation of {} axes", fmt::join(perm, ","), rank));
    Dims shape(rank), from = strides(data.shape), by(rank);
    for (size_t d = 0; d < rank; ++d) shape[d] = data.shape[static_cast<size_t>(perm[d])], by[d] = from[static_cast<size_t>(perm[d])];
    return strided(data, shape, 0, by);
  }

  /// data broadcast against a tensor of the shape input 1 gives (numpy's rule, so the result may be
  /// larger than that shape in either operand's axes, as ONNX defines Expand).
  Tensor expand() const {
    const Tensor &data = input(0);
    Tensor target = make(data.type, ints(input(1)));
    return broadcast({&data, &target}, data.type, [](const double *v) { return v[0]; });
  }

  Tensor reshape() const {
    Tensor out = input(0);
    std::vector<int64_t> target = ints(input(1));
    int64_t known = 1, infer = -1;
    for (size_t d = 0; d < target.size(); ++d) {
      if (target[d] == 0 && intAttr("allowzero", 0) == 0) {
        if (d >= out.shape.size()) bad("a 0 in its shape copies an axis the input does not have");
        target[d] = out.shape[d];
      }
      if (target[d] == -1) {
        if (infer >= 0) bad("its shape has two -1s");
        infer = static_cast<int64_t>(d);
      } else if (target[d] < 0) {
        bad(fmt::format("its shape has {}", target[d]));
      } else if (__builtin_mul_overflow(known, target[d], &known)) {
        bad(fmt::format("its shape [{}] has too many elements", fmt::join(target, ",")));
      }
    }
    int64_t count = static_cast<int64_t>(out.values.size());
    if (infer >= 0 && known > 0 && count % known == 0) target[static_cast<size_t>(infer)] = count / known;
    else if (infer >= 0) bad(fmt::format("{} values do not fill its shape", count));
    if (infer < 0 && known != count) bad(fmt::format("{} values do not fill the shape [{}]", count, fmt::join(target, ",")));
    out.shape = Dims(target);
    return out;
  }

  const onnx::NodeProto &n_;
  const std::vector<const Tensor *> &in_;
  int opset_;
  const std::string &path_;
};

}  // namespace

bool isFoldableOp(const std::string &op) {
  static const std::set<std::string> ops = {"Shape",           "Gather", "Unsqueeze", "Squeeze", "Concat",   "Cast", "Equal",
                                            "Less",            "Greater", "Not",      "Where",   "Identity", "Neg",  "Range",
                                            "ConstantOfShape", "Slice",  "Reshape",   "Add",     "Sub",      "Mul",  "Div",
                                            "Transpose",       "Expand"};
  return ops.count(op) > 0;
}

std::vector<FoldedTensor> foldOnnxNode(const onnx::NodeProto &n, const std::vector<const FoldedTensor *> &inputs, int opset,
                                       const std::string &path) {
  return Folder(n, inputs, opset, path).run();
}

onnx::TensorProto protoOf(const FoldedTensor &t, const std::string &name) {
  onnx::TensorProto p;
  p.set_name(name);
  p.set_data_type(t.type);
  for (int64_t d : t.shape) p.add_dims(d);
  // Integers saturate: a double of +-2^63 (an exporter's "to the end") has no exact int64.
  auto saturated = [](double v, auto limit) { return std::clamp(v, static_cast<double>(-limit), static_cast<double>(limit)); };
  for (double v : t.values) {
    switch (t.type) {
      case TensorProto::FLOAT: p.add_float_data(static_cast<float>(v)); break;
      case TensorProto::DOUBLE: p.add_double_data(v); break;
      case TensorProto::INT64: {
        double s = saturated(v, 9.2233720368547748e18);  // the largest double below 2^63
        p.add_int64_data(static_cast<int64_t>(s));
        break;
      }
      default: p.add_int32_data(static_cast<int32_t>(saturated(v, 2147483647.0))); break;  // int32, int16, int8, uint8, bool: int32_data
    }
  }
  return p;
}

}  // namespace deeper
