#!/usr/bin/env bash
# kernel-tools.sh: fetch the kernel's own linters and test headers once into
# $CACHE/kernel-tools (checkpatch.pl and its data files, kernel-doc and its
# Python library, kselftest.h and kselftest_harness.h). They ship only in
# linux-source, so the pinned package below is downloaded, verified, the
# files kept, the package dropped. Prints the directory.
. "$(dirname "$0")/lib.sh"

DEB=pool/main/l/linux/linux-source-7.2_7.2.12-1~bpo13+1_all.deb
SHA=73ca6c22599ba411ab3179642d33501ca2c90174e13c3c8d86e996ea1cbf2a8f
dir=$CACHE/kernel-tools
FILES=(scripts/checkpatch.pl scripts/spelling.txt scripts/const_structs.checkpatch
	tools/docs/kernel-doc 'tools/lib/python/kdoc/*'
	tools/testing/selftests/kselftest.h tools/testing/selftests/kselftest_harness.h)

# The stamp names the package and the file list: a change of either fetches again.
stamp="$DEB ${FILES[*]}"
rm -rf "$CACHE/checkpatch"	# the layout before kernel-tools
if [ "$(cat "$dir/.stamp" 2>/dev/null)" != "$stamp" ]; then
	mkdir -p "$CACHE/debs"
	deb=$CACHE/debs/$(basename "$DEB")
	if ! echo "$SHA  $deb" | sha256sum -c --status 2>/dev/null; then
		curl -fsSL --retry 3 -o "$deb.part" "$(mirror debian)/$DEB" ||
			die "download failed: $DEB"
		echo "$SHA  $deb.part" | sha256sum -c --status ||
			die "sha256 mismatch for $(basename "$DEB")"
		mv "$deb.part" "$deb"
	fi
	tmp=$(mktemp -d)
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" --wildcards '*.tar.xz'
	mkdir -p "$tmp/src"
	tar -xJf "$tmp"/usr/src/linux-source-*.tar.xz -C "$tmp/src" --strip-components=1 \
		--wildcards "${FILES[@]/#/*/}" || die "linux-source lacks one of: ${FILES[*]}"
	rm -rf "$dir.new" && mv "$tmp/src" "$dir.new"
	echo "$stamp" >"$dir.new/.stamp"
	rm -rf "$dir" "$tmp" "$deb" && mv "$dir.new" "$dir"
fi
echo "$dir"
