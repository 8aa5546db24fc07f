#!/bin/bash
# The generic_pt walker layer as KTAP: the base tree's real AMD v1
# read_and_clear_dirty() compiled in user space (tools/testing/iova_bitmap/pt)
# reads 1 GiB tables of each pattern through our library and through the
# bare-store floor; every bit of each bitmap is compared with the pattern's
# image and every PTE must come back clean.  7.3's library runs beside them
# as a control: it must lose the head of the IOPTE a read starts inside
# (2M-inside) and nothing else, or the comparison is not seeing bits.
. "$(dirname "$0")/common.sh"

P=$REPO/tools/testing/iova_bitmap/pt
n=0 fail=0
t() { # name, condition (0 = pass)
	n=$((n + 1))
	if [ "$2" = 0 ]; then echo "ok $n $1"; else echo "not ok $n $1"; fail=$((fail + 1)); fi
}

[ -d "$BASE/drivers/iommu/generic_pt" ] || die "no base tree at $BASE (make check builds it first)"
make -s -C "$P" BASE_TREE="$BASE" bench_pt >&2
echo "KTAP version 1"
out=$("$P/bench_pt" --rounds 1 --gib 1 --cpu 0 --strict-ours 2>&1) && rc=0 || rc=$?
echo "$out" | sed 's/^#* */# /'
patterns=$(echo "$out" | awk '/^(4K|2M)/ { print $1 }')
t "bench_pt-ran-every-pattern" "$([ $rc = 0 ] && [ "$(wc -w <<<"$patterns")" = 5 ] && echo 0 || echo 1)"
for p in $patterns; do
	for way in ours floor; do
		t "$way-bitmap-exact-$p" "$(grep -qF "# $p: $way's bitmap wrong" <<<"$out" && echo 1 || echo 0)"
	done
	want="0"
	[ "$p" = 2M-inside ] && want="1"
	got=$(grep -qF "# $p: 7.3's bitmap wrong: 256 bits missing, 0 extra" <<<"$out" && echo 1 || echo 0)
	t "control-7.3-$( [ "$want" = 1 ] && echo loses-head || echo exact)-$p" "$([ "$got" = "$want" ] && echo 0 || echo 1)"
done
t "pins-balanced" "$(grep -q '^# fakemem:' <<<"$out" && echo 1 || echo 0)"
echo "1..$n"
exit $((fail > 0))
