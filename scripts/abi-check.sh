#!/usr/bin/env bash
# abi-check.sh: Documentation/ABI names exactly the sysfs files the module
# makes: every counter and hook file of include/dmabuf_revoke_counters.h and
# _hook_files.h (the lists the module and the CLI are built from, read by
# scripts/names.sh),
# every knob of _knobs.h (dmabuf_revoke's parameters) and every module
# parameter of the other modules' src/*.c; nothing documented that is gone.
. "$(dirname "$0")/lib.sh"

abi=$TOP/Documentation/ABI/testing
rc=0
documented() {	# documented FILE: the What: paths of FILE, one per line
	sed -n 's/^What:[[:space:]]*//p' "$1"
}
# same WHAT DOC_PATHS WANT_PATHS: both lists, sorted, must be equal
same() {
	local d
	d=$(diff <(sort <<<"$2") <(sort <<<"$3")) && return 0
	echo "$1: Documentation/ABI and the source differ (< documented only, > source only):"
	sed 's/^/  /' <<<"$d" | grep '^  [<>]'
	rc=1
}
n=0
for list in counters hook; do
	want=$("$TOP/scripts/names.sh" "$list" | sed "s|^|/sys/kernel/dmabuf_revoke/$list/|")
	[ -n "$want" ] || die "scripts/names.sh $list printed nothing"
	got=$(documented "$abi/sysfs-kernel-dmabuf_revoke" | grep "^/sys/kernel/dmabuf_revoke/$list/" || true)
	same "$list" "$got" "$want"
	n=$((n + $(wc -l <<<"$want")))
done
# Module parameters: dmabuf_revoke's from its list; the other modules'
# from their sources (each belongs to the module Kbuild links it into).
want=$("$TOP/scripts/names.sh" knobs | sed 's|^|/sys/module/dmabuf_revoke/parameters/|')
[ -n "$want" ] || die "scripts/names.sh knobs printed nothing"
want+=$'\n'
for f in "$TOP"/src/*.c; do
	o=src/$(basename "$f" .c).o
	m=$(awk -v o="$o" '/^[a-z_]+-y[ :+]*=/ { mod = $1; sub(/-y.*/, "", mod) }
		{ for (i = 1; i <= NF; i++) if ($i == o) { print mod; exit } }' "$TOP/Kbuild")
	for p in $(grep -ohE '^module_param(_cb|_named)?\( *[a-z_0-9]+' "$f" | sed -E 's/.*\( *//'); do
		[ -n "$m" ] || { echo "$f: module_param $p, but no module in Kbuild links $o"; rc=1; continue; }
		[ "$m" != dmabuf_revoke ] || { echo "$f: module_param $p: dmabuf_revoke's knobs belong in include/dmabuf_revoke_knobs.h"; rc=1; continue; }
		want="$want/sys/module/$m/parameters/$p"$'\n'
	done
done
want=$(sort -u <<<"${want%$'\n'}")
got=$(documented "$abi/sysfs-module-dmabuf_revoke" | grep '^/sys/module/.*/parameters/' || true)
same "module parameters" "$got" "$want"
n=$((n + $(wc -l <<<"$want")))
[ $rc -ne 0 ] || echo "abi-check: $n sysfs files and parameters, each documented once"
exit $rc
