#!/usr/bin/env bash
# vfio-btf.sh KDIR OUTDIR [VFIO_KO]: derive what the livepatch hook backend
# (src/livepatch.c) needs of vfio-pci's private code from the target
# kernel's own BTF, and confirm the function it replaces, or say why not.
#
# On success writes OUTDIR/dmabuf_revoke_vfio_btf.h; Kbuild builds
# dmabuf_revoke_livepatch.ko only when that header exists. On any doubt it
# removes the header, prints "vfio-btf: skipping dmabuf_revoke_livepatch: <why>"
# and exits 0: the other modules build either way.
#
# What is derived and confirmed, all from the vfio-pci-core.ko that the
# patch will meet at run time (split BTF on the headers' vmlinux BTF):
#   - struct vfio_pci_dma_buf (private to drivers/vfio/pci/vfio_pci_dmabuf.c):
#     the byte and bit of its one-bit `revoked` field, a u8 bitfield;
#   - vfio_pci_dma_buf_attach: one static function of prototype
#     int (struct dma_buf *, struct dma_buf_attachment *);
#   - its body calls nothing but dma_buf_attach_revocable(), and that exactly
#     when the headers have it (conftest HAVE_DMA_BUF_ATTACH_REVOCABLE): the
#     checks the replacement reimplements (v6.19-v7.0: peer2peer, revoked;
#     v7.1+: also dma_buf_attach_revocable()), nothing else to keep;
#   - a fingerprint: the SHA-256 and size of the module's .BTF section, which
#     the livepatch compares with the loaded vfio_pci_core's BTF at enable.
#
# VFIO_KO defaults to /lib/modules/<headers' release>/kernel/drivers/vfio/pci/
# vfio-pci-core.ko{,.xz,.zst} (where DKMS finds it); scripts/build.sh passes
# the matrix kernel's. Needs bpftool, objcopy and readelf.
set -euo pipefail

KDIR=${1:?usage: vfio-btf.sh KDIR OUTDIR [VFIO_KO]}
OUT=${2:?usage: vfio-btf.sh KDIR OUTDIR [VFIO_KO]}
KO=${3:-}
HDR=$OUT/dmabuf_revoke_vfio_btf.h
FUNC=vfio_pci_dma_buf_attach

mkdir -p "$OUT"
rm -f "$HDR"

skip() {
	echo "vfio-btf: skipping dmabuf_revoke_livepatch: $*"
	exit 0
}

compat=$OUT/dmabuf_revoke_compat.h
[ -f "$compat" ] || skip "no $compat (run scripts/conftest.sh first)"
grep -q '^#define HAVE_VFIO_DEVICE_FEATURE_DMA_BUF 1' "$compat" ||
	skip "vfio-pci has no dma-buf export on this kernel (5d74781ebc86, v6.19)"
revocable=0
grep -q '^#define HAVE_DMA_BUF_ATTACH_REVOCABLE 1' "$compat" && revocable=1

config() { grep -q "^$1=y" "$KDIR/.config" 2>/dev/null; }
config CONFIG_LIVEPATCH || skip "CONFIG_LIVEPATCH is not set in $KDIR/.config"
config CONFIG_DEBUG_INFO_BTF_MODULES ||
	skip "CONFIG_DEBUG_INFO_BTF_MODULES is not set: no module BTF to derive from or check against"
[ -f "$KDIR/vmlinux" ] || skip "no $KDIR/vmlinux (the headers' base BTF)"
for t in bpftool objcopy readelf sha256sum; do
	command -v "$t" >/dev/null || skip "$t not found (install bpftool and binutils)"
done

if [ -z "$KO" ]; then
	rel=$(cat "$KDIR/include/config/kernel.release" 2>/dev/null) ||
		skip "no kernel release in $KDIR/include/config/kernel.release"
	for f in /lib/modules/"$rel"/kernel/drivers/vfio/pci/vfio-pci-core.ko{,.xz,.zst}; do
		[ -f "$f" ] && KO=$f && break
	done
	[ -n "$KO" ] || skip "no vfio-pci-core.ko under /lib/modules/$rel (pass VFIO_KO=<path>)"
fi
[ -f "$KO" ] || skip "VFIO_KO=$KO does not exist"

TMP=$(mktemp -d "$OUT/.vfio-btf.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
ko=$TMP/vfio-pci-core.ko
case $KO in
*.xz) xz -dc "$KO" >"$ko" 2>/dev/null || skip "cannot decompress $KO" ;;
*.zst) zstd -qdc "$KO" >"$ko" 2>/dev/null || skip "cannot decompress $KO" ;;
*) cp "$KO" "$ko" ;;
esac

# --- fingerprint: the bytes the kernel keeps as the module's BTF ------------
objcopy --dump-section .BTF="$TMP/btf.bin" "$ko" "$TMP/junk.o" 2>/dev/null ||
	skip "$KO has no .BTF section"
btf_size=$(stat -c %s "$TMP/btf.bin")
btf_sha=$(sha256sum "$TMP/btf.bin" | cut -d' ' -f1)

# --- layout and prototype from BTF ------------------------------------------
bpftool btf dump file "$KDIR/vmlinux" format raw >"$TMP/base.txt" 2>/dev/null ||
	skip "bpftool cannot read the BTF of $KDIR/vmlinux"
bpftool -B "$KDIR/vmlinux" btf dump file "$ko" format raw >"$TMP/split.txt" 2>/dev/null ||
	skip "bpftool cannot read the split BTF of $KO on $KDIR/vmlinux"

# Prints "ok <byte> <bit> <struct size>" or "fail <why>".
res=$(awk -v func_name="$FUNC" -v sq="'" '
	# [id] KIND <sq>name<sq> attr=val...; member lines start with a tab.
	/^\[/ {
		id = substr($1, 2, length($1) - 2)
		kind[id] = $2
		q = index($0, sq)
		rest = substr($0, q + 1)
		e = index(rest, sq)
		name[id] = substr(rest, 1, e - 1)
		n = split(substr(rest, e + 1), a, " ")
		for (i = 1; i <= n; i++) {
			split(a[i], kv, "=")
			attr[id, kv[1]] = kv[2]
		}
		cur = id
		if (FILENAME ~ /split/) {
			if ($2 == "STRUCT" && name[id] == "vfio_pci_dma_buf") { sid = id; nstruct++ }
			if ($2 == "FUNC" && name[id] == func_name) { fid = id; nfunc++ }
		}
		next
	}
	# Members of our struct (split BTF) and parameters of any prototype.
	/^\t/ && (FILENAME ~ /split/ || kind[cur] == "FUNC_PROTO") {
		m = ++nmem[cur]
		mn = $1
		gsub(sq, "", mn)
		mname[cur, m] = mn
		for (i = 2; i <= NF; i++) {
			split($i, kv, "=")
			mattr[cur, m, kv[1]] = kv[2]
		}
	}
	function strip(t) {
		while (kind[t] == "TYPEDEF" || kind[t] == "CONST" || kind[t] == "VOLATILE" ||
		       kind[t] == "RESTRICT" || kind[t] == "TYPE_TAG")
			t = attr[t, "type_id"]
		return t
	}
	function ptr_to(t, want) {
		t = strip(t)
		if (kind[t] != "PTR")
			return 0
		t = strip(attr[t, "type_id"])
		return kind[t] == "STRUCT" && name[t] == want
	}
	END {
		if (nstruct != 1) { print "fail struct vfio_pci_dma_buf: found " nstruct + 0 " times"; exit }
		for (m = 1; m <= nmem[sid]; m++)
			if (mname[sid, m] == "revoked") { rm = m; nrev++ }
		if (nrev != 1) { print "fail vfio_pci_dma_buf.revoked: found " nrev + 0 " times"; exit }
		if (mattr[sid, rm, "bitfield_size"] != 1) { print "fail vfio_pci_dma_buf.revoked is not a one-bit bitfield"; exit }
		t = strip(mattr[sid, rm, "type_id"])
		if (kind[t] != "INT" || attr[t, "size"] != 1) { print "fail vfio_pci_dma_buf.revoked is not a u8 bitfield"; exit }
		off = mattr[sid, rm, "bits_offset"] + 0
		if (int(off / 8) >= attr[sid, "size"] + 0) { print "fail vfio_pci_dma_buf.revoked lies outside the struct"; exit }

		if (nfunc != 1) { print "fail " func_name ": found " nfunc + 0 " times in BTF"; exit }
		p = attr[fid, "type_id"]
		if (kind[p] != "FUNC_PROTO" || attr[p, "vlen"] != 2) { print "fail " func_name ": not a two-argument function"; exit }
		r = strip(attr[p, "ret_type_id"])
		if (kind[r] != "INT" || name[r] != "int") { print "fail " func_name ": does not return int"; exit }
		if (!ptr_to(mattr[p, 1, "type_id"], "dma_buf") ||
		    !ptr_to(mattr[p, 2, "type_id"], "dma_buf_attachment")) {
			print "fail " func_name ": arguments are not (struct dma_buf *, struct dma_buf_attachment *)"
			exit
		}
		print "ok", int(off / 8), off % 8, attr[sid, "size"]
	}' "$TMP/base.txt" "$TMP/split.txt")
case $res in
ok\ *) read -r _ byte bit ssize <<<"$res" ;;
*) skip "BTF of $KO: ${res#fail }" ;;
esac

# --- what the function body calls (its relocations) -------------------------
read -r value size secidx < <(readelf -W -s "$ko" |
	awk -v f="$FUNC" '$4 == "FUNC" && $8 == f { print $2, $3, $7 }') ||
	skip "$FUNC is not in the symbol table of $KO"
[ "$(readelf -W -s "$ko" | awk -v f="$FUNC" '$8 == f' | wc -l)" = 1 ] ||
	skip "$FUNC is not unique in $KO (livepatch needs old_sympos)"
secname=$(readelf -W -S "$ko" | sed 's/\[ */[/' |
	awk -v n="[$secidx]" '$1 == n { print $2 }')
lo=$((16#$value)) hi=$((16#$value + size))
calls=$(readelf -W -r "$ko" | awk -v want="'.rela$secname'" '
	/^Relocation section/ { in_sec = ($3 == want); next }
	in_sec && $1 ~ /^[0-9a-f]+$/ { print $1, $5 }' |
	while read -r off sym; do
		o=$((16#$off))
		if [ $o -ge $lo ] && [ $o -lt $hi ]; then echo "${sym%%[-+]*}"; fi
	done | sort -u)
others=$(echo "$calls" | grep -vE '^(__fentry__|__x86_return_thunk|__x86_indirect_thunk_[a-z0-9]+|dma_buf_attach_revocable|)$' || true)
[ -z "$others" ] || skip "$FUNC also calls $(echo "$others" | xargs): the replacement would not reimplement it"
if grep -qx dma_buf_attach_revocable <<<"$calls"; then
	[ $revocable = 1 ] ||
		skip "$FUNC calls dma_buf_attach_revocable() but the headers lack it"
else
	[ $revocable = 0 ] ||
		skip "$FUNC does not call dma_buf_attach_revocable() although the headers have it (be6d4c9e9d71, v7.1)"
fi

sha_bytes=$(echo "$btf_sha" | sed 's/../0x&, /g; s/, $//')
{
	echo "/* SPDX-License-Identifier: GPL-2.0 */"
	echo "/*"
	echo " * Generated by scripts/vfio-btf.sh from the BTF of"
	echo " * $KO"
	echo " * on $KDIR/vmlinux. Do not edit."
	echo " */"
	echo "#ifndef DMABUF_REVOKE_VFIO_BTF_H"
	echo "#define DMABUF_REVOKE_VFIO_BTF_H"
	echo
	echo "/* struct vfio_pci_dma_buf (size $ssize): u8 revoked:1 at bit offset $((byte * 8 + bit)) */"
	echo "#define DBR_VFIO_REVOKED_BYTE $byte"
	echo "#define DBR_VFIO_REVOKED_BIT $bit"
	echo "#define DBR_VFIO_DMA_BUF_SIZE $ssize"
	echo
	echo "/* $FUNC calls dma_buf_attach_revocable(): $([ $revocable = 1 ] && echo yes || echo no) */"
	echo "#define DBR_VFIO_ATTACH_REVOCABLE $revocable"
	echo
	echo "/* SHA-256 and size of vfio-pci-core.ko's .BTF section */"
	echo "#define DBR_VFIO_BTF_SIZE $btf_size"
	echo "#define DBR_VFIO_BTF_SHA256_HEX \"$btf_sha\""
	echo "#define DBR_VFIO_BTF_SHA256 { $sha_bytes }"
	echo
	echo "#endif /* DMABUF_REVOKE_VFIO_BTF_H */"
} >"$HDR.tmp"
mv "$HDR.tmp" "$HDR"
echo "vfio-btf: vfio_pci_dma_buf.revoked at byte $byte bit $bit (struct size $ssize);" \
	"$FUNC($([ $revocable = 1 ] && echo 'checks dma_buf_attach_revocable' || echo 'no revocable check')); BTF sha256 ${btf_sha:0:16}... ($btf_size bytes)"
