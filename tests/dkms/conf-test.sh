#!/usr/bin/env bash
# conf-test.sh [KERNEL...]: host checks of dkms.conf and the packages
# (TAP): the version is single-sourced, dkms.conf evaluated as dkms
# evaluates it for each kernel named (default: the matrix's stock kernels;
# sourced as bash with kernelver, kernel_source_dir, dkms_tree, module,
# module_version set) lists the livepatch module exactly where the kernel
# has CONFIG_LIVEPATCH and CONFIG_VFIO_PCI_DMABUF, MAKE names that kernel's
# headers, and the package ships this dkms.conf. Boot integration: the
# modprobe.d conffile documents every parameter of dmabuf_revoke (from its
# one list, scripts/names.sh knobs) with the README's default, and
# dmabuf-revoke.service passes systemd-analyze verify (here with man page
# checks; the guest checks it too, and boots with it) and ships disabled.
. "$(dirname "$0")/../../scripts/lib.sh"
set +e
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); echo "not ok $n - $*"; }
t() { local name=$1; shift; if "$@"; then ok "$name"; else nok "$name"; fi; }

ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$TOP/dkms.conf")
chl=$(cd "$TOP" && dpkg-parsechangelog -SVersion | sed 's/-[^-]*$//')
t "dkms conf: debian/changelog version ($chl) is PACKAGE_VERSION ($ver)" [ "$chl" = "$ver" ]

fake=$(mktemp -d)
trap 'rm -rf "$fake"' EXIT
mkdir -p "$fake/dmabuf-revoke/$ver/source/src"
evaluate() {	# evaluate KDIR: "<module names> | <MAKE[0]>" as dkms would see them
	# shellcheck disable=SC2034 # what dkms defines for dkms.conf, sourced below
	(
		kernelver=$(basename "$1" | sed 's/^linux-headers-//') arch=x86_64
		kernel_source_dir=$1 dkms_tree=$fake module=dmabuf-revoke module_version=$ver
		. "$TOP/dkms.conf" >/dev/null
		echo "${BUILT_MODULE_NAME[*]} | ${MAKE[0]} | ${#DEST_MODULE_LOCATION[@]}"
	)
}
# Each kernel must be fetched already: one whose headers are missing fails,
# so a run never checks fewer kernels than it was asked to.
if [ $# -eq 0 ]; then
	for k in $DEFAULT_KERNELS; do
		case $k in *-debug) ;; *) set -- "$@" "$k" ;; esac
	done
fi
for k in "$@"; do
	kd=$(kdir "$k" 2>/dev/null)
	if [ -z "$kd" ] || [ ! -f "$kd/.config" ]; then
		nok "dkms conf $k: headers not in the cache (scripts/kernels.sh fetch $k)"
		continue
	fi
	lp=no
	kconfig_y "$kd" CONFIG_LIVEPATCH && kconfig_y "$kd" CONFIG_VFIO_PCI_DMABUF && lp=yes
	out=$(evaluate "$kd")
	if [ $lp = yes ]; then want="dmabuf_revoke dmabuf_revoke_exporter dmabuf_revoke_importer dmabuf_revoke_livepatch"
	else want="dmabuf_revoke dmabuf_revoke_exporter dmabuf_revoke_importer"; fi
	t "dkms conf $k: livepatch module listed iff LIVEPATCH and VFIO_PCI_DMABUF (kernel: $lp)" \
		[ "${out%% |*}" = "$want" ]
	case $out in
	*"| make KDIR=$kd DKMS_KERNELVER="*" modules | "*) ok "dkms conf $k: MAKE builds against this kernel's headers" ;;
	*) nok "dkms conf $k: MAKE builds against this kernel's headers (got: $out)" ;;
	esac
done
deb=$BUILD/deb/dmabuf-revoke-dkms_${ver}_all.deb
if [ -f "$deb" ]; then
	t "dkms conf: dmabuf-revoke-dkms ships this dkms.conf in /usr/src/dmabuf-revoke-$ver" \
		cmp -s "$TOP/dkms.conf" <(dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/src/dmabuf-revoke-$ver/dkms.conf")
fi
# /etc/modprobe.d/dmabuf-revoke.conf: each parameter once, commented, with
# a "# " explanation right above and the README knob table's default.
conf=$TOP/debian/dmabuf-revoke-dkms.dmabuf-revoke.modprobe
params=$("$TOP/scripts/names.sh" knobs | sort)
t "boot conf: dmabuf_revoke has parameters (include/dmabuf_revoke_knobs.h)" [ -n "$params" ]
readme_default() {	# the knob table's default: first `...` of the last column, "" for empty
	local d
	d=$(grep "^| \`$1\` |" "$TOP/README.md" | awk -F'|' '{print $(NF-1)}')
	# shellcheck disable=SC2016 # backquotes of the markdown, not a command
	case $d in *empty*) echo ;; *) sed -n 's/^[^`]*`\([^`]*\)`.*/\1/p' <<<"$d" ;; esac
}
not_offered() { ! grep -q "options dmabuf_revoke $1=" "$conf"; }
documented() {	# documented PARAM: once, commented, README's default, "# " line above
	local c v why d
	c=$(grep -c "^#options dmabuf_revoke $1=" "$conf")
	v=$(sed -n "s/^#options dmabuf_revoke $1=//p" "$conf")
	why=$(awk -v p="#options dmabuf_revoke $1=" 'index($0, p) == 1 { print prev; exit } { prev = $0 }' "$conf")
	d=$(readme_default "$1")
	[ "$c" = 1 ] && [ "$v" = "$d" ] && [[ $why == "# "* ]] && return 0
	echo "# $1: $c line(s), default '$v', README '$d', line above: '$why'"
	return 1
}
for p in $params; do
	if [ "$p" = hook_fault ]; then	# test only: named, not offered
		t "boot conf: $p (test only) not offered" not_offered "$p"
	else
		t "boot conf: $p once, commented out with README's default, explained above" documented "$p"
	fi
done
nothing_set() { ! grep -q '^[[:space:]]*options' "$conf"; }
t "boot conf: no option set as shipped" nothing_set
deb=$BUILD/deb/dmabuf-revoke-dkms_${ver}_all.deb
shipped_conffile() {
	cmp -s "$conf" <(dpkg-deb --fsys-tarfile "$deb" | tar -xO ./etc/modprobe.d/dmabuf-revoke.conf) &&
		grep -qx /etc/modprobe.d/dmabuf-revoke.conf <<<"$(dpkg-deb -I "$deb" conffiles)"
}
if [ -f "$deb" ]; then
	t "boot conf: dmabuf-revoke-dkms ships it as the conffile /etc/modprobe.d/dmabuf-revoke.conf" shipped_conffile
fi
ctl=$(compgen -G "$BUILD/deb/dmabuf-revokectl_${ver}_*.deb" | sed -n 1p)
unit_fields() {
	grep -qx Type=oneshot "$1" && grep -qx RemainAfterExit=yes "$1" &&
		grep -qx "ExecStart=/usr/sbin/dmabuf-revokectl enable" "$1"
}
postrm_purges() { grep -q "deb-systemd-helper purge .dmabuf-revoke.service." <<<"$(dpkg-deb -I "$ctl" postrm)"; }
verify_clean() {	# rc 0 and not a word: it only warns about some errors
	local out rc
	out=$(MANPATH=$root/usr/share/man systemd-analyze verify --root="$root" "/$unit" 2>&1)
	rc=$?
	[ -z "$out" ] || echo "# ${out//$'\n'/$'\n'# }"
	[ $rc -eq 0 ] && [ -z "$out" ]
}
if [ -n "$ctl" ]; then
	# The package's files with the host's units around them (verify follows
	# After=/Before= and checks ExecStart and Documentation= exist).
	root=$fake/unitroot
	mkdir -p "$root"
	dpkg-deb -x "$ctl" "$root"
	unit=
	for u in usr/lib/systemd/system/dmabuf-revoke.service lib/systemd/system/dmabuf-revoke.service; do
		[ -f "$root/$u" ] && unit=$u && break
	done
	t "boot unit: dmabuf-revokectl ships dmabuf-revoke.service" [ -n "$unit" ]
	t "boot unit: shipped disabled (no /etc/systemd link in the package)" [ ! -e "$root/etc/systemd" ]
	t "boot unit: Type=oneshot, RemainAfterExit=yes, ExecStart=/usr/sbin/dmabuf-revokectl enable" \
		unit_fields "$root/$unit"
	t "boot unit: postrm purges deb-systemd-helper's state (and enable links)" postrm_purges
	if command -v systemd-analyze >/dev/null; then
		cp -an /lib/systemd/system/. "$root/$(dirname "$unit")/"
		t "boot unit: systemd-analyze verify passes, not a warning" verify_clean
	else
		n=$((n + 1))
		echo "ok $n - boot unit: systemd-analyze verify # SKIP no systemd-analyze on this host"
	fi
fi
! awk '!/^[[:space:]]*#/ && /uname/ { f = 1 } END { exit !f }' "$TOP/dkms.conf"
t "dkms conf: never uname -r" [ $? -eq 0 ]
echo "1..$n"
