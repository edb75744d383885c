#include "frontend/Lexer.h"

#include "ir/Names.h"

#include <cctype>

namespace deeper {
namespace {

bool isWordChar(char c) { return isNameChar(c); }
bool isDigit(char c) { return c >= '0' && c <= '9'; }

class Lexer {
 public:
  explicit Lexer(const std::shared_ptr<const SourceFile> &file) : file_(file), text_(file->text) {}

  std::vector<Token> run() {
    while (pos_ < text_.size()) step();
    emit(TokenKind::Newline, "", pos_);
    emit(TokenKind::End, "", pos_);
    return tokens_;
  }

 private:
  void step() {
    char c = text_[pos_];
    if (c == '#') {
      while (pos_ < text_.size() && text_[pos_] != '\n') advance();
    } else if (c == '\n') {
      if (depth_ == 0) emit(TokenKind::Newline, "\\n", pos_);
      advance();
    } else if (std::isspace(static_cast<unsigned char>(c))) {
      advance();
    } else if (size_t end = numberEnd(); end > pos_) {
      take(TokenKind::Number, end);
    } else if (isWordChar(c)) {
      size_t end = pos_;
      while (end < text_.size() && isWordChar(text_[end])) ++end;
      take(TokenKind::Word, end);
    } else if (c == '"') {
      quotedName();
    } else {
      punctuation(c);
    }
  }

  void punctuation(char c) {
    static const std::string chars = "=,:@(){}[]";
    static const TokenKind kinds[] = {TokenKind::Equals, TokenKind::Comma,  TokenKind::Colon,   TokenKind::At,
                                      TokenKind::LParen, TokenKind::RParen, TokenKind::LBrace,  TokenKind::RBrace,
                                      TokenKind::LBracket, TokenKind::RBracket};
    size_t i = chars.find(c);
    if (i == std::string::npos) {
      SourceLoc loc = here(pos_);
      failAt(loc, fmt::format("unexpected character '{}'", std::isprint(static_cast<unsigned char>(c)) ? std::string(1, c) : fmt::format("\\x{:02x}", static_cast<unsigned char>(c))),
             "expected a name, a number or one of = , : @ ( ) { } [ ]");
    }
    if (c == '(') ++depth_;
    if (c == ')' && depth_ > 0) --depth_;
    take(kinds[i], pos_ + 1);
  }

  /// "any name": a Word, with \xHH, \" and \\ unescaped (ir/Names.h); on one line, not empty.
  void quotedName() {
    std::string name;
    size_t end = pos_ + 1;
    for (; end < text_.size() && text_[end] != '"' && text_[end] != '\n'; ++end) {
      if (text_[end] == '\\' && end + 3 < text_.size() && text_[end + 1] == 'x' && std::isxdigit(static_cast<unsigned char>(text_[end + 2])) &&
          std::isxdigit(static_cast<unsigned char>(text_[end + 3]))) {
        name += static_cast<char>(std::stoi(text_.substr(end + 2, 2), nullptr, 16));
        end += 3;
        continue;
      }
      if (text_[end] == '\\' && end + 1 < text_.size() && text_[end + 1] != '\n') ++end;
      name += text_[end];
    }
    if (end >= text_.size() || text_[end] != '"') failAt(here(pos_), "unterminated quoted name", "close it with '\"' on the same line");
    if (name.empty()) failAt(here(pos_), "a quoted name must not be empty");
    emit(TokenKind::Word, std::move(name), pos_);
    tokens_.back().loc.length = static_cast<int>(end + 1 - pos_);
    while (pos_ <= end) advance();
  }

  /// End of a number starting at pos_, or pos_ when there is none (or it runs on into a word).
  size_t numberEnd() const {
    size_t i = pos_;
    if (i < text_.size() && text_[i] == '-') ++i;
    size_t digits = i;
    while (i < text_.size() && isDigit(text_[i])) ++i;
    if (i == digits) return pos_;
    if (i + 1 < text_.size() && text_[i] == '.' && isDigit(text_[i + 1])) {
      ++i;
      while (i < text_.size() && isDigit(text_[i])) ++i;
    }
    if (i < text_.size() && (text_[i] == 'e' || text_[i] == 'E')) {
      size_t j = i + 1;
      if (j < text_.size() && (text_[j] == '-' || text_[j] == '+')) ++j;
      if (j < text_.size() && isDigit(text_[j])) {
        i = j;
        while (i < text_.size() && isDigit(text_[i])) ++i;
      }
    }
    return i < text_.size() && isWordChar(text_[i]) ? pos_ : i;
  }

  SourceLoc here(size_t at) const { return SourceLoc{file_, line_, static_cast<int>(at - lineStart_) + 1, 1}; }

  void take(TokenKind kind, size_t end) {
    emit(kind, text_.substr(pos_, end - pos_), pos_);
    while (pos_ < end) advance();
  }

  void emit(TokenKind kind, std::string text, size_t at) {
    SourceLoc loc = here(at);
    loc.length = std::max<int>(1, static_cast<int>(text.size()));
    tokens_.push_back(Token{kind, std::move(text), loc});
  }

  void advance() {
    if (text_[pos_] == '\n') {
      ++line_;
      lineStart_ = pos_ + 1;
    }
    ++pos_;
  }

  std::shared_ptr<const SourceFile> file_;
  const std::string &text_;
  std::vector<Token> tokens_;
  size_t pos_ = 0, lineStart_ = 0;
  int line_ = 1, depth_ = 0;
};

}  // namespace

const char *tokenKindName(TokenKind kind) {
  switch (kind) {
    case TokenKind::Word: return "a name";
    case TokenKind::Number: return "a number";
    case TokenKind::Equals: return "'='";
    case TokenKind::Comma: return "','";
    case TokenKind::Colon: return "':'";
    case TokenKind::At: return "'@'";
    case TokenKind::LParen: return "'('";
    case TokenKind::RParen: return "')'";
    case TokenKind::LBrace: return "'{'";
    case TokenKind::RBrace: return "'}'";
    case TokenKind::LBracket: return "'['";
    case TokenKind::RBracket: return "']'";
    case TokenKind::Newline: return "end of line";
    case TokenKind::End: return "end of file";
  }
  return "?";
}

std::vector<Token> lex(const std::shared_ptr<const SourceFile> &file) { return Lexer(file).run(); }

}  // namespace deeper
