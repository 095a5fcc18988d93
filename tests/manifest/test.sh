#!/usr/bin/env bash
# Host checks of the kernel matrix (TAP): scripts/kernels.manifest parses
# (5 fields, a 64-hex SHA-256, archive debian|debian-security, a pool path
# to a .deb, one release per kernel, each kernel has an image (linux-image
# or linux-binary + linux-modules), headers and kbuild), every kernel of
# DEFAULT_KERNELS is pinned, tests/conftest.expected covers each kernel;
# broken copies of the manifest are refused. `scripts/kernels.sh manifest`
# on a fake index table (DMABUF_REVOKE_APT_TABLE) proposes the right lines
# per series. Then `scripts/kernels.sh fetch` against a file:// (and, with python3, an http://) mirror: a pinned
# package the mirror no longer has fails in one line naming it and
# `scripts/kernels.sh manifest`; a network error is not reported as gone; a
# wrong hash fails; a good package is fetched and extracted.
set -uo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
MANIFEST=$TOP/scripts/kernels.manifest
EXPECTED=$TOP/tests/conftest.expected
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); failed=1; echo "not ok $n - $*"; }
t() { local name=$1; shift; if "$@"; then ok "$name"; else nok "$name"; fi; }
tmp=$(mktemp -d)
srv=
# shellcheck disable=SC2317 # called by the trap
cleanup() { [ -z "$srv" ] || kill "$srv" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

# check_manifest FILE: prints one "# problem" line per problem; 0 if none.
check_manifest() {
	awk '
	function bad(msg) { print "# " FILENAME ":" FNR ": " msg; err = 1 }
	/^[[:space:]]*#/ || NF == 0 { next }
	{
		if (NF != 5) { bad("expected 5 fields, got " NF); next }
		k = $1; rel = $2; arch = $3; path = $4; sha = $5
		if (sha !~ /^[0-9a-f]+$/ || length(sha) != 64) bad("sha256 is not 64 hex digits: " sha)
		if (arch != "debian" && arch != "debian-security") bad("archive must be debian or debian-security: " arch)
		if (path !~ /^pool\/.*\.deb$/) bad("pool path must be pool/...deb: " path)
		if (k in release && release[k] != rel) bad("kernel " k ": release " rel " but " release[k] " above")
		if (k in release && last != k) bad("kernel " k ": lines not together")
		if (!(k in release)) order[++nk] = k
		release[k] = rel; last = k
		n = split(path, p, "/"); pkg = p[n]; sub(/_.*/, "", pkg)
		if (pkg == "linux-image-" rel || pkg == "linux-binary-" rel) image[k] = 1
		if (pkg == "linux-binary-" rel) binary[k] = 1
		if (pkg == "linux-modules-" rel) modules[k] = 1
		if (pkg == "linux-headers-" rel) headers[k] = 1
		if (pkg ~ /^linux-kbuild-/) kbuild[k] = 1
		v = p[n]; sub(/^[^_]*_/, "", v); sub(/_[^_]*$/, "", v); ver[k] = v
		if (pkg ~ /^linux-source-/) { source[k] = 1; nsrc[k]++ }
	}
	END {
		if (nk == 0) { print "# " FILENAME ": no kernel at all"; exit 1 }
		for (i = 1; i <= nk; i++) {
			k = order[i]
			# A debug kernel (scripts/debug-kernel.sh) is one linux-source
			# .deb, the same version as its series pinned above.
			if (k ~ /-debug$/) {
				b = k; sub(/-debug$/, "", b)
				if (!source[k] || nsrc[k] != 1) { print "# kernel " k ": not exactly one linux-source .deb"; err = 1 }
				else if (!(b in ver)) { print "# kernel " k ": its series " b " is not pinned"; err = 1 }
				else if (ver[b] != ver[k]) { print "# kernel " k ": linux-source " ver[k] " but " b " is " ver[b]; err = 1 }
				continue
			}
			if (!image[k]) { print "# kernel " k ": no linux-image-" release[k] " or linux-binary-" release[k]; err = 1 }
			if (binary[k] && !modules[k]) { print "# kernel " k ": linux-binary without linux-modules-" release[k]; err = 1 }
			if (!headers[k]) { print "# kernel " k ": no linux-headers-" release[k]; err = 1 }
			if (!kbuild[k]) { print "# kernel " k ": no linux-kbuild"; err = 1 }
		}
		exit err
	}' "$1"
}

manifest_kernels() { awk '!/^[[:space:]]*#/ && NF {print $1}' "$1" | uniq; }

# covers MANIFEST EXPECTED KERNELS...: each kernel is pinned and has expectations.
covers() {
	local m=$1 e=$2 k rc=0
	shift 2
	for k in "$@"; do
		grep -qxF -- "$k" <<<"$(manifest_kernels "$m")" || { echo "# $k: not in $m"; rc=1; }
		awk -v k="$k" '!/^#/ && $1==k {f=1} END {exit !f}' "$e" || { echo "# $k: no lines in $e"; rc=1; }
	done
	return $rc
}

default_kernels=$(bash -c '. "$1/scripts/lib.sh"; echo "$DEFAULT_KERNELS"' _ "$TOP")
# shellcheck disable=SC2086 # space-separated lists
{
	t "manifest: every line parses, every kernel has image, headers and kbuild" check_manifest "$MANIFEST"
	t "manifest: pins every kernel of DEFAULT_KERNELS ($default_kernels)" covers "$MANIFEST" "$EXPECTED" $default_kernels
	# shellcheck disable=SC2046
	t "conftest.expected: has lines for every pinned kernel" covers "$MANIFEST" "$EXPECTED" $(manifest_kernels "$MANIFEST")
}

# The checks can fail: broken copies.
refuses() {	# refuses NAME SED-SCRIPT: a copy edited by SED-SCRIPT fails the check
	local f=$tmp/broken.manifest out
	sed -E "$2" "$MANIFEST" >"$f"
	if cmp -s "$f" "$MANIFEST"; then nok "broken manifest ($1): the edit changed nothing"; return; fi
	if out=$(check_manifest "$f"); then
		nok "broken manifest ($1) is refused"
	else
		ok "broken manifest ($1) is refused: ${out%%$'\n'*}"
	fi
}
k1=$(manifest_kernels "$MANIFEST" | sed -n 1p)
refuses "a field missing" '0,/^[0-9]/{/^[0-9]/s/ [0-9a-f]{64}$//}'
refuses "short sha256" '0,/^[0-9]/{/^[0-9]/s/[0-9a-f]{4}$//}'
refuses "unknown archive" '0,/^[0-9]/{/^[0-9]/s/ debian(-security)? / ubuntu /}'
refuses "not a .deb" '0,/^[0-9]/{/^[0-9]/s/\.deb / /}'
refuses "no headers" '/linux-headers-[^ ]*-amd64_/d'
refuses "no kbuild" "/^${k1//./\\.} .*linux-kbuild-/d"
refuses "no image" "/^${k1//./\\.} .*linux-(image|binary)-/d"
refuses "debug kernel's source of another version" '/^[^ ]+-debug /s/linux-source-([0-9.]+)_[^_]+_all/linux-source-\1_9.9.9-1_all/'
refuses "debug kernel without its linux-source" '/^[^ ]+-debug /s/linux-source-/linux-headers-/'
refuses "two releases for one kernel" "0,/^${k1//./\\.} /s/^(${k1//./\\.} +)[^ ]+/\\1 9.9.9-1-amd64/"
if covers "$MANIFEST" "$EXPECTED" 9.9-nosuch >/dev/null; then
	nok "a kernel missing from manifest and conftest.expected is refused"
else
	ok "a kernel missing from manifest and conftest.expected is refused"
fi

# --- manifest proposals from a fake index table -----------------------
# row ARCHIVE PACKAGE VERSION [DEPENDS]: one record as kernels.sh's apt_view
# writes it (archive package version pool-path sha256 depends).
row() {
	local p=pool/main/l/linux
	[ "$1" = debian-security ] && p=pool/updates/main/l/linux
	echo "$1 $2 $3 $p/$2_$3_amd64.deb $(printf '%s' "$2_$3" | sha256sum | cut -d' ' -f1) ${4:--}"
}
{
	for v in 56:6.1.192-2 57:6.1.192-3; do
		a=${v%%:*} b=${v#*:}
		row debian-security "linux-image-6.1.0-$a-amd64" "$b"
		row debian-security "linux-headers-6.1.0-$a-amd64" "$b" "linux-headers-6.1.0-$a-common,linux-kbuild-6.1,gcc-12"
		row debian-security "linux-headers-6.1.0-$a-common" "$b"
		row debian-security linux-kbuild-6.1 "$b"
	done
	row debian linux-kbuild-6.1 6.1.176-1
	for v in 117 118; do
		row debian-security "linux-image-6.12.$v+deb13-amd64" "6.12.$v-1"
		row debian-security "linux-headers-6.12.$v+deb13-amd64" "6.12.$v-1" "linux-headers-6.12.$v+deb13-common,linux-kbuild-6.12.$v+deb13"
		row debian-security "linux-headers-6.12.$v+deb13-common" "6.12.$v-1"
		row debian-security "linux-kbuild-6.12.$v+deb13" "6.12.$v-1"
	done
	# A bookworm backport of a newer 6.12 is not the trixie series.
	row debian-security "linux-image-6.12.119+deb12-amd64" "6.12.119-1~deb12u1"
	row debian-security "linux-image-6.12.118+deb13-rt-amd64" 6.12.118-1
	row debian-security "linux-headers-6.12.118+deb13-rt-amd64" 6.12.118-1 "linux-base,linux-headers-6.12.118+deb13-common-rt,linux-image-6.12.118+deb13-rt-amd64|linux-image-6.12.118+deb13-rt-amd64-unsigned,linux-kbuild-6.12.118+deb13,gcc-14"
	row debian-security "linux-headers-6.12.118+deb13-common-rt" 6.12.118-1
	for f in 7.2.12+deb13-amd64 7.3.4+deb13-amd64 7.3.4+deb13-rt-amd64; do
		v=${f%%+*}-1~bpo13+1 abi=${f%-*amd64}
		[ "$abi" = "${abi%-rt}" ] || abi=${abi%-rt}
		row debian "linux-image-$f" "$v" "linux-base-$f,linux-binary-$f,linux-modules-$f"
		row debian "linux-binary-$f" "$v"
		row debian "linux-modules-$f" "$v"
		row debian "linux-base-$f" "$v"
		row debian "linux-headers-$f" "$v" "gcc-14-for-host,linux-base,linux-base-$f,linux-headers-$abi-common,linux-kbuild-$abi"
		row debian "linux-headers-$abi-common" "$v"
		row debian "linux-kbuild-$abi" "$v"
	done
	row debian linux-source-7.3 7.3.2-1~bpo13+1
	row debian linux-source-7.3 7.3.4-1~bpo13+1
} | sort -u >"$tmp/table"
# The manifest of the test: an old 6.1 and a pool-only 7.0 kept as pinned.
{
	row debian-security linux-image-6.1.0-56-amd64 6.1.192-2
	row debian-security linux-headers-6.1.0-56-amd64 6.1.192-2
	row debian-security linux-headers-6.1.0-56-common 6.1.192-2
	row debian-security linux-kbuild-6.1 6.1.192-2
} | awk '{print "6.1", "6.1.0-56-amd64", $1, $4, $5}' >"$tmp/old.manifest"
echo "7.0 7.0.13+deb13-amd64 debian pool/main/l/linux/linux-kbuild-7.0.13+deb13_7.0.13-1~bpo13+1_amd64.deb $(printf '%064d' 7)" >>"$tmp/old.manifest"
echo "7.3-debug 7.3.2-debug debian pool/main/l/linux/linux-source-7.3_7.3.2-1~bpo13+1_all.deb $(printf '%064d' 8)" >>"$tmp/old.manifest"
propose() {	# propose TABLE: kernels.sh manifest on TABLE; stdout in $tmp/prop
	DMABUF_REVOKE_MANIFEST=$tmp/old.manifest DMABUF_REVOKE_APT_TABLE=$1 DMABUF_REVOKE_CACHE=$tmp/cache \
		"$TOP/scripts/kernels.sh" manifest >"$tmp/prop" 2>"$tmp/prop.err"
}
# shellcheck disable=SC2317 # called through t
pkgs() {	# pkgs KERNEL: "package_version" of the proposed lines of KERNEL
	awk -v k="$1" '$1==k {n=split($4, p, "/"); sub(/_amd64\.deb$|_all\.deb$/, "", p[n]); printf "%s%s", s, p[n]; s=" "} END {print ""}' "$tmp/prop"
}
# shellcheck disable=SC2317 # called through t
is() { [ "$1" = "$2" ] || { echo "# got:  $1"; echo "# want: $2"; return 1; }; }
t "manifest proposal: runs on a table of every series" propose "$tmp/table"
awk '$1 != "7.0"' "$tmp/prop" >"$tmp/prop.series"	# the test's 7.0 is one line
t "manifest proposal: its lines parse as a manifest" check_manifest "$tmp/prop.series"
t "manifest proposal: 6.1 newest ABI, kbuild of the same version" is "$(pkgs 6.1)" \
	"linux-image-6.1.0-57-amd64_6.1.192-3 linux-headers-6.1.0-57-amd64_6.1.192-3 linux-headers-6.1.0-57-common_6.1.192-3 linux-kbuild-6.1_6.1.192-3"
t "manifest proposal: 6.12 newest trixie release, not the bookworm backport" is "$(pkgs 6.12 | cut -d' ' -f1)" "linux-image-6.12.118+deb13-amd64_6.12.118-1"
t "manifest proposal: 6.12-rt with -common-rt and kbuild from the headers' Depends" is "$(pkgs 6.12-rt)" \
	"linux-image-6.12.118+deb13-rt-amd64_6.12.118-1 linux-headers-6.12.118+deb13-rt-amd64_6.12.118-1 linux-headers-6.12.118+deb13-common-rt_6.12.118-1 linux-kbuild-6.12.118+deb13_6.12.118-1"
t "manifest proposal: 7.3-rt split image (binary, modules, base), shared -common" is "$(pkgs 7.3-rt)" \
	"linux-binary-7.3.4+deb13-rt-amd64_7.3.4-1~bpo13+1 linux-modules-7.3.4+deb13-rt-amd64_7.3.4-1~bpo13+1 linux-base-7.3.4+deb13-rt-amd64_7.3.4-1~bpo13+1 linux-headers-7.3.4+deb13-rt-amd64_7.3.4-1~bpo13+1 linux-headers-7.3.4+deb13-common_7.3.4-1~bpo13+1 linux-kbuild-7.3.4+deb13_7.3.4-1~bpo13+1"
t "manifest proposal: 6.1 archive and sha256 as in the index" is "$(awk '$1=="6.1" {print $3, $5; exit}' "$tmp/prop")" \
	"debian-security $(printf '%s' linux-image-6.1.0-57-amd64_6.1.192-3 | sha256sum | cut -d' ' -f1)"
t "manifest proposal: 7.0 (no series) kept as pinned" is "$(awk '$1=="7.0"' "$tmp/prop" | xargs)" "$(awk '$1=="7.0"' "$tmp/old.manifest" | xargs)"
t "manifest proposal: 7.3-debug is the linux-source of the proposed 7.3" is "$(awk '$1=="7.3-debug" {print $2}' "$tmp/prop") $(pkgs 7.3-debug)" \
	"7.3.4-debug linux-source-7.3_7.3.4-1~bpo13+1"
t "manifest proposal: says 6.1 would change" grep -q 'kernel 6.1: UPDATE 6.1.0-56-amd64 -> 6.1.0-57-amd64' "$tmp/prop.err"
grep -v ' linux-kbuild-7.2' "$tmp/table" >"$tmp/table.nokbuild"
if propose "$tmp/table.nokbuild"; then
	nok "manifest proposal: a series whose kbuild is missing from the index fails"
else
	t "manifest proposal: a series whose kbuild is missing from the index fails, naming it" grep -q '^# 7.2: linux-kbuild-7.2.12+deb13 7.2.12-1~bpo13+1 is not in the indexes' "$tmp/prop"
fi

# --- fetch against a local mirror -------------------------------------
# A tiny but real kernel .deb: headers Makefile and a vmlinuz.
rel=9.9.9-test-amd64
pkgroot=$tmp/pkg
mkdir -p "$pkgroot/DEBIAN" "$pkgroot/usr/src/linux-headers-$rel" "$pkgroot/boot" "$tmp/mirror/pool/main/l/linux"
printf 'Package: linux-headers-%s\nVersion: 9.9.9-1\nArchitecture: amd64\nMaintainer: test <t@t>\nDescription: test\n' "$rel" >"$pkgroot/DEBIAN/control"
echo 'all:' >"$pkgroot/usr/src/linux-headers-$rel/Makefile"
echo vmlinuz >"$pkgroot/boot/vmlinuz-$rel"
good=pool/main/l/linux/linux-headers-${rel}_9.9.9-1_amd64.deb
dpkg-deb --root-owner-group -Zgzip -b "$pkgroot" "$tmp/mirror/$good" >/dev/null
sum=$(sha256sum "$tmp/mirror/$good" | cut -d' ' -f1)
gone=pool/main/l/linux/linux-kbuild-9.9.9_9.9.9-1_amd64.deb
{
	echo "# test manifest"
	echo "present $rel debian $good $sum"
	echo "vanished $rel debian $good $sum"
	echo "vanished $rel debian $gone $sum"
	echo "badsum $rel debian $good ${sum//?/0}"
} >"$tmp/test.manifest"

# fetch K MIRROR: run kernels.sh fetch K; stderr in $tmp/err, status returned.
fetch() {
	DMABUF_REVOKE_MANIFEST=$tmp/test.manifest DMABUF_REVOKE_CACHE=$tmp/cache \
		DMABUF_REVOKE_MIRROR_debian=$2 DMABUF_REVOKE_MIRROR_debian_security=$2 \
		"$TOP/scripts/kernels.sh" fetch "$1" >/dev/null 2>"$tmp/err"
}
# shellcheck disable=SC2317 # called through t
# says_gone: exactly one error line, naming the package and the command.
says_gone() {
	local e
	e=$(grep '^error:' "$tmp/err")
	if [ "$(grep -c '^error:' "$tmp/err")" -eq 1 ] &&
		[[ $e == *"linux-kbuild-9.9.9 9.9.9-1"*"is gone from"*"scripts/kernels.sh manifest"* ]]; then
		return 0
	fi
	sed 's/^/# /' "$tmp/err"
	return 1
}

t "fetch: a pinned package present on a file:// mirror is verified and extracted" \
	fetch present "file://$tmp/mirror"
t "fetch: ... into the cache (headers Makefile there)" \
	test -f "$tmp/cache/kernels/present/usr/src/linux-headers-$rel/Makefile"
if fetch vanished "file://$tmp/mirror"; then
	nok "fetch: a package gone from a file:// mirror fails"
else
	ok "fetch: a package gone from a file:// mirror fails (exit non-zero)"
	t "fetch: ... with one line naming the package and 'scripts/kernels.sh manifest': $(grep -m1 '^error:' "$tmp/err")" says_gone
fi
if fetch badsum "file://$tmp/mirror"; then
	nok "fetch: a wrong sha256 fails"
else
	t "fetch: a wrong sha256 fails, saying so" grep -q '^error: sha256 mismatch' "$tmp/err"
fi
# A refused connection is network trouble, not a vanished package.
if fetch vanished "http://127.0.0.1:1"; then
	nok "fetch: an unreachable mirror fails"
else
	ok "fetch: an unreachable mirror fails (exit non-zero)"
	if grep -q 'is gone from' "$tmp/err"; then
		nok "fetch: ... and does not claim the package is gone: $(grep -m1 '^error:' "$tmp/err")"
	else
		ok "fetch: ... and does not claim the package is gone: $(grep -m1 '^error:' "$tmp/err")"
	fi
fi
# A real HTTP 404, from a server on the loopback (bounded: 120 s at most).
if command -v python3 >/dev/null; then
	port=$((20000 + RANDOM % 20000))
	timeout 120 python3 -m http.server --bind 127.0.0.1 --directory "$tmp/mirror" "$port" >/dev/null 2>&1 &
	srv=$!
	for _ in $(seq 50); do
		curl -fs -o /dev/null "http://127.0.0.1:$port/$good" && break
		sleep 0.1
	done
	rm -rf "$tmp/cache"
	t "fetch: a pinned package present on an http:// mirror is fetched" fetch present "http://127.0.0.1:$port"
	if fetch vanished "http://127.0.0.1:$port"; then
		nok "fetch: a package answered with HTTP 404 fails"
	else
		ok "fetch: a package answered with HTTP 404 fails (exit non-zero)"
		t "fetch: ... with one line naming the package and 'scripts/kernels.sh manifest': $(grep -m1 '^error:' "$tmp/err")" says_gone
		t "fetch: ... saying HTTP 404" grep -q '^error:.*404' "$tmp/err"
	fi
else
	n=$((n + 1)); echo "ok $n - fetch: HTTP 404 from a loopback server # SKIP no python3"
fi
echo "1..$n"
exit $failed
