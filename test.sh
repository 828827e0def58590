#!/usr/bin/env bash
# The whole test suite from a clean clone: installs dependencies, makes fixtures, runs
# every test target, then scores photos as a Slurm job array on a one-node cluster it
# starts and stops (scripts/cluster/slurm-check.sh, root).
# Usage: ./test.sh [extra `swift test` arguments]
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-deps.sh --test
tools/fixtures/fetch.sh
swift build --build-tests
swift test --skip-build "$@"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
$SUDO scripts/cluster/slurm-check.sh
