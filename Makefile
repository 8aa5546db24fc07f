# iova_bitmap on Linux 7.3: entry points.  See README.md.
#   make run     build the kernel, boot it in QEMU, show dirty tracking
#   make check   every test layer; ends with "N passed, N failed"
T := tooling

H := tools/testing/iova_bitmap

.PHONY: run check check-arch deps tree config kernel guest gates kconfig-proof \
	kconfig-proof-base harness fuzz bench bench-pt bench-pt-layouts ablate bench-steps bench-icount bench-kernel baseline docs \
	matrix series kunit-fresh fixes fixes-bisect fixes-history qemu check-hw check-hw-stock vfio-stock inside-stock race-soak fail-nth migrate \
	clean distclean

run:
	@$(T)/run.sh

check:
	@$(T)/check.sh

# The test kernels of the other architectures: i386 with highmem, arm64
# (cross-built, QEMU virt with an SMMUv3), x86_64 with KCSAN.  CI runs it
# after make check.  ARCH_TARGETS=name... for some of them.
check-arch:
	@$(T)/arch.sh $(ARCH_TARGETS)

deps:
	@$(T)/deps.sh

tree:
	@$(T)/assemble.sh

config: tree
	@$(T)/kconfig.sh

kernel:
	@$(T)/build-kernel.sh

guest: kernel
	@$(T)/guest-build.sh

gates: kernel
	@$(T)/gates.sh

kconfig-proof: tree
	@$(T)/kconfig-proof.sh

kconfig-proof-base: tree
	@$(T)/kconfig-proof.sh --base

# Documentation/core-api with Sphinx; fails on a warning from our files.
docs:
	@$(T)/docs.sh

# The user-space harness alone (minutes), libFuzzer (FUZZ_SECONDS, default
# 30 minutes), the record-pattern benchmark (wall clock, instructions, and
# in QEMU against 7.3 with only the mdirty sample added) and the 7.3
# baseline.
harness:
	@$(T)/harness.sh

fuzz:
	@$(T)/deps.sh --fuzz
	$(MAKE) -C $(H) fuzz

bench: tree
	$(MAKE) -C $(H) bench

# generic_pt's amdv1 read_and_clear_dirty() in user space: the library's
# cost on top of a real walk, stock 7.3's and ours.
bench-pt: tree
	$(MAKE) -C $(H) bench-pt

# The same, with the walker's code aligned four ways: how far layout alone
# moves the walk.
bench-pt-layouts: tree
	$(MAKE) -C $(H) bench-pt-layouts

# Each fast-path mechanism of the library taken out in turn, and timed.
ablate: tree
	$(MAKE) -C $(H) ablate

# The library at each step of make series (run it first), timed
bench-steps: tree
	$(MAKE) -C $(H) bench-steps

bench-icount: tree
	@$(T)/deps.sh --fuzz
	$(MAKE) -C $(H) bench-icount

bench-kernel:
	@$(T)/deps.sh
	@$(T)/bench-kernel.sh

baseline: tree
	$(MAKE) -C $(H) baseline

# Upstream readiness: every Kconfig combination of the callers built and
# linked (W=1, modpost), and the work as a bisectable git patch series with
# a cover letter (build/series/out).  Both take long on a cold cache.
matrix:
	@$(T)/matrix.sh

series:
	@$(T)/series.sh

# Each .kunitconfig the series sends, through kunit.py (UML) in a fresh 7.3
# tree with the series applied by git am (after make series).
kunit-fresh:
	@$(T)/kunit-fresh.sh

# The fixes to stock 7.3.4 alone (tooling/fixes/groups): per-tree series
# with cover letters in build/fixes/out, git am and checkpatch, every
# commit built, the kernel booted through upstream's iommufd selftest, and
# which fixes apply to Debian's 7.2.13 and 6.12.  fixes-bisect: each
# regression test on stock and on stock plus its one fix; fixes-history:
# the same tests on stock 7.2.13, 7.3-rc7 and 7.3.4.
fixes:
	@$(T)/fixes.sh

fixes-bisect:
	@$(T)/fixes.sh bisect

fixes-history:
	@$(T)/fixes.sh history

# Our QEMU: 10.2.2 from Debian's source package with tooling/qemu/patches
# (VT-d second-stage Access/Dirty behind intel-iommu's x-ssads, AMD-Vi host
# Access/Dirty behind amd-iommu's x-hdsup), TCG-only, cached in
# build/qemu-build; its intel-iommu and amd-iommu qtests.
qemu:
	@$(T)/qemu-build.sh --qtest

# The real Intel and AMD IOMMU drivers on our QEMU's emulated dirty bits:
# the test kernel on a q35 with intel-iommu,x-ssads=on, then with
# amd-iommu,x-hdsup=on, and an edu device, running
# tools/testing/selftests/iommu/iommufd_hw_dirty (HW_IOMMUS=intel or amd:
# one of them; HW_IGB=1: igb's bulk DMA too, vfio_iommufd_dirty_test).
check-hw:
	@$(T)/check-hw.sh

# The same boots on stock 7.3.4: what the real drivers report there.
check-hw-stock:
	@$(T)/check-hw.sh --stock

# The VFIO dirty-report selftest on 7.3's library (plus only the mdirty
# sample): shows 7.3's hang on ragged reports as a timeout.
vfio-stock:
	@$(T)/vfio-stock.sh

# The selftest of reads from inside a dirty IOPTE on stock 7.3 and on ours.
inside-stock:
	@$(T)/inside-stock.sh

# The dirty race selftest alone, for RACE_SECONDS (default 600).
RACE_SECONDS ?= 600
fail-nth:
	@$(T)/boot-step.sh failnth iommufd_fail_nth

race-soak:
	@QEMU_TIMEOUT=$$(( $(RACE_SECONDS) + 600 )) $(T)/boot-step.sh race iommufd_dirty_race iovarace=$(RACE_SECONDS)

# QEMU live-migrates a guest while an mdirty mdev writes its memory
# (also in make check); MIGRATE_CASES=name,name picks cases.
migrate:
	@$(T)/boot-step.sh migrate migrate "iovacases=$(MIGRATE_CASES)"

clean:
	rm -rf build/guest build/check build/kconfig-proof
	$(MAKE) -C $(H) clean

distclean:
	rm -rf build
