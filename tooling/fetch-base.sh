#!/bin/bash
# Fetch the base tree's package, linux-source-7.3 from Debian's
# trixie-backports, with a private apt configuration under $BUILD/apt, and
# unpack it there with dpkg -x.  The machine's own apt sources, lists and
# cache are never touched.  Prints the path of the unpacked tarball.
. "$(dirname "$0")/common.sh"

A=$BUILD/apt

if [ ! -f "$A/root/$BASE_TARBALL_PATH" ] || [ ! -f "$A/changelog.Debian.gz" ]; then
	private_apt "$A"
	mkdir -p "$A/deb"
	log "fetching $BASE_PKG $BASE_PKG_VERSION from $BASE_SUITE (private apt configuration in $A)"
	private_apt_lists "$BASE_MIRROR" "" "$BASE_SUITE"
	(cd "$A/deb" && apt-get "${APT_CONF[@]}" -qq download "$BASE_PKG=$BASE_PKG_VERSION" >&2) ||
		die "cannot download $BASE_PKG=$BASE_PKG_VERSION"
	rm -rf "$A/root"
	dpkg -x "$A"/deb/"${BASE_PKG}"_*_all.deb "$A/root"
	# Debian's changelog lists the stable updates in the tree (make fixes
	# quotes it for the history of the bugs it fixes).
	cp "$A/root/usr/share/doc/$BASE_PKG/changelog.Debian.gz" "$A/changelog.Debian.gz"
	rm -f "$A"/deb/*.deb
fi
[ -f "$A/root/$BASE_TARBALL_PATH" ] || die "$BASE_TARBALL_PATH missing in $BASE_PKG"
echo "$A/root/$BASE_TARBALL_PATH"
