#!/bin/sh
# Guest KTAP runner: each /tests/suites/*.sh is one suite, nested as a
# subtest. A suite fails if it exits non-zero or emits fewer or more
# results than its plan says (so a suite that dies half-way is a failure).
cd /tests/suites || exit 1
set -- *.sh
echo "KTAP version 1"
echo "1..$#"
i=0
for s in "$@"; do
	i=$((i + 1))
	name=${s%.sh}
	name=${name#[0-9]*-}
	echo "  # Subtest: $name"
	t0=$(cut -d' ' -f1 /proc/uptime)
	sh "./$s" >/tmp/suite.out 2>&1
	rc=$?
	t1=$(cut -d' ' -f1 /proc/uptime)
	sed 's/^/  /' /tmp/suite.out
	plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' /tmp/suite.out | head -n1)
	got=$(grep -cE '^(not )?ok [0-9]+' /tmp/suite.out)
	if [ "$rc" -eq 0 ] && [ -n "$plan" ] && [ "$plan" -eq "$got" ]; then
		echo "ok $i $name"
	else
		echo "# $name: exit $rc, plan ${plan:-none}, results $got"
		echo "not ok $i $name"
	fi
	# Where the guest's time goes (make check's budget).
	echo "# time: $name $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"
done
