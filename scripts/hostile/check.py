#!/usr/bin/env python3
"""Runs `loupe` on each case of a hostile-input corpus (made by corpus.py) and checks it.

Usage: check.py LOUPE CORPUS_DIR [--only REGEX] [--markdown FILE]
For each case of CORPUS_DIR/cases.json: runs LOUPE with the case's arguments (stdin closed),
then checks that
  - it ended by exit, not a signal (no trap, no sanitizer abort, no kill by the time limit),
  - the exit status is one of the case's allowed ones (1: rejected; 3: folder with the bad
    items listed; 0: odd but valid),
  - stdout + stderr match the case's message (the node, value or file at fault) and hold no
    "Fatal error" (a Swift trap),
  - the wall time is under 10 s and the peak resident memory (wait4's ru_maxrss) under 500 MB.
A case still running after 30 s is killed (its process group) and fails.
Prints one line per case and ends with "N passed, M failed"; exit status 1 if any failed.
--markdown FILE also writes the table (case, group, command, allowed statuses, what it is,
result) as Markdown. Cases marked user "nobody" run as nobody through setpriv when this runs
as root (root reads every file, so an unreadable file would not be one).
"""
import json
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time

WALL_LIMIT = 10.0
RSS_LIMIT_MB = 500
KILL_AFTER = 30.0
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_case(loupe, case, scratch):
    args = [os.path.join(ROOT, "tools/models/loupe_iqa.onnx") if a == "BUNDLED_MODEL" else a for a in case["args"]]
    cmd = [loupe] + args
    if case.get("user") == "nobody" and os.geteuid() == 0:
        cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"] + cmd
    out_path = os.path.join(scratch, "out")
    with open(out_path, "wb") as out:
        start = time.monotonic()
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True, cwd=scratch)
        killed = False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - start > KILL_AFTER and not killed:
                os.killpg(proc.pid, signal.SIGKILL)
                killed = True
            time.sleep(0.01)
        wall = time.monotonic() - start
    proc.returncode = 0  # reaped above; keep Popen from waiting again
    with open(out_path, "rb") as f:
        output = f.read().decode("utf-8", "replace")
    return status, usage.ru_maxrss / 1024.0, wall, killed, output


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        sys.exit(64)
    loupe, corpus = os.path.abspath(sys.argv[1]), sys.argv[2]
    only = None
    markdown = None
    rest = sys.argv[3:]
    while rest:
        if rest[0] == "--only":
            only = re.compile(rest[1])
            rest = rest[2:]
        elif rest[0] == "--markdown":
            markdown = rest[1]
            rest = rest[2:]
        else:
            print(f"unknown argument {rest[0]}", file=sys.stderr)
            sys.exit(64)
    with open(os.path.join(corpus, "cases.json")) as f:
        cases = json.load(f)
    if only:
        cases = [c for c in cases if only.search(c["name"])]
    passed, failed = 0, []
    rows = []
    print(f"{'case':34} {'group':8} {'want':6} {'got':6} {'s':>6} {'MB':>6}  result")
    with tempfile.TemporaryDirectory(prefix="loupe-hostile-") as scratch:
        os.chmod(scratch, 0o777)
        for c in cases:
            status, mb, wall, killed, output = run_case(loupe, c, scratch)
            problems = []
            if os.WIFSIGNALED(status):
                got = f"sig{os.WTERMSIG(status)}"
                problems.append("killed after 30 s" if killed else f"signal {os.WTERMSIG(status)}")
            else:
                got = str(os.WEXITSTATUS(status))
                if os.WEXITSTATUS(status) not in c["expect"]:
                    problems.append(f"exit {got}, wanted {'/'.join(map(str, c['expect']))}")
            if "Fatal error" in output:
                problems.append("Swift trap")
            if c["message"] and not re.search(c["message"], output, re.S):
                problems.append(f"output lacks /{c['message']}/")
            if wall >= WALL_LIMIT:
                problems.append(f"{wall:.1f} s")
            if mb >= RSS_LIMIT_MB:
                problems.append(f"{mb:.0f} MB")
            result = "ok" if not problems else "FAIL: " + "; ".join(problems)
            if problems:
                failed.append(c["name"])
                tail = " | ".join(l for l in output.strip().splitlines()[-3:])
                result += f"  [{tail[:300]}]"
            else:
                passed += 1
            want = "/".join(map(str, c["expect"]))
            print(f"{c['name']:34} {c['group']:8} {want:6} {got:6} {wall:6.2f} {mb:6.0f}  {result}", flush=True)
            rows.append((c, want, got, wall, mb, "ok" if not problems else "FAIL"))
    if markdown:
        with open(markdown, "w") as f:
            f.write("| case | group | verb | allowed exit | what it is | got | s | MB | result |\n|---|---|---|---|---|---|---|---|---|\n")
            for c, want, got, wall, mb, res in rows:
                f.write(f"| {c['name']} | {c['group']} | {c['args'][0]} | {want} | {c['why']} | {got} | {wall:.2f} | {mb:.0f} | {res} |\n")
    print(f"{passed} passed, {len(failed)} failed")
    if failed:
        print("failed: " + " ".join(failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
