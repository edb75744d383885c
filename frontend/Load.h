// One entry point for every model format: the file's extension picks the front end.
#pragma once

#include "frontend/Elaborator.h"

#include <string>

namespace deeper {

/// Reads and parses `path` (.dnet or .ir). UserError for an unknown extension or bad content.
Graph loadModel(const std::string &path, const ElaborateOptions &options = {});

/// Parses `text` as if read from `path` (the extension picks .dnet or .ir syntax).
Graph parseModel(const std::string &text, const std::string &path, const ElaborateOptions &options = {});

}  // namespace deeper
