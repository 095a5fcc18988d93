# shellcheck shell=bash
# Shared by scripts/dkms-guest.sh and scripts/sb-guest.sh (sourced after
# lib.sh and qemu-lib.sh): the real Debian root filesystem of a matrix
# kernel (mmdebstrap, cached under $CACHE/rootfs, keyed by the package list
# and the kernel's manifest lines) and the busybox initramfs that
# switch_roots into it and runs /payload/run.sh as init. rootfs_setup K sets the globals the
# functions use; make_initramfs writes $work/initramfs.cpio.
# mokutil and keyutils are for the Secure Boot guest (scripts/sb-guest.sh);
# bpftool and binutils let dkms build the real livepatch backend
# (scripts/vfio-btf.sh; without them it builds the stand-in that refuses
# to load); autopkgtest: the deb flow runs debian/tests with it (null virt
# server); systemd: the deb flow then boots the root fs with
# dmabuf-revoke.service enabled.
ROOTFS_PKGS=dkms,kmod,openssl,xz-utils,libkmod2,apt,mount,mokutil,keyutils,bpftool,binutils,autopkgtest,systemd
# Bump when the way the image is made changes (part of the cache key).
ROOTFS_REV=1

suite_for() {	# the Debian release whose gcc built the kernel
	local v
	v=$(kernel_cc_text "$kd")
	case $v in
	*"gcc-12 "* | *" 12."*) echo bookworm ;;
	*"gcc-14 "* | *" 14."*) echo trixie ;;
	*) die "kernel $k: no known Debian release ships the compiler '$v'" ;;
	esac
}
# rootfs_setup K: the globals the functions here work on, for the matrix
# kernel K (fetched already): k, rel, kd (headers), moddir, suite, img.
# The caller sets work (make_initramfs's output directory).
rel='' kd='' moddir='' suite='' img='' work=${work:-}
rootfs_setup() {
	k=$1
	rel=$(manifest_release "$k")
	kd=$(kdir "$k")
	moddir=$(kmoddir "$k")
	suite=$(suite_for)
	img=$CACHE/rootfs/$k.img
}

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
	cc=$(kernel_cc_name "$kd")
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
make_initramfs() {
	local st=$work/initramfs
	rm -rf "$st"
	mkdir -p "$st"/{bin,dev,proc,sys,newroot,lib/modules/"$rel"}
	# crc32c: ext4 asks the crypto API for it at mount (a module on 6.1).
	# Each is staged where it is a module (crc32c_intel is gone in 7.x).
	stage_modules -o "$st" "$moddir" virtio_pci virtio_blk crc32c_generic crc32c_intel ext4
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

