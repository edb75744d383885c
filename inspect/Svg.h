// The few SVG charts `deeper report` draws, written as text: no library, no script, nothing fetched.
// Every mark carries a class and its data (data-* attributes and a <title> tooltip), so a test can
// read the plot back from the DOM a browser builds.
#pragma once

#include <string>
#include <vector>

namespace deeper::inspect::svg {

/// `text` safe inside XML text and attribute values.
std::string escape(const std::string &text);

struct Bar {
  std::string label, tooltip, color;
  double value = 0;
};

/// Horizontal bars, one row each, longest first as given; `unit` follows each value ("ms").
std::string barChart(const std::string &id, const std::vector<Bar> &bars, const std::string &unit);

struct Point {
  std::string label, color;
  double x = 0, y = 0;
};

/// A roofline: log-log axes of intensity (flops per byte) and GFLOP/s, the roof min(peak, intensity x
/// bandwidth), and a point per kernel.
std::string roofline(const std::string &id, const std::vector<Point> &points, double peakGflops, double bandwidthGBps);

struct Span {
  std::string label, tooltip, color;
  int row = 0;
  double start = 0, length = 0;
};

/// Rows of spans along a time axis (ms): a module's branch lanes, each lane's kernels end to end.
/// `marker` (when > 0) draws a vertical line there: the group's measured time.
std::string timeline(const std::string &id, const std::vector<std::string> &rows, const std::vector<Span> &spans, double marker);

struct Series {
  std::string label, color;
  std::vector<std::pair<double, double>> points;  ///< (x, y)
};

/// Lines on linear axes, a legend beside them.
std::string lineChart(const std::string &id, const std::vector<Series> &series, const std::string &xLabel, const std::string &yLabel);

/// A colour for `op` ("conv", "maxpool", ...), the same everywhere in a report.
std::string opColor(const std::string &op);
/// From pale yellow (0) to deep red (1): how much of the whole a kernel's time is.
std::string heatColor(double fraction);

}  // namespace deeper::inspect::svg
