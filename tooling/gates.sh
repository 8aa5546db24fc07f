#!/bin/bash
# The kernel's own gates on our code, as KTAP: checkpatch --strict on our
# files and patches, kernel-doc -Wall, and lib/iova_bitmap.o rebuilt with
# W=1 and sparse (C=1) in the test kernel's object tree.
. "$(dirname "$0")/common.sh"

n=0 fail=0
t() { # name, then command; its output is shown as diagnostics on failure
	local name=$1 out
	shift
	n=$((n + 1))
	if out=$("$@" 2>&1); then
		echo "ok $n $name"
	else
		echo "$out" | tail -40 | sed 's/^/# /'
		echo "not ok $n $name"
		fail=$((fail + 1))
	fi
}

ours="include/linux/iova_bitmap.h lib/iova_bitmap.c"
[ -f "$REPO/lib/tests/iova_bitmap_kunit.c" ] && ours="$ours lib/tests/iova_bitmap_kunit.c"

checkpatch_files() {
	cd "$SRC" && ./scripts/checkpatch.pl --strict --no-tree -q --terse \
		--ignore SPDX_LICENSE_TAG -f $ours
}
checkpatch_patches() {
	local p rc=0
	for p in $(sed -e '/^\s*#/d' -e '/^\s*$/d' "$REPO/patches/series"); do
		(cd "$SRC" && ./scripts/checkpatch.pl --strict -q --terse \
			--ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG,GERRIT_CHANGE_ID,MISSING_SIGN_OFF,NO_AUTHOR_SIGN_OFF,FROM_SIGN_OFF_MISMATCH \
			"$REPO/patches/$p") || rc=1
	done
	return $rc
}
kerneldoc() {
	local out
	out=$(cd "$SRC" && ./scripts/kernel-doc -Wall -none $ours 2>&1)
	[ -z "$out" ] || { echo "$out"; return 1; }
}
w1_sparse() {
	local out
	rm -f "$OBJ/lib/iova_bitmap.o"
	out=$(kmake W=1 C=1 lib/iova_bitmap.o 2>&1 | grep -E 'warning|error' || true)
	[ -z "$out" ] || { echo "$out"; return 1; }
}

echo "KTAP version 1"
echo "1..4"
t checkpatch-strict-files checkpatch_files
t checkpatch-strict-patches checkpatch_patches
t kernel-doc-Wall kerneldoc
t W=1-and-sparse w1_sparse
exit $((fail > 0))
