#!/usr/bin/env bash
# conftest-expect.sh KERNEL CONFTEST_OUTPUT: the probes found what
# tests/conftest.expected says KERNEL has. Prints each mismatch.
set -euo pipefail
k=$1 got=$2
exp=$(dirname "$0")/conftest.expected
n=0 bad=0
while read -r kk probe want; do
	[ "$kk" = "$k" ] || continue
	n=$((n + 1))
	have=$(awk -v p="$probe" '$2==p{print $3}' "$got")
	if [ "$have" != "$want" ]; then
		echo "# $k: $probe: probe says '${have:-missing}', kernel has '$want'" >&2
		bad=1
	fi
done < <(grep -v '^#' "$exp")
[ $n -gt 0 ] || { echo "# $k: no expectations in $exp" >&2; exit 1; }
exit $bad
