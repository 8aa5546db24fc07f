#!/bin/bash
# Fetch the source of QEMU 10.2.2, Debian's qemu source package
# 1:10.2.2+ds-1 from sid, with a private apt configuration under
# $BUILD/qemu-src/apt (a deb-src line of its own: the machine's apt sources,
# lists and cache are never touched), and unpack it with dpkg-source -x
# (Debian's patches applied, as Debian builds it) into
# $BUILD/qemu-src/qemu-10.2.2, read-only.  apt checks the .dsc, .orig and
# .debian files against the signed Sources index.  The tree is the base our
# QEMU patches (tooling/qemu/patches/series) apply to.  Quiet when already
# done.  Prints the path of the tree.
. "$(dirname "$0")/common.sh"

QEMU_SRC_PKG=qemu
QEMU_SRC_VERSION=1:10.2.2+ds-1
QEMU_SRC_UPSTREAM=10.2.2
QEMU_SRC_SUITE=sid
QEMU_MIRROR=${QEMU_MIRROR:-$BASE_MIRROR}

Q=$BUILD/qemu-src
A=$Q/apt
T=$Q/qemu-$QEMU_SRC_UPSTREAM
STAMP=$T.done	# outside the tree: the tree stays as dpkg-source left it
want="$QEMU_SRC_PKG $QEMU_SRC_VERSION"

if [ -f "$T/VERSION" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$want" ]; then
	echo "$T"
	exit 0
fi

command -v dpkg-source >/dev/null || die "dpkg-source missing: install dpkg-dev (tooling/deps.sh --qemu)"

log "fetching source $QEMU_SRC_PKG $QEMU_SRC_VERSION from $QEMU_SRC_SUITE (private apt configuration in $A)"
private_apt "$A"
echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $QEMU_MIRROR $QEMU_SRC_SUITE main" \
	>"$APT_DIR/sources.list"
apt-get "${APT_CONF[@]}" -qq update >&2 || die "apt-get update of $QEMU_SRC_SUITE (deb-src) failed"
# sid keeps only the newest upload: say so when the pin has gone.
have=$(apt-cache "${APT_CONF[@]}" showsrc "$QEMU_SRC_PKG" 2>/dev/null |
	awk -v p="$QEMU_SRC_PKG" '$1 == "Package:" { ok = ($2 == p) } ok && $1 == "Version:" { print $2 }')
grep -qxF "$QEMU_SRC_VERSION" <<<"$have" ||
	die "source $QEMU_SRC_PKG=$QEMU_SRC_VERSION is not in $QEMU_SRC_SUITE (it has: ${have:-nothing}); update QEMU_SRC_VERSION"

D=$Q/dl
# The tree is read-only: writable again before it is replaced.
for d in "$T" "$T.unpack"; do [ ! -d "$d" ] || chmod -R u+w "$d"; done
rm -rf "$D" "$T" "$T.unpack" "$STAMP"
mkdir -p "$D"
(cd "$D" && apt-get "${APT_CONF[@]}" -qq source --download-only "$QEMU_SRC_PKG=$QEMU_SRC_VERSION" >&2) ||
	die "cannot download source $QEMU_SRC_PKG=$QEMU_SRC_VERSION"
dsc=$(ls "$D"/"${QEMU_SRC_PKG}"_*.dsc) || die "no .dsc downloaded"
log "unpacking $(basename "$dsc") ($(du -sh "$D" | cut -f1)) into $T"
# The .dsc's own signature is not checked (Debian's developer keyring is
# not installed); apt has checked every file's hash against the signed
# Sources index.
dpkg-source --no-check -x "$dsc" "$T.unpack" >&2 || die "dpkg-source -x $dsc failed"
[ "$(cat "$T.unpack/VERSION")" = "$QEMU_SRC_UPSTREAM" ] ||
	die "unexpected QEMU version in the tree: $(cat "$T.unpack/VERSION")"
mv "$T.unpack" "$T"
chmod -R a-w "$T"
# dpkg-source copies the .orig tarball next to the tree it unpacks.
rm -rf "$D" "$Q"/"${QEMU_SRC_PKG}"_*.orig.tar.*
echo "$want" >"$STAMP"
log "qemu source $T ($(du -sh "$T" | cut -f1))"
echo "$T"
