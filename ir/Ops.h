// The op table (ir/Ops.def) as C++: OpKind, pattern kinds, traits, attribute specs, learned
// parameters and lookup. What an op is lives there; passes and code generation ask it here.
#pragma once

#include "ir/Attr.h"

#include <string>
#include <string_view>
#include <vector>

namespace deeper {

enum class OpKind {
#define DEEPER_OP(Enum, name, minIn, maxIn, pattern, traits, doc) Enum,
#define DEEPER_ATTR(Op, name, type, def, doc)
#define DEEPER_WORD(Op, name, def, choices, doc)
#define DEEPER_PARAM(Op, Name, role, packing, kind, when, doc)
#include "ir/Ops.def"
};

/// Every learned tensor of every op, as <Op><Name>: Param::ConvBias is a conv's "<node>.bias".
enum class Param {
#define DEEPER_OP(Enum, name, minIn, maxIn, pattern, traits, doc)
#define DEEPER_ATTR(Op, name, type, def, doc)
#define DEEPER_WORD(Op, name, def, choices, doc)
#define DEEPER_PARAM(Op, Name, role, packing, kind, when, doc) Op##Name,
#include "ir/Ops.def"
};

/// What an op is, beyond its pattern kind (see ir/Ops.def): flags, joined with |.
namespace optrait {
enum : unsigned { None = 0, Window = 1u << 0, Alias = 1u << 1, Pointwise = 1u << 2, NoKernel = 1u << 3, Inlinable = 1u << 4 };
}

/// How code generation lays a learned tensor out for its kernel (codegen/Kernel.cpp, packParam).
enum class Packing {
  AsStored,      ///< as the tensor is
  PerChannel,    ///< [O], zero-padded to whole channel blocks
  ConvFilter,    ///< [O,I,KH,KW] -> a channel block's taps contiguous (or Winograd's transformed filter)
  FcMatrix,      ///< [O,I] -> [O/B][I][B]
  ReduceFilter,  ///< a fused 1x1 reduce's [R,I,1,1] -> [I][R padded], one block
};

/// What a learned tensor holds: chooses seeded values and the summary's weight/bias split.
enum class ParamKind { Filter, Bias, Scale, Mean };

struct ParamInfo {
  Param param;
  const char *role;         ///< "<node>.<role>" in weight files
  Packing packing;
  ParamKind kind;
  const char *presentWhen;  ///< a Bool attribute (true) or Int one (> 0) it exists under; nullptr: always
  const char *doc;
};

/// How an op may fuse with its neighbours (TVM's OpPatternKind).
enum class PatternKind { Elementwise, Injective, OutElementwiseFusable, Opaque };

const char *patternKindName(PatternKind kind);
/// "window", "alias, ..." or "" for an op's optrait flags.
std::string traitNames(unsigned traits);
const char *packingName(Packing packing);

struct AttrSpec {
  const char *name;
  AttrType type;
  const char *defaultText;  ///< nullptr: the attribute is required
  const char *doc;
  const char *choices = nullptr;  ///< a Word's allowed values, "a|b|c"
  AttrValue defaultValue() const;  ///< requires defaultText
  /// A Word's allowed values, in table order.
  std::vector<std::string> choiceList() const;
};

struct OpInfo {
  OpKind kind;
  const char *name;
  int minInputs;
  int maxInputs;  ///< -1: any number
  PatternKind pattern;
  unsigned traits;  ///< optrait flags
  const char *doc;
  std::vector<AttrSpec> attrs;
  std::vector<ParamInfo> params;  ///< in the order kernels receive them

  const AttrSpec *findAttr(std::string_view attr) const;
  bool has(unsigned trait) const { return (traits & trait) == trait; }
  bool acceptsInputs(int count) const { return count >= minInputs && (maxInputs < 0 || count <= maxInputs); }
};

const OpInfo &opInfo(OpKind kind);
const ParamInfo &paramInfo(Param param);
const OpInfo *findOp(std::string_view name);
const std::vector<OpInfo> &allOps();
/// "avgpool, concat, conv, ..." for diagnostics.
std::string knownOpNames();

}  // namespace deeper
