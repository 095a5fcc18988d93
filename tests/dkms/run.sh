#!/bin/bash
# Guest init for scripts/dkms-guest.sh: runs as PID 1 in a real Debian root
# fs (bookworm or trixie) after the initramfs switch_root. The payload disk
# is at /payload. KTAP results on ttyS1, dmesg on ttyS2, like tests/guest.
#
# Suite "dkms": the by-hand DKMS flow from a source copy in /usr/src.
# Suite "deb":  debian/tests run by autopkgtest (null virt server) against
#               the .debs (dkms-autopkgtest installs the DKMS package and
#               builds), the modprobe.d conffile, dmabuf-revoke.service's
#               ExecStart run by hand, then "systemctl enable" of the unit
#               and a policy in the conffile.
# Suite "boot": after "deb", this script execs systemd as PID 1, which
#               boots the root fs (sysinit.target, with the enabled unit);
#               a service then runs "run.sh after-boot": the unit loaded
#               the module with the configured policy, purge removes all.
# /payload/suites names the ones to run (default both; "boot" follows deb).
# Both end by comparing the root fs file list with the one taken before.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive HOME=/root TERM=dumb
AFTER_BOOT=0
[ "${1:-}" = after-boot ] && AFTER_BOOT=1
# After the systemd boot: systemd mounted and populated all of this.
if [ $AFTER_BOOT -eq 0 ]; then
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts 2>/dev/null
hostname dbr-guest 2>/dev/null
# What udev would create: /dev/fd and friends (dkms uses process substitution).
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
fi
exec 3>/dev/ttyS1
echo "guest: $(uname -r) in $(. /etc/os-release && echo "$PRETTY_NAME"), up $(cut -d' ' -f1 /proc/uptime)s${1:+ ($1)}"

VER=$(cat /payload/version)
REL=$(cat /payload/release)
PKG=dmabuf-revoke
MODS="dmabuf_revoke dmabuf_revoke_exporter dmabuf_revoke_importer"
P=/sys/module/dmabuf_revoke/parameters
. /payload/ktap.sh
# shellcheck source=tests/guest/rootfs-guest.sh
. /payload/rootfs-guest.sh
# shellcheck source=scripts/kconfig.sh
. "/payload/src/$PKG-$VER/scripts/kconfig.sh"
# ktap.sh ends a suite with `exit`; suites run in subshells here.

diag_file() {	# diag_file FILE [N]: the last N lines of FILE as KTAP diagnostics
	tail -n "${2:-25}" "$1" 2>/dev/null | while IFS= read -r l; do ktap_diag "$l"; done
}
# Root fs file list, without the kernel's and apt/dpkg's bookkeeping
# (logs, caches, dpkg's *-old backups) that any package operation touches.
snapshot() {
	find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /run -o -path /tmp \
		-o -path /payload -o -path /var/log -o -path /var/cache -o -path /var/lib/apt \
		-o -path /lost+found -o -path /root/.cache \) -prune -o -print |
		grep -vE '^/var/lib/dpkg/[^/]*-old$' | LC_ALL=C sort >"$1"
}
same_files() {	# same_files BEFORE AFTER: diff as diagnostics, status
	snapshot "$2"
	if diff "$1" "$2" >/tmp/files.diff; then return 0; fi
	diag_file /tmp/files.diff 40
	return 1
}
no_module_files() {
	local left
	left=$(find /lib/modules/ /usr/lib/modules/ -name 'dmabuf_revoke*' 2>/dev/null)
	[ -z "$left" ] || { ktap_diag "left behind: $left"; return 1; }
	! grep -q dmabuf_revoke "/lib/modules/$REL/modules.dep"
}
installed_in_updates() {	# every module resolves to updates/dkms and has VER
	local m p v
	for m in $MODS; do
		p=$(modinfo -n "$m" 2>/dev/null)
		v=$(modinfo -F version "$m" 2>/dev/null)
		case $p in */updates/dkms/"$m".ko*) ;; *) ktap_diag "$m: '$p'"; return 1 ;; esac
		[ "$v" = "$VER" ] || { ktap_diag "$m: version '$v'"; return 1; }
	done
}
dkms_installed() { dkms status "$PKG/$VER" -k "$REL" 2>&1 | tee /tmp/dkms.status | grep -q ': installed'; }
unload_all() {
	local m
	for m in dmabuf_revoke_importer dmabuf_revoke_exporter dmabuf_revoke_livepatch dmabuf_revoke; do
		[ -d /sys/module/$m ] && modprobe -r $m
	done
	[ ! -d /sys/module/dmabuf_revoke ]
}
kconfig() { kconfig_y "/lib/modules/$REL/build" "$1"; }
# Built where the kernel has CONFIG_LIVEPATCH and vfio-pci dma-buf export
# and the source has the backend (dkms.conf and Kbuild test the same).
want_livepatch() {
	kconfig CONFIG_LIVEPATCH && kconfig CONFIG_VFIO_PCI_DMABUF && [ -f "$1/src/livepatch.c" ]
}
livepatch_as_configured() {
	local have=no want=no
	modinfo -n dmabuf_revoke_livepatch >/dev/null 2>&1 && have=yes
	want_livepatch "$1" && want=yes
	ktap_diag "livepatch module: wanted $want, installed $have"
	[ "$have" = "$want" ]
}
signed_by_dkms() {	# with CONFIG_MODULE_SIG the modules carry DKMS's MOK signature
	kconfig CONFIG_MODULE_SIG || return 0
	local s
	s=$(modinfo -F signer dmabuf_revoke 2>/dev/null)
	ktap_diag "signer: '$s'"
	[ "$s" = "DKMS module signing key" ]
}
# chk NAME CMD...: like check, but returns CMD's status (for `|| diag_file`).
chk() {
	local n=$1
	shift
	if "$@"; then ktap_ok "$n"; return 0; fi
	ktap_fail "$n"
	return 1
}
gone_dkms() { ! [ -e "/var/lib/dkms/$PKG" ] && no_module_files; }
gone_deb() { ! [ -e "/usr/src/$PKG-$VER" ] && gone_dkms; }
run_logged() {	# run_logged LOG CMD...: status of CMD, its output kept in LOG
	local log=$1
	shift
	"$@" >"$log" 2>&1
}

suite_dkms() {
	local src=/usr/src/$PKG-$VER cli=/payload/bin/dmabuf-revokectl t
	ktap_plan 27
	check_eq "running kernel is the matrix kernel" "$(uname -r)" "$REL"
	check "linux-headers-$REL installed (/lib/modules/$REL/build)" test -f "/lib/modules/$REL/build/Makefile"
	snapshot /tmp/before.dkms
	cp -a "/payload/src/$PKG-$VER" /usr/src/
	chk "dkms add $PKG/$VER" run_logged /tmp/dkms.log dkms add "$PKG/$VER" || diag_file /tmp/dkms.log
	# A build without the kernel's compiler fails and make.log says which.
	local cc ccp
	cc=$(kernel_cc_name "/lib/modules/$REL/build")
	ccp=$(command -v "$cc")
	mv "$ccp" "$ccp.hidden"
	if run_logged /tmp/dkms.log dkms build "$PKG/$VER" -k "$REL"; then
		ktap_fail "without $cc: dkms build fails"
	else
		chk "without $cc: dkms build fails, make.log names the compiler package" \
			grep -q "but $cc is not installed (install gcc-" "/var/lib/dkms/$PKG/$VER/build/make.log" ||
			diag_file "/var/lib/dkms/$PKG/$VER/build/make.log" 10
	fi
	mv "$ccp.hidden" "$ccp"
	t=$(date +%s)
	if run_logged /tmp/dkms.log dkms build "$PKG/$VER" -k "$REL"; then
		ktap_ok "dkms build $PKG/$VER -k $REL ($(($(date +%s) - t))s)"
	else
		diag_file /tmp/dkms.log 10
		diag_file "/var/lib/dkms/$PKG/$VER/build/make.log" 30
		ktap_fail "dkms build $PKG/$VER -k $REL"
	fi
	check "make.log shows the conftest probes" \
		grep -q '^conftest: HAVE_' "/var/lib/dkms/$PKG/$VER/$REL/$(uname -m)/log/make.log"
	chk "dkms install $PKG/$VER -k $REL" run_logged /tmp/dkms.log dkms install "$PKG/$VER" -k "$REL" ||
		diag_file /tmp/dkms.log
	chk "dkms status: installed for $REL" dkms_installed || diag_file /tmp/dkms.status
	check "modules in updates/dkms, version $VER" installed_in_updates
	check "livepatch module built exactly where the kernel supports it" livepatch_as_configured "$src"
	check "modules signed with the DKMS MOK key" signed_by_dkms
	echo "options dmabuf_revoke strict=Y deny=dkms_test_cb" >/etc/modprobe.d/dmabuf-revoke.conf
	chk "modprobe dmabuf_revoke policy=enforce" run_logged /tmp/mp.log modprobe dmabuf_revoke policy=enforce ||
		diag_file /tmp/mp.log
	check_eq "policy from the modprobe command line" "$(cat $P/policy 2>&1)" enforce
	check_eq "strict from /etc/modprobe.d/dmabuf-revoke.conf" "$(cat $P/strict 2>&1)" Y
	check "deny from /etc/modprobe.d/dmabuf-revoke.conf" grep -qw dkms_test_cb $P/deny
	check_eq "/sys/kernel/dmabuf_revoke/version" "$(cat /sys/kernel/dmabuf_revoke/version 2>&1)" "$VER"
	echo audit >$P/policy
	check_eq "sysfs: policy set to audit" "$(cat $P/policy)" audit
	if (echo bogus >$P/policy) 2>/dev/null; then ktap_fail "sysfs: bad policy refused"; else
		check_eq "sysfs: bad policy refused, policy unchanged" "$(cat $P/policy)" audit; fi
	echo N >$P/strict
	check_eq "sysfs: strict set to N" "$(cat $P/strict)" N
	echo +extra_cb >$P/deny
	check "sysfs: deny +extra_cb edits the list" sh -c "grep -qw extra_cb $P/deny && grep -qw dkms_test_cb $P/deny"
	ktap_diag "hook/state: $(cat /sys/kernel/dmabuf_revoke/hook/state 2>&1)"
	t=$(cat /proc/sys/kernel/tainted)
	ktap_diag "tainted: $t (O=$(((t >> 12) & 1)) E=$(((t >> 13) & 1)) K=$(((t >> 15) & 1)))"
	check "kernel tainted O (out-of-tree module)" test $(((t >> 12) & 1)) -eq 1
	check_eq "dmabuf-revokectl --version" "$($cli --version 2>&1)" "dmabuf-revokectl $VER"
	if run_logged /tmp/cli.log "$cli" selftest; then ktap_ok "dmabuf-revokectl selftest"; else
		diag_file /tmp/cli.log 30; ktap_fail "dmabuf-revokectl selftest"; fi
	check "modprobe -r: nothing of ours loaded" unload_all
	chk "dkms remove $PKG/$VER --all" run_logged /tmp/dkms.log dkms remove "$PKG/$VER" --all ||
		diag_file /tmp/dkms.log
	check "no module file, no /var/lib/dkms/$PKG, not in modules.dep" gone_dkms
	rm -rf "$src" /etc/modprobe.d/dmabuf-revoke.conf
	check "no file left behind (file lists before add and after remove)" same_files /tmp/before.dkms /tmp/after.dkms
	ktap_done
}

CONF=/etc/modprobe.d/dmabuf-revoke.conf
UNIT=dmabuf-revoke.service
unit_path() { for d in /usr/lib/systemd/system /lib/systemd/system; do [ -f "$d/$UNIT" ] && { echo "$d/$UNIT"; return; }; done; }
in_conffiles() {	# the package lists the modprobe.d file as a conffile
	dpkg-query -W -f='${Conffiles}\n' "$PKG-dkms" | tee /tmp/conffiles | grep -q "^ $CONF [0-9a-f]*\$" ||
		{ diag_file /tmp/conffiles; return 1; }
}
shipped_conf_inert() {	# every option commented: the module's defaults apply
	grep -q '^#options dmabuf_revoke policy=enforce$' "$CONF" && ! grep -q '^[[:space:]]*options' "$CONF"
}
unit_disabled() {	# shipped, and nothing in /etc/systemd enables it
	local u l
	u=$(unit_path)
	[ -n "$u" ] || { ktap_diag "no $UNIT in /usr/lib or /lib/systemd/system"; return 1; }
	l=$(find /etc/systemd -name "$UNIT" 2>/dev/null)
	[ -z "$l" ] || { ktap_diag "enabled by: $l"; return 1; }
}
run_execstart() {	# ExecStart= of the unit, as systemd would run it
	local cmd
	cmd=$(sed -n 's/^ExecStart=//p' "$(unit_path)")
	ktap_diag "ExecStart=$cmd"
	[ -n "$cmd" ] && $cmd
}
purged_boot_files() {
	local left
	left=$(ls -d "$CONF" /usr/lib/systemd/system/$UNIT /lib/systemd/system/$UNIT 2>/dev/null
		find /etc/systemd /var/lib/systemd -name "$UNIT*" 2>/dev/null)
	[ -z "$left" ] || { ktap_diag "left behind: $left"; return 1; }
}

# debian/tests (DEP-8) run by the real autopkgtest with its null virt
# server, i.e. here, in this guest, as root, against the .debs: the tests
# "autopkgtest -B *.deb tree/ -- qemu IMAGE" runs on a CI testbed.
# Two runs, so the modules are built once: without reset between tests
# (null cannot revert), autopkgtest reinstalls every installed package of
# its .debs before each test, and a reinstalled DKMS package rebuilds
# (prerm "dkms remove", postinst build). Run 1, with the DKMS .deb:
# dkms-autopkgtest installs dmabuf-revoke-dkms and does this flow's only
# build. Run 2, with the CLI .deb: every other test, on the DKMS package
# run 1 left installed, which stays for the checks after them.
# The guest is a machine of its own (a QEMU guest for this flow alone), but
# trixie's autopkgtest (5.49) null server offers no isolation-machine and
# crashes when told it has it (--fake-capability isolation-machine: an
# assertion in VirtSubproc.downtmp_mktemp). So the runs read
# debian/tests/control with that restriction dropped (--override-control).
# The guest has no network: apt sees only autopkgtest's local repository
# (its reset's "apt-get update" would otherwise try the archive), and
# every dependency is already in the root fs.
TREE=/payload/tree
ADT=/tmp/autopkgtest
DKMS_DEB=/payload/debs/$PKG-dkms_${VER}_all.deb
CLI_DEB=/payload/debs/dmabuf-revokectl_${VER}_amd64.deb
adt_tests() {	# the test names of debian/tests/control, in order
	awk 'BEGIN { RS = ""; FS = "\n" }
	{
		name = ""; tests = ""
		for (i = 1; i <= NF; i++) {
			if ($i ~ /^Tests:/) { tests = $i; sub(/^Tests:[ \t]*/, "", tests) }
			if ($i ~ /test-name=/) { name = $i; sub(/.*test-name=/, "", name); sub(/[ ,].*/, "", name) }
		}
		if (name != "") print name
		n = split(tests, t, /[ ,]+/)
		for (i = 1; i <= n; i++) if (t[i] != "") print t[i]
	}' "$TREE/debian/tests/control" | grep -v '^#'
}
# run_autopkgtest RUN DEB ARGS...: autopkgtest's status; output dir
# $ADT/RUN, its log also on the console (console.log: a slow step shows).
run_autopkgtest() {
	local run=$1 deb=$2 rc
	shift 2
	echo 'Dir::Etc::sourcelist "/dev/null";' >/tmp/apt-offline.conf
	rm -rf "${ADT:?}/$run"
	mkdir -p "$ADT"
	sed -E '/^Restrictions:/ { s/isolation-machine,[[:space:]]*//; s/,[[:space:]]*isolation-machine// }' \
		"$TREE/debian/tests/control" >"$ADT/control"
	APT_CONFIG=/tmp/apt-offline.conf PYTHONDONTWRITEBYTECODE=1 \
		autopkgtest --output-dir "$ADT/$run" --no-built-binaries --override-control "$ADT/control" \
		"$@" "$deb" "$TREE/" -- null \
		</dev/null 2>&1 | tee "$ADT/$run.log" | sed -u "s/^/autopkgtest $run: /" >/dev/console
	rc=${PIPESTATUS[0]}
	return "$rc"
}
adt_run() { if [ "$1" = dkms-autopkgtest ]; then echo dkms; else echo rest; fi; }
adt_result() {	# adt_result TEST: its word in its run's summary (PASS, FAIL ...)
	awk -v t="$1" '$1 == t { print $2; exit }' "$ADT/$(adt_run "$1")/summary" 2>/dev/null
}
adt_diag() {	# what a failing test printed
	local f
	for f in "$ADT/$(adt_run "$1")/$1"-stdout "$ADT/$(adt_run "$1")/$1"-stderr; do
		[ -s "$f" ] && { ktap_diag "--- $(basename "$f")"; diag_file "$f" 30; }
	done
	return 0
}
adt_check() {	# adt_check NAME RUN DEB ARGS...: one result for an autopkgtest run
	local name=$1 t rc=0
	shift
	t=$(date +%s)
	run_autopkgtest "$@" || rc=$?
	# 0: all passed; 2: some skipped; 4: some failed; 8: no test ran;
	# 12: erroneous package; 16: testbed failure (man autopkgtest).
	if [ "$rc" -eq 0 ]; then
		ktap_ok "$name: exit 0 ($(($(date +%s) - t))s)"
	else
		diag_file "$ADT/$1.log" 40
		ktap_fail "$name: exit $rc ($(($(date +%s) - t))s)"
	fi
	diag_file "$ADT/$1/summary" 20
}

# adt_built: dkms-autopkgtest's summary passes $PKG/$VER on $REL. Trixie's
# dkms names the package on the line ("I: PASS PKG/VER KVER"); bookworm's
# 3.0.10 prints "I: PASS KVER" after "I: Trying to build PKG/VER for KVER".
adt_built() {
	local out=$ADT/dkms/dkms-autopkgtest-stdout
	grep -qx "I: PASS $PKG/$VER $REL" "$out" ||
		{ grep -qx "I: Trying to build $PKG/$VER for $REL" "$out" &&
			grep -qx "I: PASS $REL" "$out"; }
}

suite_deb() {
	local n
	mapfile -t ADT_TESTS < <(adt_tests)
	ktap_plan $((24 + ${#ADT_TESTS[@]}))
	snapshot /tmp/before.deb
	ktap_diag "debian/tests/control: ${ADT_TESTS[*]} (run without isolation-machine: null cannot offer it)"
	adt_check "autopkgtest --test-name dkms-autopkgtest <$PKG-dkms .deb> tree/ -- null" \
		dkms "$DKMS_DEB" --test-name dkms-autopkgtest
	adt_check "autopkgtest --skip-test dkms-autopkgtest <dmabuf-revokectl .deb> tree/ -- null" \
		rest "$CLI_DEB" --skip-test dkms-autopkgtest
	for n in "${ADT_TESTS[@]}"; do
		# Every test must pass here: a skip (no module for this kernel,
		# a missing restriction) would hide what the test is for.
		if [ "$(adt_result "$n")" = PASS ]; then ktap_ok "autopkgtest $n: PASS"; else
			adt_diag "$n"; ktap_fail "autopkgtest $n: '$(adt_result "$n")', want PASS"; fi
	done
	check "the modules were built once (the dkms run's one build, no rebuild)" \
		test "$(grep -c 'Building module' "$ADT/dkms.log" "$ADT/rest.log" | awk -F: '{ s += $2 } END { print s }')" = 1
	# dkms-autopkgtest passes when it skips a package apt cannot see: its
	# own summary must show the build for this kernel.
	check "dkms-autopkgtest built and installed $PKG/$VER for $REL" adt_built
	check "dkms-autopkgtest saved the make logs as an artifact" \
		test -s "$ADT/dkms/artifacts/$PKG-dkms-make-logs.tar.gz"
	check "autopkgtest put apt back (no local repository or pin left)" \
		test ! -e /etc/apt/sources.list.d/autopkgtest.list -a ! -e /etc/apt/preferences.d/90autopkgtest
	chk "dkms status: installed for $REL" dkms_installed || diag_file /tmp/dkms.status
	check "modules in updates/dkms, version $VER" installed_in_updates
	check "livepatch module built exactly where the kernel supports it" livepatch_as_configured "/usr/src/$PKG-$VER"
	check "nothing of ours loaded after the tests" sh -c '! grep -q "^dmabuf_revoke" /proc/modules'
	# Boot integration: the modprobe.d conffile and the opt-in unit.
	check "$CONF installed, a conffile of $PKG-dkms" in_conffiles
	check "$CONF as shipped sets nothing (every option commented)" shipped_conf_inert
	check "$UNIT shipped, not enabled" unit_disabled
	if command -v systemd-analyze >/dev/null; then
		# Documentation= is checked with man(1), which the root fs lacks.
		chk "systemd-analyze verify --man=no $UNIT" run_logged /tmp/sa.log systemd-analyze verify --man=no "$(unit_path)" ||
			diag_file /tmp/sa.log
	else
		ktap_skip "systemd-analyze verify $UNIT" "no systemd in this rootfs (conf-test.sh verifies it on the host)"
	fi
	echo "options dmabuf_revoke policy=audit stale_timeout_ms=500" >>"$CONF"
	chk "modprobe dmabuf_revoke with policy=audit in $CONF" run_logged /tmp/mp.log modprobe dmabuf_revoke ||
		diag_file /tmp/mp.log
	check_eq "policy from $CONF" "$(cat $P/policy 2>&1)" audit
	check_eq "stale_timeout_ms from $CONF" "$(cat $P/stale_timeout_ms 2>&1)" 500
	check "modprobe -r dmabuf_revoke" unload_all
	chk "$UNIT's ExecStart loads the module" run_logged /tmp/cli.log run_execstart || diag_file /tmp/cli.log
	check_eq "policy after ExecStart: from $CONF (libkmod)" "$(cat $P/policy 2>&1)" audit
	chk "ExecStart again with the module loaded succeeds (no failed unit)" \
		run_logged /tmp/cli.log run_execstart || diag_file /tmp/cli.log
	check "disable after ExecStart" sh -c 'dmabuf-revokectl disable >/dev/null 2>&1 && ! [ -d /sys/module/dmabuf_revoke ]'
	# The opt-in, for real: "boot" boots with it (policy=audit from $CONF).
	chk "opt in: systemctl enable $UNIT" run_logged /tmp/sc.log systemctl enable "$UNIT" || diag_file /tmp/sc.log
	check "enabled: linked into sysinit.target.wants (WantedBy=)" \
		test -L "/etc/systemd/system/sysinit.target.wants/$UNIT"
	mkdir -p "$STATE"
	cp /tmp/before.deb "$STATE/"
	ktap_done
}

# After the deb suite: the root fs booted by systemd with the unit enabled.
STATE=/run/dbr-guest
BOOT_UNIT=dbr-guest-after-boot.service
mono() { systemctl show -P "$2" "$1"; }	# mono UNIT PROPERTY
ran_before_sysinit() {	# the unit was up before sysinit.target (so before VMs)
	local u s
	u=$(mono "$UNIT" ActiveEnterTimestampMonotonic) s=$(mono sysinit.target ActiveEnterTimestampMonotonic)
	ktap_diag "$UNIT active at ${u}us, sysinit.target at ${s}us (monotonic)"
	[ "${u:-0}" -gt 0 ] && [ "${s:-0}" -ge "$u" ]
}
# What the first systemd boot of this root fs writes whatever the packages:
# its state (random seed, credential secret, ...), the ConditionNeedsUpdate
# stamps, private dirs of services. Left out of the file lists (shown);
# deb-systemd-helper's state of the unit is checked by purged_boot_files.
BOOT_STATE='^(/etc/\.updated|/var/\.updated|/etc/machine-id|/var/lib/systemd(/.*)?|/var/lib/private|/var/tmp/systemd-private-.*)$'
same_files_booted() {	# same_files, but systemd's boot state
	snapshot "$2"
	grep -E "$BOOT_STATE" "$2" | grep -vxFf "$1" | while IFS= read -r l; do ktap_diag "boot state: $l"; done
	grep -vE "$BOOT_STATE" "$1" >"$1.nb"
	grep -vE "$BOOT_STATE" "$2" >"$2.nb"
	if diff "$1.nb" "$2.nb" >/tmp/files.diff; then return 0; fi
	diag_file /tmp/files.diff 40
	return 1
}
suite_boot() {
	ktap_plan 13
	check_eq "PID 1 is systemd" "$(cat /proc/1/comm)" systemd
	check_eq "$UNIT active after boot" "$(systemctl is-active "$UNIT" 2>&1)" active
	check_eq "$UNIT result" "$(mono "$UNIT" Result)" success
	check "$UNIT ordered before sysinit.target" ran_before_sysinit
	systemctl status --no-pager "$UNIT" >/tmp/status.log 2>&1
	diag_file /tmp/status.log 12
	check "dmabuf_revoke loaded at boot" test -d /sys/module/dmabuf_revoke
	check_eq "policy after boot: from $CONF" "$(cat $P/policy 2>&1)" audit
	check_eq "stale_timeout_ms after boot: from $CONF" "$(cat $P/stale_timeout_ms 2>&1)" 500
	check "dmabuf-revokectl disable" sh -c 'dmabuf-revokectl disable >/dev/null 2>&1 && ! [ -d /sys/module/dmabuf_revoke ]'
	chk "apt-get purge both packages" run_logged /tmp/apt.log apt-get purge -y "$PKG-dkms" dmabuf-revokectl ||
		diag_file /tmp/apt.log 30
	check "purge removed $CONF (edited), the unit and its enable link" purged_boot_files
	check "no module file, no /usr/src/$PKG-$VER, no /var/lib/dkms/$PKG" gone_deb
	check "no file left behind (file lists before autopkgtest and after purge, but systemd's boot state)" \
		same_files_booted "$STATE/before.deb" /tmp/after.deb
	check_eq "systemd: no failed unit" "$(systemctl list-units --state=failed --plain --no-legend 2>&1 | grep -v "^$BOOT_UNIT")" ""
	ktap_done
}
# Hand PID 1 to systemd: it boots the root fs to a target of ours that
# pulls in sysinit.target (and so the enabled unit) and the service that
# runs "run.sh after-boot". /run stays mounted: the units and $STATE live
# there, nothing of this is in the root fs.
boot_systemd() {
	local sd
	for sd in /usr/lib/systemd/systemd /lib/systemd/systemd; do [ -x "$sd" ] && break; done
	[ -x "$sd" ] || { echo "# boot: no systemd in this root fs" >&3; return 1; }
	mkdir -p /run/systemd/system
	# No first-boot prompts on the console (runtime mask, in /run).
	ln -sf /dev/null /run/systemd/system/systemd-firstboot.service
	cat >/run/systemd/system/dbr-guest.target <<-EOF
	[Unit]
	Description=dmabuf-revoke guest: boot, then the checks after it
	Requires=sysinit.target $BOOT_UNIT
	After=sysinit.target
	EOF
	cat >/run/systemd/system/$BOOT_UNIT <<-EOF
	[Unit]
	Description=dmabuf-revoke guest: the checks after boot
	# Not after basic.target: no timers (apt-daily) or sockets to wait for.
	DefaultDependencies=no
	After=sysinit.target $UNIT
	[Service]
	Type=oneshot
	TimeoutStartSec=infinity
	ExecStart=/bin/bash -c 'exec /bin/bash /payload/run.sh after-boot >/dev/console 2>&1'
	EOF
	echo "guest: exec $sd as PID 1 (up $(cut -d' ' -f1 /proc/uptime)s)"
	exec "$sd" --unit=dbr-guest.target
}

# Each suite nested as a subtest, judged like tests/guest/run.sh: it fails
# if it exits non-zero or its results do not match its plan.
# /payload/suites: which of them this boot runs (check.sh runs one per
# kernel: each builds the modules once, the slow part under TCG).
if [ $AFTER_BOOT -eq 1 ]; then
	run_subtest "$(cat "$STATE/n")" boot suite_boot
	guest_finish
fi
read -r -a SUITES </payload/suites 2>/dev/null || SUITES=(dkms deb)
[ ${#SUITES[@]} -gt 0 ] || SUITES=(dkms deb)
n=${#SUITES[@]}
case " ${SUITES[*]} " in *" deb "*) n=$((n + 1)) ;; esac	# boot follows deb
echo "KTAP version 1" >&3
echo "1..$n" >&3
i=0
for s in "${SUITES[@]}"; do
	i=$((i + 1))
	run_subtest $i "$s" "suite_$s"
done
if [ $i -lt $n ]; then
	if [ -f "$STATE/before.deb" ]; then
		echo $((i + 1)) >"$STATE/n"
		boot_systemd
	fi
	echo "# boot: the deb suite did not get to enabling $UNIT" >&3
	echo "not ok $((i + 1)) boot" >&3
fi
guest_finish
