#include "support/Diagnostics.h"

#include "runtime/printable.h"

#include <cstdio>
#include <cstdlib>

namespace deeper {

std::string SourceFile::lineText(int line) const {
  size_t begin = 0;
  for (int l = 1; l < line; ++l) {
    begin = text.find('\n', begin);
    if (begin == std::string::npos) return "";
    ++begin;
  }
  size_t end = text.find('\n', begin);
  return text.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

std::string SourceLoc::str() const {
  return valid() ? fmt::format("{}:{}:{}", file->path, line, col) : std::string();
}

std::string formatDiagnostic(const SourceLoc &loc, const std::string &message, const std::string &note) {
  std::string out;
  if (!loc.valid()) {
    out = fmt::format("error: {}", message);
  } else {
    std::string source = loc.file->lineText(loc.line);
    // Tabs keep their width in the caret line so the caret lands under the right character.
    std::string pad;
    for (int i = 0; i + 1 < loc.col && i < static_cast<int>(source.size()); ++i)
      pad += source[i] == '\t' ? '\t' : ' ';
    out = fmt::format("{}: error: {}\n    {}\n    {}^{}", loc.str(), message, source, pad,
                      std::string(loc.length > 1 ? loc.length - 1 : 0, '~'));
  }
  if (!note.empty()) out += fmt::format("\nnote: {}", note);
  return out;
}

void failAt(const SourceLoc &loc, const std::string &message, const std::string &note) {
  throw UserError(formatDiagnostic(loc, message, note));
}

void fail(const std::string &message) { throw UserError("error: " + message); }

void internalFailure(const char *file, int line, const char *condition, const std::string &message) {
  std::fprintf(stderr, "%s:%d: internal error: %s (check '%s' failed)\n", file, line, printableText(message).c_str(), condition);
  std::fflush(stderr);
  std::abort();
}

}  // namespace deeper
