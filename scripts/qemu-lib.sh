# shellcheck shell=bash
# Shared by scripts/guest.sh, scripts/dkms-guest.sh and scripts/sb-guest.sh
# (sourced after lib.sh): staging a kernel's modules, booting QEMU and
# judging a finished guest run.
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

# qemu_boot [--threads single|multi] [--machine OPTS] [--mem SIZE]
#   [--device SPEC]... [--what TEXT] DIR TIMEOUT ARGS...: one guest run.
# QEMU with -cpu max, 2 vCPUs, -machine q35 with OPTS and the devices SPEC
# (all of which qemu_accel's KVM probe gets too), then ARGS (the guest's
# kernel or firmware, its disks); headless, no reboot, its three serial
# ports into DIR (console.log, results.ktap, dmesg.log), killed after
# TIMEOUT seconds; its output into DIR/qemu.log, its exit status into
# DIR/qemu.rc for judge_run. DIR is emptied first.
qemu_boot() {
	local threads=single machine=q35 mem=1G what=booting dir timeout acc rc=0 dev=()
	while [ $# -gt 0 ]; do
		case $1 in
		--threads) threads=$2 ;;
		--machine) machine=q35,$2 ;;
		--mem) mem=$2 ;;
		--device) dev+=(-device "$2") ;;
		--what) what=$2 ;;
		*) break ;;
		esac
		shift 2
	done
	dir=$1 timeout=$2
	shift 2
	local base=(-cpu max -machine "$machine" -m "$mem" -smp 2 "${dev[@]}")
	acc=$(qemu_accel "$threads" "${base[@]}")
	rm -rf "$dir"
	mkdir -p "$dir"
	log "$what ($acc, timeout ${timeout}s)"
	timeout --foreground -k 5 "$timeout" qemu-system-x86_64 \
		-accel "$acc" "${base[@]}" -nographic -no-reboot -monitor none \
		-serial "file:$dir/console.log" \
		-serial "file:$dir/results.ktap" \
		-serial "file:$dir/dmesg.log" \
		"$@" </dev/null >"$dir/qemu.log" 2>&1 || rc=$?
	echo "$rc" >"$dir/qemu.rc"
}

# stage_modules [-o] DEST MODDIR NAME...: the modules NAME of the kernel
# tree MODDIR (an extracted .../lib/modules/REL) and all they depend on,
# in kmod's load order, uncompressed at their paths under
# DEST/lib/modules/REL (the caller runs depmod on DEST). Built-in ones
# need nothing; one that is neither fails, or with -o is left out. kmod
# resolves the dependencies, from a depmod of MODDIR itself (once; under a
# lock, as make check stages one kernel for several guests at a time),
# with no modprobe.d: the host's configuration is not the guest's.
stage_modules() {
	local optional=0 dest moddir rel root n line f dst noconf
	[ "$1" != -o ] || { optional=1; shift; }
	dest=$1 moddir=$2
	shift 2
	rel=$(basename "$moddir")
	root=${moddir%/lib/modules/"$rel"}
	(
		flock 9
		[ "$moddir/modules.dep" -nt "$moddir/modules.order" ] ||
			depmod -b "$root" "$rel"
	) 9<"$moddir/modules.order"
	noconf=$(mktemp -d)
	for n in "$@"; do
		line=$(modprobe -C "$noconf" -d "$root" -S "$rel" --show-depends "$n" 2>&1) || {
			[ $optional -eq 1 ] && continue
			rm -rf "$noconf"
			die "kernel $rel: module $n is neither built in nor shipped ($line)"
		}
		while read -r line; do
			case $line in insmod\ *) ;; *) continue ;; esac	# "builtin NAME"
			f=${line#insmod }
			f=${f%% *}
			dst=$dest/lib/modules/$rel/${f#"$moddir"/}
			dst=${dst%%.ko*}.ko
			[ ! -e "$dst" ] || continue
			mkdir -p "$(dirname "$dst")"
			case $f in
			*.ko.xz) xz -dc "$f" >"$dst" ;;
			*.ko.zst) zstd -qdc "$f" >"$dst" ;;
			*) cp "$f" "$dst" ;;
			esac
		done <<<"$line"
	done
	rm -rf "$noconf"
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
