#include "frontend/Parser.h"

#include "frontend/Lexer.h"
#include "ir/Attr.h"

namespace deeper {
namespace {

class Parser {
 public:
  Parser(const std::shared_ptr<const SourceFile> &source, SourceKind kind)
      : tokens_(lex(source)), kind_(kind) {
    file_.source = source;
  }

  ast::File run() {
    skipNewlines();
    while (!at(TokenKind::End)) {
      topStatement();
      endOfStatement();
      skipNewlines();
    }
    return std::move(file_);
  }

 private:
  // --- token helpers ---
  const Token &peek(size_t ahead = 0) const { return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)]; }
  bool at(TokenKind k, size_t ahead = 0) const { return peek(ahead).kind == k; }
  bool atWord(const char *w) const { return at(TokenKind::Word) && peek().text == w; }
  const Token &next() { return tokens_[pos_ < tokens_.size() - 1 ? pos_++ : pos_]; }
  void skipNewlines() {
    while (at(TokenKind::Newline)) ++pos_;
  }

  [[noreturn]] void unexpected(const std::string &expected) {
    const Token &t = peek();
    std::string found = t.kind == TokenKind::Word || t.kind == TokenKind::Number ? fmt::format("'{}'", t.text)
                                                                                  : tokenKindName(t.kind);
    failAt(t.loc, fmt::format("expected {}, found {}", expected, found));
  }

  const Token &expect(TokenKind k, const std::string &what) {
    if (!at(k)) unexpected(what);
    return next();
  }

  void endOfStatement() {
    if (!at(TokenKind::Newline) && !at(TokenKind::End)) unexpected("end of line after the statement");
  }

  // --- statements ---
  void topStatement() {
    bool assignment = at(TokenKind::Word) && at(TokenKind::Equals, 1);
    if (!assignment && atWord("network")) return network();
    if (!assignment && atWord("block")) return block();
    if (!assignment && atWord("output")) return output();
    if (!assignment && atWord("return")) failAt(peek().loc, "'return' outside a block");
    if (!assignment) unexpected("a statement (NAME = op(...), block, output or network)");
    file_.statements.push_back(assign());
  }

  void network() {
    SourceLoc loc = next().loc;
    if (!file_.network.empty()) failAt(loc, "a second 'network' statement", "write it once, at the top");
    file_.network = expect(TokenKind::Word, "the network's name").text;
    file_.networkLoc = loc;
    while (at(TokenKind::Word)) {
      const Token &key = next();
      if (key.text != "batch") failAt(key.loc, fmt::format("unknown network attribute '{}'", key.text), "known: batch");
      expect(TokenKind::Equals, "'=' after 'batch'");
      const Token &v = expect(TokenKind::Number, "the batch size");
      auto batch = parseAttrValue(AttrType::Int, v.text);
      if (!batch || std::get<int64_t>(*batch) <= 0) failAt(v.loc, "batch must be a positive integer");
      file_.batch = std::get<int64_t>(*batch);
    }
  }

  void output() {
    next();
    const Token &name = expect(TokenKind::Word, "the name of the value to output");
    ast::OutputDecl out{name.text, name.loc, false, name.text, name.loc};
    if (at(TokenKind::Equals)) {
      next();
      const Token &value = expect(TokenKind::Word, "the value this output is");
      out.value = value.text;
      out.valueLoc = value.loc;
    }
    if (atWord("training")) {
      next();
      out.training = true;
    }
    file_.outputs.push_back(out);
  }

  void block() {
    SourceLoc loc = next().loc;
    if (kind_ == SourceKind::Ir) failAt(loc, "blocks are not allowed in .ir files", "the IR is flat; define blocks in a .dnet file");
    ast::BlockDef def;
    const Token &name = expect(TokenKind::Word, "the block's name");
    def.name = name.text;
    def.loc = name.loc;
    expect(TokenKind::LParen, "'(' and the block's parameters");
    while (!at(TokenKind::RParen)) {
      const Token &p = expect(TokenKind::Word, "a parameter name");
      def.params.push_back(ast::Param{p.text, p.loc});
      if (!at(TokenKind::RParen)) expect(TokenKind::Comma, "',' or ')'");
    }
    next();
    expect(TokenKind::LBrace, "'{' to open the block body");
    blockBody(def);
    file_.blocks.push_back(std::move(def));
  }

  void blockBody(ast::BlockDef &def) {
    while (true) {
      skipNewlines();
      if (at(TokenKind::RBrace) || at(TokenKind::End))
        failAt(peek().loc, fmt::format("block '{}' ends without 'return NAME'", def.name),
               "the last statement of a block returns its result, e.g. 'return output'");
      if (atWord("return") && !at(TokenKind::Equals, 1)) break;
      if (!(at(TokenKind::Word) && at(TokenKind::Equals, 1)))
        unexpected("a statement NAME = op(...) or 'return NAME' inside the block");
      def.body.push_back(assign());
      endOfStatement();
    }
    next();
    const Token &result = expect(TokenKind::Word, "the name of the value the block returns");
    def.result = result.text;
    def.resultLoc = result.loc;
    skipNewlines();
    expect(TokenKind::RBrace, "'}' after the block's return");
  }

  ast::Assign assign() {
    ast::Assign a;
    const Token &name = next();
    a.name = name.text;
    a.nameLoc = name.loc;
    next();  // '='
    const Token &callee = expect(TokenKind::Word, "an op or block name after '='");
    a.callee = callee.text;
    a.calleeLoc = callee.loc;
    expect(TokenKind::LParen, fmt::format("'(' after '{}'", a.callee));
    while (!at(TokenKind::RParen)) {
      a.args.push_back(arg());
      if (!at(TokenKind::RParen)) expect(TokenKind::Comma, "',' or ')' in the argument list");
    }
    next();
    if (at(TokenKind::Colon)) typeAnnotation(a);
    else if (kind_ == SourceKind::Ir) unexpected("': f32[...]', the node's type (required in .ir files)");
    if (at(TokenKind::At)) blockAnnotation(a);
    return a;
  }

  ast::Arg arg() {
    ast::Arg a;
    if (at(TokenKind::Word) && at(TokenKind::Equals, 1)) {
      const Token &key = next();
      a.key = key.text;
      a.keyLoc = key.loc;
      next();
    }
    if (!at(TokenKind::Word) && !at(TokenKind::Number)) unexpected(a.key.empty() ? "an argument" : "a value after '='");
    const Token &v = next();
    a.value = ast::Value{v.kind == TokenKind::Number, v.text, v.loc};
    return a;
  }

  void typeAnnotation(ast::Assign &a) {
    next();
    const Token &dtype = expect(TokenKind::Word, "a type such as f32[1,3,224,224]");
    if (dtype.text != "f32") failAt(dtype.loc, fmt::format("unsupported element type '{}'", dtype.text), "Deeper computes in f32");
    a.typeLoc = dtype.loc;
    expect(TokenKind::LBracket, "'[' after f32");
    std::vector<int64_t> dims;
    while (!at(TokenKind::RBracket)) {
      const Token &d = expect(TokenKind::Number, "a dimension");
      auto v = parseAttrValue(AttrType::Int, d.text);
      if (!v) failAt(d.loc, fmt::format("'{}' is not a valid dimension", d.text));
      dims.push_back(std::get<int64_t>(*v));
      if (!at(TokenKind::RBracket)) expect(TokenKind::Comma, "',' or ']'");
    }
    next();
    a.type = dims;
  }

  void blockAnnotation(ast::Assign &a) {
    next();
    a.blockInstance = expect(TokenKind::Word, "a block instance name after '@'").text;
    expect(TokenKind::Colon, "':' and the block's name");
    a.blockType = expect(TokenKind::Word, "the block's name").text;
  }

  std::vector<Token> tokens_;
  size_t pos_ = 0;
  SourceKind kind_;
  ast::File file_;
};

}  // namespace

ast::File parseFile(const std::shared_ptr<const SourceFile> &source, SourceKind kind) {
  return Parser(source, kind).run();
}

}  // namespace deeper
