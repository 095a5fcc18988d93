#!/usr/bin/env bash
# readme-tests.sh RESULT_DIR...: README backs its claims with guest tests
# cited by name, "(NN-suite: "name", ...)". Each name must be a passed
# (not skipped) result of that suite in this run, on some kernel: one
# RESULT_DIR/results.ktap (build/results/K of the run's guests) has, inside
# the suite's subtest, a result whose name contains it ("..." stands for
# any text). A renamed or deleted test fails here, not silently in the
# README. TAP on stdout; exits 1 if a name is not found.
. "$(dirname "$0")/lib.sh"

[ $# -gt 0 ] || die "usage: readme-tests.sh RESULT_DIR..."
python3 - "$TOP/README.md" "$@" <<'EOF'
import os, re, sys

readme, dirs = sys.argv[1], sys.argv[2:]
text = open(readme, encoding="utf-8").read()

cites = []                      # (suite, name)
for m in re.finditer(r"\((\d\d-[a-z0-9-]+): ", text):
    depth, j = 1, m.end()
    while depth and j < len(text):
        depth += {"(": 1, ")": -1}.get(text[j], 0)
        j += 1
    for name in re.findall(r'"([^"]+)"', text[m.end():j - 1]):
        if (m.group(1), name) not in cites:
            cites.append((m.group(1), name))

# suite -> names of its passed results, over every kernel's run. A suite's
# KTAP is nested at depth 1 as "# Subtest: <suite without NN->".
passed = {}
for path in (os.path.join(d, "results.ktap") for d in dirs):
    suite = None
    if not os.path.exists(path):
        continue
    for line in open(path, encoding="utf-8", errors="replace"):
        sub = re.match(r"^  # Subtest: (\S+)", line)
        if sub:
            suite = sub.group(1)
            continue
        r = re.match(r"^\s*ok \d+ (.*)$", line)
        if not r or suite is None or "# SKIP" in r.group(1):
            continue
        passed.setdefault(suite, []).append(r.group(1))
        if not line.startswith(" "):    # the suite's own line ends it
            suite = None

fail = 0
for i, (suite, name) in enumerate(cites, 1):
    pat = re.compile(".*".join(re.escape(p.strip()) for p in name.split("...")))
    have = passed.get(suite.split("-", 1)[1], [])
    if any(pat.search(n) for n in have):
        print(f'ok {i} - README cites {suite}: "{name}": a passed result of this run')
    else:
        fail = 1
        print(f'not ok {i} - README cites {suite}: "{name}": no passed result of '
              f'{suite} in {" ".join(dirs)} has that name')
print(f"1..{len(cites)}")
if not cites:
    print("# README cites no guest test by name: the pattern is broken")
    fail = 1
sys.exit(fail)
EOF
