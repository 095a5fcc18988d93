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
		grep -q "KernelAddressSanitizer initialized" /tmp/dmesg.boot ;;
	lockdep) check "lock dependency validator is on and still validating (debug_locks: 1)" \
		sh -c 'grep -q "Lock dependency validator" /tmp/dmesg.boot &&
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
# The minimum age is in jiffies, and under TCG a periodic tick falls behind
# the wall clock: wait for 6 s of jiffies (bounded by 120 s of wall time).
HZ=$(cat /tests/expected/hz)
# jiffies: the timestamp of a trace marker in an instance whose clock is
# "uptime" (trace_clock_jiffies).
J=$T/instances/dbr_jiffies
mkdir -p $J && echo uptime >$J/trace_clock || ktap_diag "no jiffies trace clock"
jif() {
	echo 1 >$J/trace && echo j >$J/trace_marker &&
		sed -n 's/.* \([0-9][0-9]*\)\(\.[0-9]*\)\{0,1\}: tracing_mark_write.*/\1/p' $J/trace | tail -n 1
}
age_wait() {
	_j0=$(jif) _t0=$(cut -d. -f1 /proc/uptime)
	while [ $(($(jif) - _j0)) -lt $((6 * HZ)) ] && [ $(($(cut -d. -f1 /proc/uptime) - _t0)) -lt 120 ]; do
		sleep 1
	done
	ktap_diag "waited $(($(cut -d. -f1 /proc/uptime) - _t0)) s for $(($(jif) - _j0)) jiffies (HZ=$HZ)"
}
# Three scans: a leak was once missed with two (a transient reference;
# the documentation says a leak may need several scans to show).
scan() {
	_t0=$(cut -d' ' -f1 /proc/uptime)
	echo scan >$KL || ktap_diag "scan $1: write failed"
	ktap_diag "scan $1: $(awk -v t="$_t0" '{printf "%.1f", $1 - t}' /proc/uptime) s," \
		"$(grep -c '^unreferenced object' $KL) reported"
}
age_wait
scan 1
age_wait
scan 2
age_wait
scan 3
cat $KL >/tmp/kmemleak.txt
ktap_diag "kmemleak: $(grep -c '^unreferenced object' /tmp/kmemleak.txt) unreferenced object(s) in all"
dmesg | grep 'kmemleak: ' | tail -n 3 | sed 's/^/# /'
ktap_diag "min_unref_scans $(cat /sys/module/kmemleak/parameters/min_unref_scans 2>/dev/null)," \
	"kmemleak_object slab: $(awk '$1 == "kmemleak_object" {print $2}' /proc/slabinfo)"

# owner HEXADDR: the module(s) whose recorded text holds it, or nothing.
owner() {
	_a=$(printf '%016x' "$1")
	awk -v a="$_a" '$2 <= a && a < $3 {print $1}' /tmp/ranges | sort -u | xargs
}
# One file per report; ours (a frame names or lies in dmabuf_revoke*) vs the rest.
rm -rf /tmp/kl && mkdir -p /tmp/kl
awk '/^unreferenced object/ {n++} n {print >("/tmp/kl/" n)}' /tmp/kmemleak.txt
ours=0 other=0 upstream=0
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
	# A kernel bug, not ours, whoever mapped: dma_buf_phys_vec_to_sgt()
	# (vfio-pci's map, 7.2+) sets sgt.orig_nents = 0, and
	# dma_buf_free_sgt()'s sg_free_table() frees by orig_nents: the
	# scatterlist array of every mapping stays allocated. Shown, counted
	# apart, not failed (README: the debug lane's findings).
	if [ -n "$hit" ] && grep -q ' dma_buf_phys_vec_to_sgt+' "$r" &&
		grep -q ' sg_alloc_table+' "$r"; then
		upstream=$((upstream + 1))
		[ $upstream -le 1 ] && { ktap_diag "--- kmemleak report of the kernel's dma_buf_free_sgt() leak (not ours):"; head -n 40 "$r" | sed 's/^/# /'; }
		continue
	fi
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
[ $upstream = 0 ] || ktap_diag "$upstream report(s) of the kernel's dma_buf_free_sgt() scatterlist leak (one per vfio-pci dma-buf mapping), not ours"
check_eq "kmemleak: no leak from our modules" "$ours" 0
ktap_done
