#!/bin/bash
# make vfio-stock: run the VFIO dirty-report selftest on 7.3's own library.
# The kernel is the untouched base plus only the mdirty sample (its file and
# its Kconfig/Makefile patch: tooling/base-mdirty.sh), configured like make
# bench-kernel's 7.3 kernel and built in the same object directory.
# 7.3's iova_bitmap_set() loops forever when a record crosses the end of
# the pinned bitmap pages and the report length is not a multiple of
# page_size: the selftest's first such case never returns, which shows here
# as the guest's timeout.  Prints the selftest's result lines and the verdict.
. "$(dirname "$0")/common.sh"

O=$BUILD/bench/stock-mdirty/obj
G=$BUILD/bench/stock-mdirty/guest

"$REPO/tooling/stock-kernel.sh"

# The guest's own per-step timeout ends a hung test program only if the
# kernel lets it die; 7.3's loop never does, so QEMU's timeout is the one
# that ends the run.
OBJ=$O GUEST_OUT=$G QEMU_TIMEOUT=${VFIOSTOCK_TIMEOUT:-300} \
	"$REPO/tooling/qemu-run.sh" vfio iovatimeout=120 >/dev/null
echo
sed -n '/^### BEGIN vfio_dirty_report/,/^### END vfio_dirty_report/p' "$G/tests.log" |
	grep -E '^(not ok|ok) ' | awk '{ n[$1 == "ok" ? "passed" : "failed"]++ } END { printf "vfio_dirty_report on 7.3: %d passed, %d failed\n", n["passed"], n["failed"] }'
echo "tests ended by their 30 s timeout (a task stuck in the kernel):"
grep -B2 'Test terminated by timeout' "$G/tests.log" | sed -n 's/^#  RUN *\(.*\) \.\.\./  \1/p'
grep -m1 -A30 'self-detected stall' "$G/console.log" | grep -m2 -E 'RIP:|iova_bitmap' | sed 's/^/  stall: /' || true
if grep -q '^### TIMEOUT' "$G/tests.log"; then
	echo "7.3: HANG: the guest did not finish within ${VFIOSTOCK_TIMEOUT:-300}s (a test task never left the kernel)"
else
	echo "7.3: no hang (the run finished); see $G/tests.log"
fi
