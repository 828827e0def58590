#!/usr/bin/env bash
# Runs the release `loupe` on a corpus of hostile inputs and checks each case: the exit
# status it must have (1 rejected; 3 a folder with its bad items listed and the rest scored;
# 0 odd but valid input), a message naming the node or file, under 10 s and 500 MB, no
# signal. Prints a table and ends with "N passed, M failed".
#
# Usage: scripts/hostile/run.sh [--only REGEX] [--markdown FILE]
#
# The corpus (over 200 cases: malformed and truncated models, huge declared shapes, external
# data leaving the model's folder, broken .npy files, photos and tables, odd photo folders)
# is made by scripts/hostile/corpus.py in $LOUPE_HOSTILE_DIR (default /var/tmp/loupe-hostile),
# afresh each run; nothing of it is committed. $LOUPE picks the binary (default: the release
# build, made if missing with `swift build -c release --product loupe`). Needs onnx, numpy and
# Pillow (scripts/install-deps.sh --test). Not part of ./test.sh: about 3 minutes.
set -euo pipefail
cd "$(dirname "$0")/../.."
loupe=${LOUPE:-.build/release/loupe}
if [ -z "${LOUPE:-}" ]; then
    swift build -c release -Xcc -O2 --product loupe >&2
fi
dir=${LOUPE_HOSTILE_DIR:-/var/tmp/loupe-hostile}
python3 scripts/hostile/corpus.py "$dir"
# Cases run as nobody (unreadable files) need to reach the corpus and the binary.
chmod 755 "$dir"
exec python3 scripts/hostile/check.py "$loupe" "$dir" "$@"
