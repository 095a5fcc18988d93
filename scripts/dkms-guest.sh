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
# autopkgtest: the deb flow runs debian/tests with it (null virt server);
# systemd: it then boots the root fs with dmabuf-revoke.service enabled.
ROOTFS_PKGS=dkms,kmod,openssl,xz-utils,libkmod2,apt,mount,autopkgtest,systemd
# Bump when the way the image is made changes (part of the cache key).
ROOTFS_REV=1

"$TOP/scripts/kernels.sh" fetch "$k"
kd=$(kdir "$k")
moddir=$(kmoddir "$k")

suite_for() {	# the Debian release whose gcc built the kernel
	local v
	v=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\(.*\)"$/\1/p' "$kd/.config")
	case $v in
	*"gcc-12 "* | *" 12."*) echo bookworm ;;
	*"gcc-14 "* | *" 14."*) echo trixie ;;
	*) die "kernel $k: no known Debian release ships the compiler '$v'" ;;
	esac
}
suite=$(suite_for)
img=$CACHE/rootfs/$k.img

# The kernel's headers and kbuild .debs, as verified by kernels.sh.
kernel_debs() {
	grep -v '^#' "$MANIFEST" | awk -v k="$k" '$1==k{print $4}' |
		while read -r p; do
			case $(basename "$p") in
			linux-headers-* | linux-kbuild-* | linux-base-*) echo "$CACHE/debs/$(basename "$p")" ;;
			esac
		done
}

make_rootfs() {
	local key dir deb sec debs inc m
	key="rev=$ROOTFS_REV suite=$suite pkgs=$ROOTFS_PKGS $(grep -v '^#' "$MANIFEST" | awk -v k="$k" '$1==k' | md5sum)"
	if [ -f "$img" ] && [ "$(cat "$img.stamp" 2>/dev/null)" = "$key" ]; then
		log "rootfs $k: cached ($img, $(du -h "$img" | cut -f1) used)"
		return
	fi
	command -v mmdebstrap >/dev/null || die "mmdebstrap missing (apt-get install mmdebstrap)"
	deb=$(mirror debian) sec=$(mirror debian-security)
	debs=$(kernel_debs | paste -sd,)
	[ -n "$debs" ] || die "kernel $k: no linux-headers .debs in the manifest"
	inc=$ROOTFS_PKGS
	dir=$CACHE/rootfs/$k.dir
	rm -rf "$dir" "$img" "$img.stamp"
	mkdir -p "$dir"
	# The kernel's modules as linux-image/linux-modules would install them
	# (without the package: its postinst would build an initramfs we do
	# not use); headers come as packages, so /lib/modules/REL/build is
	# the package's symlink.
	local q=--quiet
	[ -z "${DMABUF_REVOKE_VERBOSE:-}" ] || q=--verbose
	log "rootfs $k: mmdebstrap $suite with $inc + $(kernel_debs | xargs -n1 basename | xargs)"
	mmdebstrap "$q" --variant=apt --include="$inc" \
		--customize-hook='mkdir -p "$1/usr/lib/modules/'"$rel"'/kernel" "$1/payload"' \
		--customize-hook='mkdir -p "$1/tmp/kdebs"' \
		--customize-hook="copy-in ${debs//,/ } /tmp/kdebs" \
		--customize-hook='chroot "$1" sh -c "apt-get install -y --no-install-recommends /tmp/kdebs/*.deb && rm -rf /tmp/kdebs"' \
		--customize-hook="sync-in $moddir/kernel /usr/lib/modules/$rel/kernel" \
		--customize-hook='for f in modules.builtin modules.builtin.modinfo modules.order; do [ ! -f "'"$moddir"'/$f" ] || cp "'"$moddir"'/$f" "$1/usr/lib/modules/'"$rel"'/"; done' \
		--customize-hook='chroot "$1" depmod '"$rel" \
		--customize-hook='chroot "$1" openssl req -new -x509 -nodes -days 36500 -subj "/CN=DKMS module signing key" -newkey rsa:2048 -keyout /var/lib/dkms/mok.key -outform DER -out /var/lib/dkms/mok.pub >/dev/null 2>&1' \
		--customize-hook='chroot "$1" apt-get clean' \
		"$suite" "$dir" \
		"deb $deb $suite main" "deb $sec $suite-security main" >&2 ||
		{ rm -rf "$dir"; die "mmdebstrap $suite failed"; }
	[ -L "$dir/usr/lib/modules/$rel/build" ] || [ -L "$dir/lib/modules/$rel/build" ] ||
		{ rm -rf "$dir"; die "rootfs $k: linux-headers-$rel did not install /lib/modules/$rel/build"; }
	local cc
	cc=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\([^ ]*\) .*/\1/p' "$kd/.config")
	for m in "$cc" make; do
		chroot "$dir" sh -c "command -v $m" >/dev/null ||
			{ rm -rf "$dir"; die "rootfs $k: no $m in the $suite userland"; }
	done
	# ext4 without metadata_csum: the initramfs then needs no crc32c module.
	local mb
	mb=$(du -sm "$dir" | cut -f1)
	mke2fs -q -t ext4 -O ^metadata_csum -L dbr-root -d "$dir" "$img" "$((mb + 1536))M" ||
		{ rm -rf "$dir" "$img"; die "mke2fs of the $k root fs failed"; }
	rm -rf "$dir"
	echo "$key" >"$img.stamp"
	log "rootfs $k: $img ($(du -h "$img" | cut -f1) used of $(du -h --apparent-size "$img" | cut -f1))"
}

# The busybox initramfs: virtio_pci, virtio_blk, ext4 (and what they need)
# from the matrix kernel, /init that mounts the root and switch_roots.
declare -A KO STAGED
make_initramfs() {
	local st=$work/initramfs f n m
	rm -rf "$st"
	mkdir -p "$st"/{bin,dev,proc,sys,newroot,lib/modules/"$rel"}
	while IFS= read -r f; do
		n=$(basename "$f"); n=${n%%.ko*}; KO[${n//-/_}]=$f
	done < <(find "$moddir/kernel" -name '*.ko*')
	stage_ko() {
		local n=${1//-/_} f dst dep
		[ -n "${STAGED[$n]:-}" ] && return
		STAGED[$n]=1
		f=${KO[$n]:-}
		[ -n "$f" ] || return 0	# built in
		dst=$st/lib/modules/$rel/${f#"$moddir"/}
		dst=${dst%%.ko*}.ko
		mkdir -p "$(dirname "$dst")"
		case $f in
		*.ko.xz) xz -dc "$f" >"$dst" ;;
		*.ko.zst) zstd -qdc "$f" >"$dst" ;;
		*) cp "$f" "$dst" ;;
		esac
		for dep in $(modinfo -F depends "$f" | tr ',' ' '); do stage_ko "$dep"; done
	}
	# crc32c: ext4 asks the crypto API for it at mount (a module on 6.1).
	for m in virtio_pci virtio_blk crc32c_generic crc32c_intel ext4; do stage_ko "$m"; done
	cp "$moddir"/modules.builtin* "$moddir/modules.order" "$st/lib/modules/$rel/" 2>/dev/null || true
	depmod -b "$st" "$rel"
	cp /bin/busybox "$st/bin/busybox"
	ln -s busybox "$st/bin/sh"
	cat >"$st/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in virtio_pci virtio_blk crc32c_generic crc32c_intel ext4; do modprobe $m 2>/dev/null; done
i=0
while [ ! -b /dev/vda ] || [ ! -b /dev/vdb ]; do
	i=$((i + 1)); [ $i -gt 100 ] && { echo "initramfs: no /dev/vda, /dev/vdb"; poweroff -f; }
	sleep 0.1
done
mount -t ext4 /dev/vda /newroot || { echo "initramfs: cannot mount the root fs"; poweroff -f; }
mount -t ext4 -o ro /dev/vdb /newroot/payload || { echo "initramfs: cannot mount the payload"; poweroff -f; }
umount /proc /sys
mount --move /dev /newroot/dev
echo "initramfs: switch_root into the Debian root fs"
exec switch_root /newroot /bin/bash /payload/run.sh
INIT
	chmod 755 "$st/init"
	(cd "$st" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$work/initramfs.cpio"
}

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
	cp "$TOP/tests/dkms/run.sh" "$TOP/tests/guest/ktap.sh" "$p/"
	echo "$ver" >"$p/version"
	echo "$rel" >"$p/release"
	echo "$SUITES" >"$p/suites"
	mke2fs -q -t ext4 -O ^metadata_csum -L dbr-payload -d "$p" "$work/payload.img" 64M
}

MACHINE=(-cpu max -machine q35 -m 2G -smp 2)

boot() {
	local vmlinuz acc rc=0
	vmlinuz=$("$TOP/scripts/kernels.sh" vmlinuz "$k")
	[ -n "$vmlinuz" ] || die "kernel $k: no vmlinuz"
	acc=$(qemu_accel multi "${MACHINE[@]}")
	rm -rf "$res"
	mkdir -p "$res"
	log "kernel $k: booting the $suite root fs ($acc, timeout ${TIMEOUT}s)"
	# snapshot=on: the cached image stays pristine, writes go to a temp file.
	timeout --foreground -k 5 "$TIMEOUT" qemu-system-x86_64 \
		-accel "$acc" "${MACHINE[@]}" -nographic -no-reboot -monitor none \
		-serial "file:$res/console.log" \
		-serial "file:$res/results.ktap" \
		-serial "file:$res/dmesg.log" \
		-drive "file=$img,format=raw,if=virtio,snapshot=on,cache=unsafe" \
		-drive "file=$work/payload.img,format=raw,if=virtio,readonly=on" \
		-kernel "$vmlinuz" -initrd "$work/initramfs.cpio" \
		-append "console=ttyS0 panic=-1 rdinit=/init" \
		</dev/null >"$res/qemu.log" 2>&1 || rc=$?
	echo "$rc" >"$res/qemu.rc"
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
