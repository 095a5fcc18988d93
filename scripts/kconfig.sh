# shellcheck shell=bash
# Reading a kernel's configuration: sourced by scripts/lib.sh, and on its
# own by what runs without it (scripts/conftest.sh and scripts/vfio-btf.sh
# on users' machines, from the DKMS source tree; tests/dkms/run.sh in the
# guest), so it needs nothing but sed.

# kconfig_get KDIR_OR_CONFIG SYMBOL: SYMBOL's value (a string without its
# quotes); nothing when it is not set or there is no .config.
kconfig_get() {
	local f=$1
	[ ! -d "$f" ] || f=$f/.config
	[ -f "$f" ] || return 0
	sed -n "/^$2=/{s/^$2=//;s/^\"\\(.*\\)\"\$/\\1/;p;q}" "$f"
}

# kconfig_y KDIR_OR_CONFIG SYMBOL: SYMBOL is built in (=y).
kconfig_y() { [ "$(kconfig_get "$1" "$2")" = y ]; }

# kernel_cc_text KDIR: the compiler the kernel was built with, as its
# CONFIG_CC_VERSION_TEXT says ("x86_64-linux-gnu-gcc-14 (Debian 14.2.0-19) 14.2.0").
kernel_cc_text() { kconfig_get "$1" CONFIG_CC_VERSION_TEXT; }

# kernel_cc_name KDIR: that compiler's command (its first word).
kernel_cc_name() {
	local t
	t=$(kernel_cc_text "$1")
	echo "${t%% *}"
}
