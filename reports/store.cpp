#include "reports/store.hpp"

#include <cmath>
#include <limits>
#include <utility>

#include "reports/hashing.hpp"
#include "reports/schema.hpp"
#include "suites/metric_registry.hpp"

namespace tb {

namespace {

constexpr const char* kNow = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

// JSON has no NaN or infinities; store them as strings so that they read back exactly.
nlohmann::json encode_number(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  return value;
}

double decode_number(const nlohmann::json& value, const std::string& file,
                     const std::string& field) {
  if (value.is_number()) return value.get<double>();
  if (value == "nan" || value.is_null()) return std::numeric_limits<double>::quiet_NaN();
  if (value == "inf") return std::numeric_limits<double>::infinity();
  if (value == "-inf") return -std::numeric_limits<double>::infinity();
  throw bad_input(file, field, "not a number: " + value.dump());
}

nlohmann::json parse_json(const std::string& text, const std::string& file,
                          const std::string& field) {
  auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) throw bad_input(file, field, "invalid JSON");
  return json;
}

std::string encode_scores(const std::vector<double>& scores) {
  nlohmann::json json = nlohmann::json::array();
  for (const double s : scores) json.push_back(encode_number(s));
  return json.dump();
}

// A document as doc_json. Data files need not be UTF-8 (a Latin-1 ABC file): their bytes are
// scored as they are, and here each invalid sequence becomes U+FFFD, as hash_doc does, instead of
// the strict dump's type_error (an internal error after the whole run was scored).
std::string dump_doc(const nlohmann::json& doc) {
  return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string encode_values(const std::map<std::string, double>& values) {
  nlohmann::json json = nlohmann::json::object();
  for (const auto& [name, value] : values) json[name] = encode_number(value);
  return json.dump();
}

// The columns of runs, in the order read_run expects them.
constexpr const char* kRunColumns =
    "SELECT id, run_key, model_path, model_hash, config_json, tokenizer, checkpoint_step, "
    "tunebench_git_sha, device, dtype, batch_tokens, seed, suite, suite_version, options_json, "
    "started_at, finished_at, status FROM runs";

Run read_run(const sqlite::Statement& row, const std::string& file) {
  Run run;
  run.id = row.int64(0);
  run.run_key = row.text(1);
  run.info.model_path = row.text(2);
  run.info.model_hash = row.text(3);
  run.info.config = parse_json(row.text(4), file, "runs.config_json");
  run.info.tokenizer = row.text(5);
  run.checkpoint_step = row.optional_int64(6);
  run.info.tunebench_git_sha = row.text(7);
  run.info.device = row.text(8);
  run.info.dtype = row.text(9);
  run.info.batch_tokens = row.int64(10);
  run.info.seed = row.int64(11);
  run.info.suite = row.text(12);
  run.info.suite_version = row.text(13);
  run.info.options = parse_json(row.text(14), file, "runs.options_json");
  run.started_at = row.text(15);
  run.finished_at = row.optional_text(16);
  run.status = parse_run_status(row.text(17));
  return run;
}

// SQLite's check report on one line: its first three complaints, without the banner.
std::string one_line(const std::string& report) {
  std::string out;
  size_t lines = 0;
  size_t start = 0;
  while (start <= report.size()) {
    size_t end = report.find('\n', start);
    if (end == std::string::npos) end = report.size();
    const std::string line = report.substr(start, end - start);
    start = end + 1;
    if (line.empty() || line.starts_with("***")) continue;
    if (++lines > 3) return out + "; ...";
    out += (out.empty() ? "" : "; ") + line;
  }
  return out;
}

}  // namespace

SampleRow make_sample_row(const Doc& doc, SampleResult result) {
  SampleRow row;
  row.doc_hash = hash_doc(doc);
  row.prompt_hash = hash_text(result.prompt);
  row.target_hash = hash_text(result.target);
  row.doc = doc.data;
  row.result = std::move(result);
  return row;
}

Store Store::open(const std::filesystem::path& path) {
  auto db = sqlite::Database::open(path);
  db.set_busy_timeout_ms(5000);
  db.exec("PRAGMA foreign_keys = ON");
  // The first statement that reads the file: a file that is not SQLite fails here.
  db.query_text("PRAGMA journal_mode = WAL");
  // NORMAL, not FULL: in WAL mode a crashed or killed process loses nothing committed, and a
  // power cut can only drop the last commits, never corrupt the file. A dropped sample batch is
  // re-evaluated on resume, so one fsync per checkpoint instead of per batch is the right trade.
  db.exec("PRAGMA synchronous = NORMAL");
  // Refuse to write into a damaged file rather than make it worse. Linear in the file size but
  // cheap next to an evaluation (a quick_check skips the index-content cross-checks).
  const std::string check = db.query_text("PRAGMA quick_check");
  if (check != "ok")
    throw bad_input(db.path(), "", "corrupt SQLite file (" + one_line(check) + ")");
  migrate(db, store_migrations());
  return Store(std::move(db));
}

Store Store::open_read_only(const std::filesystem::path& path) {
  auto db = sqlite::Database::open_read_only(path);
  db.set_busy_timeout_ms(5000);
  const int version = read_schema_version(db);  // the first read: not SQLite fails here
  if (version == 0) {
    throw bad_input(db.path(), "schema_version",
                    "missing: not a tunebench store (an empty file or an empty SQLite database)");
  }
  if (version != current_schema_version()) {
    throw bad_input(db.path(), "schema_version",
                    "the store is at version " + std::to_string(version) +
                        ", this tunebench reads " + std::to_string(current_schema_version()) +
                        " (an eval with this tunebench migrates it)");
  }
  return Store(std::move(db));
}

int Store::schema_version() const {
  return read_schema_version(db_);
}

std::string Store::journal_mode() const {
  return db_.query_text("PRAGMA journal_mode");
}

std::string Store::integrity_check() const {
  return db_.query_text("PRAGMA integrity_check");
}

int64_t Store::begin_run(const RunInfo& info) {
  const std::string key = run_key(info);
  sqlite::Transaction transaction(db_);
  auto find = db_.prepare("SELECT id FROM runs WHERE run_key = ?1");
  find.bind(1, key);
  int64_t id = 0;
  if (find.step()) {
    id = find.int64(0);
    db_.prepare("UPDATE runs SET status = 'running', finished_at = NULL WHERE id = ?1")
        .bind(1, id)
        .run();
  } else {
    db_.prepare(std::string("INSERT INTO runs (run_key, model_path, model_hash, config_json, "
                            "tokenizer, checkpoint_step, tunebench_git_sha, device, dtype, "
                            "batch_tokens, seed, suite, suite_version, options_json, "
                            "started_at, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
                            "?10, ?11, ?12, ?13, ?14, ") +
                kNow + ", 'running')")
        .bind_all(key, info.model_path, info.model_hash, info.config.dump(), info.tokenizer,
                  parse_checkpoint_step(info.model_path), info.tunebench_git_sha, info.device,
                  info.dtype, info.batch_tokens, info.seed, info.suite, info.suite_version,
                  info.options.dump())
        .run();
    id = db_.last_insert_rowid();
  }
  insert_run_model(id, info.model_path);
  transaction.commit();
  return id;
}

void Store::insert_run_model(int64_t run_id, const std::string& model_path) {
  db_.prepare(
         "INSERT OR IGNORE INTO run_models (run_id, model_path, checkpoint_step) "
         "VALUES (?1, ?2, ?3)")
      .bind_all(run_id, model_path, parse_checkpoint_step(model_path))
      .run();
}

void Store::add_run_model(int64_t run_id, const std::string& model_path) {
  sqlite::Transaction transaction(db_);
  require_run(run_id);
  insert_run_model(run_id, model_path);
  transaction.commit();
}

std::set<std::string> Store::done_doc_ids(int64_t run_id) const {
  auto stmt = db_.prepare("SELECT doc_id FROM samples WHERE run_id = ?1");
  stmt.bind(1, run_id);
  std::set<std::string> ids;
  while (stmt.step()) ids.insert(stmt.text(0));
  return ids;
}

void Store::require_run(int64_t run_id) const {
  auto stmt = db_.prepare("SELECT 1 FROM runs WHERE id = ?1");
  stmt.bind(1, run_id);
  if (!stmt.step()) throw bad_input(path(), "runs", "no run with id " + std::to_string(run_id));
}

void Store::insert_samples(int64_t run_id, std::span<const SampleRow> rows) {
  auto insert = db_.prepare(
      "INSERT INTO samples (run_id, doc_id, subset, doc_hash, prompt_hash, target_hash, prompt, "
      "target, option_scores, prediction, gold, correct, values_json, response, doc_json) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)");
  for (const SampleRow& row : rows) {
    const SampleResult& r = row.result;
    std::optional<int64_t> correct;
    if (r.prediction >= 0 && r.gold >= 0) correct = r.prediction == r.gold ? 1 : 0;
    insert.bind_all(run_id, r.doc_id, r.subset, row.doc_hash, row.prompt_hash, row.target_hash,
                    r.prompt, r.target, encode_scores(r.option_scores), r.prediction, r.gold,
                    correct, encode_values(r.values), r.response, dump_doc(row.doc));
    try {
      insert.run();
    } catch (const sqlite::SqliteError& e) {
      if (!e.is_constraint()) throw;
      throw bad_input(path(), "samples",
                      "doc_id '" + r.doc_id + "' is already stored for run " +
                          std::to_string(run_id) + " (" + e.what() + ")");
    }
    insert.reset();
  }
}

void Store::add_samples(int64_t run_id, std::span<const SampleRow> rows) {
  sqlite::Transaction transaction(db_);
  require_run(run_id);
  insert_samples(run_id, rows);
  transaction.commit();
}

void Store::add_samples(int64_t run_id, std::span<const SampleRow> rows, const ProfileRow& cost) {
  sqlite::Transaction transaction(db_);
  require_run(run_id);
  insert_samples(run_id, rows);
  insert_profile(run_id, cost);
  transaction.commit();
}

void Store::finish_run(int64_t run_id, std::span<const MetricValue> metrics) {
  sqlite::Transaction transaction(db_);
  require_run(run_id);
  db_.prepare("DELETE FROM metrics WHERE run_id = ?1").bind(1, run_id).run();
  auto insert = db_.prepare(
      "INSERT INTO metrics (run_id, name, subset, value, stderr, n, higher_is_better) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  for (const MetricValue& m : metrics) {
    // The registry decides directions; a metric it does not know keeps the suite's.
    const auto info = find_metric(m.name);
    const bool higher = info ? info->direction == Direction::Higher : m.higher_is_better;
    insert.bind_all(run_id, m.name, m.subset, m.value, m.standard_error, m.n, higher);
    try {
      insert.run();
    } catch (const sqlite::SqliteError& e) {
      if (!e.is_constraint()) throw;
      throw bad_input(path(), "metrics",
                      "metric '" + m.name + "' of subset '" + m.subset + "' given twice");
    }
    insert.reset();
  }
  db_.prepare(std::string("UPDATE runs SET status = 'finished', finished_at = ") + kNow +
              " WHERE id = ?1")
      .bind(1, run_id)
      .run();
  transaction.commit();
}

void Store::fail_run(int64_t run_id) {
  sqlite::Transaction transaction(db_);
  require_run(run_id);
  db_.prepare(std::string("UPDATE runs SET status = 'failed', finished_at = ") + kNow +
              " WHERE id = ?1")
      .bind(1, run_id)
      .run();
  transaction.commit();
}

void Store::add_profile(int64_t run_id, const ProfileRow& p) {
  sqlite::Transaction transaction(db_);
  require_run(run_id);
  insert_profile(run_id, p);
  transaction.commit();
}

void Store::insert_profile(int64_t run_id, const ProfileRow& p) {
  db_.prepare(
         "INSERT INTO profiles (run_id, phase, batch, seq, tokens_per_s, tflops, mfu, mbu, "
         "raw_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")
      .bind_all(run_id, p.phase, p.batch, p.seq, p.tokens_per_s, p.tflops, p.mfu, p.mbu,
                p.raw.dump())
      .run();
}

std::vector<Run> Store::list_runs() const {
  auto stmt = db_.prepare(std::string(kRunColumns) + " ORDER BY id");
  std::vector<Run> runs;
  while (stmt.step()) runs.push_back(read_run(stmt, path()));
  return runs;
}

Run Store::run(int64_t run_id) const {
  auto stmt = db_.prepare(std::string(kRunColumns) + " WHERE id = ?1");
  stmt.bind(1, run_id);
  if (!stmt.step()) throw bad_input(path(), "runs", "no run with id " + std::to_string(run_id));
  return read_run(stmt, path());
}

std::optional<Run> Store::find_run(const std::string& key) const {
  auto stmt = db_.prepare(std::string(kRunColumns) + " WHERE run_key = ?1");
  stmt.bind(1, key);
  if (!stmt.step()) return std::nullopt;
  return read_run(stmt, path());
}

std::vector<SampleRow> Store::samples(int64_t run_id) const {
  auto stmt = db_.prepare(
      "SELECT doc_id, subset, doc_hash, prompt_hash, target_hash, prompt, target, "
      "option_scores, prediction, gold, values_json, response, doc_json FROM samples "
      "WHERE run_id = ?1 "
      "ORDER BY rowid");
  stmt.bind(1, run_id);
  std::vector<SampleRow> rows;
  while (stmt.step()) {
    SampleRow row;
    SampleResult& r = row.result;
    r.doc_id = stmt.text(0);
    r.subset = stmt.text(1);
    row.doc_hash = stmt.text(2);
    row.prompt_hash = stmt.text(3);
    row.target_hash = stmt.text(4);
    r.prompt = stmt.text(5);
    r.target = stmt.text(6);
    const auto scores = parse_json(stmt.text(7), path(), "samples.option_scores");
    if (!scores.is_array()) throw bad_input(path(), "samples.option_scores", "not an array");
    for (const auto& s : scores) r.option_scores.push_back(decode_number(s, path(), "samples"));
    r.prediction = static_cast<int>(stmt.int64(8));
    r.gold = static_cast<int>(stmt.int64(9));
    const auto values = parse_json(stmt.text(10), path(), "samples.values_json");
    if (!values.is_object()) throw bad_input(path(), "samples.values_json", "not an object");
    for (const auto& [name, v] : values.items())
      r.values[name] = decode_number(v, path(), "samples.values_json");
    r.response = stmt.text(11);
    row.doc = parse_json(stmt.text(12), path(), "samples.doc_json");
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<MetricValue> Store::metrics(int64_t run_id) const {
  auto stmt = db_.prepare(
      "SELECT name, subset, value, stderr, n, higher_is_better FROM metrics WHERE run_id = ?1 "
      "ORDER BY rowid");
  stmt.bind(1, run_id);
  std::vector<MetricValue> metrics;
  while (stmt.step()) {
    MetricValue m;
    m.name = stmt.text(0);
    m.subset = stmt.text(1);
    m.value = stmt.real(2);
    m.standard_error = stmt.real(3);
    m.n = stmt.int64(4);
    const auto info = find_metric(m.name);
    m.higher_is_better = info ? info->direction == Direction::Higher : stmt.int64(5) != 0;
    metrics.push_back(std::move(m));
  }
  return metrics;
}

std::vector<ProfileRow> Store::profiles(int64_t run_id) const {
  auto stmt = db_.prepare(
      "SELECT phase, batch, seq, tokens_per_s, tflops, mfu, mbu, raw_json FROM profiles "
      "WHERE run_id = ?1 ORDER BY id");
  stmt.bind(1, run_id);
  std::vector<ProfileRow> profiles;
  while (stmt.step()) {
    ProfileRow p;
    p.phase = stmt.text(0);
    p.batch = stmt.int64(1);
    p.seq = stmt.int64(2);
    p.tokens_per_s = stmt.real(3);
    p.tflops = stmt.real(4);
    p.mfu = stmt.real(5);
    p.mbu = stmt.real(6);
    p.raw = parse_json(stmt.text(7), path(), "profiles.raw_json");
    profiles.push_back(std::move(p));
  }
  return profiles;
}

std::vector<RunModel> Store::run_models() const {
  auto stmt = db_.prepare(
      "SELECT run_id, model_path, checkpoint_step FROM run_models ORDER BY run_id, model_path");
  std::vector<RunModel> out;
  while (stmt.step()) out.push_back({stmt.int64(0), stmt.text(1), stmt.optional_int64(2)});
  return out;
}

}  // namespace tb
