// Two tiers of errors, as everywhere in Deeper:
//
//  * UserError: the input is wrong (a .dnet typo, a bad .npy, a missing weight). The message says where
//    (file:line:col with the source line and a caret, or the node's name) and what to do; the CLI prints
//    it and exits non-zero. Thrown, never aborts.
//  * DEEPER_CHECK: an invariant of our own code broke. Prints file and line of the check and aborts.
//
// Example:
//   models/bad.dnet:3:14: error: unknown op 'convv'
//       c1 = convv(data, out=64)
//            ^~~~~
//   note: known ops: avgpool, concat, conv, ...
#pragma once

#include <fmt/format.h>

#include <memory>
#include <stdexcept>
#include <string>

namespace deeper {

/// The text of one source file, shared by every location that points into it.
struct SourceFile {
  std::string path;
  std::string text;
  /// Line `line` (1-based) without its newline; empty when out of range.
  std::string lineText(int line) const;
};

struct SourceLoc {
  std::shared_ptr<const SourceFile> file;
  int line = 0;
  int col = 0;
  int length = 1;  ///< characters the caret underlines
  bool valid() const { return file != nullptr && line > 0; }
  std::string str() const;  ///< "path:line:col", or "" when invalid
};

/// Bad input. what() is the complete, ready-to-print diagnostic.
class UserError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Formats "loc: error: message", the source line with a caret, and an optional note.
std::string formatDiagnostic(const SourceLoc &loc, const std::string &message, const std::string &note = "");

/// Throws a UserError at `loc` (or, when the location is unknown, one that starts "error: ").
[[noreturn]] void failAt(const SourceLoc &loc, const std::string &message, const std::string &note = "");

/// Throws a UserError with a plain message: "error: <message>".
[[noreturn]] void fail(const std::string &message);

[[noreturn]] void internalFailure(const char *file, int line, const char *condition, const std::string &message);

}  // namespace deeper

/// Internal invariant: always on (also in release builds), aborts with file and line.
#define DEEPER_CHECK(cond, ...)                                                             \
  do {                                                                                      \
    if (!(cond)) ::deeper::internalFailure(__FILE__, __LINE__, #cond, fmt::format(__VA_ARGS__)); \
  } while (0)
