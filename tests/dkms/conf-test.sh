#!/usr/bin/env bash
# Host checks of dkms.conf and the packages (TAP): the version is single-
# sourced, dkms.conf evaluated as dkms evaluates it for each matrix kernel
# (sourced as bash with kernelver, kernel_source_dir, dkms_tree, module,
# module_version set) lists the livepatch module exactly where the kernel
# has CONFIG_LIVEPATCH and CONFIG_VFIO_PCI_DMABUF, MAKE names that kernel's
# headers, and the package ships this dkms.conf.
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
	(
		kernelver=$(basename "$1" | sed 's/^linux-headers-//') arch=x86_64
		kernel_source_dir=$1 dkms_tree=$fake module=dmabuf-revoke module_version=$ver
		. "$TOP/dkms.conf" >/dev/null
		echo "${BUILT_MODULE_NAME[*]} | ${MAKE[0]} | ${#DEST_MODULE_LOCATION[@]}"
	)
}
for kr in "$CACHE"/kernels/*/; do
	k=$(basename "$kr")
	kd=$(kdir "$k" 2>/dev/null) || continue
	[ -f "$kd/.config" ] || continue
	lp=no
	grep -q '^CONFIG_LIVEPATCH=y' "$kd/.config" && grep -q '^CONFIG_VFIO_PCI_DMABUF=y' "$kd/.config" && lp=yes
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
! grep -v '^[[:space:]]*#' "$TOP/dkms.conf" | grep -q 'uname'
t "dkms conf: never uname -r" [ $? -eq 0 ]
echo "1..$n"
