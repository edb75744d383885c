// The executable `deeper compile` builds for a model: runs it on .npy files, prints top-5, benchmarks.
// Linked with the model's static library and a one-line object that points deeper_main_model at the
// model, so this file compiles once for every model.
//
//   ./googlenet --input x.npy --output y.npy [--weights F] [--threads N] [--top5] [--bench N]
//   ./googlenet --profile N [--profile-json F] [--profile-csv F]   (each step's and lane group's times: what
//   `deeper tune` reads; rates against this machine's FMA peak and memory bandwidth, measured unless --peak)
#include "deeper_runtime.h"
#include "machine_rates.h"
#include "npy_format.h"
#include "top5.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <numeric>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

extern "C" const deeper_model *const deeper_main_model;

namespace {

struct Options {
  std::string weights;
  bool weightsGiven = false;  // --weights; else the executable's own path + ".weights"
  std::vector<std::pair<std::string, std::string>> inputs, outputs;  // (name or "", path)
  int threads = 0;
  int bench = 0;
  int profile = 0;
  std::string profileJson, profileCsv;
  double peakGflops = 0;  ///< given with --peak; else measured
  bool rates = true;      ///< measure the machine's rates for the profile (--no-rates: times only, as the tuner wants)
  bool top5 = false;
};

[[noreturn]] void die(const std::string &message) {
  std::fprintf(stderr, "error: %s\n", deeper::printableText(message).c_str());
  std::exit(1);
}

std::pair<std::string, std::string> named(const char *arg) {
  const char *eq = std::strchr(arg, '=');
  return eq ? std::make_pair(std::string(arg, eq), std::string(eq + 1)) : std::make_pair(std::string(), std::string(arg));
}

int positive(const char *flag, const char *text) {
  char *end = nullptr;
  long v = std::strtol(text, &end, 10);
  if (*end || v <= 0 || v > 1 << 20) die(std::string(flag) + " expects a positive integer, got '" + text + "'");
  return static_cast<int>(v);
}

/// The executable's own path (/proc/self/exe: a symlink to it, or a run through $PATH, still finds
/// what lies beside it), else argv[0].
std::string executablePath(const char *argv0) {
  char path[4096];
  ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
  return n > 0 ? std::string(path, static_cast<size_t>(n)) : std::string(argv0);
}

Options parse(int argc, char **argv) {
  Options o;
  o.weights = executablePath(argv[0]) + ".weights";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    bool hasValue = i + 1 < argc;
    if (a == "--top5") o.top5 = true;
    else if (a == "--no-rates") o.rates = false;
    else if (a == "--help" || a == "-h") {
      std::printf("usage: %s [--input [NAME=]x.npy] [--output [NAME=]y.npy] [--weights F] [--threads N] [--top5] [--bench N]\n"
                  "          [--profile N [--peak GFLOPS | --no-rates] [--profile-json FILE] [--profile-csv FILE]]\n"
                  "without --input, a fixed synthetic input is used; --profile prints each step's median time\n"
                  "over at least N runs (more, up to 8N, while the median moves) and its share of this machine's\n"
                  "FMA peak (measured on the same threads unless --peak gives it; memory bandwidth too); --profile-json\n"
                  "and --profile-csv also write them; --no-rates measures times only\n", argv[0]);
      std::exit(0);
    } else if (!hasValue) die("unknown option or missing value: " + a);
    else if (a == "--input") o.inputs.push_back(named(argv[++i]));
    else if (a == "--output") o.outputs.push_back(named(argv[++i]));
    else if (a == "--weights") o.weights = argv[++i], o.weightsGiven = true;
    else if (a == "--threads") o.threads = positive("--threads", argv[++i]);  // deeper_set_num_threads checks the range
    else if (a == "--bench") o.bench = positive("--bench", argv[++i]);
    else if (a == "--profile") o.profile = positive("--profile", argv[++i]);
    else if (a == "--peak") o.peakGflops = positive("--peak", argv[++i]);
    else if (a == "--profile-json") o.profileJson = argv[++i];
    else if (a == "--profile-csv") o.profileCsv = argv[++i];
    else die("unknown option: " + a);
  }
  return o;
}

/// Index of the tensor called `name` (or the only one when `name` is empty).
int find(const deeper_tensor_info *infos, int count, const std::string &name, const char *what) {
  if (name.empty() && count == 1) return 0;
  for (int i = 0; i < count; ++i)
    if (name == infos[i].name) return i;
  die(name.empty() ? std::string("the model has several ") + what + "s: name one as NAME=FILE"
                   : std::string("the model has no ") + what + " '" + name + "'");
}

int64_t numel(const deeper_tensor_info &t) {
  int64_t n = 1;
  for (int d = 0; d < t.rank; ++d) n *= t.shape[d];
  return n;
}

/// "f32[1,3,224,224]", as `deeper` prints shapes.
std::string shapeText(const std::vector<int64_t> &shape) {
  std::string text;
  for (int64_t d : shape) text += (text.empty() ? "" : ",") + std::to_string(d);
  return "f32[" + text + "]";
}

std::vector<float> readInput(const std::string &path, const deeper_tensor_info &info) {
  struct stat st;
  if (stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) die("'" + path + "' is a directory; --input takes a .npy file");
  std::ifstream in(path, std::ios::binary);
  if (!in) die("cannot read '" + path + "': " + std::strerror(errno));
  std::stringstream ss;
  ss << in.rdbuf();
  std::string bytes = ss.str();
  deeper::npy_format::Layout layout;
  if (std::string error = deeper::npy_format::parse(bytes, layout); !error.empty())
    die("'" + path + "' is not a usable .npy file: " + error);
  std::vector<int64_t> want(info.shape, info.shape + info.rank);
  if (layout.shape != want)
    die("'" + path + "' holds " + shapeText(layout.shape) + "; input '" + info.name + "' is " + shapeText(want) + " (the model is compiled for a fixed batch)");
  std::vector<float> data(layout.dataBytes / 4);
  std::memcpy(data.data(), bytes.data() + layout.dataOffset, layout.dataBytes);
  return data;
}

/// Writes `bytes` to a temporary beside `path`, renamed over it when complete.
void writeFile(const std::string &path, const std::string &bytes) {
  std::string tmp = path + ".tmp";
  std::ofstream out(tmp, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out || std::rename(tmp.c_str(), path.c_str()) != 0) {
    int error = errno;
    std::remove(tmp.c_str());
    die("cannot write '" + path + "': " + std::strerror(error));
  }
}

void writeOutput(const std::string &path, const deeper_tensor_info &info, const std::vector<float> &data) {
  std::string bytes = deeper::npy_format::preamble(std::vector<int64_t>(info.shape, info.shape + info.rank));
  bytes.append(reinterpret_cast<const char *>(data.data()), data.size() * 4);
  writeFile(path, bytes);
}

void printTop5(const deeper_tensor_info &info, const std::vector<float> &data) {
  int64_t rows = info.shape[0], cols = numel(info) / rows;
  for (int64_t r = 0; r < rows; ++r) std::fputs(deeper::top5Line(info.name, r, data.data() + r * cols, cols).c_str(), stdout);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

void bench(deeper_context *ctx, int runs, const float *const *ins, float *const *outs, int64_t batch) {
  for (int i = 0; i < std::max(3, runs / 10); ++i) deeper_run(ctx, ins, outs);  // warm-up
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    if (deeper_run(ctx, ins, outs) != DEEPER_OK) die(deeper_last_error());
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  double mid = median(ms);
  std::printf("median_ms=%.3f min_ms=%.3f max_ms=%.3f images_per_s=%.1f\n", mid, ms.front(), ms.back(),
              1000.0 * static_cast<double>(batch) / mid);
}

/// A step's output extents as the model's header writes shapes, outermost first ("[1][192][28][28]" for
/// N,C,H,W).
std::string outputShape(const deeper_step &step) {
  const deeper_operand &out = step.operands[step.num_operands - 1];
  std::string text;
  for (int d = out.rank - 1; d >= 0; --d) text += "[" + std::to_string(out.extent[d]) + "]";
  return text;
}

/// Times of every run, by step and by lane group: samples[s][run].
struct Samples {
  std::vector<std::vector<double>> steps, groups;
  std::vector<double> totals;
};

double quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[static_cast<size_t>(q * static_cast<double>(v.size() - 1) + 0.5)];
}

/// At least `runs` runs after two warm-up runs, then more, up to 8x, while the median total moves by 1%
/// or more from one batch of runs to the next: a noisy machine gets more samples.
Samples sample(deeper_context *ctx, int runs, const float *const *ins, float *const *outs) {
  const deeper_model &m = *deeper_context_model(ctx);
  int groups = 0;
  for (int s = 0; s < m.num_steps; ++s) groups = std::max(groups, m.steps[s].group);
  Samples out{std::vector<std::vector<double>>(m.num_steps), std::vector<std::vector<double>>(groups), {}};
  std::vector<double> step(m.num_steps), group(groups);
  double previous = -1;
  for (int i = 0; i < 8 * runs + 2; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    if (deeper_run_profiled(ctx, ins, outs, step.data(), group.data()) != DEEPER_OK) die(deeper_last_error());
    if (i < 2) continue;  // warm-up
    out.totals.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    for (int s = 0; s < m.num_steps; ++s) out.steps[s].push_back(step[s]);
    for (int g = 0; g < groups; ++g) out.groups[g].push_back(group[g]);
    if (static_cast<int>(out.totals.size()) % runs) continue;
    double now = median(out.totals);
    if (previous > 0 && std::fabs(now - previous) < 0.01 * previous) break;
    previous = now;
  }
  return out;
}

/// What the profile's rates are relative to: this machine's FMA peak and memory read bandwidth on the
/// pool's threads (runtime/machine_rates.h), each measured here unless given.
struct Rates {
  int threads = 0;
  double peakGflops = 0, readGBps = 0;  ///< 0: not known (--no-rates)
  bool peakMeasured = false;
};

Rates machineRates(const Options &o) {
  Rates r;
  r.threads = deeper_get_num_threads();
  if (!o.rates) return r;
  r.peakMeasured = o.peakGflops <= 0;
  r.peakGflops = r.peakMeasured ? deeper::machine_rates::fmaPeakGflops(r.threads) : o.peakGflops;
  r.readGBps = deeper::machine_rates::readBandwidthGBps(r.threads);
  return r;
}

/// `"name": {"median": ..., "q1": ..., "q3": ...}` of milliseconds.
std::string quartilesJson(const char *name, const std::vector<double> &v) {
  char text[160];
  std::snprintf(text, sizeof text, "\"%s\": {\"median\": %.6f, \"q1\": %.6f, \"q3\": %.6f}", name, median(v), quantile(v, 0.25), quantile(v, 0.75));
  return text;
}

/// `text` as a JSON string's contents: every byte outside printable ASCII, quotes and backslashes escaped.
std::string jsonEscaped(const std::string &text) {
  std::string out;
  for (unsigned char c : text) {
    char escaped[8];
    std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
    out += c < 0x20 || c >= 0x7f || c == '"' || c == '\\' ? std::string(escaped) : std::string(1, static_cast<char>(c));
  }
  return out;
}

/// The samples' quartiles and the rates as JSON.
void writeProfileJson(const std::string &path, const deeper_model &m, const Samples &samples, const Rates &rates) {
  char head[200];
  std::snprintf(head, sizeof head, "\"threads\": %d, \"peak_gflops\": %.1f, \"peak_measured\": %s, \"read_gbps\": %.1f, ", rates.threads,
                rates.peakGflops, rates.peakMeasured ? "true" : "false", rates.readGBps);
  std::string json = "{\"runs\": " + std::to_string(samples.totals.size()) + ", " + head + quartilesJson("total_ms", samples.totals) + ",\n \"steps\": [";
  for (int s = 0; s < m.num_steps; ++s) {
    json += std::string(s ? ",\n" : "\n") + "  {\"name\": \"" + jsonEscaped(m.steps[s].name) + "\", \"output\": \"" + outputShape(m.steps[s]) +
            "\", \"macs\": " + std::to_string(m.steps[s].macs) + ", \"group\": " + std::to_string(m.steps[s].group) +
            ", \"lane\": " + std::to_string(m.steps[s].lane) + ", " + quartilesJson("ms", samples.steps[s]) + "}";
  }
  json += "],\n \"groups\": [";
  for (size_t g = 0; g < samples.groups.size(); ++g) json += (g ? ", {" : "{") + quartilesJson("ms", samples.groups[g]) + "}";
  writeFile(path, json + "]}\n");
}

/// `text` as a CSV field: quoted, its quotes doubled, control bytes escaped.
std::string csvField(const std::string &text) {
  std::string out = "\"";
  for (char c : deeper::printableText(text)) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

double gflopsOf(const deeper_step &step, double ms) { return ms > 0 ? 2e-6 * static_cast<double>(step.macs) / ms : 0.0; }

/// A row per step in execution order, for spreadsheets and plotting scripts.
void writeProfileCsv(const std::string &path, const deeper_model &m, const Samples &samples, const Rates &rates) {
  std::string csv = "step,output,group,lane,ms_median,ms_q1,ms_q3,macs,gflops,percent_peak\n";
  for (int s = 0; s < m.num_steps; ++s) {
    double ms = median(samples.steps[s]), gflops = gflopsOf(m.steps[s], ms);
    char row[256];
    std::snprintf(row, sizeof row, ",%s,%d,%d,%.6f,%.6f,%.6f,%lld,%.2f,%.2f\n", outputShape(m.steps[s]).c_str(), m.steps[s].group, m.steps[s].lane, ms,
                  quantile(samples.steps[s], 0.25), quantile(samples.steps[s], 0.75), static_cast<long long>(m.steps[s].macs), gflops,
                  rates.peakGflops > 0 ? 100 * gflops / rates.peakGflops : 0.0);
    csv += csvField(m.steps[s].name) + row;
  }
  writeFile(path, csv);
}

/// Median time of every step, slowest first, with GFLOP/s (2 flops per multiply-add the kernel
/// executes: a Winograd conv's are fewer than its layer's) and its share of the machine's peak.
void printProfile(const deeper_model &m, const Samples &samples, const Rates &rates) {
  if (rates.peakGflops > 0)
    std::printf("rates on %d threads: FMA peak %.1f GFLOP/s (%s), memory read %.1f GB/s (measured)\n", rates.threads, rates.peakGflops,
                rates.peakMeasured ? "measured" : "given by --peak", rates.readGBps);
  std::vector<std::pair<double, int>> order;
  double total = 0;
  for (int s = 0; s < m.num_steps; ++s) {
    order.push_back({median(samples.steps[s]), s});
    total += order.back().first;
  }
  std::sort(order.rbegin(), order.rend());
  std::printf("%-32s %-20s %9s %6s %9s %7s %5s\n", "step", "output", "ms", "share", "GFLOP/s", "%peak", "lane");
  for (auto [t, s] : order) {
    double gflops = gflopsOf(m.steps[s], t);
    char peak[16] = "-";
    if (rates.peakGflops > 0) std::snprintf(peak, sizeof peak, "%.1f%%", 100 * gflops / rates.peakGflops);
    std::printf("%-32s %-20s %9.3f %5.1f%% %9.1f %7s %5s\n", deeper::printableText(m.steps[s].name).c_str(), outputShape(m.steps[s]).c_str(), t,
                100 * t / total, gflops, peak, m.steps[s].lane ? std::to_string(m.steps[s].lane).c_str() : "-");
  }
  std::printf("total_ms=%.3f steps=%d runs=%zu (steps in lanes run side by side: their times overlap, and their shares of the\n"
              "peak, each of all %d threads', add up)\n",
              total, m.num_steps, samples.totals.size(), rates.threads);
}

}  // namespace

int main(int argc, char **argv) {
  Options o = parse(argc, argv);
  const deeper_model &m = *deeper_main_model;
  if (o.threads && deeper_set_num_threads(o.threads) != DEEPER_OK) die(deeper_last_error());
  std::vector<std::vector<float>> inputs(m.num_inputs), outputs(m.num_outputs);
  for (auto &[name, path] : o.inputs) {
    int i = find(m.inputs, m.num_inputs, name, "input");
    inputs[i] = readInput(path, m.inputs[i]);
  }
  for (int i = 0; i < m.num_inputs; ++i)
    if (inputs[i].empty()) {
      if (!o.inputs.empty()) die(std::string("no --input for '") + m.inputs[i].name + "'");
      inputs[i].resize(numel(m.inputs[i]));
      for (size_t j = 0; j < inputs[i].size(); ++j) inputs[i][j] = static_cast<float>(std::sin(0.001 * static_cast<double>(j)));
    }
  for (int i = 0; i < m.num_outputs; ++i) outputs[i].assign(numel(m.outputs[i]), 0.0f);
  std::vector<const float *> ins;
  std::vector<float *> outs;
  for (auto &v : inputs) ins.push_back(v.data());
  for (auto &v : outputs) outs.push_back(v.data());

  deeper_context *ctx = nullptr;
  const char *weights = m.embedded_weights && !o.weightsGiven ? nullptr : o.weights.c_str();  // NULL: the weights linked in
  if (deeper_status s = deeper_create(&m, weights, &ctx); s != DEEPER_OK)
    die(std::string(deeper_last_error()) + (s == DEEPER_ERROR_IO && !o.weightsGiven ? " (beside the executable by default; --weights FILE names another)" : ""));
  if (deeper_run(ctx, ins.data(), outs.data()) != DEEPER_OK) die(deeper_last_error());
  for (auto &[name, path] : o.outputs) {
    int i = find(m.outputs, m.num_outputs, name, "output");
    writeOutput(path, m.outputs[i], outputs[i]);
  }
  if (o.top5)
    for (int i = 0; i < m.num_outputs; ++i) printTop5(m.outputs[i], outputs[i]);
  if (o.bench) bench(ctx, o.bench, ins.data(), outs.data(), m.inputs[0].shape[0]);
  if (o.profile) {
    Samples samples = sample(ctx, o.profile, ins.data(), outs.data());
    Rates rates = machineRates(o);
    printProfile(m, samples, rates);
    if (!o.profileJson.empty()) writeProfileJson(o.profileJson, m, samples, rates);
    if (!o.profileCsv.empty()) writeProfileCsv(o.profileCsv, m, samples, rates);
  }
  deeper_destroy(ctx);
  return 0;
}
