#!/bin/sh
# dmabuf_revoke knobs: module parameters at modprobe time equal the runtime
# values; runtime writes work; every bad value is refused with -EINVAL and a
# message and changes nothing; state files are read-only, knobs root-only.
. /tests/ktap.sh
ktap_plan 45
P=/sys/module/dmabuf_revoke/parameters
S=/sys/kernel/dmabuf_revoke
D=/sys/kernel/debug/dmabuf_revoke

# write FILE VALUE: like `echo VALUE > FILE`, exit status of the write.
write() { printf '%s\n' "$2" 2>/dev/null >"$1"; }
mode() { stat -c %a "$1"; }

check "bad policy at modprobe time is refused" sh -c '! modprobe dmabuf_revoke policy=bogus'
check "and says why" sh -c "dmesg | grep -q \"dmabuf_revoke: policy: 'bogus' is not one of off, audit, enforce\""
check "module is not left loaded" [ ! -d /sys/module/dmabuf_revoke ]
check "bad deny entry at modprobe time is refused" sh -c '! modprobe dmabuf_revoke deny=a/b'

check "modprobe with every knob" modprobe dmabuf_revoke policy=audit strict=Y \
	deny=foo_notify,mod:bar allow=baz exporters=exp_a,exp_b
check_eq "policy param" "$(cat $P/policy)" audit
check_eq "strict param" "$(cat $P/strict)" Y
check_eq "deny param" "$(cat $P/deny)" "foo_notify,mod:bar"
check_eq "allow param" "$(cat $P/allow)" baz
check_eq "exporters param" "$(cat $P/exporters)" "exp_a,exp_b"
modprobe -r dmabuf_revoke

check "modprobe with defaults" modprobe dmabuf_revoke
check_eq "default policy" "$(cat $P/policy)" enforce
check_eq "default strict" "$(cat $P/strict)" N
check_eq "default deny list is empty" "$(cat $P/deny)" ""
check_eq "default exporters" "$(cat $P/exporters)" vfio_pci_core
check_eq "version file" "$(cat $S/version)" "$(cat /tests/expected/dmabuf_revoke.version)"

for f in policy strict deny allow exporters; do
	check_eq "$f is writable by root only" "$(mode $P/$f)" 644
done
# The one list the CLI and the ABI doc use (include/dmabuf_revoke_*.h).
check_eq "counters/: exactly the files of dmabuf_revoke_counters.h" \
	"$(ls $S/counters | sort | xargs)" "$(sort /tests/expected/counters | xargs)"
check_eq "hook/: exactly the files of dmabuf_revoke_hook_files.h" \
	"$(ls $S/hook | sort | xargs)" "$(sort /tests/expected/hook-files | xargs)"
check_eq "parameters/: exactly the knobs of dmabuf_revoke_knobs.h" \
	"$(ls $P | sort | xargs)" "$(sort /tests/expected/knobs | xargs)"
check_eq "counters are read-only" "$(stat -c %a $S/counters/attach_refused)" 444
check_eq "counters start at 0" "$(cat $S/counters/*| sort -u)" 0

check "policy off" write $P/policy off
check_eq "policy reads off" "$(cat $P/policy)" off
write $P/policy audit
for bad in "" bogus "Enforce" "enforce enforce" "offf"; do
	check "policy '$bad' refused" sh -c "! printf '%s\n' '$bad' 2>/dev/null >$P/policy"
done
check_eq "policy unchanged after bad writes" "$(cat $P/policy)" audit
check "strict bad value refused" sh -c "! echo maybe 2>/dev/null >$P/strict"
check_eq "strict unchanged" "$(cat $P/strict)" N

check "deny edits: add two" write $P/deny "+a_notify +mod:ib_core"
check "deny edits: remove one" write $P/deny "-a_notify"
check_eq "deny after edits" "$(cat $P/deny)" "mod:ib_core"
check "deny: removing an absent entry refused" sh -c "! printf '%s\n' -nope 2>/dev/null >$P/deny"
check "deny: mixing edit forms refused" sh -c "! printf '%s\n' '+x y' 2>/dev/null >$P/deny"
check_eq "deny unchanged after bad writes" "$(cat $P/deny)" "mod:ib_core"
check "bad write says why" sh -c "dmesg | grep -q 'dmabuf_revoke: deny: not in the list'"

check "debugfs tables readable" sh -c "cat $D/buffers $D/registry $D/policy >/dev/null"
check "debugfs registry shows the built-in RDMA deny entry" \
	grep -q '^builtin-deny ib_umem_dmabuf_unsupported_move_notify$' $D/registry

modprobe -r dmabuf_revoke
ktap_done
