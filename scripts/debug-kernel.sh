#!/usr/bin/env bash
# debug-kernel.sh KERNEL: build (or reuse) the debug kernel KERNEL
# ("<series>-debug", e.g. 7.3-debug) from Debian's own linux-source-<series>,
# pinned in scripts/kernels.manifest by pool path and SHA-256, configured as
# allnoconfig + scripts/debug-kernel.config (KASAN, lockdep, kmemleak, ...).
# Called by `scripts/kernels.sh fetch KERNEL`.
#
# The result is laid out like an extracted Debian kernel, under
# $CACHE/kernels/KERNEL-<key> (key: the manifest line + the fragment, see
# debug_key in lib.sh):
#   boot/vmlinuz-<rel>, boot/config-<rel>, boot/System.map-<rel>
#   lib/modules/<rel>/{kernel,modules.*,build -> ../../../usr/src/linux-headers-<rel>}
#   usr/src/linux-headers-<rel>   the whole build tree (KDIR), objects pruned
# and is used only once .manifest is written, at the very end.
. "$(dirname "$0")/lib.sh"

# --cached: only say (exit status) whether the build is in the cache.
k=${1:?usage: debug-kernel.sh KERNEL [--config-only|--cached]}
config_only=0 cached_only=0
case ${2:-} in
'') ;;
--config-only) config_only=1 ;;
--cached) cached_only=1 ;;
*) die "debug-kernel.sh: unknown option '$2' (--config-only or --cached)" ;;
esac
# toolchain.sh enters the build userland at the current directory.
cd "$TOP" || exit 1
base=${k%-debug}
[ "$base" != "$k" ] || die "$k: not a debug kernel (<series>-debug)"
FRAGMENT=$TOP/scripts/debug-kernel.config
JOBS=${DMABUF_REVOKE_JOBS:-2}

rel=$(manifest_release "$k")
root=$(kroot "$k")
kd=$(kdir "$k")
want=$(debug_manifest_line "$k")
read -r _ _ archive path sha <<<"$want"
stamp=$root/.manifest
key_text="$want $(sha256sum <"$FRAGMENT" | cut -d' ' -f1)"

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$key_text" ]; then
	log "kernel $k: cached ($root)"
	exit 0
fi
[ $cached_only -eq 0 ] || exit 1

# The stage functions run under `stage`, where set -e does not apply:
# every step checks its own status.

# Same pinning as every other .deb of the manifest.
fetch_source() {
	local dest
	dest=$CACHE/debs/$(basename "$path")
	if ! { [ -f "$dest" ] && echo "$sha  $dest" | sha256sum -c --status; }; then
		mkdir -p "$CACHE/debs"
		curl -fsSL --retry 3 -o "$dest.part" "$(mirror "$archive")/$path" ||
			die "download failed: $path"
		if ! echo "$sha  $dest.part" | sha256sum -c --status; then
			rm -f "$dest.part"
			die "sha256 mismatch for $(basename "$path"): expected $sha (manifest)"
		fi
		mv "$dest.part" "$dest"
	fi
	log "kernel $k: verified $(basename "$dest")"
	# A build that failed half-way keeps its unpacked tree: make resumes.
	if [ "$(cat "$root/.source" 2>/dev/null)" = "$sha" ] && [ -f "$kd/Makefile" ]; then
		log "kernel $k: resuming in the unpacked tree $kd"
		return
	fi
	if ! { rm -rf "$root" && mkdir -p "$kd" "$root/boot"; }; then
		die "kernel $k: cannot create $root"
	fi
	# The package holds one tarball, usr/src/linux-source-<series>.tar.xz.
	dpkg-deb --fsys-tarfile "$dest" | tar -xO --wildcards '*/usr/src/linux-source-*.tar.xz' |
		tar -xJ -C "$kd" --strip-components=1 ||
		die "kernel $k: cannot unpack $(basename "$dest")"
	[ -f "$kd/Makefile" ] || die "kernel $k: no Makefile in $(basename "$dest")"
	echo "$sha" >"$root/.source"
}

# The compiler of the Debian kernel of the same series, by the same means
# Debian's headers use (.kernelvariables, read by Debian's top Makefile):
# out-of-tree builds against this tree then pick gcc-<N> by themselves (the
# build userland has no plain `gcc`, so the host tools use it too).
kmake() {
	"$TOP/scripts/toolchain.sh" kbuild "$base" -- nice -n 10 make -C "$kd" "$@"
}

configure() {
	local cc
	cc=$(kernel_cc_name "$(kdir "$base")")
	case $cc in
	x86_64-linux-gnu-gcc-[0-9]*) ;;
	*) die "kernel $base: compiler '$cc' is not x86_64-linux-gnu-gcc-<N>" ;;
	esac
	grep -q 'kernelvariables' "$kd/Makefile" ||
		die "kernel $k: the source's Makefile does not read .kernelvariables (not Debian's?)"
	printf '%s\n' 'override ARCH = x86' 'override CROSS_COMPILE = x86_64-linux-gnu-' \
		"CC = \$(CROSS_COMPILE)${cc#x86_64-linux-gnu-}" \
		"HOSTCC = \$(CROSS_COMPILE)${cc#x86_64-linux-gnu-}" >"$kd/.kernelvariables" ||
		die "kernel $k: cannot write .kernelvariables"
	kmake allnoconfig KCONFIG_ALLCONFIG="$FRAGMENT" >"$root/config.log" 2>&1 ||
		{ tail -n 30 "$root/config.log" >&2; die "kernel $k: allnoconfig failed"; }
	kmake olddefconfig >>"$root/config.log" 2>&1 ||
		{ tail -n 30 "$root/config.log" >&2; die "kernel $k: olddefconfig failed"; }
	check_config "$kd/.config"
}

# check_config CONFIG: every line of the fragment holds in CONFIG as written.
check_config() {
	local line sym val got bad=()
	while IFS= read -r line; do
		case $line in
		CONFIG_*=*) sym=${line%%=*} val=${line#*=} ;;
		"# CONFIG_"*" is not set") sym=${line#\# } sym=${sym%% *} val=n ;;
		*) continue ;;
		esac
		got=$(awk -F= -v s="$sym" '$1==s {print substr($0, length(s) + 2)}' "$1")
		[ -n "$got" ] || got=n
		[ "$got" = "$val" ] || bad+=("$sym=$val (got $got)")
	done <"$FRAGMENT"
	if [ ${#bad[@]} -gt 0 ]; then
		printf '  %s\n' "${bad[@]}" >&2
		die "kernel $k: ${#bad[@]} option(s) of $(basename "$FRAGMENT") missing after olddefconfig (a dependency is off)"
	fi
	log "kernel $k: config has all $(grep -cE '^(CONFIG_|# CONFIG_.* is not set)' "$FRAGMENT") options of $(basename "$FRAGMENT")"
}

compile() {
	local log=$root/build.log
	kmake -j"$JOBS" bzImage modules >"$log" 2>&1 ||
		{ tail -n 40 "$log" >&2; die "kernel $k: build failed (log: $log)"; }
	local got
	got=$(cat "$kd/include/config/kernel.release")
	[ "$got" = "$rel" ] || die "kernel $k: built release '$got', manifest says '$rel'"
}

install_tree() {
	local md=$root/lib/modules/$rel
	# Stripped of DWARF (not of .BTF): the initramfs stays small.
	kmake INSTALL_MOD_PATH="$root" INSTALL_MOD_STRIP=1 modules_install >"$root/install.log" 2>&1 ||
		{ tail -n 20 "$root/install.log" >&2; die "kernel $k: modules_install failed"; }
	if ! { cp "$kd/arch/x86/boot/bzImage" "$root/boot/vmlinuz-$rel" &&
		cp "$kd/.config" "$root/boot/config-$rel" &&
		cp "$kd/System.map" "$root/boot/System.map-$rel" &&
		ln -sfn "../../../usr/src/linux-headers-$rel" "$md/build"; }; then
		die "kernel $k: cannot lay out $root"
	fi
	[ -f "$md/kernel/drivers/vfio/pci/vfio-pci-core.ko" ] ||
		die "kernel $k: no vfio-pci-core.ko installed"
	# Out-of-tree builds need the tree's scripts, headers, .config,
	# Module.symvers and vmlinux (split BTF of modules), not its objects.
	if ! { find "$kd" \( -name '*.o' -o -name '*.a' -o -name '*.ko' -o -name '*.mod.c' \) \
		-not -path "$kd/scripts/*" -not -path "$kd/tools/*" -delete &&
		rm -f "$kd/arch/x86/boot/compressed/vmlinux.bin"*; }; then
		die "kernel $k: cannot prune $kd"
	fi
}

stage "debug-$k-source" fetch_source
stage "debug-$k-config" configure
[ $config_only -eq 0 ] || exit 0
t0=$(date +%s)
stage "debug-$k-compile" compile
t1=$(date +%s)
stage "debug-$k-install" install_tree
echo "$key_text" >"$stamp"
log "kernel $k: built $rel in $((t1 - t0))s; $(du -sh "$root" | cut -f1) in $root"
