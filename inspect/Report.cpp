#include "inspect/Report.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace deeper::inspect {
namespace {

using svg::escape;

constexpr size_t kMostCurves = 12;  // more lines than this make the legend unreadable

const char *kStyle = R"(body { font-family: sans-serif; font-size: 14px; margin: 24px; color: #222; max-width: 1400px; }
h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 32px; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; font-size: 13px; } td, th { padding: 3px 8px; border-bottom: 1px solid #eee; text-align: right; }
td:first-child, th:first-child { text-align: left; } .note { color: #555; } .scroll { overflow: auto; max-height: 900px; border: 1px solid #ddd; }
.chart { display: block; margin: 8px 0; } code { background: #f3f3f3; padding: 1px 4px; })";

double gflops(const KernelRecord &k, double ms) { return ms > 0 ? 2e-6 * static_cast<double>(k.executedMacs) / ms : 0.0; }

std::string header(const ReportInput &in) {
  const ComparedBuild &b = *in.build;
  double ms = b.profile.total.median;
  return fmt::format("<h1>{} — compiled by Deeper</h1>\n<p>Target <code>{}</code>, batch {}, {} kernels, {} threads. Whole model: <b>{:.3f} ms</b> "
                     "median ({:.1f} images/s). This machine, measured by the executable on the same threads: FMA peak <b>{:.1f} GFLOP/s</b>, "
                     "memory read <b>{:.1f} GB/s</b>.</p>\n<p class=\"note\">Made {} by <code>{}</code>.</p>\n",
                     escape(b.manifest.model), escape(b.manifest.target), b.manifest.batch, b.manifest.kernels.size(), b.profile.threads, ms,
                     ms > 0 ? 1000.0 * static_cast<double>(b.manifest.batch) / ms : 0.0, b.profile.peakGflops, b.profile.readGBps, escape(in.created),
                     escape(in.command));
}

std::string graphSection(const ReportInput &in) {
  std::string s = "<h2>Graph</h2>\n<p class=\"note\">Modules are clusters; a node's colour is its kernel's share of the slowest kernel's time "
                  "(white: no kernel of its own). Hover for times.</p>\n";
  if (in.graphSvg.empty()) return s + fmt::format("<p>No drawing: {}</p>\n", escape(in.graphProblem));
  return s + "<div id=\"graph\" class=\"scroll\">\n" + in.graphSvg + "</div>\n";
}

std::string barsSection(const ComparedBuild &b) {
  std::vector<size_t> order(b.manifest.kernels.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t x, size_t y) { return b.profile.steps[x].ms.median > b.profile.steps[y].ms.median; });
  std::vector<svg::Bar> bars;
  for (size_t i : order) {
    const KernelRecord &k = b.manifest.kernels[i];
    double ms = b.profile.steps[i].ms.median, g = gflops(k, ms);
    std::string rate = k.executedMacs && b.profile.peakGflops > 0 ? fmt::format(", {:.1f} GFLOP/s, {:.1f}% of peak", g, 100 * g / b.profile.peakGflops) : "";
    bars.push_back({k.node, fmt::format("{} ({}, {}): {:.3f} ms{}{}", k.node, k.op, k.algorithm, ms, rate, k.lane ? fmt::format(", lane {}", k.lane) : ""),
                    svg::opColor(k.op), ms});
  }
  return "<h2>Kernel times</h2>\n<p class=\"note\">Median of each kernel over the profiled runs; a kernel in a branch lane runs beside the "
         "others, on one thread.</p>\n" +
         svg::barChart("bars", bars, "ms");
}

std::string rooflineSection(const ComparedBuild &b) {
  std::vector<svg::Point> points;
  size_t without = 0;
  for (size_t i = 0; i < b.manifest.kernels.size(); ++i) {
    const KernelRecord &k = b.manifest.kernels[i];
    double g = gflops(k, b.profile.steps[i].ms.median);
    if (k.executedMacs == 0 || g <= 0) {
      ++without;
      continue;
    }
    points.push_back({k.node, svg::opColor(k.op), k.intensity(), g});
  }
  return fmt::format("<h2>Roofline</h2>\n<p class=\"note\">Each kernel that multiplies ({} points; {} that only move or compare data are left "
                     "out) at its executed flops per compulsory byte and its measured GFLOP/s, under the roof min(peak, intensity × "
                     "bandwidth) of this machine's measured rates on {} threads.</p>\n",
                     points.size(), without, b.profile.threads) +
         svg::roofline("roofline", points, b.profile.peakGflops, b.profile.readGBps);
}

/// A group's title: its module's name from its kernels' ("inception_3a" of "inception_3a/1x1"), else
/// its number and first kernel.
std::string groupTitle(int group, const std::string &node) {
  size_t slash = node.find('/');
  return slash != std::string::npos ? node.substr(0, slash) : fmt::format("group {} (from {})", group, node);
}

std::string lanesSection(const ComparedBuild &b) {
  std::string s = "<h2>Branch lanes</h2>\n<p class=\"note\">Each module whose branches run side by side: a row per lane, its kernels end to "
                  "end by their median times; the dashed line is the module's measured time (the slowest lane, plus what threads "
                  "done early could not take over).</p>\n";
  std::map<int, std::vector<size_t>> groups;
  for (size_t i = 0; i < b.manifest.kernels.size(); ++i)
    if (b.manifest.kernels[i].group > 0) groups[b.manifest.kernels[i].group].push_back(i);
  if (groups.empty()) return s + "<p>No module runs its branches in lanes in this build.</p>\n";
  for (const auto &[group, kernels] : groups) {
    int lanes = 0;
    for (size_t k : kernels) lanes = std::max(lanes, b.manifest.kernels[k].lane);
    std::vector<std::string> rows;
    for (int l = 1; l <= lanes; ++l) rows.push_back(fmt::format("lane {}", l));
    std::vector<double> end(static_cast<size_t>(lanes) + 1, 0.0);
    std::vector<svg::Span> spans;
    for (size_t k : kernels) {
      const KernelRecord &r = b.manifest.kernels[k];
      if (r.lane < 1) continue;
      double ms = b.profile.steps[k].ms.median;
      spans.push_back({r.node, fmt::format("{}: {:.3f} ms", r.node, ms), svg::opColor(r.op), r.lane - 1, end[static_cast<size_t>(r.lane)], ms});
      end[static_cast<size_t>(r.lane)] += ms;
    }
    double measured = static_cast<size_t>(group) <= b.profile.groups.size() ? b.profile.groups[static_cast<size_t>(group) - 1].median : 0;
    s += fmt::format("<h3>{}</h3>\n", escape(groupTitle(group, b.manifest.kernels[kernels.front()].node))) +
         svg::timeline(fmt::format("lanes-{}", group), rows, spans, measured);
  }
  return s;
}

std::string ablationSection(const ReportInput &in) {
  std::string s = "<h2>Fusion ablation</h2>\n<p class=\"note\">The whole model with each optimising pass of the default pipeline left out, "
                  "timed in the same run as the full pipeline, alternating. Above 1: what the pass was worth.</p>\n";
  if (!in.unchangedPasses.empty())
    s += fmt::format("<p class=\"unchanged\">Not built: {} (without it the optimised graph is the same: nothing to time).</p>\n",
                     escape(fmt::format("{}", fmt::join(in.unchangedPasses, ", "))));
  if (in.ablation.empty()) return s + fmt::format("<p>Not run: {}</p>\n", escape(in.ablationNote));
  std::vector<svg::Bar> bars;
  s += "<table id=\"ablation\"><tr><th>pass left out</th><th>whole model ms</th><th>full pipeline ms</th><th>ratio</th></tr>\n";
  for (const AblationResult &a : in.ablation) {
    double ratio = a.fullMs > 0 ? a.ms / a.fullMs : 0;
    s += fmt::format("<tr class=\"ablation\"><td>{}</td><td>{:.3f}</td><td>{:.3f}</td><td>{:.2f}</td></tr>\n", escape(a.pass), a.ms, a.fullMs, ratio);
    bars.push_back({"without " + a.pass, fmt::format("without {}: {:.2f}x the full pipeline's time", a.pass, ratio), ratio > 1 ? "#c55a11" : "#70ad47", ratio});
  }
  return s + "</table>\n" + svg::barChart("ablation-bars", bars, "x");
}

std::string convergenceSection(const ReportInput &in) {
  std::string s = "<h2>Tuning convergence</h2>\n<p class=\"note\">Each tuned unit's best time so far against its trials, relative to its "
                  "default measured beside it (1: the default; lower is faster).</p>\n";
  if (in.convergence.empty()) return s + fmt::format("<p>None: {}</p>\n", escape(in.convergenceNote));
  return s + svg::lineChart("convergence", in.convergence, "trials of the unit", "best time / default");
}

std::string ortSection(const ReportInput &in) {
  if (!in.ort) return "";
  const ComparedBuild &b = *in.build;
  const OrtProfile &ort = *in.ort;
  std::string s = fmt::format("<h2>Against ONNX Runtime</h2>\n<p>ONNX Runtime (npm onnxruntime-node, {} threads) on {}: whole model <b>{:.3f} ms</b> "
                              "against Deeper's {:.3f} ms (ORT / Deeper = <b>{:.2f}</b>; ORT timed without its profiler). Its nodes, profiled, "
                              "lined up with Deeper's kernels through the layers both compute:</p>\n",
                              b.profile.threads, escape(in.ortForm), ort.wholeMs, b.profile.total.median,
                              b.profile.total.median > 0 ? ort.wholeMs / b.profile.total.median : 0.0);
  std::vector<svg::Bar> bars;
  s += "<table id=\"ort\"><tr><th>Deeper kernel</th><th>Deeper ms</th><th>ORT ms</th><th>ORT / Deeper</th><th>ORT nodes</th></tr>\n";
  for (const OrtRow &row : matchOrt(b, ort)) {
    std::string nodes;
    for (size_t i : row.ortNodes) nodes += (nodes.empty() ? "" : ", ") + ort.nodes[i].node + " (" + ort.nodes[i].op + ")";
    if (!row.note.empty()) nodes += (nodes.empty() ? "" : "; ") + row.note;
    bool both = row.deeperMs > 0 && !row.ortNodes.empty();
    s += fmt::format("<tr class=\"ort\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n", escape(row.label),
                     row.deeperMs < 0 ? "-" : fmt::format("{:.3f}", row.deeperMs), row.ortNodes.empty() ? "-" : fmt::format("{:.3f}", row.ortMs),
                     both ? fmt::format("{:.2f}", row.ortMs / row.deeperMs) : "-", escape(nodes));
    if (both)
      bars.push_back({row.label, fmt::format("{}: ORT {:.3f} ms, Deeper {:.3f} ms", row.label, row.ortMs, row.deeperMs),
                      row.ortMs >= row.deeperMs ? "#70ad47" : "#c55a11", row.ortMs / row.deeperMs});
  }
  return s + "</table>\n<p class=\"note\">ORT's time over Deeper's, kernel by kernel (above 1: Deeper's kernel is faster; a kernel in a "
             "branch lane has one thread, ORT's nodes every thread):</p>\n" +
         svg::barChart("ort-bars", bars, "x");
}

std::string kernelTable(const ComparedBuild &b) {
  std::string s = "<h2>Kernels</h2>\n<table id=\"kernels\"><tr><th>kernel</th><th>op</th><th>algorithm</th><th>lane</th><th>ms</th><th>GFLOP/s</th>"
                  "<th>% peak</th><th>flops/byte</th><th>widest FMA</th><th>spills + reloads</th><th>absorbs</th></tr>\n";
  for (size_t i = 0; i < b.manifest.kernels.size(); ++i) {
    const KernelRecord &k = b.manifest.kernels[i];
    double ms = b.profile.steps[i].ms.median, g = gflops(k, ms);
    std::string absorbs;
    for (const std::string &a : k.absorbed) absorbs += (absorbs.empty() ? "" : ", ") + a;
    s += fmt::format("<tr class=\"kernel\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.3f}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
                     "<td>{}</td><td>{}</td></tr>\n",
                     escape(k.node), escape(k.op), escape(k.algorithm), k.lane ? std::to_string(k.lane) : "-", ms,
                     k.executedMacs ? fmt::format("{:.1f}", g) : "-",
                     k.executedMacs && b.profile.peakGflops > 0 ? fmt::format("{:.1f}", 100 * g / b.profile.peakGflops) : "-",
                     k.executedMacs ? fmt::format("{:.1f}", k.intensity()) : "-", b.mixes[i].widestFma() ? std::to_string(b.mixes[i].widestFma()) : "-",
                     b.mixes[i].spills + b.mixes[i].reloads, escape(absorbs));
  }
  return s + "</table>\n";
}

}  // namespace

std::vector<svg::Series> convergenceCurves(const std::vector<Trial> &all, const std::string &target, int64_t batch) {
  std::vector<const Trial *> trials;
  for (const Trial &t : all)
    if ((t.unit == "kernel" || t.unit == "module") && t.context.target == target && t.context.batch == batch && t.status == "ok") trials.push_back(&t);
  std::stable_sort(trials.begin(), trials.end(), [](const Trial *a, const Trial *b) { return a->created < b->created; });
  std::map<std::string, svg::Series> byUnit;  // by problem
  std::map<std::string, double> best;
  for (const Trial *t : trials) {
    svg::Series &series = byUnit[t->problem];
    series.label = t->label;
    auto [it, fresh] = best.emplace(t->problem, t->relative());
    if (!fresh) it->second = std::min(it->second, t->relative());
    series.points.push_back({static_cast<double>(series.points.size() + 1), it->second});
  }
  std::vector<svg::Series> curves;
  for (auto &[problem, series] : byUnit)
    if (series.points.size() > 1) curves.push_back(std::move(series));
  // The units that gained most first; the rest would crowd the legend.
  std::sort(curves.begin(), curves.end(), [](const svg::Series &a, const svg::Series &b) { return a.points.back().second < b.points.back().second; });
  if (curves.size() > kMostCurves) curves.resize(kMostCurves);
  static const char *palette[] = {"#4472c4", "#ed7d31", "#a5a5a5", "#ffc000", "#5b9bd5", "#70ad47",
                                  "#264478", "#9e480e", "#636363", "#997300", "#255e91", "#43682b"};
  for (size_t i = 0; i < curves.size(); ++i) curves[i].color = palette[i % 12];
  return curves;
}

std::string renderReport(const ReportInput &in) {
  const ComparedBuild &b = *in.build;
  return fmt::format("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{} — Deeper report</title>\n<style>\n{}\n</style>\n"
                     "</head>\n<body>\n",
                     escape(b.manifest.model), kStyle) +
         header(in) + graphSection(in) + barsSection(b) + rooflineSection(b) + lanesSection(b) + ablationSection(in) + convergenceSection(in) +
         ortSection(in) + kernelTable(b) + "</body>\n</html>\n";
}

}  // namespace deeper::inspect
