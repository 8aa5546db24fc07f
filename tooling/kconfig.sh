#!/bin/bash
# Make $OBJ/.config: allnoconfig + the fragments in tooling/config/, then
# check that every requested option landed.  .config is only replaced when
# its content changes, so an unchanged configuration rebuilds nothing.
. "$(dirname "$0")/common.sh"

FRAGS=${FRAGS:-"base iommufd consumers mdirty hw debug"}
out=${1:-$OBJ}
mkdir -p "$out"
tmp=$(mktemp -d "$BUILD/kconfig.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# A later fragment's assignment replaces an earlier one of the same symbol
# (i386.config turns off 64BIT and KASAN), so each symbol is set once.
for f in $FRAGS; do cat "$REPO/tooling/config/$f.config"; done |
	awk -F= '/^CONFIG_/ { if (!($1 in v)) order[n++] = $1; v[$1] = $0 }
		 END { for (i = 0; i < n; i++) print v[order[i]] }' >"$tmp/all.config"
make -s -C "$SRC" O="$tmp/o" ARCH=$ARCH KCONFIG_ALLCONFIG="$tmp/all.config" \
	allnoconfig 2>"$tmp/warn" >/dev/null || { cat "$tmp/warn"; die "allnoconfig failed"; }
if grep -v '^\s*$' "$tmp/warn" | grep -q .; then
	cat "$tmp/warn" >&2
	[ -n "${KCONFIG_TOLERANT:-}" ] || die "Kconfig warnings"
fi

missing=$(config_misses "$tmp/all.config" "$tmp/o/.config")
if [ -n "$missing" ]; then
	while IFS= read -r line; do
		echo "requested but not applied: $line (got: $(grep "^${line%%=*}=" "$tmp/o/.config" || echo unset))" >&2
	done <<<"$missing"
	# make fixes' older trees lack some options (the KUnit test when its
	# patch does not apply there): said, not fatal, when asked.
	[ -n "${KCONFIG_TOLERANT:-}" ] || die "configuration fragments did not apply"
fi

cmp -s "$tmp/o/.config" "$out/.config" || cp "$tmp/o/.config" "$out/.config"
log "config $out/.config ($FRAGS)"
