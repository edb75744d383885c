// "Did you mean": the known name closest to a misspelt one, for error messages about commands,
// options, passes, node names and other names a user types.
#pragma once

#include <string>
#include <vector>

namespace deeper {

/// The candidate nearest to `word` by edit distance (a transposition counts as one edit), if it is
/// near enough to be a slip: at most a third of the word's length, and at least 1, edits away, or
/// `word` is a prefix of it. "" when none is.
std::string closestName(const std::string &word, const std::vector<std::string> &candidates);

/// "; did you mean 'NAME'?" for closestName, or "" when nothing is close: appended to an error.
std::string didYouMean(const std::string &word, const std::vector<std::string> &candidates);

}  // namespace deeper
