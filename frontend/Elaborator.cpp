#include "frontend/Elaborator.h"

#include "frontend/Builder.h"

#include <algorithm>
#include <deque>
#include <map>
#include <set>

namespace deeper {
namespace {

/// Expansion stops with an error past this many nodes, so a block that fans out exponentially fails
/// fast instead of exhausting memory.
constexpr size_t kMaxNodes = 1000000;
/// Blocks may instantiate blocks this deep. Expansion, argument resolution and the size estimate
/// recurse once per level, so the limit also bounds their stack.
constexpr size_t kMaxBlockDepth = 100;

struct Scope;

/// A block argument: the caller's value, looked up in the caller's scope when used.
struct Binding {
  ast::Value value;
  const Scope *scope;
};

struct Scope {
  std::string prefix;  ///< "inception_3a/" inside that instance, "" at top level
  NodeOrigin origin;
  std::map<std::string, Binding> params;
  std::map<std::string, std::string> locals;  ///< local name -> full name of its value
  std::map<std::string, SourceLoc> defined;   ///< local and parameter names -> where defined
};

/// A reference to a value or literal, resolved once every scope is complete.
struct Ref {
  ast::Value value;
  const Scope *scope;
};

struct FlatNode {
  std::string name;
  const OpInfo *op;
  std::vector<Ref> inputs;
  std::vector<std::pair<const AttrSpec *, Ref>> attrs;
  const ast::Assign *stmt;
  NodeOrigin origin;
};

struct ResolvedNode {
  const FlatNode *flat;
  std::vector<std::string> inputs;
  std::vector<SourceLoc> inputLocs;
};

class Elaborator {
 public:
  Elaborator(const ast::File &file, const ElaborateOptions &options) : file_(file), options_(options) {}

  Graph run() {
    indexBlocks();
    Scope &top = scopes_.emplace_back();
    expandStatements(file_.statements, top);
    std::vector<ResolvedNode> nodes = resolveAll();
    Graph graph;
    graph.name = !file_.network.empty() ? file_.network : options_.defaultName;
    graph.batch = file_.batch.value_or(1);
    build(graph, topologicalOrder(nodes));
    declareOutputs(graph, top);
    return graph;
  }

 private:
  // --- blocks ---
  void indexBlocks() {
    for (const ast::BlockDef &def : file_.blocks) {
      if (findOp(def.name)) failAt(def.loc, fmt::format("block '{}' has the name of an op", def.name), "rename the block");
      auto [it, fresh] = blocks_.emplace(def.name, &def);
      if (!fresh) failAt(def.loc, fmt::format("duplicate block '{}'", def.name), fmt::format("first defined at {}", it->second->loc.str()));
      std::map<std::string, SourceLoc> params;
      for (const ast::Param &p : def.params)
        if (!params.emplace(p.name, p.loc).second) failAt(p.loc, fmt::format("duplicate parameter '{}'", p.name));
    }
  }

  // --- expansion ---
  void define(Scope &scope, const std::string &name, const SourceLoc &loc) {
    auto [it, fresh] = scope.defined.emplace(name, loc);
    if (!fresh)
      failAt(loc, fmt::format("duplicate name '{}'", name), fmt::format("first defined at {}", it->second.str()));
  }

  void expandStatements(const std::vector<ast::Assign> &stmts, Scope &scope) {
    for (const ast::Assign &s : stmts) define(scope, s.name, s.nameLoc);
    for (const ast::Assign &s : stmts) {
      if (const OpInfo *op = findOp(s.callee)) expandOp(s, *op, scope);
      else if (auto it = blocks_.find(s.callee); it != blocks_.end()) scope.locals[s.name] = expandBlock(s, *it->second, scope);
      else failAt(s.calleeLoc, fmt::format("unknown op or block '{}'", s.callee), fmt::format("known ops: {}{}", knownOpNames(), blockNames()));
    }
  }

  std::string blockNames() const {
    std::vector<std::string> names;
    for (const auto &entry : blocks_) names.push_back(entry.first);
    return names.empty() ? "" : fmt::format("; blocks: {}", fmt::join(names, ", "));
  }

  void expandOp(const ast::Assign &s, const OpInfo &op, Scope &scope) {
    FlatNode node{scope.prefix + s.name, &op, {}, {}, &s, scope.origin};
    if (!s.blockInstance.empty()) node.origin = NodeOrigin{{}, s.blockInstance, s.blockType};
    node.origin.loc = s.nameLoc;
    for (const ast::Arg &arg : s.args) {
      if (arg.key.empty()) {
        node.inputs.push_back(Ref{arg.value, &scope});
        continue;
      }
      const AttrSpec *spec = op.findAttr(arg.key);
      if (!spec) failAt(arg.keyLoc, fmt::format("{} has no attribute '{}'", op.name, arg.key), attrList(op));
      for (const auto &seen : node.attrs)
        if (seen.first == spec) failAt(arg.keyLoc, fmt::format("attribute '{}' given twice", arg.key));
      node.attrs.emplace_back(spec, Ref{arg.value, &scope});
    }
    scope.locals[s.name] = node.name;
    flatNames_.insert(node.name);
    flat_.push_back(std::move(node));
    if (flat_.size() > kMaxNodes)
      failAt(s.nameLoc, fmt::format("the network expands to more than {} nodes", kMaxNodes), "check for blocks that instantiate each other many times");
  }

  static std::string attrList(const OpInfo &op) {
    std::vector<std::string> names;
    for (const AttrSpec &a : op.attrs) names.push_back(a.name);
    return names.empty() ? fmt::format("{} takes no attributes", op.name)
                         : fmt::format("{} attributes: {}", op.name, fmt::join(names, ", "));
  }

  /// Expands one instance; returns the full name of the value it returns.
  std::string expandBlock(const ast::Assign &call, const ast::BlockDef &def, Scope &caller) {
    for (const std::string &active : stack_)
      if (active == def.name)
        failAt(call.calleeLoc, fmt::format("block '{}' instantiates itself", def.name),
               fmt::format("recursion: {} -> {}", fmt::join(stack_, " -> "), def.name));
    if (stack_.size() >= kMaxBlockDepth) failDepth(call.calleeLoc);
    if (flat_.size() + expandedSize(def, call.calleeLoc, stack_.size()) > kMaxNodes)
      failAt(call.calleeLoc, fmt::format("the network expands to more than {} nodes", kMaxNodes),
             "check for blocks that instantiate each other many times");
    Scope &scope = scopes_.emplace_back();
    scope.prefix = caller.prefix + call.name + "/";
    scope.origin = NodeOrigin{{}, scope.prefix.substr(0, scope.prefix.size() - 1), def.name};
    bindArguments(call, def, caller, scope);
    stack_.push_back(def.name);
    expandStatements(def.body, scope);
    stack_.pop_back();
    auto result = scope.locals.find(def.result);
    if (result == scope.locals.end())
      failAt(def.resultLoc, fmt::format("block '{}' returns '{}', which it does not compute", def.name, def.result),
             "return the name of a statement inside the block");
    return result->second;
  }

  [[noreturn]] static void failDepth(const SourceLoc &loc) {
    failAt(loc, fmt::format("blocks instantiate blocks more than {} levels deep", kMaxBlockDepth), "flatten some of the nesting");
  }

  /// Nodes one instance of `def` expands to, saturating past kMaxNodes; recursion counts as zero here
  /// (expansion reports it).
  size_t expandedSize(const ast::BlockDef &def, const SourceLoc &use, size_t depth = 0) {
    if (depth >= kMaxBlockDepth) failDepth(use);
    auto [it, fresh] = sizes_.emplace(def.name, 0);
    if (!fresh) return it->second;
    size_t total = 0;
    for (const ast::Assign &s : def.body) {
      auto callee = blocks_.find(s.callee);
      total += callee == blocks_.end() ? 1 : expandedSize(*callee->second, s.calleeLoc, depth + 1);
      total = std::min(total, kMaxNodes + 1);
    }
    return sizes_[def.name] = total;
  }

  void bindArguments(const ast::Assign &call, const ast::BlockDef &def, const Scope &caller, Scope &scope) {
    size_t positional = 0;
    for (const ast::Arg &arg : call.args) {
      const ast::Param *param = nullptr;
      if (arg.key.empty()) {
        if (positional >= def.params.size())
          failAt(arg.value.loc, fmt::format("block '{}' takes {} arguments, got {}", def.name, def.params.size(), call.args.size()));
        param = &def.params[positional++];
      } else {
        for (const ast::Param &p : def.params)
          if (p.name == arg.key) param = &p;
        if (!param) failAt(arg.keyLoc, fmt::format("block '{}' has no parameter '{}'", def.name, arg.key), paramList(def));
      }
      if (!scope.params.emplace(param->name, Binding{arg.value, &caller}).second)
        failAt(arg.value.loc, fmt::format("parameter '{}' of block '{}' given twice", param->name, def.name));
      scope.defined.emplace(param->name, param->loc);
    }
    for (const ast::Param &p : def.params)
      if (!scope.params.count(p.name))
        failAt(call.calleeLoc, fmt::format("block '{}' needs argument '{}'", def.name, p.name), paramList(def));
  }

  static std::string paramList(const ast::BlockDef &def) {
    std::vector<std::string> names;
    for (const ast::Param &p : def.params) names.push_back(p.name);
    return fmt::format("{}({})", def.name, fmt::join(names, ", "));
  }

  // --- resolution ---
  /// Follows parameters to the caller's value; returns the full name of a tensor.
  std::string resolveTensor(const Ref &ref) const {
    const ast::Value &v = ref.value;
    if (v.isNumber) failAt(v.loc, fmt::format("expected a tensor name, got the number {}", v.text));
    if (auto p = ref.scope->params.find(v.text); p != ref.scope->params.end())
      return resolveTensor(Ref{p->second.value, p->second.scope});
    if (auto l = ref.scope->locals.find(v.text); l != ref.scope->locals.end()) return l->second;
    // A layer inside a block instance of this scope, by its path: "inception_3a/3x3".
    if (std::string path = ref.scope->prefix + v.text; flatNames_.count(path)) return path;
    failAt(v.loc, fmt::format("undefined name '{}'", v.text), "define it with NAME = op(...) or pass it as a block parameter");
  }

  /// Follows parameters to the literal text an attribute is given.
  ast::Value resolveLiteral(const Ref &ref) const {
    const ast::Value &v = ref.value;
    if (!v.isNumber) {
      if (auto p = ref.scope->params.find(v.text); p != ref.scope->params.end())
        return resolveLiteral(Ref{p->second.value, p->second.scope});
    }
    return v;
  }

  AttrValue resolveAttr(const AttrSpec &spec, const Ref &ref, const OpInfo &op) const {
    ast::Value v = resolveLiteral(ref);
    if (auto parsed = parseAttrValue(spec.type, v.text)) return *parsed;
    std::string note = fmt::format("'{}' of {} expects {}", spec.name, op.name, attrTypeSyntax(spec.type));
    if (!v.isNumber && ref.scope->locals.count(v.text)) note += "; a tensor cannot be an attribute";
    // Point at the literal itself: for a block parameter, that is the argument in the call.
    failAt(v.loc, fmt::format("invalid value '{}' for attribute '{}'", v.text, spec.name), note);
  }

  std::vector<ResolvedNode> resolveAll() const {
    std::vector<ResolvedNode> out;
    for (const FlatNode &n : flat_) {
      ResolvedNode r{&n, {}, {}};
      for (const Ref &in : n.inputs) {
        r.inputs.push_back(resolveTensor(in));
        r.inputLocs.push_back(in.value.loc);
      }
      out.push_back(std::move(r));
    }
    return out;
  }

  // --- ordering ---
  /// Depth-first, in statement order: a file already in order keeps it (so printed IR round-trips).
  std::vector<const ResolvedNode *> topologicalOrder(const std::vector<ResolvedNode> &nodes) const {
    std::map<std::string, size_t> index;
    for (size_t i = 0; i < nodes.size(); ++i) index.emplace(nodes[i].flat->name, i);
    enum State { Unvisited, Active, Done };
    std::vector<State> state(nodes.size(), Unvisited);
    std::vector<const ResolvedNode *> order;
    std::vector<std::pair<size_t, size_t>> stack;  // (node, next input to visit)
    for (size_t root = 0; root < nodes.size(); ++root) {
      if (state[root] != Unvisited) continue;
      stack.push_back({root, 0});
      state[root] = Active;
      while (!stack.empty()) {
        auto &[node, next] = stack.back();
        if (next == nodes[node].inputs.size()) {
          state[node] = Done;
          order.push_back(&nodes[node]);
          stack.pop_back();
          continue;
        }
        size_t input = next++;
        auto it = index.find(nodes[node].inputs[input]);
        DEEPER_CHECK(it != index.end(), "resolved name '{}' has no node", nodes[node].inputs[input]);
        if (state[it->second] == Active) reportCycle(nodes, stack, it->second, nodes[node].inputLocs[input]);
        if (state[it->second] == Unvisited) {
          state[it->second] = Active;
          stack.push_back({it->second, 0});
        }
      }
    }
    return order;
  }

  [[noreturn]] void reportCycle(const std::vector<ResolvedNode> &nodes, const std::vector<std::pair<size_t, size_t>> &stack,
                                size_t target, const SourceLoc &where) const {
    std::vector<std::string> path;
    bool inCycle = false;
    for (const auto &frame : stack) {
      inCycle = inCycle || frame.first == target;
      if (inCycle) path.push_back(nodes[frame.first].flat->name);
    }
    path.push_back(nodes[target].flat->name);
    failAt(where, "the network has a cycle", fmt::format("cycle: {}", fmt::join(path, " -> ")));
  }

  // --- building ---
  void build(Graph &graph, const std::vector<const ResolvedNode *> &order) const {
    GraphBuilder builder(graph);
    for (const ResolvedNode *r : order) {
      const FlatNode &n = *r->flat;
      std::vector<Node *> inputs;
      for (const std::string &name : r->inputs) inputs.push_back(graph.find(name));
      Attrs attrs;
      for (const auto &[spec, ref] : n.attrs) attrs[spec->name] = resolveAttr(*spec, ref, *n.op);
      Node *node = builder.add(n.op->kind, n.name, inputs, attrs, n.origin);
      checkDeclaredType(*node, *n.stmt);
    }
  }

  static void checkDeclaredType(const Node &node, const ast::Assign &stmt) {
    if (stmt.type && *stmt.type != node.shape)
      failAt(stmt.typeLoc, fmt::format("declared type f32[{}] differs from the inferred f32[{}]", fmt::join(*stmt.type, ","),
                                       fmt::join(node.shape, ",")));
  }

  void declareOutputs(Graph &graph, const Scope &top) const {
    if (file_.outputs.empty()) {
      SourceLoc end{file_.source, std::max(1, static_cast<int>(std::count(file_.source->text.begin(), file_.source->text.end(), '\n'))), 1, 1};
      failAt(end, "the network declares no outputs", "add 'output NAME' for each value to compute, e.g. 'output prob'");
    }
    GraphBuilder builder(graph);
    std::set<std::string> labels;
    for (const ast::OutputDecl &o : file_.outputs) {
      Node *node = graph.find(resolveTensor(Ref{ast::Value{false, o.value, o.valueLoc}, &top}));
      if (!labels.insert(o.name).second) failAt(o.loc, fmt::format("'{}' is declared as an output twice", o.name));
      builder.output(node, o.training, o.value == o.name ? node->name : o.name);
    }
  }

  const ast::File &file_;
  const ElaborateOptions &options_;
  std::map<std::string, const ast::BlockDef *> blocks_;
  std::deque<Scope> scopes_;  // stable addresses: bindings point into it
  std::vector<FlatNode> flat_;
  std::set<std::string> flatNames_;
  std::map<std::string, size_t> sizes_;  // memo of expandedSize
  std::vector<std::string> stack_;
};

}  // namespace

Graph elaborate(const ast::File &file, const ElaborateOptions &options) { return Elaborator(file, options).run(); }

}  // namespace deeper
