#include "codegen/ScheduleFile.h"

#include "frontend/Lexer.h"
#include "ir/Names.h"

#include <memory>
#include <set>

namespace deeper {
namespace {

/// Reads `NAME : FIELD=VALUE ...` from tokens[at]; `at` ends past the line's newline.
ScheduleLine parseLine(const std::vector<Token> &tokens, size_t &at) {
  const Token &name = tokens[at];
  if (name.kind != TokenKind::Word) failAt(name.loc, "expected a kernel's name", "each line is NAME: FIELD=VALUE ...");
  if (tokens[at + 1].kind != TokenKind::Colon) failAt(tokens[at + 1].loc, fmt::format("expected ':' after '{}'", name.text));
  ScheduleLine line{name.text, name.loc, {}};
  at += 2;
  while (tokens[at].kind != TokenKind::Newline && tokens[at].kind != TokenKind::End) {
    const Token &key = tokens[at], &eq = tokens[at + 1];
    if (key.kind != TokenKind::Word || eq.kind != TokenKind::Equals)
      failAt(key.loc, "expected FIELD=VALUE", "fields: vector, tile_c, tile_x, chunk_i, block_tasks, parallel, winograd, autoscheduler");
    const Token &value = tokens[at + 2];
    if (value.kind != TokenKind::Word && value.kind != TokenKind::Number) failAt(value.loc, fmt::format("expected a value for '{}'", key.text));
    line.fields.push_back({key.text, value.text, key.loc});
    at += 3;
  }
  if (tokens[at].kind == TokenKind::Newline) ++at;
  return line;
}

}  // namespace

ScheduleChoices parseScheduleFile(const std::string &text, const std::string &path) {
  std::vector<Token> tokens = lex(std::make_shared<SourceFile>(SourceFile{path, text}));
  ScheduleChoices choices;
  size_t at = 0;
  while (tokens[at].kind != TokenKind::End) {
    if (tokens[at].kind == TokenKind::Newline) {
      ++at;
      continue;
    }
    ScheduleLine line = parseLine(tokens, at);
    auto [it, fresh] = choices.byNode.emplace(line.node, line);
    if (!fresh) failAt(line.loc, fmt::format("'{}' has a schedule already", line.node), fmt::format("first given at {}", it->second.loc.str()));
  }
  return choices;
}

Schedule chosenSchedule(const ScheduleChoices &choices, const Node &node, const Schedule &fallback) {
  auto it = choices.byNode.find(node.name);
  if (it == choices.byNode.end()) return fallback;
  Schedule s = fallback;
  for (const ScheduleLine::Field &f : it->second.fields) {
    std::string problem = s.assign(f.key, f.value);
    if (!problem.empty()) failAt(f.loc, problem);
  }
  std::string problem = scheduleProblem(node, s);
  if (!problem.empty())
    failAt(it->second.loc, fmt::format("no schedule for {} f32[{}]: {}", node.info().name, fmt::join(node.shape, ","), problem),
           fmt::format("its default is: {}", fallback.print()));
  return s;
}

void checkEveryLineUsed(const ScheduleChoices &choices, const std::vector<Kernel> &kernels, const Graph &graph) {
  std::set<std::string> named;
  for (const Kernel &k : kernels) named.insert(k.node->name);
  for (const auto &[name, line] : choices.byNode) {
    if (named.count(name)) continue;
    const Node *node = graph.find(name);
    failAt(line.loc, node ? fmt::format("'{}' runs no kernel of its own (a view, an in-place concat or a fused node)", name)
                          : fmt::format("the model has no kernel '{}'", name),
           "`deeper schedules MODEL` lists the kernels, with the same options as the compile");
  }
}

std::string printScheduleFile(const std::vector<Kernel> &kernels) {
  std::string out;
  for (const Kernel &k : kernels)
    out += fmt::format("# {} f32[{}]{}\n{}: {}\n", k.node->info().name, fmt::join(k.node->shape, ","),
                       k.lane > 1 ? fmt::format(" (lane {} of a module's branches: runs serially)", k.lane) : "",
                       printName(k.node->name), k.schedule.print());
  return out;
}

}  // namespace deeper
