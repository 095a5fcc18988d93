#!/bin/sh
# The guest is what later suites assume: q35 with 2 vCPUs, an IOMMU with
# groups, the edu PCI device (VFIO target), and the in-tree modules the
# suites use (vfio-pci, vfio_iommu_type1, vgem) loadable.
. /tests/ktap.sh
ktap_plan 6

check_eq "kernel release is the one built for" "$(uname -r)" "$(cat /tests/expected/release)"
check_eq "2 vCPUs online" "$(grep -c '^processor' /proc/cpuinfo)" 2

edu=
for d in /sys/bus/pci/devices/*; do
	if [ "$(cat "$d/vendor")" = 0x1234 ] && [ "$(cat "$d/device")" = 0x11e8 ]; then
		edu=$d
	fi
done
check "edu PCI device present" [ -n "$edu" ]
check "edu is in an IOMMU group" [ -e "$edu/iommu_group" ]

for m in vfio-pci vfio_iommu_type1 vgem; do
	modprobe "$m" || ktap_diag "modprobe $m failed"
done
check "vfio-pci, vfio_iommu_type1, vgem load" \
	sh -c '[ -d /sys/bus/pci/drivers/vfio-pci ] && [ -d /sys/module/vfio_iommu_type1 ] && [ -d /sys/module/vgem ]'
modprobe -r vgem vfio-pci vfio_iommu_type1
check "and unload" sh -c '! [ -d /sys/module/vgem ] && ! [ -d /sys/bus/pci/drivers/vfio-pci ]'

ktap_done
