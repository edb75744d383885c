// Running another program as a child process, with a time limit: what the tuner does with every
// candidate it measures, so that a candidate which crashes or hangs is recorded, never fatal.
#pragma once

#include <string>
#include <vector>

namespace deeper {

struct ProcessResult {
  enum class Ending { Exited, Signalled, TimedOut, NotStarted } ending = Ending::NotStarted;
  int code = 0;        ///< the exit status (Exited) or the signal (Signalled)
  std::string output;  ///< stdout and stderr together, at most the last 64 KiB
  double seconds = 0;

  bool ok() const { return ending == Ending::Exited && code == 0; }
  /// "exit status 3", "killed by signal 11 (Segmentation fault)", "no answer within 12 s", ...
  std::string describe() const;
};

/// `word` as a POSIX shell reads it back as one word: as it is when it holds only characters no shell
/// treats specially, else in single quotes.
std::string shellQuoted(const std::string &word);

/// Whether process `pid` has ended (no such process): what a leftover file named by its pid needs to
/// be removed. A pid we may not signal is alive.
bool processIsGone(long pid);

/// Runs `argv` (argv[0] a path, or a program on PATH; no shell) and waits at most `timeoutSeconds`, after which the child and
/// everything it started are killed.
ProcessResult runProcess(const std::vector<std::string> &argv, double timeoutSeconds);

}  // namespace deeper
