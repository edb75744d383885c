// The commands of `deeper`, their operands and the options each takes, with their help: the one table
// that `deeper help CMD` prints and the option parser checks a command line against (an option a
// command does not take is an error, never silently ignored).
#pragma once

#include <string>
#include <vector>

namespace deeper::cli {

/// One option as a command's help shows it: "--target T" and what it does there.
struct OptionHelp {
  std::string spelling;  ///< the option and its value's name; the first word is the option itself
  std::string text;
  std::string key() const { return spelling.substr(0, spelling.find(' ')); }
};

struct CommandSpec {
  std::string name;
  std::string operands;  ///< what follows the name in the usage line: "MODEL", "DIR_A DIR_B | MODEL", ""
  std::string summary;   ///< one line, for `deeper --help`
  bool pipeline = false; ///< takes the pipeline options (every command that loads a MODEL)
  std::vector<OptionHelp> options;
  std::string notes;     ///< lines after the options
};

const std::vector<CommandSpec> &commandSpecs();
/// The command called `name`, or null.
const CommandSpec *findCommand(const std::string &name);
std::vector<std::string> commandNames();
/// The options of every command that loads a MODEL (--batch, --passes, ...).
const std::vector<OptionHelp> &pipelineOptions();
/// Every option `command` takes, its own and (when it loads a MODEL) the pipeline's.
std::vector<std::string> optionsOf(const CommandSpec &command);

/// `deeper --help`: the commands, one line each.
std::string generalUsage();
/// `deeper help CMD`, `deeper CMD --help`: the usage line, summary and every option the command takes.
std::string commandUsage(const CommandSpec &command);
/// `deeper --version`.
std::string versionText();

}  // namespace deeper::cli
