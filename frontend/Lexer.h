// Tokens of .dnet and .ir files.
//
// A Word is a run of letters, digits, '_', '/' and '.': layer names ("inception_3a/3x3_reduce"), op and
// keyword names, and sizes ("3x3", "3x224x224"), told apart by the parser from context; or any name in
// double quotes ("onnx::Conv_12", see ir/Names.h). A Number is an
// integer or decimal ("64", "-1", "0.0001", "1e-4") not followed by a word character ("1x1" is a Word).
// Newlines end statements except inside parentheses; '#' starts a comment.
#pragma once

#include "support/Diagnostics.h"

#include <memory>
#include <string>
#include <vector>

namespace deeper {

enum class TokenKind { Word, Number, Equals, Comma, Colon, At, LParen, RParen, LBrace, RBrace, LBracket, RBracket, Newline, End };

const char *tokenKindName(TokenKind kind);

struct Token {
  TokenKind kind;
  std::string text;
  SourceLoc loc;
};

/// Splits a file into tokens; an unexpected character is a UserError at its position.
std::vector<Token> lex(const std::shared_ptr<const SourceFile> &file);

}  // namespace deeper
