#!/bin/bash
# make inside-stock: run the iommufd_dirty_inside selftest (reads that
# start or end inside a dirty IOPTE, patches/0008) on stock 7.3's library
# and on ours, and print both results.  Stock: the kernel of make
# vfio-stock (tooling/stock-kernel.sh); ours: the test kernel (build/obj).
# Expected: stock fails all but read_starts_inside_no_clear (make
# fixes-bisect names the fix of each); ours passes all fourteen.
. "$(dirname "$0")/common.sh"

"$REPO/tooling/stock-kernel.sh"
"$REPO/tooling/build-kernel.sh"
"$REPO/tooling/guest-build.sh"
for k in stock ours; do
	if [ $k = stock ]; then o=$BUILD/bench/stock-mdirty/obj; else o=$OBJ; fi
	g=$BUILD/inside/$k
	OBJ=$o GUEST_OUT=$g QEMU_TIMEOUT=600 "$REPO/tooling/qemu-run.sh" inside >/dev/null
	echo "== $k ($(sed -n 's/^### GUEST \([^ ]*\).*/\1/p' "$g/tests.log"))"
	grep -E '^(ok|not ok) |iommufd\.c:[0-9]+:' "$g/tests.log" | sed 's#^.*/iommufd\.c:#  iommufd.c:#'
done
