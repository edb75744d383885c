// Attribute values of IR nodes and their one textual form, shared by the .dnet parser, the IR printer
// and the op table's defaults (which are written as text and parsed by the same function).
#pragma once

#include "support/Tensor.h"

#include <optional>
#include <string>
#include <variant>

namespace deeper {

enum class AttrType { Int, Float, Bool, Int2, Pad, Dims, Word };

/// The largest magnitude of an integer attribute (and of each entry of a size list). Sizes beyond
/// 2^31 are typos or attacks, not networks; bounding them keeps all size arithmetic in int64.
constexpr int64_t kMaxAttrInt = (int64_t(1) << 31) - 1;

/// Int -> int64_t, Float -> double, Bool -> bool, Int2, Pad and Dims -> Dims (Int2 always has two
/// entries; Pad four: top, left, bottom, right, written "P", "PHxPW" or "TxLxBxR"), Word (a lower-case
/// identifier naming a choice, e.g. a pad mode) -> std::string.
using AttrValue = std::variant<int64_t, double, bool, Dims, std::string>;

const char *attrTypeName(AttrType type);
/// What a user should write for this type, for diagnostics: "an integer", "K or KHxKW", ...
const char *attrTypeSyntax(AttrType type);

/// Parses the textual form of a value of `type`; nullopt when `text` is not one.
std::optional<AttrValue> parseAttrValue(AttrType type, const std::string &text);

/// The textual form; parseAttrValue(type, formatAttrValue(v)) == v.
std::string formatAttrValue(const AttrValue &value);

/// The shortest textual form for an attribute of `type` (a symmetric Pad prints as "PHxPW").
std::string formatAttr(AttrType type, const AttrValue &value);

}  // namespace deeper
