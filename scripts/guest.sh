#!/usr/bin/env bash
# guest.sh [--selfcheck|--demo|--bench] KERNEL: boot KERNEL in QEMU with our modules and the
# guest KTAP suite, collect the results into build/results/KERNEL/, and judge.
#
# The run fails on: a failed or missing test result, a timeout, a guest that
# died before finishing, or BUG:/WARNING:/Oops/Call Trace/KASAN/UBSAN/lockdep
# in the guest's dmesg. Writes results/KERNEL/counts: "<passed> <failed> <skipped>".
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/qemu-lib.sh"

# --selfcheck: the suites that must fail (tests/selfcheck); --demo: the
# demo (tests/demo), its table printed at the end; --bench: the bench
# (tests/bench, run by scripts/bench.sh; dbr_bench's options from
# DMABUF_REVOKE_BENCH_ARGS), results in results/bench-KERNEL/.
selfcheck=0 demo=0 bench=0
case ${1:-} in
--selfcheck) selfcheck=1; shift ;;
--demo) demo=1; shift ;;
--bench) bench=1; shift ;;
-*) die "guest.sh: unknown option '$1' (--selfcheck, --demo or --bench)" ;;
esac
k=${1:?usage: guest.sh [--selfcheck|--demo|--bench] KERNEL}
rel=$(manifest_release "$k")
moddir=$(kmoddir "$k")
out=$BUILD/$k
res=$BUILD/results/$k
[ $selfcheck -eq 1 ] && res=$BUILD/results/selfcheck-$k
[ $demo -eq 1 ] && res=$BUILD/results/demo-$k
[ $bench -eq 1 ] && res=$BUILD/results/bench-$k
# One staging tree and image per mode: make check runs a kernel's suites,
# its self-check and its bench smoke at the same time.
mode="test"
[ $selfcheck -eq 1 ] && mode=selfcheck
[ $demo -eq 1 ] && mode=demo
[ $bench -eq 1 ] && mode=bench
stage=$out/initramfs-$mode
cpio=$out/initramfs-$mode.cpio
kconfig=$(kdir "$k")/.config
kconfig_has() { kconfig_y "$kconfig" "$1"; }
# Per kernel: a debug kernel (KASAN, lockdep, kmemleak, ...) runs the same
# suites several times slower under TCG. DMABUF_REVOKE_GUEST_TIMEOUT sets
# the stock kernels' budget, DMABUF_REVOKE_GUEST_TIMEOUT_<kernel> (dots and
# dashes as _, e.g. ..._7_3_debug) one kernel's.
TIMEOUT=${DMABUF_REVOKE_GUEST_TIMEOUT:-600}
case $k in *-debug) TIMEOUT=$((TIMEOUT * 4)) ;; esac
# A full bench run (10,000 live attachments, every block) is long under TCG.
[ $bench -eq 1 ] && TIMEOUT=${DMABUF_REVOKE_GUEST_TIMEOUT:-3600}
tvar=DMABUF_REVOKE_GUEST_TIMEOUT_${k//[.-]/_}
TIMEOUT=${!tvar:-$TIMEOUT}
# Whatever happens below, no verdict of an earlier run is left to count.
rm -rf "$res"

# In-tree modules the suites need, with their dependency closure.
GUEST_MODULES="vfio-pci vfio_iommu_type1 vgem"
# Staged where the kernel ships them as modules; the suites that need them
# skip with the config option's name where they are neither (udmabuf is a
# bool option: built in on 6.12+, absent on 6.1; vivid, a V4L2 legacy
# importer, is absent from the debug kernel, built without media; so is
# RDMA, whose pinned dma-buf import lives in ib_uverbs up to 7.0 and in
# ib_core from 7.2: the RDMA test module needs both).
GUEST_OPTIONAL_MODULES="udmabuf vivid ib_core ib_uverbs"

# Dynamically linked programs in tests/bin (the CLI, on libkmod): their
# shared libraries and the loader, at the paths ldd names on the host.
stage_libs() {
	local f lib
	for f in "$stage"/tests/bin/*; do
		while IFS= read -r lib; do
			[ -e "$stage$lib" ] && continue
			mkdir -p "$stage$(dirname "$lib")"
			cp -L "$lib" "$stage$lib"
		done < <({ ldd "$f" 2>/dev/null || true; } | grep -oE '/[^ ]+')
	done
}

# The detectors KERNEL was built with, one word each, for the guest to
# prove running (tests/guest/debug/99-kmemleak.sh, tests/selfcheck).
detectors() {
	local opt word
	for opt in KASAN:kasan PROVE_LOCKING:lockdep DEBUG_KMEMLEAK:kmemleak UBSAN:ubsan \
		DEBUG_OBJECTS:debug_objects DEBUG_LIST:debug_list; do
		word=${opt#*:}
		kconfig_has "CONFIG_${opt%%:*}" && echo "$word"
	done
	true
}

# pahole_field PAHOLE_OUTPUT STRUCT MEMBER: MEMBER's offset in STRUCT (member
# lines end in "/* offset size */", maybe after an __attribute__). Here-strings,
# not pipes: awk exits early.
pahole_field() {
	awk -v s="$2" -v f="$3" '
		$1 == "struct" && $2 == s && $3 == "{" {in_s = 1; next}
		in_s && /^}/ {in_s = 0}
		in_s && $0 ~ ("[ *]" f "(\\[[0-9]+\\])?( __attribute__.*)?;") {sub(/.*\/\* */, ""); print $1; exit}' <<<"$1"
}

# "name text.base text.size init_text.base init_text.size": offsets in
# struct module of this kernel (its BTF, read by pahole), for the kprobe
# event of tests/guest/debug/setup.sh. MOD_TEXT is mem[0], MOD_INIT_TEXT
# mem[4] (enum mod_mem_type).
module_layout() {
	local kd pa name mem sz base size
	kd=$(kdir "$k")
	pa=$("$TOP/scripts/toolchain.sh" run "$k" -- pahole -C module,module_memory "$kd/vmlinux" 2>/dev/null) ||
		die "kernel $k: pahole cannot read struct module from $kd/vmlinux"
	name=$(pahole_field "$pa" module name)
	mem=$(pahole_field "$pa" module mem)
	base=$(pahole_field "$pa" module_memory base)
	size=$(pahole_field "$pa" module_memory size)
	sz=$(awk '$1 == "struct" && $2 == "module_memory" && $3 == "{" {m = 1}
		m && /\/\* size: / {sub(/.*size: */, ""); sub(/,.*/, ""); print; exit}' <<<"$pa")
	if [ -z "$name" ] || [ -z "$mem" ] || [ -z "$sz" ] || [ -z "$base" ] || [ -z "$size" ]; then
		die "kernel $k: struct module layout not found (name=$name mem=$mem sizeof=$sz base=$base size=$size)"
	fi
	echo "$name $((mem + base)) $((mem + size)) $((mem + 4 * sz + base)) $((mem + 4 * sz + size))"
}

make_initramfs() {
	local m
	rm -rf "$stage"
	mkdir -p "$stage"/{bin,sbin,dev,proc,sys,tmp,tests/bin,tests/suites,tests/expected,lib/modules/"$rel"/extra}
	cp -r "$out/bin/." "$stage/tests/bin/"
	stage_libs
	cp /bin/busybox "$stage/bin/busybox"
	ln -s busybox "$stage/bin/sh"
	install -m 755 "$TOP/tests/guest/init" "$stage/init"
	cp "$TOP/tests/guest/ktap.sh" "$TOP/tests/guest/helpers.sh" "$TOP/tests/guest/run.sh" "$stage/tests/"
	if [ $selfcheck -eq 1 ]; then
		cp "$TOP"/tests/selfcheck/*.sh "$stage/tests/suites/"
		cp "$out"/selfcheck/*.ko "$stage/lib/modules/$rel/extra/"
	elif [ $demo -eq 1 ]; then
		cp "$TOP"/tests/demo/*.sh "$stage/tests/suites/"
		cp "$out"/bench/*.ko "$stage/lib/modules/$rel/extra/"
	elif [ $bench -eq 1 ]; then
		cp "$TOP"/tests/bench/*.sh "$stage/tests/suites/"
		cp "$out"/bench/*.ko "$stage/lib/modules/$rel/extra/"
		echo "${DMABUF_REVOKE_BENCH_ARGS:-}" >"$stage/tests/expected/bench.args"
		echo "$k" >"$stage/tests/expected/kernel"
		[ -z "${DMABUF_REVOKE_BENCH_PROFILE:-}" ] || touch "$stage/tests/expected/bench.profile"
	else
		# DMABUF_REVOKE_SUITES="70-* 72-*": only these suites (a quick loop).
		(cd "$TOP/tests/guest/suites" && cp ${DMABUF_REVOKE_SUITES:-*.sh} "$stage/tests/suites/")
	fi
	cp "$out"/mod/*.ko "$stage/lib/modules/$rel/extra/"
	# The test livepatch (built only where CONFIG_LIVEPATCH=y) and the
	# RDMA test module (only where CONFIG_INFINIBAND_USER_MEM=y).
	if [ $selfcheck -eq 0 ] && [ $demo -eq 0 ]; then
		cp "$out"/lptest/*.ko "$stage/lib/modules/$rel/extra/" 2>/dev/null || true
		cp "$out"/rdma/*.ko "$stage/lib/modules/$rel/extra/" 2>/dev/null || true
	fi
	# What the build says each module is: compared in the guest to /sys/module.
	for m in "$out"/mod/*.ko; do
		modinfo -F version "$m" >"$stage/tests/expected/$(basename "$m" .ko).version"
		modinfo -F srcversion "$m" >"$stage/tests/expected/$(basename "$m" .ko).srcversion"
	done
	echo "$rel" >"$stage/tests/expected/release"
	# The sysfs files the module is built to make (25-shim-knobs).
	"$TOP/scripts/names.sh" counters >"$stage/tests/expected/counters"
	"$TOP/scripts/names.sh" hook >"$stage/tests/expected/hook-files"
	"$TOP/scripts/names.sh" knobs >"$stage/tests/expected/knobs"
	cp "$out/conftest.txt" "$stage/tests/expected/conftest.txt"
	cp "$out/vfio-btf.txt" "$stage/tests/expected/vfio-btf.txt" 2>/dev/null || true
	detectors >"$stage/tests/expected/detectors"
	# Debug kernels: module loads are recorded from the start (/init runs
	# debug-setup.sh), and after the suites kmemleak is read.
	# In self-check mode it must find the self-check module's leak.
	if kconfig_has CONFIG_DEBUG_KMEMLEAK && [ $demo -eq 0 ]; then
		cp "$TOP/tests/guest/debug/setup.sh" "$stage/tests/debug-setup.sh"
		cp "$TOP/tests/guest/debug/99-kmemleak.sh" "$stage/tests/suites/"
		module_layout >"$stage/tests/expected/module-layout"
		kconfig_get "$kconfig" CONFIG_HZ >"$stage/tests/expected/hz"
	fi
	# shellcheck disable=SC2086 # lists of names
	stage_modules "$stage" "$moddir" $GUEST_MODULES
	# shellcheck disable=SC2086
	stage_modules -o "$stage" "$moddir" $GUEST_OPTIONAL_MODULES
	cp "$moddir"/modules.builtin* "$moddir/modules.order" "$stage/lib/modules/$rel/" 2>/dev/null || true
	depmod -b "$stage" "$rel"
	(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$cpio"
}

# Debug kernels, init_on_alloc=1: kmalloc() memory keeps the stale free-list pointers of
# its last life otherwise, and kmemleak's conservative scan takes those for
# references (a leaked object stays "referenced" by its neighbour).
# no5lvl: QEMU's "-cpu max" offers LA57, and from 7.x pgtable_l5_enabled()
# is cpu_feature_enabled(X86_FEATURE_LA57), which reads clear while the boot
# CPU's identify_cpu() rebuilds its capabilities: an interrupt in that
# window made KASAN report its own direct-map access as a wild access
# (handle_edge_irq, 0.005 s into boot, before any module; seen once under a
# doubly loaded host). 4-level paging has no such window.
APPEND=
case $k in *-debug) APPEND=" init_on_alloc=1 no5lvl" ;; esac

# q35, intel-iommu with interrupt remapping, the edu device for VFIO, 2 vCPUs.
# edu sits alone behind a root port: it has no FLR or PM reset of its own, so
# VFIO_DEVICE_RESET needs the port's secondary bus reset.
#
# Kernel command line: log_buf_len so no line is lost to a wrapped ring
# before the judge reads dmesg; noirqdebug because on PREEMPT_RT under TCG
# the serial console's threaded IRQ, flooded by the suites' log lines, trips
# the spurious-interrupt check ("irq 4: nobody cared", a Call Trace that is
# QEMU's and the flood's, not ours).
boot() {
	local vmlinuz
	vmlinuz=$("$TOP/scripts/kernels.sh" vmlinuz "$k")
	[ -n "$vmlinuz" ] || die "kernel $k: no vmlinuz"
	qemu_boot --threads single --machine kernel-irqchip=split --mem 1G \
		--device intel-iommu,intremap=on \
		--device pcie-root-port,id=rp1,chassis=1 --device edu,bus=rp1 \
		--what "kernel $k: booting" "$res" "$TIMEOUT" \
		-kernel "$vmlinuz" -initrd "$cpio" \
		-append "console=ttyS0 intel_iommu=on panic=-1 rdinit=/init log_buf_len=16M noirqdebug$APPEND"
}

stage_strict "initramfs-$k" make_initramfs
stage "boot+test-$k" boot
# TCG boots of stock kernels very rarely die before /init runs anything of
# ours (seen once: a crash in early timekeeping). Only that case is retried,
# once, and said so; anything after our first line counts as it is.
if ! grep -q '^KTAP version' "$res/results.ktap" 2>/dev/null; then
	mkdir -p "$BUILD/results"
	cp "$res/console.log" "$BUILD/results/bootflake-$k-console.log" 2>/dev/null || true
	log "kernel $k: guest died before /init ran (QEMU exit status $(cat "$res/qemu.rc" 2>/dev/null || echo unknown); console kept as results/bootflake-$k-console.log); retrying once"
	stage "boot+test-$k-retry" boot
fi
if [ $demo -eq 1 ]; then
	# The demo's story is in its diagnostic lines.
	sed -n 's/^  # \{0,1\}//p' "$res/results.ktap" | grep -v '^Subtest:' || true
fi
judge_run "$res" "$k" "$TIMEOUT"
