#!/bin/bash
# Make $OBJ/.config: allnoconfig + the fragments in tooling/config/, then
# check that every requested option landed.  .config is only replaced when
# its content changes, so an unchanged configuration rebuilds nothing.
. "$(dirname "$0")/common.sh"

FRAGS=${FRAGS:-"base iommufd consumers mdirty hw debug lean"}
out=${1:-$OBJ}
mkdir -p "$out"
tmp=$(mktemp -d "$BUILD/kconfig.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# merge FILE...: the fragments' assignments, each symbol once: a later
# fragment's assignment replaces an earlier one (i386.config turns off
# 64BIT and KASAN).
merge() {
	cat "$@" | awk -F= '/^CONFIG_/ { if (!($1 in v)) order[n++] = $1; v[$1] = $0 }
		 END { for (i = 0; i < n; i++) print v[order[i]] }'
}

# allnoconfig_with FRAGMENT: $tmp/o/.config; Kconfig's warnings fail it.
allnoconfig_with() {
	make -s -C "$SRC" O="$tmp/o" ARCH=$ARCH KCONFIG_ALLCONFIG="$1" \
		allnoconfig 2>"$tmp/warn" >/dev/null || { cat "$tmp/warn"; die "allnoconfig failed"; }
	if grep -v '^\s*$' "$tmp/warn" | grep -q .; then
		cat "$tmp/warn" >&2
		[ -n "${KCONFIG_TOLERANT:-}" ] || die "Kconfig warnings"
	fi
}

files=() lean=
for f in $FRAGS; do
	if [ "$f" = lean ]; then lean=$REPO/tooling/config/lean.config; else files+=("$REPO/tooling/config/$f.config"); fi
done
merge "${files[@]}" >"$tmp/all.config"
allnoconfig_with "$tmp/all.config"
if [ -n "$lean" ]; then
	# lean.config: every option that came out y, asked for again under
	# EXPERT=y, then the fragment's own assignments over them.  Only the
	# fragments' assignments are checked below: an option that depends on
	# one lean.config turns off goes with it.
	grep '=y$' "$tmp/o/.config" >"$tmp/keep.config"
	merge "$tmp/all.config" "$lean" >"$tmp/want.config"
	merge "$tmp/keep.config" "$tmp/want.config" >"$tmp/lean.config"
	allnoconfig_with "$tmp/lean.config"
	mv "$tmp/want.config" "$tmp/all.config"
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
