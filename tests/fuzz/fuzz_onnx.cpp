// Fuzz target: ONNX models, mutated with their structure in mind. libFuzzer's byte mutations rarely
// keep a protobuf parseable, so LLVMFuzzerCustomMutator parses the model and changes what an attacker
// or a broken exporter would: dims, attributes (values, types, names), external data (locations that
// escape the folder or name links, FIFOs, devices; offsets and lengths that are not numbers), node
// wiring (inputs, outputs, producers twice, order, op types), graph outputs and the opset. Models load
// from a folder holding a data file, a link out of the folder and a FIFO; then FuzzModel.h.
#include "FuzzModel.h"
#include "support/Files.h"

#include <onnx/onnx_pb.h>

#include <cstring>
#include <fstream>
#include <random>
#include <sys/stat.h>
#include <unistd.h>

extern "C" size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t maxSize);

namespace {

std::string modelPath;

using Random = std::mt19937_64;

size_t below(Random &r, size_t n) { return n ? r() % n : 0; }

int64_t interestingInt(Random &r) {
  static const int64_t values[] = {0, 1, 2, 3, 4, 7, -1, -2, 16, 255, 1 << 16, (int64_t(1) << 31) - 1, int64_t(1) << 31,
                                   int64_t(1) << 62, INT64_MAX, INT64_MIN};
  return below(r, 4) == 0 ? static_cast<int64_t>(below(r, 9)) - 1 : values[below(r, std::size(values))];
}

const char *const kOps[] = {"Conv", "Relu", "MaxPool", "AveragePool", "GlobalAveragePool", "LRN", "Concat", "Gemm", "MatMul", "Flatten",
                            "Reshape", "Dropout", "Softmax", "BatchNormalization", "Identity", "Constant", "Pad", "Slice",
                            "Add", "Sub", "Mul", "Div", "Sin"};
const char *const kAttributes[] = {"kernel_shape", "strides", "pads", "dilations", "group", "axis", "auto_pad", "ceil_mode",
                                   "count_include_pad", "size", "alpha", "beta", "bias", "epsilon", "transA", "transB", "allowzero",
                                   "mode", "value", "starts", "ends", "axes", "shape", "broadcast", "ratio", "storage_order"};
const char *const kWords[] = {"NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER", "BOGUS", "constant", "reflect", "edge", "wrap", ""};
const char *const kLocations[] = {"w.bin", "link.bin", "fifo.bin", "sub/w.bin", "dir/passwd", "../w.bin", "/etc/passwd", "sub/../w.bin", "", "."};
const char *const kByteCounts[] = {"0", "4", "8", "64", "4096", "abc", "", "0x10", "99999999999999999999", "-1", "18446744073709551615"};

/// Every value name the graph mentions, to rewire nodes to.
std::vector<std::string> valueNames(const onnx::GraphProto &g) {
  std::vector<std::string> names{"nowhere"};
  for (const auto &in : g.input()) names.push_back(in.name());
  for (const auto &t : g.initializer()) names.push_back(t.name());
  for (const auto &n : g.node())
    for (const auto &o : n.output()) names.push_back(o);
  return names;
}

void mutateAttribute(onnx::NodeProto &n, Random &r) {
  onnx::AttributeProto *a = n.attribute_size() && below(r, 3) ? n.mutable_attribute(static_cast<int>(below(r, n.attribute_size()))) : n.add_attribute();
  if (a->name().empty() || below(r, 8) == 0) a->set_name(kAttributes[below(r, std::size(kAttributes))]);
  switch (below(r, 6)) {
    case 0: a->set_type(onnx::AttributeProto::INT), a->set_i(interestingInt(r)); break;
    case 1:
      a->set_type(onnx::AttributeProto::INTS), a->clear_ints();
      for (size_t i = below(r, 6); i > 0; --i) a->add_ints(interestingInt(r));
      break;
    case 2: a->set_type(onnx::AttributeProto::FLOAT), a->set_f(below(r, 2) ? static_cast<float>(interestingInt(r)) : 0.5f); break;
    case 3: a->set_type(onnx::AttributeProto::STRING), a->set_s(kWords[below(r, std::size(kWords))]); break;
    case 4: a->set_type(static_cast<onnx::AttributeProto::AttributeType>(below(r, 14))); break;  // a type its value does not have
    default: n.mutable_attribute()->RemoveLast(); break;
  }
}

void mutateTensor(onnx::TensorProto &t, Random &r) {
  switch (below(r, 5)) {
    case 0:
      if (t.dims_size()) t.set_dims(static_cast<int>(below(r, t.dims_size())), interestingInt(r));
      else t.add_dims(interestingInt(r));
      break;
    case 1: {  // external data
      t.set_data_location(onnx::TensorProto::EXTERNAL);
      t.clear_external_data();
      auto *location = t.add_external_data();
      location->set_key("location");
      location->set_value(kLocations[below(r, std::size(kLocations))]);
      for (const char *key : {"offset", "length"})
        if (below(r, 2)) {
          auto *e = t.add_external_data();
          e->set_key(key);
          e->set_value(kByteCounts[below(r, std::size(kByteCounts))]);
        }
      break;
    }
    case 2: t.clear_float_data(), t.clear_raw_data(), t.clear_int64_data(); break;
    case 3: t.set_data_type(static_cast<int32_t>(below(r, 17))); break;
    default: t.add_dims(below(r, 2) ? 1 : interestingInt(r)); break;
  }
}

void mutateWiring(onnx::GraphProto &g, Random &r) {
  if (g.node_size() == 0) return;
  std::vector<std::string> names = valueNames(g);
  onnx::NodeProto &n = *g.mutable_node(static_cast<int>(below(r, g.node_size())));
  switch (below(r, 7)) {
    case 0:
      if (n.input_size()) n.set_input(static_cast<int>(below(r, n.input_size())), names[below(r, names.size())]);
      else n.add_input(names[below(r, names.size())]);
      break;
    case 1: n.add_input(names[below(r, names.size())]); break;
    case 2:  // a second producer of an existing value, or no output at all
      if (n.output_size() && below(r, 4)) n.set_output(0, names[below(r, names.size())]);
      else n.clear_output();
      break;
    case 3: n.set_op_type(kOps[below(r, std::size(kOps))]); break;
    case 4: g.mutable_node()->SwapElements(static_cast<int>(below(r, g.node_size())), static_cast<int>(below(r, g.node_size()))); break;
    case 5: *g.add_node() = n; break;
    default: g.mutable_node()->DeleteSubrange(static_cast<int>(below(r, g.node_size())), 1); break;
  }
}

void mutateModel(onnx::ModelProto &m, Random &r) {
  onnx::GraphProto &g = *m.mutable_graph();
  switch (below(r, 8)) {
    case 0:
    case 1:
      if (g.node_size()) mutateAttribute(*g.mutable_node(static_cast<int>(below(r, g.node_size()))), r);
      break;
    case 2:
      if (g.initializer_size()) mutateTensor(*g.mutable_initializer(static_cast<int>(below(r, g.initializer_size()))), r);
      break;
    case 3: {  // an input's dims
      if (!g.input_size()) break;
      auto *shape = g.mutable_input(static_cast<int>(below(r, g.input_size())))->mutable_type()->mutable_tensor_type()->mutable_shape();
      if (shape->dim_size() && below(r, 4)) shape->mutable_dim(static_cast<int>(below(r, shape->dim_size())))->set_dim_value(interestingInt(r));
      else shape->add_dim()->set_dim_value(interestingInt(r));
      break;
    }
    case 4:
    case 5: mutateWiring(g, r); break;
    case 6:  // graph outputs
      if (g.output_size() && below(r, 3)) g.mutable_output()->RemoveLast();
      else g.add_output()->set_name(valueNames(g)[below(r, valueNames(g).size())]);
      break;
    default:
      if (m.opset_import_size() == 0) m.add_opset_import();
      m.mutable_opset_import(0)->set_version(static_cast<int64_t>(below(r, 21)));
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  std::string d;
  try {
    static const deeper::ScratchFolder folder("deeper-fuzz-onnx");
    d = folder.path();
  } catch (const std::exception &) {
    return 1;
  }
  std::vector<float> floats(1024, 0.5f);
  std::string data(reinterpret_cast<const char *>(floats.data()), floats.size() * 4);
  std::ofstream(d + "/w.bin", std::ios::binary) << data;
  mkdir((d + "/sub").c_str(), 0700);
  std::ofstream(d + "/sub/w.bin", std::ios::binary) << data;
  if (symlink("/etc/passwd", (d + "/link.bin").c_str()) != 0 || symlink("/etc", (d + "/dir").c_str()) != 0 ||
      mkfifo((d + "/fifo.bin").c_str(), 0600) != 0)
    return 1;
  modelPath = d + "/m.onnx";
  return 0;
}

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t maxSize, unsigned int seed) {
  Random random(seed);
  onnx::ModelProto model;
  if (below(random, 8) == 0 || !model.ParseFromArray(data, static_cast<int>(size))) return LLVMFuzzerMutate(data, size, maxSize);
  for (size_t i = 1 + below(random, 3); i > 0; --i) mutateModel(model, random);
  std::string bytes;
  if (!model.SerializeToString(&bytes) || bytes.size() > maxSize) return LLVMFuzzerMutate(data, size, maxSize);
  std::memcpy(data, bytes.data(), bytes.size());
  return bytes.size();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  deeper::fuzz::loadAndExercise(std::string(reinterpret_cast<const char *>(data), size), modelPath);
  return 0;
}
