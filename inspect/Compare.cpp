#include "inspect/Compare.h"

#include "inspect/Disassembly.h"
#include "runtime/printable.h"
#include "support/Diagnostics.h"
#include "support/Files.h"
#include "support/Process.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <iterator>
#include <numeric>
#include <set>

namespace deeper::inspect {
namespace {

namespace fs = std::filesystem;

/// The folder's one <identifier>.kernels.json.
std::string manifestPath(const std::string &folder) {
  std::vector<std::string> found;
  std::error_code error;
  for (const fs::directory_entry &entry : fs::directory_iterator(folder, error)) {
    std::string name = entry.path().filename().string();
    if (name.size() > 13 && name.compare(name.size() - 13, 13, ".kernels.json") == 0) found.push_back(entry.path().string());
  }
  if (error) fail(fmt::format("'{}': cannot read the folder ({})", folder, error.message()));
  if (found.empty())
    fail(fmt::format("'{}' holds no <model>.kernels.json: not a `deeper compile` output folder, or compiled before builds recorded "
                     "their kernels (compile it again)",
                     folder));
  if (found.size() > 1) fail(fmt::format("'{}' holds {} kernel manifests; compare folders of one build each", folder, found.size()));
  return found[0];
}

/// Each quartile the median of the rounds' values.
Quartiles quartilesMedian(const std::vector<Quartiles> &rounds) {
  std::vector<double> m, q1, q3;
  for (const Quartiles &q : rounds) m.push_back(q.median), q1.push_back(q.q1), q3.push_back(q.q3);
  return Quartiles{medianOf(m), medianOf(q1), medianOf(q3)};
}

Profile combine(const std::vector<Profile> &rounds) {
  Profile p = rounds.at(0);
  for (size_t s = 0; s < p.steps.size(); ++s) {
    std::vector<Quartiles> q;
    for (const Profile &r : rounds) q.push_back(r.steps.at(s).ms);
    p.steps[s].ms = quartilesMedian(q);
  }
  std::vector<Quartiles> totals;
  std::vector<double> peaks, bandwidths;
  for (const Profile &r : rounds) totals.push_back(r.total), peaks.push_back(r.peakGflops), bandwidths.push_back(r.readGBps);
  p.total = quartilesMedian(totals);
  p.peakGflops = medianOf(peaks), p.readGBps = medianOf(bandwidths);
  p.runs = 0;
  for (const Profile &r : rounds) p.runs += r.runs;
  return p;
}

/// "conv" of "conv+relu".
std::string opBase(const std::string &op) { return op.substr(0, op.find('+')); }

/// A row's side: its kernels' summed time, executed multiply-adds and instruction mix.
struct Side {
  double ms = 0;
  int64_t macs = 0;
  InstructionMix mix;
  std::vector<std::string> names;
};

Side sideOf(const ComparedBuild &b, const std::vector<size_t> &kernels) {
  Side s;
  for (size_t k : kernels) {
    s.ms += b.profile.steps.at(k).ms.median;
    s.macs += b.manifest.kernels[k].executedMacs;
    s.mix += b.mixes[k];
    s.names.push_back(b.manifest.kernels[k].node);
  }
  return s;
}

std::string rate(const Side &s, double peak, bool percent) {
  if (s.names.empty() || s.ms <= 0 || s.macs == 0) return "-";
  double gflops = 2e-6 * static_cast<double>(s.macs) / s.ms;
  return percent ? (peak > 0 ? fmt::format("{:.1f}%", 100 * gflops / peak) : "-") : fmt::format("{:.1f}", gflops);
}

/// How a side computes the row's layers: "a (conv+relu, direct), absorbs b, c", "3 kernels: ...", or
/// why it runs none for them.
std::string fusionText(const ComparedBuild &b, const std::vector<size_t> &kernels, const std::vector<std::string> &layers) {
  if (kernels.empty()) {
    for (const std::string &layer : layers)
      if (auto why = b.manifest.notKernels.find(layer); why != b.manifest.notKernels.end()) return fmt::format("no kernel: {} is {}", layer, why->second);
    return "no kernel: not in its graph (a pass removed it)";
  }
  if (kernels.size() > 1) return fmt::format("{} kernels: {}", kernels.size(), fmt::join(sideOf(b, kernels).names, ", "));
  const KernelRecord &k = b.manifest.kernels[kernels[0]];
  std::string text = k.node + " (" + k.op + (k.algorithm != k.op && k.algorithm != opBase(k.op) ? ", " + k.algorithm : "") + ")";
  if (!k.absorbed.empty()) text += fmt::format(", absorbs {}", fmt::join(k.absorbed, ", "));
  return text;
}

/// The attributes ("key=value" between the parentheses) of a printed node.
std::set<std::string> attributes(const std::string &nodeText) {
  std::set<std::string> out;
  size_t open = nodeText.find('('), close = nodeText.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return out;
  std::string inside = nodeText.substr(open + 1, close - open - 1);
  for (size_t begin = 0; begin <= inside.size();) {
    size_t comma = inside.find(", ", begin);
    std::string item = inside.substr(begin, comma == std::string::npos ? std::string::npos : comma - begin);
    if (item.find('=') != std::string::npos) out.insert(item);
    if (comma == std::string::npos) break;
    begin = comma + 2;
  }
  return out;
}

/// "A only: layout=nhwc; B only: -": how two printings of a node differ in attributes.
std::string attributeDifference(const std::string &a, const std::string &b) {
  std::set<std::string> sa = attributes(a), sb = attributes(b);
  std::vector<std::string> onlyA, onlyB;
  std::set_difference(sa.begin(), sa.end(), sb.begin(), sb.end(), std::back_inserter(onlyA));
  std::set_difference(sb.begin(), sb.end(), sa.begin(), sa.end(), std::back_inserter(onlyB));
  auto list = [](const std::vector<std::string> &v) { return v.empty() ? std::string("-") : fmt::format("{}", fmt::join(v, ", ")); };
  return fmt::format("A only: {}; B only: {}", list(onlyA), list(onlyB));
}

bool sameCode(const ComparedBuild &a, const ComparedBuild &b, const MatchedKernels &row) {
  if (row.a.size() != 1 || row.b.size() != 1) return false;
  return a.manifest.kernels[row.a[0]].function == b.manifest.kernels[row.b[0]].function;
}

/// Under a row whose code differs: how each build computes its layers, and what differs.
std::string differences(const ComparedBuild &a, const ComparedBuild &b, const MatchedKernels &row, const Side &sa, const Side &sb) {
  std::vector<std::string> layers = sa.names.empty() ? sb.names : sa.names;
  for (size_t k : row.a) layers.insert(layers.end(), a.manifest.kernels[k].absorbed.begin(), a.manifest.kernels[k].absorbed.end());
  for (size_t k : row.b) layers.insert(layers.end(), b.manifest.kernels[k].absorbed.begin(), b.manifest.kernels[k].absorbed.end());
  for (size_t k : row.b) layers.push_back(b.manifest.kernels[k].node);
  std::string fa = fusionText(a, row.a, layers), fb = fusionText(b, row.b, layers), s;
  if (fa != fb) s += fmt::format("    A: {}\n    B: {}\n", fa, fb);
  if (row.a.size() != 1 || row.b.size() != 1) return s;
  const KernelRecord &ka = a.manifest.kernels[row.a[0]], &kb = b.manifest.kernels[row.b[0]];
  if (ka.nodeText != kb.nodeText) s += fmt::format("    attributes: {}\n", attributeDifference(ka.nodeText, kb.nodeText));
  if (ka.schedule != kb.schedule) s += fmt::format("    schedule A: {}\n    schedule B: {}\n", ka.schedule, kb.schedule);
  if (sa.mix.widestFma() != sb.mix.widestFma()) s += fmt::format("    FMA width: A {}-bit, B {}-bit\n", sa.mix.widestFma(), sb.mix.widestFma());
  if (s.empty()) s = "    the same node and schedule; the operands' layouts or the target differ\n";
  return s;
}

/// The row's lanes as "A/B": a kernel's branch lane, '-' for none, '*' for several kernels.
std::string lanes(const ComparedBuild &a, const ComparedBuild &b, const MatchedKernels &row) {
  auto one = [](const ComparedBuild &x, const std::vector<size_t> &k) {
    if (k.size() != 1) return std::string(k.empty() ? " " : "*");
    int lane = x.manifest.kernels[k[0]].lane;
    return lane ? std::to_string(lane) : std::string("-");
  };
  return one(a, row.a) + "/" + one(b, row.b);
}

std::string signedCount(int n) { return n > 0 ? fmt::format("+{}", n) : fmt::format("{}", n); }

}  // namespace

ComparedBuild loadBuild(const std::string &folder, const std::string &label) {
  ComparedBuild b;
  b.label = label;
  b.folder = folder;
  b.manifest = readManifest(manifestPath(folder));
  std::vector<std::string> symbols;
  for (const KernelRecord &k : b.manifest.kernels) symbols.push_back(k.function);
  for (const std::vector<DisassembledFunction> &code : disassembleArchiveMembers(folder + "/lib" + b.manifest.identifier + ".a", symbols))
    b.mixes.push_back(mixOf(code));
  return b;
}

void profileTogether(std::vector<ComparedBuild *> builds, int rounds, int runs, int threads) {
  std::vector<std::vector<Profile>> profiles(builds.size());
  ProfileRunOptions o;
  o.threads = threads, o.runs = runs;
  for (int round = 0; round < std::max(1, rounds); ++round)
    for (size_t i = 0; i < builds.size(); ++i) {
      profiles[i].push_back(runProfile(builds[i]->folder + "/" + builds[i]->manifest.identifier, o));
      if (profiles[i].back().steps.size() != builds[i]->manifest.kernels.size())
        fail(fmt::format("'{}': its executable profiled {} steps, its manifest lists {} kernels: the folder mixes two builds",
                         builds[i]->folder, profiles[i].back().steps.size(), builds[i]->manifest.kernels.size()));
    }
  for (size_t i = 0; i < builds.size(); ++i) builds[i]->profile = combine(profiles[i]);
}

std::string unifiedDiff(const std::string &a, const std::string &b, const std::string &labelA, const std::string &labelB, size_t maxLines) {
  if (a == b) return "";
  ScratchFolder scratch("deeper-diff");
  writeFileAtomic(scratch.path() + "/a", a);
  writeFileAtomic(scratch.path() + "/b", b);
  ProcessResult r = runProcess({"diff", "-u", "--label", labelA, "--label", labelB, scratch.path() + "/a", scratch.path() + "/b"}, 60);
  if (r.ending != ProcessResult::Ending::Exited || r.code != 1) fail(fmt::format("diff failed ({}): {}", r.describe(), r.output.substr(0, 300)));
  std::string out;
  size_t lines = 0, at = 0;
  for (size_t next; at < r.output.size() && lines < maxLines; at = next + 1, ++lines) {
    next = r.output.find('\n', at);
    if (next == std::string::npos) next = r.output.size();
    out += r.output.substr(at, next - at) + "\n";
  }
  size_t rest = static_cast<size_t>(std::count(r.output.begin() + static_cast<long>(std::min(at, r.output.size())), r.output.end(), '\n'));
  if (rest) out += fmt::format("... {} more lines\n", rest);
  return out;
}

std::vector<MatchedKernels> matchKernels(const BuildManifest &a, const BuildManifest &b) {
  // Union-find over the kernels of both builds (a's first), joined through the layers they cover.
  const size_t na = a.kernels.size(), n = na + b.kernels.size();
  std::vector<size_t> parent(n);
  std::iota(parent.begin(), parent.end(), 0);
  auto root = [&](size_t k) {
    while (parent[k] != k) k = parent[k] = parent[parent[k]];
    return k;
  };
  std::map<std::string, size_t> coveredBy;
  auto cover = [&](size_t k, const KernelRecord &r) {
    std::vector<std::string> layers = r.absorbed;
    layers.push_back(r.node);
    for (const std::string &layer : layers) {
      auto [it, fresh] = coveredBy.emplace(layer, k);
      if (!fresh) parent[root(k)] = root(it->second);
    }
  };
  for (size_t k = 0; k < na; ++k) cover(k, a.kernels[k]);
  for (size_t k = 0; k < b.kernels.size(); ++k) cover(na + k, b.kernels[k]);
  // Rows in a's execution order, then those only b has, in b's.
  std::map<size_t, size_t> rowOfRoot;
  std::vector<MatchedKernels> rows;
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  for (size_t k : order) {
    auto [it, fresh] = rowOfRoot.emplace(root(k), rows.size());
    if (fresh) rows.emplace_back();
    (k < na ? rows[it->second].a : rows[it->second].b).push_back(k < na ? k : k - na);
  }
  return rows;
}

int differingRows(const ComparedBuild &a, const ComparedBuild &b, const std::vector<MatchedKernels> &rows) {
  return static_cast<int>(std::count_if(rows.begin(), rows.end(), [&](const MatchedKernels &r) { return !sameCode(a, b, r); }));
}

std::string printComparison(const ComparedBuild &a, const ComparedBuild &b, const std::vector<MatchedKernels> &rows) {
  std::string s;
  for (const ComparedBuild *x : {&a, &b})
    s += fmt::format("{}: {} ({} batch {}, {} kernels; FMA peak {:.1f} GFLOP/s, read {:.1f} GB/s on {} threads, measured)\n",
                     x == &a ? "A" : "B", x->label, x->manifest.target, x->manifest.batch, x->manifest.kernels.size(), x->profile.peakGflops,
                     x->profile.readGBps, x->profile.threads);
  s += fmt::format("\n{:<40} {:>8} {:>8} {:>6} {:>5} {:>8} {:>8} {:>7} {:>7} {:>6} {:>6} {:>6}\n", "layers (A's kernels)", "A ms", "B ms", "B/A",
                   "lane", "A GF/s", "B GF/s", "A %pk", "B %pk", "dFMA", "dload", "dspill");
  Side totalA, totalB;
  for (const MatchedKernels &row : rows) {
    Side sa = sideOf(a, row.a), sb = sideOf(b, row.b);
    totalA.ms += sa.ms, totalB.ms += sb.ms;
    std::string label = fmt::format("{}", fmt::join(sa.names.empty() ? sb.names : sa.names, " + "));
    if (sa.names.empty()) label = "(B only) " + label;
    std::string ratio = sa.ms > 0 && sb.ms > 0 ? fmt::format("{:.2f}", sb.ms / sa.ms) : "-";
    s += fmt::format("{:<40} {:>8} {:>8} {:>6} {:>5} {:>8} {:>8} {:>7} {:>7} {:>6} {:>6} {:>6}\n", label,
                     sa.names.empty() ? "-" : fmt::format("{:.3f}", sa.ms), sb.names.empty() ? "-" : fmt::format("{:.3f}", sb.ms), ratio,
                     lanes(a, b, row),
                     rate(sa, a.profile.peakGflops, false), rate(sb, b.profile.peakGflops, false), rate(sa, a.profile.peakGflops, true),
                     rate(sb, b.profile.peakGflops, true), signedCount(sb.mix.fmas() - sa.mix.fmas()), signedCount(sb.mix.loads - sa.mix.loads),
                     signedCount(sb.mix.spills + sb.mix.reloads - sa.mix.spills - sa.mix.reloads));
    if (!sameCode(a, b, row)) s += differences(a, b, row, sa, sb);
  }
  s += fmt::format("\nlane: a kernel's branch lane in A/B ('-' none); its time overlaps the other lanes'.\n");
  s += fmt::format("{:<40} {:>8.3f} {:>8.3f} {:>6.2f}   (kernels' own times; lanes overlap)\n", "sum of steps", totalA.ms, totalB.ms,
                   totalA.ms > 0 ? totalB.ms / totalA.ms : 0.0);
  s += fmt::format("{:<40} {:>8.3f} {:>8.3f} {:>6.2f}   (median run of the whole model)\n", "whole model", a.profile.total.median,
                   b.profile.total.median, a.profile.total.median > 0 ? b.profile.total.median / a.profile.total.median : 0.0);
  s += fmt::format("{} of {} rows differ in code (a row: the kernels of both builds that compute the same layers)\n", differingRows(a, b, rows),
                   rows.size());
  return printableText(s);
}

}  // namespace deeper::inspect
