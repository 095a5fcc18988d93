#!/bin/sh
# dmabuf-revokectl, the real binary (libkmod, dynamically linked) in the
# guest: status before and after loading, enable/disable through libkmod,
# the knobs through sysfs, usage errors (exit 2) that change nothing, the
# kernel's own refusals (exit 1), an unprivileged user's writes refused
# (exit 1, nothing changed), --json, list, selftest.
. /tests/ktap.sh
. /tests/helpers.sh
CLI=dmabuf-revokectl
VER=$(cat /tests/expected/dmabuf_revoke.version)
REL=$(cat /tests/expected/release)
# The livepatch part has 4 results where the module exists, else 2.
LP=2
[ -d /sys/kernel/livepatch ] && [ -f "/lib/modules/$REL/extra/dmabuf_revoke_livepatch.ko" ] && LP=4
ktap_plan $((70 + LP))
# rc CMD...: CMD's exit status; its stdout and stderr land in /tmp/cli.out.
rc() { "$@" >/tmp/cli.out 2>&1; echo $?; }
has() { grep -q -- "$1" /tmp/cli.out; }
diag_out() { while IFS= read -r l; do ktap_diag "$l"; done </tmp/cli.out; }

for m in dmabuf_revoke_importer dmabuf_revoke_exporter dmabuf_revoke; do
	modprobe -r $m 2>/dev/null
done

# --- runs at all, not loaded -------------------------------------------------
check_eq "the CLI runs (shared libraries and loader staged)" "$(rc $CLI --version)" 0
check_eq "--version is the modules' version" "$(cat /tmp/cli.out)" "dmabuf-revokectl $VER"
check_eq "status before loading exits 3" "$(rc $CLI status)" 3
check "status says not loaded" grep -qE '^  dmabuf_revoke +not loaded' /tmp/cli.out
check "libkmod finds the installed module in extra/ (modules.dep)" \
	grep -qE "^  dmabuf_revoke +not loaded +$VER \(installed\)" /tmp/cli.out
check_eq "policy get before loading exits 3" "$(rc $CLI policy get)" 3
check "and says how to load it" has "run 'dmabuf-revokectl enable'"

# --- enable ------------------------------------------------------------------
mkdir -p /etc/modprobe.d
echo "options dmabuf_revoke policy=bogus" >/etc/modprobe.d/dbr-test.conf
check_eq "modprobe.d option the kernel refuses: exit 1" "$(rc $CLI enable)" 1
check "explained as a refused parameter" has "refused a module parameter"
rm -f /etc/modprobe.d/dbr-test.conf
check_eq "enable --policy audit" "$(rc $CLI enable --policy audit)" 0
check "dmabuf_revoke loaded" [ -d /sys/module/dmabuf_revoke ]
check_eq "loaded with policy=audit" "$(cat $P/policy)" audit
check_eq "status after loading exits 0" "$(rc $CLI status)" 0
check "status: module live with its version" grep -qE "^  dmabuf_revoke +live +$VER\$" /tmp/cli.out
check "status: policy audit" grep -qE '^  policy +audit$' /tmp/cli.out
if have HAVE_DMA_BUF_ATTACH_REVOCABLE; then want=yes; else want=no; fi
check "status: upstream enforcement $want (conftest)" \
	grep -q "upstream enforcement (dma_buf_attach_revocable): $want" /tmp/cli.out
check_eq "enable when loaded applies the policy" "$(rc $CLI enable --policy enforce --strict)" 0
check_eq "policy and strict applied through sysfs" "$(cat $P/policy)/$(cat $P/strict)" enforce/Y

# --- policy / strict -----------------------------------------------------------
check_eq "strict set N" "$(rc $CLI strict set N)" 0
check_eq "strict get" "$($CLI strict get)" N
check_eq "policy set off" "$(rc $CLI policy set off)" 0
check_eq "policy get" "$($CLI policy get)" off
check_eq "the kernel parameter changed" "$(cat $P/policy)" off
check_eq "policy set bogus: exit 2" "$(rc $CLI policy set bogus)" 2
check "says what is allowed" has "is not one of off, audit, enforce"
check_eq "strict set maybe: exit 2" "$(rc $CLI strict set maybe)" 2
check_eq "unknown command: exit 2" "$(rc $CLI frobnicate)" 2
check_eq "unknown option: exit 2" "$(rc $CLI policy get --frob)" 2
check_eq "policy unchanged by the bad calls" "$(cat $P/policy)" off

# --- an unprivileged user (uid/gid 65534, no capabilities) --------------------
NOBODY="dbr_asuser 65534"
check_eq "dbr_asuser runs commands as uid/gid 65534" "$($NOBODY id -u):$($NOBODY id -g)" 65534:65534
check_eq "as uid 65534: policy get still works (reading needs no root)" \
	"$(rc $NOBODY $CLI policy get)/$(cat /tmp/cli.out)" 0/off
check_eq "as uid 65534: policy set enforce refused, exit 1" "$(rc $NOBODY $CLI policy set enforce)" 1
diag_out
check "explained: permission denied, needs root" \
	has "policy: permission denied: changing the policy needs root"
check_eq "as uid 65534: strict set Y refused (exit 1)" "$(rc $NOBODY $CLI strict set Y)" 1
check_eq "as uid 65534: enable --policy enforce refused (exit 1)" \
	"$(rc $NOBODY $CLI enable --policy enforce)" 1
diag_out
check_eq "the unprivileged calls changed nothing" "$(cat $P/policy)/$(cat $P/strict)" off/N

# --- deny ----------------------------------------------------------------------
check_eq "deny add two entries" "$(rc $CLI deny add foo_notify mod:ib-core)" 0
check_eq "kernel deny list" "$(cat $P/deny)" "foo_notify,mod:ib_core"
check_eq "deny list" "$($CLI deny list | tr '\n' ' ')" "foo_notify mod:ib_core "
check_eq "deny list --json" "$($CLI deny list --json)" '{"deny":["foo_notify","mod:ib_core"]}'
check_eq "deny add a/b: exit 2" "$(rc $CLI deny add a/b)" 2
check_eq "deny del" "$(rc $CLI deny del foo_notify)" 0
check_eq "kernel deny list after del" "$(cat $P/deny)" "mod:ib_core"
check_eq "deny del of an absent entry: exit 1" "$(rc $CLI deny del foo_notify)" 1
many=
i=0
while [ $i -lt 40 ]; do many="$many n$i"; i=$((i + 1)); done
check_eq "deny add past the kernel's limit: exit 1" "$(rc $CLI deny add $many)" 1
check "explained: the list is full" has "the list is full"
check_eq "and nothing changed" "$(cat $P/deny)" "mod:ib_core"
check_eq "deny clear" "$(rc $CLI deny clear)" 0
check_eq "kernel deny list empty" "$(cat $P/deny)" ""

# --- JSON (no python in the guest: the keys) -------------------------------------
check_eq "status --json exits 0" "$(rc $CLI --json status)" 0
for key in '"modules":{' '"dmabuf_revoke":{"loaded":true' '"policy":"off"' '"strict":false' \
	'"hook":{' '"counters":{' '"attach_refused":[0-9]' '"kernel_attach_revocable":'; do
	check "status --json has $key" grep -q "$key" /tmp/cli.out
done
check "status --json is one object on one line" \
	sh -c '[ "$(wc -l </tmp/cli.out)" = 1 ] && grep -qE "^\{.*\}$" /tmp/cli.out'
check_eq "policy get --json" "$($CLI policy get --json)" '{"policy":"off"}'
check_eq "list exits 0" "$(rc $CLI list)" 0
check "list --json" sh -c "$CLI list --json | grep -qE '^\{\"buffers\":\[.*\]\}$'"

# --- selftest ------------------------------------------------------------------
$CLI policy set audit
check_eq "selftest exits 0" "$(rc $CLI selftest)" 0
diag_out
check "selftest: every case PASS" sh -c '! grep -q "^FAIL" /tmp/cli.out && grep -q "^PASS" /tmp/cli.out'
check "selftest: test modules unloaded" \
	sh -c '[ ! -d /sys/module/dmabuf_revoke_exporter ] && [ ! -d /sys/module/dmabuf_revoke_importer ]'
check_eq "selftest: policy restored" "$(cat $P/policy)" audit

# --- livepatch backend -----------------------------------------------------------
if [ ! -d /sys/kernel/livepatch ]; then
	check_eq "enable --backend livepatch without CONFIG_LIVEPATCH: exit 3" \
		"$(rc $CLI enable --backend livepatch)" 3
	check "explained" has "CONFIG_LIVEPATCH"
elif [ ! -f "/lib/modules/$REL/extra/dmabuf_revoke_livepatch.ko" ]; then
	check_eq "enable --backend livepatch, module not built: exit 3" \
		"$(rc $CLI enable --backend livepatch)" 3
	check "explained: not installed for this kernel" has "not installed for kernel $REL"
else
	$CLI enable >/dev/null
	check_eq "enable --backend livepatch over a kprobe shim: exit 1" \
		"$(rc $CLI enable --backend livepatch)" 1
	check "explained: disable first" has "run 'dmabuf-revokectl disable' first"
	$CLI disable >/dev/null
	check_eq "enable --backend livepatch" "$(rc $CLI enable --backend livepatch)" 0
	check_eq "livepatch enabled" "$(cat /sys/kernel/livepatch/dmabuf_revoke_livepatch/enabled)" 1
fi

# --- disable -----------------------------------------------------------------------
check_eq "disable" "$(rc $CLI disable)" 0
diag_out
check "everything unloaded" sh -c '[ ! -d /sys/module/dmabuf_revoke ] && [ ! -d /sys/module/dmabuf_revoke_livepatch ]'
check_eq "status after disable exits 3" "$(rc $CLI status)" 3
check_eq "disable with nothing loaded exits 0" "$(rc $CLI disable)" 0
ktap_done
