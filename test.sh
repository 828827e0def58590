#!/usr/bin/env bash
# The whole test suite from a clean clone: installs dependencies, makes fixtures, runs
# every test target. The Slurm job-array check is a separate command (it installs Slurm
# and starts daemons): scripts/cluster/slurm-check.sh.
# Usage: ./test.sh [extra `swift test` arguments]
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-deps.sh --test
tools/fixtures/fetch.sh
# -Xcc -O2: the C kernels as a release build compiles them (a debug build leaves C at -O0).
swift build --build-tests -Xcc -O2
swift test --skip-build "$@"
