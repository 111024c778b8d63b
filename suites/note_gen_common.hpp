#pragma once
// What the note-token generation suites (mmm-gen, pvdt-gen) share: spec fields (numbers, flags,
// choices, sampling), the repetition and loop values of a completion, the scalar pitch/rhythm
// statistics of its notes, mean aggregation, the KL / overlap-area comparison with a reference
// set of pieces, and the held-out MIDI list (a TSV whose first column is a path under `data`).
#include <filesystem>
#include <initializer_list>
#include <map>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "metrics/notes/note_event.hpp"
#include "metrics/statistics/features.hpp"
#include "suites/suite.hpp"
#include "suites/suite_spec.hpp"

namespace tb::suites {

double spec_number(const SuiteSpec& spec, const char* field, double fallback, double low,
                   double high);
bool spec_flag(const SuiteSpec& spec, const char* field, bool fallback);
// A string field that must be one of `allowed`; the first is the default.
std::string spec_choice(const SuiteSpec& spec, const char* field,
                        std::initializer_list<const char*> allowed);
// temperature 1, top_k 50, top_p 1, repetition_penalty 1, max_new_tokens, stop, no token
// healing (whitespace-split token texts have no merges to heal), seed separately.
SamplingParams spec_sampling(const SuiteSpec& spec, int max_new_tokens,
                             std::vector<std::string> stop);
// The JSON the run stores for its sampling settings.
nlohmann::json sampling_json(const SamplingParams& s, uint64_t seed);

// The held-out pieces: the first column of each row of `tsv` (a header row "path..." skipped),
// resolved under `data`. Throws Io / BadInput naming the file.
std::vector<std::filesystem::path> heldout_midi(const std::filesystem::path& data,
                                                const std::filesystem::path& tsv);

// loop (at the token limit with a periodic tail of >= 3 cycles), seq_rep_1..4, rep_w16, rep_r,
// lrs_ratio over the completion's token ids, tokens, finish_eos / finish_stop / finish_length.
void add_completion_values(const LmResponse& r, std::map<std::string, double>& values);
// The names add_completion_values writes, with whether higher is better.
std::span<const std::pair<const char*, bool>> completion_value_names();

// Each scalar feature of the notes that is defined, by the sources' names.
void add_note_statistics(const notes::NoteSequence& seq, std::map<std::string, double>& values);
std::vector<std::string> scalar_statistic_names();

// The mean and standard error of a value over the samples that have it (none: left out).
void add_mean(std::span<const SampleResult> samples, const std::string& name,
              std::vector<MetricValue>& out);

// kl_<feature> (lower is better) and oa_<feature> (higher is better) of every feature whose
// comparison is defined; nothing without a reference.
std::vector<MetricValue> compare_features(
    std::span<const metrics::statistics::PieceFeatures> generated,
    std::span<const metrics::statistics::PieceFeatures> reference);

}  // namespace tb::suites
