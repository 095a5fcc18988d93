#!/usr/bin/env bash
# demo.sh [KERNEL]: fetch, build and boot one kernel (default 7.3, where
# vfio-pci exports dma-bufs, refuses callback-less importers by itself and
# its reset waits for every unmap: a stub importer's mapping hangs it, which
# the watchdog names and learn=deny then refuses), load the modules and show
# what they do, as tables and lines. 7.0 shows the window before upstream
# refused anything (a stub stays attached across a reset; nobody can map).
. "$(dirname "$0")/lib.sh"
k=${1:-7.3}
stage "fetch-$k" "$TOP/scripts/kernels.sh" fetch "$k"
stage "build-$k" "$TOP/scripts/build.sh" "$k"
rc=0
"$TOP/scripts/guest.sh" --demo "$k" || rc=$?
read -r p f s <"$BUILD/results/demo-$k/counts"
echo "$p passed, $f failed, $s skipped"
exit $rc
