#!/usr/bin/env bash
# sb-guest.sh [KERNEL]: the DKMS flow under UEFI Secure Boot, from Debian's
# packages only (issue #13): OVMF's Secure Boot firmware with Microsoft's
# keys enrolled (ovmf: OVMF_CODE_4M.secboot.fd, OVMF_VARS_4M.ms.fd), Debian's
# signed shim, MokManager and grub (scripts/secureboot.manifest), and the
# matrix kernel's Debian-signed vmlinuz (linux-signed-amd64: the manifest's
# linux-binary/linux-image). Default kernel 7.3 (vfio-pci dma-buf export and
# the livepatch backend).
#
# The disk OVMF boots is a FAT ESP (mkfs.vfat -C + mtools, no loop mount):
# EFI/BOOT/BOOTX64.EFI (shim), grubx64.efi, mmx64.efi, grub.cfg, the signed
# vmlinuz and scripts/dkms-guest.sh's busybox initramfs, which switch_roots
# into the same Debian root fs (scripts/rootfs-lib.sh) through a qcow2
# overlay, so the second boot sees what the first installed. Each boot
# runs tests/secureboot/run.sh as init:
#   boot 1 (Microsoft's keys only): Secure Boot on, integrity lockdown,
#     dkms builds and signs with its MOK key, modprobe and
#     `dmabuf-revokectl enable` refused, and the CLI says what to do;
#   then, on the host, the DKMS certificate (/var/lib/dkms/mok.pub of the
#     root fs) goes into shim's MokList in the OVMF variable store of the
#     first boot (virt-fw-vars --add-mok), which is what MokManager writes
#     when the user confirms a `mokutil --import`;
#   boot 2: the key is enrolled, the modules load, the hook arms under
#     lockdown, the livepatch module loads (taint K), `dmabuf-revokectl
#     selftest` passes, and an unsigned copy of a module is still refused.
# Results: build/results/secureboot-KERNEL/{boot1,boot2}/ (each judged like
# scripts/dkms-guest.sh: failed results, timeouts, BUG:/WARNING: ... in the
# guest's log), verdict and counts for both in build/results/secureboot-KERNEL/.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/qemu-lib.sh"
# shellcheck source=scripts/rootfs-lib.sh
. "$(dirname "$0")/rootfs-lib.sh"

k=${1:-7.3}
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$TOP/dkms.conf")
res=$BUILD/results/secureboot-$k
work=$BUILD/secureboot-$k
TIMEOUT=${DMABUF_REVOKE_SB_TIMEOUT:-1500}	# per boot
SB_MANIFEST=$TOP/scripts/secureboot.manifest
OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.secboot.fd
OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.ms.fd
# The owner GUID mokutil gives the keys it enrolls (shim's SHIM_LOCK_GUID).
SHIM_LOCK_GUID=605dab50-e046-4300-abb6-3dd810dd8b23
fw=$CACHE/secureboot

"$TOP/scripts/kernels.sh" fetch "$k"
rootfs_setup "$k"

# The pinned shim, MokManager, grub and virt-fw-vars, extracted into $fw.
fetch_firmware() {
	local key name archive path sha deb
	for f in "$OVMF_CODE" "$OVMF_VARS"; do
		[ -f "$f" ] || die "no $f (apt-get install ovmf)"
	done
	key=$(grep -v '^#' "$SB_MANIFEST" | md5sum)
	if [ "$(cat "$fw/.manifest" 2>/dev/null)" = "$key" ]; then
		log "secureboot: shim, grub, virt-fw-vars cached ($fw)"
		return
	fi
	rm -rf "$fw"
	mkdir -p "$fw"
	while read -r name archive path sha; do
		deb=$("$TOP/scripts/kernels.sh" fetch-deb "$archive" "$path" "$sha")
		log "secureboot: verified $(basename "$deb")"
		dpkg-deb -x "$deb" "$fw"
		[ -n "$name" ]
	done < <(grep -v '^#' "$SB_MANIFEST" | awk 'NF')
	echo "$key" >"$fw/.manifest"
}

vfw_vars() {	# virt-fw-vars from the extracted python3-virt-firmware
	PYTHONPATH=$fw/usr/lib/python3/dist-packages /usr/bin/python3 -m virt.firmware.vars "$@"
}
# vars_have REGEX: a line of $work/vars.fd's variables matches REGEX. The
# listing is read whole first: `vfw_vars --print | grep -q` ends the writer
# early at a match, and pipefail made that broken pipe a random failure
# (a CI run died at sb-disks so).
vars_have() {
	local out
	out=$(vfw_vars -i "$work/vars.fd" --print 2>/dev/null) && grep -q "$1" <<<"$out"
}

# The ESP, a FAT file system without a partition table (OVMF boots it as
# a whole-disk file system): shim as the removable-media path, grub and
# MokManager beside it, grub.cfg where Debian's signed grub looks ($prefix
# /EFI/debian, and beside itself), the signed kernel and the initramfs.
make_esp() {
	local vmlinuz esp=$work/esp.img kb f
	vmlinuz=$("$TOP/scripts/kernels.sh" vmlinuz "$k")
	[ -n "$vmlinuz" ] || die "kernel $k: no vmlinuz"
	cat >"$work/grub.cfg" <<EOF
set timeout=0
menuentry 'Debian $rel (dmabuf-revoke Secure Boot guest)' {
	linux /vmlinuz-$rel console=ttyS0 panic=-1 rdinit=/init
	initrd /initrd.img
}
EOF
	kb=$(du -ck "$vmlinuz" "$work/initramfs.cpio" "$fw"/usr/lib/shim/*.signed \
		"$fw"/usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed | tail -n1 | cut -f1)
	rm -f "$esp"
	mkfs.vfat -C -n DBR-ESP "$esp" $((kb + 8192)) >/dev/null
	mmd -i "$esp" ::/EFI ::/EFI/BOOT ::/EFI/debian
	for f in "$fw/usr/lib/shim/shimx64.efi.signed:EFI/BOOT/BOOTX64.EFI" \
		"$fw/usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed:EFI/BOOT/grubx64.efi" \
		"$fw/usr/lib/shim/mmx64.efi.signed:EFI/BOOT/mmx64.efi" \
		"$work/grub.cfg:EFI/BOOT/grub.cfg" "$work/grub.cfg:EFI/debian/grub.cfg" \
		"$vmlinuz:vmlinuz-$rel" "$work/initramfs.cpio:initrd.img"; do
		mcopy -i "$esp" "${f%%:*}" "::/${f#*:}"
	done
}

# The payload disk of boot N: the DKMS source tree, the CLI, the guest script.
make_payload() {
	local n=$1 p=$work/payload src
	rm -rf "$p" "$work/payload-$n.img"
	src=$p/src/dmabuf-revoke-$ver
	mkdir -p "$src" "$p/bin"
	make -s -C "$TOP" dkms-source DESTDIR="$src"
	cp "$TOP/dkms.conf" "$src/"
	make -s -C "$TOP/src/cli" >/dev/null
	cp "$TOP/src/cli/build/dmabuf-revokectl" "$p/bin/"
	cp "$TOP/tests/secureboot/run.sh" "$TOP/tests/guest/ktap.sh" "$TOP/tests/guest/rootfs-guest.sh" "$p/"
	echo "$ver" >"$p/version"
	echo "$rel" >"$p/release"
	echo "$n" >"$p/boot"
	mke2fs -q -t ext4 -O ^metadata_csum -L dbr-payload -d "$p" "$work/payload-$n.img" 64M
}

# A root fs overlay both boots write to; the OVMF variable store both use.
make_disks() {
	rm -f "$work/root.qcow2"
	qemu-img create -q -f qcow2 -F raw -b "$img" "$work/root.qcow2"
	cp "$OVMF_VARS" "$work/vars.fd"
	vars_have '^SecureBootEnable *: bool: ON' ||
		die "$OVMF_VARS: SecureBootEnable is not on"
}

# Enroll the DKMS certificate as MokManager would on the user's "Enroll
# MOK": into shim's MokList (boot-services only, owner SHIM_LOCK_GUID).
enroll_mok() {
	debugfs -R "dump /var/lib/dkms/mok.pub $work/mok.der" "$img" 2>/dev/null
	[ -s "$work/mok.der" ] || die "no /var/lib/dkms/mok.pub in $img"
	openssl x509 -inform DER -in "$work/mok.der" -out "$work/mok.pem"
	log "secureboot: enrolling $(openssl x509 -in "$work/mok.pem" -noout -subject) into MokList"
	vfw_vars -i "$work/vars.fd" -o "$work/vars.new" --add-mok "$SHIM_LOCK_GUID" "$work/mok.pem" >&2
	mv "$work/vars.new" "$work/vars.fd"
	vfw_vars -i "$work/vars.fd" --print 2>/dev/null | grep '^MokList' >&2 ||
		die "MokList not in the variable store after virt-fw-vars --add-mok"
}

# boot_times DIR T0: how long the firmware, shim and grub took (QEMU start
# to the kernel's first line) and the whole boot (to init's first line),
# polled from the console while the guest runs; into DIR/boot-times.
boot_times() {
	local r=$1 t0=$2 fw="" i=0
	while [ $i -lt "$TIMEOUT" ] && [ ! -e "$r/qemu.rc" ]; do
		if [ -z "$fw" ] && grep -q 'Linux version' "$r/console.log" 2>/dev/null; then
			fw=$(($(date +%s) - t0))
		fi
		if grep -q '^guest: ' "$r/console.log" 2>/dev/null; then
			echo "firmware+shim+grub ${fw:-?}s, to init $(($(date +%s) - t0))s" >"$r/boot-times"
			log "boot: $(cat "$r/boot-times")"
			return
		fi
		sleep 1
		i=$((i + 1))
	done
}

boot() {	# boot N
	local n=$1 r=$res/boot$1 w
	rm -rf "$r"
	mkdir -p "$r"
	boot_times "$r" "$(date +%s)" &
	w=$!
	qemu_boot --threads multi --machine smm=on --mem 2G \
		--what "kernel $k: Secure Boot guest, boot $n" "$r" "$TIMEOUT" -nic none \
		-global driver=cfi.pflash01,property=secure,value=on \
		-drive "if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_CODE" \
		-drive "if=pflash,format=raw,unit=1,file=$work/vars.fd" \
		-drive "file=$work/root.qcow2,format=qcow2,if=virtio,cache=unsafe" \
		-drive "file=$work/payload-$n.img,format=raw,if=virtio,readonly=on" \
		-drive "if=none,id=esp,format=raw,snapshot=on,file=$work/esp.img" \
		-device ide-hd,drive=esp,bootindex=0
	wait "$w" || true
}

# The MokManager words the CLI's advice quotes (MOKMANAGER in
# src/cli/explain.c) must be words of the MokManager the guest boots
# (UTF-16 strings of mmx64.efi): one result, decided on the host.
mokmanager_words() {
	local w missing=() words n=0
	words=$(strings -el -n 3 "$fw/usr/lib/shim/mmx64.efi.signed")
	while IFS= read -r w; do
		n=$((n + 1))
		grep -qxF "$w" <<<"$words" || missing+=("'$w'")
	done < <(sed -n '/^#define MOKMANAGER/,/^$/p' "$TOP/src/cli/explain.c" |
		grep -o '\\"[^"\\]*\\"' | tr -d '\\"')
	[ "$n" -ge 3 ] || { echo "# no quoted MokManager words in MOKMANAGER of src/cli/explain.c"; return 1; }
	[ ${#missing[@]} -eq 0 ] || { echo "# not in mmx64.efi: ${missing[*]}"; return 1; }
}

# Both boots' results and the host's as one verdict and one count line.
judge() {
	local p=0 f=0 s=0 n a b c v=() m="secureboot-$k: the MokManager steps the CLI quotes are mmx64.efi's words"
	if mokmanager_words; then
		p=1 v+=("ok - $m")
	else
		f=1 v+=("not ok - $m")
	fi
	echo "${v[0]}"
	for n in 1 2; do
		mkdir -p "$res/boot$n"
		judge_run "$res/boot$n" "secureboot-$k boot $n" "$TIMEOUT" || true
		read -r a b c <"$res/boot$n/counts"
		p=$((p + a)) f=$((f + b)) s=$((s + c))
		v+=("$(cat "$res/boot$n/verdict")")
	done
	echo "$p $f $s" >"$res/counts"
	printf '%s\n' "${v[@]}" >"$res/verdict"
	[ "$f" -eq 0 ]
}

mkdir -p "$work" "$CACHE/rootfs"
stage_strict "sb-rootfs-$k" make_rootfs
stage_strict "sb-firmware" fetch_firmware
# DMABUF_REVOKE_SB_FROM=2 (by hand, while working on the second boot):
# boot 2 again on what the last run's boot 1 left in $work.
if [ "${DMABUF_REVOKE_SB_FROM:-1}" = 2 ]; then
	[ -f "$work/root.qcow2" ] && [ -f "$work/vars.fd" ] && [ -f "$res/boot1/results.ktap" ] ||
		die "DMABUF_REVOKE_SB_FROM=2: no boot 1 in $work and $res"
	vars_have '^MokList ' ||
		stage_strict "sb-enroll-mok" enroll_mok
else
	rm -rf "$res"
	stage_strict "sb-initramfs-$k" make_initramfs
	stage_strict "sb-esp-$k" make_esp
	stage_strict "sb-disks-$k" make_disks
	stage_strict "sb-payload-$k" make_payload 1
	stage "sb-boot1-$k" boot 1 || true
	stage_strict "sb-enroll-mok" enroll_mok
fi
stage_strict "sb-payload-$k" make_payload 2
stage "sb-boot2-$k" boot 2 || true
judge
