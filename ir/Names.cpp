#include "ir/Names.h"

#include <fmt/format.h>

#include <cctype>

namespace deeper {

bool isNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '/' || c == '.'; }

bool isPlainName(const std::string &name) {
  if (name.empty()) return false;
  for (char c : name)
    if (!isNameChar(c)) return false;
  // Digits, then optionally '.' and digits, then optionally 'e' or 'E' and digits: the lexer's number.
  size_t i = 0;
  auto digits = [&] {
    size_t start = i;
    while (i < name.size() && std::isdigit(static_cast<unsigned char>(name[i]))) ++i;
    return i > start;
  };
  if (!digits()) return true;
  if (i + 1 < name.size() && name[i] == '.' && std::isdigit(static_cast<unsigned char>(name[i + 1]))) ++i, digits();
  if (i + 1 < name.size() && (name[i] == 'e' || name[i] == 'E') && std::isdigit(static_cast<unsigned char>(name[i + 1]))) ++i, digits();
  return i < name.size();  // a number followed by more name characters is a name ("1x1")
}

std::string printName(const std::string &name) {
  if (isPlainName(name)) return name;
  std::string out = "\"";
  for (char c : name) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      out += fmt::format("\\x{:02x}", u);
      continue;
    }
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace deeper
