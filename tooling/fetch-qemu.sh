#!/bin/bash
# Fetch QEMU 10.0.2 (qemu-system-x86 from Debian's bookworm-backports) with
# a private apt configuration under $BUILD/qemu/apt, as fetch-base.sh does
# (the machine's own apt sources, lists and cache are never touched), and
# assemble $BUILD/qemu/root: a minimal root that runs the unmodified
# /usr/bin/qemu-system-x86_64 on its own, to be copied into the guest's
# busybox initramfs:
#   usr/bin/qemu-system-x86_64
#   lib/x86_64-linux-gnu/*.so.*       every library it needs (ldd), libc too
#   lib64/ld-linux-x86-64.so.2        the dynamic loader
#   usr/share/qemu/kvmvapic.bin       the only data file pc/q35 load under
#                                     -nodefaults (a warning without it)
#   usr/share/l2/halt.bin             64 KiB -bios for the L2: cli; hlt
#                                     (tooling/guest/halt-bios.sh)
# Libraries come from the host (Debian 12; tooling/deps.sh installs
# qemu-system-x86 7.2, which has the same ones) and, when the host lacks one
# or has too old a version, from the backports or bookworm package apt
# chooses.  Lists what it fetched (package=version) on stderr; quiet when
# already done.  Prints the path of the root.
. "$(dirname "$0")/common.sh"

QEMU_PKG_VERSION=1:10.0.2+ds-2+deb13u1~bpo12+1
QEMU_UPSTREAM=10.0.2
QEMU_SUITE=bookworm-backports
QEMU_MIRROR=${QEMU_MIRROR:-$BASE_MIRROR}

Q=$BUILD/qemu
A=$Q/apt
R=$Q/root
STAMP=$Q/root.done	# outside the root: it is not copied into the guest
want="$QEMU_PKG_VERSION $(sha1sum "$REPO/tooling/fetch-qemu.sh" "$REPO/tooling/guest/halt-bios.sh" | cut -d' ' -f1 | tr '\n' ' ')"

if [ -x "$R/usr/bin/qemu-system-x86_64" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$want" ]; then
	echo "$R"
	exit 0
fi

# plan: package=version of everything apt would install or upgrade on this
# host for qemu-system-x86 (a simulation against the host's dpkg status).
# -t: with bookworm in the list too, its versions would otherwise win over
# the backports that qemu-system-x86 depends on.
plan() {
	apt-get "${APT_CONF[@]}" -qq -s -t "$QEMU_SUITE" install --no-install-recommends \
		"qemu-system-x86=$QEMU_PKG_VERSION" 2>/dev/null |
		awk '$1 == "Inst" { v = ($3 ~ /^\[/) ? $4 : $3; sub(/^\(/, "", v); print $2 "=" v }'
}

log "fetching qemu-system-x86 $QEMU_PKG_VERSION from $QEMU_SUITE (private apt configuration in $A)"
private_apt "$A"
private_apt_lists "$QEMU_MIRROR" "" "$QEMU_SUITE"
# Backports keeps only the newest build: say so when the pin has gone.
have=$(apt-cache "${APT_CONF[@]}" madison qemu-system-x86 | awk -v s="$QEMU_SUITE/" 'index($0, s) {print $3}')
grep -qxF "$QEMU_PKG_VERSION" <<<"$have" ||
	die "qemu-system-x86=$QEMU_PKG_VERSION is not in $QEMU_SUITE (it has: ${have:-nothing}); update QEMU_PKG_VERSION"
if ! todo=$(plan); then
	# A library the host lacks that backports does not carry: bookworm has it.
	private_apt_lists "$QEMU_MIRROR" "" "$QEMU_SUITE" bookworm
	todo=$(plan) || die "apt cannot resolve qemu-system-x86=$QEMU_PKG_VERSION"
fi
# The binary and its data files always; of the rest only libraries: the
# firmware packages (-bios halt.bin is the L2's firmware) and
# qemu-system-common (helpers, modules) are not used.
pkgs="qemu-system-x86=$QEMU_PKG_VERSION qemu-system-data=$QEMU_PKG_VERSION"
for p in $todo; do
	case ${p%%=*} in
	qemu-system-x86 | qemu-system-data | qemu-system-common | seabios | ipxe-qemu) ;;
	*) pkgs="$pkgs $p" ;;
	esac
done

rm -rf "$Q/deb" "$Q/x" "$R.new"
mkdir -p "$Q/deb" "$Q/x"
# shellcheck disable=SC2086
(cd "$Q/deb" && apt-get "${APT_CONF[@]}" -qq download $pkgs >&2) || die "cannot download $pkgs"
for p in $pkgs; do log "  fetched $p"; done
for d in "$Q"/deb/*.deb; do dpkg -x "$d" "$Q/x"; done

N=$R.new
mkdir -p "$N/usr/bin" "$N/lib/x86_64-linux-gnu" "$N/lib64" "$N/usr/share/qemu" "$N/usr/share/l2"
cp "$Q/x/usr/bin/qemu-system-x86_64" "$N/usr/bin/"
cp "$Q/x/usr/share/qemu/kvmvapic.bin" "$N/usr/share/qemu/"
sh "$REPO/tooling/guest/halt-bios.sh" "$N/usr/share/l2/halt.bin"

# Every library, resolved against the extracted packages first, then the
# host's; copied under its soname, symlinks followed.
deps=$(LD_LIBRARY_PATH="$Q/x/lib/x86_64-linux-gnu:$Q/x/usr/lib/x86_64-linux-gnu" \
	ldd "$N/usr/bin/qemu-system-x86_64") || die "ldd qemu-system-x86_64 failed"
if grep -q 'not found' <<<"$deps"; then
	die "libraries not found for qemu-system-x86_64: $(grep 'not found' <<<"$deps" | awk '{print $1}' | tr '\n' ' ')"
fi
while read -r name arrow path _; do
	case $name in
	linux-vdso.so.*) ;;
	*/ld-linux-x86-64.so.2) cp -L "$name" "$N/lib64/ld-linux-x86-64.so.2" ;;
	*)
		if [ "$arrow" != "=>" ] || [ ! -f "$path" ]; then
			die "cannot resolve $name ($arrow $path)"
		fi
		cp -L "$path" "$N/lib/x86_64-linux-gnu/$name"
		;;
	esac
done <<<"$deps"
[ -f "$N/lib64/ld-linux-x86-64.so.2" ] || die "no dynamic loader in ldd's output"

# It must run inside the root alone.
if [ "$(id -u)" = 0 ]; then
	ver=$(chroot "$N" /usr/bin/qemu-system-x86_64 --version) || die "qemu does not run in $N"
else
	ver=$("$N/lib64/ld-linux-x86-64.so.2" --library-path "$N/lib/x86_64-linux-gnu" \
		"$N/usr/bin/qemu-system-x86_64" --version) || die "qemu does not run from $N"
fi
grep -q "version $QEMU_UPSTREAM " <<<"$ver" || die "unexpected qemu version: $ver"

rm -rf "$R" "$Q/deb" "$Q/x"
mv "$N" "$R"
echo "$want" >"$STAMP"
log "qemu root $R ($(du -sh "$R" | cut -f1), $(find "$R" -type f | wc -l) files): $(head -1 <<<"$ver")"
echo "$R"
