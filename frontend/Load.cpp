#include "frontend/Load.h"

#include "frontend/CaffeImporter.h"
#include "frontend/OnnxImporter.h"
#include "ir/ShapeFunctions.h"
#include "support/Files.h"

namespace deeper {
namespace {

std::string extensionOf(const std::string &path) {
  size_t slash = path.find_last_of('/');
  size_t dot = path.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "";
  return path.substr(dot);
}

std::string stemOf(const std::string &path) {
  size_t slash = path.find_last_of('/');
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  return base.substr(0, base.find('.'));
}

enum class Format { Dnet, Ir, Caffe, Onnx };

Format formatOf(const std::string &path) {
  std::string ext = extensionOf(path);
  if (ext == ".dnet") return Format::Dnet;
  if (ext == ".ir") return Format::Ir;
  if (ext == ".prototxt") return Format::Caffe;
  if (ext == ".onnx") return Format::Onnx;
  fail(fmt::format("'{}': unknown model format '{}'; Deeper reads .dnet (description language), .ir (printed IR) "
                   ".prototxt (Caffe) and .onnx",
                   path, ext));
}

}  // namespace

Graph parseModel(const std::string &text, const std::string &path, const ElaborateOptions &options) {
  Format format = formatOf(path);
  auto source = std::make_shared<SourceFile>(SourceFile{path, text});
  ElaborateOptions opts = options;
  if (opts.defaultName.empty()) opts.defaultName = stemOf(path);
  if (opts.defaultName.empty()) opts.defaultName = "model";  // a file called ".onnx"
  Graph graph = format == Format::Caffe  ? importCaffe(source, opts)
                : format == Format::Onnx ? importOnnx(path, text, opts)
                                         : elaborate(parseFile(source, format == Format::Dnet ? SourceKind::Dnet : SourceKind::Ir), opts);
  if (graph.name.empty()) graph.name = opts.defaultName;  // a Caffe `name: ""` or an ONNX graph's: no name to print
  // Every front end builds at the file's batch (so declared types check); a requested batch re-infers.
  if (opts.batch && *opts.batch != graph.batch) {
    graph.batch = *opts.batch;
    reinferShapes(graph);
  }
  return graph;
}

Graph loadModel(const std::string &path, const ElaborateOptions &options) {
  formatOf(path);  // reject an unknown format before reading the file
  return parseModel(readFile(path), path, options);
}

}  // namespace deeper
