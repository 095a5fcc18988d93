# SPDX-License-Identifier: GPL-2.0
# dmabuf-revoke top-level Makefile.
#
#   make KDIR=<kernel headers>   build the modules for one kernel (DKMS does this)
#   make demo                    boot the default kernel (7.3) and show the modules
#   make check [KERNELS="7.0 7.2"]  host unit tests + guest suite on the kernel matrix
#   make bench [KERNELS="7.3"]  what the shim costs per kernel (build/bench/)
#   make secureboot [SB_KERNEL=7.3]  the DKMS flow under UEFI Secure Boot (MOK)
#   make unit                    host unit tests only
#   make deps                    install the host packages the above need (apt)
#   make cli                     build the CLI, src/cli/build/dmabuf-revokectl
#   make checkpatch              the kernel's checkpatch.pl on the kernel sources
#
# KDIR defaults to the running kernel's headers only for hand builds; DKMS
# always passes KDIR=${kernel_source_dir}.

KDIR ?= /lib/modules/$(shell uname -r)/build
# The vfio-pci-core.ko whose BTF dmabuf_revoke_livepatch is derived from;
# empty: /lib/modules/<the headers' release>/kernel/drivers/vfio/pci/.
VFIO_KO ?=
# Empty: scripts/check.sh runs DEFAULT_KERNELS of scripts/lib.sh.
KERNELS ?=
# The kernel of `make secureboot` (scripts/sb-guest.sh).
SB_KERNEL ?= 7.3
GEN := $(CURDIR)/generated

.PHONY: modules compat clean demo check bench unit deps help cli checkpatch dkms-source secureboot

modules: compat
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

# Regenerated on every build: the probes are cheap next to a wrong answer
# left over from another kernel's headers.
compat:
	@DKMS_KERNELVER="$(DKMS_KERNELVER)" scripts/conftest.sh $(KDIR) $(GEN)
	@scripts/vfio-btf.sh $(KDIR) $(GEN) $(VFIO_KO)

# The module source tree DKMS builds from (/usr/src/dmabuf-revoke-<ver>),
# without dkms.conf (dh_dkms installs that one): debian/rules and the DKMS
# guest flow both install it from here, so the list lives in one place.
dkms-source:
	@[ -n "$(DESTDIR)" ] || { echo "usage: make dkms-source DESTDIR=<dir>" >&2; exit 2; }
	install -d $(DESTDIR)/scripts
	cp -a Kbuild Makefile include src $(DESTDIR)/
	rm -rf $(DESTDIR)/src/cli
	install -m 0755 scripts/conftest.sh scripts/vfio-btf.sh $(DESTDIR)/scripts/
	install -m 0644 scripts/kconfig.sh $(DESTDIR)/scripts/

clean:
	-[ ! -f $(KDIR)/Makefile ] || $(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -rf $(GEN)

deps:
	scripts/deps.sh

unit: deps
	$(MAKE) -C tests/unit run

cli:
	$(MAKE) -C src/cli

checkpatch: deps
	scripts/checkpatch.sh

check: deps
	scripts/check.sh $(KERNELS)

demo: deps
	scripts/demo.sh

bench: deps
	scripts/bench.sh $(KERNELS)

secureboot: deps
	scripts/sb-guest.sh $(SB_KERNEL)

help:
	@sed -n '2,16p' Makefile
