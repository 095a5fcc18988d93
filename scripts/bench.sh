#!/usr/bin/env bash
# bench.sh [--smoke] [--prebuilt] [KERNEL...]: what the shim costs against
# a kernel without it, per kernel (default: the matrix), in one guest run
# each (scripts/guest.sh --bench; the timing is done by the guest kernel,
# see tests/guest/bin/dbr_bench.c). Prints each kernel's table and its
# "bench: KERNEL CASE ratio=R min=A max=B" lines, and writes into
# build/bench/: KERNEL.txt (the table), KERNEL.csv, KERNEL.png (gnuplot).
#
#   --smoke     tiny run (1 round, few ops, <= 100 live attachments) into
#               build/bench/smoke-KERNEL.*: for make check; says nothing
#               about cost
#   --prebuilt  use build/KERNEL as it is (no fetch, no build)
#
# DMABUF_REVOKE_BENCH_ARGS overrides dbr_bench's options (default
# "-r 12 -n 100 -s 16"); DMABUF_REVOKE_BENCH_PROFILE=1 adds an ftrace
# profile of the guarded attach path (KERNEL-profile.txt). Nothing here judges a time: the exit status is
# non-zero only when a kernel's bench did not run to the end.
. "$(dirname "$0")/lib.sh"

smoke=0 prebuilt=0
while [ $# -gt 0 ]; do
	case $1 in
	--smoke) smoke=1; shift ;;
	--prebuilt) prebuilt=1; shift ;;
	-h | --help) sed -n '2,16p' "$0"; exit 0 ;;
	-*) die "bench.sh: unknown option '$1' (--smoke, --prebuilt)" ;;
	*) break ;;
	esac
done
kernels=${*:-$DEFAULT_KERNELS}
for k in $kernels; do manifest_release "$k" >/dev/null; done
if [ $smoke -eq 1 ]; then
	export DMABUF_REVOKE_BENCH_ARGS=${DMABUF_REVOKE_BENCH_ARGS:-"-r 1 -n 5 -s 2 -L 100"}
	pfx=smoke-
else
	export DMABUF_REVOKE_BENCH_ARGS=${DMABUF_REVOKE_BENCH_ARGS:-"-r 12 -n 100 -s 16"}
	pfx=
fi
command -v gnuplot >/dev/null || die "gnuplot missing (make deps, or apt-get install gnuplot-nox)"
out=$BUILD/bench
mkdir -p "$out"

# plot NAME: KERNEL.png from KERNEL.csv: the ratios with their spread, and
# the scaling curves (ns/op against live attachments, ops tables, and
# attachments revoked), without the shim (a) and with it (c).
plot() {
	local n=$1 d
	d=$(mktemp -d)
	awk -F, '$1=="ratio" && $5!="" {print NR-1, $2, $5, $6, $7}' "$out/$n.csv" >"$d/ratio"
	# csv "ns,KEY,a,b,c,d": the median ns/op of KEY-N per config.
	curve() { awk -F, -v k="$1" '$1=="ns" && index($2, k "-")==1 {
		sub(k "-", "", $2); print $2, $3, $5}' "$out/$n.csv" | sort -n; }
	curve scale >"$d/scale"
	curve ops >"$d/ops"
	curve revoke >"$d/revoke"
	# ops-1 is the cycle with one ops table: scale-1.
	{ grep '^1 ' "$d/scale" || true; cat "$d/ops"; } >"$d/ops1" && mv "$d/ops1" "$d/ops"
	gnuplot <<-EOF || { rm -rf "$d"; return 1; }
		set terminal pngcairo size 1400,1000 font ",10" noenhanced
		set output "$out/$n.png"
		set multiplot layout 2,2 title "dmabuf-revoke bench: $n ($(uname -n), $(nproc) CPUs, TCG guest)"
		set title "ratio vs shim not loaded (median, min-max)"
		set style fill solid 0.5
		set boxwidth 0.6
		set xtics rotate by -45 font ",8"
		set ylabel "ratio"
		set grid ytics
		plot "$d/ratio" using 1:3:xtic(2) with boxes notitle, \
		     "" using 1:3:4:5 with yerrorbars lc rgb "black" notitle, \
		     1 with lines lc rgb "gray" notitle
		unset xtics
		set xtics
		set logscale x
		set ylabel "ns per attach+map+unmap+detach"
		set xlabel "live attachments"
		set title "cycle with N live attachments"
		plot "$d/scale" using 1:2 with linespoints title "a: no shim", \
		     "" using 1:3 with linespoints title "c: enforce, guarded"
		set xlabel "distinct importer ops tables"
		set title "cycle over N importer ops tables"
		plot "$d/ops" using 1:2 with linespoints title "a: no shim", \
		     "" using 1:3 with linespoints title "c: enforce, guarded"
		set xlabel "attachments"
		set ylabel "ns per revoke"
		set title "revoke (move_notify / invalidate_mappings) of one buffer"
		set logscale y
		plot "$d/revoke" using 1:2 with linespoints title "a: no shim", \
		     "" using 1:3 with linespoints title "c: enforce, guarded"
		unset multiplot
	EOF
	rm -rf "$d"
}

rc=0
for k in $kernels; do
	if [ $prebuilt -eq 0 ]; then
		stage "fetch-$k" "$TOP/scripts/kernels.sh" fetch "$k" || { rc=1; continue; }
		stage "build-$k" "$TOP/scripts/build.sh" "$k" || { rc=1; continue; }
	fi
	ls "$BUILD/$k"/bench/*.ko >/dev/null 2>&1 ||
		die "kernel $k: no bench module in $BUILD/$k/bench (run scripts/build.sh $k, or drop --prebuilt)"
	"$TOP/scripts/guest.sh" --bench "$k" || rc=1
	res=$BUILD/results/bench-$k
	n=$pfx$k
	# dbr_bench's output, as the suite's diagnostics.
	sed -n 's/^  # \{0,1\}//p' "$res/results.ktap" | grep -v '^Subtest:' >"$res/bench.out" || true
	grep -v -e '^csv:' -e '^bench: ' -e '^profile: ' "$res/bench.out" >"$out/$n.txt" || true
	sed -n 's/^profile: //p' "$res/bench.out" >"$out/$n-profile.txt"
	[ -s "$out/$n-profile.txt" ] || rm -f "$out/$n-profile.txt"
	{
		echo "# ratio,CASE,a_ns,ns,ratio,min,max,rounds | ns,KEY,a,b,c,d,e (median ns/op) | raw,KEY,CONFIG,ROUND,ns"
		sed -n 's/^csv://p' "$res/bench.out"
	} >"$out/$n.csv"
	cat "$out/$n.txt"
	grep '^bench: ' "$res/bench.out" | tee "$out/$n.bench" || true
	if ! grep -q '^bench: ' "$res/bench.out"; then
		echo "kernel $k: the bench printed no ratio (see $res/results.ktap)" >&2
		rc=1
		continue
	fi
	if plot "$n"; then
		log "kernel $k: $out/$n.txt, $n.csv, $n.png"
	else
		echo "kernel $k: gnuplot failed" >&2
		rc=1
	fi
done
echo "host: $(uname -n), $(nproc) CPUs, $(uptime | sed 's/.*load/load/')"
exit $rc
