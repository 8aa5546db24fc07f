#!/bin/bash
# make race-soak [RACE_SECONDS=n]: boot the test kernel and run the
# iommufd_dirty_race selftest (patches/0019) alone for RACE_SECONDS
# (default 600), then scan the kernel log for sanitizer reports.  make
# check runs it for 20 seconds; a race that needs minutes to show, such as
# the mock set_dirty() walking a table IOAS_UNMAP frees (patches/0006),
# shows here.  Exit status: 0 when the selftest passed and the kernel log
# is clean.
. "$(dirname "$0")/common.sh"

secs=${RACE_SECONDS:-600}
[[ $secs =~ ^[1-9][0-9]*$ ]] || die "RACE_SECONDS=$secs: not a positive number"
"$REPO/tooling/build-kernel.sh"
"$REPO/tooling/guest-build.sh"
out=$BUILD/guest/race
GUEST_OUT=$out QEMU_TIMEOUT=$((secs + 600)) \
	"$REPO/tooling/qemu-run.sh" race "iovarace=$secs" >/dev/null
rm -f "$out/counts"
"$REPO/tooling/results.py" "$out" --steps iommufd_dirty_race || true
read -r passed failed <"$out/counts" || { passed=0 failed=1; }
echo "race-soak: ${secs}s of iommufd_dirty_race; $passed passed, $failed failed"
[ "$failed" = 0 ]
