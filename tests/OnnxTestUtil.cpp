#include "OnnxTestUtil.h"

#include "TestUtil.h"

namespace deeper::test::onnx_models {

onnx::ModelProto oneNode(const std::string &op, int opset) {
  onnx::ModelProto m;
  m.set_ir_version(7);
  m.add_opset_import()->set_version(opset);
  onnx::GraphProto *g = m.mutable_graph();
  g->set_name("one");
  onnx::ValueInfoProto *in = g->add_input();
  in->set_name("x");
  auto *t = in->mutable_type()->mutable_tensor_type();
  t->set_elem_type(onnx::TensorProto::FLOAT);
  for (int d : {1, 3, 4, 4}) t->mutable_shape()->add_dim()->set_dim_value(d);
  onnx::NodeProto *n = g->add_node();
  n->set_op_type(op);
  n->set_name("n1");
  n->add_input("x");
  n->add_output("y");
  g->add_output()->set_name("y");
  return m;
}

onnx::TensorProto *addInitializer(onnx::ModelProto &m, const std::string &name, std::vector<int64_t> dims) {
  onnx::TensorProto *w = m.mutable_graph()->add_initializer();
  w->set_name(name);
  w->set_data_type(onnx::TensorProto::FLOAT);
  int64_t n = 1;
  for (int64_t d : dims) {
    w->add_dims(d);
    n *= d;
  }
  for (int64_t i = 0; i < n; ++i) w->add_float_data(0.5f);
  return w;
}

void setAttr(onnx::ModelProto &m, const std::string &name, std::vector<int64_t> ints, bool list) {
  auto *a = m.mutable_graph()->mutable_node(0)->add_attribute();
  a->set_name(name);
  a->set_type(list ? onnx::AttributeProto::INTS : onnx::AttributeProto::INT);
  if (list)
    for (int64_t v : ints) a->add_ints(v);
  else
    a->set_i(ints.at(0));
}

void setStringAttr(onnx::ModelProto &m, const std::string &name, const std::string &value) {
  auto *a = m.mutable_graph()->mutable_node(0)->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::STRING);
  a->set_s(value);
}

std::string onnxError(const onnx::ModelProto &m, const std::string &dir) {
  std::string bytes;
  m.SerializeToString(&bytes);
  return userErrorOf([&] { parseModel(bytes, dir + "/m.onnx"); });
}

Graph importOne(const onnx::ModelProto &m) {
  std::string bytes;
  m.SerializeToString(&bytes);
  return parseModel(bytes, "/tmp/m.onnx");
}

}  // namespace deeper::test::onnx_models
