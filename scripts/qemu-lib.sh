# shellcheck shell=bash
# Shared by scripts/guest.sh and scripts/dkms-guest.sh (sourced after
# lib.sh): choosing the accelerator and judging a finished guest run.
#
# A run's directory holds what the guest sent on its serial ports:
#   console.log (ttyS0), results.ktap (ttyS1), dmesg.log (ttyS2), and
#   qemu.rc, QEMU's exit status (124/137: timeout).

# qemu_accel single|multi ARGS...: KVM only when it really runs a guest
# with these machine ARGS here (the firmware looping on "no bootable
# device" until the timeout); TCG otherwise, one host thread for all vCPUs
# (single) or one each (multi). The test suites use single: a livepatch
# transition once died of an unclaimed int3 in __schedule under
# multi-threaded TCG (cross-vCPU code patching); the DKMS guests, which
# mostly compile, use multi. DMABUF_REVOKE_ACCEL overrides.
qemu_accel() {
	local threads=$1
	shift
	if [ -n "${DMABUF_REVOKE_ACCEL:-}" ]; then echo "$DMABUF_REVOKE_ACCEL"; return; fi
	if [ -w /dev/kvm ]; then
		local rc=0
		timeout 3 qemu-system-x86_64 -accel kvm "$@" -display none \
			-monitor none -serial none </dev/null >/dev/null 2>&1 || rc=$?
		if [ $rc -eq 124 ]; then echo kvm; return; fi
	fi
	echo "tcg,thread=$threads"
}

# ktap_leaves FILE: the leaf results of the guest's KTAP (indented at least
# once: the runner's own lines are the suites'). A result is a parent, not
# a leaf, when results indented deeper came since the last one at its
# depth; a parent with no result under it (a "1..0 # SKIP" subtest) is a leaf.
ktap_leaves() {
	awk '
		/^[^ ]/ || /^  # Subtest:/ { split("", deeper) }
		/^ *(not )?ok [0-9]+/ {
			d = match($0, /[^ ]/) - 1
			if (d >= 2 && !deeper[d])
				print
			deeper[d] = 0
			for (e = 0; e < d; e++)
				deeper[e] = 1
		}' "$1"
}

# judge_run DIR NAME TIMEOUT: print the failed and skipped results, write
# DIR/verdict and DIR/counts ("<passed> <failed> <skipped>"); return 1 on
# a failed or missing result, a timeout, a guest that died, or BUG:/
# WARNING:/Oops/Call Trace/KASAN/UBSAN/lockdep in the guest's log. The
# host-side verdict counts as one result too.
judge_run() {
	local res=$1 name=$2 timeout=$3 pass=0 fail=0 skip=0 reasons=() line f
	for f in results.ktap dmesg.log console.log; do
		touch "$res/$f"
		tr -d '\r' <"$res/$f" >"$res/$f.tmp" && mv "$res/$f.tmp" "$res/$f"
	done
	# Leaf results are counted: a suite's own lines (indented once), and
	# where a suite nests a test program's KTAP (a kselftest harness run),
	# that program's results instead of the suite's line that sums them up.
	while IFS= read -r line; do
		case $line in
		*"# SKIP"*) skip=$((skip + 1)); echo "$line" ;;
		*"not ok "*) fail=$((fail + 1)); echo "$line"; reasons+=("test failed: ${line#*not ok }") ;;
		*) pass=$((pass + 1)) ;;
		esac
	done < <(ktap_leaves "$res/results.ktap")
	# Suites the runner judged (plan mismatch, non-zero exit).
	while IFS= read -r line; do
		reasons+=("suite failed: ${line#not ok }")
	done < <(grep -E '^not ok [0-9]+' "$res/results.ktap" || true)
	case $(cat "$res/qemu.rc" 2>/dev/null) in
	124 | 137) reasons+=("timeout after ${timeout}s") ;;
	esac
	grep -q '^DMABUF_REVOKE_GUEST_DONE' "$res/results.ktap" ||
		reasons+=("guest died before finishing the suite (QEMU exit status $(cat "$res/qemu.rc" 2>/dev/null || echo unknown); see console.log)")
	grep -q '^DMABUF_REVOKE_DMESG_DONE' "$res/dmesg.log" ||
		reasons+=("guest dmesg incomplete")
	[ $((pass + fail + skip)) -gt 0 ] || reasons+=("no test result at all")
	# The console carries what dmesg may miss after a crash. Not a bare
	# "lockdep": a PROVE_RCU kernel says "RCU lockdep checking is enabled"
	# at every boot; lockdep's reports are the WARNING:/BUG: lines and the
	# phrases below.
	cat "$res/dmesg.log" "$res/console.log" |
		grep -nE 'BUG:|WARNING:|Oops|Call Trace|KASAN|UBSAN|possible circular locking|possible recursive locking|inconsistent lock state|lockdep is turned off|turning off the locking correctness validator|DEBUG_LOCKS_WARN_ON|suspicious RCU usage|Kernel panic' \
			>"$res/dmesg-bad.txt" || true
	[ ! -s "$res/dmesg-bad.txt" ] ||
		reasons+=("guest dmesg: $(head -n1 "$res/dmesg-bad.txt" | cut -c1-150)")
	if [ ${#reasons[@]} -eq 0 ]; then
		pass=$((pass + 1))
		echo "ok - $name: guest finished, dmesg clean" >"$res/verdict"
	else
		fail=$((fail + 1))
		local IFS=';'
		echo "not ok - $name: ${reasons[*]:0:6}$([ ${#reasons[@]} -gt 6 ] && echo "; ... $((${#reasons[@]} - 6)) more")" >"$res/verdict"
	fi
	cat "$res/verdict"
	echo "$pass $fail $skip" >"$res/counts"
	[ ${#reasons[@]} -eq 0 ]
}
