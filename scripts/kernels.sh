#!/usr/bin/env bash
# Fetch, verify and extract the pinned Debian kernels of scripts/kernels.manifest.
#
#   scripts/kernels.sh fetch [KERNEL...]   download + sha256-verify + extract
#   scripts/kernels.sh kdir KERNEL         print the headers dir (make KDIR=...)
#   scripts/kernels.sh manifest            list newest candidates (private apt view)
#
# Everything lands under $DMABUF_REVOKE_CACHE (default ~/.cache/dmabuf-revoke);
# nothing is installed into the host's /lib/modules or /usr/src.
. "$(dirname "$0")/lib.sh"

download() {	# download ARCHIVE POOLPATH SHA256 -> prints cached path
	local url dest tmp
	dest=$CACHE/debs/$(basename "$2")
	if [ -f "$dest" ] && echo "$3  $dest" | sha256sum -c --status; then
		echo "$dest"; return
	fi
	mkdir -p "$CACHE/debs"
	url=$(mirror "$1")/$2
	tmp=$dest.part
	curl -fsSL --retry 3 -o "$tmp" "$url" || die "download failed: $url"
	if ! echo "$3  $tmp" | sha256sum -c --status; then
		rm -f "$tmp"
		die "sha256 mismatch for $(basename "$2"): expected $3 (manifest), got $(sha256sum "$tmp" | cut -d' ' -f1)"
	fi
	mv "$tmp" "$dest"
	echo "$dest"
}

# The -amd64 headers include the -common tree (and 7.x set KBUILD_OUTPUT) by
# absolute /usr/src path; point those at the extracted root instead.
fix_headers() {
	local root=$1 f
	[ -e "$root/lib" ] || ln -s usr/lib "$root/lib"
	grep -rlZ --include=Makefile '/usr/src/' "$root/usr/src" 2>/dev/null |
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

# Candidate lines for a new manifest: newest image/headers per series.
manifest() {
	local d=$CACHE/apt
	mkdir -p "$d/lists/partial" "$d/cache/archives/partial"
	local deb sec kr=/usr/share/keyrings/debian-archive-keyring.gpg
	deb=$(mirror debian) sec=$(mirror debian-security)
	cat >"$d/sources.list" <<EOT
deb [signed-by=$kr] $deb bookworm main
deb [signed-by=$kr] $sec bookworm-security main
deb [signed-by=$kr] $deb trixie main
deb [signed-by=$kr] $sec trixie-security main
deb [signed-by=$kr] $deb trixie-backports main
EOT
	local A=(-o "Dir::Etc::sourcelist=$d/sources.list" -o Dir::Etc::sourceparts=-
		-o "Dir::State::Lists=$d/lists" -o "Dir::Cache=$d/cache"
		-o APT::Architecture=amd64)
	apt-get "${A[@]}" update >&2
	apt-cache "${A[@]}" search '^linux-(image|binary|headers|modules|base|kbuild)-[67]' |
		awk '{print $1}' | grep -vE 'dbg|rt|cloud' | sort -V |
		while read -r p; do
			apt-cache "${A[@]}" show "$p" | awk -v p="$p" \
				'/^Filename:/{f=$2} /^SHA256:/{s=$2} /^$/{if(f){print p, f, s; exit}}'
		done
}

cmd=${1:-}
shift || true
case $cmd in
fetch)
	for k in ${@:-$DEFAULT_KERNELS}; do fetch_one "$k"; done ;;
kdir) kdir "$1" ;;
vmlinuz) vmlinuz "$1" ;;
moddir) kmoddir "$1" ;;
release) manifest_release "$1" ;;
manifest) manifest ;;
*) die "usage: $0 fetch [KERNEL...] | kdir|vmlinuz|moddir|release KERNEL | manifest" ;;
esac
