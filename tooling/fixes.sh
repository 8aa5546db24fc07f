#!/bin/bash
# make fixes: the fixes to stock 7.3.4 at the head of patches/series, alone,
# as the series a stable maintainer can take.
#   fixes.sh [series] [build] [boot] [backport]   (make fixes: all four)
#   fixes.sh bisect                                (make fixes-bisect)
#   fixes.sh history                               (make fixes-history)
#   fixes.sh tables                                (both tables, from the logs)
#
# series    a git tree of the clean 7.3.4 ($F/src, tag "base"), one branch
#           per group of tooling/fixes/groups and "fixes" with all of
#           them; git format-patch --cover-letter per group into $F/out;
#           git am of each group's mails onto a clean base must give that
#           group's tree; checkpatch.pl --strict on every mail.
# build     every commit of "fixes" built, incrementally, in $F/obj
#           (tooling/config/fixes.config: the mock, io-pgtable-arm, KUnit).
# boot      the last one booted: upstream's whole iommufd selftest (with
#           the regression tests) and KUnit's iova_bitmap_edge must pass,
#           every pin released.
# backport  which fixes git am onto Debian's 7.2.13 and 6.12 trees
#           (tooling/fetch-tree.sh), applied in order, and the objects
#           they touch built there with W=1.
# bisect    every regression test on stock 7.3.4 (plus only the tests) and
#           on stock plus each fix alone: a table.
# history   the same tests on stock 7.2.13, 7.3-rc7 and 7.3.4: a table.
. "$(dirname "$0")/common.sh"

F=$BUILD/fixes
T=$F/src
G=$REPO/tooling/fixes/groups
steps=${*:-series build boot backport}
name=$(git -C "$REPO" config user.name || true)
email=$(git -C "$REPO" config user.email || true)
: "${name:=iova_bitmap team}" "${email:=iova-bitmap@invalid}"
mkdir -p "$F"
"$REPO/tooling/deps.sh" --series
"$REPO/tooling/assemble.sh" >/dev/null
version=$(cat "$BASE/.base-version")
command -v ccache >/dev/null && export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}

g() { git -C "$T" -c user.name="$name" -c user.email="$email" -c gc.auto=0 \
	-c maintenance.auto=false -c advice.detachedHead=false "$@"; }
groups() { sed -e '/^\s*#/d' -e '/^\s*$/d' "$G"; }
# patches <first> <last>: the names in patches/series numbered so
patches() {
	sed -e '/^\s*#/d' -e '/^\s*$/d' "$REPO/patches/series" |
		awk -v a="$1" -v b="$2" '{ n = substr($0, 1, 4) + 0 } n >= a + 0 && n <= b + 0'
}
message() { # patch -> commit message: subject, blank, body
	awk '/^Subject: / { sub(/^Subject: (\[[^]]*\] )?/, ""); print; print ""; body = 1; next }
	     body && /^---$/ { exit }
	     body == 1 && /^$/ { body = 2; next }
	     body == 2 { print }' "$1"
}
# commit_patch <tree-git-fn> <patch>: apply and commit with its message
commit_patch() {
	local p=$REPO/patches/$1
	g apply --index "$p" || return 1
	message "$p" | g commit -q -s -F -
}
subject() { sed -n 's/^Subject: \(\[[^]]*\] \)\{0,1\}//p' "$REPO/patches/$1"; }

# 1. The clean base, committed once.
base_tree() {
	if [ "$(cat "$F/base-version" 2>/dev/null)" != "$version" ] || ! g rev-parse -q --verify base >/dev/null; then
		log "committing the clean $version tree in $T (once)"
		rm -rf "$F/obj"
		git_tree "$BASE" "$T" "Linux $version (Debian $BASE_PKG)"
		echo "$version" >"$F/base-version"
	fi
}

do_series() {
	local grp first last title p n=0 bad=0 out
	base_tree
	g checkout -q -f base
	g branch -f fixes base
	rm -rf "$F/out"
	while read -r grp first last title; do
		g checkout -q -f -B "$grp" base
		for p in $(patches "$first" "$last"); do
			commit_patch "$p" || die "$p does not apply to clean $version"
		done
		mkdir -p "$F/out/$grp"
		g format-patch -q --cover-letter --base=base -o "$F/out/$grp" base.."$grp"
		# The cover letter: the group's purpose, the subjects as the body.
		sed -i "s/\*\*\* SUBJECT HERE \*\*\*/$title/; s/\*\*\* BLURB HERE \*\*\*/Against Linux $version (Debian $BASE_PKG); each patch stands alone./" \
			"$F/out/$grp/0000-cover-letter.patch"
		# git am of the mails onto a clean base gives the same tree.
		g checkout -q -f -B am-check base
		# shellcheck disable=SC2046
		g am -q $(ls "$F/out/$grp"/*.patch | grep -v '/0000-cover-letter\.patch$') ||
			die "git am of $grp onto clean $version failed"
		[ "$(g rev-parse am-check^{tree})" = "$(g rev-parse "$grp"^{tree})" ] ||
			die "git am of $grp gives another tree"
		g checkout -q -f fixes
		g cherry-pick base.."$grp" >/dev/null || die "$grp does not stack on the groups before it"
		printf '%s (%s): %s patches, git am onto clean %s: ok\n' "$grp" "$title" \
			"$(g rev-list --count base.."$grp")" "$version" >&2
	done < <(groups)
	g checkout -q -f fixes
	for p in "$F"/out/*/0*.patch; do
		case $p in *0000-cover-letter.patch) continue ;; esac
		n=$((n + 1))
		# /usr/bin first: spdxcheck.py needs the python3-ply deps.sh installs.
		out=$(cd "$T" && PATH=/usr/bin:$PATH ./scripts/checkpatch.pl --strict -q --terse \
			--ignore UNKNOWN_COMMIT_ID,FILE_PATH_CHANGES "$p" 2>&1) ||
			{ echo "$out" >&2; bad=$((bad + 1)); }
	done
	# UNKNOWN_COMMIT_ID: the base has no git history to look the Fixes:
	# ids up in.  FILE_PATH_CHANGES: the one new file is under
	# drivers/iommu/iommufd/, which IOMMUFD's F: line already covers.
	log "checkpatch.pl --strict: $n mails, $bad with findings (ignored: UNKNOWN_COMMIT_ID, FILE_PATH_CHANGES)"
	[ $bad = 0 ] || die "checkpatch findings"
}

do_build() {
	local c n=0 total start
	g rev-parse -q --verify fixes >/dev/null || do_series
	g checkout -q -f fixes
	SRC=$T FRAGS="base iommufd fixes" "$REPO/tooling/kconfig.sh" "$F/obj"
	total=$(g rev-list --count base..fixes)
	for c in $(g rev-list --reverse base..fixes); do
		n=$((n + 1))
		g checkout -q -f "$c"
		# A commit that only touches the selftests builds no kernel object.
		if ! g diff --name-only "$c^" "$c" | grep -qv '^tools/'; then
			printf 'built %2d/%d: tools/ only (the selftest is built by boot): %s\n' \
				"$n" "$total" "$(g log -1 --format=%s "$c")" >&2
			continue
		fi
		start=$(date +%s)
		# The fragments again: an option a later commit adds (the KUnit
		# test) is missing before it, and comes back when it exists.
		SRC=$T KCONFIG_TOLERANT=1 FRAGS="base iommufd fixes" "$REPO/tooling/kconfig.sh" "$F/obj" 2>/dev/null
		SRC=$T OBJ=$F/obj kmake bzImage 2>&1 | tee "$F/build-$n.log" | kbuild_progress "$start"
		[ "${PIPESTATUS[0]}" = 0 ] || { tail -20 "$F/build-$n.log"; die "commit $n/$total does not build: $(g log -1 --format=%s "$c")"; }
		grep -q 'warning:' "$F/build-$n.log" && { grep 'warning:' "$F/build-$n.log" | head; die "commit $n/$total: build warnings"; }
		printf 'built %2d/%d in %3ds: %s\n' "$n" "$total" $(( $(date +%s) - start )) "$(g log -1 --format=%s "$c")" >&2
	done
	g checkout -q -f fixes
}

# initramfs <tree> <out>: busybox, our init and the tree's iommufd selftest
initramfs() {
	local src=$1 out=$2 r=$2/root
	mkdir -p "$r/bin" "$out/usr"
	for d in proc sys dev tmp; do mkdir -p "$r/$d"; done
	make -C "$src" O="$out/hdr" -s headers_install INSTALL_HDR_PATH="$out/usr" >/dev/null
	gcc -static -O2 -Wall -D_GNU_SOURCE -I"$out/usr/include" -I"$src/tools/testing/selftests" \
		-Wno-unused-function -Wno-missing-field-initializers \
		"$src/tools/testing/selftests/iommu/iommufd.c" -o "$r/bin/iommufd" -lpthread -lcap
	cp /bin/busybox "$r/bin/busybox"
	cp "$REPO/tooling/guest/init" "$r/init"
	(cd "$r" && find . | cpio -o -H newc --quiet) >"$out/initramfs.cpio"
}

# boot <obj> <out> <mode> [kernel args]: QEMU, then the counts
boot() {
	local obj=$1 out=$2 mode=$3
	shift 3
	OBJ=$obj GUEST_OUT=$out INITRD=$out/initramfs.cpio QEMU_TIMEOUT=${FIXES_TIMEOUT:-1800} \
		"$REPO/tooling/qemu-run.sh" "$mode" "$@" >/dev/null 2>&1
}

do_boot() {
	local out=$F/guest pass fail kpass kfail log
	[ -f "$F/obj/arch/x86/boot/bzImage" ] || do_build
	g checkout -q -f fixes
	SRC=$T FRAGS="base iommufd fixes" "$REPO/tooling/kconfig.sh" "$F/obj"
	SRC=$T OBJ=$F/obj kmake bzImage >"$F/build-boot.log" 2>&1 ||
		{ tail -20 "$F/build-boot.log"; die "the fixes kernel does not build"; }
	initramfs "$T" "$out"
	log "booting stock $version + the fixes: upstream's iommufd selftest and KUnit"
	boot "$F/obj" "$out" fixes
	pass=$(grep -c '^ok ' "$out/tests.log" || true)
	fail=$(grep -c '^not ok ' "$out/tests.log" || true)
	# The KUnit suites of the fixes: their cases, and the suites' lines
	log=$(tr -d '\r' <"$out/console.log")
	kpass=$(grep -cE "^ +ok [0-9]+ ($KUNIT_CASES)\$" <<<"$log" || true)
	kfail=$(grep -cE "^ *not ok [0-9]+ ($KUNIT_CASES|$KUNIT_FIXES)( |\$)" <<<"$log" || true)
	grep -E '^# (PASSED|FAILED|Totals)|^not ok ' "$out/tests.log" >&2 || true
	grep -E "^ *(not )?ok [0-9]+ ($KUNIT_CASES|$KUNIT_FIXES)( |\$)" <<<"$log" >&2 || true
	echo "fixes kernel: iommufd selftest $pass ok, $fail not ok (pin balance included); KUnit $kpass cases ok, $kfail not ok"
	[ "$fail" = 0 ] && [ "$kfail" = 0 ] && [ "$pass" -gt 100 ] && [ "$kpass" -ge 6 ] ||
		die "the fixes kernel fails (logs in $out)"
}

# A tree of Debian's as a git repository: $F/old/<name>
old_tree() {
	local d=$F/old/$1 src
	src=$("$REPO/tooling/fetch-tree.sh" "$1")
	if ! git -C "$d" rev-parse -q --verify base >/dev/null 2>&1; then
		log "committing Debian's $1 tree in $d (once)"
		git_tree "$src" "$d" "$(cat "$src/.version")"
	fi
	echo "$d"
}

do_backport() {
	local tree d p grp first last title applied objs f o
	g rev-parse -q --verify fixes >/dev/null || do_series
	for tree in 7.2.13 6.12; do
		d=$(old_tree "$tree")
		git -C "$d" checkout -q -f -B backport base
		applied=() objs=""
		echo "git am onto Debian's $tree:"
		while read -r grp first last title; do
			for p in $(patches "$first" "$last"); do
				f=$(ls "$F/out/$grp/$(printf %04d $(( 10#${p%%-*} - 10#$first + 1 )))"-*.patch)
				if git -C "$d" -c user.name="$name" -c user.email="$email" am -q "$f" >/dev/null 2>&1; then
					echo "  applies  $(subject "$p")"
					applied+=("$p")
					for o in $(sed -n 's#^+++ b/\(.*\.c\)$#\1#p' "$f"); do
						case $o in tools/*) ;; *) objs="$objs ${o%.c}.o" ;; esac
					done
				else
					git -C "$d" am --abort >/dev/null 2>&1 || true
					echo "  FAILS    $(subject "$p")"
				fi
			done
		done < <(groups)
		# generic_pt's formats include iommu_pt.h: build them when it changed.
		git -C "$d" diff --name-only base | grep -q generic_pt/iommu_pt.h &&
			objs="$objs $(cd "$d" && ls drivers/iommu/generic_pt/fmt/iommu_*.c | sed 's/\.c$/.o/' | tr '\n' ' ')"
		echo "  ${#applied[@]} applied; building what they touch with W=1:$objs"
		SRC=$d KCONFIG_TOLERANT=1 FRAGS="base iommufd fixes" "$REPO/tooling/kconfig.sh" "$F/old-obj/$tree" 2>/dev/null
		# shellcheck disable=SC2086
		SRC=$d OBJ=$F/old-obj/$tree kmake W=1 $objs >"$F/backport-$tree.log" 2>&1 ||
			{ tail -30 "$F/backport-$tree.log"; die "$tree with the fixes does not build"; }
		if grep -E 'warning:' "$F/backport-$tree.log" | grep -v -E '^(scripts|tools)/' | grep -q .; then
			grep 'warning:' "$F/backport-$tree.log" | head -5
			echo "  built, with the warnings above (W=1: the tree's own or ours?)"
		else
			echo "  built, no warning"
		fi
	done
}

# The patches that add the regression tests: they go onto stock for the
# bisect, and the kernel ones onto the older trees for the history.
TEST_PATCHES="0008 0009 0013"
# The KUnit suites the fixes kernel runs, and their cases
KUNIT_FIXES="iova_bitmap_edge|io-pgtable-arm-test"
KUNIT_CASES="edge_aligned|edge_unaligned_start|edge_ragged_end|arm_lpae_do_selftests|arm_lpae_dirty_read_starts_inside_block|arm_lpae_dirty_read_part_of_block"

# The regression tests, each with the fix it tests (tests.log names, KUnit
# names in the console).  Order: the patches.
REGRESSION="0001:iommufd_dirty_inside.contig_4k.read_ends_inside
0001:iommufd_dirty_inside.huge_1m.read_ends_inside
0002:iommufd_dirty_inside.contig_4k.read_starts_inside
0002:iommufd_dirty_inside.huge_1m.read_starts_inside
0002:iommufd_dirty_inside.contig_4k.read_starts_inside_no_clear
0002:iommufd_dirty_inside.huge_1m.read_starts_inside_no_clear
0003:kunit:iova_bitmap_edge.edge_unaligned_start
0003:kunit:iova_bitmap_edge.edge_ragged_end
0004:iommufd_dirty_inside.contig_4k.page_size_not_power_of_2
0004:iommufd_dirty_inside.huge_1m.page_size_not_power_of_2
0005:iommufd_dirty_inside.contig_4k.read_only_bitmap
0005:iommufd_dirty_inside.huge_1m.read_only_bitmap
0006:iommufd_dirty_inside.contig_4k.read_in_two_parts
0006:iommufd_dirty_inside.huge_1m.read_in_two_parts
0007:iommufd_dirty_inside.contig_4k.read_across_a_hole
0007:iommufd_dirty_inside.huge_1m.read_across_a_hole
0010:kunit:io-pgtable-arm-test.arm_lpae_dirty_read_part_of_block
0011:kunit:io-pgtable-arm-test.arm_lpae_dirty_read_starts_inside_block"

# result <guest out> <test>: pass, FAIL, timeout (never finished) or
# not run.  A KUnit case has a boot of its own, in <guest out>/kunit/<case>.
result() {
	local out=$1 t=$2 log
	case $t in
	kunit:*)
		t=${t#kunit:}
		[ -f "$out/kunit/$t/console.log" ] || { echo "not run"; return; }
		log=$(tr -d '\r' <"$out/kunit/$t/console.log")
		t=${t#*.}
		if grep -qE "^ *ok [0-9]+ $t\$" <<<"$log"; then echo pass
		elif grep -qE "^ *not ok [0-9]+ $t( |\$)" <<<"$log"; then
			grep -qE "# $t: .*timed out" <<<"$log" && echo timeout || echo FAIL
		else echo "timeout"; fi ;;
	*)
		[ -f "$out/tests.log" ] || { echo "not run"; return; }
		log=$(tr -d '\r' <"$out/tests.log")
		if grep -qE "^ok [0-9]+ $t\$" <<<"$log"; then echo pass
		elif grep -qE "^not ok [0-9]+ $t\$" <<<"$log"; then echo FAIL
		else echo "timeout"; fi ;;
	esac
}

# test_boots <obj> <out> <test>...: a boot of the selftests (KUnit off)
# if <test>s has one, then a boot per KUnit case in <out>/kunit/<case>:
# a case that spins (0003's, on stock) hangs its kernel, and would hide
# the cases after it and take the CPUs the selftests need.  The guest's
# timeouts end a kernel that never finishes.
test_boots() {
	local obj=$1 out=$2 t
	shift 2
	rm -rf "$out"
	mkdir -p "$out"
	if printf '%s\n' "$@" | grep -qv '^kunit:'; then
		cp "$F/guest/initramfs.cpio" "$out/initramfs.cpio"
		FIXES_TIMEOUT=${BISECT_TIMEOUT:-600} boot "$obj" "$out" inside kunit.enable=0
	fi
	for t in "$@"; do
		case $t in kunit:*) ;; *) continue ;; esac
		t=${t#kunit:}
		mkdir -p "$out/kunit/$t"
		cp "$F/guest/initramfs.cpio" "$out/kunit/$t/initramfs.cpio"
		FIXES_TIMEOUT=${BISECT_KUNIT_TIMEOUT:-150} boot "$obj" "$out/kunit/$t" kunit \
			kunit.timeout=30 kunit.filter_glob="$t"
	done
}

# tests_of <fix number>|all: the regression tests of that fix, or all
tests_of() {
	echo "$REGRESSION" | awk -F: -v k="$1" 'k == "all" || $1 == k { sub(/^[^:]*:/, ""); print }'
}

# A kernel of a branch of $T: build it incrementally in <obj>, boot it
# for <test>s; kept when <out>/done says that branch's tree already ran.
bisect_kernel() { # branch obj out test...
	local start
	[ "$(cat "$3/done" 2>/dev/null)" = "$(g rev-parse "$1^{tree}")" ] && [ -z "${FIXES_RERUN:-}" ] &&
		{ log "$1: results of $(cat "$3/done") kept (FIXES_RERUN=1 runs it again)"; return; }
	g checkout -q -f "$1"
	SRC=$T FRAGS="base iommufd fixes" "$REPO/tooling/kconfig.sh" "$2" 2>/dev/null
	start=$(date +%s)
	mkdir -p "$3"
	SRC=$T OBJ=$2 kmake bzImage >"$3.build.log" 2>&1 || { tail -20 "$3.build.log"; die "$1 does not build"; }
	log "$1 built in $(( $(date +%s) - start ))s; booting"
	test_boots "$2" "$3" "${@:4}"
	g rev-parse "$1^{tree}" >"$3/done"
}

# table <md> <heading> <dir>...: a row per regression test, its fix, and
# its result in each <dir> ("%k" in a <dir> stands for that fix's number)
table() {
	local md=$1 head=$2 k t rest row d
	shift 2
	echo
	echo "| test | fix | $head |"
	echo "|---|---|$(printf -- '---|%.0s' "$@")"
	echo "$REGRESSION" | while IFS=: read -r k t rest; do
		[ -n "$rest" ] && t="$t:$rest"
		row="| ${t#kunit:} | $k $(subject "$(patches "$k" "$k")" | cut -c1-50)"
		for d in "$@"; do row="$row | $(result "${d//%k/$k}" "$t")"; done
		echo "$row |"
	done | tee "$md"
}

bisect_table() {
	table "$F/bisect.md" "stock $version | stock + that fix" "$F/bisect/stock" "$F/bisect/%k"
}

history_table() {
	table "$F/history.md" "7.2.13 | 7.3-rc7 | 7.3.4" \
		"$F/history/7.2.13" "$F/history/7.3-rc7" "$F/bisect/stock"
}

do_bisect() {
	local fixes tests p k
	g rev-parse -q --verify fixes >/dev/null || do_series
	g checkout -q -f fixes
	[ -f "$F/guest/initramfs.cpio" ] || initramfs "$T" "$F/guest"
	tests=$(for k in $TEST_PATCHES; do patches "$k" "$k"; done)
	fixes=$(echo "$REGRESSION" | cut -d: -f1 | sort -u)
	# stock: the base plus the tests only
	g checkout -q -f -B bisect-stock base
	for p in $tests; do commit_patch "$p"; done
	# shellcheck disable=SC2046 # one word per test
	bisect_kernel bisect-stock "$F/bisect-obj" "$F/bisect/stock" $(tests_of all)
	for k in $fixes; do
		p=$(patches "$k" "$k")
		g checkout -q -f -B "bisect-$k" bisect-stock
		# A fix written on top of the ones before it may need patch(1)'s
		# fuzz to apply alone (0002's context holds 0001's lines).
		if ! commit_patch "$p" 2>/dev/null; then
			g reset -q --hard
			patch -d "$T" -p1 -s -F3 --no-backup-if-mismatch <"$REPO/patches/$p" ||
				die "$p does not apply alone to stock + tests"
			g add -A
			message "$REPO/patches/$p" | g commit -q -s -F -
			log "$p applied alone with patch -F3"
		fi
		# shellcheck disable=SC2046
		bisect_kernel "bisect-$k" "$F/bisect-obj" "$F/bisect/$k" $(tests_of "$k")
	done
	g checkout -q -f fixes
	bisect_table
}

do_history() {
	local tree d k p out
	g rev-parse -q --verify fixes >/dev/null || do_series
	[ -f "$F/guest/initramfs.cpio" ] || { g checkout -q -f fixes; initramfs "$T" "$F/guest"; }
	[ -f "$F/bisect/stock/tests.log" ] || do_bisect >/dev/null
	for tree in 7.2.13 7.3-rc7; do
		d=$(old_tree "$tree")
		out=$F/history/$tree
		git -C "$d" checkout -q -f -B history base
		# The KUnit tests, where they apply (the selftest runs from the
		# fixes tree's initramfs).
		for k in $TEST_PATCHES; do
			p=$(patches "$k" "$k")
			grep -q '^diff --git a/tools/' "$REPO/patches/$p" && continue
			if git -C "$d" apply --index "$REPO/patches/$p" 2>/dev/null; then
				message "$REPO/patches/$p" |
					git -C "$d" -c user.name="$name" -c user.email="$email" commit -q -F -
			else
				log "$tree: $p does not apply; its cases are not run"
			fi
		done
		if [ "$(cat "$out/done" 2>/dev/null)" = "$(git -C "$d" rev-parse 'HEAD^{tree}')" ] &&
			[ -z "${FIXES_RERUN:-}" ]; then
			log "$tree: results kept (FIXES_RERUN=1 runs it again)"
			continue
		fi
		SRC=$d KCONFIG_TOLERANT=1 FRAGS="base iommufd fixes" "$REPO/tooling/kconfig.sh" "$F/history-obj/$tree" 2>/dev/null
		log "$tree: building"
		SRC=$d OBJ=$F/history-obj/$tree kmake bzImage >"$F/history-$tree.log" 2>&1 ||
			{ tail -20 "$F/history-$tree.log"; die "$tree does not build"; }
		log "$tree: booting"
		# shellcheck disable=SC2046 # one word per test
		test_boots "$F/history-obj/$tree" "$out" $(tests_of all)
		git -C "$d" rev-parse 'HEAD^{tree}' >"$out/done"
	done
	history_table
}

for s in $steps; do
	case $s in
	series) do_series ;;
	build) do_build ;;
	boot) do_boot ;;
	backport) do_backport ;;
	bisect) do_bisect ;;
	history) do_history ;;
	tables) bisect_table; history_table ;;
	*) die "unknown step $s" ;;
	esac
done
