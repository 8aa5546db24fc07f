#!/bin/bash
# Make $OBJ/.config: allnoconfig + the fragments in tooling/config/, then
# check that every requested option landed.  .config is only replaced when
# its content changes, so an unchanged configuration rebuilds nothing.
. "$(dirname "$0")/common.sh"

FRAGS=${FRAGS:-"base iommufd debug"}
out=${1:-$OBJ}
mkdir -p "$out"
tmp=$(mktemp -d "$BUILD/kconfig.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

for f in $FRAGS; do cat "$REPO/tooling/config/$f.config"; done >"$tmp/all.config"
make -s -C "$SRC" O="$tmp/o" ARCH=$ARCH KCONFIG_ALLCONFIG="$tmp/all.config" \
	allnoconfig 2>"$tmp/warn" >/dev/null || { cat "$tmp/warn"; die "allnoconfig failed"; }
if grep -v '^\s*$' "$tmp/warn" | grep -q .; then
	cat "$tmp/warn" >&2
	die "Kconfig warnings"
fi

bad=0
while IFS= read -r line; do
	case $line in
	CONFIG_*=n) sym=${line%%=*}
		grep -q "^$sym=" "$tmp/o/.config" && { echo "not off: $line" >&2; bad=1; } ;;
	CONFIG_*) grep -qx "$line" "$tmp/o/.config" || {
			echo "requested but not set: $line (got: $(grep "^${line%%=*}=" "$tmp/o/.config" || echo unset))" >&2
			bad=1; } ;;
	esac
done <"$tmp/all.config"
[ $bad = 0 ] || die "configuration fragments did not apply"

cmp -s "$tmp/o/.config" "$out/.config" || cp "$tmp/o/.config" "$out/.config"
log "config $out/.config ($FRAGS)"
