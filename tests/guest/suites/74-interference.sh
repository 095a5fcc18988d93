#!/bin/sh
# Other users of dma_buf_dynamic_attach()'s ftrace site beside the shim's
# redirecting kprobe (src/hook_kprobe.c):
#  - BPF fentry/fexit trampolines (tests/guest/bpf, dbr_bpf): the refusal
#    must still reach the caller, in both orders (shim armed first; BPF
#    attached first, then the shim arms and its self-test runs under the
#    trampoline). The kprobe claims IPMODIFY through its post_handler
#    (0bc11ed5ab60), so the trampoline calls the function through the
#    possibly redirected IP (00963a2e75a8) and fexit sees the refusal.
#  - a livepatch of the same function (tests/lptest, dbr_test_livepatch):
#    refused visibly while the shim is armed; loaded first, the shim must
#    not claim to be armed, and arms again once the livepatch is gone.
# A redirect the kernel loses would leave the shim waiting forever for the
# redirected call at unload: every shim load and unload here is bounded.
. /tests/ktap.sh
. /tests/helpers.sh
# run.sh prints a suite's output when it ends: mirror results and
# diagnostics to the console too, so a kernel that dies mid-suite still
# leaves them in console.log.
mirror() { echo "74-interference: $*" >/dev/console 2>/dev/null; }
ktap_diag() { echo "# $*"; mirror "# $*"; }
ktap_ok() { KTAP_N=$((KTAP_N + 1)); echo "ok $KTAP_N $*"; mirror "ok $KTAP_N $*"; }
# shellcheck disable=SC2034 # KTAP_FAILED: read by ktap_done
ktap_fail() { KTAP_N=$((KTAP_N + 1)); echo "not ok $KTAP_N $*"; mirror "not ok $KTAP_N $*"; KTAP_FAILED=1; }
LPM=dbr_test_livepatch
LP=/sys/kernel/livepatch/$LPM
NOBTF="CONFIG_DEBUG_INFO_BTF (no /sys/kernel/btf/vmlinux: no BPF trampolines)"
NOLP="CONFIG_LIVEPATCH (no /sys/kernel/livepatch or no $LPM built)"

if have HAVE_DMA_BUF_ATTACH_REVOCABLE; then ARMED=upstream-enforced; else ARMED=armed; fi
ktap_plan 26

# Helpers the BPF-first step also runs inside dbr_bpf (a separate sh).
cat >/tmp/74-lib.sh <<'EOF'
. /tests/helpers.sh
# alive PID: running (not gone, not a zombie).
alive() {
	case $(sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' /proc/$1/status 2>/dev/null) in
	"" | Z) return 1 ;;
	esac
}
# bounded SECS CMD...: CMD's exit status, or 124 if it still runs after
# SECS; it is then left behind (a task stuck in the kernel cannot be killed).
bounded() {
	_t=$(($1 * 10))
	shift
	"$@" &
	_pid=$!
	_i=0
	while alive $_pid && [ $_i -lt $_t ]; do sleep 0.1; _i=$((_i + 1)); done
	if alive $_pid; then
		echo "# still running after $((_t / 10))s: $*" >&2
		return 124
	fi
	wait $_pid
}
# The periodic canary is off (canary_ms=0: it runs on reads of hook/state
# only): its self-test attaches would land in the BPF programs' exact
# counts whenever a scenario outlasts 2 s (the debug kernel).
shim_load() { bounded 60 sh -c 'modprobe dmabuf_revoke canary_ms=0 && modprobe dmabuf_revoke_exporter && modprobe dmabuf_revoke_importer'; }
rd() { cat "$1" 2>/dev/null || echo 0; }
# strict_stub ERRNAME|0: a non-revocable import through
# dma_buf_dynamic_attach() (a stub under strict); 0 iff its attach outcome
# is ERRNAME (dbr_scenario's exit status).
strict_stub() {
	setpol strict
	dbr_scenario attach stub --unguarded --nomap --expect "$1"
	_rc=$?
	setpol enforce
	return $_rc
}
# Who sits on the attach entry points (kprobes list, ftrace's view), as
# diagnostics on stderr.
sites() {
	grep dma_buf_ /sys/kernel/debug/kprobes/list 2>/dev/null | sed "s/^/# $1: kprobe: /" >&2
	grep dma_buf_ /sys/kernel/tracing/enabled_functions 2>/dev/null | sed "s/^/# $1: ftrace: /" >&2
}
EOF
. /tmp/74-lib.sh

STUCK=0	# a shim unload never returned: later loads would wait for it forever
shim_unload() {
	[ $STUCK = 0 ] || return 1
	# (modprobe -r's own status is not the point: the shim must be gone)
	bounded 30 modprobe -r dmabuf_revoke_importer dmabuf_revoke_exporter dmabuf_revoke
	[ $? = 124 ] && STUCK=1
	[ ! -d /sys/module/dmabuf_revoke ]
}
# A load whose init never returns leaves the module half there: later
# loads would wait for it.
shim_up() {
	[ $STUCK = 0 ] || return 1
	shim_load
	_rc=$?
	[ $_rc = 124 ] && STUCK=1
	[ $_rc = 0 ] && echo +dmabuf_revoke_exporter >$P/exporters
}
newlog() { dmesg | tail -n +$((LOG0 + 1)); }
snap() { h0=$(rd $H/hits); r0=$(rd $C/attach_refused); }
# moved HITS REFUSED: did hook hits and refusals move since snap (y/n each)?
moved() { echo "$([ "$(rd $H/hits)" -gt "$h0" ] && echo y || echo n)$([ "$(rd $C/attach_refused)" -gt "$r0" ] && echo y || echo n)"; }

[ -d /sys/kernel/tracing/instances ] || mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
LOG0=$(dmesg | wc -l)
modprobe vfio-pci || ktap_diag "modprobe vfio-pci failed"
shim_up || ktap_diag "loading the shim failed"
setpol enforce
check_eq "shim armed" "$(cat $H/state)" "$ARMED"

# --- shim armed first, then BPF trampolines on the same function -----------
# dbr_bpf asserts what its programs saw (--want) and CMD's exit status; the
# hook counters are read here, after it.
if [ -r /sys/kernel/btf/vmlinux ]; then
	bpf=1
	snap
	check "fentry attaches beside the armed kprobe, the refusal reaches the caller (strict_stub exit), fentry ran" \
		dbr_bpf -e --want 'fentry_dyn_runs>=1' -- sh -c '. /tmp/74-lib.sh; strict_stub EOPNOTSUPP'
	check_eq "fentry: hook hits and attach_refused move" "$(moved)" yy

	snap
	check "fentry+fexit attach beside the armed kprobe, the refusal reaches the caller (strict: stub; strict_stub exit), both ran, fexit saw ERR_PTR(-EOPNOTSUPP) returned" \
		dbr_bpf -e -x --want 'fentry_dyn_runs>=1' --want 'fexit_dyn_runs>=1' \
		--want fexit_dyn_last=EOPNOTSUPP --want fexit_dyn_eopnotsupp=1 \
		-- sh -c '. /tmp/74-lib.sh; sites "shim, then fentry+fexit"; strict_stub EOPNOTSUPP'
	check_eq "fexit: hook hits and attach_refused move" "$(moved)" yy

	snap
	check "fexit on both attach entry points: a legacy import is refused (enforce), fexit/dma_buf_attach ran and saw ERR_PTR(-EOPNOTSUPP)" \
		dbr_bpf -x -a --want 'fexit_att_runs>=1' --want fexit_att_last=EOPNOTSUPP \
		-- dbr_scenario attach legacy --unguarded --nomap --expect EOPNOTSUPP
	check_eq "fexit on both attach entry points: the legacy refusal is counted (hook hits, attach_refused)" \
		"$(moved)" yy

	snap
	check "fexit: an accepted import still attaches, fexit saw the attachment returned" \
		dbr_bpf -e -x --want fexit_dyn_ok=1 --want fexit_dyn_err=0 --want fexit_dyn_last_err=0 \
		-- dbr_scenario attach compliant --unguarded --nomap --expect 0
	check_eq "fexit: an accepted import: hook hits move, nothing refused" "$(moved)" yn
else
	bpf=0
	for t in "fentry attaches, refusal reaches the caller, fentry ran" "fentry: counters move" \
		"fentry+fexit attach, refusal reaches the caller, fexit saw ERR_PTR(-EOPNOTSUPP)" \
		"fexit: counters move" "fexit: legacy refused, fexit/dma_buf_attach saw the refusal" \
		"fexit: legacy refusal counted" "fexit: accepted import attaches, fexit saw the attachment" \
		"fexit: accepted import counted"; do
		ktap_skip "$t" "$NOBTF"
	done
fi

# --- BPF first, then the shim arms (its self-test under the trampoline) ----
check "shim unloads (no redirected call left in flight)" shim_unload
if [ $bpf = 1 ]; then
	LOG1=$(dmesg | wc -l)
	cat >/tmp/74-arm.sh <<'EOF'
# sh /tmp/74-arm.sh STATE, inside dbr_bpf: the shim loads and arms (hook/state
# reads STATE) and a stub is refused; exit 1 if not. A load that never
# returns leaves /tmp/74-stuck: later loads would wait for it.
. /tmp/74-lib.sh
shim_load
rc=$?
[ $rc = 124 ] && : >/tmp/74-stuck
state=$(cat $H/state 2>/dev/null)
echo "# state with the trampoline there first: $state" >&2
sites "fentry+fexit, then shim"
if [ $rc != 0 ] || [ "$state" != "$1" ]; then
	echo "# 74-arm: shim load exit $rc, state '$state'; want 0, '$1'" >&2
	exit 1
fi
echo +dmabuf_revoke_exporter >$P/exporters
strict_stub EOPNOTSUPP || { echo "# 74-arm: the stub's attach was not refused" >&2; exit 1; }
EOF
	# fexit sees the self-test's refused attaches (dma_buf_dynamic_attach,
	# and dma_buf_attach where it goes through it) and the stub's.
	name="BPF first: the shim loads and arms beside fentry+fexit, the refusal reaches the caller (strict_stub exit), fexit saw the self-test's and the stub's refusals"
	if [ $STUCK = 0 ]; then
		rm -f /tmp/74-stuck
		check "$name" dbr_bpf -e -x --want 'fexit_dyn_eopnotsupp>=2' --want fexit_dyn_last=EOPNOTSUPP \
			-- sh /tmp/74-arm.sh "$ARMED"
		[ -e /tmp/74-stuck ] && STUCK=1
	else
		ktap_diag "an earlier shim unload never returned: no shim load"
		ktap_fail "$name"
	fi
	check_eq "its self-test passed under the trampoline" \
		"$(dmesg | tail -n +$((LOG1 + 1)) | grep -c 'dmabuf_revoke: hook self-test passed')" 1
else
	shim_up
	for t in "BPF first: shim arms, refusal reaches the caller, fexit saw the refusals" \
		"self-test under the trampoline"; do
		ktap_skip "$t" "$NOBTF"
	done
fi
[ -d /sys/module/dmabuf_revoke ] || shim_up
setpol enforce
echo +dmabuf_revoke_exporter >$P/exporters 2>/dev/null

# --- livepatch of the same function -----------------------------------------
lp_gone() {
	_i=0
	while [ -e $LP ] && [ $_i -lt 120 ]; do sleep 0.5; _i=$((_i + 1)); done
	[ ! -e $LP ]
}
lp_out() { lp_gone && rmmod $LPM && ! [ -d /sys/module/$LPM ]; }
wait_transition() {
	_i=0
	while [ "$(cat $LP/transition 2>/dev/null)" != 0 ] && [ $_i -lt 120 ]; do sleep 0.5; _i=$((_i + 1)); done
	[ "$(cat $LP/transition 2>/dev/null)" = 0 ]
}
if [ -d /sys/kernel/livepatch ] && modinfo $LPM >/dev/null 2>&1; then
	# (a) shim armed, then the livepatch: refused, visibly (or, with int3
	# probes before v6.12, loaded and reported as a loss of enforcement).
	OFFSITE=0
	case $(cat $H/target) in *"int3 past the ftrace site"*) OFFSITE=1 ;; esac
	LOG0=$(dmesg | wc -l)
	out=$(insmod "/lib/modules/$(uname -r)/extra/$LPM.ko" 2>&1)
	rc=$?
	ktap_diag "insmod $LPM beside the armed shim: exit $rc: $out"
	sites "shim, then livepatch" 2>&1
	newlog | grep -E 'livepatch|ftrace|kprobe|dbr_test' | while IFS= read -r l; do ktap_diag "dmesg: $l"; done
	if [ $OFFSITE = 0 ]; then
		check_eq "shim armed first: the livepatch is refused" \
			"$([ $rc != 0 ] && echo failed || echo loaded)/$([ -d /sys/module/$LPM ] || [ -e $LP ] && echo present || echo absent)" "failed/absent"
		check "the kernel log says why: ftrace handler for dma_buf_dynamic_attach, -16 (EBUSY)" \
			sh -c "dmesg | tail -n +$((LOG0 + 1)) | grep -q \"ftrace handler for function 'dma_buf_dynamic_attach' (-16)\""
		check_eq "hook/state still $ARMED" "$(cat $H/state 2>/dev/null)" "$ARMED"
		snap
		strict_stub EOPNOTSUPP
		rc=$?
		check_eq "a refusal still reaches the caller (strict_stub exit), counted" "$rc/$(moved)" "0/yy"
	else
		# Before v6.12 the probes are int3s past the ftrace site (see
		# src/hook_kprobe.c): nothing conflicts, the livepatch loads and
		# its copy of the function bypasses them. The canary says so.
		wait_transition || ktap_diag "livepatch transition did not finish in 60s"
		check_eq "int3 probes: the livepatch loads beside the armed shim" \
			"$rc/$([ -e $LP ] && echo present || echo absent)" "0/present"
		check "hook/state reads lost: the probe no longer fires" \
			grep -q '^lost: probe on dma_buf_dynamic_attach did not fire' $H/state
		check "the log says enforcement is lost" \
			sh -c "dmesg | tail -n +$((LOG0 + 1)) | grep -q 'dmabuf_revoke: enforcement lost: probe on dma_buf_dynamic_attach did not fire'"
		snap
		strict_stub 0
		rc=$?
		check_eq "the bypass is what the state says: nothing refused (strict_stub exit), nothing counted" \
			"$rc/$(moved)" "0/nn"
	fi

	if [ -e $LP ]; then
		ktap_diag "the livepatch loaded beside the armed shim: removing it before (b)"
		echo 0 >$LP/enabled
		lp_out || ktap_diag "and it did not go away"
	fi

	# (b) the livepatch first, then the shim: it must say it failed.
	check "shim unloads" shim_unload
	LOG0=$(dmesg | wc -l)
	check "livepatch alone: loads and completes its transition" \
		sh -c "insmod /lib/modules/$(uname -r)/extra/$LPM.ko && [ \"\$(cat $LP/enabled)\" = 1 ]"
	wait_transition || ktap_diag "livepatch transition did not finish in 60s"
	shim_up || ktap_diag "loading the shim beside the livepatch failed"
	state=$(cat $H/state 2>/dev/null)
	ktap_diag "hook/state with the livepatch there first: '$state'"
	sites "livepatch, then shim" 2>&1
	newlog | grep -E 'livepatch|ftrace|kprobe|dmabuf_revoke' | while IFS= read -r l; do ktap_diag "dmesg: $l"; done
	case $state in
	"failed: "*) ktap_ok "livepatch first: hook/state reads failed: ..." ;;
	*) ktap_fail "livepatch first: hook/state reads failed: ... (got '$state')" ;;
	esac
	# Depending on the kernel, register_kprobe() fails (-EBUSY from ftrace)
	# or succeeds and the arm-time self-test finds the probe silent.
	check "the kernel log says why the hook failed" \
		sh -c "dmesg | tail -n +$((LOG0 + 1)) | grep -qE 'dmabuf_revoke: (register_kprobe\(dma_buf_dynamic_attach\) failed|hook self-test failed)'"
	c0=$(rd /sys/module/$LPM/parameters/calls)
	snap
	strict_stub 0
	rc=$?
	check_eq "the livepatch serves attaches; the failed hook refuses nothing (strict_stub exit)" \
		"$rc/$(($(rd /sys/module/$LPM/parameters/calls) - c0))/$(moved)" "0/1/nn"
	echo 0 >$LP/enabled 2>/dev/null
	check "livepatch disables, its directory goes (60s at most), rmmod" lp_out
	LOG0=$(dmesg | wc -l)
	shim_unload || ktap_diag "unloading the failed shim failed"
	shim_up || ktap_diag "reloading the shim failed"
	check_eq "livepatch gone: the reloaded shim arms, self-test passed" \
		"$(cat $H/state 2>/dev/null)/$(newlog | grep -c 'dmabuf_revoke: hook self-test passed')" "$ARMED/1"
	snap
	strict_stub EOPNOTSUPP
	rc=$?
	check_eq "and refuses again (strict_stub exit), counted" "$rc/$(moved)" "0/yy"
else
	for t in "shim armed first: livepatch refused" "log says why" "hook/state still armed" \
		"refusal still reaches the caller" "shim unloads" "livepatch alone loads" \
		"livepatch first: hook/state failed" "log names the conflict" \
		"livepatch serves attaches" "livepatch unloads" "reloaded shim arms" \
		"and refuses again"; do
		ktap_skip "$t" "$NOLP"
	done
fi

check_eq "no probe hit missed" "$(cat $H/missed 2>/dev/null)" 0
modprobe -r vfio-pci 2>/dev/null
check "all modules unload (no redirected call left in flight)" shim_unload
ktap_done
