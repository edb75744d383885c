#include "RandomGraph.h"

#include "frontend/Builder.h"

#include <algorithm>
#include <functional>
#include <numeric>
#include <random>

namespace deeper::test {
namespace {

class Generator {
 public:
  Generator(uint64_t seed, const RandomGraphOptions &o) : random_(seed), options_(o), builder_(graph_) {}

  Graph run() {
    graph_.name = "random";
    graph_.batch = pick(1, 3);
    values_.push_back(builder_.input("x", {pick(1, options_.maxChannels), pick(1, options_.maxSide), pick(1, options_.maxSide)}));
    int ops = static_cast<int>(pick(options_.minOps, options_.maxOps));
    for (int i = 0; i < ops; ++i) addOne();
    // Every value nothing reads is an output (at most four, the latest), so that what runs is checked.
    int outputs = 0;
    for (size_t i = values_.size(); i-- > 1 && outputs < 4;)
      if (values_[i]->uses().empty()) builder_.output(values_[i]), ++outputs;
    if (outputs == 0) builder_.output(values_.back());
    return std::move(graph_);
  }

 private:
  int64_t pick(int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(random_); }
  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(random_) < p; }
  double real(double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(random_); }

  /// A recent value more often than an old one: chains get deep as well as wide.
  Node *value() {
    size_t n = values_.size();
    size_t back = static_cast<size_t>(std::min<int64_t>(pick(0, 3), static_cast<int64_t>(n) - 1));
    return chance(0.7) ? values_[n - 1 - back] : values_[static_cast<size_t>(pick(0, static_cast<int64_t>(n) - 1))];
  }

  Dims pair(int64_t lo, int64_t hi) { return chance(0.7) ? Dims(2, pick(lo, hi)) : Dims{pick(lo, hi), pick(lo, hi)}; }
  Dims pad(int64_t hi) { return chance(0.6) ? Dims(4, pick(0, hi)) : Dims{pick(0, hi), pick(0, hi), pick(0, hi), pick(0, hi)}; }

  /// Tries ops until one fits (the builder refuses what does not), at most 50 times.
  void addOne() {
    for (int attempt = 0; attempt < 50; ++attempt) {
      std::string name = "n" + std::to_string(next_);
      try {
        Node *n = randomOp(name);
        if (!n) continue;
        values_.push_back(n);
        ++next_;
        return;
      } catch (const UserError &) {
        // not valid for these shapes: try another
      }
    }
  }

  Node *add(OpKind op, const std::string &name, std::vector<Node *> inputs, Attrs attrs) {
    return builder_.add(op, name, std::move(inputs), std::move(attrs));
  }

  Node *randomOp(const std::string &name) {
    Node *x = value();
    int64_t channels = x->shape.size() >= 2 ? x->shape[1] : 1;
    switch (pick(0, 29)) {
      case 0:
      case 1: {
        int64_t groups = chance(0.2) && channels % 2 == 0 ? 2 : 1;
        Attrs attrs = {{"out", groups * pick(1, 6)}, {"kernel", pair(1, 3)}, {"stride", pair(1, 2)}, {"pad", pad(2)},
                       {"dilation", chance(0.2) ? pair(1, 2) : Dims{1, 1}}, {"groups", groups}, {"bias", chance(0.8)}};
        if (chance(0.3)) attrs["activation"] = pickOf({"sigmoid", "silu", "hardswish", "hardsigmoid"});
        else attrs["relu"] = chance(0.5);
        return add(OpKind::Conv, name, {x}, attrs);
      }
      case 2: {  // a 3x3 stride-1 pad-1 conv: the Winograd kernel
        return add(OpKind::Conv, name, {x}, {{"out", pick(1, 20)}, {"kernel", Dims{3, 3}}, {"pad", Dims{1, 1, 1, 1}}, {"relu", chance(0.5)}});
      }
      case 3: {
        Dims k = pair(1, 3);
        return add(OpKind::MaxPool, name, {x}, {{"kernel", k}, {"stride", pair(1, 2)}, {"pad", Dims(4, pick(0, std::min(k[0], k[1]) - 1))},
                                                {"ceil", chance(0.5)}, {"dilation", chance(0.2) ? Dims{2, 2} : Dims{1, 1}}});
      }
      case 4: {
        Dims k = pair(1, 3);
        return add(OpKind::AvgPool, name, {x}, {{"kernel", k}, {"stride", pair(1, 2)}, {"pad", Dims(4, pick(0, std::min(k[0], k[1]) - 1))},
                                                {"ceil", chance(0.5)}, {"exclude_pad", chance(0.5)}});
      }
      case 5: return add(OpKind::Lrn, name, {x}, {{"size", 2 * pick(0, 3) + 1}, {"alpha", real(1e-4, 1e-2)}, {"beta", real(0.5, 1)}, {"k", real(1, 2)}});
      case 6: return add(OpKind::Relu, name, {x}, {});
      case 7: return add(OpKind::Dropout, name, {x}, {{"ratio", 0.5}});
      case 8: return add(OpKind::BatchNorm, name, {x}, {});
      case 9: return concat(name, x);
      case 10: {
        int64_t begin = pick(0, channels - 1);
        return add(OpKind::Slice, name, {x}, {{"begin", begin}, {"end", pick(begin + 1, channels)}});
      }
      case 11: return add(OpKind::Fc, name, {x}, {{"out", pick(1, 10)}, {"relu", chance(0.3)}, {"bias", chance(0.8)}});
      case 12: return add(OpKind::Softmax, name, {x}, {{"axis", pick(0, static_cast<int64_t>(x->shape.size()) - 1)}});
      case 13: return add(OpKind::Flatten, name, {x}, {{"axis", pick(0, static_cast<int64_t>(x->shape.size()) - 1)}});
      case 14: return reshape(name, x);
      case 15: {
        Dims pads(2 * x->shape.size());
        for (int64_t &p : pads) p = chance(0.5) ? pick(0, 2) : 0;
        const char *modes[] = {"constant", "reflect", "edge"};
        return add(OpKind::Pad, name, {x}, {{"pads", pads}, {"mode", std::string(modes[pick(0, 2)])}, {"value", real(-1, 1)}});
      }
      case 16:
      case 17: return arithmetic(name, x);
      case 18: {
        Dims w = {x->shape.back(), pick(1, 6)};
        bool transA = x->shape.size() >= 2 && chance(0.3);
        if (transA) w[0] = x->shape[x->shape.size() - 2];
        if (chance(0.3) && x->shape.size() >= 3) w.insert(w.begin(), chance(0.5) ? 1 : x->shape[x->shape.size() - 3]);
        return add(OpKind::MatMul, name, {x}, {{"weight", w}, {"trans_a", transA}});
      }
      case 19:
      case 20: return unary(name, x);
      case 21:
      case 22: return binary(name, x);
      case 23: {  // a run of adjacent axes after the batch
        int64_t rank = static_cast<int64_t>(x->shape.size());
        if (rank < 2) return nullptr;  // the batch alone
        int64_t first = pick(1, rank - 1);
        Dims axes;
        for (int64_t d = first, last = pick(first, rank - 1); d <= last; ++d) axes.push_back(d);
        return add(OpKind::Reduce, name, {x}, {{"fn", pickOf({"mean", "max", "sum"})}, {"axes", axes}, {"keepdims", chance(0.6)}});
      }
      case 24: {  // the batch first, the other axes shuffled
        Dims perm(x->shape.size());
        std::iota(perm.begin(), perm.end(), 0);
        std::shuffle(perm.begin() + 1, perm.end(), random_);
        return add(OpKind::Transpose, name, {x}, {{"perm", perm}});
      }
      case 25: {  // axes of size 1 repeated
        Dims shape(x->shape.begin() + 1, x->shape.end());
        for (int64_t &d : shape) d = d == 1 ? pick(1, 4) : d;
        return add(OpKind::Expand, name, {x}, {{"shape", shape}});
      }
      case 26: {
        int64_t groups = chance(0.2) && channels % 2 == 0 ? 2 : 1;
        Dims stride = pair(1, 2), kernel = pair(1, 3);
        return add(OpKind::ConvTranspose, name, {x},
                   {{"out", groups * pick(1, 4)}, {"kernel", kernel}, {"stride", stride}, {"pad", pad(1)},
                    {"dilation", chance(0.2) ? pair(1, 2) : Dims{1, 1}}, {"output_padding", Dims{pick(0, stride[0] - 1), pick(0, stride[1] - 1)}},
                    {"groups", groups}, {"bias", chance(0.8)}});
      }
      case 27: return add(OpKind::PRelu, name, {x}, {});
      case 28: return channelShuffle(name, x);
      default: return add(OpKind::Copy, name, {x}, {});
    }
  }

  std::string pickOf(std::initializer_list<const char *> words) { return *(words.begin() + pick(0, static_cast<int64_t>(words.size()) - 1)); }

  /// An elementwise function, with random bounds, slopes and offsets where it has them. log and sqrt
  /// read an abs of x: NaNs say nothing of the kernels (where one goes through a max, a relu or a
  /// pool is not promised: vmaxps returns its second operand), and -inf keeps its meaning.
  Node *unary(const std::string &name, Node *x) {
    std::string fn = pickOf({"sigmoid", "tanh", "exp", "log", "sqrt", "neg", "abs", "erf", "clip", "leakyrelu", "hardsigmoid", "hardswish"});
    if (fn == "log" || fn == "sqrt") x = add(OpKind::Unary, name + "_abs", {x}, {{"fn", std::string("abs")}});
    Attrs attrs = {{"fn", fn}};
    if (fn == "clip") attrs["lo"] = real(-1, 0), attrs["hi"] = real(0, 1);
    if (fn == "leakyrelu" || fn == "hardsigmoid") attrs["alpha"] = real(0, 0.5);
    if (fn == "hardsigmoid") attrs["beta"] = real(0, 1);
    return add(OpKind::Unary, name, {x}, attrs);
  }

  /// fn(x, y) or fn(y, x) for a value y of x's rank whose shape broadcasts against x's (a residual's
  /// twin, or a gate of one pixel per channel), x itself when none does. No div or pow: values near
  /// zero and negative bases make results that say nothing of the kernels.
  Node *binary(const std::string &name, Node *x) {
    std::vector<Node *> partners{x};
    for (Node *v : values_) {
      bool fits = v != x && v->shape.size() == x->shape.size() && v->shape[0] == x->shape[0];
      for (size_t d = 1; fits && d < v->shape.size(); ++d) fits = v->shape[d] == x->shape[d] || v->shape[d] == 1 || x->shape[d] == 1;
      if (fits) partners.push_back(v);
    }
    Node *y = partners[static_cast<size_t>(pick(0, static_cast<int64_t>(partners.size()) - 1))];
    std::vector<Node *> operands = chance(0.5) ? std::vector<Node *>{x, y} : std::vector<Node *>{y, x};
    return add(OpKind::Binary, name, operands, {{"fn", pickOf({"add", "sub", "mul", "max", "min"})}});
  }

  /// Values with x's shape but along `axis` (2 or 3 of them, x itself possibly again).
  Node *concat(const std::string &name, Node *x) {
    int64_t axis = pick(0, static_cast<int64_t>(x->shape.size()) - 1);
    std::vector<Node *> inputs{x};
    for (Node *v : values_) {
      if (v == x || v->shape.size() != x->shape.size() || inputs.size() >= 3) continue;
      bool fits = true;
      for (size_t d = 0; d < v->shape.size(); ++d) fits = fits && (static_cast<int64_t>(d) == axis || v->shape[d] == x->shape[d]);
      if (fits && chance(0.6)) inputs.push_back(v);
    }
    if (inputs.size() == 1 || chance(0.15)) inputs.push_back(x);  // a value twice
    return add(OpKind::Concat, name, inputs, {{"axis", axis}});
  }

  /// ShuffleNet's unit end: a concat of 2 or 3 values of x's shape (rank 4) along channels, then the
  /// channel shuffle as exporters write it (reshape to k x C, swap those axes, reshape back).
  Node *channelShuffle(const std::string &name, Node *x) {
    if (x->shape.size() != 4) return nullptr;
    std::vector<Node *> inputs{x};
    for (Node *v : values_)
      if (v != x && v->shape == x->shape && inputs.size() < 3 && chance(0.7)) inputs.push_back(v);
    if (inputs.size() == 1) inputs.push_back(x);
    const int64_t k = static_cast<int64_t>(inputs.size()), c = x->shape[1], h = x->shape[2], w = x->shape[3];
    Node *cat = add(OpKind::Concat, name + "_cat", inputs, {});
    Node *split = add(OpKind::Reshape, name + "_split", {cat}, {{"shape", Dims{k, c, h, w}}});
    Node *swapped = add(OpKind::Transpose, name + "_swap", {split}, {{"perm", Dims{0, 2, 1, 3, 4}}});
    return add(OpKind::Reshape, name, {swapped}, {{"shape", Dims{k * c, h, w}}});
  }

  /// Keeps the batch and refactors the rest, or (whole) reshapes everything.
  Node *reshape(const std::string &name, Node *x) {
    int64_t perSample = 1;
    for (size_t d = 1; d < x->shape.size(); ++d) perSample *= x->shape[d];
    bool whole = chance(0.2);
    int64_t total = whole ? perSample * x->shape[0] : perSample, first = 1;
    for (int64_t f = pick(1, total); f >= 1; --f)
      if (total % f == 0) {
        first = f;
        break;
      }
    Dims shape = {first, total / first};
    if (chance(0.3)) shape.push_back(1);
    return add(OpKind::Reshape, name, {x}, {{"shape", shape}, {"whole", whole}});
  }

  /// add, sub, mul or div by a constant whose shape broadcasts against x.
  Node *arithmetic(const std::string &name, Node *x) {
    Dims operand;
    size_t rank = static_cast<size_t>(pick(1, static_cast<int64_t>(x->shape.size())));
    for (size_t d = x->shape.size() - rank; d < x->shape.size(); ++d) operand.push_back(chance(0.5) ? x->shape[d] : 1);
    OpKind ops[] = {OpKind::Add, OpKind::Sub, OpKind::Mul, OpKind::Div};
    OpKind op = ops[pick(0, 3)];
    Attrs attrs = {{"operand", operand}};
    if (op == OpKind::Sub || op == OpKind::Div) attrs["operand_first"] = chance(0.5) && op != OpKind::Div;  // x near 0 would divide
    return add(op, name, {x}, attrs);
  }

  std::mt19937_64 random_;
  RandomGraphOptions options_;
  Graph graph_;
  GraphBuilder builder_;
  std::vector<Node *> values_;
  int next_ = 0;
};

}  // namespace

Graph randomGraph(uint64_t seed, const RandomGraphOptions &options) { return Generator(seed, options).run(); }

}  // namespace deeper::test
