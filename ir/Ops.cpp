#include "ir/Ops.h"

#include "support/Diagnostics.h"

#include <algorithm>

namespace deeper {
namespace {

std::vector<OpInfo> buildTable() {
  std::vector<OpInfo> table;
#define DEEPER_OP(Enum, name, minIn, maxIn, pattern, doc) \
  table.push_back(OpInfo{OpKind::Enum, name, minIn, maxIn, PatternKind::pattern, doc, {}});
#define DEEPER_ATTR(Op, name, type, def, doc)                                  \
  DEEPER_CHECK(table.back().kind == OpKind::Op, "attribute {} listed outside its op", name); \
  table.back().attrs.push_back(AttrSpec{name, AttrType::type, def, doc});
#include "ir/Ops.def"
  for (const OpInfo &op : table)
    for (const AttrSpec &attr : op.attrs)
      if (attr.defaultText)
        DEEPER_CHECK(parseAttrValue(attr.type, attr.defaultText), "bad default for {}.{}", op.name, attr.name);
  return table;
}

}  // namespace

const char *patternKindName(PatternKind kind) {
  switch (kind) {
    case PatternKind::Elementwise: return "elementwise";
    case PatternKind::Injective: return "injective";
    case PatternKind::OutElementwiseFusable: return "out-elementwise-fusable";
    case PatternKind::Opaque: return "opaque";
  }
  return "?";
}

AttrValue AttrSpec::defaultValue() const {
  DEEPER_CHECK(defaultText != nullptr, "attribute {} has no default", name);
  return *parseAttrValue(type, defaultText);
}

const AttrSpec *OpInfo::findAttr(std::string_view attr) const {
  for (const AttrSpec &spec : attrs)
    if (attr == spec.name) return &spec;
  return nullptr;
}

const std::vector<OpInfo> &allOps() {
  static const std::vector<OpInfo> table = buildTable();
  return table;
}

const OpInfo &opInfo(OpKind kind) {
  const OpInfo &info = allOps()[static_cast<size_t>(kind)];
  DEEPER_CHECK(info.kind == kind, "op table out of order");
  return info;
}

const OpInfo *findOp(std::string_view name) {
  for (const OpInfo &info : allOps())
    if (name == info.name) return &info;
  return nullptr;
}

std::string knownOpNames() {
  std::vector<std::string> names;
  for (const OpInfo &info : allOps()) names.push_back(info.name);
  std::sort(names.begin(), names.end());
  return fmt::format("{}", fmt::join(names, ", "));
}

}  // namespace deeper
