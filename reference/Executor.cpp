#include "reference/Executor.h"

#include "reference/Kernels.h"
#include "reference/Weights.h"
#include "support/Suggest.h"

#include <map>
#include <set>

namespace deeper {
namespace {

void checkInputs(const Graph &graph, const TensorMap &inputs) {
  std::set<std::string> names;
  for (const Node *in : graph.nodesOfOp(OpKind::Input)) names.insert(in->name);
  for (const auto &entry : inputs)
    if (!names.count(entry.first))
      fail(fmt::format("the model has no input '{}'{}; its inputs: {}", entry.first,
                       didYouMean(entry.first, std::vector<std::string>(names.begin(), names.end())), fmt::join(names, ", ")));
  for (const Node *in : graph.nodesOfOp(OpKind::Input)) {
    auto it = inputs.find(in->name);
    if (it == inputs.end()) fail(fmt::format("no value given for input '{}' (f32[{}])", in->name, fmt::join(in->shape, ",")));
    if (it->second.shape != in->shape)
      fail(fmt::format("input '{}' must be f32[{}], got f32[{}]", in->name, fmt::join(in->shape, ","),
                       fmt::join(it->second.shape, ",")));
  }
}

std::vector<std::string> resolveWanted(const Graph &graph, const std::vector<std::string> &wanted) {
  if (!wanted.empty()) {
    for (const std::string &name : wanted)
      if (!graph.find(name))
        fail(fmt::format("the model has no value '{}' (after the passes){}; `deeper ir MODEL` lists the names", name, didYouMean(name, graph.nodeNames())));
    return wanted;
  }
  std::vector<std::string> outputs;
  for (const GraphOutput &o : graph.outputs()) outputs.push_back(o.node->name);  // by value; callers relabel
  return outputs;
}

}  // namespace

ReferenceExecutor::ReferenceExecutor(const Graph &graph, TensorMap weights) : graph_(graph), weights_(std::move(weights)) {
  checkWeights(graph_, weights_, "the weights");
}

const Tensor *ReferenceExecutor::param(const Node &node, Param which) const {
  auto it = weights_.find(tensorName(node, which));
  return it == weights_.end() ? nullptr : &it->second;
}

Tensor ReferenceExecutor::evaluate(const Node &node, const std::vector<const Tensor *> &in) const {
  using namespace reference;
  switch (node.op) {
    case OpKind::Input: break;
    case OpKind::Conv: {
      ConvParams p = ConvParams::of(node);
      const Tensor *bias = p.bias ? param(node, Param::ConvBias) : nullptr, *residual = p.residual ? in[1] : nullptr;
      const Tensor &weight = *param(node, Param::ConvWeight);
      if (p.inputMaxPool) return conv2d(maxPool2d(*in[0], p.inputPool()), weight, bias, p, residual);
      if (p.reduce) {
        Tensor reduced = conv2d(*in[0], *param(node, Param::ConvReduceWeight), param(node, Param::ConvReduceBias), p.reduceConv());
        return conv2d(reduced, weight, bias, p, residual);
      }
      if (p.outputMaxPool) return maxPool2d(conv2d(*in[0], weight, bias, p), p.outputPool());
      return conv2d(*in[0], weight, bias, p, residual);
    }
    case OpKind::ConvTranspose:
      return convTranspose2d(*in[0], *param(node, Param::ConvTransposeWeight), param(node, Param::ConvTransposeBias), ConvTransposeParams::of(node));
    case OpKind::MaxPool: return maxPool2d(*in[0], PoolParams::of(node));
    case OpKind::AvgPool: return avgPool2d(*in[0], PoolParams::of(node));
    case OpKind::Lrn: return lrn(*in[0], LrnParams::of(node));
    case OpKind::Relu: return relu(*in[0]);
    case OpKind::PRelu: return prelu(*in[0], *param(node, Param::PReluSlope));
    case OpKind::Unary: return unary(*in[0], UnaryParams::of(node));
    case OpKind::Reduce: return reduce(*in[0], ReduceParams::of(node), node.shape);
    case OpKind::Transpose: return transpose(*in[0], node.attrDims("perm"));
    case OpKind::Expand: return expand(*in[0], node.shape);
    case OpKind::BatchNorm:
      return batchNorm(*in[0], *param(node, Param::BatchNormScale), *param(node, Param::BatchNormBias), *param(node, Param::BatchNormMean),
                       *param(node, Param::BatchNormVar),
                       node.attrFloat("epsilon"));
    case OpKind::Concat: return concat(in, node.attrInt("axis"), node.attrBool("interleave"));
    case OpKind::Slice: return sliceChannels(*in[0], node.attrInt("begin"), node.attrInt("end"));
    case OpKind::Dropout:
    case OpKind::Copy: return *in[0];
    case OpKind::Fc: {
      FcParams p = FcParams::of(node);
      return fullyConnected(*in[0], *param(node, Param::FcWeight), p.bias ? param(node, Param::FcBias) : nullptr, p.relu);
    }
    case OpKind::Softmax: return softmax(*in[0], node.attrInt("axis"), node.attrBool("log"));
    case OpKind::Flatten:
    case OpKind::Reshape: return reshape(*in[0], node.shape);
    case OpKind::Pad:
      return pad(*in[0], node.attrDims("pads"), node.attrWord("mode"), static_cast<float>(node.attrFloat("value")));
    case OpKind::Add:
    case OpKind::Sub:
    case OpKind::Mul:
    case OpKind::Div: {
      const Tensor &operand = *param(node, node.info().params.at(0).param);  // the op's one learned tensor
      bool first = node.attrs.count("operand_first") && node.attrBool("operand_first");
      return first ? binary(operand, *in[0], binaryFnOf(node)) : binary(*in[0], operand, binaryFnOf(node));
    }
    case OpKind::Binary: return binary(*in[0], *in[1], binaryFnOf(node));
    case OpKind::MatMul: return matmul(*in[0], *param(node, Param::MatMulWeight), node.attrBool("trans_a"));
  }
  DEEPER_CHECK(false, "no reference kernel for op {}", node.info().name);
  return {};
}

TensorMap ReferenceExecutor::run(const TensorMap &inputs, const std::vector<std::string> &wanted) const {
  checkInputs(graph_, inputs);
  std::vector<std::string> keep = resolveWanted(graph_, wanted);
  std::set<std::string> keepSet(keep.begin(), keep.end());
  std::map<const Node *, size_t> lastUse;  // node index of the last reader, to free values early
  for (size_t i = 0; i < graph_.nodes().size(); ++i)
    for (const Node *in : graph_.nodes()[i]->inputs()) lastUse[in] = i;

  std::map<const Node *, Tensor> values;
  TensorMap result;
  for (size_t i = 0; i < graph_.nodes().size(); ++i) {
    const Node &node = *graph_.nodes()[i];
    std::vector<const Tensor *> in;
    for (const Node *input : node.inputs()) in.push_back(&values.at(input));
    Tensor out = node.op == OpKind::Input ? inputs.at(node.name) : evaluate(node, in);
    DEEPER_CHECK(out.shape == node.shape, "'{}' computed f32[{}], the IR says f32[{}]", node.name,
                 fmt::join(out.shape, ","), fmt::join(node.shape, ","));
    if (keepSet.count(node.name)) result[node.name] = out;
    values.emplace(&node, std::move(out));
    for (const Node *input : node.inputs())
      if (lastUse[input] == i) values.erase(input);
  }
  return result;
}

}  // namespace deeper
