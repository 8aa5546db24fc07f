#!/bin/bash
# tooling/fetch-tree.sh <name>: an older Debian linux-source tree, for the
# history runs and the stable backports of make fixes.  Fetched with a
# private apt configuration under $BUILD/apt-<name> (the machine's apt
# sources are never touched), unpacked read-only in $BUILD/trees/<name>.
# Prints that directory.  Names:
#   7.3-rc7   linux-source-7.3 7.3~rc7-1~exp1 (experimental)
#   7.2.13    linux-source-7.2 7.2.13-1       (sid)
#   6.12      linux-source-6.12 6.12.117-1    (trixie)
. "$(dirname "$0")/common.sh"

case ${1:-} in
7.3-rc7) pkg=linux-source-7.3 ver=7.3~rc7-1~exp1 suite=experimental ;;
7.2.13) pkg=linux-source-7.2 ver=7.2.13-1 suite=sid ;;
6.12) pkg=linux-source-6.12 ver=6.12.117-1 suite=trixie ;;
*) die "usage: $0 7.3-rc7|7.2.13|6.12" ;;
esac

T=$BUILD/trees/$1
if [ "$(cat "$T/.version" 2>/dev/null)" != "$pkg $ver" ]; then
	A=$BUILD/apt-$1
	private_apt "$A"
	mkdir -p "$A/deb"
	log "fetching $pkg $ver from $suite (private apt configuration in $A)"
	private_apt_lists "$BASE_MIRROR" "" "$suite"
	rm -f "$A"/deb/*.deb
	(cd "$A/deb" && apt-get "${APT_CONF[@]}" -qq download "$pkg=$ver" >&2) ||
		die "cannot download $pkg=$ver"
	rm -rf "$A/root" "$T" "$T.unpack"
	dpkg -x "$A"/deb/"$pkg"_*_all.deb "$A/root"
	mkdir -p "$T.unpack"
	log "unpacking $pkg $ver into $T"
	tar -xf "$A/root/usr/src/$pkg.tar.xz" -C "$T.unpack"
	mv "$T.unpack/$pkg" "$T"
	rmdir "$T.unpack"
	# Keep Debian's changelog: it lists the stable updates the tree has.
	cp "$A/root/usr/share/doc/$pkg/changelog.Debian.gz" "$T/" 2>/dev/null || true
	rm -rf "$A/root" "$A"/deb/*.deb
	chmod -R a-w "$T"
	chmod u+w "$T"
	echo "$pkg $ver" >"$T/.version"
	chmod a-w "$T"
fi
echo "$T"
