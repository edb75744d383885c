// Names come from model files, which are untrusted (README, "Reliability"): printed raw, a control
// character in one could move the cursor, retitle the terminal or hide the rest of a message.
// Header-only, so that `deeper` and compiled executables print names the same way.
#pragma once

#include <cstdio>
#include <string>

namespace deeper {

/// `text` for a terminal: C0 controls other than newline and tab, DEL, and C1 controls (UTF-8
/// U+0080..U+009F, which some terminals obey) written as \xHH escapes; everything else unchanged.
inline std::string printableText(const std::string &text) {
  std::string out;
  out.reserve(text.size());
  char hex[16];
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    bool c1 = c == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) < 0xa0 &&
              static_cast<unsigned char>(text[i + 1]) >= 0x80;
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else if (c1) {
      std::snprintf(hex, sizeof hex, "\\xc2\\x%02x", static_cast<unsigned char>(text[++i]));
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace deeper
