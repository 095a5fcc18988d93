#!/usr/bin/env bash
# Fetch, verify and extract the pinned Debian kernels of scripts/kernels.manifest.
#
#   scripts/kernels.sh fetch [KERNEL...]   download + sha256-verify + extract
#                                          (<series>-debug: build, scripts/debug-kernel.sh)
#   scripts/kernels.sh kdir KERNEL         print the headers dir (make KDIR=...)
#   scripts/kernels.sh fetch-deb ARCHIVE POOLPATH SHA256
#                                          download + sha256-verify one pinned .deb
#                                          (scripts/secureboot.manifest), print its path
#   scripts/kernels.sh manifest            propose manifest lines: the newest release
#                                          of each series, from Debian's signed indexes
#                                          (private apt view); diff against the manifest
#
# A pinned .deb the mirror answers 404 for fails fetch with one line naming
# it and `scripts/kernels.sh manifest`; other download errors say network.
#
# Everything lands under $DMABUF_REVOKE_CACHE (default ~/.cache/dmabuf-revoke);
# nothing is installed into the host's /lib/modules or /usr/src.
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

download() {	# download ARCHIVE POOLPATH SHA256 -> prints cached path
	local url dest tmp code rc=0 pkg
	dest=$CACHE/debs/$(basename "$2")
	if [ -f "$dest" ] && echo "$3  $dest" | sha256sum -c --status; then
		echo "$dest"; return
	fi
	mkdir -p "$CACHE/debs"
	url=$(mirror "$1")/$2
	tmp=$dest.part
	# --retry covers transient failures (timeouts, 5xx), never a 404.
	code=$(curl -fsSL --retry 3 -o "$tmp" -w '%{http_code}' "$url" 2>"$tmp.err") || rc=$?
	if [ $rc -ne 0 ]; then
		pkg=$(basename "$2" .deb)	# NAME_VERSION_ARCH
		pkg="${pkg%%_*} ${pkg#*_}"
		pkg=${pkg%_*}
		# Gone: HTTP 404/410, or a file:// mirror without the file.
		case $code:$url in
		404:* | 410:* | 000:file://*)
			if [ "$code" != 000 ] || [ ! -e "${url#file://}" ]; then
				rm -f "$tmp" "$tmp.err"
				[ "$code" = 000 ] && code="no such file" || code="HTTP $code"
				die "pinned package ${pkg% *} ${pkg#* } is gone from the $1 archive ($code: $url); refresh the pins: scripts/kernels.sh manifest, then update scripts/kernels.manifest"
			fi ;;
		esac
		local why
		why=$(tr '\n' ' ' <"$tmp.err")
		rm -f "$tmp" "$tmp.err"
		die "cannot download ${pkg% *} from the $1 mirror (curl exit $rc, HTTP $code: ${why% }): network or mirror trouble, not a missing package; retry"
	fi
	rm -f "$tmp.err"
	if ! echo "$3  $tmp" | sha256sum -c --status; then
		local got
		got=$(sha256sum "$tmp" | cut -d' ' -f1)
		rm -f "$tmp"
		die "sha256 mismatch for $(basename "$2"): expected $3 (manifest), got $got"
	fi
	mv "$tmp" "$dest"
	echo "$dest"
}

# The -amd64 headers include the -common tree (and 7.x set KBUILD_OUTPUT) by
# absolute /usr/src path; point those at the extracted root instead.
fix_headers() {
	local root=$1 f
	[ -e "$root/lib" ] || ln -s usr/lib "$root/lib"
	# No match is no error (grep 1 would fail the pipe under pipefail).
	{ grep -rlZ --include=Makefile '/usr/src/' "$root/usr/src" 2>/dev/null || true; } |
		while IFS= read -r -d '' f; do
			sed -i "s:/usr/src/:$root/usr/src/:g" "$f"
		done
	# Dangling absolute symlinks (scripts, tools) -> relative to the root.
	find "$root/usr/src" -type l | while read -r f; do
		case $(readlink "$f") in
		/*) ln -sfn "$root$(readlink "$f")" "$f" ;;
		esac
	done
}

fetch_one() {
	local k=$1 root stamp want deb
	case $k in
	*-debug)
		# Built from source with the compiler of the series' Debian kernel.
		fetch_one "${k%-debug}"
		"$TOP/scripts/debug-kernel.sh" "$k"
		return ;;
	esac
	root=$(kroot "$k")
	stamp=$root/.manifest
	want=$(grep -v '^#' "$MANIFEST" | awk -v k="$k" '$1==k')
	[ -n "$want" ] || die "unknown kernel '$k' (known: $(manifest_kernels | xargs))"
	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
		log "kernel $k: cached ($root)"
		return
	fi
	rm -rf "$root"
	mkdir -p "$root"
	while read -r _ _ archive path sha; do
		deb=$(download "$archive" "$path" "$sha")
		log "kernel $k: verified $(basename "$deb")"
		dpkg-deb -x "$deb" "$root"
	done <<<"$want"
	fix_headers "$root"
	[ -f "$(kdir "$k")/Makefile" ] || die "kernel $k: no headers at $(kdir "$k")"
	ls "$(kroot "$k")"/boot/vmlinuz-* "$(kmoddir "$k")"/vmlinuz* >/dev/null 2>&1 ||
		[ -n "$(vmlinuz "$k")" ] || die "kernel $k: no vmlinuz extracted"
	echo "$want" >"$stamp"
	log "kernel $k: extracted to $root"
}

vmlinuz() {
	local r
	r=$(manifest_release "$1")
	for f in "$(kroot "$1")/boot/vmlinuz-$r" "$(kmoddir "$1")/vmlinuz"*; do
		[ -f "$f" ] && { echo "$f"; return; }
	done
	true
}

# The series of the matrix: kernel short name and an extended regex for its
# release (`uname -r`). `manifest` proposes the newest release of each from
# the signed indexes. A kernel of the manifest without a series (7.0.13:
# gone from the indexes, fetched from the pool) is printed as pinned.
SERIES=(
	'6.1     6\.1\.0-[0-9]+-amd64'
	'6.12    6\.12\.[0-9]+\+deb13(\.[0-9]+)?-amd64'
	'6.12-rt 6\.12\.[0-9]+\+deb13(\.[0-9]+)?-rt-amd64'
	'7.2     7\.2\.[0-9]+\+deb13(\.[0-9]+)?-amd64'
	'7.3     7\.3\.[0-9]+\+deb13(\.[0-9]+)?-amd64'
	'7.3-rt  7\.3\.[0-9]+\+deb13(\.[0-9]+)?-rt-amd64'
)

# manifest_line KERNEL RELEASE ARCHIVE POOLPATH SHA256: the manifest's format.
manifest_line() { printf '%-7s %-25s %-16s %s %s\n' "$@"; }

# apt_view: a private apt view of the suites the matrix comes from (apt
# verifies each Release signature against Debian's archive keyring), then
# one table of the kernel packages in it, one record a line:
#   archive package version pool-path sha256 depends(comma-separated, no spaces)
apt_view() {
	local d=$CACHE/apt deb sec kr=/usr/share/keyrings/debian-archive-keyring.gpg f uri
	mkdir -p "$d/lists/partial" "$d/cache/archives/partial"
	deb=$(mirror debian) sec=$(mirror debian-security)
	[ -r "$kr" ] || die "no $kr (apt-get install debian-archive-keyring)"
	cat >"$d/sources.list" <<EOT
deb [signed-by=$kr] $deb bookworm main
deb [signed-by=$kr] $sec bookworm-security main
deb [signed-by=$kr] $deb trixie main
deb [signed-by=$kr] $sec trixie-security main
deb [signed-by=$kr] $deb trixie-backports main
EOT
	local A=(-o "Dir::Etc::sourcelist=$d/sources.list" -o Dir::Etc::sourceparts=-
		-o "Dir::State::Lists=$d/lists" -o "Dir::Cache=$d/cache"
		-o APT::Architecture=amd64 -o Acquire::Languages=none)
	# A list that fails its signature check is an error, not a stale view.
	apt-get "${A[@]}" -q -o APT::Update::Error-Mode=any update >&2 ||
		die "apt-get update of the private view ($d) failed"
	# shellcheck disable=SC2016 # apt's own $(VARIABLE) syntax
	local fmt='$(FILENAME) $(REPO_URI)'
	while read -r f uri; do
		case ${uri%/} in
		"$deb") uri=debian ;;
		"$sec") uri=debian-security ;;
		*) die "index $f from an unexpected mirror $uri" ;;
		esac
		/usr/lib/apt/apt-helper cat-file "$f" | awk -v a="$uri" '
			/^Package:/ { p = $2; v = f = s = dep = "" }
			/^Version:/ { v = $2 }
			/^Filename:/ { f = $2 }
			/^SHA256:/ { s = $2 }
			/^Depends:/ { dep = substr($0, 10); gsub(/ \([^)]*\)/, "", dep); gsub(/ /, "", dep) }
			/^$/ { if (p ~ /^linux-(image|binary|modules|base|headers|kbuild|source)-[67]/ && f != "")
				print a, p, v, f, s, (dep == "" ? "-" : dep); p = "" }'
	done < <(apt-get "${A[@]}" indextargets --format "$fmt" 'Created-By: Packages')
}

# propose KERNEL REGEX TABLE: the manifest lines of the newest release of
# the series in TABLE (apt_view's output); 1 if a part is missing.
propose() {
	local k=$1 re=$2 tab=$3 best="" bestv="" r v p want=() kind
	while read -r r v; do
		if [ -z "$bestv" ] || dpkg --compare-versions "$v" gt "$bestv"; then
			best=$r bestv=$v
		fi
	done < <(awk -v re="^linux-(image|binary)-($re)\$" '$2 ~ re {
		r = $2; sub(/^linux-(image|binary)-/, "", r); print r, $3 }' "$tab" | sort -u)
	[ -n "$best" ] || { echo "# $k: no release matching /$re/ in the indexes"; return 1; }
	# 7.x split the image: linux-binary (vmlinuz), linux-modules, linux-base.
	if awk -v p="linux-binary-$best" -v v="$bestv" '$2==p && $3==v {f=1} END {exit !f}' "$tab"; then
		want=("linux-binary-$best" "linux-modules-$best" "linux-base-$best")
	else
		want=("linux-image-$best")
	fi
	want+=("linux-headers-$best")
	# The headers' own dependencies name the -common(-rt) tree and kbuild.
	while read -r p; do
		case $p in
		linux-headers-*-common* | linux-kbuild-*) want+=("$p") ;;
		esac
	done < <(awk -v p="linux-headers-$best" -v v="$bestv" '$2==p && $3==v {
		gsub(/[,|]/, "\n", $6); print $6; exit }' "$tab")
	local rc=0
	for p in "${want[@]}"; do
		kind=$(awk -v p="$p" -v v="$bestv" '$2==p && $3==v {print $1, $4, $5; exit}' "$tab")
		if [ -z "$kind" ]; then
			echo "# $k: $p $bestv is not in the indexes"; rc=1; continue
		fi
		# shellcheck disable=SC2086 # archive, path, sha256
		manifest_line "$k" "$best" $kind
	done
	return $rc
}

# Candidate lines for the manifest: the newest release of each series, in
# the manifest's own format, hashes from the signed indexes; a summary of
# what would change on stderr. Diff against the manifest to update it.
# propose_debug KERNEL TABLE VERSION: the manifest line of a debug kernel:
# linux-source-<series> at VERSION (its series' proposed package version).
propose_debug() {
	local k=$1 tab=$2 v=$3 src kind
	src=linux-source-${k%-debug}
	[ -n "$v" ] || { echo "# $k: no version proposed for ${k%-debug}"; return 1; }
	kind=$(awk -v p="$src" -v v="$v" '$2==p && $3==v {print $1, $4, $5; exit}' "$tab")
	[ -n "$kind" ] || { echo "# $k: $src $v is not in the indexes"; return 1; }
	# shellcheck disable=SC2086 # archive, path, sha256
	manifest_line "$k" "${v%%-*}-debug" $kind
}

manifest() {
	local tab k re out rc=0 seen="" pinned
	local -A proposed=()
	tab=$(mktemp)
	# DMABUF_REVOKE_APT_TABLE: a table in apt_view's format instead of the
	# archive (tests/manifest checks the choice of lines with it).
	if [ -n "${DMABUF_REVOKE_APT_TABLE:-}" ]; then
		cp "$DMABUF_REVOKE_APT_TABLE" "$tab"
	else
		apt_view >"$tab"
	fi
	echo "# scripts/kernels.sh manifest, $(date -u +%Y-%m-%d): newest candidates (diff against scripts/kernels.manifest)"
	# Debug kernels last: theirs is the version proposed for their series.
	for k in $({ manifest_kernels; printf '%s\n' "${SERIES[@]}" | awk '{print $1}'; } |
		awk '/-debug$/ {d[++n] = $0; next} {print} END {for (i = 1; i <= n; i++) print d[i]}'); do
		case " $seen " in *" $k "*) continue ;; esac
		seen="$seen $k"
		pinned=$(grep -v '^#' "$MANIFEST" | awk -v k="$k" '$1==k')
		case $k in *-debug)
			# Debian's linux-source of the version proposed for the series.
			out=$(propose_debug "$k" "$tab" "${proposed[${k%-debug}]:-}") || rc=1
			printf '%s\n' "$out"
			log "kernel $k: $(awk '!/^#/ {print $2; exit}' <<<"$out")"
			continue ;;
		esac
		re=$(printf '%s\n' "${SERIES[@]}" | awk -v k="$k" '$1==k {print $2}')
		if [ -z "$re" ]; then
			echo "# $k: no series in the indexes; kept as pinned"
			# shellcheck disable=SC2086 # the five fields of each line
			printf '%s\n' "$pinned" | while read -r line; do manifest_line $line; done
			log "kernel $k: kept as pinned ($(manifest_release "$k"))"
			continue
		fi
		out=$(propose "$k" "$re" "$tab") || rc=1
		printf '%s\n' "$out"
		proposed[$k]=$(awk '!/^#/ {n = split($4, p, "_"); print p[2]; exit}' <<<"$out")
		if [ -z "$pinned" ]; then
			log "kernel $k: not in the manifest; newest $(awk '!/^#/ {print $2; exit}' <<<"$out")"
		elif [ "$(awk '!/^#/ {print $4, $5}' <<<"$out")" = "$(echo "$pinned" | awk '{print $4, $5}')" ]; then
			log "kernel $k: up to date ($(manifest_release "$k"))"
		else
			log "kernel $k: UPDATE $(manifest_release "$k") -> $(awk '!/^#/ {print $2; exit}' <<<"$out")"
		fi
	done
	rm -f "$tab"
	return $rc
}

cmd=${1:-}
shift || true
case $cmd in
fetch)
	# shellcheck disable=SC2086 # a space-separated list
	[ $# -gt 0 ] || set -- $DEFAULT_KERNELS
	for k in "$@"; do fetch_one "$k"; done ;;
kdir) kdir "$1" ;;
fetch-deb) download "${1:?archive}" "${2:?pool path}" "${3:?sha256}" ;;
vmlinuz) vmlinuz "$1" ;;
moddir) kmoddir "$1" ;;
release) manifest_release "$1" ;;
manifest) manifest ;;
*) die "usage: $0 fetch [KERNEL...] | fetch-deb ARCHIVE POOLPATH SHA256 | kdir|vmlinuz|moddir|release KERNEL | manifest" ;;
esac
