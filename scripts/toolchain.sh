#!/usr/bin/env bash
# Run a command with the compiler a kernel was built with.
#
#   scripts/toolchain.sh run KERNEL -- CMD...   run CMD for KERNEL's headers
#   scripts/toolchain.sh kbuild KERNEL -- CMD... the same, in a userland that
#                                               can build a whole kernel
#   scripts/toolchain.sh ensure SUITE [kbuild]  build/cache a Debian userland
#
# The compiler is read from the headers' CONFIG_CC_VERSION_TEXT, not from the
# kernel version: gcc-12 kernels (bookworm) build on this host; gcc-14 kernels
# (trixie, backports) need trixie's gcc-14 and glibc >= 2.38 for the kbuild
# tools, so they build inside a cached trixie userland made by mmdebstrap,
# entered with `unshare -m` so no bind mount outlives the command.
. "$(dirname "$0")/lib.sh"

# bpftool: scripts/vfio-btf.sh reads vfio-pci-core's split BTF with it.
USERLAND_PKGS=gcc-14,make,libc6-dev,libelf1t64,pahole,dpkg-dev,bc,kmod,bpftool
# What a kernel build adds (scripts/debug-kernel.sh): kconfig's lexer and
# parser, objtool's libelf, python3 (libbpf's bpf_helper_defs.h for
# resolve_btfids). A userland of its own, so the module builds'
# userland (and its cache key) stays as it is.
KBUILD_PKGS=$USERLAND_PKGS,flex,bison,libelf-dev,python3
suite_for_gcc() {
	case $1 in
	12) echo host ;;
	14) echo trixie ;;
	*) die "no known userland ships gcc-$1 (needed by the kernel headers)" ;;
	esac
}

# One directory per package list: worktrees with different lists share the
# cache without rebuilding each other's userland under a running build.
userland_dir() {	# userland_dir SUITE PKGS
	echo "$CACHE/userland/$1-$(printf '%s' "$2" | sha256sum | cut -c1-8)"
}

ensure() {	# ensure SUITE [kbuild]
	local suite=$1 pkgs=$USERLAND_PKGS dir stamp
	[ "${2:-}" = kbuild ] && pkgs=$KBUILD_PKGS
	dir=$(userland_dir "$suite" "$pkgs")
	stamp="$pkgs"
	if [ -f "$dir/.stamp" ] && [ "$(cat "$dir/.stamp")" = "$stamp" ]; then
		return
	fi
	command -v mmdebstrap >/dev/null || die "mmdebstrap missing (apt-get install mmdebstrap)"
	log "userland $suite: creating with mmdebstrap"
	rm -rf "$dir" "$dir.tar"
	mkdir -p "$CACHE/userland"
	mmdebstrap --quiet --variant=apt --include="$pkgs" "$suite" \
		"$dir.tar" "$(mirror debian)" >&2 || die "mmdebstrap $suite failed"
	mkdir -p "$dir"
	tar -C "$dir" -xf "$dir.tar"
	rm -f "$dir.tar"
	echo "$stamp" >"$dir/.stamp"
}

gcc_major() {
	local v
	v=$(kernel_cc_text "$1")
	[ -n "$v" ] || die "no CONFIG_CC_VERSION_TEXT in $1/.config"
	case $v in *gcc*) ;; *) die "kernel built with '$v': only gcc kernels are supported" ;; esac
	echo "$v" | sed -E 's/.*\) ([0-9]+)\..*/\1/'
}

# chroot_run DIR CMD...: the work tree, build dir and cache appear at the
# same paths inside, so generated paths stay valid on both sides.
chroot_run() {
	local dir=$1
	shift
	unshare -m -- bash -euc '
		dir=$1; shift
		mount --make-rprivate /
		mount -t proc proc "$dir/proc"
		for p in "$TOP" "$BUILD" "$CACHE"; do
			mkdir -p "$dir$p"
			mount --bind "$p" "$dir$p"
		done
		cwd=$PWD
		exec chroot "$dir" /usr/bin/env -C "$cwd" "$@"
	' _ "$dir" "$@"
}

run() {	# run [kbuild] KERNEL [--] CMD...
	local k kd major suite pkgs=$USERLAND_PKGS flavour=
	if [ "$1" = kbuild ]; then flavour=kbuild pkgs=$KBUILD_PKGS; shift; fi
	k=$1
	shift
	[ "${1:-}" = "--" ] && shift
	kd=$(kdir "$k")
	major=$(gcc_major "$kd")
	suite=$(suite_for_gcc "$major")
	if [ "$suite" = host ]; then
		command -v "gcc-$major" >/dev/null || die "host lacks gcc-$major"
		"$@"
	else
		ensure "$suite" $flavour
		mkdir -p "$BUILD"
		TOP=$TOP BUILD=$BUILD CACHE=$CACHE chroot_run "$(userland_dir "$suite" "$pkgs")" "$@"
	fi
}

cmd=${1:-}
shift || true
case $cmd in
run) run "$@" ;;
kbuild) run kbuild "$@" ;;
ensure) ensure "$@" ;;
*) die "usage: $0 run|kbuild KERNEL -- CMD... | ensure SUITE [kbuild]" ;;
esac
