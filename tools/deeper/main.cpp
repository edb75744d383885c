// deeper: the Deeper command-line tool. See `deeper --help`.
#include "tools/deeper/CommandTable.h"
#include "tools/deeper/Commands.h"

#include "runtime/printable.h"
#include "support/Diagnostics.h"
#include "support/Files.h"

#include <csignal>
#include <cstring>
#include <exception>

namespace {

/// Ctrl-C (or a kill) in the middle of a compile: the outputs staged so far go, as when it fails.
void onInterrupt(int signal) {
  deeper::removeStagingOnSignal();
  std::signal(signal, SIG_DFL);
  std::raise(signal);
}

/// `deeper CMD ... --help`: CMD's options; with no command named, the list of commands.
std::string helpFor(int argc, char **argv) {
  for (int i = 1; i < argc; ++i)
    if (argv[i][0] != '-') {
      const deeper::cli::CommandSpec *command = deeper::cli::findCommand(argv[i]);
      return command ? deeper::cli::commandUsage(*command) : deeper::cli::generalUsage();
    }
  return deeper::cli::generalUsage();
}

}  // namespace

int main(int argc, char **argv) {
  for (int signal : {SIGINT, SIGTERM, SIGHUP})  // a signal ignored from the start (nohup, a background job) stays ignored
    if (std::signal(signal, onInterrupt) == SIG_IGN) std::signal(signal, SIG_IGN);
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) {
      fmt::print("{}", helpFor(argc, argv));
      return 0;
    }
    if (!std::strcmp(argv[i], "--version")) {
      fmt::print("{}", deeper::cli::versionText());
      return 0;
    }
  }
  // Every exception ends here as one line and status 1, never as an abort: a UserError is the
  // input's fault and says what to do; anything else is ours, and says so with the file that caused it.
  std::string model;
  try {
    deeper::cli::Options options = deeper::cli::parseOptions(argc, argv);
    model = options.model;
    return deeper::cli::runCommand(options);
  } catch (const deeper::UserError &e) {
    fmt::print(stderr, "{}\n", deeper::printableText(e.what()));
  } catch (const std::bad_alloc &) {
    fmt::print(stderr, "error: out of memory{}\n", model.empty() ? "" : fmt::format(" while processing '{}'", deeper::printableText(model)));
  } catch (const std::exception &e) {
    fmt::print(stderr, "error: internal error{}: {}\nnote: this is a bug in Deeper; please report it with the file\n",
               model.empty() ? "" : fmt::format(" while processing '{}'", deeper::printableText(model)), deeper::printableText(e.what()));
  }
  return 1;
}
