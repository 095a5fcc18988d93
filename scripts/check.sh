#!/usr/bin/env bash
# check.sh [KERNEL...]: everything `make check` promises, in order:
#   host unit and CLI tests; per kernel: fetch+verify, build (no warnings), conftest
#   answers as expected, boot + guest KTAP suite; a bench smoke run (no
#   timing judged); the harness self-check.
# Ends with "N passed, N failed, N skipped"; exits non-zero on any failure.
. "$(dirname "$0")/lib.sh"

kernels=${*:-$DEFAULT_KERNELS}
mkdir -p "$BUILD/results"
export DMABUF_REVOKE_TIMINGS=$BUILD/results/timings.txt
: >"$DMABUF_REVOKE_TIMINGS"
PASS=0 FAIL=0 SKIP=0
T0=$(date +%s)

result() {	# result ok|fail NAME
	if [ "$1" = ok ]; then
		PASS=$((PASS + 1)); echo "ok - $2"
	else
		FAIL=$((FAIL + 1)); echo "not ok - $2"
	fi
}

# fetch_kernel K: kernels.sh fetch, its log shown and kept; its error line
# is left to the result line that names the failure.
fetch_kernel() {
	"$TOP/scripts/kernels.sh" fetch "$1" 2>&1 | tee "$BUILD/results/fetch-$1.log" |
		{ grep -v '^error: ' >&2 || true; }
}

add_counts() {	# add_counts FILE ("pass fail skip")
	local p f s
	read -r p f s <"$1"
	PASS=$((PASS + p)) FAIL=$((FAIL + f)) SKIP=$((SKIP + s))
}

# host_tap NAME DIR: host tests in DIR (make run, TAP output), counted.
host_tap() {
	local tap=$BUILD/results/$1.tap rc=0
	stage "$1" make -s -C "$2" run >"$tap" 2>&1 || rc=$?
	cat "$tap"
	tap_count "$1" "$tap" "$rc"
}
# Host unit tests (cmocka); the CLI's (cmocka + fake sysfs trees).
host_tap unit "$TOP/tests/unit"
host_tap cli "$TOP/tests/cli"
# The harness itself: stale verdicts, short plans, crashed runners fail.
host_tap harness "$TOP/tests/harness"
# The kernel matrix: the manifest parses, covers DEFAULT_KERNELS and
# conftest.expected; fetch names a vanished package (tests/manifest).
host_tap manifest "$TOP/tests/manifest"
if stage checkpatch "$TOP/scripts/checkpatch.sh"; then
	result ok "kernel sources and guest test programs are checkpatch --no-tree -f clean"
else
	result fail "kernel sources and guest test programs are checkpatch --no-tree -f clean"
fi
if stage shellcheck "$TOP/scripts/shellcheck.sh"; then
	result ok "shell scripts are shellcheck clean (severity warning)"
else
	result fail "shell scripts are shellcheck clean (severity warning)"
fi
if stage abi-check "$TOP/scripts/abi-check.sh"; then
	result ok "Documentation/ABI names every counter, hook file and module parameter, and nothing else"
else
	result fail "Documentation/ABI names every counter, hook file and module parameter, and nothing else"
fi
if stage kernel-doc "$TOP/scripts/kernel-doc.sh"; then
	result ok "kernel-doc -none -Wall clean, every exported symbol documented"
else
	result fail "kernel-doc -none -Wall clean, every exported symbol documented"
fi

# Guests run GJOBS at a time: a test guest is one TCG thread, so one guest
# leaves a core idle. Each writes a log, printed (and counted) in the order
# the guests were started, once all have finished; every guest has its own
# timeout (guest.sh, dkms-guest.sh), so the pool cannot hang.
GJOBS=${DMABUF_REVOKE_GUEST_JOBS:-$(nproc)}
case $GJOBS in '' | *[!0-9]* | 0) die "DMABUF_REVOKE_GUEST_JOBS='$GJOBS': not a positive number" ;; esac
GUEST_PIDS=() GUEST_LOGS=() GUEST_NAMES=()
pool_run() {	# pool_run NAME LOG CMD...: start CMD once a slot is free
	local name=$1 logf=$2 live p
	shift 2
	while :; do
		live=0
		for p in "${GUEST_PIDS[@]}"; do kill -0 "$p" 2>/dev/null && live=$((live + 1)); done
		[ "$live" -lt "$GJOBS" ] && break
		# Polled: `wait -n` could reap the debug kernel's build, whose
		# status test_kernel reads with `wait PID`.
		sleep 1
	done
	log "=== $name: started (log: ${logf#"$BUILD"/})"
	"$@" >"$logf" 2>&1 &
	GUEST_PIDS+=($!) GUEST_LOGS+=("$logf") GUEST_NAMES+=("$name")
}
pool_wait() {	# pool_wait: every guest finished; their logs, in order
	local i
	for i in "${!GUEST_PIDS[@]}"; do
		wait "${GUEST_PIDS[$i]}" || true
		log "=== ${GUEST_NAMES[$i]}: finished"
		cat "${GUEST_LOGS[$i]}"
	done
}

# A debug kernel (<series>-debug) not in the cache is built from source
# (scripts/debug-kernel.sh, niced) in the background from the start, once
# its series' Debian kernel (whose compiler it uses) is fetched; the other
# kernels go on meanwhile and it joins the loop last.
declare -A DEBUG_BUILD=()
later=
for k in $kernels; do
	case $k in *-debug) ;; *) continue ;; esac
	if "$TOP/scripts/debug-kernel.sh" "$k" --cached 2>/dev/null; then continue; fi
	if ! stage "fetch-${k%-debug}" fetch_kernel "${k%-debug}"; then continue; fi
	log "=== kernel $k: not cached, building it in the background (log: results/fetch-$k.log)"
	stage "fetch-$k" "$TOP/scripts/kernels.sh" fetch "$k" >"$BUILD/results/fetch-$k.log" 2>&1 &
	DEBUG_BUILD[$k]=$!
	later="$later $k"
done
# A cached debug kernel's guest is the longest: it starts first.
ordered=
for k in $kernels; do
	case " $later " in *" $k "*) continue ;; esac
	case $k in *-debug) ordered="$k $ordered" ;; *) ordered="$ordered $k" ;; esac
done

# test_kernel K: fetch (or wait for the build of) K, build our modules,
# check the conftest answers, and queue its guest.
test_kernel() {
	local k=$1
	manifest_release "$k" >/dev/null
	log "=== kernel $k ($(manifest_release "$k"))"
	# A pinned package gone from the mirror fails here, naming it and
	# `scripts/kernels.sh manifest`: that kernel is not tested, and says so.
	if [ -n "${DEBUG_BUILD[$k]:-}" ]; then
		log "kernel $k: waiting for its build"
		if ! wait "${DEBUG_BUILD[$k]}"; then
			tail -n 20 "$BUILD/results/fetch-$k.log" >&2
			result fail "$k: build from Debian's linux-source: $(sed -n '/^error: /{s///p;q}' "$BUILD/results/fetch-$k.log")"
			return
		fi
	elif ! stage "fetch-$k" fetch_kernel "$k"; then
		result fail "$k: fetch and verify: $(sed -n '/^error: /{s///p;q}' "$BUILD/results/fetch-$k.log")"
		return
	fi
	if ! stage "build-$k" "$TOP/scripts/build.sh" "$k"; then
		result fail "$k: build without warnings"; return
	fi
	result ok "$k: build without warnings"
	if "$TOP/tests/conftest-expect.sh" "$k" "$BUILD/$k/conftest.txt"; then
		result ok "$k: conftest probes match the kernel's known features"
	else
		result fail "$k: conftest probes match the kernel's known features"
	fi
	# No verdict a previous run left may count for this one.
	rm -rf "$BUILD/results/$k"
	pool_run "kernel $k guest" "$BUILD/results/guest-$k.log" "$TOP/scripts/guest.sh" "$k"
	GUEST_KERNELS="${GUEST_KERNELS:-} $k"
}

# The install flows' guests are the longest after a debug kernel's: they
# are queued right after it, before the stock kernels (longest first, so
# the run does not end on them). Their kernels are fetched here, in this
# shell, so no guest fetches a kernel while test_kernel does.
queue_install_guests() {
	# Packaging and the real install flow: the .debs (dpkg-buildpackage), then
	# per kernel a Debian guest (bookworm for 6.1, trixie for 7.0) doing
	# dkms add/build/install/remove and apt install/purge (scripts/dkms-guest.sh).
	# DMABUF_REVOKE_DKMS_KERNELS overrides which kernels (default: 6.1 and 7.0
	# when they are in the run; "none" skips the guest flow).
	dkms_kernels=
	if stage deb "$TOP/scripts/deb.sh"; then
		result ok "deb: dpkg-buildpackage builds dmabuf-revoke-dkms and dmabuf-revokectl"
		# One flow per kernel: the by-hand DKMS flow on 6.1 (bookworm), apt +
		# dh-dkms on 7.0 (trixie). Naming kernels in DMABUF_REVOKE_DKMS_KERNELS
		# runs both flows on each of them.
		dkms_kernels=${DMABUF_REVOKE_DKMS_KERNELS:-}
		declare -gA dkms_suites=()
		if [ -z "$dkms_kernels" ]; then
			for k in 6.1 7.0; do
				case " $kernels " in *" $k "*) dkms_kernels="$dkms_kernels $k" ;; esac
			done
			dkms_suites=([6.1]=dkms [7.0]=deb)
		fi
		[ "$dkms_kernels" = none ] && dkms_kernels=
		for k in $dkms_kernels; do
			# A failed fetch: test_kernel says so; this guest has no counts.
			stage "fetch-$k" fetch_kernel "$k" || continue
			rm -rf "$BUILD/results/dkms-$k"
			DMABUF_REVOKE_DEB_FRESH=1 DMABUF_REVOKE_DKMS_SUITES="${dkms_suites[$k]:-dkms deb}" \
				pool_run "DKMS install flow (${dkms_suites[$k]:-dkms deb}) in a Debian guest, kernel $k" \
				"$BUILD/results/dkms-$k.log" "$TOP/scripts/dkms-guest.sh" "$k"
		done
	else
		result fail "deb: dpkg-buildpackage builds dmabuf-revoke-dkms and dmabuf-revokectl"
	fi

	# Secure Boot (scripts/sb-guest.sh): OVMF with Microsoft's keys, Debian's
	# signed shim, grub and kernel; dkms builds and signs, the kernel refuses
	# the modules until the DKMS key is in the MOK list, then loads them. One
	# kernel: DMABUF_REVOKE_SB_KERNEL (default 7.3 when it is in the run; "none"
	# skips it).
	sb_kernel=${DMABUF_REVOKE_SB_KERNEL:-}
	if [ -z "$sb_kernel" ]; then
		case " $kernels " in *" 7.3 "*) sb_kernel=7.3 ;; *) sb_kernel=none ;; esac
	fi
	[ "$sb_kernel" = none ] && sb_kernel=
	if [ -n "$sb_kernel" ] && stage "fetch-$sb_kernel" fetch_kernel "$sb_kernel"; then
		rm -rf "$BUILD/results/secureboot-$sb_kernel"
		pool_run "Secure Boot guest (OVMF, shim, MOK), kernel $sb_kernel" \
			"$BUILD/results/secureboot-$sb_kernel.log" "$TOP/scripts/sb-guest.sh" "$sb_kernel"
	fi
}
for k in $ordered; do
	case $k in *-debug) test_kernel "$k" ;; esac
done
queue_install_guests
for k in $ordered; do
	case $k in *-debug) ;; *) test_kernel "$k" ;; esac
done

# dkms.conf as dkms evaluates it, for every stock kernel of the run (all
# fetched by now: test_kernel fetched each).
stock=
for k in $kernels; do
	case $k in *-debug) ;; *) stock="$stock $k" ;; esac
done
rc=0
# shellcheck disable=SC2086 # the kernels are words
"$TOP/tests/dkms/conf-test.sh" $stock >"$BUILD/results/dkms-conf.tap" 2>&1 || rc=$?
cat "$BUILD/results/dkms-conf.tap"
tap_count dkms-conf "$BUILD/results/dkms-conf.tap" "$rc"

# Debug kernels still being built from source join last, after the DKMS
# guests were queued (those would otherwise wait for the compile).
for k in $later; do test_kernel "$k"; done

# The harness must be able to fail: a failing test and a WARN in one boot;
# on a debug kernel, also KASAN's use-after-free and kmemleak's report of
# the self-check module's lost allocations (uaf=1 leak=1).
first_stock() {	# the first kernel of the run that is not a debug kernel
	local k
	for k in $kernels; do
		case $k in *-debug) ;; *) echo "$k"; return ;; esac
	done
}
sk=7.0
case " $kernels " in *" 7.0 "*) ;; *) sk=$(first_stock) ;; esac
selfchecks=
for k in $sk ${GUEST_KERNELS:-}; do
	case $k in "$sk" | *-debug) ;; *) continue ;; esac
	case " $selfchecks " in *" $k "*) continue ;; esac
	[ -f "$BUILD/$k/conftest.txt" ] || continue
	selfchecks="$selfchecks $k"
	rm -rf "$BUILD/results/selfcheck-$k"
	pool_run "self-check guest, kernel $k" "$BUILD/results/selfcheck-$k.txt" \
		"$TOP/scripts/guest.sh" --selfcheck "$k"
done

# The bench (make bench) is not a test: only a tiny run on one kernel that
# must complete and print its table; nothing judges a time.
bk=$(first_stock)
rm -f "$BUILD/bench/smoke-$bk.txt" "$BUILD/bench/smoke-$bk.bench"
if [ -n "$bk" ] && [ -d "$BUILD/$bk/bench" ]; then
	pool_run "bench smoke, kernel $bk" "$BUILD/results/bench-smoke.txt" \
		"$TOP/scripts/bench.sh" --smoke --prebuilt "$bk"
fi

pool_wait

for k in ${GUEST_KERNELS:-}; do
	if [ -f "$BUILD/results/$k/counts" ]; then
		add_counts "$BUILD/results/$k/counts"
	else
		result fail "$k: guest run produced no counts"
	fi
done
for k in $dkms_kernels; do
	if [ -f "$BUILD/results/dkms-$k/counts" ]; then
		add_counts "$BUILD/results/dkms-$k/counts"
	else
		result fail "dkms-$k: guest install flow produced no counts"
	fi
done
if [ -n "$sb_kernel" ]; then
	if [ -f "$BUILD/results/secureboot-$sb_kernel/counts" ]; then
		add_counts "$BUILD/results/secureboot-$sb_kernel/counts"
	else
		result fail "secureboot-$sb_kernel: the Secure Boot guest produced no counts"
	fi
fi
# The guest tests README cites by name passed in this run (the whole
# matrix only: a partial run lacks some kernel's tests).
rdirs=() missing=
for k in $DEFAULT_KERNELS; do
	case " ${GUEST_KERNELS:-} " in *" $k "*) rdirs+=("$BUILD/results/$k") ;; *) missing="$missing $k" ;; esac
done
if [ -z "$missing" ]; then
	rc=0
	"$TOP/scripts/readme-tests.sh" "${rdirs[@]}" >"$BUILD/results/readme-tests.tap" 2>&1 || rc=$?
	cat "$BUILD/results/readme-tests.tap"
	tap_count readme-tests "$BUILD/results/readme-tests.tap" "$rc"
else
	SKIP=$((SKIP + 1))
	echo "ok - README's cited guest tests # SKIP not the whole matrix (no$missing)"
fi
if [ -n "$bk" ] && grep -q '^CASE ' "$BUILD/bench/smoke-$bk.txt" 2>/dev/null &&
	grep -q "^bench: $bk cycle-guarded ratio=" "$BUILD/bench/smoke-$bk.bench" 2>/dev/null; then
	result ok "bench: smoke run on $bk completes and prints its table"
else
	tail -n 20 "$BUILD/results/bench-smoke.txt" 2>/dev/null || true
	result fail "bench: smoke run on ${bk:-(no stock kernel)} completes and prints its table (log: results/bench-smoke.txt)"
fi
for k in $selfchecks; do
	v=$(cat "$BUILD/results/selfcheck-$k/verdict" 2>/dev/null || true)
	case $v in
	"") result fail "selfcheck $k: the self-check guest left no verdict" ; continue ;;
	ok*) result fail "selfcheck $k: harness passed a run that has a failing test and a WARN" ;;
	esac
	case $v in *"test failed: 2 selfcheck: a deliberately failing result"*)
		result ok "selfcheck $k: harness reports the deliberately failing test" ;;
	*) result fail "selfcheck $k: harness reports the deliberately failing test (verdict: $v)" ;;
	esac
	case $v in *"guest dmesg: "*"WARNING:"*)
		result ok "selfcheck $k: harness reports the WARNING in guest dmesg" ;;
	*) result fail "selfcheck $k: harness reports the WARNING in guest dmesg (verdict: $v)" ;;
	esac
	case $k in *-debug) ;; *) continue ;; esac
	if grep -q 'BUG: KASAN: slab-use-after-free in dmabuf_revoke_selfcheck_uaf' \
		"$BUILD/results/selfcheck-$k/dmesg-bad.txt" 2>/dev/null; then
		result ok "selfcheck $k: harness reports KASAN's use-after-free in guest dmesg"
	else
		result fail "selfcheck $k: harness reports KASAN's use-after-free in guest dmesg (verdict: $v)"
	fi
	if grep -q '^  not ok [0-9]* kmemleak: no leak from our modules' "$BUILD/results/selfcheck-$k/results.ktap" 2>/dev/null &&
		grep -q 'dmabuf_revoke_selfcheck' "$BUILD/results/selfcheck-$k/results.ktap"; then
		result ok "selfcheck $k: kmemleak suite reports the self-check module's leak"
	else
		result fail "selfcheck $k: kmemleak suite reports the self-check module's leak"
	fi
done

echo
echo "timings (s):"
sed 's/^stage /  /' "$DMABUF_REVOKE_TIMINGS"
echo "  total $(($(date +%s) - T0))s; cache $(du -sh "$CACHE" 2>/dev/null | cut -f1) in $CACHE"
echo "results: $BUILD/results/<kernel>/{console.log,results.ktap,dmesg.log,verdict}"
echo "$PASS passed, $FAIL failed, $SKIP skipped"
[ "$FAIL" -eq 0 ]
