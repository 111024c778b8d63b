#pragma once
// tb::Store: one SQLite file holding runs, their samples, metrics and profiles. Every write is
// one transaction: a batch of samples, or a run's metrics with its final status, is stored
// whole or not at all, so a killed run resumes from the last committed batch.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/core/records.hpp"
#include "reports/run_info.hpp"
#include "reports/sqlite_db.hpp"

namespace tb {

// A sample as stored: the suite's result plus the hashes that tie it to its inputs.
struct SampleRow {
  SampleResult result;
  std::string doc_hash;          // hash_doc(doc)
  std::string prompt_hash;       // hash_text(result.prompt)
  std::string target_hash;       // hash_text(result.target)
  nlohmann::json doc = nullptr;  // Doc::data, for lm-eval's per-sample "doc"
};

// A checkpoint directory that evaluated to a run (several directories with identical weights
// share a run).
struct RunModel {
  int64_t run_id = 0;
  std::string model_path;
  std::optional<int64_t> checkpoint_step;
};
SampleRow make_sample_row(const Doc& doc, SampleResult result);

// eval's bookkeeping rows in the profiles table, beside its throughput rows: what one stored
// chunk cost (totalled on resume) and the documents per subset before and after --limit. They
// carry no figures (NaN); every reader of throughput skips them through is_bookkeeping().
inline constexpr std::string_view kChunkPhase = "chunk";
inline constexpr std::string_view kDocumentsPhase = "documents";

// One profiling measurement. NaN figures (e.g. MFU on a device with no known peak) store NULL.
struct ProfileRow {
  std::string phase;  // "prefill", "decode", "loglikelihood", ...
  int64_t batch = 0;
  int64_t seq = 0;
  double tokens_per_s = 0.0;
  double tflops = 0.0;
  double mfu = 0.0;
  double mbu = 0.0;
  nlohmann::json raw = nlohmann::json::object();  // the timings the figures came from

  bool is_bookkeeping() const { return phase == kChunkPhase || phase == kDocumentsPhase; }
};

class Store {
 public:
  // Opens or creates the file: WAL journal, synchronous=NORMAL, foreign keys on, a 5 s busy
  // timeout, a quick integrity check, then the schema migrations. Throws tb::Error naming the
  // file: BadInput for a file that is not SQLite, is corrupt, is not a tunebench store or was
  // written by a newer tunebench; Io when it cannot be opened.
  static Store open(const std::filesystem::path& path);
  // Opens an existing store for reading only (runs, show, report): no journal-mode switch, no
  // migration, so that a store on read-only media can be read. BadInput naming the file when it
  // is not a tunebench store or its schema is not the current one.
  static Store open_read_only(const std::filesystem::path& path);

  const std::string& path() const { return db_.path(); }
  int schema_version() const;
  std::string journal_mode() const;
  // "ok", or SQLite's first complaint, from PRAGMA integrity_check.
  std::string integrity_check() const;

  // The id of the run with info's run_key, set back to 'running' (resume), or of a new run.
  // info.model_path is added to the run's model paths (run_models).
  int64_t begin_run(const RunInfo& info);
  // Adds a model path to the run's (a directory with the same weights as the run's).
  void add_run_model(int64_t run_id, const std::string& model_path);
  // The documents of the run already stored: the runner skips them on resume.
  std::set<std::string> done_doc_ids(int64_t run_id) const;
  // Stores a batch in one transaction. A doc_id already stored for the run, or repeated in the
  // batch, throws tb::Error (BadInput) naming it, and nothing of the batch is stored.
  void add_samples(int64_t run_id, std::span<const SampleRow> rows);
  // The same, with the profile of the work that computed them in the same transaction, so a
  // resumed run can total the cost of every stored chunk (phase "chunk").
  void add_samples(int64_t run_id, std::span<const SampleRow> rows, const ProfileRow& cost);
  // Replaces the run's metrics and marks it finished, in one transaction.
  void finish_run(int64_t run_id, std::span<const MetricValue> metrics);
  void fail_run(int64_t run_id);
  void add_profile(int64_t run_id, const ProfileRow& profile);

  std::vector<Run> list_runs() const;  // by id
  Run run(int64_t run_id) const;       // throws BadInput when there is no such run
  std::optional<Run> find_run(const std::string& run_key) const;
  std::vector<SampleRow> samples(int64_t run_id) const;  // in the order they were stored
  std::vector<MetricValue> metrics(int64_t run_id) const;
  std::vector<ProfileRow> profiles(int64_t run_id) const;
  // Every (run, model path) pair, by run id then path.
  std::vector<RunModel> run_models() const;

  // The connection, for the module's own multi-step operations (merge).
  sqlite::Database& database() { return db_; }

 private:
  explicit Store(sqlite::Database db) : db_(std::move(db)) {}
  void insert_samples(int64_t run_id, std::span<const SampleRow> rows);
  void insert_profile(int64_t run_id, const ProfileRow& profile);
  void insert_run_model(int64_t run_id, const std::string& model_path);
  void require_run(int64_t run_id) const;

  sqlite::Database db_;
};

}  // namespace tb
