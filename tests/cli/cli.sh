#!/usr/bin/env bash
# cli.sh: host tests of the real dmabuf-revokectl binary against fake
# sysfs/debugfs trees (DMABUF_REVOKE_SYSROOT): arguments and exit codes,
# text and JSON output, the files it writes. TAP on stdout.
# With DMABUF_REVOKE_SYSROOT set the CLI never loads or removes a module.
set -u
CLI=${DMABUF_REVOKECTL:?set DMABUF_REVOKECTL to the binary}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d /tmp/dbrctl-sh.XXXXXX)
trap 'rm -rf "$T"' EXIT
R=$T/root
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"
content() { cat "$1" 2>/dev/null; }
P=$R/sys/module/dmabuf_revoke/parameters

put() { mkdir -p "$(dirname "$1")"; printf '%s\n' "$2" >"$1"; }
# The module's own list (include/dmabuf_revoke_counters.h).
COUNTERS=$("$(dirname "$0")/../../scripts/names.sh" counters | xargs) || exit 1
[ -n "$COUNTERS" ] || { echo "scripts/names.sh counters printed nothing"; exit 1; }

# A tree with dmabuf_revoke loaded as the kernel would show it.
mk_loaded() {
	rm -rf "$R"
	mkdir -p "$R/sys/kernel/debug" "$R/dev"
	put "$R/sys/module/dmabuf_revoke/initstate" live
	put "$R/sys/module/dmabuf_revoke/version" 0.1.0
	put "$P/policy" enforce
	put "$P/strict" N
	put "$P/deny" ""
	put "$P/allow" ""
	put "$P/exporters" vfio_pci_core
	put "$P/learn" audit
	put "$P/learned" ""
	put "$R/sys/kernel/dmabuf_revoke/version" 0.1.0
	put "$R/sys/kernel/dmabuf_revoke/kernel_attach_revocable" 0
	local c i=0
	for c in $COUNTERS; do i=$((i + 1)); put "$R/sys/kernel/dmabuf_revoke/counters/$c" $i; done
	D=$R/sys/kernel/debug/dmabuf_revoke
	mkdir -p "$D"
	cat >"$D/buffers" <<'B'
buffer 00000000a1b2c3d4 exporter=dmabuf_revoke_exporter size=16384 guarded=1 state=live stale=0
  attachment 0000000011112222 dev=dmabuf_revoke_importer class=revocable mapped=1 callback=dbr_imp_compliant_move_notify [dmabuf_revoke_importer]
  attachment 0000000033334444 dev=dmabuf_revoke_importer class=legacy mapped=1 callback=-
buffer 00000000e5f60718 exporter=vfio_pci_core size=4096 guarded=0 state=revoked stale=1
  attachment 0000000055556666 dev=0000:00:04.0 class=denied mapped=0 callback=ib_umem_dmabuf_unsupported_move_notify [ib_core]
B
	put "$D/registry" "builtin-deny ib_umem_dmabuf_unsupported_move_notify"
	put "$D/policy" "policy enforce"
}
mk_empty() { rm -rf "$R"; mkdir -p "$R/sys/module" "$R/sys/kernel/debug" "$R/dev"; }

VERSION=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$TOP/dkms.conf")

# --- global arguments --------------------------------------------------------
mk_empty
t "--version prints the dkms.conf version" 0 out "^dmabuf-revokectl $VERSION\$" -- --version
t "-V prints the version" 0 out "^dmabuf-revokectl $VERSION\$" -- -V
t "--help shows commands and exit codes" 0 out "3  not available" -- --help
t "-h shows the help" 0 out "^Usage: dmabuf-revokectl" -- -h
t "no command is a usage error" 2 err "no command given" --
t "unknown command is a usage error" 2 err "unknown command 'frobnicate'" -- frobnicate
t "unknown global option is a usage error" 2 err "unknown option '--bogus'" -- --bogus status
t "usage errors point at --help" 2 err "Try 'dmabuf-revokectl --help'" -- frobnicate
for c in status enable disable policy strict deny allow learned list selftest; do
	t "$c --help" 0 out "^Usage: dmabuf-revokectl $c" -- "$c" --help
done
t "-h works per command" 0 out "^Usage: dmabuf-revokectl policy" -- policy -h
t "unknown per-command option is a usage error" 2 err "status: unknown option '--frob'" -- status --frob
t "--json on a command without JSON output" 2 err "has no --json output" -- --json enable
t "--json on selftest" 2 err "has no --json output" -- selftest --json
t "--json on disable" 2 err "has no --json output" -- --json disable
t "status takes no operands" 2 err "unexpected 'x'" -- status x

# --- status --------------------------------------------------------------------
mk_empty
t "status: not loaded exits 3" 3 out "dmabuf_revoke +not loaded" -- status
t "status: not loaded shows - for the knobs" 3 out "^  policy +-\$" -- status
run --json status
check "status --json when not loaded is valid JSON with nulls" \
	jq_py 'j["modules"]["dmabuf_revoke"]["loaded"] is False and j["policy"] is None and j["counters"]["attach_refused"] is None'
check "status --json when not loaded exits 3" test "$RC" = 3
mk_loaded
t "status: loaded exits 0" 0 out "dmabuf_revoke +live +0\\.1\\.0" -- status
t "status shows the policy" 0 out "^  policy +enforce\$" -- status
t "status shows the counters" 0 out "^  attach_refused +4\$" -- status
t "status: hook not there yet shows -" 0 out "^  state +-\$" -- status
t "status: kernel without dma_buf_attach_revocable" 0 out "upstream enforcement.*: no" -- status
tj "status --json is valid JSON" status --json
check "status --json has every section" jq_py \
	'all(k in j for k in ("version","modules","policy","strict","deny","allow","exporters","hook","livepatch","kernel_attach_revocable","counters"))'
check "status --json values" jq_py \
	'j["policy"]=="enforce" and j["strict"] is False and j["exporters"]==["vfio_pci_core"] and j["deny"]==[] and j["counters"]["attach_checked"]==1 and j["kernel_attach_revocable"] is False and j["hook"]["state"] is None'
check "status --json learn, learned and the learning counters" jq_py \
	'j["learn"]=="audit" and j["learned"]==[] and j["counters"]["attach_learned"]==6 and j["counters"]["learned"]==15 and j["counters"]["learned_full"]==16'
t "status shows learn" 0 out "^  learn +audit\$" -- status
t "status shows the learned counter" 0 out "^  learned +15\$" -- status
run --json status
OUT2=$OUT
run status --json
check "global --json equals per-command --json" test "$OUT" = "$OUT2"
put "$R/sys/kernel/dmabuf_revoke/hook/backend" kprobe
put "$R/sys/kernel/dmabuf_revoke/hook/target" vfio_pci_core_attach
put "$R/sys/kernel/dmabuf_revoke/hook/state" "failed: symbol not found"
put "$R/sys/kernel/dmabuf_revoke/hook/hits" 12
put "$R/sys/kernel/dmabuf_revoke/hook/missed" 0
put "$R/sys/kernel/dmabuf_revoke/kernel_attach_revocable" 1
put "$P/deny" "foo_notify,mod:ib_core"
put "$R/sys/kernel/dmabuf_revoke/hook/canary_runs" 7
put "$R/sys/kernel/dmabuf_revoke/hook/canary_failures" 0
t "status shows the hook state; exit 1: not enforcing" 1 out "^  state +failed: symbol not found\$" -- status
t "status says why it exits 1" 1 err "the hook is not enforcing: failed: symbol not found" -- status
put "$R/sys/kernel/dmabuf_revoke/hook/state" "lost: probe on dma_buf_dynamic_attach did not fire"
t "status: a lost hook exits 1 too" 1 err "the hook is not enforcing: lost: probe" -- status
put "$R/sys/kernel/dmabuf_revoke/hook/state" "upstream-enforced"
t "status: kernel with dma_buf_attach_revocable" 0 out "upstream enforcement.*: yes" -- status
t "status shows the canary" 0 out "^  canary_runs +7\$" -- status
t "status shows attach_upstream (sysfs and CLI lists agree)" 0 out "^  attach_upstream +" -- status
run status --json
check "status --json hook and lists" jq_py \
	'j["hook"]=={"backend":"kprobe","target":"vfio_pci_core_attach","state":"upstream-enforced","hits":12,"missed":0,"canary_runs":7,"canary_failures":0} and j["deny"]==["foo_notify","mod:ib_core"] and j["kernel_attach_revocable"] is True'
mkdir -p "$R/sys/module/dmabuf_revoke_livepatch" "$R/sys/kernel/livepatch/dmabuf_revoke_livepatch"
put "$R/sys/module/dmabuf_revoke_livepatch/initstate" live
put "$R/sys/kernel/livepatch/dmabuf_revoke_livepatch/enabled" 1
put "$R/sys/kernel/livepatch/dmabuf_revoke_livepatch/transition" 0
t "status shows the livepatch" 0 out "livepatch +enabled=1 transition=0" -- status
run status --json
check "status --json livepatch" jq_py 'j["livepatch"]=={"enabled":1,"transition":0} and j["modules"]["dmabuf_revoke_livepatch"]["loaded"]'

# --- learned -----------------------------------------------------------------
mk_loaded
t "learned: no subcommand is a usage error" 2 err "missing 'list' or 'clear'" -- learned
t "learned: unknown subcommand" 2 err "unknown subcommand 'add'" -- learned add x
t "learned list takes no operands" 2 err "learned list: unexpected 'x'" -- learned list x
t "learned clear --json is a usage error" 2 err "has no --json output" -- --json learned clear
t "learned list: empty set prints nothing" 0 -- learned list
check "learned list: empty output" test -z "$OUT"
put "$P/learned" "dbr_imp_stub_cb [dmabuf_revoke_importer],ib_umem_dmabuf_unsupported_move_notify [ib_core]"
t "learned list: one entry a line" 0 out "^ib_umem_dmabuf_unsupported_move_notify \[ib_core\]\$" -- learned list
check "learned list: both entries, in order" test "$OUT" = "dbr_imp_stub_cb [dmabuf_revoke_importer]
ib_umem_dmabuf_unsupported_move_notify [ib_core]"
run --json learned list
check "learned list --json" jq_py 'j=={"learned":["dbr_imp_stub_cb [dmabuf_revoke_importer]","ib_umem_dmabuf_unsupported_move_notify [ib_core]"]}'
run status --json
check "status --json lists the learned set" jq_py 'j["learned"]==["dbr_imp_stub_cb [dmabuf_revoke_importer]","ib_umem_dmabuf_unsupported_move_notify [ib_core]"]'
t "learned clear" 0 -- learned clear
check "learned clear wrote an empty value" test "$(cat "$P/learned")" = ""
t "learned clear takes no operands" 2 err "learned clear: unexpected 'now'" -- learned clear now
rm -f "$P/learned"; mkdir "$P/learned"
t "learned clear: a failed write is reported (exit 1)" 1 err "learned: cannot write '': Is a directory" -- learned clear
mk_empty
t "learned list: not loaded exits 3" 3 -- learned list
t "learned clear: not loaded exits 3" 3 -- learned clear
# --- status --prometheus -------------------------------------------------------
# Checked with the reference parser (python3-prometheus-client) and the
# textfile collector's rules (tests/cli/prom_check.py), values against the
# fake tree: mk_loaded's counters are 1..16 in $COUNTERS order.
# prom_bad: the checker must say "invalid" (1), not "cannot run" (2).
prom_ok() { "$TOP/tests/cli/prom_check.py" "$@" <<<"$OUT"; }
prom_bad() { "$TOP/tests/cli/prom_check.py" "$1" --exact <<<"$2" 2>/dev/null; [ $? = 1 ]; }
PROM_LOADED='{"dmabuf_revoke_loaded": 1,
 "dmabuf_revoke_module_loaded{module=\"dmabuf_revoke\"}": 1,
 "dmabuf_revoke_module_loaded{module=\"dmabuf_revoke_livepatch\"}": 0,
 "dmabuf_revoke_module_loaded{module=\"dmabuf_revoke_exporter\"}": 0,
 "dmabuf_revoke_module_loaded{module=\"dmabuf_revoke_importer\"}": 0,
 "dmabuf_revoke_info{cli_version=\"'$VERSION'\",version=\"0.1.0\"}": 1,
 "dmabuf_revoke_policy{policy=\"off\"}": 0,
 "dmabuf_revoke_policy{policy=\"audit\"}": 0,
 "dmabuf_revoke_policy{policy=\"enforce\"}": 1,
 "dmabuf_revoke_strict": 0,
 "dmabuf_revoke_list_entries{list=\"deny\"}": 0,
 "dmabuf_revoke_list_entries{list=\"allow\"}": 0,
 "dmabuf_revoke_exporter_policy{exporter=\"vfio_pci_core\",policy=\"enforce\",source=\"global\"}": 1,
 "dmabuf_revoke_kernel_attach_revocable": 0,
 "dmabuf_revoke_learn{mode=\"off\"}": 0,
 "dmabuf_revoke_learn{mode=\"audit\"}": 1,
 "dmabuf_revoke_learn{mode=\"deny\"}": 0,
 "dmabuf_revoke_learned_entries": 0,
 "dmabuf_revoke_attach_checked_total": 1,
 "dmabuf_revoke_attach_verdict_total{verdict=\"allow\"}": 2,
 "dmabuf_revoke_attach_verdict_total{verdict=\"audit\"}": 3,
 "dmabuf_revoke_attach_verdict_total{verdict=\"refuse\"}": 4,
 "dmabuf_revoke_attach_verdict_total{verdict=\"upstream\"}": 5,
 "dmabuf_revoke_attach_learned_total": 6,
 "dmabuf_revoke_attach_class_total{class=\"legacy\"}": 7,
 "dmabuf_revoke_attach_class_total{class=\"no-callback\"}": 8,
 "dmabuf_revoke_attach_class_total{class=\"denied\"}": 9,
 "dmabuf_revoke_attach_class_total{class=\"allowed\"}": 10,
 "dmabuf_revoke_attach_class_total{class=\"revocable\"}": 11,
 "dmabuf_revoke_revocations_total": 12,
 "dmabuf_revoke_stale_mappings_total": 13,
 "dmabuf_revoke_stale_named_total": 14,
 "dmabuf_revoke_learned_total": 15,
 "dmabuf_revoke_learned_full_total": 16}'
mk_loaded
run status --prometheus
check "status --prometheus: loaded exits 0" test "$RC" = 0
check "status --prometheus parses; HELP/TYPE per family; exactly the fake tree's values" \
	prom_ok "$PROM_LOADED" --exact
check "status --prometheus: each counter is <name>_total with HELP and TYPE" \
	grep -qxF '# TYPE dmabuf_revoke_attach_verdict_total counter' <<<"$OUT"
GOOD=$OUT
# The checker must be able to fail: broken variants of a good exposition.
check "prom_check rejects a family without HELP" \
	prom_bad "$PROM_LOADED" "$(grep -v '^# HELP dmabuf_revoke_revocations_total' <<<"$GOOD")"
check "prom_check rejects a family without TYPE" \
	prom_bad "$PROM_LOADED" "$(grep -v '^# TYPE dmabuf_revoke_strict' <<<"$GOOD")"
check "prom_check rejects a wrong value" \
	prom_bad "$PROM_LOADED" "${GOOD/dmabuf_revoke_revocations_total 12/dmabuf_revoke_revocations_total 99}"
check "prom_check rejects a missing sample" \
	prom_bad "$PROM_LOADED" "$(grep -v '^dmabuf_revoke_stale_named_total ' <<<"$GOOD")"
check "prom_check rejects a malformed line" prom_bad "$PROM_LOADED" "$GOOD"$'\ndmabuf_revoke_x{a="b} 1'
check "prom_check rejects a non-numeric value" \
	prom_bad "$PROM_LOADED" "${GOOD/dmabuf_revoke_strict 0/dmabuf_revoke_strict N}"
check "prom_check rejects a family split in two" \
	prom_bad "$PROM_LOADED" "$(grep -v '^dmabuf_revoke_policy{policy="off"}' <<<"$GOOD")"$'\ndmabuf_revoke_policy{policy="off"} 0'
check "prom_check rejects an unexpected sample (--exact)" \
	prom_bad "$PROM_LOADED" "$GOOD"$'\n# HELP dmabuf_revoke_y y\n# TYPE dmabuf_revoke_y gauge\ndmabuf_revoke_y 1'
t "status --prometheus --json: usage error" 2 err "--json and --prometheus exclude each other" -- status --prometheus --json
t "--json status --prometheus: usage error" 2 err "--json and --prometheus exclude each other" -- --json status --prometheus
t "status --prometheus takes no operands" 2 err "unexpected 'x'" -- status --prometheus x
t "status --help documents --prometheus" 0 out "--prometheus +Prometheus text exposition" -- status --help
put "$R/sys/kernel/dmabuf_revoke/hook/backend" kprobe
put "$R/sys/kernel/dmabuf_revoke/hook/target" vfio_pci_core_attach
put "$R/sys/kernel/dmabuf_revoke/hook/state" 'failed: no "x" in c:\y'
put "$R/sys/kernel/dmabuf_revoke/hook/hits" 12
put "$R/sys/kernel/dmabuf_revoke/hook/missed" 0
put "$R/sys/kernel/dmabuf_revoke/hook/canary_runs" 7
put "$R/sys/kernel/dmabuf_revoke/hook/canary_failures" 2
put "$P/policy" audit
put "$P/strict" Y
put "$P/deny" "foo_notify,mod:ib_core"
put "$P/exporters" "vfio_pci_core,some_gpu:off"
run status --prometheus
check "status --prometheus: a failed hook still exits 0 (it is in the metrics)" test "$RC" = 0
check "status --prometheus: hook state, hook counters, knobs, per-exporter policy" prom_ok '{
 "dmabuf_revoke_hook_state{state=\"failed\"}": 1,
 "dmabuf_revoke_hook_state{state=\"armed\"}": 0,
 "dmabuf_revoke_hook_state{state=\"lost\"}": 0,
 "dmabuf_revoke_hook_info{backend=\"kprobe\",state=\"failed: no \"x\" in c:\\y\",target=\"vfio_pci_core_attach\"}": 1,
 "dmabuf_revoke_hook_hits_total": 12, "dmabuf_revoke_hook_missed_total": 0,
 "dmabuf_revoke_hook_canary_runs_total": 7, "dmabuf_revoke_hook_canary_failures_total": 2,
 "dmabuf_revoke_policy{policy=\"audit\"}": 1, "dmabuf_revoke_policy{policy=\"enforce\"}": 0,
 "dmabuf_revoke_strict": 1, "dmabuf_revoke_list_entries{list=\"deny\"}": 2,
 "dmabuf_revoke_exporter_policy{exporter=\"vfio_pci_core\",policy=\"audit\",source=\"global\"}": 1,
 "dmabuf_revoke_exporter_policy{exporter=\"some_gpu\",policy=\"off\",source=\"exporter\"}": 1,
 "dmabuf_revoke_livepatch_enabled": null}'
put "$R/sys/kernel/dmabuf_revoke/hook/state" armed
mkdir -p "$R/sys/module/dmabuf_revoke_livepatch" "$R/sys/kernel/livepatch/dmabuf_revoke_livepatch"
put "$R/sys/module/dmabuf_revoke_livepatch/initstate" live
put "$R/sys/kernel/livepatch/dmabuf_revoke_livepatch/enabled" 1
put "$R/sys/kernel/livepatch/dmabuf_revoke_livepatch/transition" 0
run status --prometheus
check "status --prometheus: armed hook, livepatch loaded and enabled" prom_ok '{
 "dmabuf_revoke_hook_state{state=\"armed\"}": 1, "dmabuf_revoke_hook_state{state=\"failed\"}": 0,
 "dmabuf_revoke_module_loaded{module=\"dmabuf_revoke_livepatch\"}": 1,
 "dmabuf_revoke_livepatch_enabled": 1, "dmabuf_revoke_livepatch_transition": 0}'
put "$R/sys/kernel/dmabuf_revoke/counters/revocations" abc
run status --prometheus
not_a_number_said() { [ "$RC" = 1 ] && grep -q "dmabuf_revoke_revocations_total: 'abc' is not a number" <<<"$ERR"; }
check "status --prometheus: a counter that is not a number: exit 1, said on stderr" not_a_number_said
check "... and the exposition stays valid without that sample" \
	prom_ok '{"dmabuf_revoke_revocations_total": null, "dmabuf_revoke_stale_named_total": 14}'
mk_loaded
OUT=$(DMABUF_REVOKE_SYSROOT=$R "$CLI" status --prometheus 2>"$T/err" >/dev/full); RC=$?; ERR=$(cat "$T/err")
check "status --prometheus: a failed write exits 1" test "$RC" = 1
mk_empty
run status --prometheus
check "status --prometheus: not loaded exits 0 (dmabuf_revoke_loaded 0 is the news)" test "$RC" = 0
check "status --prometheus: not loaded is exactly loaded 0 and the modules" prom_ok '{
 "dmabuf_revoke_loaded": 0,
 "dmabuf_revoke_module_loaded{module=\"dmabuf_revoke\"}": 0,
 "dmabuf_revoke_module_loaded{module=\"dmabuf_revoke_livepatch\"}": 0,
 "dmabuf_revoke_module_loaded{module=\"dmabuf_revoke_exporter\"}": 0,
 "dmabuf_revoke_module_loaded{module=\"dmabuf_revoke_importer\"}": 0}' --exact

# --- policy / strict ---------------------------------------------------------
mk_loaded
t "policy get" 0 out "^enforce\$" -- policy get
tj "policy get --json is valid JSON" policy get --json
check "policy get --json value" jq_py 'j=={"policy":"enforce"}'
t "policy set audit" 0 -- policy set audit
check_eq_file() { [ "$(content "$1")" = "$2" ]; }
check "policy set wrote the parameter" check_eq_file "$P/policy" audit
for bad in bogus Enforce "" "enforce enforce" offf; do
	t "policy set '$bad' refused with exit 2" 2 err "is not one of off, audit, enforce" -- policy set "$bad"
done
check "policy unchanged after bad values" check_eq_file "$P/policy" audit
t "policy set without value" 2 err "missing value" -- policy set
t "policy set with two values" 2 err "one value only" -- policy set off audit
t "policy without subcommand" 2 err "missing 'get' or 'set'" -- policy
t "policy unknown subcommand" 2 err "unknown subcommand 'show'" -- policy show
t "policy get with an operand" 2 err "unexpected 'x'" -- policy get x
t "policy set --json refused" 2 err "no --json output" -- policy set --json off
t "strict get" 0 out "^N\$" -- strict get
run strict get --json
check "strict get --json is a boolean" jq_py 'j=={"strict":False}'
t "strict set Y" 0 -- strict set Y
check "strict set wrote Y" check_eq_file "$P/strict" Y
t "strict set 0 writes N" 0 -- strict set 0
check "strict set 0 wrote N" check_eq_file "$P/strict" N
t "strict set maybe refused" 2 err "'maybe' is not Y or N" -- strict set maybe
# The kernel's EINVAL: a file whose write(2) fails with EINVAL.
ln -sf /proc/self/oom_score_adj "$P/policy"
t "kernel EINVAL reported clearly (exit 1)" 1 err "policy: the kernel refused 'off' \\(Invalid argument\\); nothing was changed.*dmesg" -- policy set off
ln -sf /dev/full "$P/deny"
t "kernel ENOSPC: list is full" 1 err "the list is full" -- deny add x
mk_loaded
# As root, file modes do not apply: run the CLI as uid/gid 65534 instead.
chmod 444 "$P/policy"
if [ "$(id -u)" = 0 ]; then
	AS=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all)
	chmod 755 "$T"
fi
t "permission denied says root is needed" 1 err "policy: permission denied: changing the policy needs root" \
	-- policy set off
check "and the policy file is unchanged" check_eq_file "$P/policy" enforce
AS=()
chmod 700 "$T"
mk_empty
t "policy get when not loaded exits 3" 3 err "dmabuf_revoke is not loaded" -- policy get
t "policy set when not loaded exits 3" 3 err "not loaded" -- policy set off
t "bad value is checked before loaded-ness (exit 2)" 2 -- policy set bogus

# --- deny / allow ------------------------------------------------------------
mk_loaded
t "deny add two entries" 0 -- deny add foo_notify mod:ib-core
check "deny add wrote one edit, module name normalised" check_eq_file "$P/deny" "+foo_notify +mod:ib_core"
t "deny add sym:NAME" 0 -- deny add sym:bar.cold
check "sym: prefix stored as the bare symbol" check_eq_file "$P/deny" "+bar.cold"
put "$P/deny" "x"
for bad in a/b "a b" a,b "" "mod:" "sym:" "mod:a.b" "$(printf 'a%.0s' $(seq 100))"; do
	t "deny add '${bad:0:20}' refused with exit 2" 2 err "invalid entry" -- deny add "$bad"
done
t "deny add +x explains the syntax" 2 err "without \\+/-" -- deny add +x
t "deny add without entry" 2 err "missing ENTRY" -- deny add
t "deny with unknown subcommand" 2 err "unknown subcommand 'set'" -- deny set x
t "deny add --json refused" 2 err "no --json output" -- deny add --json x
check "deny unchanged after bad entries" check_eq_file "$P/deny" x
put "$P/deny" "a_notify,mod:ib_core"
t "deny del of an absent entry fails (exit 1)" 1 err "'nope' is not in the list" -- deny del nope
check "and changes nothing" check_eq_file "$P/deny" "a_notify,mod:ib_core"
t "deny del present entry" 0 -- deny del mod:ib-core
check "deny del wrote a removal" check_eq_file "$P/deny" "-mod:ib_core"
put "$P/deny" "a_notify,mod:ib_core"
t "deny list" 0 out "^mod:ib_core\$" -- deny list
run deny list
check "deny list prints one entry per line" test "$OUT" = "$(printf 'a_notify\nmod:ib_core')"
tj "deny list --json is valid JSON" deny list --json
check "deny list --json value" jq_py 'j=={"deny":["a_notify","mod:ib_core"]}'
run allow list --json
check "allow list --json empty list" jq_py 'j=={"allow":[]}'
t "allow add" 0 -- allow add dbr_imp_stub_move_notify
check "allow add wrote the allow parameter" check_eq_file "$P/allow" "+dbr_imp_stub_move_notify"
t "deny clear" 0 -- deny clear
check "deny clear wrote an empty list" check_eq_file "$P/deny" ""
t "deny clear takes no operand" 2 err "unexpected 'x'" -- deny clear x
mk_empty
t "deny list when not loaded exits 3" 3 err "not loaded" -- deny list
t "deny add bad entry when not loaded still exit 2" 2 -- deny add a/b

# --- list ----------------------------------------------------------------------
mk_loaded
t "list prints the table header" 0 out "^BUFFER +EXPORTER +SIZE +GUARDED +STATE +STALE" -- list
t "list prints a buffer row" 0 out "^00000000e5f60718 +vfio_pci_core +4096 +no +revoked +1\$" -- list
t "list prints an attachment row" 0 out "^  0000000011112222 +dmabuf_revoke_importer +revocable +1 dbr_imp_compliant_move_notify \\[dmabuf_revoke_importer\\]\$" -- list
t "list prints an attachment without callback" 0 out "^  0000000033334444 .* legacy +1 -\$" -- list
t "list counts" 0 out "^2 buffers, 3 attachments\$" -- list
tj "list --json is valid JSON" list --json
check "list --json structure" jq_py \
	'len(j["buffers"])==2 and j["buffers"][0]["size"]==16384 and j["buffers"][0]["guarded"] is True and len(j["buffers"][0]["attachments"])==2 and j["buffers"][0]["attachments"][1]["callback"] is None and j["buffers"][1]["attachments"][0]["callback_module"]=="ib_core" and j["buffers"][1]["state"]=="revoked"'
: >"$D/buffers"
t "list with no buffers" 0 out "^0 buffers, 0 attachments\$" -- list
run list --json
check "list --json with no buffers" jq_py 'j=={"buffers":[]}'
printf 'buffer 0 exporter=x size=1 guarded=1 state=live stale=0\nwhat is this\n' >"$D/buffers"
t "list with an unparsable line exits 1" 1 err "cannot parse line 2" -- list
rm -rf "$D"
t "list without the debugfs directory: debugfs not mounted (exit 3)" 3 err "is debugfs mounted" -- list
mk_empty
t "list when not loaded exits 3" 3 err "not loaded" -- list

# --- enable / disable ----------------------------------------------------------
mk_empty
t "enable --policy bogus" 2 err "policy 'bogus' is not one of" -- enable --policy bogus
t "enable --backend foo" 2 err "backend 'foo' is not kprobe or livepatch" -- enable --backend foo
t "enable --policy without value" 2 err "needs a value" -- enable --policy
t "enable with an operand" 2 err "unexpected 'now'" -- enable now
t "enable --backend livepatch without CONFIG_LIVEPATCH (exit 3)" 3 err "CONFIG_LIVEPATCH" -- enable --backend livepatch
t "enable never loads a module under a fake root (exit 3)" 3 err "not loading a module while DMABUF_REVOKE_SYSROOT" -- enable
mk_loaded
t "enable when loaded applies the policy through sysfs" 0 out "already loaded; policy applied" -- enable --policy audit --strict
check "enable wrote policy" check_eq_file "$P/policy" audit
check "enable wrote strict" check_eq_file "$P/strict" Y
t "enable when loaded prints the result" 0 out "^enabled: policy=audit strict=Y hook=-\$" -- enable -p audit
t "disable --timeout abc" 2 err "not a number of seconds" -- disable --timeout abc
t "disable --timeout -1" 2 err "not a number of seconds" -- disable --timeout -1
t "disable with an operand" 2 err "unexpected 'x'" -- disable x
mk_empty
t "disable with nothing loaded is not an error" 0 out "nothing to do" -- disable
mk_loaded
mkdir -p "$R/sys/module/dmabuf_revoke_livepatch"
put "$R/sys/module/dmabuf_revoke_livepatch/initstate" live
L=$R/sys/kernel/livepatch/dmabuf_revoke_livepatch
put "$L/enabled" 1
put "$L/transition" 1
SECONDS=0
t "disable: livepatch transition timeout (exit 1)" 1 err "transition is still running after 1 s" -- disable --timeout 1
check "disable waited about the timeout" test "$SECONDS" -le 3
check "disable wrote 0 to the livepatch's enabled" check_eq_file "$L/enabled" 0
put "$L/transition" 0
t "disable: never removes a module under a fake root (exit 3)" 3 err "not removing a module while DMABUF_REVOKE_SYSROOT" -- disable

# --- selftest --------------------------------------------------------------------
t "selftest takes no operands" 2 err "unexpected 'x'" -- selftest x
mk_empty
t "selftest cannot load modules under a fake root (exit 3)" 3 err "not loading a module" -- selftest
mk_loaded
for m in dmabuf_revoke_exporter dmabuf_revoke_importer; do put "$R/sys/module/$m/initstate" live; done
t "selftest without the test devices exits 3" 3 err "cannot open .*/dev/dmabuf_revoke_exporter" -- selftest
: >"$R/dev/dmabuf_revoke_exporter"
: >"$R/dev/dmabuf_revoke_importer"
put "$P/policy" audit
t "selftest on devices that do not answer: FAIL, exit 1" 1 out "^FAIL enforce: legacy import refused" -- selftest
check "selftest prints a summary" grep -qE '^selftest: 0 passed, 6 failed$' <<<"$OUT"
check "selftest never writes the global policy" check_eq_file "$P/policy" audit
check "selftest's last exporters edit removes the test exporter's entry" \
	check_eq_file "$P/exporters" "-dmabuf_revoke_exporter"

# --- the command table: help, man page, completion -------------------------------
# Every command of the table (--commands) answers --help, is in the
# generated top-level help and has an entry in the man page's COMMANDS.
run --commands
CMDS=$(cut -d' ' -f1 <<<"$OUT")
check "--commands lists the commands (exit 0, status first)" \
	sh -c '[ "$1" = 0 ] && [ "$(printf "%s\n" "$2" | head -n1)" = status ]' _ "$RC" "$CMDS"
MAN=$(sed -n '/^\.SH COMMANDS/,/^\.SH OPTIONS/p' "$TOP/src/cli/dmabuf-revokectl.8")
run --help
HELP=$OUT
for c in $CMDS; do
	t "$c --help: usage, exit 0" 0 out "^Usage: dmabuf-revokectl $c" -- "$c" --help
	check "$c is in the top-level help" grep -qE "^  $c( |\$)" <<<"$HELP"
	check "$c has an entry in the man page's COMMANDS" \
		grep -qE "^\.BR? \"?$c( |\"|\$)" <<<"$MAN"
done
# complete WORDS...: COMPREPLY of the bash completion for the command line
# WORDS (the last one is being completed), with our binary first in PATH.
complete_line() {
	# shellcheck disable=SC2016
	PATH=$(dirname "$CLI"):$PATH DMABUF_REVOKE_SYSROOT=$R bash -c '
		. "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		_dmabuf_revokectl
		echo "${COMPREPLY[*]}"' _ "$TOP/src/cli/dmabuf-revokectl.bash-completion" \
		dmabuf-revokectl "$@"
}
check "completion: 'po' -> policy" test "$(complete_line po)" = policy
check "completion: every command from ''" test "$(complete_line '')" = "$(echo $CMDS)"
check "completion: 'policy s' -> set" test "$(complete_line policy s)" = set
check "completion: 'deny ' -> list add del clear" test "$(complete_line deny '')" = "list add del clear"
check "completion: 'enable --b' -> --backend" test "$(complete_line enable --b)" = --backend
check "completion: '--j' -> --json" test "$(complete_line --j)" = --json

# --- the real system, read only ------------------------------------------------
OUT=$("$CLI" status 2>"$T/err"); RC=$?; ERR=$(cat "$T/err")
real_ok() {
	{ [ "$RC" = 0 ] || [ "$RC" = 3 ]; } && grep -q '^  dmabuf_revoke_importer ' <<<"$OUT" &&
		! grep -qE 'AddressSanitizer|LeakSanitizer|runtime error' <<<"$ERR"
}
check "status on the real system (libkmod) exits 0 or 3 and lists the modules" real_ok

echo "1..$N"
exit $FAILED
