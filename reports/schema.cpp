#include "reports/schema.hpp"

#include <string>

namespace tb {

namespace {

// v1: runs, samples, metrics, profiles. Hashes are hex text (reports/hashing.hpp); JSON columns
// hold nlohmann::json dumps; times are ISO-8601 UTC text.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE schema_version (
  version INTEGER NOT NULL
);
INSERT INTO schema_version (version) VALUES (0);

CREATE TABLE runs (
  id                INTEGER PRIMARY KEY,
  run_key           TEXT NOT NULL UNIQUE,  -- hash of (model hash, suite, version, options)
  model_path        TEXT NOT NULL,
  model_hash        TEXT NOT NULL,
  config_json       TEXT NOT NULL,
  tokenizer         TEXT NOT NULL,         -- kind and where its special tokens came from
  checkpoint_step   INTEGER,               -- from the model path; NULL when it has none
  tunebench_git_sha TEXT NOT NULL,
  device            TEXT NOT NULL,
  dtype             TEXT NOT NULL,
  batch_tokens      INTEGER NOT NULL,
  seed              INTEGER NOT NULL,
  suite             TEXT NOT NULL,
  suite_version     TEXT NOT NULL,
  options_json      TEXT NOT NULL,
  started_at        TEXT NOT NULL,
  finished_at       TEXT,
  status            TEXT NOT NULL CHECK (status IN ('running', 'finished', 'failed'))
);

CREATE TABLE samples (
  run_id        INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  doc_id        TEXT NOT NULL,
  subset        TEXT NOT NULL,
  doc_hash      TEXT NOT NULL,
  prompt_hash   TEXT NOT NULL,
  target_hash   TEXT NOT NULL,
  prompt        TEXT NOT NULL,
  target        TEXT NOT NULL,
  option_scores TEXT NOT NULL,             -- JSON array
  prediction    INTEGER NOT NULL,
  gold          INTEGER NOT NULL,
  correct       INTEGER,                   -- prediction == gold; NULL when either is unset
  values_json   TEXT NOT NULL,             -- JSON object: per-sample metric values
  PRIMARY KEY (run_id, doc_id)
);

CREATE TABLE metrics (
  run_id           INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  name             TEXT NOT NULL,
  subset           TEXT NOT NULL,          -- '' for the whole suite
  value            REAL,                   -- NULL: NaN
  stderr           REAL,                   -- NULL: not defined
  n                INTEGER NOT NULL,
  higher_is_better INTEGER NOT NULL,
  UNIQUE (run_id, name, subset)
);

CREATE TABLE profiles (
  id           INTEGER PRIMARY KEY,
  run_id       INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  phase        TEXT NOT NULL,              -- 'prefill', 'decode', 'loglikelihood', ...
  batch        INTEGER NOT NULL,
  seq          INTEGER NOT NULL,
  tokens_per_s REAL,
  tflops       REAL,
  mfu          REAL,                       -- NULL when the device's peak is unknown
  mbu          REAL,
  raw_json     TEXT NOT NULL               -- the raw timings the figures came from
);
CREATE INDEX profiles_by_run ON profiles (run_id);
)sql";

// v2: samples.response, the generated text of generation suites ('' for scoring suites).
constexpr const char* kSchemaV2 = R"sql(
ALTER TABLE samples ADD COLUMN response TEXT NOT NULL DEFAULT '';
)sql";

// v3: run_models, every checkpoint directory that evaluated to a run (two directories with
// identical weights share one run, keyed by content, but each keeps its path and step), and
// samples.doc_json, the document as the suite loaded it (lm-eval's per-sample "doc").
constexpr const char* kSchemaV3 = R"sql(
CREATE TABLE run_models (
  run_id          INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  model_path      TEXT NOT NULL,
  checkpoint_step INTEGER,
  UNIQUE (run_id, model_path)
);
INSERT INTO run_models (run_id, model_path, checkpoint_step)
  SELECT id, model_path, checkpoint_step FROM runs;
ALTER TABLE samples ADD COLUMN doc_json TEXT NOT NULL DEFAULT 'null';
)sql";

// v4: samples.response is the completion alone, as records.hpp says and lm-eval's resps hold it;
// generation runs of earlier versions stored the prompt in front of it.
constexpr const char* kSchemaV4 = R"sql(
UPDATE samples SET response = substr(response, length(prompt) + 1)
  WHERE response <> '' AND prompt <> '' AND substr(response, 1, length(prompt)) = prompt;
)sql";

constexpr Migration kMigrations[] = {
    {1, kSchemaV1},
    {2, kSchemaV2},
    {3, kSchemaV3},
    {4, kSchemaV4},
};

bool has_table(const sqlite::Database& db, std::string_view name) {
  auto stmt = db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1");
  stmt.bind(1, name);
  return stmt.step();
}

void refuse_newer(const sqlite::Database& db, int version, int latest) {
  if (version > latest)
    throw bad_input(db.path(), "schema_version",
                    "version " + std::to_string(version) +
                        " was written by a newer tunebench (this one reads up to version " +
                        std::to_string(latest) + ")");
}

}  // namespace

std::span<const Migration> store_migrations() {
  return kMigrations;
}

int current_schema_version() {
  return store_migrations().back().to_version;
}

int read_schema_version(const sqlite::Database& db) {
  if (!has_table(db, "schema_version")) {
    auto any = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' LIMIT 1");
    if (any.step())
      throw bad_input(
          db.path(), "schema_version",
          "missing: a SQLite file but not a tunebench store (it has table '" + any.text(0) + "')");
    return 0;
  }
  auto stmt = db.prepare("SELECT version FROM schema_version");
  if (!stmt.step()) throw bad_input(db.path(), "schema_version", "the table is empty");
  const int64_t version = stmt.int64(0);
  if (stmt.step()) throw bad_input(db.path(), "schema_version", "the table has several rows");
  if (version < 0 || version > 1'000'000)
    throw bad_input(db.path(), "schema_version", "invalid version " + std::to_string(version));
  return static_cast<int>(version);
}

int migrate(sqlite::Database& db, std::span<const Migration> steps) {
  const int latest = steps.empty() ? 0 : steps.back().to_version;
  for (const Migration& step : steps) {
    // Read the version inside the write transaction: two processes opening one new file at
    // once must not both apply a step.
    sqlite::Transaction transaction(db);
    const int version = read_schema_version(db);
    refuse_newer(db, version, latest);
    if (version >= step.to_version) continue;  // already applied; the transaction rolls back
    db.exec(step.sql);
    db.prepare("UPDATE schema_version SET version = ?1").bind(1, step.to_version).run();
    transaction.commit();
  }
  const int version = read_schema_version(db);
  refuse_newer(db, version, latest);  // also reached when `steps` is empty
  return version;
}

}  // namespace tb
