#!/usr/bin/env bash
# deps.sh: install the host packages `make check`, `make demo` and
# `make bench` (gnuplot for its plots) need; python3-prometheus-client is
# the reference parser tests/cli checks `status --prometheus` with
# (Debian 12, as root). The Secure Boot guest (scripts/sb-guest.sh) needs
# ovmf, mtools and dosfstools (the ESP), qemu-utils (qemu-img), and what
# trixie's python3-virt-firmware (fetched, not installed:
# scripts/secureboot.manifest) imports. Quiet and quick when everything is
# present.
. "$(dirname "$0")/lib.sh"

PKGS=(make gcc-12 gcc libc6-dev bc curl ca-certificates debian-archive-keyring
	qemu-system-x86 busybox-static mmdebstrap cpio xz-utils zstd kmod
	libelf-dev pkg-config libcmocka-dev libkmod-dev
	python3-prometheus-client shellcheck
	dpkg-dev debhelper dh-dkms fakeroot e2fsprogs
	clang libbpf-dev zlib1g-dev libzstd-dev gnuplot-nox
	ovmf mtools dosfstools qemu-utils openssl
	python3-cryptography python3-pefile python3-importlib-resources)

missing=()
for p in "${PKGS[@]}"; do
	[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
[ "$(id -u)" -eq 0 ] || die "missing packages (${missing[*]}); run as root or: apt-get install ${missing[*]}"
log "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2 || die "apt-get update failed"
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 ||
	die "apt-get install ${missing[*]} failed"
