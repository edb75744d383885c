// Protocol buffer text format (Caffe's .prototxt), read into a tree of fields without a schema:
//
//   layer {                       message field
//     name: "conv1/7x7_s2"        scalar field (string)
//     convolution_param { num_output: 64  kernel_size: 7 }
//   }
//
// Syntax errors are diagnostics at file:line:col.
#pragma once

#include "support/Diagnostics.h"

#include <memory>
#include <string>
#include <vector>

namespace deeper::prototxt {

struct Message;

struct Field {
  std::string name;
  std::string value;  ///< scalar text (strings unquoted); empty for a message
  bool isString = false;
  std::shared_ptr<Message> message;  ///< set for `name { ... }`
  SourceLoc loc;
};

struct Message {
  std::vector<Field> fields;
  SourceLoc loc;

  std::vector<const Field *> all(const std::string &name) const;
  const Field *first(const std::string &name) const;
  /// The scalar text of `name`, or `fallback` when absent.
  std::string scalar(const std::string &name, const std::string &fallback = "") const;
  /// `name` as an integer (UserError at the field when it is not one), or `fallback`.
  int64_t integer(const std::string &name, int64_t fallback) const;
  double number(const std::string &name, double fallback) const;
};

Message parse(const std::shared_ptr<const SourceFile> &file);

}  // namespace deeper::prototxt
