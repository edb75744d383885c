// The IR verifier: what every pass must preserve. The pass manager runs it after each pass in debug
// builds, with --verify-each, and in every test.
#pragma once

#include "ir/Graph.h"

#include <string>
#include <vector>

namespace deeper {

/// Problems found, one line each; empty when the graph is well formed. Checks: unique names; inputs
/// defined earlier in the graph (acyclic, topological order); arity; every attribute of the op present
/// with its type and in range; shapes equal to what the shape rules infer; outputs present.
std::vector<std::string> verifyGraph(const Graph &graph);

/// Aborts as an internal error, naming `context` (e.g. "after pass epilogue-fusion"), when verifyGraph
/// finds a problem.
void verifyOrDie(const Graph &graph, const std::string &context);

}  // namespace deeper
