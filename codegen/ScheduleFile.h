// Schedules chosen by hand (or, later, by the tuner) for some kernels of a model, in the text that
// `deeper schedules MODEL` prints: a line per kernel, its node's name (quoted as in .ir files when it
// is not plain), a colon and fields. Fields left out keep the kernel's default; kernels not listed
// keep theirs. '#' starts a comment.
//
//   # conv f32[1,128,28,28]
//   inception_3a/3x3: vector=16 tile_c=2 tile_x=7 chunk_i=32 block_tasks=false parallel=true winograd=true
//   "onnx::Conv_12": tile_x=4
//
// Every schedule a file gives must pass scheduleProblem (codegen/Kernel.h): a file cannot make the
// compiler generate a kernel that computes something else.
#pragma once

#include "codegen/Kernel.h"
#include "support/Diagnostics.h"

#include <map>
#include <string>
#include <vector>

namespace deeper {

/// One line of a schedule file: the node it names and its fields, with where each was written.
struct ScheduleLine {
  std::string node;
  SourceLoc loc;
  struct Field {
    std::string key, value;
    SourceLoc loc;
  };
  std::vector<Field> fields;
};

struct ScheduleChoices {
  std::map<std::string, ScheduleLine> byNode;
};

/// Parses a schedule file's text; UserError at path:line:col for text that is not one, or a node
/// named twice.
ScheduleChoices parseScheduleFile(const std::string &text, const std::string &path);

/// The schedule `node` gets: its line's fields over `fallback`. UserError at the line when a field
/// is malformed or the result is no schedule for the node.
Schedule chosenSchedule(const ScheduleChoices &choices, const Node &node, const Schedule &fallback);

/// UserError at the first line that names no kernel of `kernels` (a typo would otherwise go unnoticed).
void checkEveryLineUsed(const ScheduleChoices &choices, const std::vector<Kernel> &kernels, const Graph &graph);

/// The file for `kernels`, in execution order, each line after a comment with its op and shape.
std::string printScheduleFile(const std::vector<Kernel> &kernels);

}  // namespace deeper
