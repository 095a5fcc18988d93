#!/bin/sh
# Harness self-check suite: one passing result, one deliberately failing
# result, and a module load that WARNs. The harness must report the run
# as failed, naming both the failed test and the WARNING in dmesg.
. /tests/ktap.sh
ktap_plan 3
check "selfcheck: a passing result" true
check "selfcheck: a deliberately failing result" false
check "selfcheck: load the WARNing module" modprobe dmabuf_revoke_selfcheck
ktap_done
