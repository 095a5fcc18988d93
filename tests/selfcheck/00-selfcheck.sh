#!/bin/sh
# Harness self-check suite: one passing result, one deliberately failing
# result, and a module load that WARNs. The harness must report the run
# as failed, naming both the failed test and the WARNING in dmesg. On a
# KASAN kernel (debug kernels) the module is loaded again with uaf=1 and,
# with kmemleak, leak=1: the harness must also report KASAN's
# use-after-free, and the kmemleak suite (staged after this one) the leak.
. /tests/ktap.sh
kasan=0
grep -qx kasan /tests/expected/detectors 2>/dev/null && kasan=1
ktap_plan $((3 + kasan))
check "selfcheck: a passing result" true
check "selfcheck: a deliberately failing result" false
check "selfcheck: load the WARNing module" modprobe dmabuf_revoke_selfcheck
if [ $kasan -eq 1 ]; then
	rmmod dmabuf_revoke_selfcheck
	leak=0
	grep -qx kmemleak /tests/expected/detectors && leak=1
	check "selfcheck: load it with uaf=1 leak=$leak (memory bugs for kasan, kmemleak)" \
		modprobe dmabuf_revoke_selfcheck uaf=1 leak=$leak
fi
ktap_done
