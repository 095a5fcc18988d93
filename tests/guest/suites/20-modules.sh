#!/bin/sh
# Each of our modules loads and unloads; loading taints only O and E
# (out-of-tree, unsigned); version and srcversion are what the build says.
. /tests/ktap.sh
MODULES="dmabuf_revoke dmabuf_revoke_exporter dmabuf_revoke_importer"
ktap_plan 21
TAINT_OE=$(((1 << 12) | (1 << 13)))

for m in $MODULES; do
	before=$(cat /proc/sys/kernel/tainted)
	check "$m: modprobe" modprobe "$m"
	check "$m: in /sys/module" [ -d "/sys/module/$m" ]
	after=$(cat /proc/sys/kernel/tainted)
	new=$((after & ~before))
	check_eq "$m: new taint bits only O/E" "$((new & ~TAINT_OE))" 0
	check "$m: module taint is O or OE" sh -c "grep -qxE 'OE?' /sys/module/$m/taint"
	check_eq "$m: version" "$(cat "/sys/module/$m/version")" \
		"$(cat "/tests/expected/$m.version")"
	check_eq "$m: srcversion" "$(cat "/sys/module/$m/srcversion")" \
		"$(cat "/tests/expected/$m.srcversion")"
	modprobe -r "$m"
	check "$m: unloads" [ ! -d "/sys/module/$m" ]
done

ktap_done
