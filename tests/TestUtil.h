// Helpers shared by the unit tests.
#pragma once

#include "frontend/Load.h"
#include "ir/Graph.h"
#include "support/Files.h"

#include <functional>
#include <optional>
#include <string>

namespace deeper::test {

std::string sourcePath(const std::string &relative);  ///< inside the repository
std::string googlenetPath();
/// `relative` in the shared folder beside the checkout (../shared), or "" when this clone has none
/// beside it (a user's clone): the caller then skips, and this says so in the test's output.
std::string sharedFile(const std::string &relative);
Graph parse(const std::string &text, const std::string &path = "test.dnet");

/// The message of the UserError `fn` throws; fails the test when it throws none.
std::string userErrorOf(const std::function<void()> &fn);

struct CliResult {
  int status;
  std::string output;  ///< stdout and stderr together
};
/// Runs the deeper binary with `args` (a shell-quoted string).
CliResult runDeeper(const std::string &args);
/// Runs a shell command line; `output` is what it writes to stdout.
CliResult runShell(const std::string &command);

/// A fresh, empty directory for the files a test writes; removed with everything in it at scope exit.
/// A test that crashed leaves it behind; the next test run removes it (ScratchFolder).
struct TempDir {
  ScratchFolder folder{"deeper-test"};
  const std::string path = folder.path();
};

/// Environment variable `name` set to `value` for the scope; its previous state is restored after.
class ScopedEnv {
 public:
  ScopedEnv(std::string name, const std::string &value);
  ~ScopedEnv();
  ScopedEnv(const ScopedEnv &) = delete;
  ScopedEnv &operator=(const ScopedEnv &) = delete;

 private:
  std::string name_;
  std::optional<std::string> previous_;
};

}  // namespace deeper::test

/// CHECKs that `text` contains `part`, and shows `text` when it does not.
#define CHECK_MENTIONS(text, part)                   \
  do {                                               \
    std::string text_ = (text);                      \
    INFO(text_);                                     \
    CHECK(text_.find(part) != std::string::npos);    \
  } while (0)
