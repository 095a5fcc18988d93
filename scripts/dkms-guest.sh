#!/usr/bin/env bash
# dkms-guest.sh KERNEL: the real install flow in a real Debian userland.
#
# Boots the matrix kernel KERNEL with a Debian root filesystem (bookworm for
# gcc-12 kernels, trixie for gcc-14 ones) made by mmdebstrap and cached under
# $DMABUF_REVOKE_CACHE/rootfs: dkms, kmod, openssl, the kernel's own
# linux-headers/linux-kbuild .debs (the ones scripts/kernels.sh verified)
# with their compiler from the archive, and the kernel's modules. A busybox
# initramfs loads virtio_blk and ext4 from the matrix kernel and switch_roots
# into it, running tests/dkms/run.sh as init (not systemd: TCG time).
# In the guest, as root, tests/dkms/run.sh does:
#   1. dkms add/build/install from /usr/src, modprobe with options from
#      /etc/modprobe.d, sysfs knobs, `dmabuf-revokectl selftest`,
#      `dkms remove --all`: no file left behind (file lists compared)
#   2. debian/tests run by autopkgtest (null virt server) against the .debs
#      scripts/deb.sh built: dkms-autopkgtest installs the DKMS package and
#      builds for the running kernel, then the CLI and module tests; the
#      modprobe.d conffile and dmabuf-revoke.service (its ExecStart run by
#      hand, then "systemctl enable"); run.sh then execs systemd, which
#      boots the root fs with the unit enabled: the module is loaded with
#      the conffile's policy; purge: no file left.
# Results go to build/results/dkms-KERNEL/ (console.log, results.ktap,
# dmesg.log, verdict, counts "<passed> <failed> <skipped>"), judged like
# scripts/guest.sh: a failed or missing result, a timeout, a guest that died,
# or BUG:/WARNING:/Oops/Call Trace/... in the guest's log fail the run.
#
#   scripts/dkms-guest.sh KERNEL          build what is missing, boot, judge
#   scripts/dkms-guest.sh rootfs KERNEL   only build (or reuse) the root fs
#
# DMABUF_REVOKE_DKMS_SUITES: "dkms", "deb" or "dkms deb" (default): which
# flows the guest runs; each builds the modules once.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/qemu-lib.sh"
# shellcheck source=scripts/rootfs-lib.sh
. "$(dirname "$0")/rootfs-lib.sh"

only_rootfs=0
if [ "${1:-}" = rootfs ]; then only_rootfs=1; shift; fi
k=${1:?usage: dkms-guest.sh [rootfs] KERNEL}
rel=$(manifest_release "$k")
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$TOP/dkms.conf")
res=$BUILD/results/dkms-$k
work=$BUILD/dkms-$k
TIMEOUT=${DMABUF_REVOKE_DKMS_TIMEOUT:-2400}
SUITES=${DMABUF_REVOKE_DKMS_SUITES:-dkms deb}
for s in $SUITES; do
	case $s in dkms | deb) ;; *) die "DMABUF_REVOKE_DKMS_SUITES: '$s' is not dkms or deb" ;; esac
done
"$TOP/scripts/kernels.sh" fetch "$k"
rootfs_setup "$k"

# The payload disk: the source as DKMS wants it, the .debs, the CLI binary
# (for the dkms flow, where no package installs it), debian/ (the tree
# autopkgtest reads debian/tests from), the guest script.
make_payload() {
	local p=$work/payload src
	rm -rf "$p" "$work/payload.img"
	src=$p/src/dmabuf-revoke-$ver
	mkdir -p "$src/scripts" "$p/debs" "$p/bin"
	make -s -C "$TOP" dkms-source DESTDIR="$src"
	cp "$TOP/dkms.conf" "$src/"
	cp "$BUILD/deb/dmabuf-revoke-dkms_${ver}_all.deb" "$BUILD"/deb/dmabuf-revokectl_"${ver}"_amd64.deb "$p/debs/"
	dpkg-deb --fsys-tarfile "$BUILD"/deb/dmabuf-revokectl_"${ver}"_amd64.deb |
		tar -xO ./usr/sbin/dmabuf-revokectl >"$p/bin/dmabuf-revokectl"
	chmod 755 "$p/bin/dmabuf-revokectl"
	mkdir -p "$p/tree"
	cp -r "$TOP/debian" "$p/tree/"
	cp "$TOP/tests/dkms/run.sh" "$TOP/tests/guest/ktap.sh" "$TOP/tests/guest/rootfs-guest.sh" "$p/"
	echo "$ver" >"$p/version"
	echo "$rel" >"$p/release"
	echo "$SUITES" >"$p/suites"
	mke2fs -q -t ext4 -O ^metadata_csum -L dbr-payload -d "$p" "$work/payload.img" 64M
}

boot() {
	local vmlinuz
	vmlinuz=$("$TOP/scripts/kernels.sh" vmlinuz "$k")
	[ -n "$vmlinuz" ] || die "kernel $k: no vmlinuz"
	# snapshot=on: the cached image stays pristine, writes go to a temp file.
	qemu_boot --threads multi --mem 2G --what "kernel $k: booting the $suite root fs" \
		"$res" "$TIMEOUT" \
		-drive "file=$img,format=raw,if=virtio,snapshot=on,cache=unsafe" \
		-drive "file=$work/payload.img,format=raw,if=virtio,readonly=on" \
		-kernel "$vmlinuz" -initrd "$work/initramfs.cpio" \
		-append "console=ttyS0 panic=-1 rdinit=/init"
}

fail_early() {	# a host-side stage failed: still leave a verdict and counts
	mkdir -p "$res"
	echo "not ok - dkms-$k: $1" >"$res/verdict"
	echo "0 1 0" >"$res/counts"
	cat "$res/verdict"
	exit 1
}

# Host-side steps under stage_strict: their first failing command ends this
# script, leaving no counts, which check.sh reports as a failure. (In a
# subshell run as `... || fail_early`, bash would ignore set -e and go on.)
mkdir -p "$work" "$CACHE/rootfs"
stage_strict "dkms-rootfs-$k" make_rootfs
[ $only_rootfs -eq 1 ] && exit 0
# The packages from this tree (check.sh has just built them; cheap anyway).
if [ -z "${DMABUF_REVOKE_DEB_FRESH:-}" ]; then
	stage "deb" "$TOP/scripts/deb.sh" || fail_early "dpkg-buildpackage failed"
fi
stage_strict "dkms-initramfs-$k" make_initramfs
stage_strict "dkms-payload-$k" make_payload
stage "dkms-boot+test-$k" boot || true
judge_run "$res" "dkms-$k" "$TIMEOUT"
