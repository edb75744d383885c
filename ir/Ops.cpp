#include "ir/Ops.h"

#include "support/Diagnostics.h"

#include <algorithm>

namespace deeper {
namespace {

std::vector<OpInfo> buildTable() {
  using namespace optrait;  // the traits column names them bare
  std::vector<OpInfo> table;
#define DEEPER_OP(Enum, name, minIn, maxIn, pattern, traits, doc) \
  table.push_back(OpInfo{OpKind::Enum, name, minIn, maxIn, PatternKind::pattern, traits, doc, {}, {}});
#define DEEPER_ATTR(Op, name, type, def, doc)                                                    \
  DEEPER_CHECK(table.back().kind == OpKind::Op, "attribute {} listed outside its op", name); \
  table.back().attrs.push_back(AttrSpec{name, AttrType::type, def, doc});
#define DEEPER_WORD(Op, name, def, choices, doc)                                                 \
  DEEPER_CHECK(table.back().kind == OpKind::Op, "attribute {} listed outside its op", name); \
  table.back().attrs.push_back(AttrSpec{name, AttrType::Word, def, doc, choices});
#define DEEPER_PARAM(Op, Name, role, packing, paramKind, when, doc)                             \
  DEEPER_CHECK(table.back().kind == OpKind::Op, "parameter {} listed outside its op", role); \
  table.back().params.push_back(ParamInfo{Param::Op##Name, role, Packing::packing, ParamKind::paramKind, when, doc});
#include "ir/Ops.def"
  for (OpInfo &op : table)  // one attribute for every op of the trait, documented once
    if (op.has(Inlinable))
      op.attrs.push_back(AttrSpec{"inline", AttrType::Bool, "false",
                                  "computed inside the kernel of its elementwise chain's last node, its one reader of its shape being the "
                                  "chain's next (elementwise-fusion)"});
  for (const OpInfo &op : table) {
    for (const AttrSpec &attr : op.attrs) {
      if (attr.defaultText)
        DEEPER_CHECK(parseAttrValue(attr.type, attr.defaultText), "bad default for {}.{}", op.name, attr.name);
      if (attr.choices && attr.defaultText) {
        std::vector<std::string> choices = attr.choiceList();
        DEEPER_CHECK(std::find(choices.begin(), choices.end(), attr.defaultText) != choices.end(), "{}.{}: default not a choice", op.name,
                     attr.name);
      }
    }
    for (const ParamInfo &param : op.params)
      if (param.presentWhen) {
        const AttrSpec *when = op.findAttr(param.presentWhen);
        DEEPER_CHECK(when && (when->type == AttrType::Bool || when->type == AttrType::Int), "{}.{}: present when '{}', no Bool or Int attribute",
                     op.name, param.role, param.presentWhen);
      }
  }
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

std::string traitNames(unsigned traits) {
  std::vector<std::string> names;
  for (auto [flag, name] : {std::pair<unsigned, const char *>{optrait::Window, "window"}, {optrait::Alias, "alias"},
                            {optrait::Pointwise, "pointwise"}, {optrait::NoKernel, "no-kernel"}, {optrait::Inlinable, "inlinable"}})
    if (traits & flag) names.push_back(name);
  return fmt::format("{}", fmt::join(names, ", "));
}

const char *packingName(Packing packing) {
  switch (packing) {
    case Packing::AsStored: return "as-stored";
    case Packing::PerChannel: return "per-channel";
    case Packing::ConvFilter: return "conv-filter";
    case Packing::FcMatrix: return "fc-matrix";
    case Packing::ReduceFilter: return "reduce-filter";
  }
  return "?";
}

AttrValue AttrSpec::defaultValue() const {
  DEEPER_CHECK(defaultText != nullptr, "attribute {} has no default", name);
  return *parseAttrValue(type, defaultText);
}

std::vector<std::string> AttrSpec::choiceList() const {
  std::vector<std::string> out;
  if (!choices) return out;
  std::string_view rest = choices;
  for (size_t bar; (bar = rest.find('|')) != std::string_view::npos; rest.remove_prefix(bar + 1)) out.emplace_back(rest.substr(0, bar));
  out.emplace_back(rest);
  return out;
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

const ParamInfo &paramInfo(Param param) {
  static const std::vector<ParamInfo> params = [] {
    std::vector<ParamInfo> all;
    for (const OpInfo &op : allOps()) all.insert(all.end(), op.params.begin(), op.params.end());
    return all;
  }();
  const ParamInfo &info = params.at(static_cast<size_t>(param));
  DEEPER_CHECK(info.param == param, "parameter table out of order");
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
