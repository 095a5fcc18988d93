# shellcheck shell=bash
# The run and finish of the Debian root fs guests' init (tests/dkms/run.sh,
# tests/secureboot/run.sh; both sourced from /payload beside ktap.sh):
# KTAP on fd 3 (ttyS1), the console on ttyS0, dmesg on ttyS2.

# run_subtest N NAME CMD...: CMD (a suite: a KTAP plan and results on
# stdout) in a subshell, as subtest N, echoed to the console; ok when it
# exits 0 with as many results as its plan says.
run_subtest() {
	local n=$1 name=$2 rc plan got
	shift 2
	echo "  # Subtest: $name" >&3
	("$@") 2>&1 | tee /tmp/suite.out | sed -u 's/^/  /' | tee /dev/console >&3
	rc=${PIPESTATUS[0]}
	plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' /tmp/suite.out | head -n1)
	got=$(grep -cE '^(not )?ok [0-9]+' /tmp/suite.out)
	if [ "$rc" -eq 0 ] && [ -n "$plan" ] && [ "$plan" -eq "$got" ]; then
		echo "ok $n $name" >&3
	else
		echo "# $name: exit $rc, plan ${plan:-none}, results $got" >&3
		echo "not ok $n $name" >&3
	fi
}

# guest_finish: the end markers the host's judge_run waits for, the kernel
# log, and power off (PID 1 must not exit: the kernel would panic).
guest_finish() {
	echo "DMABUF_REVOKE_GUEST_DONE" >&3
	dmesg >/dev/ttyS2
	echo "DMABUF_REVOKE_DMESG_DONE" >/dev/ttyS2
	sync
	echo o >/proc/sysrq-trigger
	sleep 30
}
