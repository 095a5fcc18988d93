#!/bin/sh
# Watching revocations of tracked buffers (the test exporter; every kernel),
# tracked both ways: by the exporter's calls, and by the hook alone, as the
# hook tracks vfio-pci's buffers (82-vfio-watch, 6.19+ only):
# the tracepoints in tracefs (events/dmabuf_revoke), the watchdog that names
# an importer still mapped stale_timeout_ms after a revoke began, its knob
# and its counter (stale_named). The exporter's revoke waits for unmaps
# (--revoke-wait), as vfio-pci's does on 7.2+ without a bound.
. /tests/ktap.sh
. /tests/helpers.sh
ktap_plan 26
[ -d /sys/kernel/tracing/events ] || mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
# A trace instance of our own: clearing the global buffer would lose what
# other readers keep there (the debug kernel's record of module loads).
T=/sys/kernel/tracing/instances/dbr_watch
mkdir -p $T 2>/dev/null
E=$T/events/dmabuf_revoke

modprobe dmabuf_revoke_exporter && modprobe dmabuf_revoke_importer
check "test modules loaded" [ -c /dev/dmabuf_revoke_importer ]
check "tracepoints registered: dbr_attach_verdict, dbr_revoke, dbr_unmapped, dbr_stale" \
	sh -c "[ -d $E/dbr_attach_verdict ] && [ -d $E/dbr_revoke ] && [ -d $E/dbr_unmapped ] && [ -d $E/dbr_stale ]"
check_eq "stale_timeout_ms defaults to 1000" "$(cat $P/stale_timeout_ms)" 1000

# --- the knob refuses what it does not document -------------------------
for v in 50 3600001 abc; do
	check "stale_timeout_ms=$v refused (EINVAL)" sh -c "! echo $v >$P/stale_timeout_ms 2>/dev/null"
done
check_eq "and unchanged" "$(cat $P/stale_timeout_ms)" 1000
check "and the log says what is accepted" \
	sh -c "dmesg | grep -q \"dmabuf_revoke: stale_timeout_ms: 'abc' is not 0 (watchdog off) or 100..3600000\""

# newlog: kernel log lines since the mark; events: the trace since the mark.
mark() { LOG0=$(dmesg | wc -l); echo >$T/trace; n0=$(cat $C/stale_named); }
newlog() { dmesg | tail -n +$((LOG0 + 1)); }
named() { echo $(($(cat $C/stale_named) - n0)); }

echo 300 >$P/stale_timeout_ms
setpol enforce
echo 1 >$E/enable

# --- a stub keeps its mapping: named while the exporter still waits -------
mark
check "stub: attached and mapped; still mapped when the exporter gave up (3 s)" \
	dbr_scenario attach stub --revoke-wait 3000 --expect 0 --stale 1
line=$(newlog | grep 'dmabuf_revoke: stale: dmabuf_revoke_exporter buffer ' | grep 'still mapped' | head -n1)
ktap_diag "${line:-no watchdog line}"
check "the watchdog names the importer's callback and module" \
	sh -c "echo '$line' | grep -q 'importer dbr_imp_stub_cb \[dmabuf_revoke_importer\] (device dmabuf_revoke_importer) still mapped [0-9]* ms after the revoke'"
ms=$(echo "$line" | sed -n 's/.* still mapped \([0-9]*\) ms after.*/\1/p')
check "first named after stale_timeout_ms and within 2 s (${ms:-?} ms)" \
	sh -c "[ '${ms:-0}' -ge 300 ] && [ '${ms:-0}' -lt 2000 ]"
check "and again, later, while it lasts" \
	sh -c "[ \$(dmesg | tail -n +$((LOG0 + 1)) | grep -c 'stale: .*dbr_imp_stub_cb.* still mapped') -ge 2 ]"
check_eq "stale_named counts the attachment once" "$(named)" 1
check "the log says when it ended (the exporter restored the buffer)" \
	sh -c "dmesg | tail -n +$((LOG0 + 1)) | grep -q 'stale: .*dbr_imp_stub_cb.* kept its mapping until the restore, [0-9]* ms after the revoke'"
check "trace: dbr_attach_verdict of the stub (revocable, allow)" \
	grep -q 'dbr_attach_verdict: exporter=dmabuf_revoke_exporter .* callback=dbr_imp_stub_cb.* class=revocable verdict=allow' $T/trace
check "trace: dbr_revoke with one mapped attachment, then dbr_stale naming it" \
	sh -c "grep -q 'dbr_revoke: exporter=dmabuf_revoke_exporter .* mapped_attachments=1' $T/trace &&
		grep -q 'dbr_stale: exporter=dmabuf_revoke_exporter .* importer=\"dbr_imp_stub_cb \[dmabuf_revoke_importer\]\" ms=' $T/trace"

# --- a compliant importer unmaps in its callback: no watchdog -------------
mark
check "compliant: mapped, nothing stale" \
	dbr_scenario attach compliant --revoke-wait 3000 --expect 0 --stale 0
check "trace: dbr_unmapped for it within the revoke (before stale_timeout_ms)" \
	sh -c "ms=\$(sed -n 's/.*dbr_unmapped: .*importer=\"dbr_imp_compliant_cb.* ms=\([0-9]*\).*/\1/p' $T/trace | head -n1);
		[ -n \"\$ms\" ] && [ \"\$ms\" -lt 300 ]"
check "compliant: no watchdog line, no count" \
	sh -c "[ $(named) = 0 ] && ! dmesg | tail -n +$((LOG0 + 1)) | grep -q 'dmabuf_revoke: stale:'"

# --- the same through the hook: the exporter does not call us -------------
# An untracked buffer (--hooked) of an exporter in exporters=: the hook
# guards it and probe_track.c records its attach, maps and revoke. The
# buffers table is read while the exporter still waits for the stub.
ex0=$(cat $P/exporters)
echo dmabuf_revoke_exporter >$P/exporters
mark
r0=$(cat $C/revocations)
dbr_scenario attach stub --hooked --revoke-wait 3000 --expect 0 --stale 1 &
pid=$!
: >/tmp/79.buf
i=0
while [ $i -lt 50 ]; do
	if grep -q 'tracked=hook' $D/buffers && grep -q 'state=revoked' $D/buffers; then
		cat $D/buffers >/tmp/79.buf
		break
	fi
	sleep 0.1
	i=$((i + 1))
done
wait $pid
check_eq "hooked stub: attached and mapped; still mapped when the exporter gave up (exit)" "$?" 0
while IFS= read -r line; do ktap_diag "buffers: $line"; done </tmp/79.buf
check "buffers: tracked by the hook, revoked, the stub's attachment mapped" \
	sh -c "grep -q '^buffer .* exporter=dmabuf_revoke_exporter .*guarded=0 state=revoked .*tracked=hook' /tmp/79.buf &&
		grep -q '^  attachment .* class=revocable mapped=1 callback=dbr_imp_stub_cb' /tmp/79.buf"
check "the watchdog names the importer of the hooked buffer" \
	sh -c "dmesg | tail -n +$((LOG0 + 1)) | grep -q 'stale: dmabuf_revoke_exporter buffer .*importer dbr_imp_stub_cb \[dmabuf_revoke_importer\] (device dmabuf_revoke_importer) still mapped [0-9]* ms after the revoke'"
check_eq "revocations counts the hooked revoke once" "$(($(cat $C/revocations) - r0))" 1
check "and the table forgets the buffer with its last detach" \
	sh -c "! grep -q 'tracked=hook' $D/buffers"
echo "$ex0" >$P/exporters

# --- stale_timeout_ms=0: the watchdog is off ---------------------------------
echo 0 >$P/stale_timeout_ms
mark
dbr_scenario attach stub --revoke-wait 1000 --expect 0 --stale 1
rc=$?
check "off: a stale stub is not named (its stale mapping is still counted)" \
	sh -c "[ $rc = 0 ] && [ $(named) = 0 ] && ! dmesg | tail -n +$((LOG0 + 1)) | grep -q 'dmabuf_revoke: stale:.*still mapped'"

echo 0 >$E/enable
rmdir $T 2>/dev/null
echo 1000 >$P/stale_timeout_ms
modprobe -r dmabuf_revoke_importer dmabuf_revoke_exporter dmabuf_revoke
check "modules unload (the watchdog's work is cancelled)" [ ! -d /sys/module/dmabuf_revoke ]
ktap_done
