// The op table (ir/Ops.def) as C++: OpKind, pattern kinds, attribute specs and lookup.
#pragma once

#include "ir/Attr.h"

#include <string>
#include <string_view>
#include <vector>

namespace deeper {

enum class OpKind {
#define DEEPER_OP(Enum, name, minIn, maxIn, pattern, doc) Enum,
#define DEEPER_ATTR(Op, name, type, def, doc)
#include "ir/Ops.def"
};

/// How an op may fuse with its neighbours (TVM's OpPatternKind).
enum class PatternKind { Elementwise, Injective, OutElementwiseFusable, Opaque };

const char *patternKindName(PatternKind kind);

struct AttrSpec {
  const char *name;
  AttrType type;
  const char *defaultText;  ///< nullptr: the attribute is required
  const char *doc;
  AttrValue defaultValue() const;  ///< requires defaultText
};

struct OpInfo {
  OpKind kind;
  const char *name;
  int minInputs;
  int maxInputs;  ///< -1: any number
  PatternKind pattern;
  const char *doc;
  std::vector<AttrSpec> attrs;

  const AttrSpec *findAttr(std::string_view attr) const;
  bool acceptsInputs(int count) const { return count >= minInputs && (maxInputs < 0 || count <= maxInputs); }
};

const OpInfo &opInfo(OpKind kind);
const OpInfo *findOp(std::string_view name);
const std::vector<OpInfo> &allOps();
/// "avgpool, concat, conv, ..." for diagnostics.
std::string knownOpNames();

}  // namespace deeper
