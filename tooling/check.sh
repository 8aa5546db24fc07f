#!/bin/bash
# make check: every test layer, then one line "N passed, N failed".
#   layers: user-space harness (differential, valgrind, corpus, mutants),
#   generic_pt's walker in user space (tooling/walker.sh), gates
#   (checkpatch, kernel-doc, W=1, sparse), kconfig proof, guest boot
#   (KUnit, demo, iommufd selftests, fail_nth, pin balance, kmemleak,
#   kernel log scan).
. "$(dirname "$0")/common.sh"

t0=$(date +%s)
R=$BUILD/check
rm -rf "$R"
mkdir -p "$R"

stage() { printf '\n==> [%s] %s (%ds so far)\n' "$(date +%H:%M:%S)" "$*" $(( $(date +%s) - t0 )) >&2; }

stage "dependencies"
"$REPO/tooling/deps.sh"

# The matrix subset builds its kernels on one CPU while the harness, which
# is single-threaded, runs on the other.
stage "Kconfig matrix subset (in the background, one CPU) and user-space harness"
JOBS=1 MATRIX_TAP=1 "$REPO/tooling/matrix.sh" --quick >"$R/matrix.out" 2>&1 &
matrix_pid=$!
"$REPO/tooling/harness.sh" | tee "$R/harness.tap" | grep -E '^(not )?ok|^# ' || true

stage "kernel (assemble tree, configure, build)"
"$REPO/tooling/build-kernel.sh"

stage "generic_pt's real walker in user space, through our library"
"$REPO/tooling/walker.sh" | tee "$R/walker.tap" | grep -E '^(not )?ok' || true

stage "guest user space"
"$REPO/tooling/guest-build.sh"

stage "Kconfig matrix subset: waiting for it"
wait $matrix_pid || true
grep -v -E '^(ok|not ok|1\.\.|KTAP)' "$R/matrix.out" | grep -v '^==>' || true
sed -n '/^KTAP version/,$p' "$R/matrix.out" >"$R/matrix.tap"

# The guest keeps about one CPU busy: the gates (they rebuild a few of the
# test kernel's objects, which the booted image no longer reads) and the
# Kconfig proof run beside it, their output printed after it.
stage "guest: QEMU boot running KUnit and the selftests; beside it, the gates (checkpatch --strict, kernel-doc -Wall, W=1, sparse) and the Kconfig proof (olddefconfig scenarios, no build)"
{ "$REPO/tooling/gates.sh" >"$R/gates.tap" 2>"$R/gates.err"
  "$REPO/tooling/kconfig-proof.sh" >"$R/kconfig.tap" 2>"$R/kconfig.err"; } &
beside_pid=$!
"$REPO/tooling/qemu-run.sh" check
wait $beside_pid || true
stage "gates and Kconfig proof (run beside the guest)"
cat "$R/gates.err" "$R/kconfig.err" >&2
grep -E '^(not )?ok|^# ' "$R/gates.tap" || true
grep -E '^# ' "$R/kconfig.tap" || true

echo
rm -f "$BUILD/guest/check/counts"
"$REPO/tooling/results.py" "$BUILD/guest/check" \
	--tap harness="$R/harness.tap" --tap gates="$R/gates.tap" \
	--tap walker="$R/walker.tap" --tap kconfig-proof="$R/kconfig.tap" --tap matrix="$R/matrix.tap" \
	--kunit --kunit-suites "$KUNIT_SUITES,io-pgtable-arm-test" \
	--steps demo,iommufd,iommufd_fail_nth,vfio_dma_logging,iommufd_dirty_race,vfio_dirty_report,migrate,pin_balance,kmemleak | tee "$R/table" || true

read -r passed failed <"$BUILD/guest/check/counts" || { passed=0 failed=1; }
echo
echo "make check took $(( $(date +%s) - t0 ))s; base $(cat "$BUILD/base-version")"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
