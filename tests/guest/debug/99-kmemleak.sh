#!/bin/sh
# Debug kernels only (guest.sh stages it after the suites when the kernel has
# CONFIG_DEBUG_KMEMLEAK): the detectors are really on, and after our modules
# are unloaded kmemleak finds nothing that they allocated.
#
# kmemleak reports an object only once it is older than MSECS_MIN_AGE (5 s,
# mm/kmemleak.c) and, as Documentation/dev-tools/kmemleak.rst says, maybe
# not on the first scan: unload, wait, scan, wait, scan again, then read.
# A report counts as ours when a backtrace frame names a dmabuf_revoke*
# module, or is the bare address of one (the module is gone, so %pS cannot
# name it): the text ranges of every module load were recorded by
# /tests/debug-setup.sh. Reports of other code are shown, not failed.
#
# The console carries these lines too, and the harness fails a run whose
# console says KASAN, UBSAN or lockdep: test names here say kasan, ubsan.
. /tests/ktap.sh
KL=/sys/kernel/debug/kmemleak
T=/sys/kernel/tracing
DET=$(cat /tests/expected/detectors)
ktap_plan $(($(echo "$DET" | wc -w) + 3))

# --- the detectors this kernel was built with are running -------------------
sym() { grep -qE " [tT] $1\$" /proc/kallsyms; }
for d in $DET; do
	case $d in
	kasan) check "kasan is on (KernelAddressSanitizer initialized)" \
		sh -c 'dmesg | grep -q "KernelAddressSanitizer initialized"' ;;
	lockdep) check "lock dependency validator is on and still validating (debug_locks: 1)" \
		sh -c 'dmesg | grep -q "Lock dependency validator" &&
			grep -qE "^ *debug_locks: +1$" /proc/lockdep_stats' ;;
	kmemleak) check "kmemleak is on ($KL readable)" sh -c "cat $KL >/dev/null" ;;
	ubsan) check "ubsan is built in (__ubsan_handle_out_of_bounds)" sym __ubsan_handle_out_of_bounds ;;
	debug_objects) check "debugobjects is on (debug_object_init)" sym debug_object_init ;;
	debug_list) check "list debugging is on (__list_add_valid_or_report)" sym __list_add_valid_or_report ;;
	*) ktap_fail "unknown detector '$d' in /tests/expected/detectors" ;;
	esac
done

# --- unload our modules ------------------------------------------------------
LP=/sys/kernel/livepatch/dmabuf_revoke_livepatch
if [ -d $LP ]; then
	echo 0 >$LP/enabled
	i=0
	while [ -d $LP ] && [ "$(cat $LP/transition 2>/dev/null)" = 1 ] && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
fi
# Every dmabuf_revoke* module (the self-check's too); users before the
# modules they use, so a few passes.
for pass in 1 2 3 4; do
	for d in /sys/module/dmabuf_revoke*; do
		[ -d "$d" ] || continue
		rmmod "${d##*/}" 2>/dev/null || [ $pass -lt 4 ] || ktap_diag "rmmod ${d##*/} failed"
	done
done
check "our modules are unloaded" sh -c '! ls -d /sys/module/dmabuf_revoke* 2>/dev/null'

# --- where their text was ------------------------------------------------------
# "name start end" per load (hex, 16 digits, lower case), every module.
sed -n 's/.* modload: .* name="\([^"]*\)" text=0x\([0-9a-f]*\) textsz=\([0-9]*\) init=0x\([0-9a-f]*\) initsz=\([0-9]*\).*/\1 \2 \3 \4 \5/p' \
	$T/trace >/tmp/modloads
while read -r n tb ts ib is; do
	printf '%s %016x %016x\n' "$n" "0x$tb" "$((0x$tb + ts))"
	[ "$is" -gt 0 ] && printf '%s %016x %016x\n' "$n" "0x$ib" "$((0x$ib + is))"
done </tmp/modloads >/tmp/ranges
check "module loads were recorded ($(grep -c '^dmabuf_revoke' /tmp/modloads) of ours, $(wc -l </tmp/modloads) in all)" \
	grep -q '^dmabuf_revoke' /tmp/ranges

# --- scan twice, read --------------------------------------------------------
sleep 6
echo scan >$KL
sleep 6
echo scan >$KL
cat $KL >/tmp/kmemleak.txt
ktap_diag "kmemleak: $(grep -c '^unreferenced object' /tmp/kmemleak.txt) unreferenced object(s) in all"

# owner HEXADDR: the module(s) whose recorded text holds it, or nothing.
owner() {
	_a=$(printf '%016x' "$1")
	awk -v a="$_a" '$2 <= a && a < $3 {print $1}' /tmp/ranges | sort -u | xargs
}
# One file per report; ours (a frame names or lies in dmabuf_revoke*) vs the rest.
rm -rf /tmp/kl && mkdir -p /tmp/kl
awk '/^unreferenced object/ {n++} n {print >("/tmp/kl/" n)}' /tmp/kmemleak.txt
ours=0 other=0
for r in /tmp/kl/*; do
	[ -f "$r" ] || continue
	hit=
	while read -r fr _; do
		case $fr in
		0xffffffff*)
			o=$(owner "$fr")
			case " $o " in *" dmabuf_revoke"*) hit="$fr = $o" ;; esac ;;
		esac
	done <"$r"
	grep -q '\[dmabuf_revoke' "$r" && hit=${hit:-named}
	if [ -n "$hit" ]; then
		ours=$((ours + 1))
		ktap_diag "--- kmemleak report of ours ($hit):"
		head -n 40 "$r" | sed 's/^/# /'
	else
		other=$((other + 1))
		[ $other -le 3 ] && { ktap_diag "--- kmemleak report, not ours:"; head -n 40 "$r" | sed 's/^/# /'; }
	fi
done
[ $other -le 3 ] || ktap_diag "... and $((other - 3)) more not ours"
check_eq "kmemleak: no leak from our modules" "$ours" 0
ktap_done
