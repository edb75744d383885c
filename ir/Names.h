// What a name may look like in .dnet and .ir text. A plain name is a run of letters, digits, '_', '/'
// and '.' that does not read as a number ("inception_3a/3x3", "1x1"); any other name, as ONNX and Caffe
// files allow ("onnx::Conv_12", "conv 1"), is written in double quotes with '"' and '\' escaped by a
// backslash and control characters as \xHH, so that every graph prints as IR that parses back to itself.
#pragma once

#include <string>

namespace deeper {

bool isNameChar(char c);

/// True when `name` is written without quotes.
bool isPlainName(const std::string &name);

/// `name` as .ir text: plain, or quoted.
std::string printName(const std::string &name);

}  // namespace deeper
