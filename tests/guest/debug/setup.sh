#!/bin/sh
# Debug kernels only (guest.sh stages this as /tests/debug-setup.sh; /init
# runs it before the suites): record where every module's text is loaded.
# kmemleak resolves a backtrace when it is read, so a frame in a module
# that has been unloaded since prints as a bare address; 99-kmemleak.sh
# maps those back to module names with this record. A kprobe event on
# do_init_module, with the struct module offsets the host read from this
# kernel's BTF (/tests/expected/module-layout: name, mem[MOD_TEXT].base
# and .size, mem[MOD_INIT_TEXT].base and .size).
# The boot log as it is now, for 99-kmemleak.sh to find the detectors'
# start-up lines in even if the ring buffer wraps.
dmesg >/tmp/dmesg.boot
T=/sys/kernel/tracing
[ -d $T/events ] || mount -t tracefs tracefs $T || { echo "debug-setup: no tracefs"; exit 1; }
read -r name tb ts ib is </tests/expected/module-layout || { echo "debug-setup: no module layout"; exit 1; }
echo "p:dbr/modload do_init_module name=+$name(%di):string text=+$tb(%di):x64 textsz=+$ts(%di):u32 init=+$ib(%di):x64 initsz=+$is(%di):u32" \
	>>$T/kprobe_events || { echo "debug-setup: kprobe event refused"; exit 1; }
echo 1 >$T/events/dbr/modload/enable || { echo "debug-setup: cannot enable the event"; exit 1; }
echo "debug-setup: recording module loads"
