#!/bin/bash
# The kernel's own gates on our code, as KTAP: checkpatch --strict on our
# kernel files (overlay .c/.h outside tools/) and patches, kernel-doc -Wall,
# and the objects built from our files rebuilt with W=1 and sparse (C=1) in
# the test kernel's object tree (a warning counts when it names our file).
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

ours=$(cd "$REPO" && git ls-files --cached --others --exclude-standard -- include lib drivers samples |
	grep -E '\.[ch]$' | xargs)
# Objects that compile them (intel/iommu_kunit.c is #included by iommu.c).
objs="lib/iova_bitmap.o lib/tests/iova_bitmap_kunit.o lib/tests/iova_bitmap_bench_kunit.o
drivers/iommu/io-pgtable-arm-dirty-kunit.o drivers/iommu/io-pgtable-arm.o
samples/vfio-mdev/mdirty.o samples/vfio-mdev/mdirty_vmm.o drivers/iommu/generic_pt/fmt/kunit_dirty_amdv1.o
drivers/iommu/generic_pt/fmt/kunit_dirty_vtdss.o drivers/iommu/generic_pt/fmt/kunit_dirty_mock.o"

checkpatch_files() {
	cd "$SRC" && ./scripts/checkpatch.pl --strict --no-tree -q --terse \
		--ignore SPDX_LICENSE_TAG -f $ours
}
# UNKNOWN_COMMIT_ID: the base is Debian's release tarball, without git
# history, so checkpatch cannot look up the ids of Fixes: tags (taken from
# the upstream log; see each patch).
checkpatch_patches() {
	local p rc=0
	for p in $(sed -e '/^\s*#/d' -e '/^\s*$/d' "$REPO/patches/series"); do
		(cd "$SRC" && ./scripts/checkpatch.pl --strict -q --terse \
			--ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG,GERRIT_CHANGE_ID,MISSING_SIGN_OFF,NO_AUTHOR_SIGN_OFF,FROM_SIGN_OFF_MISMATCH,UNKNOWN_COMMIT_ID \
			"$REPO/patches/$p") || rc=1
	done
	return $rc
}
kerneldoc() {
	local out
	out=$(cd "$SRC" && ./scripts/kernel-doc -Wall -none $ours 2>&1)
	[ -z "$out" ] || { echo "$out"; return 1; }
}
# Debian 12's sparse (0.6.4) predates __typeof_unqual__, which 7.3's
# scripts/checker-valid.sh demands: with plain C=1 Kbuild prints a warning
# and checks nothing.  Defining it as __typeof__ lets sparse parse 7.3
# (the unqualified variant only drops qualifiers, which sparse does not
# need to see), and every object must show its CHECK line, so a sparse
# that silently stops running fails the gate.
SPARSE="sparse -D__typeof_unqual__=__typeof__"
# The same sparse cannot evaluate 7.3's MODULE_INFO() (every MODULE_*()
# line of every module, upstream's own lib/tests/usercopy_kunit.c too, is
# "bad constant expression"): drop exactly those, keep everything else.
drop_module_info() {
	local line file lno
	while IFS= read -r line; do
		case $line in
		*": error: bad constant expression")
			file=${line%%:*} lno=${line#*:} lno=${lno%%:*}
			sed -n "${lno}p" "$file" | grep -q '^MODULE_[A-Z_]*(' && continue ;;
		esac
		echo "$line"
	done
}
w1_sparse() {
	local out o re log src
	re=$(echo "$ours" | tr ' ' '\n' | sed 's/\./\\./g' | paste -sd'|')
	for o in $objs; do rm -f "$OBJ/$o"; done
	# shellcheck disable=SC2086
	log=$(kmake W=1 C=1 CHECK="$SPARSE" $objs 2>&1)
	out=$(echo "$log" | grep -E 'warning|error' | grep -E "$re" | drop_module_info || true)
	for o in $objs; do
		[ -f "$OBJ/$o" ] || out="$out
$o was not built"
		# generic_pt's kunit objects compile the format's iommu_<fmt>.c
		src=${o%.o}.c
		case $o in */kunit_dirty_*) src=$(dirname "$o")/iommu_${src##*/kunit_dirty_} ;; esac
		echo "$log" | grep -qE "^  CHECK +.*$src$" || out="$out
$o: sparse did not run on $src"
	done
	[ -z "$out" ] || { echo "$out"; return 1; }
}

echo "KTAP version 1"
echo "1..4"
t checkpatch-strict-files checkpatch_files
t checkpatch-strict-patches checkpatch_patches
t kernel-doc-Wall kerneldoc
t W=1-and-sparse w1_sparse
exit $((fail > 0))
