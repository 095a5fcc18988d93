# shellcheck shell=bash
# Shared helpers for the dmabuf-revoke build and test scripts.
# Sourced, not run: sets strict mode, paths, logging and stage timing.

set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${DMABUF_REVOKE_CACHE:-${HOME:-/root}/.cache/dmabuf-revoke}
# shellcheck disable=SC2034 # for the scripts that source this
BUILD=${DMABUF_REVOKE_BUILD:-$TOP/build}
MANIFEST=${DMABUF_REVOKE_MANIFEST:-$TOP/scripts/kernels.manifest}
# shellcheck disable=SC2034 # for the scripts that source this
DEFAULT_KERNELS="6.1 6.12 6.12-rt 7.0 7.2 7.3 7.3-rt 7.3-debug"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
# shellcheck source=scripts/kconfig.sh
. "$TOP/scripts/kconfig.sh"

# stage NAME CMD...: run CMD, report its duration; the line is greppable
# ("stage <name> <seconds>s ok|FAILED") so timings can be collected.
# Its status is CMD's. Careful: bash ignores `set -e` inside a function
# that runs as the condition of || or if, as CMD does here; a shell
# function whose every step must succeed goes through stage_strict.
stage() {
	local name=$1 t0 rc=0
	shift
	t0=$(date +%s.%N)
	log "stage $name: start"
	"$@" || rc=$?
	stage_done "$name" "$t0" $rc
	return $rc
}

# stage_strict NAME CMD...: like stage, but CMD runs as a plain command, so
# under set -e its first failing step ends the script (no verdict is left).
stage_strict() {
	local name=$1 t0
	shift
	t0=$(date +%s.%N)
	log "stage $name: start"
	"$@"
	stage_done "$name" "$t0" 0
}

stage_done() {	# stage_done NAME T0 RC: the timing line
	local line
	line=$(printf 'stage %s %.1fs %s' "$1" "$(echo "$(date +%s.%N) - $2" | bc)" \
		"$([ "$3" -eq 0 ] && echo ok || echo FAILED)")
	printf '[%s] %s\n' "$(date +%H:%M:%S)" "$line" >&2
	[ -z "${DMABUF_REVOKE_TIMINGS:-}" ] || echo "$line" >>"$DMABUF_REVOKE_TIMINGS"
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
		sed 's:/*$::' | grep -E "/$want\$" | sed -n 1p) || true
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

# Debug kernels ("<series>-debug", scripts/debug-kernel.sh) are built from
# Debian's linux-source, not extracted: their tree is keyed by the manifest
# line (source .deb and its SHA-256) and the config fragment.
# (fields joined by one space: the columns' alignment is not part of the key)
debug_manifest_line() { awk -v k="$1" '!/^#/ && $1==k {$1 = $1; print}' "$MANIFEST"; }
debug_key() {
	{ debug_manifest_line "$1"; cat "$TOP/scripts/debug-kernel.config"; } |
		sha256sum | cut -c1-12
}

# Extracted (or built) kernel tree (headers, vmlinuz, modules) of a manifest kernel.
kroot() {
	case $1 in
	*-debug) echo "$CACHE/kernels/$1-$(debug_key "$1")" ;;
	*) echo "$CACHE/kernels/$1" ;;
	esac
}
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

# tap_count NAME FILE RC: count a host runner's TAP output into PASS, FAIL
# and SKIP; the caller defines result() for the runner-level failures. Its plans must
# be there and add up to the results, its exit status must be 0 (unless a
# result already failed); "# SKIP" results count as skipped, not passed.
tap_count() {
	local name=$1 tap=$2 rc=$3 n_ok n_bad n_skip plan
	n_ok=$(grep -cE '^ok ' "$tap" || true)
	n_skip=$(grep -cE '^ok .*# SKIP' "$tap" || true)
	n_bad=$(grep -cE '^not ok ' "$tap" || true)
	# A runner may chain several TAP streams (cmocka, then shell): add plans.
	plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' "$tap" | awk '{s += $1} END {if (NR) print s}')
	PASS=$((PASS + n_ok - n_skip)) FAIL=$((FAIL + n_bad)) SKIP=$((SKIP + n_skip))
	if [ -z "$plan" ] || [ "$plan" -ne $((n_ok + n_bad)) ]; then
		result fail "$name: plan ${plan:-missing}, $((n_ok + n_bad)) results"
	elif [ "$rc" -ne 0 ] && [ "$n_bad" -eq 0 ]; then
		result fail "$name: runner exited $rc with no failed result"
	fi
}
