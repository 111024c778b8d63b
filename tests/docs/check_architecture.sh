#!/usr/bin/env bash
# docs/ARCHITECTURE.md against the tree: every file or folder it names exists (templates such as
# <name> aside), and each recipe's registration point is where the recipe says, so that a
# newcomer following a recipe touches the files it lists. Fails naming what the document gets
# wrong.
# Usage: check_architecture.sh REPO_ROOT
set -u
root=${1:?usage: check_architecture.sh REPO_ROOT}
doc=$root/docs/ARCHITECTURE.md
bad=0
miss() { echo "docs/ARCHITECTURE.md: $*"; bad=1; }

# Paths in backticks: a/b/c.ext, a/b/ (folders); templated ones (<name>, {a,b}) are skipped.
while read -r path; do
  [[ "$path" == *"<"* || "$path" == *"{"* ]] && continue
  [[ "$path" == */* ]] || continue
  [[ -e "$root/$path" || -e "$root/harness/backend/$path" ]] || miss "names $path, which is not in the tree"
done < <(grep -o '`[A-Za-z0-9_./<>{},-]*`' "$doc" | tr -d '`' | sort -u)

# Registration points: recipe step -> the file and the symbol that must be there.
check() {  # check FILE PATTERN WHAT
  grep -q -- "$2" "$root/$1" 2>/dev/null || miss "$3: $1 has no $2"
}
check suites/registry.cpp 'constexpr Kind kKinds\[\]' "Add a suite, step 4 (the list of suite kinds)"
check suites/suite.hpp 'class Suite' "Add a suite, step 1 (the Suite interface)"
check suites/metric_registry.cpp 'higher' "Add a metric, step 2 (names and directions)"
check harness/model/registry.cpp 'model_type' "Add a model architecture, step 3 (the builders)"
check harness/backend/backend.hpp '_impl(' "Add a backend op, step 1 (public op and *_impl)"
check harness/backend/backend_front.cpp 'Backend::' "Add a backend op, step 2 (validation)"
check tests/unit/backend/op_cases.cpp 'TEST_CASE\|op_case\|OpCase' "Add a backend op, step 4 (op cases)"
for step in "### Add a suite" "### Add a model architecture" "### Add a metric" "### Add a backend op"; do
  grep -qx "$step" "$doc" || miss "has no recipe \"$step\""
done
((bad)) && exit 1
echo "docs/ARCHITECTURE.md: every named path exists and every recipe's registration point is there"
