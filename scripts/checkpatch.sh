#!/usr/bin/env bash
# checkpatch.sh: run the kernel's scripts/checkpatch.pl (--no-tree -f) on the
# kernel C sources and the guest's test programs (fetched by kernel-tools.sh).
#
# Ignored: ALLOC_WITH_SIZEOF (kzalloc_obj() is 7.x-only; we build for 6.1)
# and DEPRECATED_API (idr is what 6.1 offers alike).
. "$(dirname "$0")/lib.sh"

cp=$("$TOP/scripts/kernel-tools.sh")/scripts/checkpatch.pl || exit 1

cd "$TOP" || exit 1
rc=0
# check IGNORE FILE...: checkpatch's errors and warnings, types IGNORE aside.
check() {
	local ign=$1 f out
	shift
	for f in "$@"; do
		out=$(perl "$cp" --no-tree --terse --show-types --ignore "$ign" -f "$f" 2>&1 |
			grep -E 'ERROR|WARNING' || true)
		if [ -n "$out" ]; then
			echo "$out"
			rc=1
		fi
	done
}
check ALLOC_WITH_SIZEOF,DEPRECATED_API \
	src/*.c src/*.h include/*.h include/uapi/*.h tests/selfcheck/*.c tests/bench/*.c tests/rdma/*.c
# The guest's user-space test programs, also in kernel style. Ignored, as
# kernel-only advice: PREFER_DEFINED_ATTRIBUTE_MACRO (user space has no
# __printf), AVOID_EXTERNS (environ, the linker's symbols of an embedded BPF
# object), EMBEDDED_FUNCTION_NAME (it takes words like "usage" in a message
# for the function of that name).
check PREFER_DEFINED_ATTRIBUTE_MACRO,AVOID_EXTERNS,EMBEDDED_FUNCTION_NAME \
	tests/guest/bin/*.c tests/guest/bin/*.h tests/guest/bpf/*.c tests/guest/bpf/*.h
exit $rc
