#!/usr/bin/env bash
# checkpatch.sh: run the kernel's scripts/checkpatch.pl (--no-tree -f) on the
# kernel C sources (fetched by kernel-tools.sh).
#
# Ignored: ALLOC_WITH_SIZEOF (kzalloc_obj() is 7.x-only; we build for 6.1)
# and DEPRECATED_API (idr is what 6.1 offers alike).
. "$(dirname "$0")/lib.sh"

cp=$("$TOP/scripts/kernel-tools.sh")/scripts/checkpatch.pl || exit 1

cd "$TOP" || exit 1
rc=0
for f in src/*.c src/*.h include/*.h include/uapi/*.h tests/selfcheck/*.c tests/bench/*.c tests/rdma/*.c; do
	out=$(perl "$cp" --no-tree --terse --show-types \
		--ignore ALLOC_WITH_SIZEOF,DEPRECATED_API -f "$f" 2>&1 |
		grep -E 'ERROR|WARNING' || true)
	if [ -n "$out" ]; then
		echo "$out"
		rc=1
	fi
done
exit $rc
