#!/bin/bash
# make check: every test layer, then one line "N passed, N failed".
#   layers: user-space harness (differential, valgrind, corpus, mutants),
#   gates (checkpatch, kernel-doc, W=1, sparse), kconfig proof,
#   guest boot (KUnit, demo, iommufd selftests, fail_nth, pin balance,
#   kmemleak, kernel log scan).
. "$(dirname "$0")/common.sh"

t0=$(date +%s)
R=$BUILD/check
rm -rf "$R"
mkdir -p "$R"

stage() { printf '\n==> [%s] %s (%ds so far)\n' "$(date +%H:%M:%S)" "$*" $(( $(date +%s) - t0 )) >&2; }

# count_ktap <layer> <file>: top-level KTAP results of a file.
count_ktap() {
	local p f
	p=$(grep -cE '^ok [0-9]+' "$2" || true)
	f=$(grep -cE '^not ok [0-9]+' "$2" || true)
	[ $((p + f)) = 0 ] && f=1   # a layer that reports nothing failed
	printf '%-18s %4d passed, %d failed\n' "$1" "$p" "$f" | tee -a "$R/table"
	echo "$p $f" >>"$R/counts"
}

stage "dependencies"
"$REPO/tooling/deps.sh"

stage "user-space harness: differential test, valgrind, corpus, mutants"
"$REPO/tooling/harness.sh" | tee "$R/harness.tap" | grep -E '^(not )?ok|^# ' || true

stage "kernel (assemble tree, configure, build)"
"$REPO/tooling/build-kernel.sh"

stage "guest user space"
"$REPO/tooling/guest-build.sh"

stage "gates: checkpatch --strict, kernel-doc -Wall, W=1, sparse"
"$REPO/tooling/gates.sh" | tee "$R/gates.tap" | grep -E '^(not )?ok|^# ' || true

stage "Kconfig proof (olddefconfig scenarios, no build)"
"$REPO/tooling/kconfig-proof.sh" | tee "$R/kconfig.tap" | grep -E '^# ' || true

stage "guest: QEMU boot running KUnit and the selftests"
"$REPO/tooling/qemu-run.sh" check

printf '\n%-18s %s\n' "layer" "result" >"$R/table"
count_ktap harness "$R/harness.tap"
count_ktap gates "$R/gates.tap"
count_ktap kconfig-proof "$R/kconfig.tap"
"$REPO/tooling/results.py" "$BUILD/guest/check" --kunit \
	--steps demo,iommufd,iommufd_fail_nth,pin_balance,kmemleak | tee -a "$R/table" || true
cat "$BUILD/guest/check/counts" >>"$R/counts"

read -r passed failed < <(awk '{p += $1; f += $2} END {print p + 0, f + 0}' "$R/counts")
echo
echo "make check took $(( $(date +%s) - t0 ))s; base $(cat "$BUILD/base-version")"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
