#!/bin/bash
# make run: build what is needed, boot the kernel and show dirty tracking.
. "$(dirname "$0")/common.sh"
"$REPO/tooling/deps.sh"
"$REPO/tooling/build-kernel.sh"
"$REPO/tooling/guest-build.sh"
"$REPO/tooling/qemu-run.sh" run
"$REPO/tooling/results.py" "$BUILD/guest/run" --steps demo --summary
