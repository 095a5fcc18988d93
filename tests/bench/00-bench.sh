#!/bin/sh
# The bench (scripts/bench.sh), not a test: one run of dbr_bench, its table
# and csv: lines sent as diagnostics. The results only say that the bench
# module loaded and the bench ran to the end; nothing judges a time.
. /tests/ktap.sh
. /tests/helpers.sh
ktap_plan 2
args=$(cat /tests/expected/bench.args)
check "load the bench module" modprobe dmabuf_revoke_bench
# A real vfio-pci dma-buf where vfio-pci exports them (v6.19+).
if have HAVE_VFIO_DEVICE_FEATURE_DMA_BUF; then
	if modprobe vfio-pci && modprobe vfio_iommu_type1 && dbr_vfio bind >/dev/null; then
		args="$args -V"
	else
		ktap_diag "vfio-pci setup failed: no vfio-attach measurement"
	fi
fi
rc=0
# shellcheck disable=SC2086 # $args are dbr_bench's options, word-split on purpose
dbr_bench -k "$(cat /tests/expected/kernel)" $args >/tmp/bench.out 2>/tmp/bench.err || rc=$?
while IFS= read -r line; do ktap_diag "$line"; done </tmp/bench.out
while IFS= read -r line; do ktap_diag "stderr: $line"; done </tmp/bench.err
check_eq "dbr_bench $args ran to the end" "$rc" 0

# DMABUF_REVOKE_BENCH_PROFILE=1: where an attach spends its time with the
# shim enforcing on a guarded exporter (ftrace, diagnostics "profile: ").
[ -f /tests/expected/bench.profile ] || ktap_done
T=/sys/kernel/tracing
[ -e $T/trace ] || mount -t tracefs nodev $T 2>/dev/null ||
	T=/sys/kernel/debug/tracing
profile() {	# profile CMD: run one bench command with tracing on
	echo "$1" >&3 && cat <&3 >/dev/null
}
if [ ! -e $T/trace ]; then
	ktap_diag "profile: no tracefs"
	ktap_done
fi
modprobe dmabuf_revoke exporters=vfio_pci_core,dbr_bench_guarded
exec 3<>/dev/dmabuf_revoke_bench
profile "cycle guarded 100 1"
# 1. Per function: hits and average time (the function profiler).
if [ ! -e $T/function_profile_enabled ]; then
	ktap_diag "profile: === no function profiler on this kernel (CONFIG_FUNCTION_PROFILER)"
else
	echo ':mod:dmabuf_revoke' >$T/set_ftrace_filter
	for f in dma_buf_dynamic_attach dma_buf_detach dma_buf_map_attachment \
		dma_buf_unmap_attachment sprint_symbol_no_offset strcmp \
		kprobe_ftrace_handler; do
		echo "$f" >>$T/set_ftrace_filter 2>/dev/null || true
	done
	for c in "cycle guarded 1000 1" "cycle unguarded 1000 1" "cycle guarded 1000 1 100"; do
		echo 1 >$T/function_profile_enabled	# (re)starts from zero
		profile "$c"
		echo 0 >$T/function_profile_enabled
		ktap_diag "profile: === function profile of '$c' (1000 cycles)"
		cat $T/trace_stat/function* | grep -v -e '^ *Function' -e '^ *-' |
			sort -k2,2nr | head -n 25 |
			while IFS= read -r line; do ktap_diag "profile: $line"; done
	done
	echo >$T/set_ftrace_filter
fi
# 2. Classification misses (kallsyms per attach) in a steady state, over
# 1, 10 and 100 importer ops tables: sprint_symbol_no_offset() calls.
if echo sprint_symbol_no_offset >$T/set_ftrace_filter 2>/dev/null; then
	echo function >$T/current_tracer
	for o in 1 10 100; do
		profile "cycle guarded 200 1 $o"
		echo >$T/trace
		echo 1 >$T/tracing_on
		profile "cycle guarded 1000 1 $o"
		echo 0 >$T/tracing_on
		ktap_diag "profile: === $(grep -vc '^#' $T/trace) classification misses (sprint_symbol_no_offset) in 1000 guarded attaches over $o ops tables"
	done
	echo nop >$T/current_tracer
	echo >$T/set_ftrace_filter
fi
# 3. Call graphs: guarded, unguarded, and guarded over 100 ops tables
# (after a warm-up over the same tables: what a steady state costs).
profile "cycle guarded 200 1 100"
echo 'dma_buf_dynamic_attach' >$T/set_graph_function
echo 'dbr_attach_pre' >>$T/set_graph_function 2>/dev/null || true
echo function_graph >$T/current_tracer
for c in "cycle guarded 2 1" "cycle unguarded 2 1" "cycle guarded 3 1 100"; do
	echo >$T/trace
	echo 1 >$T/tracing_on
	profile "$c"
	echo 0 >$T/tracing_on
	ktap_diag "profile: === call graph of '$c'"
	grep -v '^#' $T/trace | head -n 150 |
		while IFS= read -r line; do ktap_diag "profile: $line"; done
done
echo nop >$T/current_tracer
exec 3>&-
rmmod dmabuf_revoke
ktap_done
