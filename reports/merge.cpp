#include "reports/merge.hpp"

#include <cmath>
#include <map>

#include "reports/store.hpp"

namespace tb {

namespace {

bool same_number(double a, double b) {
  return a == b || (std::isnan(a) && std::isnan(b));
}

bool same_numbers(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (!same_number(a[i], b[i])) return false;
  return true;
}

bool same_values(const std::map<std::string, double>& a, const std::map<std::string, double>& b) {
  if (a.size() != b.size()) return false;
  for (auto ia = a.begin(), ib = b.begin(); ia != a.end(); ++ia, ++ib)
    if (ia->first != ib->first || !same_number(ia->second, ib->second)) return false;
  return true;
}

// The first field in which two stored samples of one document differ, or "" when none does.
std::string first_difference(const SampleRow& a, const SampleRow& b) {
  const SampleResult& x = a.result;
  const SampleResult& y = b.result;
  if (a.doc_hash != b.doc_hash) return "doc_hash";
  if (a.prompt_hash != b.prompt_hash || x.prompt != y.prompt) return "prompt";
  if (a.target_hash != b.target_hash || x.target != y.target) return "target";
  if (x.subset != y.subset) return "subset";
  if (!same_numbers(x.option_scores, y.option_scores)) return "option_scores";
  if (x.prediction != y.prediction) return "prediction";
  if (x.gold != y.gold) return "gold";
  if (!same_values(x.values, y.values)) return "values";
  if (x.response != y.response) return "response";
  return "";
}

bool same_profile(const ProfileRow& a, const ProfileRow& b) {
  return a.phase == b.phase && a.batch == b.batch && a.seq == b.seq &&
         same_number(a.tokens_per_s, b.tokens_per_s) && same_number(a.tflops, b.tflops) &&
         same_number(a.mfu, b.mfu) && same_number(a.mbu, b.mbu) && a.raw == b.raw;
}

// One output run being assembled: its samples so far and which file each came from.
struct Target {
  MergedRun summary;
  std::map<std::string, std::pair<SampleRow, std::string>> samples;  // doc_id -> (row, file)
  std::vector<ProfileRow> profiles;
};

Target open_target(Store& out, const Run& run) {
  Target target;
  if (const auto existing = out.find_run(run.run_key)) {
    target.summary.run_id = existing->id;
  } else {
    target.summary.run_id = out.begin_run(run.info);
    if (out.run(target.summary.run_id).run_key != run.run_key)
      throw bad_input(out.path(), "runs.run_key",
                      "run " + run.run_key + " does not hash to its own key");
  }
  target.summary.run_key = run.run_key;
  for (auto& row : out.samples(target.summary.run_id)) {
    std::string doc_id = row.result.doc_id;
    target.samples.emplace(std::move(doc_id), std::make_pair(std::move(row), out.path()));
  }
  target.profiles = out.profiles(target.summary.run_id);
  return target;
}

void merge_run(Store& out, const Store& in, const Run& run, Target& target) {
  ++target.summary.inputs;
  const int64_t id = target.summary.run_id;
  // The earliest start of any shard is the run's start.
  out.database()
      .prepare("UPDATE runs SET started_at = ?2 WHERE id = ?1 AND started_at > ?2")
      .bind_all(id, run.started_at)
      .run();

  std::vector<SampleRow> added;
  for (auto& row : in.samples(run.id)) {
    const auto found = target.samples.find(row.result.doc_id);
    if (found == target.samples.end()) {
      added.push_back(row);
      std::string doc_id = row.result.doc_id;
      target.samples.emplace(std::move(doc_id), std::make_pair(std::move(row), in.path()));
      continue;
    }
    const std::string field = first_difference(found->second.first, row);
    if (!field.empty())
      throw bad_input(in.path(), "samples",
                      "doc_id '" + row.result.doc_id + "' of run " + run.run_key + " differs in " +
                          field + " from the one in " + found->second.second);
  }
  if (!added.empty()) {
    out.add_samples(id, added);
    // The stored aggregates no longer cover the samples: the caller recomputes them.
    out.database().prepare("DELETE FROM metrics WHERE run_id = ?1").bind(1, id).run();
    out.database()
        .prepare("UPDATE runs SET status = 'running', finished_at = NULL WHERE id = ?1")
        .bind(1, id)
        .run();
  }
  target.summary.samples_added += static_cast<int64_t>(added.size());

  for (const auto& profile : in.profiles(run.id)) {
    bool seen = false;
    for (const auto& p : target.profiles) seen = seen || same_profile(p, profile);
    if (seen) continue;
    out.add_profile(id, profile);
    target.profiles.push_back(profile);
  }
}

}  // namespace

std::vector<MergedRun> merge_stores(const std::filesystem::path& output,
                                    std::span<const std::filesystem::path> inputs) {
  for (const auto& input : inputs) {
    std::error_code ec;
    if (std::filesystem::equivalent(input, output, ec))
      throw bad_input(output.string(), "", "the merge output is also one of its inputs");
    if (!std::filesystem::is_regular_file(input))
      throw Error(ErrorKind::Io, input.string() + ": no such store file");
  }
  // The inputs are only read: opened read-only (no migration, no journal switch, so a file that
  // is not a store is refused unchanged) and all of them before the output is created.
  std::vector<Store> stores;
  for (const auto& input : inputs) stores.push_back(Store::open_read_only(input));
  Store out = Store::open(output);
  sqlite::Transaction transaction(out.database());
  std::map<std::string, Target> targets;  // by run_key
  std::vector<std::string> order;
  for (const Store& in : stores) {
    for (const Run& run : in.list_runs()) {
      auto it = targets.find(run.run_key);
      if (it == targets.end()) {
        it = targets.emplace(run.run_key, open_target(out, run)).first;
        order.push_back(run.run_key);
      }
      merge_run(out, in, run, it->second);
    }
  }
  transaction.commit();

  std::vector<MergedRun> merged;
  for (const auto& key : order) {
    Target& target = targets.at(key);
    target.summary.samples_total = static_cast<int64_t>(target.samples.size());
    merged.push_back(target.summary);
  }
  return merged;
}

}  // namespace tb
