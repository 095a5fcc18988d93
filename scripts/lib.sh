# shellcheck shell=bash
# Shared helpers for the dmabuf-revoke build and test scripts.
# Sourced, not run: sets strict mode, paths, logging and stage timing.

set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${DMABUF_REVOKE_CACHE:-${HOME:-/root}/.cache/dmabuf-revoke}
BUILD=${DMABUF_REVOKE_BUILD:-$TOP/build}
MANIFEST=${DMABUF_REVOKE_MANIFEST:-$TOP/scripts/kernels.manifest}
DEFAULT_KERNELS="6.1 6.12 6.12-rt 7.0 7.2 7.3 7.3-rt"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# stage NAME CMD...: run CMD, report its duration; the line is greppable
# ("stage <name> <seconds>s ok|FAILED") so timings can be collected.
stage() {
	local name=$1 t0 rc=0
	shift
	t0=$(date +%s.%N)
	log "stage $name: start"
	"$@" || rc=$?
	local line
	line=$(printf 'stage %s %.1fs %s' "$name" "$(echo "$(date +%s.%N) - $t0" | bc)" \
		"$([ $rc -eq 0 ] && echo ok || echo FAILED)")
	printf '[%s] %s\n' "$(date +%H:%M:%S)" "$line" >&2
	[ -z "${DMABUF_REVOKE_TIMINGS:-}" ] || echo "$line" >>"$DMABUF_REVOKE_TIMINGS"
	return $rc
}

# Mirrors come from the host's own apt configuration, so nothing here names
# an archive host: the first URI ending in /debian and /debian-security.
mirror() {
	local want=$1 var uri
	var=DMABUF_REVOKE_MIRROR_${want//-/_}
	if [ -n "${!var:-}" ]; then echo "${!var}"; return; fi
	uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
		/etc/apt/sources.list.d/*.sources 2>/dev/null |
		grep -v '^[[:space:]]*#' | grep -oE '(https?|file):/+[^ ]+' |
		sed 's:/*$::' | grep -E "/$want\$" | head -n1) || true
	[ -n "$uri" ] || die "no '$want' mirror in /etc/apt/sources.list*; set $var"
	echo "$uri"
}

manifest_kernels() { grep -v '^#' "$MANIFEST" | awk 'NF{print $1}' | uniq; }
manifest_release() {
	local r
	# awk reads the file itself: an early exit in a pipe would SIGPIPE
	# the writer, and pipefail turns that into a random failure.
	r=$(awk -v k="$1" '!/^#/ && $1==k {print $2; exit}' "$MANIFEST")
	[ -n "$r" ] || die "unknown kernel '$1' (known: $(manifest_kernels | xargs))"
	echo "$r"
}

# Extracted kernel tree (headers, vmlinuz, modules) of a manifest kernel.
kroot() { echo "$CACHE/kernels/$1"; }
kdir() { echo "$(kroot "$1")/usr/src/linux-headers-$(manifest_release "$1")"; }
kmoddir() {
	local r
	r=$(manifest_release "$1")
	if [ -d "$(kroot "$1")/usr/lib/modules/$r" ]; then
		echo "$(kroot "$1")/usr/lib/modules/$r"
	else
		echo "$(kroot "$1")/lib/modules/$r"
	fi
}
