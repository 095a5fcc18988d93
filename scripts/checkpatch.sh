#!/usr/bin/env bash
# checkpatch.sh: run the kernel's scripts/checkpatch.pl (--no-tree -f) on the
# kernel C sources. checkpatch.pl ships only in linux-source, so the pinned
# package below is fetched once into the cache and just checkpatch and its
# data files are kept.
#
# Ignored: ALLOC_WITH_SIZEOF (kzalloc_obj() is 7.x-only; we build for 6.1)
# and DEPRECATED_API (idr is what 6.1 offers alike).
. "$(dirname "$0")/lib.sh"

DEB=pool/main/l/linux/linux-source-7.2_7.2.12-1~bpo13+1_all.deb
SHA=73ca6c22599ba411ab3179642d33501ca2c90174e13c3c8d86e996ea1cbf2a8f
dir=$CACHE/checkpatch
cp=$dir/scripts/checkpatch.pl

if [ ! -f "$cp" ]; then
	mkdir -p "$CACHE/debs" "$dir"
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
	tar -xJf "$tmp"/usr/src/linux-source-*.tar.xz -C "$tmp" --strip-components=1 \
		--wildcards '*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
		'*/scripts/const_structs.checkpatch'
	mkdir -p "$dir/scripts"
	cp "$tmp"/scripts/{checkpatch.pl,spelling.txt,const_structs.checkpatch} "$dir/scripts/"
	rm -rf "$tmp" "$deb"
fi

cd "$TOP"
rc=0
for f in src/*.c src/*.h include/*.h include/uapi/*.h tests/selfcheck/*.c tests/bench/*.c; do
	out=$(perl "$cp" --no-tree --terse --show-types \
		--ignore ALLOC_WITH_SIZEOF,DEPRECATED_API -f "$f" 2>&1 |
		grep -E 'ERROR|WARNING' || true)
	if [ -n "$out" ]; then
		echo "$out"
		rc=1
	fi
done
exit $rc
