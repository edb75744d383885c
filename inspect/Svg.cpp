#include "inspect/Svg.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

namespace deeper::inspect::svg {
namespace {

constexpr int kFont = 12;  // px: readable at 100% zoom

std::string number(double v) { return fmt::format("{:.2f}", v); }

/// An <svg> element of the given size, with its class for tests.
std::string open(const std::string &id, const char *kind, double width, double height) {
  return fmt::format("<svg id=\"{}\" class=\"chart {}\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" "
                     "font-family=\"sans-serif\" font-size=\"{}\">\n",
                     escape(id), kind, number(width), number(height), number(width), number(height), kFont);
}

std::string text(double x, double y, const std::string &content, const char *anchor = "start", const std::string &extra = "") {
  return fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"{}\"{}>{}</text>\n", number(x), number(y), anchor, extra, escape(content));
}

/// Powers of ten from below `low` to above `high`.
std::vector<double> decades(double low, double high) {
  std::vector<double> out;
  for (double p = std::pow(10.0, std::floor(std::log10(low))); p <= high * 1.0001; p *= 10) out.push_back(p);
  return out;
}

}  // namespace

std::string escape(const std::string &in) {
  std::string out;
  for (unsigned char c : in) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c < 0x20 && c != '\n' && c != '\t' ? '?' : static_cast<char>(c);
    }
  }
  return out;
}

std::string barChart(const std::string &id, const std::vector<Bar> &bars, const std::string &unit) {
  const double labelWidth = 260, barWidth = 520, rowHeight = 18, top = 8;
  double most = 0;
  for (const Bar &b : bars) most = std::max(most, b.value);
  std::string s = open(id, "bars", labelWidth + barWidth + 120, top * 2 + rowHeight * static_cast<double>(bars.size()));
  for (size_t i = 0; i < bars.size(); ++i) {
    const Bar &b = bars[i];
    double y = top + rowHeight * static_cast<double>(i), w = most > 0 ? barWidth * b.value / most : 0;
    s += text(labelWidth - 6, y + 13, b.label, "end");
    s += fmt::format("<rect class=\"bar\" data-label=\"{}\" data-value=\"{}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{}</title></rect>\n",
                     escape(b.label), b.value, number(labelWidth), number(y + 2), number(std::max(w, 1.0)), number(rowHeight - 4), escape(b.color),
                     escape(b.tooltip));
    s += text(labelWidth + w + 6, y + 13, fmt::format("{:.3f} {}", b.value, unit));
  }
  return s + "</svg>\n";
}

std::string roofline(const std::string &id, const std::vector<Point> &points, double peak, double bandwidth) {
  const double left = 70, bottom = 50, width = 640, height = 400, right = 20, top = 20;
  double xLow = 0.1, xHigh = 1000, yLow = 1, yHigh = std::max(10.0, peak * 2);
  for (const Point &p : points) {
    if (p.x > 0) xLow = std::min(xLow, p.x), xHigh = std::max(xHigh, p.x);
    if (p.y > 0) yLow = std::min(yLow, p.y), yHigh = std::max(yHigh, p.y);
  }
  std::vector<double> xs = decades(xLow, xHigh), ys = decades(yLow, yHigh);
  double x0 = std::log10(xs.front()), x1 = std::log10(xs.back() * 10), y0 = std::log10(ys.front()), y1 = std::log10(ys.back() * 10);
  auto X = [&](double v) { return left + (std::log10(v) - x0) / (x1 - x0) * width; };
  auto Y = [&](double v) { return top + height - (std::log10(v) - y0) / (y1 - y0) * height; };
  std::string s = open(id, "roofline", left + width + right, top + height + bottom);
  s += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#888\"/>\n", left, top, width, height);
  for (double v : xs) {
    s += fmt::format("<line x1=\"{0}\" x2=\"{0}\" y1=\"{1}\" y2=\"{2}\" stroke=\"#ddd\"/>\n", number(X(v)), top, top + height);
    s += text(X(v), top + height + 16, fmt::format("{:g}", v), "middle");
  }
  for (double v : ys) {
    s += fmt::format("<line x1=\"{0}\" x2=\"{1}\" y1=\"{2}\" y2=\"{2}\" stroke=\"#ddd\"/>\n", left, left + width, number(Y(v)));
    s += text(left - 6, Y(v) + 4, fmt::format("{:g}", v), "end");
  }
  s += text(left + width / 2, top + height + 38, "arithmetic intensity (flops per compulsory byte)", "middle");
  s += text(16, top + height / 2, "GFLOP/s", "middle", fmt::format(" transform=\"rotate(-90 16 {})\"", number(top + height / 2)));
  // The roof: the bandwidth slope up to the ridge, then the peak.
  double xEnd = xs.back() * 10, ridge = bandwidth > 0 ? peak / bandwidth : xs.front();
  double xStart = std::max(xs.front(), ys.front() / std::max(bandwidth, 1e-9));
  if (bandwidth > 0 && ridge > xStart)
    s += fmt::format("<line class=\"roof memory\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#c33\" stroke-width=\"2\"/>\n", number(X(xStart)),
                     number(Y(xStart * bandwidth)), number(X(ridge)), number(Y(peak)));
  s += fmt::format("<line class=\"roof compute\" x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"#c33\" stroke-width=\"2\"/>\n",
                   number(X(std::max(ridge, xs.front()))), number(Y(peak)), number(X(xEnd)));
  s += text(X(xEnd) - 4, Y(peak) - 6, fmt::format("FMA peak {:.0f} GFLOP/s", peak), "end");
  if (bandwidth > 0) s += text(X(xStart) + 4, Y(xStart * bandwidth) - 8, fmt::format("{:.0f} GB/s", bandwidth));
  for (const Point &p : points) {
    if (p.x <= 0 || p.y <= 0) continue;
    s += fmt::format("<circle class=\"point\" data-label=\"{}\" data-x=\"{}\" data-y=\"{}\" cx=\"{}\" cy=\"{}\" r=\"4\" fill=\"{}\" fill-opacity=\"0.8\">"
                     "<title>{}: {:.1f} flops/byte, {:.1f} GFLOP/s</title></circle>\n",
                     escape(p.label), p.x, p.y, number(X(p.x)), number(Y(p.y)), escape(p.color), escape(p.label), p.x, p.y);
  }
  return s + "</svg>\n";
}

std::string timeline(const std::string &id, const std::vector<std::string> &rows, const std::vector<Span> &spans, double marker) {
  const double left = 70, width = 700, rowHeight = 26, top = 6, axis = 24;
  double end = marker;
  for (const Span &sp : spans) end = std::max(end, sp.start + sp.length);
  end = std::max(end, 1e-6);
  auto X = [&](double ms) { return left + ms / end * width; };
  std::string s = open(id, "timeline", left + width + 60, top + rowHeight * static_cast<double>(rows.size()) + axis);
  for (size_t r = 0; r < rows.size(); ++r) s += text(left - 6, top + rowHeight * static_cast<double>(r) + 17, rows[r], "end");
  for (const Span &sp : spans) {
    double y = top + rowHeight * sp.row;
    s += fmt::format("<rect class=\"span\" data-label=\"{}\" data-start=\"{}\" data-length=\"{}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\" "
                     "stroke=\"#fff\"><title>{}</title></rect>\n",
                     escape(sp.label), sp.start, sp.length, number(X(sp.start)), number(y + 3), number(std::max(1.0, X(sp.start + sp.length) - X(sp.start))),
                     number(rowHeight - 6), escape(sp.color), escape(sp.tooltip));
  }
  double bottom = top + rowHeight * static_cast<double>(rows.size());
  s += fmt::format("<line x1=\"{0}\" x2=\"{1}\" y1=\"{2}\" y2=\"{2}\" stroke=\"#888\"/>\n", left, left + width, number(bottom));
  s += text(left, bottom + 16, "0 ms") + text(left + width, bottom + 16, fmt::format("{:.3f} ms", end), "end");
  if (marker > 0)
    s += fmt::format("<line class=\"marker\" x1=\"{0}\" x2=\"{0}\" y1=\"{1}\" y2=\"{2}\" stroke=\"#000\" stroke-dasharray=\"4 3\"><title>measured: "
                     "{3:.3f} ms</title></line>\n",
                     number(X(marker)), top, number(bottom), marker);
  return s + "</svg>\n";
}

std::string lineChart(const std::string &id, const std::vector<Series> &series, const std::string &xLabel, const std::string &yLabel) {
  const double left = 60, top = 14, width = 560, height = 280, bottom = 44, legend = 260;
  double xMax = 1, yMin = 1e30, yMax = -1e30;
  for (const Series &sr : series)
    for (auto [x, y] : sr.points) xMax = std::max(xMax, x), yMin = std::min(yMin, y), yMax = std::max(yMax, y);
  if (yMin > yMax) yMin = 0, yMax = 1;
  if (yMax - yMin < 1e-9) yMin -= 0.05, yMax += 0.05;
  auto X = [&](double x) { return left + x / xMax * width; };
  auto Y = [&](double y) { return top + height - (y - yMin) / (yMax - yMin) * height; };
  std::string s = open(id, "lines", left + width + legend, top + height + bottom + std::max(0.0, 16.0 * static_cast<double>(series.size()) - height));
  s += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#888\"/>\n", left, top, width, height);
  for (int i = 0; i <= 4; ++i) {
    double y = yMin + (yMax - yMin) * i / 4;
    s += text(left - 6, Y(y) + 4, fmt::format("{:.2f}", y), "end");
  }
  s += text(left, top + height + 16, "0") + text(left + width, top + height + 16, fmt::format("{:g}", xMax), "end");
  s += text(left + width / 2, top + height + 34, xLabel, "middle");
  s += text(14, top + height / 2, yLabel, "middle", fmt::format(" transform=\"rotate(-90 14 {})\"", number(top + height / 2)));
  for (size_t i = 0; i < series.size(); ++i) {
    const Series &sr = series[i];
    std::string points;
    for (auto [x, y] : sr.points) points += number(X(x)) + "," + number(Y(y)) + " ";
    s += fmt::format("<polyline class=\"series\" data-label=\"{}\" data-points=\"{}\" points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\">"
                     "<title>{}</title></polyline>\n",
                     escape(sr.label), sr.points.size(), points, escape(sr.color), escape(sr.label));
    double ly = top + 12 + 16.0 * static_cast<double>(i);
    s += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"12\" height=\"4\" fill=\"{}\"/>\n", number(left + width + 12), number(ly - 4), escape(sr.color));
    s += text(left + width + 30, ly + 1, sr.label);
  }
  return s + "</svg>\n";
}

std::string opColor(const std::string &op) {
  static const std::map<std::string, std::string> colors = {
      {"conv", "#4472c4"}, {"fc", "#7b4fc4"}, {"maxpool", "#ed7d31"}, {"avgpool", "#f4b183"}, {"lrn", "#70ad47"},
      {"concat", "#a5a5a5"}, {"softmax", "#ffc000"}, {"relu", "#5b9bd5"}, {"copy", "#bfbfbf"}};
  auto it = colors.find(op.substr(0, op.find('+')));
  return it == colors.end() ? "#8c8c8c" : it->second;
}

std::string heatColor(double f) {
  f = std::clamp(f, 0.0, 1.0);
  int r = 255, g = static_cast<int>(240 - 190 * f), b = static_cast<int>(200 - 180 * f);
  return fmt::format("#{:02x}{:02x}{:02x}", r, g, b);
}

}  // namespace deeper::inspect::svg
