#include "frontend/Load.h"

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

SourceKind sourceKindOf(const std::string &path) {
  std::string ext = extensionOf(path);
  if (ext == ".dnet") return SourceKind::Dnet;
  if (ext == ".ir") return SourceKind::Ir;
  fail(fmt::format("'{}': unknown model format '{}'; Deeper reads .dnet (description language) and .ir (printed IR)",
                   path, ext));
}

}  // namespace

Graph parseModel(const std::string &text, const std::string &path, const ElaborateOptions &options) {
  SourceKind kind = sourceKindOf(path);
  auto source = std::make_shared<SourceFile>(SourceFile{path, text});
  ElaborateOptions opts = options;
  if (opts.defaultName.empty()) opts.defaultName = stemOf(path);
  return elaborate(parseFile(source, kind), opts);
}

Graph loadModel(const std::string &path, const ElaborateOptions &options) {
  sourceKindOf(path);  // reject an unknown format before reading the file
  return parseModel(readFile(path), path, options);
}

}  // namespace deeper
