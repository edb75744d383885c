#include "tune/TuningDatabase.h"

#include "support/Diagnostics.h"

#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <chrono>
#include <ctime>
#include <sstream>

namespace deeper {
namespace {

const char *const kSchema = R"(
CREATE TABLE IF NOT EXISTS trials (
  id INTEGER PRIMARY KEY,
  unit TEXT NOT NULL, problem TEXT NOT NULL, label TEXT NOT NULL,
  target TEXT NOT NULL, machine TEXT NOT NULL, halide TEXT NOT NULL, codegen TEXT NOT NULL,
  threads INTEGER NOT NULL, batch INTEGER NOT NULL,
  config TEXT NOT NULL, origin TEXT NOT NULL, status TEXT NOT NULL,
  median_ms REAL NOT NULL, q1_ms REAL NOT NULL, q3_ms REAL NOT NULL, baseline_ms REAL NOT NULL,
  detail TEXT NOT NULL, created TEXT NOT NULL,
  UNIQUE (problem, target, machine, halide, codegen, threads, batch, config, origin, created, unit));
CREATE INDEX IF NOT EXISTS trials_by_problem ON trials (problem, target);
)";

const char *const kColumns =
    "unit, problem, label, target, machine, halide, codegen, threads, batch, config, origin, status, median_ms, q1_ms, q3_ms, baseline_ms, detail, created";

/// A prepared statement, finalized on every path.
class Statement {
 public:
  Statement(sqlite3 *db, const std::string &sql, const std::string &path) : path_(path) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK)
      fail(fmt::format("tuning database '{}': {}", path, sqlite3_errmsg(db)));
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement &) = delete;
  Statement &operator=(const Statement &) = delete;

  void bind(int i, const std::string &v) { sqlite3_bind_text(stmt_, i, v.c_str(), static_cast<int>(v.size()), SQLITE_TRANSIENT); }
  void bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void bind(int i, double v) { sqlite3_bind_double(stmt_, i, v); }
  /// SQLITE_ROW or SQLITE_DONE; UserError otherwise (a busy or broken database).
  int step() {
    int rc = sqlite3_step(stmt_);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE && rc != SQLITE_CONSTRAINT)
      fail(fmt::format("tuning database '{}': {}", path_, sqlite3_errmsg(sqlite3_db_handle(stmt_))));
    return rc;
  }
  std::string text(int i) const {
    const unsigned char *t = sqlite3_column_text(stmt_, i);
    return t ? std::string(reinterpret_cast<const char *>(t), static_cast<size_t>(sqlite3_column_bytes(stmt_, i))) : "";
  }
  int64_t integer(int i) const { return sqlite3_column_int64(stmt_, i); }
  double real(int i) const { return sqlite3_column_double(stmt_, i); }

 private:
  sqlite3_stmt *stmt_ = nullptr;
  std::string path_;
};

Trial trialFromRow(const Statement &s) {
  Trial t;
  t.unit = s.text(0), t.problem = s.text(1), t.label = s.text(2);
  t.context = TuningContext{s.text(3), s.text(4), s.text(5), s.text(6), static_cast<int>(s.integer(7)), s.integer(8)};
  t.config = s.text(9), t.origin = s.text(10), t.status = s.text(11);
  t.medianMs = s.real(12), t.q1Ms = s.real(13), t.q3Ms = s.real(14), t.baselineMs = s.real(15);
  t.detail = s.text(16), t.created = s.text(17);
  return t;
}

nlohmann::json trialJson(const Trial &t) {
  const TuningContext &c = t.context;
  return {{"unit", t.unit},       {"problem", t.problem},   {"label", t.label},     {"target", c.target},   {"machine", c.machine},
          {"halide", c.halide},   {"codegen", c.codegen},   {"threads", c.threads}, {"batch", c.batch},     {"config", t.config},
          {"origin", t.origin},   {"status", t.status},     {"median_ms", t.medianMs}, {"q1_ms", t.q1Ms}, {"q3_ms", t.q3Ms},
          {"baseline_ms", t.baselineMs}, {"detail", t.detail},   {"created", t.created}};
}

/// The trial a JSON line describes; what is wrong with it in `problem` otherwise.
Trial trialOfJson(const nlohmann::json &j, std::string &problem) {
  Trial t;
  auto text = [&](const char *key, std::string &field) {
    if (!j.contains(key) || !j[key].is_string()) problem = fmt::format("'{}' must be a string", key);
    else field = j[key].get<std::string>();
  };
  auto number = [&](const char *key, double &field) {
    if (!j.contains(key) || !j[key].is_number()) problem = fmt::format("'{}' must be a number", key);
    else field = j[key].get<double>();
  };
  if (!j.is_object()) {
    problem = "not a JSON object";
    return t;
  }
  text("unit", t.unit), text("problem", t.problem), text("label", t.label), text("target", t.context.target);
  text("machine", t.context.machine), text("halide", t.context.halide), text("codegen", t.context.codegen);
  text("config", t.config), text("origin", t.origin), text("status", t.status), text("detail", t.detail), text("created", t.created);
  double threads = 0, batch = 0;
  number("threads", threads), number("batch", batch), number("median_ms", t.medianMs), number("q1_ms", t.q1Ms), number("q3_ms", t.q3Ms);
  number("baseline_ms", t.baselineMs);
  if (!(t.baselineMs >= 0 && t.baselineMs < 1e9)) problem = "times must be finite and not negative";
  if (threads < 0 || threads > 4096 || batch < 1 || batch > 1e9 || threads != static_cast<int>(threads) || batch != static_cast<int64_t>(batch))
    problem = "'threads' and 'batch' must be whole numbers in range";
  if (!(t.medianMs >= 0 && t.q1Ms >= 0 && t.q3Ms >= 0 && t.medianMs < 1e9 && t.q1Ms < 1e9 && t.q3Ms < 1e9))
    problem = "times must be finite and not negative";
  t.context.threads = static_cast<int>(threads), t.context.batch = static_cast<int64_t>(batch);
  return t;
}

}  // namespace

std::string utcNow() {
  auto now = std::chrono::system_clock::now();
  std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() % 1000000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  return fmt::format("{}.{:06d}Z", text, micros);
}

TuningDatabase::TuningDatabase(const std::string &path) : path_(path) {
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
    std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    fail(fmt::format("cannot open the tuning database '{}': {}", path, message));
  }
  sqlite3_busy_timeout(db_, 10000);  // a second tuner on the same file waits its turn
  try {
    // WAL: a writer killed mid-transaction leaves the committed trials intact, readers never block.
    execute("PRAGMA journal_mode=WAL");
    execute("PRAGMA synchronous=NORMAL");  // durable across a killed process; a power cut may lose the last commits
    execute(kSchema);
  } catch (...) {
    sqlite3_close(db_);
    throw;
  }
}

TuningDatabase::~TuningDatabase() { sqlite3_close(db_); }

void TuningDatabase::execute(const std::string &sql) const {
  char *error = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    std::string message = error ? error : "unknown error";
    sqlite3_free(error);
    fail(fmt::format("'{}' is not a usable tuning database: {}", path_, message));
  }
}

bool TuningDatabase::insert(const Trial &t) {
  Statement s(db_, fmt::format("INSERT OR IGNORE INTO trials ({}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", kColumns), path_);
  const TuningContext &c = t.context;
  int i = 1;
  for (const std::string *v : {&t.unit, &t.problem, &t.label, &c.target, &c.machine, &c.halide, &c.codegen}) s.bind(i++, *v);
  s.bind(i++, static_cast<int64_t>(c.threads));
  s.bind(i++, c.batch);
  for (const std::string *v : {&t.config, &t.origin, &t.status}) s.bind(i++, *v);
  for (double v : {t.medianMs, t.q1Ms, t.q3Ms, t.baselineMs}) s.bind(i++, v);
  s.bind(i++, t.detail);
  s.bind(i++, t.created);
  s.step();
  return sqlite3_changes(db_) > 0;
}

void TuningDatabase::transaction(const std::function<void()> &body) {
  execute("BEGIN IMMEDIATE");
  try {
    body();
    execute("COMMIT");
  } catch (...) {
    execute("ROLLBACK");
    throw;
  }
}

std::vector<Trial> TuningDatabase::select(const std::string &where, const std::vector<std::string> &values) const {
  Statement s(db_, fmt::format("SELECT {} FROM trials {} ORDER BY id", kColumns, where), path_);
  for (size_t i = 0; i < values.size(); ++i) s.bind(static_cast<int>(i) + 1, values[i]);
  std::vector<Trial> out;
  while (s.step() == SQLITE_ROW) out.push_back(trialFromRow(s));
  return out;
}

std::vector<Trial> TuningDatabase::trials(const std::string &problem, const std::string &target) const {
  return select("WHERE problem = ? AND target = ?", {problem, target});
}

std::vector<Trial> TuningDatabase::all() const { return select("", {}); }

std::string TuningDatabase::exportJsonl() const {
  std::string out;
  for (const Trial &t : all()) out += trialJson(t).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  return out;
}

size_t TuningDatabase::importJsonl(const std::string &text, const std::string &path) {
  std::vector<Trial> trials;
  std::istringstream in(text);
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::string problem;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) problem = "not JSON";
    Trial t = problem.empty() ? trialOfJson(j, problem) : Trial{};
    if (!problem.empty()) fail(fmt::format("{}:{}: error: not a tuning record: {}; expected a line of `deeper tune --export`", path, number, problem));
    trials.push_back(std::move(t));
  }
  size_t added = 0;
  transaction([&] {
    for (const Trial &t : trials) added += insert(t);
  });
  return added;
}

}  // namespace deeper
