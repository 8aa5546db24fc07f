#!/bin/bash
# boot-step.sh MODE STEP [kernel args]: boot the test kernel in one guest
# mode of tooling/guest/init, count the results of its STEP and scan the
# kernel log.  Exit status 0 when the step passed and the log is clean.
#   make race-soak [RACE_SECONDS=n]: iommufd_dirty_race alone, 600 s by
#     default (make check runs it for 20 s): a race that needs minutes to
#     show, such as patches/0017's, shows here.
#   make fail-nth: iommufd_fail_nth alone (make check runs it among the
#     rest): failure injection over every iommufd path, dirty reads too.
#   make migrate [MIGRATE_CASES=name,name]: QEMU live migration with an
#     mdirty_vmm mdev (tooling/guest/migrate_test.c).
. "$(dirname "$0")/common.sh"

mode=${1:?mode}
step=${2:?step}
shift 2
"$REPO/tooling/build-kernel.sh"
"$REPO/tooling/guest-build.sh"
out=$BUILD/guest/$mode
GUEST_OUT=$out QEMU_TIMEOUT=${QEMU_TIMEOUT:-1800} \
	"$REPO/tooling/qemu-run.sh" "$mode" "$@" >/dev/null
rm -f "$out/counts"
"$REPO/tooling/results.py" "$out" --steps "$step" || true
read -r passed failed <"$out/counts" || { passed=0 failed=1; }
echo "$mode: $passed passed, $failed failed"
[ "$failed" = 0 ]
