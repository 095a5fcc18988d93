#!/usr/bin/env bash
# build.sh KERNEL: build every module (and the self-check module) for one
# matrix kernel, with that kernel's compiler, into build/KERNEL/.
# Fails on any compiler or modpost warning: the log is build/KERNEL/build.log.
. "$(dirname "$0")/lib.sh"

k=${1:?usage: build.sh KERNEL}
kd=$(kdir "$k")
[ -f "$kd/Makefile" ] || die "kernel $k: no headers (run scripts/kernels.sh fetch $k)"
out=$BUILD/$k
rm -rf "$out/mod" "$out/selfcheck"
mkdir -p "$out/mod" "$out/selfcheck"
# A private copy per kernel, laid out as DKMS lays out /usr/src/<pkg>-<ver>.
cp -r "$TOP/Kbuild" "$TOP/Makefile" "$TOP/dkms.conf" "$TOP/src" \
	"$TOP/include" "$TOP/scripts" "$out/mod/"
cp -r "$TOP/tests/selfcheck/." "$out/selfcheck/"

log=$out/build.log
rc=0
{
	"$TOP/scripts/toolchain.sh" run "$k" -- make -C "$out/mod" KDIR="$kd" modules &&
		"$TOP/scripts/toolchain.sh" run "$k" -- make -C "$kd" M="$out/selfcheck" modules
} >"$log" 2>&1 || rc=$?
if [ $rc -ne 0 ]; then
	tail -n 40 "$log" >&2
	die "kernel $k: build failed (full log: $log)"
fi
if grep -nE '(warning|WARNING):' "$log" >&2; then
	die "kernel $k: build has warnings (full log: $log)"
fi
grep '^conftest:' "$log" >"$out/conftest.txt" || true
ls "$out"/mod/*.ko "$out"/selfcheck/*.ko >/dev/null
log "kernel $k: built $(cd "$out" && ls mod/*.ko selfcheck/*.ko | xargs)"
