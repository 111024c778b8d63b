#pragma once
// The commit the tunebench binary was built from, recorded with every run.

namespace tb {

// `git rev-parse --short=12 HEAD` at build time ("unknown" outside a checkout):
// a run computed by a binary built from uncommitted changes says so with "-dirty".
const char* tunebench_git_sha();

}  // namespace tb
