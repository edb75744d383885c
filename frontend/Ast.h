// The syntax tree of a .dnet (or .ir) file, before blocks are expanded and names resolved.
//
//   network googlenet                                  # optional; batch=N may follow
//   block inception(x, n1x1, ...) {                    # a reusable, parameterised block
//     1x1 = conv(x, out=n1x1, kernel=1, relu=true)
//     ...
//     return output
//   }
//   data = input(shape=3x224x224)
//   inception_3a = inception(pool2/3x3_s2, 64, 96, 128, 16, 32, 32)
//   output prob
//   output loss1/classifier training
#pragma once

#include "support/Diagnostics.h"

#include <optional>
#include <string>
#include <vector>

namespace deeper::ast {

struct Value {
  bool isNumber = false;  ///< a Number token; else a Word (a name or a size like 3x3)
  std::string text;
  SourceLoc loc;
};

/// `value` (positional) or `key=value`.
struct Arg {
  std::string key;
  SourceLoc keyLoc;
  Value value;
};

/// `name = callee(args) [: f32[dims]] [@instance:block]`; callee is an op or a block.
struct Assign {
  std::string name;
  SourceLoc nameLoc;
  std::string callee;
  SourceLoc calleeLoc;
  std::vector<Arg> args;
  std::optional<std::vector<int64_t>> type;  ///< declared shape, checked against the inferred one
  SourceLoc typeLoc;
  std::string blockInstance, blockType;  ///< from an @instance:block annotation (printed IR)
};

/// `output NAME [= VALUE] [training]`: VALUE defaults to NAME.
struct OutputDecl {
  std::string name;
  SourceLoc loc;
  bool training = false;
  std::string value;
  SourceLoc valueLoc;
};

struct Param {
  std::string name;
  SourceLoc loc;
};

struct BlockDef {
  std::string name;
  SourceLoc loc;
  std::vector<Param> params;
  std::vector<Assign> body;
  std::string result;
  SourceLoc resultLoc;
};

struct File {
  std::shared_ptr<const SourceFile> source;
  std::string network;
  SourceLoc networkLoc;
  std::optional<int64_t> batch;
  std::vector<BlockDef> blocks;
  std::vector<Assign> statements;
  std::vector<OutputDecl> outputs;
};

}  // namespace deeper::ast
