#!/bin/sh
# halt-bios.sh OUT: write a 64 KiB firmware image for a QEMU pc/q35 L2 that
# needs no OS and no SeaBIOS (-bios OUT).  QEMU maps it just below 4 GiB,
# so its last 16 bytes hold the reset vector (0xFFFFFFF0):
#   fa     cli
#   f4     hlt          <- 0xFFFFFFF1
#   eb fd  jmp 0xFFFFFFF1
# The vCPU halts forever with interrupts off; guest RAM is written only by
# DMA (and by an incoming migration).  The rest is 0xff.  POSIX sh, printf
# and dd only: runs on the host and under busybox.
set -eu
out=${1:?usage: halt-bios.sh OUT}
tmp=$out.tmp.$$
# 65520 bytes of 0xff, then the 16-byte reset vector.
dd if=/dev/zero bs=65520 count=1 2>/dev/null | tr '\000' '\377' >"$tmp"
printf '\372\364\353\375\377\377\377\377\377\377\377\377\377\377\377\377' >>"$tmp"
[ "$(wc -c <"$tmp")" -eq 65536 ] || { rm -f "$tmp"; echo "halt-bios.sh: bad size" >&2; exit 1; }
mv "$tmp" "$out"
