// `deeper report`: one self-contained HTML file about a compiled model (inline SVG and CSS; no script,
// no network): the graph coloured by kernel time, per-kernel time bars, a roofline against this
// machine's measured FMA peak and memory bandwidth, each module's branch lanes as a timeline, the
// fusion ablation (each optimising pass off in turn), with a tuning database its convergence, and with
// --ort ONNX Runtime's per-node times beside Deeper's.
#pragma once

#include "inspect/Compare.h"
#include "inspect/OrtProfile.h"
#include "inspect/Svg.h"
#include "tune/TuningDatabase.h"

#include <string>
#include <vector>

namespace deeper::inspect {

/// The whole model's time with one optimising pass left out, beside the full pipeline's (same run).
struct AblationResult {
  std::string pass;
  double ms = 0, fullMs = 0;
};

struct ReportInput {
  const ComparedBuild *build = nullptr;  ///< the model as compiled and profiled
  std::string graphSvg;                  ///< Graphviz's drawing of the optimised graph, or ""
  std::string graphProblem;              ///< why there is none
  std::vector<AblationResult> ablation;  ///< empty: not run (ablationNote says why)
  std::string ablationNote;
  std::vector<std::string> unchangedPasses;  ///< optimising passes that leave this model as it is: nothing to time
  std::vector<svg::Series> convergence;  ///< empty: no database (convergenceNote says why)
  std::string convergenceNote;
  const OrtProfile *ort = nullptr;       ///< ONNX Runtime on the same network (--ort), or none
  std::string ortForm;                   ///< which ONNX model ORT ran, in words
  std::string command, created;          ///< how and when it was made
};

/// Each tuned unit's best time so far, relative to its default (1 = the default), against the number
/// of its trials: what a tuning run bought over its course. Trials of `target` and `batch` only, in the
/// order they were made; units with a single trial are left out.
std::vector<svg::Series> convergenceCurves(const std::vector<Trial> &trials, const std::string &target, int64_t batch);

/// The report as one HTML document.
std::string renderReport(const ReportInput &input);

}  // namespace deeper::inspect
