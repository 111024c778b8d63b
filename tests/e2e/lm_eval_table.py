#!/usr/bin/env python3
"""Reads an lm-evaluation-harness results_<date>.json the way lm-eval itself does and prints its
tables: make_table() of lm_eval/utils.py (v0.4), rewritten without pytablewriter, for the
"results" and the "groups" columns. Written from lm-eval's documented layout, so that the test
does not need lm-eval installed. Exits 1 when a key that make_table or the EvaluationTracker
reads is missing.

Usage: lm_eval_table.py RESULTS_JSON
"""
import json
import sys

HIGHER_IS_BETTER_SYMBOLS = {True: "↑", False: "↓"}


def make_table(result_dict, column="results"):
    # lm_eval.utils.make_table, v0.4.x: one row per (task, metric, filter), the alias as the
    # task name, n-shot from result_dict["n-shot"][task], stderr beside its metric.
    column_name = "Tasks" if column == "results" else "Groups"
    headers = [column_name, "Version", "Filter", "n-shot", "Metric", "", "Value", "", "Stderr"]
    values = []
    for k in result_dict[column].keys():
        dic = dict(result_dict[column][k])
        version = result_dict["versions"].get(k, "    N/A")
        n = str(result_dict.get("n-shot", " ").get(k, " "))
        higher_is_better = result_dict.get("higher_is_better", {}).get(k, {})
        if "alias" in dic:
            k = dic.pop("alias")
        for mf, v in sorted(dic.items()):
            m, _, f = mf.partition(",")
            if m.endswith("_stderr"):
                continue
            hib = HIGHER_IS_BETTER_SYMBOLS.get(higher_is_better.get(m), "")
            v = "%.4f" % v if isinstance(v, float) else v
            if m + "_stderr" + "," + f in dic:
                se = dic[m + "_stderr" + "," + f]
                se = "   N/A" if se == "N/A" else "%.4f" % se
                values.append([k, version, f, n, m, hib, v, "±", se])
            else:
                values.append([k, version, f, n, m, hib, v, "", ""])
            k = ""
            version = ""
    lines = ["|" + "|".join(headers) + "|", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["|" + "|".join(str(c) for c in row) + "|" for row in values]
    return "\n".join(lines)


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        results = json.load(f)
    # What lm-eval's cli_evaluate and EvaluationTracker read from a results file.
    for key in ("results", "versions", "n-shot", "higher_is_better", "n-samples", "config",
                "configs", "group_subtasks", "date", "git_hash", "model_name",
                "total_evaluation_time_seconds", "start_time", "end_time"):
        if key not in results:
            print(f"missing key {key!r}", file=sys.stderr)
            return 1
    if "limit" not in results["config"]:
        print("missing key config.limit", file=sys.stderr)
        return 1
    config = results["config"]
    print(f"{config['model']} ({config['model_args']}), limit: {config['limit']}, "
          f"num_fewshot: {sorted(set(results['n-shot'].values()))}, "
          f"batch_size: {config.get('batch_size')}")
    print(make_table(results))
    if "groups" in results and results["groups"]:
        print(make_table(results, "groups"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
