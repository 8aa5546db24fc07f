#!/bin/bash
# Fetch the base tree's package, linux-source-7.3 from Debian's
# trixie-backports, with a private apt configuration under $BUILD/apt, and
# unpack it there with dpkg -x.  The machine's own apt sources, lists and
# cache are never touched.  Prints the path of the unpacked tarball.
. "$(dirname "$0")/common.sh"

A=$BUILD/apt
conf=(-o Dir::Etc::sourcelist="$A/sources.list" -o Dir::Etc::sourceparts=-
      -o Dir::State::Lists="$A/lists" -o Dir::Cache="$A/cache"
      -o Debug::NoDropPrivs=true -o APT::Sandbox::User=root)

if [ ! -f "$A/root/$BASE_TARBALL_PATH" ]; then
	mkdir -p "$A/lists/partial" "$A/cache/archives/partial" "$A/deb"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $BASE_MIRROR $BASE_SUITE main" \
		>"$A/sources.list"
	log "fetching $BASE_PKG $BASE_PKG_VERSION from $BASE_SUITE (private apt configuration in $A)"
	apt-get "${conf[@]}" -qq update >&2 || die "apt-get update of $BASE_SUITE failed"
	(cd "$A/deb" && apt-get "${conf[@]}" -qq download "$BASE_PKG=$BASE_PKG_VERSION" >&2) ||
		die "cannot download $BASE_PKG=$BASE_PKG_VERSION"
	rm -rf "$A/root"
	dpkg -x "$A"/deb/"${BASE_PKG}"_*_all.deb "$A/root"
	rm -f "$A"/deb/*.deb
fi
[ -f "$A/root/$BASE_TARBALL_PATH" ] || die "$BASE_TARBALL_PATH missing in $BASE_PKG"
echo "$A/root/$BASE_TARBALL_PATH"
