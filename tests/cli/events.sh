#!/usr/bin/env bash
# events.sh: host tests of `dmabuf-revokectl events` against a fake
# debugfs events file (DMABUF_REVOKE_SYSROOT): arguments and exit codes,
# text and JSON output, lost events (seq gaps), --follow (new events, a
# reload, SIGTERM/SIGINT, no busy loop). TAP on stdout.
set -u
CLI=${DMABUF_REVOKECTL:?set DMABUF_REVOKECTL to the binary}
T=$(mktemp -d /tmp/dbrctl-ev.XXXXXX)
FPID=
cleanup() { [ -n "$FPID" ] && kill "$FPID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
R=$T/root
D=$R/sys/kernel/debug/dmabuf_revoke
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

mk_loaded() {
	rm -rf "$R"
	mkdir -p "$R/sys/module/dmabuf_revoke/parameters" "$D"
	echo enforce >"$R/sys/module/dmabuf_revoke/parameters/policy"
}
IMP='importer="dbr_imp_stub_cb [dmabuf_revoke_importer]"'
ev_attach() { echo "seq=$1 ns=$2 kind=attach exporter=\"dmabuf_revoke_exporter\" dmabuf=00000000abcdef01 ino=42 $IMP class=revocable verdict=allow"; }
ev_revoke() { echo "seq=$1 ns=$2 kind=revoke exporter=\"dmabuf_revoke_exporter\" dmabuf=00000000abcdef01 ino=42 mapped=1"; }
ev_imp() { echo "seq=$1 ns=$2 kind=$3 exporter=\"dmabuf_revoke_exporter\" dmabuf=00000000abcdef01 ino=42 attachment=0000000012345678 $IMP ms=$4"; }
# put_events LAST_SEQ LINE...: the file as the kernel writes it (renamed
# into place: a reader never sees half of it).
put_events() {
	local last=$1
	shift
	{ echo "# size=256 last_seq=$last dropped=0"; [ $# = 0 ] || printf '%s\n' "$@"; } >"$D/.events.new"
	mv "$D/.events.new" "$D/events"
}

# --- arguments -----------------------------------------------------------------
mk_loaded
t "events --help" 0 out "^Usage: dmabuf-revokectl events \\[--follow\\] \\[--json\\]" -- events --help
t "events -h" 0 out "^Usage: dmabuf-revokectl events" -- events -h
t "events: unknown option is a usage error" 2 err "events: unknown option '--frob'" -- events --frob
t "events: an operand is a usage error" 2 err "events: unexpected 'x'" -- events x
t "events: usage errors point at its --help" 2 err "Try 'dmabuf-revokectl events --help'" -- events -x

# --- where the file is missing -----------------------------------------------
rm -rf "$R"; mkdir -p "$R/sys/module" "$R/sys/kernel/debug"
t "events when not loaded exits 3" 3 err "not loaded" -- events
mk_loaded
rm -rf "$D"
t "events without debugfs: says what to mount (exit 3)" 3 err "is debugfs mounted\\? \\(mount -t debugfs none /sys/kernel/debug\\)" -- events
mkdir -p "$D"
t "events with debugfs but no events file (exit 3)" 3 err "events missing" -- events

# --- one read ------------------------------------------------------------------
put_events 7 "$(ev_attach 3 1234567891234)" "$(ev_revoke 4 1234567991234)" \
	"$(ev_imp 6 1234568991234 stale 312)" "$(ev_imp 7 1234569991234 unmapped 1312)"
t "events prints the header" 0 out "^ +SEQ +TIME +KIND +EXPORTER +INODE +DETAILS\$" -- events
t "events prints an attach verdict" 0 out \
	"^ +3 +1234\\.567891 attach +dmabuf_revoke_exporter +42 dmabuf=00000000abcdef01 importer=\"dbr_imp_stub_cb \\[dmabuf_revoke_importer\\]\" class=revocable verdict=allow\$" -- events
t "events prints a revoke" 0 out "^ +4 +1234\\.567991 revoke .* mapped=1\$" -- events
t "events prints a stale attachment" 0 out "^ +6 .* stale .* attachment=0000000012345678 importer=\"dbr_imp_stub_cb \\[dmabuf_revoke_importer\\]\" ms=312\$" -- events
t "events prints an unmap" 0 out "^ +7 .* unmapped .* ms=1312\$" -- events
t "events names a gap in the sequence" 0 out "^# lost 1 event \\(seq 5\\.\\.5\\)\$" -- events
t "events summary: shown, ring, lost (before and inside the window)" 0 out \
	"^4 events \\(ring of 256, last seq 7\\), 3 lost\$" -- events
run events --json
check "events --json is valid JSON with the events and their numbers" jq_py \
	'[e["seq"] for e in j["events"]]==[3,4,6,7] and j["lost"]==3 and j["size"]==256 and j["last_seq"]==7 and j["events"][0]["importer"]=="dbr_imp_stub_cb [dmabuf_revoke_importer]" and j["events"][0]["ino"]==42 and j["events"][2]["ms"]==312 and j["events"][1]["mapped"]==1'
run --json events
check "the global --json works for events" jq_py 'len(j["events"])==4'
put_events 0
t "events with an empty ring" 0 out "^0 events \\(ring of 256, last seq 0\\), 0 lost\$" -- events
run events --json
rc0_jq() { test "$RC" = 0 && jq_py "$1"; }
check "events --json with an empty ring" rc0_jq 'j=={"events":[],"size":256,"last_seq":0,"dropped":0,"lost":0}'
put_events 2 "$(ev_revoke 1 5)" "what is this"
t "events with an unparsable line exits 1" 1 err "cannot parse line 3 of" -- events
printf '%s\n' "$(ev_revoke 1 5)" >"$D/events"
t "events without the header line exits 1" 1 err "no header line" -- events
put_events 1 'seq=1 ns=5 kind=attach importer="unterminated'
t "events with an unterminated quote exits 1" 1 err "cannot parse line 2" -- events

# --- follow ----------------------------------------------------------------------
# start_follow ARGS...: the CLI in the background, its output in $T/f.out.
start_follow() {
	DMABUF_REVOKE_SYSROOT=$R "$CLI" events --follow "$@" >"$T/f.out" 2>"$T/f.err" &
	FPID=$!
}
# wait_for PATTERN: up to 3 s for PATTERN in the follower's output.
wait_for() {
	local _
	for _ in $(seq 30); do
		grep -qE -- "$1" "$T/f.out" && return 0
		sleep 0.1
	done
	return 1
}
# stop_follow SIG: send SIG; RC is its exit status, STOP_MS how long it took.
stop_follow() {
	local t0
	t0=$(date +%s%N)
	kill -"$1" "$FPID"
	for _ in $(seq 50); do kill -0 "$FPID" 2>/dev/null || break; sleep 0.05; done
	STOP_MS=$((($(date +%s%N) - t0) / 1000000))
	if kill -0 "$FPID" 2>/dev/null; then
		kill -KILL "$FPID"; RC=killed
	else
		wait "$FPID"; RC=$?
	fi
	FPID=
	OUT=$(cat "$T/f.out") ERR=$(cat "$T/f.err")
}
# cpu_ticks PID: user + system time so far, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

put_events 2 "$(ev_attach 1 1000)" "$(ev_revoke 2 2000)"
start_follow
check "follow prints the ring first" wait_for "^ +2 .* revoke "
put_events 4 "$(ev_attach 1 1000)" "$(ev_revoke 2 2000)" "$(ev_imp 3 3000 unmapped 7)" "$(ev_imp 4 4000 stale 300)"
check "follow prints an event added after it started" wait_for "^ +4 .* stale .* ms=300\$"
put_events 7 "$(ev_attach 5 5000)" "$(ev_revoke 7 7000)"
check "follow names the events it missed (seq 6)" wait_for "^# lost 1 event \\(seq 6\\.\\.6\\)\$"
check "and prints the one after" wait_for "^ +7 .* revoke "
c0=$(cpu_ticks "$FPID")
sleep 1
c1=$(cpu_ticks "$FPID")
check "follow sleeps between polls (cpu $((c1 - c0)) ticks in 1 s)" test $((c1 - c0)) -le 20
put_events 1 "$(ev_revoke 1 9000)"
check "follow sees a reloaded module's ring start again" wait_for "^# dmabuf_revoke reloaded"
check "and prints its first event" wait_for "^ +1 +0\\.000009 revoke "
rm -f "$D/events"
sleep 0.5
put_events 2 "$(ev_revoke 1 9000)" "$(ev_imp 2 9500 unmapped 1)"
check "follow waits while the file is gone, then goes on" wait_for "^ +2 .* unmapped "
stop_follow TERM
check "follow exits 0 on SIGTERM within 1 s (rc $RC, $STOP_MS ms)" test "$RC" = 0 -a "$STOP_MS" -lt 1000
check "follow printed each event once" test "$(grep -cE '^ +4 .* stale ' <<<"$OUT")" = 1
check "follow said once that the file was gone" test "$(grep -c 'gone' <<<"$ERR")" = 1
check "follow: no sanitizer report" bash -c "! grep -qE 'AddressSanitizer|LeakSanitizer|runtime error' '$T/f.err'"

put_events 2 "$(ev_attach 1 1000)" "$(ev_revoke 2 2000)"
start_follow --json
check "follow --json prints the ring" wait_for '"seq":2'
put_events 5 "$(ev_attach 1 1000)" "$(ev_revoke 2 2000)" "$(ev_imp 5 5000 stale 300)"
check "follow --json prints the new event" wait_for '"seq":5'
stop_follow INT
check "follow --json exits 0 on SIGINT within 1 s (rc $RC, $STOP_MS ms)" test "$RC" = 0 -a "$STOP_MS" -lt 1000
json_lines() {
	python3 -c '
import json, sys
objs = [json.loads(l) for l in sys.stdin]
sys.exit(0 if [o.get("seq", o.get("lost")) for o in objs] == [1, 2, 2, 5] and objs[2] == {"lost": 2, "first_seq": 3, "last_seq": 4} else 1)' <<<"$OUT"
}
check "follow --json: one JSON object per line, the gap as {lost}" json_lines

rm -rf "$D"
t "follow without debugfs fails at once (exit 3)" 3 err "is debugfs mounted" -- events --follow

echo "1..$N"
exit $FAILED
