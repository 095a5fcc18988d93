#!/bin/sh
# Stress: 8 importer threads x 10,000 import/map/unmap/release cycles in
# every mode on guarded and unguarded buffers, while buffers are revoked and
# restored, policy, strict, deny, allow and exporters change underneath, and
# the importer module is unloaded (delete_module O_NONBLOCK; EBUSY/EAGAIN
# while files are open) and reloaded; the workers close and reopen the
# importer, and retry while it is absent (dbr_stress -u). On kernels with
# vfio dma-buf export (HAVE_VFIO_DEVICE_FEATURE_DMA_BUF: 7.0, 7.2+) a vfio
# thread meanwhile exports the edu BAR0, attaches compliant importers
# (mapped where vfio-pci maps for the edu device itself: 7.1+) and unmapped
# stubs as the edu device, resets it with VFIO_DEVICE_RESET under a
# watchdog and checks every importer was notified and none holds a mapping
# (dbr_stress -v; a mapped stub would hang the reset on 7.2+, so stubs are
# never mapped). The counter invariant includes these vfio attaches
# (vfio_pci_core stays guarded). tests/guest/bin/dbr_stress.c asserts
# (kselftest harness: one test per check, its KTAP nested here); this file
# bounds its run. Then the knobs are put back and
# the shim must still refuse as before.
. /tests/ktap.sh
. /tests/helpers.sh
ktap_plan "$(case $(uname -r) in *debug*) echo 6 ;; *) echo 5 ;; esac)"

modprobe dmabuf_revoke_exporter && modprobe dmabuf_revoke_importer
check "test modules loaded" [ -c /dev/dmabuf_revoke_importer ]
vopt=
if have HAVE_VFIO_DEVICE_FEATURE_DMA_BUF; then
	modprobe vfio-pci && modprobe vfio_iommu_type1 || ktap_diag "modprobe vfio-pci failed"
	guarded_bind() { grep -qw vfio_pci_core $P/exporters && vfio_bind; }
	check "edu bound to vfio-pci for the vfio thread, vfio_pci_core guarded" guarded_bind
	vopt="-v $BDF"
	# 7.1+: vfio-pci maps for the edu device itself; 7.0: its pin op refuses.
	have HAVE_DMA_BUF_ATTACH_REVOCABLE && vopt="$vopt -M"
	# The debug kernel is ~20x slower under TCG.
	case $(uname -r) in *debug*) vopt="$vopt -w 120" ;; *) vopt="$vopt -w 30" ;; esac
else
	ktap_skip "vfio reset under stress" \
		"no vfio dma-buf export on this kernel (HAVE_VFIO_DEVICE_FEATURE_DMA_BUF: no)"
fi

# stress NAME ARGS...: one bounded dbr_stress run (kselftest harness, its
# KTAP nested here), then one result: ok if it exited 0 with as many results
# as its plan said (as ktap_harness). In the background: a hung
# VFIO_DEVICE_RESET leaves a thread in D state that no signal ends
# (dbr_stress's watchdog reports it first, and the wait stops there).
stress() {
	_name=$1
	shift
	echo "  # Subtest: stress"
	dbr_stress "$@" >/tmp/stress.out 2>&1 &
	pid=$!
	i=0
	while [ $i -lt 660 ]; do
		st=$(sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' /proc/$pid/status 2>/dev/null)
		[ -z "$st" ] || [ "$st" = Z ] && break
		grep -q "VFIO_DEVICE_RESET did not return" /tmp/stress.out && break
		sleep 1
		i=$((i + 1))
	done
	if grep -q "VFIO_DEVICE_RESET did not return" /tmp/stress.out; then
		rc=hung-reset
	elif [ $i -ge 660 ]; then
		rc="still running after 660 s"
	else
		wait $pid
		rc=$?
	fi
	sed 's/^/  /' /tmp/stress.out
	_plan=$(sed -n 's/^1\.\.\([0-9]*\).*/\1/p' /tmp/stress.out | head -n1)
	_got=$(grep -cE '^(not )?ok [0-9]+' /tmp/stress.out)
	check_eq "$_name" "$rc, plan ${_plan:-none}" "0, plan $_got"
}
case $(uname -r) in
*debug*)
	# ~20x slower under TCG with KASAN and lockdep: 40,000 cycles of knob
	# and revoke chaos (about 150 s; the stock kernels do 80,000: half
	# keeps make check's warm run under 30 minutes, and every path runs
	# thousands of times under the detectors either way), then the module
	# and vfio chaos with fewer workers (the module's reloads and the
	# resets would otherwise take the single TCG thread for most of 600 s).
	stress "dbr_stress: 8 threads x 5000 cycles under knob and revoke chaos" \
		-t 8 -n 5000 -s 600
	# shellcheck disable=SC2086
	stress "dbr_stress: 4 threads x 1000 cycles, the importer reloaded${vopt:+, vfio resets}" \
		-t 4 -n 1000 -s 600 -u $vopt ;;
*)
	# shellcheck disable=SC2086
	stress "dbr_stress: 8 threads x 10000 cycles under chaos" \
		-t 8 -n 10000 -s 600 -u $vopt ;;
esac
setpol enforce
echo "" >$P/deny
echo "" >$P/allow
echo vfio_pci_core >$P/exporters
check "afterwards, enforce still refuses a legacy importer" \
	dbr_scenario attach legacy --nomap --expect EOPNOTSUPP
if [ -n "$vopt" ]; then
	dbr_vfio unbind >/dev/null
	modprobe -r vfio-pci vfio_iommu_type1
fi
modprobe -r dmabuf_revoke_importer dmabuf_revoke_exporter
check "and the test modules unload" [ ! -d /sys/module/dmabuf_revoke_importer ]
ktap_done
