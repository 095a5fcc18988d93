#!/usr/bin/env bash
# kernel-doc.sh: the kernel's scripts/kernel-doc (-none -Wall -Werror) on our
# kernel sources and headers, and every exported symbol has a kernel-doc
# comment of its own. kernel-doc's -export does not see our exports
# (EXPORT_SYMBOL_NS_GPL with the namespace from a macro, its pattern wants a
# string), so the exported names are read here and looked up one by one.
. "$(dirname "$0")/lib.sh"

tools=$("$TOP/scripts/kernel-tools.sh") || exit 1
kd() { python3 "$tools/tools/docs/kernel-doc" "$@"; }

cd "$TOP" || exit 1
rc=0
files=(src/*.c src/*.h include/*.h include/uapi/*.h)
if ! out=$(kd -none -Wall -Werror "${files[@]}" 2>&1) || [ -n "$out" ]; then
	echo "$out"
	rc=1
fi
n=0
while read -r f sym; do
	n=$((n + 1))
	doc=$(kd -rst -function "$sym" "$f" 2>/dev/null </dev/null || true)
	if ! grep -q "^\.\. c:function:: .*\b$sym *(" <<<"$doc"; then
		echo "$f: exported $sym has no kernel-doc comment"
		rc=1
	fi
done < <(grep -oE '^EXPORT_SYMBOL[A-Z_]*\( *[a-z_0-9]+' src/*.c | sed -E 's/:.*\( */ /')
[ $n -gt 0 ] || { echo "no exported symbols found: the pattern is stale"; rc=1; }
echo "kernel-doc: ${#files[@]} files, $n exported symbols checked"
exit $rc
