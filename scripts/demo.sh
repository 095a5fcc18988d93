#!/usr/bin/env bash
# demo.sh [KERNEL]: fetch, build and boot one kernel (default 7.0, the one
# where vfio-pci exports dma-bufs and nothing refuses stub importers), load
# the modules and show what they do, as a table.
. "$(dirname "$0")/lib.sh"
k=${1:-7.0}
stage "fetch-$k" "$TOP/scripts/kernels.sh" fetch "$k"
stage "build-$k" "$TOP/scripts/build.sh" "$k"
rc=0
"$TOP/scripts/guest.sh" --demo "$k" || rc=$?
read -r p f s <"$BUILD/results/demo-$k/counts"
echo "$p passed, $f failed, $s skipped"
exit $rc
