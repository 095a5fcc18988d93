#!/usr/bin/env bash
# Run shellcheck (-x, severity warning and up) on every shell script of
# the tree, the bash completion and debian/tests included. Infos (word
# splitting in the guest's busybox scripts, mostly on purpose) are not
# failures.
. "$(dirname "$0")/lib.sh"
cd "$TOP" || exit 1
mapfile -t files < <(git ls-files '*.sh' .ci/run 'src/cli/*.bash-completion' 'debian/tests/*' 2>/dev/null |
	grep -vx 'debian/tests/control')
[ ${#files[@]} -gt 10 ] || die "shellcheck.sh: found ${#files[@]} scripts: not a git checkout?"
shellcheck -x -S warning "${files[@]}" || exit 1
echo "shellcheck: ${#files[@]} scripts clean (severity warning)"
