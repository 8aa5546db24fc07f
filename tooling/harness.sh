#!/bin/bash
# The user-space harness layer (tools/testing/iova_bitmap) as KTAP:
# differential cases under ASan+UBSan, a valgrind run, the same cases on
# big-endian s390x (qemu-user), the fuzz corpus replayed, and the mutants
# that prove the test can fail.
. "$(dirname "$0")/common.sh"

H=$REPO/tools/testing/iova_bitmap
CASES=${HARNESS_CASES:-100000}
SEED=${HARNESS_SEED:-$(date +%Y%m%d)}
n=0 fail=0
t() { # name, command...
	local name=$1 out rc
	shift
	n=$((n + 1))
	out=$("$@" 2>&1) && rc=0 || rc=$?
	echo "$out" | grep -E '^# seed|^FAIL|repro|^HANG|ERROR|^#   ' | head -20 | sed 's/^#* */# /' || true
	if [ $rc = 0 ]; then echo "ok $n $name"; else echo "not ok $n $name"; fail=$((fail + 1)); fi
}

make -s -C "$H" iova_bitmap_test iova_bitmap_test_plain >&2
echo "KTAP version 1"
echo "# harness seed $SEED (rerun: make -C tools/testing/iova_bitmap check SEED=$SEED)"
t "differential-asan-ubsan-$CASES-cases" "$H/iova_bitmap_test" --cases "$CASES" --seed "$SEED"
t "differential-valgrind-20000-cases" valgrind -q --error-exitcode=9 "$H/iova_bitmap_test_plain" --cases 20000 --seed "$SEED"
# Big-endian: the same library and model on s390x under qemu-user.
make -s -C "$H" iova_bitmap_test_s390x >&2
t "differential-big-endian-s390x-20000-cases" qemu-s390x-static "$H/iova_bitmap_test_s390x" --cases 20000 --seed "$SEED"
t "fuzz-corpus-replay-$(ls "$H/corpus" | wc -l)-inputs" "$H/iova_bitmap_test" --replay "$H"/corpus/*
{ "$H/mutants.sh" || true; } | sed -n 's/^\(ok\|not ok\) [0-9]* \(.*\)/\1 MUTANT \2/p; /^# /p' >"$BUILD/mutants.out"
while read -r line; do
	case $line in
	"ok MUTANT "*) n=$((n + 1)); echo "ok $n mutant-caught-${line#ok MUTANT }" ;;
	"not ok MUTANT "*) n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n mutant-caught-${line#not ok MUTANT }" ;;
	*) echo "$line" ;;
	esac
done <"$BUILD/mutants.out"
echo "1..$n"
exit $((fail > 0))
