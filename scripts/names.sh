#!/usr/bin/env bash
# names.sh counters|hook|knobs: the file names of /sys/kernel/dmabuf_revoke/
# counters/ or hook/, or of /sys/module/dmabuf_revoke/parameters/, one per
# line, read from the one list the module and the CLI are built from
# (include/dmabuf_revoke_counters.h, _hook_files.h, _knobs.h),
# by the C preprocessor itself: what the checks compare against cannot drift.
TOP=$(cd "$(dirname "$0")/.." && pwd)
case ${1:-} in
counters) x=DBR_COUNTER h=dmabuf_revoke_counters.h ;;
hook) x=DBR_HOOK_FILE h=dmabuf_revoke_hook_files.h ;;
knobs) x=DBR_KNOB h=dmabuf_revoke_knobs.h ;;
*) echo "usage: names.sh counters|hook|knobs" >&2; exit 2 ;;
esac
printf '#define %s(f, ...) @f@\n#include "%s"\n' "$x" "$h" |
	cpp -P -I"$TOP/include" - | grep -o '@[a-z_]*@' | tr -d @
