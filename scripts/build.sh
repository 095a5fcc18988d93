#!/usr/bin/env bash
# build.sh KERNEL: build every module (and the self-check, bench and RDMA
# test modules, guest-only) for one matrix kernel, with that kernel's compiler, into
# build/KERNEL/.
# Fails on any compiler or modpost warning: the log is build/KERNEL/build.log.
. "$(dirname "$0")/lib.sh"

k=${1:?usage: build.sh KERNEL}
kd=$(kdir "$k")
[ -f "$kd/Makefile" ] || die "kernel $k: no headers (run scripts/kernels.sh fetch $k)"
out=$BUILD/$k
rm -rf "${out:?}"/{mod,selfcheck,bench,bin,cli,lptest,bpf,rdma}
mkdir -p "$out/mod" "$out/selfcheck" "$out/bench" "$out/bin" "$out/bpf"
# A private copy per kernel, laid out as DKMS lays out /usr/src/<pkg>-<ver>.
cp -r "$TOP/Kbuild" "$TOP/Makefile" "$TOP/dkms.conf" "$TOP/src" \
	"$TOP/include" "$TOP/scripts" "$out/mod/"
cp -r "$TOP/tests/selfcheck/." "$out/selfcheck/"
cp -r "$TOP/tests/bench/." "$out/bench/"
# The test livepatch of dma_buf_dynamic_attach (suite 74-interference):
# only where the kernel can load a livepatch at all.
lptest=0
if kconfig_y "$kd" CONFIG_LIVEPATCH; then
	lptest=1
	mkdir -p "$out/lptest"
	cp -r "$TOP/tests/lptest/." "$out/lptest/"
fi

# RDMA's pinned dma-buf import on an unregistered ib_device (suite 84-rdma):
# only where the kernel has RDMA user memory (not the debug kernel: no NET).
rdma=0
if kconfig_y "$kd" CONFIG_INFINIBAND_USER_MEM; then
	rdma=1
	mkdir -p "$out/rdma"
	cp -r "$TOP/tests/rdma/." "$out/rdma/"
fi

log=$out/build.log
rc=0
# dmabuf_revoke_livepatch is derived from the BTF of this kernel's own module.
vfio_ko=$(ls "$(kmoddir "$k")"/kernel/drivers/vfio/pci/vfio-pci-core.ko* 2>/dev/null | sed -n 1p) || true
{
	"$TOP/scripts/toolchain.sh" run "$k" -- make -C "$out/mod" KDIR="$kd" VFIO_KO="$vfio_ko" modules &&
		"$TOP/scripts/toolchain.sh" run "$k" -- make -C "$kd" M="$out/selfcheck" modules &&
		if [ $lptest -eq 1 ]; then
			"$TOP/scripts/toolchain.sh" run "$k" -- make -C "$kd" M="$out/lptest" modules
		else
			echo "lptest: CONFIG_LIVEPATCH is not set: no test livepatch"
		fi &&
		"$TOP/scripts/toolchain.sh" run "$k" -- make -C "$kd" M="$out/bench" \
			DBR_GEN="$out/mod/generated" modules &&
		if [ $rdma -eq 1 ]; then
			"$TOP/scripts/toolchain.sh" run "$k" -- make -C "$kd" M="$out/rdma" \
				DBR_GEN="$out/mod/generated" modules
		else
			echo "rdma: CONFIG_INFINIBAND_USER_MEM is not set: no RDMA test module"
		fi
} >"$log" 2>&1 || rc=$?
# Guest test programs: static, so the busybox initramfs needs no libc.
# Those that assert use the kernel's kselftest_harness.h (and kselftest.h),
# taken from the pinned linux-source by kernel-tools.sh (fetched here on a
# cold cache), never copied into this tree.
if [ $rc -eq 0 ]; then
	kt=$("$TOP/scripts/kernel-tools.sh" 2>>"$log") || rc=$?
fi
if [ $rc -eq 0 ]; then
	for c in "$TOP"/tests/guest/bin/*.c; do
		[ -e "$c" ] || continue
		gcc -static -O2 -g -Wall -Wextra -Werror -I"$TOP/include/uapi" -I"$TOP/include" \
			-I"$kt/tools/testing/selftests" -fmacro-prefix-map="$TOP/"= \
			-o "$out/bin/$(basename "$c" .c)" "$c" >>"$log" 2>&1 || { rc=$?; break; }
	done
fi
# BPF fentry/fexit programs on the attach entry points and their loader
# (suite 74-interference): host clang -target bpf, libbpf linked statically
# with the BPF object built in, so the guest needs nothing else.
if [ $rc -eq 0 ]; then
	bpfsrc=$TOP/tests/guest/bpf
	{
		clang -O2 -g -Wall -Werror -target bpf -D__TARGET_ARCH_x86 \
			-I/usr/include/x86_64-linux-gnu -I"$bpfsrc" \
			-c "$bpfsrc/dbr_attach_trace.bpf.c" -o "$out/bpf/dbr_attach_trace.bpf.o" &&
			gcc -static -O2 -g -Wall -Wextra -Werror -I"$bpfsrc" \
				-DDBR_BPF_OBJ="\"$out/bpf/dbr_attach_trace.bpf.o\"" \
				-o "$out/bin/dbr_bpf" "$bpfsrc/dbr_bpf.c" -lbpf -lelf -lz -lzstd
	} >>"$log" 2>&1 || rc=$?
fi
# The CLI: host gcc (works for every kernel), dynamically linked against
# libkmod; guest.sh copies its shared libraries into the initramfs.
if [ $rc -eq 0 ]; then
	make -s -C "$TOP/src/cli" OUT="$out/cli" >>"$log" 2>&1 &&
		cp "$out/cli/dmabuf-revokectl" "$out/bin/" || rc=$?
fi
if [ $rc -ne 0 ]; then
	tail -n 40 "$log" >&2
	die "kernel $k: build failed (full log: $log)"
fi
if grep -nE '(warning|WARNING):' "$log" >&2; then
	die "kernel $k: build has warnings (full log: $log)"
fi
grep '^conftest:' "$log" >"$out/conftest.txt" || true
grep '^vfio-btf:' "$log" >"$out/vfio-btf.txt" || true
ls "$out"/mod/*.ko "$out"/selfcheck/*.ko "$out"/bench/*.ko >/dev/null
[ $lptest -eq 0 ] || ls "$out"/lptest/*.ko >/dev/null
[ $rdma -eq 0 ] || ls "$out"/rdma/*.ko >/dev/null
log "kernel $k: built $(cd "$out" && shopt -s nullglob && echo mod/*.ko selfcheck/*.ko bench/*.ko lptest/*.ko rdma/*.ko bin/*)"
