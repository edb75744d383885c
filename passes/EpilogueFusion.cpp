#include "passes/EpilogueFusion.h"

#include "ir/OpParams.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace deeper {
namespace {

/// Whether `producer` takes elementwise consumers into its epilogue, has the epilogue attribute
/// `attr` in its op table entry, and applies nothing there yet.
bool takesEpilogue(const Node &producer, const char *attr) {
  const OpInfo &op = producer.info();
  if (op.pattern != PatternKind::OutElementwiseFusable || !op.findAttr(attr)) return false;
  return producer.op == OpKind::Conv ? !ConvParams::of(producer).activated() : !producer.attrBool("relu");
}

/// The conv activation a unary function folds to (sigmoid, hardswish, hardsigmoid), or None.
ConvActivation activationOf(const UnaryParams &u) {
  static const std::map<UnaryFn, ConvActivation> folded = {
      {UnaryFn::Sigmoid, ConvActivation::Sigmoid}, {UnaryFn::HardSwish, ConvActivation::HardSwish}, {UnaryFn::HardSigmoid, ConvActivation::HardSigmoid}};
  auto it = folded.find(u.fn);
  return it == folded.end() ? ConvActivation::None : it->second;
}

/// Sets conv's activation word: the op table's choice at the enum's position (ConvParams reads it back).
void setActivation(Node &conv, ConvActivation a, const UnaryParams &u) {
  conv.attrs["activation"] = conv.info().findAttr("activation")->choiceList().at(static_cast<size_t>(a));
  if (a == ConvActivation::HardSigmoid) conv.attrs["activation_alpha"] = u.alpha, conv.attrs["activation_beta"] = u.beta;
}

/// Folds a relu, a clip (ReLU6) or an activation into its single-use producer; false when it does not fold.
bool foldActivation(Graph &graph, Node &activation) {
  Node *producer = activation.inputs()[0];
  if (!graph.hasSingleUse(producer)) return false;  // its pre-activation value is observable or needed
  if (activation.op == OpKind::Relu) {
    if (!takesEpilogue(*producer, "relu")) return false;
    producer->attrs["relu"] = true;
    return true;
  }
  UnaryParams u = UnaryParams::of(activation);
  if (u.fn == UnaryFn::Clip) {
    // clip(lo, hi) after relu, or with lo == 0 on its own, is relu bounded by hi
    if (u.hi < 0 || !producer->info().findAttr("relu_max")) return false;
    bool relued = producer->attrBool("relu");
    bool fresh = takesEpilogue(*producer, "relu_max");
    if (!(u.lo == 0 && fresh) && !(relued && u.lo <= 0)) return false;
    producer->attrs["relu"] = true;
    producer->attrs["relu_max"] = std::min(producer->attrFloat("relu_max"), u.hi);
    return true;
  }
  ConvActivation a = activationOf(u);
  if (a == ConvActivation::None || !takesEpilogue(*producer, "activation")) return false;
  setActivation(*producer, a, u);
  return true;
}

/// The activation x * gate(x) is: SiLU for a sigmoid gate, hard-swish for hard-sigmoid(x / 6 + 1/2)
/// (as exporters before opset 14 write it); else None.
ConvActivation gatedActivation(const Node &gate) {
  if (gate.op != OpKind::Unary) return ConvActivation::None;
  UnaryParams u = UnaryParams::of(gate);
  if (u.fn == UnaryFn::Sigmoid) return ConvActivation::Silu;
  bool hardSwish = u.fn == UnaryFn::HardSigmoid && std::fabs(u.alpha - 1.0 / 6.0) < 1e-6 && u.beta == 0.5;
  return hardSwish ? ConvActivation::HardSwish : ConvActivation::None;
}

/// For mul(c, gate(c)) (either order) whose gate makes an activation (gatedActivation): the gate,
/// when c is a conv that takes an activation and nothing but the two reads c; else nullptr.
Node *activationGate(const Graph &graph, const Node &mul) {
  if (mul.op != OpKind::Binary || binaryFnOf(mul) != BinaryFn::Mul) return nullptr;
  for (size_t i = 0; i < 2; ++i) {
    Node *conv = mul.inputs()[i], *gate = mul.inputs()[1 - i];
    if (gatedActivation(*gate) == ConvActivation::None || gate->inputs()[0] != conv) continue;
    if (!takesEpilogue(*conv, "activation") || !graph.hasSingleUse(gate) || graph.isOutput(conv)) continue;
    std::vector<Node *> readers = graph.users(conv);
    if (readers.size() == 2 && std::count(readers.begin(), readers.end(), gate) == 1) return gate;
  }
  return nullptr;
}

/// For add(a, b) of two computed values of one shape: the conv among them that can take the other as
/// its residual operand (read by the add alone, nothing in its epilogue yet, no fused output pool),
/// the later in the order when both can (the other then comes before it); else nullptr.
Node *residualConv(const Graph &graph, const Node &add) {
  if (add.op != OpKind::Binary || binaryFnOf(add) != BinaryFn::Add) return nullptr;
  Node *a = add.inputs()[0], *b = add.inputs()[1];
  if (a == b || a->shape != b->shape) return nullptr;
  auto takes = [&](Node *conv, Node *other) {
    if (conv->op != OpKind::Conv || !graph.hasSingleUse(conv) || !takesEpilogue(*conv, "activation")) return false;
    ConvParams p = ConvParams::of(*conv);
    return !p.residual && p.outputMaxPool == 0 && graph.position(other) < graph.position(conv);
  };
  if (takes(b, a)) return b;
  return takes(a, b) ? a : nullptr;
}

/// One sweep; the nodes it folds stay (dead) until removed, still reading their producer.
bool foldSweep(Graph &graph) {
  bool changed = false;
  for (const auto &node : graph.nodes()) {
    Node *into = nullptr;
    if (node->op == OpKind::Relu || node->op == OpKind::Unary) {
      if (foldActivation(graph, *node)) into = node->inputs()[0];
    } else if (Node *gate = activationGate(graph, *node)) {
      into = gate->inputs()[0];
      setActivation(*into, gatedActivation(*gate), UnaryParams::of(*gate));
      absorb(*into, *gate);
    } else if (Node *conv = residualConv(graph, *node)) {
      into = conv;
      graph.addInput(conv, node->inputs()[node->inputs()[0] == conv ? 1 : 0]);
    }
    if (!into) continue;
    absorb(*into, *node);
    graph.replaceAllUses(node.get(), into);
    changed = true;
  }
  if (changed) graph.removeDeadNodes();
  return changed;
}

}  // namespace

bool runEpilogueFusion(Graph &graph) {
  bool changed = false;
  while (foldSweep(graph)) changed = true;  // a relu, then the clip after it
  return changed;
}

}  // namespace deeper
