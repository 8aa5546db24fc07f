#!/bin/bash
# make series: the work as a git patch series a kernel developer would send.
#   $BUILD/series/src   git tree: the unpacked base committed once (tag
#                       "base"), then one commit per line of tooling/series/map
#   $BUILD/series/out   git format-patch --cover-letter --base=base
# Checks: the series' last commit equals the assembled tree (build/src),
# git am of the written patches onto a clean base gives the same tree, every
# patch passes checkpatch.pl --strict, the library at each of its steps
# passes the user-space harness, and (unless SERIES_BUILD=0) every
# commit builds, incrementally, the test kernel's configuration and one
# matrix configuration (modules, W=1); SERIES_BUILD_RANGE limits which
# commits, SERIES_BUILD_KINDS (test matrix) which builds.
. "$(dirname "$0")/common.sh"

S=$BUILD/series
T=$S/src
MAP=$REPO/tooling/series/map
name=$(git -C "$REPO" config user.name)
email=$(git -C "$REPO" config user.email)
[ -n "$name" ] && [ -n "$email" ] || die "set git user.name and user.email in the repository"
signoff="Signed-off-by: $name <$email>"
mkdir -p "$S"
"$REPO/tooling/deps.sh" --series
"$REPO/tooling/assemble.sh"
version=$(cat "$BASE/.base-version")

# No automatic gc: a detached one repacking while step 5a clones the repo
# makes the clone fail ("hardlink different from source ... tmp_pack").
g() { git -C "$T" -c user.name="$name" -c user.email="$email" -c gc.auto=0 -c maintenance.auto=false "$@"; }

# 1. The base, committed once.
if [ "$(cat "$S/base-version" 2>/dev/null)" != "$version" ] || ! g rev-parse -q --verify base >/dev/null; then
	log "committing the base tree $version in $T (once, a minute or two)"
	rm -rf "$S/obj" "$S/matrix"
	git_tree "$BASE" "$T" "Linux $version (Debian $BASE_PKG)"
	echo "$version" >"$S/base-version"
fi

# 2. Check the map against patches/series and the overlay.
sed -e '/^\s*#/d' -e '/^\s*$/d' "$REPO/patches/series" >"$S/series.want"
awk '!/^#/ && NF && $1 ~ /\.patch$/ { print $1 }' "$MAP" >"$S/series.got"
diff -u "$S/series.want" "$S/series.got" >&2 ||
	die "tooling/series/map must list the patches of patches/series, in that order"
# shellcheck disable=SC2086
(cd "$REPO" && git ls-files --cached --others --exclude-standard -- $OVERLAY_DIRS |
	while read -r f; do [ -f "$f" ] && echo "$f"; done) | sort >"$S/overlay.want"
overlay_of() { # the overlay files a map line names
	local w
	for w in "$@"; do
		case $w in
		-*) ;;
		*/) grep "^$w" "$S/overlay.want" || die "map: nothing under $w" ;;
		*) grep -qx "$w" "$S/overlay.want" || die "map: $w is not an overlay file"; echo "$w" ;;
		esac
	done
}
awk '!/^#/ && NF && $1 != "local" { $1 = ""; print }' "$MAP" | while read -r -a words; do
	[ ${#words[@]} = 0 ] || overlay_of "${words[@]}"
done | sort >"$S/overlay.got"
dups=$(uniq -d "$S/overlay.got")
[ -z "$dups" ] || die "map: in two commits: $dups"
awk '$1 == "local" { $1 = ""; print }' "$MAP" | while read -r -a words; do
	overlay_of "${words[@]}"
done | sort >"$S/overlay.local"
missing=$(comm -23 "$S/overlay.want" <(sort -u "$S/overlay.got" "$S/overlay.local"))
[ -z "$missing" ] || die "map: overlay files in no commit: $missing"

# 3. One commit per map line.
message() { # patch or .msg file -> commit message (subject, blank, body)
	awk -v so="$signoff" '
		/^Subject: / { sub(/^Subject: (\[[^]]*\] )?/, ""); print; print ""; body = 1; next }
		body && /^---$/ { exit }
		body == 1 && /^$/ { body = 2; next }
		body == 2 { print }
		END { print ""; print so }' "$1"
}
g checkout -q -f -B series base
g clean -q -fdx
n=0
while read -r src rest; do
	n=$((n + 1))
	if [ "${src%.patch}" != "$src" ]; then
		file=$REPO/patches/$src
		g apply --index "$file" || die "$src does not apply to the series so far"
	else
		file=$REPO/tooling/series/$src
	fi
	for w in $rest; do
		case $w in
		-*) g rm -q "${w#-}" ;;
		esac
	done
	# shellcheck disable=SC2086
	for f in $(overlay_of $rest); do
		mkdir -p "$T/$(dirname "$f")"
		cp "$REPO/$f" "$T/$f"
		g add -f "$f"
	done
	message "$file" >"$S/msg"
	GIT_AUTHOR_DATE="2026-11-30T00:00:00Z" GIT_COMMITTER_DATE="2026-11-30T00:00:00Z" \
		g commit -q -F "$S/msg"
done < <(awk '!/^#/ && NF && $1 != "local"' "$MAP")
log "series: $n commits on base"

# 4. The series ends where the assembled tree is: every file the assembly
#    manages is the same, every file it removes is gone (the rest is the
#    base in both).
while read -r f; do
	grep -qx "$f" "$S/overlay.local" && continue
	if [ -e "$SRC/$f" ]; then cmp -s "$T/$f" "$SRC/$f" || echo "differs: $f"
	else [ ! -e "$T/$f" ] || echo "still present: $f"; fi
done <"$SRC/.iova-bitmap-managed" >"$S/final.diff"
[ ! -s "$S/final.diff" ] || { cat "$S/final.diff" >&2; die "the series' last commit differs from $SRC"; }

# 5. Patches, cover letter, checkpatch.
rm -rf "$S/out"
g format-patch -q --cover-letter --base=base -o "$S/out" base..series
cover=$(ls "$S"/out/0000-*)
python3 - "$cover" "$REPO/tooling/series/cover.txt" <<'EOF'
import sys
path, src = sys.argv[1], sys.argv[2]
subject, _, body = open(src).read().partition('\n\n')
text = open(path).read()
text = text.replace('*** SUBJECT HERE ***', subject.strip())
text = text.replace('*** BLURB HERE ***', body.rstrip())
open(path, 'w').write(text)
EOF
fail=0
echo "KTAP version 1"
echo "1..$(ls "$S"/out/*.patch | grep -vc '/0000-')"
i=0
for p in "$S"/out/*.patch; do
	case $p in */0000-*) continue ;; esac
	i=$((i + 1))
	# checkpatch's FILE_PATH_CHANGES asks whether MAINTAINERS needs an
	# update for an added or deleted file; answered here instead: every
	# file the patch adds must have a maintainer other than THE REST.
	# /usr/bin first: its spdxcheck.py needs the python3-ply deps.sh installs.
	# UNKNOWN_COMMIT_ID: the base commit has no upstream history behind it,
	# so the ids of Fixes: tags cannot be looked up here.
	out=$(cd "$T" && PATH=/usr/bin:$PATH ./scripts/checkpatch.pl --strict -q --terse --ignore FILE_PATH_CHANGES,UNKNOWN_COMMIT_ID "$p" 2>&1 |
		grep -v '^total: 0 errors, 0 warnings, 0 checks') || true
	for f in $(sed -n '/^--- \/dev\/null$/{n;s#^+++ b/##p}' "$p"); do
		(cd "$T" && ./scripts/get_maintainer.pl --no-git --no-git-fallback -f "$f" 2>/dev/null) |
			grep 'maintainer:' | grep -vq 'THE REST' || out="$out
$f: no MAINTAINERS entry covers it"
	done
	if [ -z "$out" ]; then
		echo "ok $i checkpatch --strict $(basename "$p")"
	else
		echo "$out" | sed 's/^/# /'
		echo "not ok $i checkpatch --strict $(basename "$p")"
		fail=$((fail + 1))
	fi
done

# 5a. What a maintainer gets: git am of the written patches onto a clean
#     base reproduces the series' tree, hence the assembled one (step 4).
A=$S/am
rm -rf "$A"
git clone -q --no-checkout "$T" "$A"
git -C "$A" checkout -q -b am base
if git -C "$A" -c user.name="$name" -c user.email="$email" am -q $(ls "$S"/out/*.patch | grep -v "/0000-") \
	&& git -C "$A" diff --quiet am "$(g rev-parse series)" --; then
	log "git am of $(ls "$S"/out/*.patch | grep -vc '/0000-') patches onto base reproduces the series' tree"
	echo "# git am onto a clean base: same tree as the series (and build/src)"
else
	echo "# git am onto a clean base does NOT reproduce the series' tree"
	fail=$((fail + 1))
fi
# 5a'. MAINTAINERS names exactly what the series sends: every file pattern
#      a patch adds there is a file (or directory) of the tree that the
#      series adds or changes.
sent=$(sed -n 's#^+++ b/##p' "$S"/out/*.patch | sort -u)
bad=
for f in $(sed -n 's#^+F:\t##p' "$S"/out/*.patch | sort -u); do
	if [ ! -e "$A/$f" ] || ! grep -q "^${f%/}\(/\|$\)" <<<"$sent"; then
		bad="$bad $f"
	fi
done
if [ -z "$bad" ]; then
	echo "# MAINTAINERS: the $(sed -n 's#^+F:\t##p' "$S"/out/*.patch | sort -u | wc -l) F: lines the series adds name files it sends"
else
	echo "# MAINTAINERS lists what the series does not send:$bad"
	fail=$((fail + 1))
fi
rm -rf "$A"

# 5b. The library at each step from the rewrite on (every commit whose
#     header declares iova_bitmap_record()) passes the user-space harness;
#     the steps before it (the old API in lib/) get make baseline's
#     harness, whose failures are printed.
if SERIES=$T KDIR=$REPO CASES=${SERIES_CASES:-20000} \
	"$REPO/tools/testing/iova_bitmap/steps.sh" >"$S/steps.log" 2>&1; then
	sed -n 's/^ok [0-9]* /# /p; /^# old API/p; /^#   /p' "$S/steps.log"
else
	sed 's/^/# /' "$S/steps.log"
	echo "# the harness fails a step of the library"
	fail=$((fail + 1))
fi

# 6. Every commit builds (test configuration and one matrix configuration).
if [ "${SERIES_BUILD:-1}" = 1 ]; then
	command -v ccache >/dev/null && export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
	cfg_test=$S/test.config cfg_matrix=$S/matrix.config
	# The same fragments as the test kernel and the matrix; symbols a commit
	# does not define yet are simply absent there.
	for f in base iommufd consumers mdirty debug; do cat "$REPO/tooling/config/$f.config"; done >"$cfg_test"
	{ cat "$REPO/tooling/config/base.config" "$REPO/tooling/config/matrix/common.config"
	  sed -n 's/^mtty-m-vfio-m-container: //p' "$REPO/tooling/config/matrix/named" | tr ' ' '\n'
	} >"$cfg_matrix"
	# SERIES_BUILD_RANGE: only those commits (a rev-list range), e.g. to
	# build again the ones a change touched.
	for c in $(g rev-list --reverse "${SERIES_BUILD_RANGE:-base..series}"); do
		g checkout -q "$c"
		subj=$(g log -1 --format=%s "$c")
		for kind in ${SERIES_BUILD_KINDS:-test matrix}; do
			# Laid out as build/obj and build/matrix/obj are, so that
			# ccache serves what those builds compiled (kmake).
			o=$S/obj t0=$(date +%s)
			[ $kind = test ] || o=$S/matrix/obj
			mkdir -p "$o"
			eval frag=\$cfg_$kind
			make -s -C "$T" O="$o" ARCH=$ARCH KCONFIG_ALLCONFIG="$frag" allnoconfig >/dev/null 2>&1
			if [ $kind = test ]; then args=bzImage; else args="W=1 vmlinux modules"; fi
			# shellcheck disable=SC2086
			if SRC=$T OBJ=$o kmake $args >"$S/build-$kind.log" 2>&1; then
				echo "# builds ($kind, $(( $(date +%s) - t0 ))s): $subj"
			else
				grep -m3 -E 'error|Error' "$S/build-$kind.log" | sed 's/^/#   /'
				echo "# does NOT build ($kind): $subj"
				fail=$((fail + 1))
			fi
		done
	done
	g checkout -q series
fi
ls "$S"/out/
echo "# $(ls "$S"/out/*.patch | grep -vc '/0000-') patches in $S/out, $fail failed"
exit $((fail > 0))
