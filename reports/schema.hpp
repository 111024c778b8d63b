#pragma once
// The store's schema as an ordered list of forward migrations. A file records the version it
// has reached in the one-row table schema_version; opening applies the missing steps in order,
// each inside its own transaction, and refuses a file written by a newer tunebench.
#include <span>

#include "reports/sqlite_db.hpp"

namespace tb {

struct Migration {
  int to_version;   // the version the file has once this step is applied (1, 2, ...)
  const char* sql;  // constant DDL, run as one script
};

// tunebench's migrations, oldest first; the last one's to_version is the current version.
std::span<const Migration> store_migrations();
int current_schema_version();

// The version the file is at: 0 for a file with no tables (new or empty). Throws BadInput
// naming the file for a SQLite file that holds other tables but no schema_version (not a
// tunebench store).
int read_schema_version(const sqlite::Database& db);

// Brings the file up to the last step of `steps` (which must be in increasing order) and
// returns the version it is at. Each step and the version bump commit together or not at all.
// Throws tb::Error (BadInput) naming the file when the file's version is newer than the last
// step: it was written by a newer tunebench and this one must not guess at it.
int migrate(sqlite::Database& db, std::span<const Migration> steps);

}  // namespace tb
