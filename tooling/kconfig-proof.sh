#!/bin/bash
# Prove the Kconfig rework without building: for each scenario in
# tooling/config/proof/, allnoconfig + base.config + the scenario must give
# the IOMMUFD_DRIVER value its first line expects, with no Kconfig warning.
# Prints KTAP.  With --base, runs the same on the unpatched base (stock 7.3)
# to show what it does there (informational, never fails).
. "$(dirname "$0")/common.sh"

tree=$SRC
[ "${1:-}" = --base ] && tree=$BASE
work=$BUILD/kconfig-proof
mkdir -p "$work"
scen=("$REPO"/tooling/config/proof/*.config)
echo "KTAP version 1"
echo "1..${#scen[@]}"
n=0 fail=0
for s in "${scen[@]}"; do
	n=$((n + 1))
	name=$(basename "$s" .config)
	want=$(sed -n '1s/.*expect IOMMUFD_DRIVER=\([yn]\).*/\1/p' "$s")
	cat "$REPO/tooling/config/base.config" "$s" >"$work/$name.frag"
	o=$work/o-$(basename "$tree")
	rm -f "$o/.config"
	make -s -C "$tree" O="$o" ARCH=$ARCH \
		KCONFIG_ALLCONFIG="$work/$name.frag" allnoconfig \
		>"$work/$name.out" 2>&1 || true
	cp "$o/.config" "$work/$name.config"
	got=$(sed -n 's/^CONFIG_IOMMUFD_DRIVER=\(.\)$/\1/p' "$work/$name.config")
	got=${got:-n}
	warn=$(grep -ci 'warning' "$work/$name.out" || true)
	missing=$(config_misses "$s" "$work/$name.config" | tr '\n' ' ')
	echo "# $name: IOMMUFD_DRIVER=$got (want $want), $warn Kconfig warnings${missing:+, not applied: $missing}"
	[ "$warn" -gt 0 ] && sed 's/^/#   /' "$work/$name.out"
	if [ "$got" = "$want" ] && [ "$warn" = 0 ] && [ -z "$missing" ]; then
		echo "ok $n $name"
	else
		echo "not ok $n $name"
		fail=$((fail + 1))
	fi
done
[ "$tree" = "$BASE" ] && exit 0
exit $((fail > 0))
