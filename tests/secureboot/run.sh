#!/bin/bash
# Guest init for scripts/sb-guest.sh: PID 1 in the Debian root fs after the
# initramfs switch_root, under UEFI Secure Boot (OVMF + Debian's shim and
# grub). /payload/boot says which boot this is:
#   1: Microsoft's keys only. Secure Boot and integrity lockdown on; dkms
#      builds, signs (DKMS MOK key) and installs; the kernel refuses the
#      modules and the CLI says what to do. The messages are printed as
#      "# user sees: ..." diagnostics, verbatim.
#   2: the DKMS certificate is in MokList (the host enrolled it between the
#      boots). The modules load, the kprobe hook arms, the livepatch backend
#      loads, the selftest passes, an unsigned copy is still refused.
# KTAP on ttyS1 (one subtest per boot), dmesg on ttyS2, as tests/dkms.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LC_ALL=C.UTF-8 HOME=/root TERM=dumb
for m in proc:/proc sysfs:/sys tmpfs:/tmp tmpfs:/run securityfs:/sys/kernel/security \
	efivarfs:/sys/firmware/efi/efivars debugfs:/sys/kernel/debug; do
	mount -t "${m%%:*}" "${m%%:*}" "${m#*:}" 2>/dev/null
done
for f in fd:/proc/self/fd stdin:/proc/self/fd/0 stdout:/proc/self/fd/1 stderr:/proc/self/fd/2; do
	ln -sfn "${f#*:}" "/dev/${f%%:*}"	# udev's links; dkms uses process substitution
done
exec 3>/dev/ttyS1

BOOT=$(cat /payload/boot)
VER=$(cat /payload/version)
REL=$(cat /payload/release)
PKG=dmabuf-revoke
MOK=/var/lib/dkms/mok.pub
CLI=/payload/bin/dmabuf-revokectl
H=/sys/kernel/dmabuf_revoke/hook
LPM=dmabuf_revoke_livepatch
MOKNEW=/sys/firmware/efi/efivars/MokNew-605dab50-e046-4300-abb6-3dd810dd8b23
. /payload/ktap.sh
# shellcheck source=tests/guest/rootfs-guest.sh
. /payload/rootfs-guest.sh

# says CMD...: CMD's output (stdout and stderr) is printed
# verbatim as "# user sees:" lines and kept in /tmp/out, its status in $RC.
says() {
	RC=0
	"$@" >/tmp/out 2>&1 || RC=$?
	while IFS= read -r l; do ktap_diag "user sees: $l"; done </tmp/out
	ktap_diag "(exit status $RC: $*)"
}
out_has() { grep -qF -- "$1" /tmp/out; }
taint_bit() { echo $(($(cat /proc/sys/kernel/tainted) >> $1 & 1)); }
secure_boot_on() {
	says mokutil --sb-state
	[ "$RC" = 0 ] && out_has "SecureBoot enabled"
}
integrity_lockdown() {
	ktap_diag "lockdown: $(cat /sys/kernel/security/lockdown 2>&1)"
	grep -q '\[integrity\]' /sys/kernel/security/lockdown
}
# The kernel knows Secure Boot from the firmware, not from a command line.
kernel_saw_secure_boot() { dmesg | grep -qE 'Secure boot enabled|secureboot: Secure boot enabled'; }
# A copy of a signed module without its signature: the trailer is the
# PKCS#7 blob, struct module_signature (12 bytes, sig_len big-endian in the
# last 4) and the magic "~Module signature appended~\n" (28 bytes). dkms
# compresses after signing: the signature is inside the .ko.xz.
strip_signature() {	# strip_signature IN OUT
	local size siglen
	case $1 in
	*.xz) xz -dc "$1" >/tmp/signed.ko ;;
	*.zst) zstd -qdc "$1" >/tmp/signed.ko ;;
	*) cp "$1" /tmp/signed.ko ;;
	esac
	size=$(stat -c %s /tmp/signed.ko)
	[ "$(tail -c 28 /tmp/signed.ko)" = "~Module signature appended~" ] || return 1
	siglen=$(tail -c 32 /tmp/signed.ko | od -An -N4 -tu1 | awk '{print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4}')
	ktap_diag "signature: $siglen bytes of PKCS#7 + 40 bytes of trailer, cut from $size"
	head -c $((size - 28 - 12 - siglen)) /tmp/signed.ko >"$2"
	! grep -q "~Module signature appended~" "$2"
}
# The kprobe on the hook's first target symbol, as the kernel lists it.
kprobe_listed() {
	local sym
	sym=$(cut -d, -f1 $H/target)
	grep "$sym" /sys/kernel/debug/kprobes/list 2>&1 | while IFS= read -r l; do ktap_diag "kprobes/list: $l"; done
	grep -q "$sym" /sys/kernel/debug/kprobes/list
}
hook_armed() { grep -qE '^(armed|upstream-enforced)$' $H/state && grep -q 'vfio_pci_core loaded' $H/target; }
lp_armed() { hook_armed && [ "$(cat /sys/kernel/livepatch/$LPM/vfio_pci_core/patched 2>&1)" = 1 ]; }
hook_diag() { ktap_diag "hook: backend '$(cat $H/backend 2>&1)', state '$(cat $H/state 2>&1)', target '$(cat $H/target 2>&1)'"; }

boot1() {
	local t
	ktap_plan 13
	check_eq "running kernel is the matrix kernel" "$(uname -r)" "$REL"
	check "mokutil --sb-state: SecureBoot enabled" secure_boot_on
	check "kernel: Secure boot enabled (from the firmware)" kernel_saw_secure_boot
	check "kernel in integrity lockdown" integrity_lockdown
	says mokutil --test-key "$MOK"
	check "DKMS MOK key not enrolled yet (mokutil --test-key)" out_has "is not enrolled"
	cp -a "/payload/src/$PKG-$VER" /usr/src/
	t=$(date +%s)
	if dkms install "$PKG/$VER" -k "$REL" >/tmp/dkms.log 2>&1; then
		ktap_ok "dkms install $PKG/$VER -k $REL ($(($(date +%s) - t))s)"
	else
		tail -n 30 /tmp/dkms.log | while IFS= read -r l; do ktap_diag "$l"; done
		ktap_fail "dkms install $PKG/$VER -k $REL"
	fi
	grep -iE 'sign|mok' /tmp/dkms.log | while IFS= read -r l; do ktap_diag "dkms: $l"; done
	check_eq "modules signed with the DKMS MOK key" "$(modinfo -F signer dmabuf_revoke 2>&1)" \
		"DKMS module signing key"
	says modprobe dmabuf_revoke
	check "modprobe dmabuf_revoke refused: Key was rejected by service" \
		sh -c "[ $RC != 0 ] && grep -qF 'Key was rejected by service' /tmp/out"
	says "$CLI" enable
	check "dmabuf-revokectl enable fails (exit 1) and says what to run and what to reboot into" \
		sh -c "[ $RC = 1 ] && grep -qF 'mokutil --import $MOK' /tmp/out && grep -q MokManager /tmp/out"
	check "nothing of ours loaded" test ! -d /sys/module/dmabuf_revoke
	# What the user runs next: the enrollment request (shim's MokNew), and
	# the CLI's advice while it waits for the reboot. The request is then
	# revoked: between the boots the host writes MokList itself, which is
	# what MokManager would do with it (scripts/sb-guest.sh says why).
	printf '%s\n%s\n' dbr-mok dbr-mok >/tmp/pw
	says mokutil --import "$MOK" </tmp/pw
	check "mokutil --import: the request waits in MokNew" sh -c "[ $RC = 0 ] && ls $MOKNEW >/dev/null"
	says "$CLI" enable
	check "dmabuf-revokectl enable: the enrollment waits for the reboot into MokManager" \
		sh -c "[ $RC = 1 ] && grep -qF 'an enrollment is waiting' /tmp/out && grep -qF 'Enroll MOK' /tmp/out"
	says mokutil --revoke-import
	check "mokutil --revoke-import: no request left" sh -c "[ $RC = 0 ] && ! ls $MOKNEW >/dev/null 2>&1"
	dmesg | grep -iE 'module verification|Loading of|Lockdown|rejected' |
		while IFS= read -r l; do ktap_diag "dmesg: $l"; done
	ktap_done
}

boot2() {
	local ko
	ktap_plan 19
	check_eq "running kernel is the matrix kernel" "$(uname -r)" "$REL"
	check "mokutil --sb-state: SecureBoot enabled" secure_boot_on
	check "kernel in integrity lockdown" integrity_lockdown
	says mokutil --test-key "$MOK"
	check "DKMS MOK key enrolled (mokutil --test-key)" out_has "is already enrolled"
	dmesg | grep -E "MokListRT|DKMS module signing key" | while IFS= read -r l; do ktap_diag "dmesg: $l"; done
	check "kernel loaded the DKMS certificate from the MOK list" \
		sh -c "dmesg | grep -q \"Loaded X.509 cert 'DKMS module signing key\""
	ko=$(modinfo -n dmabuf_revoke)
	ktap_diag "module: $ko"
	check "an unsigned copy of dmabuf_revoke (the signature cut off)" strip_signature "$ko" /tmp/unsigned.ko
	says insmod /tmp/unsigned.ko
	check "the unsigned copy is refused: Key was rejected by service" \
		sh -c "[ $RC != 0 ] && [ ! -d /sys/module/dmabuf_revoke ] && grep -qF 'Key was rejected by service' /tmp/out"
	dmesg | grep -E 'Loading of .* is rejected' | tail -n1 | while IFS= read -r l; do ktap_diag "dmesg: $l"; done
	# The livepatch backend (the shim with backend=livepatch, then the patch).
	says "$CLI" enable --backend livepatch
	check "dmabuf-revokectl enable --backend livepatch" test "$RC" = 0
	check "livepatch enabled" sh -c "[ \"\$(cat /sys/kernel/livepatch/$LPM/enabled 2>&1)\" = 1 ]"
	check "kernel tainted K (livepatch)" test "$(taint_bit 15)" = 1
	modprobe vfio-pci 2>/tmp/vfio.log || ktap_diag "modprobe vfio-pci: $(cat /tmp/vfio.log)"
	hook_diag
	check "livepatch: vfio_pci_core patched, hook armed" lp_armed
	says "$CLI" disable
	check "dmabuf-revokectl disable (livepatch disabled and removed)" \
		sh -c "[ $RC = 0 ] && [ ! -d /sys/module/dmabuf_revoke ] && [ ! -d /sys/module/$LPM ]"
	# The kprobe backend, vfio_pci_core already loaded.
	says modprobe dmabuf_revoke
	check "modprobe dmabuf_revoke (kprobe backend)" test "$RC" = 0
	check "kernel not tainted E (every signature was trusted)" test "$(taint_bit 13)" = 0
	hook_diag
	check "kprobe hook armed under lockdown" hook_armed
	check "kprobe registered (debugfs kprobes/list)" kprobe_listed
	check "hook self-test passed at arm" sh -c "dmesg | grep -q 'dmabuf_revoke: hook self-test passed'"
	says "$CLI" selftest
	check "dmabuf-revokectl selftest" test "$RC" = 0
	check "modprobe -r dmabuf_revoke" modprobe -r dmabuf_revoke
	ktap_done
}

echo "guest: $(uname -r) in $(. /etc/os-release && echo "$PRETTY_NAME"), boot $BOOT, up $(cut -d' ' -f1 /proc/uptime)s"
printf 'KTAP version 1\n1..1\n' >&3
run_subtest 1 "secureboot-boot$BOOT" "boot$BOOT"
guest_finish
