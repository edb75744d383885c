// The .dnet / .ir parser: tokens to an ast::File, with file:line:col diagnostics that say what was
// expected. Name resolution, block expansion and shapes come after, in the Elaborator.
#pragma once

#include "frontend/Ast.h"

namespace deeper {

enum class SourceKind {
  Dnet,  ///< the description language: blocks allowed, types optional
  Ir,    ///< printed IR: flat (no blocks), every node carries its type
};

ast::File parseFile(const std::shared_ptr<const SourceFile> &source, SourceKind kind);

}  // namespace deeper
