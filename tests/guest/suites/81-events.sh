#!/bin/sh
# The event ring (debugfs dmabuf_revoke/events; every kernel): the last 256
# attach verdicts, revokes, unmaps and stale namings with increasing
# sequence numbers, whether or not anyone traces; `dmabuf-revokectl events`
# and `events --follow`; the ring wrapping under attaches the kprobe hook
# classifies (the writer in the probe handler).
. /tests/ktap.sh
. /tests/helpers.sh
CLI=dmabuf-revokectl
EV=$D/events
RING=256
ktap_plan 23

last_seq() { sed -n '1s/^# size=[0-9]* last_seq=\([0-9]*\) dropped=.*/\1/p' $EV; }
# since SEQ: the event lines after SEQ, oldest first.
since() { awk -v s="$1" '/^seq=/ { split($1, a, "="); if (a[2] + 0 > s + 0) print }' $EV; }
# contiguous: the sequence numbers on stdin go up by exactly 1 each line.
contiguous() {
	awk '{ split($1, a, "="); if (NR > 1 && a[2] != p + 1) bad = 1; p = a[2] } END { exit bad || !NR }'
}

modprobe dmabuf_revoke_exporter && modprobe dmabuf_revoke_importer
check "events file in debugfs, a ring of $RING" \
	sh -c "head -n1 $EV | grep -qx '# size=$RING last_seq=[0-9]* dropped=0'"

# --- one stub (named stale) and one compliant importer (unmaps in time) ------
echo 300 >$P/stale_timeout_ms
setpol enforce
L0=$(last_seq)
dbr_scenario attach stub --revoke-wait 1500 --expect 0 --stale 1
stub=$?
dbr_scenario attach compliant --revoke-wait 1500 --expect 0 --stale 0
check_eq "stub stale and compliant not when the exporter stopped waiting (exits)" "$stub/$?" 0/0
since "$L0" >/tmp/ev.new
while IFS= read -r l; do ktap_diag "$l"; done </tmp/ev.new
IMP_STUB='importer="dbr_imp_stub_cb \[dmabuf_revoke_importer\]"'
IMP_COMP='importer="dbr_imp_compliant_cb \[dmabuf_revoke_importer\]"'
X='exporter="dmabuf_revoke_exporter" dmabuf=[0-9a-f]* ino=[1-9][0-9]*'
check "attach verdict of the stub: callback and module, class, verdict" \
	grep -q "kind=attach $X $IMP_STUB class=revocable verdict=allow\$" /tmp/ev.new
check "revoke of the stub's buffer with one mapped attachment" \
	grep -q "kind=revoke $X mapped=1\$" /tmp/ev.new
stale=$(grep "kind=stale $X attachment=[0-9a-f]* $IMP_STUB ms=" /tmp/ev.new | head -n1)
ms=$(echo "$stale" | sed -n 's/.* ms=\([0-9]*\)$/\1/p')
check "stale: the watchdog named the stub after stale_timeout_ms (${ms:-none} ms)" \
	sh -c "[ '${ms:-0}' -ge 300 ] && [ '${ms:-0}' -lt 2000 ]"
ino() { echo "$1" | sed -n 's/.* ino=\([0-9]*\) .*/\1/p'; }
rev=$(grep "kind=revoke" /tmp/ev.new | head -n1)
check "stale names the revoked buffer (same inode)" \
	sh -c "[ -n '$(ino "$stale")' ] && [ '$(ino "$stale")' = '$(ino "$rev")' ]"
check "attach verdict of the compliant importer (registered: allowed)" \
	grep -q "kind=attach $X $IMP_COMP class=allowed verdict=allow\$" /tmp/ev.new
ms=$(sed -n "s/.*kind=unmapped $X attachment=[0-9a-f]* $IMP_COMP ms=\([0-9]*\)\$/\1/p" /tmp/ev.new | head -n1)
check "unmapped: the compliant importer let go inside the revoke (${ms:-none} ms)" \
	sh -c "[ -n '$ms' ] && [ '$ms' -lt 300 ]"
check "no stale event for the compliant importer" sh -c "! grep -q 'kind=stale.*dbr_imp_compliant_cb' /tmp/ev.new"
in_order() {
	head -n1 /tmp/ev.new | grep -q "^seq=$((L0 + 1)) " && contiguous </tmp/ev.new &&
		awk '{ split($2, a, "="); if (NR > 1 && a[2] + 0 < p) bad = 1; p = a[2] + 0 } END { exit bad }' /tmp/ev.new
}
check "sequence numbers go up by one from the last seen, timestamps do not go back" in_order

# --- the CLI ------------------------------------------------------------------
$CLI events >/tmp/ev.cli 2>&1
rc=$?
check_eq "dmabuf-revokectl events exits 0" "$rc" 0
check "and prints the stale stub and the compliant unmap" \
	sh -c "grep -qE '^ +[0-9]+ +[0-9]+\.[0-9]{6} stale +dmabuf_revoke_exporter .*$IMP_STUB ms=[0-9]+\$' /tmp/ev.cli &&
		grep -qE '^ +[0-9]+ .* unmapped +dmabuf_revoke_exporter .*$IMP_COMP' /tmp/ev.cli"
check "events --json: the same events as objects" \
	sh -c "$CLI events --json | grep -q '\"kind\":\"stale\",\"exporter\":\"dmabuf_revoke_exporter\"'"

# --- --follow sees what comes after it started, stops on SIGTERM ----------
L1=$(last_seq)
$CLI events --follow >/tmp/ev.follow 2>/tmp/ev.ferr &
F=$!
waitfor "grep -qE '^ +$L1 ' /tmp/ev.follow" 30
dbr_scenario attach compliant --expect 0 || ktap_diag "compliant import: exit $?"
# followed: the follower printed an unmap with a seq above L1.
followed() { awk -v s="$L1" '$1 + 0 > s && $3 == "unmapped" { f = 1 } END { exit !f }' /tmp/ev.follow; }
check "events --follow prints an event emitted after it started" waitfor followed 30
kill -TERM $F
waitfor "! kill -0 $F 2>/dev/null" 10
gone=$?
wait $F
rc=$?
check_eq "and exits 0 within 1 s of SIGTERM" "$gone/$rc" 0/0
[ -s /tmp/ev.ferr ] && ktap_diag "follow stderr: $(cat /tmp/ev.ferr)"

# --- wrap: more than $RING events, the attach verdicts from the kprobe hook --
# Unguarded test buffers of an exporter in exporters=: the hook classifies
# each import in its handler; each run adds attach, revoke and unmapped.
# Two writers at once (2 vCPUs) while a reader reads the file again and
# again: a slot being written must never be shown (a writer clears it
# first: a torn event would show an empty exporter, ino=0).
echo +dmabuf_revoke_exporter >$P/exporters
L2=$(last_seq)
hook_snap
imports() {
	_n=0
	while [ $_n -lt 45 ]; do
		dbr_scenario attach compliant --unguarded --expect 0 || break
		_n=$((_n + 1))
	done
	echo $_n >"$1"
}
imports /tmp/ev.n1 &
I1=$!
imports /tmp/ev.n2 &
I2=$!
: >/tmp/ev.reads
while kill -0 $I1 2>/dev/null || kill -0 $I2 2>/dev/null; do
	cat $EV >>/tmp/ev.reads
	sleep 0.1
done
wait $I1 $I2
n=$(($(cat /tmp/ev.n1) + $(cat /tmp/ev.n2)))
moved=$(hook_moved)
echo -dmabuf_revoke_exporter >$P/exporters
L3=$(last_seq)
grep '^seq=' $EV >/tmp/ev.all
check_eq "90 compliant imports, each seen by the hook" "$n/${moved%% *}" "90/hits=90"
check "more than $RING events since ($((L3 - L2)))" [ $((L3 - L2)) -gt $RING ]
check_eq "the ring holds exactly $RING" "$(wc -l </tmp/ev.all)" $RING
window() {
	contiguous </tmp/ev.all && head -n1 /tmp/ev.all | grep -q "^seq=$((L3 - RING + 1)) " &&
		tail -n1 /tmp/ev.all | grep -q "^seq=$L3 "
}
check "seq contiguous up to the last, the oldest $((L3 - RING + 1))" window
# The ring dropped the oldest $((L3 - L2 - RING)) of these events; two
# writers interleave, so any kind may be among them: each kind is there at
# least $n minus that many times, and the three kinds are the whole ring.
kinds() {
	_min=$((n - (L3 - L2 - RING)))
	_a=$(grep -c "kind=attach exporter=\"dmabuf_revoke_exporter\" .* $IMP_COMP class=allowed verdict=allow\$" /tmp/ev.all)
	_r=$(grep -c 'kind=revoke .* mapped=1$' /tmp/ev.all)
	_u=$(grep -c "kind=unmapped .* $IMP_COMP ms=" /tmp/ev.all)
	ktap_diag "in the ring: $_a attach, $_r revoke, $_u unmapped (each >= $_min, sum $RING)"
	[ "$_a" -ge $_min ] && [ "$_r" -ge $_min ] && [ "$_u" -ge $_min ] &&
		[ $((_a + _r + _u)) = $RING ]
}
check "each import's attach verdict, revoke and unmap are there" kinds
# well_formed: every line read meanwhile is the header or a whole event,
# and seq goes up within each read.
well_formed() {
	awk '
	/^# size=256 last_seq=[0-9]+ dropped=0$/ { p = 0; reads++; next }
	/^seq=[1-9][0-9]* ns=[1-9][0-9]* kind=(attach|revoke|unmapped|stale) exporter="dmabuf_revoke_exporter" dmabuf=[0-9a-f]+ ino=[1-9][0-9]* / {
		split($1, a, "=")
		if (a[2] + 0 <= p) { print "out of order: " $0; bad = 1 }
		p = a[2] + 0
		if ($0 ~ /kind=attach .* importer="(-|[a-z_]+ \[dmabuf_revoke_importer\])" class=[a-z-]+ verdict=[a-z]+$/ ||
		    $0 ~ /kind=revoke .* mapped=[0-9]+$/ ||
		    $0 ~ /kind=(unmapped|stale) .* attachment=[0-9a-f]+ importer="[a-z_]+ \[dmabuf_revoke_importer\]" ms=[0-9]+$/) {
			events++
			next
		}
	}
	{ print "malformed: " $0; bad = 1 }
	END { print reads " reads, " events " events"; exit bad || reads < 2 }' /tmp/ev.reads >/tmp/ev.wf
	_rc=$?
	while IFS= read -r l; do ktap_diag "$l"; done </tmp/ev.wf
	return $_rc
}
check "read while two writers wrote: only whole events, in order, none dropped" well_formed
check "events says how many the ring lost" \
	sh -c "$CLI events | grep -qx '$RING events (ring of $RING, last seq $L3), $((L3 - RING)) lost'"

echo 1000 >$P/stale_timeout_ms
modprobe -r dmabuf_revoke_importer dmabuf_revoke_exporter dmabuf_revoke
check "modules unload" [ ! -d /sys/module/dmabuf_revoke ]
ktap_done
