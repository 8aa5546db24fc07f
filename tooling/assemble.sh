#!/bin/bash
# Assemble the kernel tree: pristine base + patches/series + our overlay files
# - removed files.  Only files whose content changes are rewritten, so make
# rebuilds just what an edit in the repo affects.
. "$(dirname "$0")/common.sh"

"$REPO/tooling/deps.sh"
tarball=$("$REPO/tooling/fetch-base.sh")
version=$BASE_PKG_VERSION

unpack_base() {
	log "unpacking $BASE_PKG $version (once)"
	rm -rf "$BASE" "$SRC" "$BUILD/unpack"
	mkdir -p "$BUILD/unpack"
	tar -xf "$tarball" -C "$BUILD/unpack"
	mv "$BUILD/unpack/$BASE_PKG" "$BASE"
	rmdir "$BUILD/unpack"
	chmod -R a-w "$BASE"
	cp -a "$BASE" "$SRC"
	chmod -R u+w "$SRC"
	echo "$version" >"$BASE/.base-version"
}

[ "$(cat "$BASE/.base-version" 2>/dev/null)" = "$version" ] && [ -d "$SRC" ] ||
	unpack_base

stage=$(mktemp -d "$BUILD/stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT

# 1. Replay the series on copies of the files it touches.
series=$(sed -e '/^\s*#/d' -e '/^\s*$/d' "$REPO/patches/series")
for p in $series; do
	[ -f "$REPO/patches/$p" ] || die "patches/series names missing $p"
	sed -n 's#^+++ b/\([^\t ]*\).*#\1#p; s#^--- a/\([^\t ]*\).*#\1#p
		s#^rename from \(.*\)#\1#p; s#^rename to \(.*\)#\1#p' "$REPO/patches/$p"
done | sort -u >"$stage/patched.list"
mkdir "$stage/tree"
while read -r f; do
	[ -f "$BASE/$f" ] || continue
	mkdir -p "$stage/tree/$(dirname "$f")"
	cp "$BASE/$f" "$stage/tree/$f"
done <"$stage/patched.list"
for p in $series; do
	patch -d "$stage/tree" -p1 -s -f --no-backup-if-mismatch \
		<"$REPO/patches/$p" || die "patch $p does not apply to $version"
done

# 2. Our own files, at their kernel paths.
# Tracked and new files, not what .gitignore excludes (harness binaries).
# shellcheck disable=SC2086
(cd "$REPO" && git ls-files --cached --others --exclude-standard -- $OVERLAY_DIRS |
	while read -r f; do [ -f "$f" ] && echo "$f"; done) | sort >"$stage/overlay.list"
# A file may be both only if patches/rewritten-files says so: the series
# edits it in steps, and its last step is our file, whole.
dup=$(comm -12 "$stage/patched.list" "$stage/overlay.list" |
	grep -vxF -f <(sed -e '/^\s*#/d' -e '/^\s*$/d' "$REPO/patches/rewritten-files") || true)
[ -z "$dup" ] || die "both patched and overlaid: $dup"
while read -r f; do
	mkdir -p "$stage/tree/$(dirname "$f")"
	cp "$REPO/$f" "$stage/tree/$f"
done <"$stage/overlay.list"

# 3. Copy into the work tree only what differs; restore files we stopped
#    managing; delete what our series removes.
manifest=$SRC/.iova-bitmap-managed
changed=0
sync_file() { # $1 = source, $2 = path in tree
	if ! cmp -s "$1" "$SRC/$2"; then
		mkdir -p "$SRC/$(dirname "$2")"
		cp "$1" "$SRC/$2"
		changed=$((changed + 1))
	fi
}
(cd "$stage/tree" && find . -type f | sed 's#^\./##' | sort) >"$stage/managed"
while read -r f; do sync_file "$stage/tree/$f" "$f"; done <"$stage/managed"
sed -e '/^\s*#/d' -e '/^\s*$/d' "$REPO/patches/removed-files" >"$stage/removed"
while read -r f; do
	if [ -e "$SRC/$f" ]; then rm -f "$SRC/$f"; changed=$((changed + 1)); fi
done <"$stage/removed"
if [ -f "$manifest" ]; then
	cat "$stage/managed" "$stage/removed" | sort -u >"$stage/now"
	comm -23 <(sort -u "$manifest") "$stage/now" | while read -r f; do
		if [ -f "$BASE/$f" ]; then
			cp "$BASE/$f" "$SRC/$f"
		else
			rm -f "$SRC/$f"
		fi
		log "restored $f"
	done
fi
true
cat "$stage/managed" "$stage/removed" | sort -u >"$manifest"

echo "$version" >"$BUILD/base-version"
log "tree $SRC: base $BASE_PKG $version, $(wc -w <<<"$series") patches, $(wc -l <"$stage/overlay.list") overlay files, $changed files updated"
