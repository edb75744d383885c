#include "tools/deeper/Options.h"

#include "codegen/CacheFolder.h"
#include "codegen/Schedule.h"
#include "support/Diagnostics.h"
#include "support/Process.h"
#include "support/Suggest.h"
#include "tools/deeper/CommandTable.h"

#include <fmt/ranges.h>

#include <algorithm>
#include <functional>
#include <map>
#include <set>

namespace deeper::cli {
namespace {

NamedFile namedFile(const std::string &text) {
  size_t eq = text.find('=');
  if (eq == std::string::npos) return NamedFile{"", text};
  return NamedFile{text.substr(0, eq), text.substr(eq + 1)};
}

/// "90s", "10m", "1h" or plain seconds.
double parseDuration(const std::string &flag, const std::string &text) {
  static const std::map<char, double> units = {{'s', 1}, {'m', 60}, {'h', 3600}};
  std::string number = text;
  double unit = 1;
  if (!text.empty() && units.count(text.back())) unit = units.at(text.back()), number.pop_back();
  bool digits = !number.empty() && number.size() <= 9 && number.find_first_not_of("0123456789") == std::string::npos;
  if (!digits) fail(fmt::format("{} expects a duration such as 90s, 10m or 1h, got '{}'", flag, text));
  return std::stod(number) * unit;
}

uint64_t parseCount(const std::string &flag, const std::string &text, bool allowZero) {
  bool digits = !text.empty() && text.size() <= 18 && text.find_first_not_of("0123456789") == std::string::npos;
  uint64_t v = digits ? std::stoull(text) : 0;
  if (!digits || (!allowZero && v == 0))
    fail(fmt::format("{} expects a {} integer, got '{}'", flag, allowZero ? "non-negative" : "positive", text));
  return v;
}

std::vector<std::string> splitList(const std::string &text) {
  std::vector<std::string> items;
  size_t begin = 0;
  while (begin <= text.size() && !text.empty()) {
    size_t comma = text.find(',', begin);
    std::string item = text.substr(begin, comma == std::string::npos ? std::string::npos : comma - begin);
    if (!item.empty()) items.push_back(item);
    if (comma == std::string::npos) break;
    begin = comma + 1;
  }
  return items;
}

using Setter = std::function<void(Options &, const std::string &)>;

/// Options that take a value.
const std::map<std::string, Setter> &valueOptions() {
  static const std::map<std::string, Setter> table = {
      {"--batch", [](Options &o, const std::string &v) { o.batch = static_cast<int64_t>(parseCount("--batch", v, false)); }},
      {"--passes", [](Options &o, const std::string &v) { o.passes = splitList(v); }},
      {"--print-after", [](Options &o, const std::string &v) { for (auto &p : splitList(v)) o.printAfter.push_back(p); }},
      {"--input", [](Options &o, const std::string &v) { o.inputs.push_back(namedFile(v)); }},
      {"--output", [](Options &o, const std::string &v) { o.outputs.push_back(namedFile(v)); }},
      {"--bind", [](Options &o, const std::string &v) { o.bind.push_back(namedFile(v)); }},
      {"--seed", [](Options &o, const std::string &v) { o.seed = parseCount("--seed", v, true); }},
      {"--weights", [](Options &o, const std::string &v) { o.weights = v; }},
      {"-o", [](Options &o, const std::string &v) { o.outFile = v; }},
      {"--target", [](Options &o, const std::string &v) { o.target = v; }},
      {"--jobs", [](Options &o, const std::string &v) { o.jobs = static_cast<int>(parseCount("--jobs", v, false)); }},
      {"--outputs", [](Options &o, const std::string &v) { o.outputsOverride = splitList(v); }},
      {"--schedules", [](Options &o, const std::string &v) { o.schedules = v; }},
      {"--db", [](Options &o, const std::string &v) { o.db = v; }},
      {"--budget", [](Options &o, const std::string &v) { o.budgetSeconds = parseDuration("--budget", v); }},
      {"--trials", [](Options &o, const std::string &v) { o.trials = static_cast<int64_t>(parseCount("--trials", v, false)); }},
      {"--threads", [](Options &o, const std::string &v) {
         uint64_t n = parseCount("--threads", v, false);
         if (n > 256) fail(fmt::format("--threads {}: at most 256", v));
         o.threads = static_cast<int>(n);
       }},
      {"--autoschedulers", [](Options &o, const std::string &v) {
         o.autoschedulers = splitList(v);
         const std::vector<std::string> &known = Schedule::autoschedulers();
         for (const std::string &name : *o.autoschedulers)
           if (std::find(known.begin(), known.end(), name) == known.end())
             fail(fmt::format("--autoschedulers: no autoscheduler '{}'{}; Halide 14's are {}", name, didYouMean(name, known), fmt::join(known, ", ")));
       }},
      {"--export", [](Options &o, const std::string &v) { o.exportFile = v; }},
      {"--import", [](Options &o, const std::string &v) { o.importFile = v; }},
      {"--kernel", [](Options &o, const std::string &v) { o.kernel = v; }},
      {"--a", [](Options &o, const std::string &v) { o.variantA = v; }},
      {"--b", [](Options &o, const std::string &v) { o.variantB = v; }},
      {"--rounds", [](Options &o, const std::string &v) { o.rounds = static_cast<int>(std::min<uint64_t>(100, parseCount("--rounds", v, false))); }},
      {"--max-size", [](Options &o, const std::string &v) { o.maxCacheBytes = parseByteSize(v, "--max-size"); }},
      {"--runs", [](Options &o, const std::string &v) { o.runs = static_cast<int>(std::min<uint64_t>(10000, parseCount("--runs", v, false))); }},
  };
  return table;
}

/// Options that are flags.
const std::map<std::string, bool Options::*> &flagOptions() {
  static const std::map<std::string, bool Options::*> table = {
      {"--print-after-all", &Options::printAfterAll}, {"--time-passes", &Options::timePasses},
      {"--verify-each", &Options::verifyEach},         {"--json", &Options::json},
      {"--all", &Options::all},                        {"--synthetic-input", &Options::syntheticInput},
      {"--top5", &Options::top5},                      {"--no-fuse-reduce", &Options::noFuseReduce},
      {"--best", &Options::best},                      {"--stmt", &Options::stmt},
      {"--asm", &Options::assembly},                   {"--measure", &Options::measure},
      {"--no-ablation", &Options::noAblation},         {"--ort", &Options::ort},
      {"--prune", &Options::prune},                    {"--clear", &Options::clear},
      {"--embed-weights", &Options::embedWeights},     {"--shared", &Options::shared},
  };
  return table;
}

/// Consumes one option at argv[i] (and its value) and appends its name to `given`; returns the next
/// index. An option no command takes is only recorded: checkOptions reports it, knowing the command.
int parseOne(Options &o, int argc, char **argv, int i, std::vector<std::string> &given) {
  std::string arg = argv[i];
  std::string key = arg, value;
  bool inlineValue = false;
  if (size_t eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
    key = arg.substr(0, eq);
    value = arg.substr(eq + 1);
    inlineValue = true;
  }
  given.push_back(key);
  if (auto flag = flagOptions().find(key); flag != flagOptions().end()) {
    if (inlineValue) fail(fmt::format("{} takes no value", key));
    o.*(flag->second) = true;
    return i + 1;
  }
  auto setter = valueOptions().find(key);
  if (setter == valueOptions().end()) return i + 1;
  if (!inlineValue) {
    if (i + 1 >= argc) fail(fmt::format("{} needs a value", key));
    value = argv[++i];
  }
  setter->second(o, value);
  return i + 1;
}

bool isOption(const std::string &key) { return flagOptions().count(key) || valueOptions().count(key); }

/// The command table and the parser agree: each option a command lists parses, and each option that
/// parses is some command's (an option only the parser knows would be refused by every command).
void checkTableAgreesWithParser() {
  std::set<std::string> listed;
  for (const CommandSpec &c : commandSpecs())
    for (const std::string &key : optionsOf(c)) {
      DEEPER_CHECK(isOption(key), "'deeper {}' lists {}, which the parser does not know", c.name, key);
      listed.insert(key);
    }
  for (const auto &entry : valueOptions()) DEEPER_CHECK(listed.count(entry.first), "no command lists {}", entry.first);
  for (const auto &entry : flagOptions()) DEEPER_CHECK(listed.count(entry.first), "no command lists {}", entry.first);
}

/// Every option in `given` is one `command` takes; `who` names the command line's user in errors.
void checkOptions(const CommandSpec &command, const std::vector<std::string> &given, const std::string &who) {
  std::vector<std::string> taken = optionsOf(command);
  std::string help = fmt::format("`deeper help {}` lists its options", command.name);
  for (const std::string &key : given) {
    if (std::find(taken.begin(), taken.end(), key) != taken.end()) continue;
    if (!isOption(key)) fail(fmt::format("unknown option '{}'{}; {}", key, didYouMean(key, taken), help));
    std::vector<std::string> others;
    for (const CommandSpec &c : commandSpecs()) {
      std::vector<std::string> theirs = optionsOf(c);
      if (std::find(theirs.begin(), theirs.end(), key) != theirs.end()) others.push_back(c.name);
    }
    fail(fmt::format("{} does not take {} ({} take{} it){}; {}", who, key, fmt::join(others, ", "), others.size() == 1 ? "s" : "",
                     didYouMean(key, taken), help));
  }
}

}  // namespace

Options withOptionText(Options o, const std::string &text) {
  std::vector<std::string> words;
  for (size_t i = 0; i < text.size();) {
    size_t begin = text.find_first_not_of(" \t\n", i);
    if (begin == std::string::npos) break;
    size_t end = text.find_first_of(" \t\n", begin);
    words.push_back(text.substr(begin, end == std::string::npos ? std::string::npos : end - begin));
    i = end == std::string::npos ? text.size() : end;
  }
  std::vector<char *> argv;
  for (std::string &w : words) argv.push_back(w.data());
  std::vector<std::string> given;
  for (int i = 0; i < static_cast<int>(argv.size());) {
    if (argv[i][0] != '-') fail(fmt::format("'{}' in \"{}\": a variant is options only (the model is given once)", argv[i], text));
    i = parseOne(o, static_cast<int>(argv.size()), argv.data(), i, given);
  }
  checkOptions(*findCommand("compile"), given, fmt::format("a build's options (\"{}\", as for compile)", text));
  return o;
}

Options parseOptions(int argc, char **argv) {
  static const bool tableChecked = (checkTableAgreesWithParser(), true);
  (void)tableChecked;
  Options o;
  o.commandLine = "deeper";
  for (int i = 1; i < argc; ++i) o.commandLine += " " + shellQuoted(argv[i]);
  std::vector<std::string> positional, given;
  for (int i = 1; i < argc;) {
    std::string arg = argv[i];
    if (arg.size() > 1 && arg[0] == '-') {
      i = parseOne(o, argc, argv, i, given);
    } else {
      positional.push_back(arg);
      ++i;
    }
  }
  if (positional.empty()) fail("no command given; see `deeper --help`");
  o.command = positional[0];
  const CommandSpec *command = findCommand(o.command);
  if (!command) fail(fmt::format("unknown command '{}'{}; see `deeper --help`", o.command, didYouMean(o.command, commandNames())));
  checkOptions(*command, given, fmt::format("'deeper {}'", o.command));
  size_t most = command->operands.empty() ? 1 : o.command == "compare" ? 3 : 2;  // compare DIR_A DIR_B
  if (positional.size() > most)
    fail(fmt::format("unexpected argument '{}'; {}", positional[most],
                     most == 3 ? "compare takes two folders" : most == 1 ? fmt::format("'deeper {}' takes no operand", o.command) : "one MODEL per command"));
  if (positional.size() >= 2) o.model = positional[1];
  if (positional.size() == 3) o.secondModel = positional[2];
  if (o.seed && !o.weights.empty()) fail("--seed and --weights exclude each other: give one");
  return o;
}

}  // namespace deeper::cli
