#include "ir/Attr.h"

#include <fmt/format.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace deeper {
namespace {

std::optional<int64_t> parseInt(const std::string &text) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  size_t i = text[0] == '-' ? 1 : 0;
  if (i == text.size()) return std::nullopt;
  for (size_t j = i; j < text.size(); ++j)
    if (text[j] < '0' || text[j] > '9') return std::nullopt;
  long long v = std::strtoll(text.c_str(), nullptr, 10);
  if (v > kMaxAttrInt || v < -kMaxAttrInt) return std::nullopt;
  return v;
}

std::optional<Dims> parseDims(const std::string &text) {
  Dims dims;
  size_t begin = 0;
  while (true) {
    size_t x = text.find('x', begin);
    auto v = parseInt(text.substr(begin, x == std::string::npos ? std::string::npos : x - begin));
    if (!v) return std::nullopt;
    dims.push_back(*v);
    if (x == std::string::npos) return dims;
    begin = x + 1;
  }
}

}  // namespace

const char *attrTypeName(AttrType type) {
  switch (type) {
    case AttrType::Int: return "int";
    case AttrType::Float: return "float";
    case AttrType::Bool: return "bool";
    case AttrType::Int2: return "int2";
    case AttrType::Pad: return "pad";
    case AttrType::Dims: return "dims";
    case AttrType::Word: return "word";
  }
  return "?";
}

const char *attrTypeSyntax(AttrType type) {
  switch (type) {
    case AttrType::Int: return "an integer of magnitude below 2^31";
    case AttrType::Float: return "a number";
    case AttrType::Bool: return "true or false";
    case AttrType::Int2: return "K or KHxKW, e.g. 3 or 3x3 (each below 2^31)";
    case AttrType::Pad: return "P, PHxPW or TOPxLEFTxBOTTOMxRIGHT, e.g. 1, 1x2 or 0x0x1x1";
    case AttrType::Dims: return "sizes joined by x, e.g. 3x224x224 (each below 2^31)";
    case AttrType::Word: return "a lower-case word, e.g. reflect";
  }
  return "?";
}

std::optional<AttrValue> parseAttrValue(AttrType type, const std::string &text) {
  switch (type) {
    case AttrType::Int:
      if (auto v = parseInt(text)) return AttrValue(*v);
      return std::nullopt;
    case AttrType::Float: {
      if (text.empty()) return std::nullopt;
      char *end = nullptr;
      errno = 0;
      double v = std::strtod(text.c_str(), &end);
      if (*end != '\0' || errno == ERANGE || !std::isfinite(v)) return std::nullopt;  // no "nan", "inf"
      return AttrValue(v);
    }
    case AttrType::Bool:
      if (text == "true") return AttrValue(true);
      if (text == "false") return AttrValue(false);
      return std::nullopt;
    case AttrType::Int2: {
      auto dims = parseDims(text);
      if (!dims || dims->size() > 2) return std::nullopt;
      if (dims->size() == 1) dims->push_back((*dims)[0]);
      return AttrValue(*dims);
    }
    case AttrType::Pad: {
      auto dims = parseDims(text);
      if (!dims || dims->size() == 3 || dims->size() > 4) return std::nullopt;
      if (dims->size() == 1) dims->push_back((*dims)[0]);
      if (dims->size() == 2) dims->insert(dims->end(), {(*dims)[0], (*dims)[1]});
      return AttrValue(*dims);
    }
    case AttrType::Dims:
      if (auto dims = parseDims(text)) return AttrValue(*dims);
      return std::nullopt;
    case AttrType::Word: {
      bool word = !text.empty() && text[0] >= 'a' && text[0] <= 'z';
      for (char c : text) word = word && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
      if (word) return AttrValue(text);
      return std::nullopt;
    }
  }
  return std::nullopt;
}

std::string formatAttr(AttrType type, const AttrValue &value) {
  if (type == AttrType::Pad) {
    const Dims &p = std::get<Dims>(value);
    if (p.size() == 4 && p[0] == p[2] && p[1] == p[3]) return dimsString({p[0], p[1]});
  }
  return formatAttrValue(value);
}

std::string formatAttrValue(const AttrValue &value) {
  if (auto *i = std::get_if<int64_t>(&value)) return std::to_string(*i);
  if (auto *d = std::get_if<double>(&value)) return fmt::format("{}", *d);
  if (auto *b = std::get_if<bool>(&value)) return *b ? "true" : "false";
  if (auto *w = std::get_if<std::string>(&value)) return *w;
  return dimsString(std::get<Dims>(value));
}

}  // namespace deeper
