#!/bin/bash
# make matrix: build and link the configurations the Kconfig rework touches.
#   matrix.sh [--quick] [--kconfig-only] [--random N] [--seed S] [--arch-only]
# Each configuration is allnoconfig + base.config + matrix/common.config + its
# own assignments (tooling/config/matrix/named, then N seeded random ones).
# Kconfig runs first for all of them; then each is built, in the order of
# HEAVY_SYMS below, in one incremental O= tree ($BUILD/matrix/obj, ccache):
#   - no Kconfig warning; a named configuration's assignments all land;
#   - IOMMUFD_DRIVER follows the rule below;
#   - "make W=1 vmlinux modules" builds and links, modpost included (a
#     module using __iova_bitmap_set without importing IOMMUFD fails it),
#     and no W=1 warning comes from our files;
#   - every caller whose symbol is set has its object compiled.
# The same assignments on the unpatched base, stock 7.3 (Kconfig only), show
# where it leaves VFIO with the stubs: DMA_LOGGING_REPORT failing with
# -EOPNOTSUPP.
# The configurations of tooling/config/matrix/arch are the same checks on
# i386, 32-bit arm and arm64 (cross compilers from tooling/deps.sh --arch),
# each architecture in an O= tree of its own ($BUILD/matrix/obj-ARCH);
# --arch-only builds those alone.
# --quick: the configurations listed in matrix/quick (make check's subset),
# on matrix/quick.config instead of common.config, in $BUILD/matrix-quick.
# Prints a table; KTAP lines too when MATRIX_TAP=1.
#
# The rule: IOMMUFD_DRIVER=y exactly when something that can produce or read
# a dirty bitmap is built: VFIO (its report path; VFIO always has the
# container or iommufd, both of which select it), iommufd, a VFIO migration
# driver (mlx5, pds, the mdirty sample), iommufd's mock (IOMMUFD_TEST), or an
# IOMMU driver with dirty tracking (AMD, Intel, SMMUv3) together with iommufd.
# On 7.3 the AMD v1 and VT-d second-stage walkers are generic_pt formats
# (IOMMU_PT_AMDV1, IOMMU_PT_VTDSS), selectable without their drivers under
# COMPILE_TEST: without iommufd nothing can call them, and they get the
# header's stubs (IOMMUFD_DRIVER=n).
. "$(dirname "$0")/common.sh"

quick=0 nrandom=20 seed=${MATRIX_SEED:-2026} build=1 arch_only=0
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 nrandom=0 ;;
	--kconfig-only) build=0 ;;
	--random) nrandom=$2; shift ;;
	--seed) seed=$2; shift ;;
	--arch-only) arch_only=1 nrandom=0 ;;
	*) die "unknown argument $1" ;;
	esac
	shift
done

M=$BUILD/matrix
common=$REPO/tooling/config/matrix/common.config
if [ $quick = 1 ]; then
	M=$BUILD/matrix-quick
	common=$REPO/tooling/config/matrix/quick.config
fi
MOBJ=$M/obj
mkdir -p "$M/cfg" "$MOBJ"
command -v ccache >/dev/null && export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
[ $quick = 1 ] || "$REPO/tooling/deps.sh" --arch
"$REPO/tooling/assemble.sh"

# Symbol -> object that calls the library when the symbol is set.  On 7.3
# the AMD and Intel dirty walkers are generic_pt's read_and_clear_dirty()
# in the amdv1 and vtdss formats (selected by AMD_IOMMU and INTEL_IOMMU);
# iommufd's mock domain is the mock format (an amdv1 variant).
CALLERS="VFIO:drivers/vfio/vfio_main.o
IOMMUFD:drivers/iommu/iommufd/io_pagetable.o
MLX5_VFIO_PCI:drivers/vfio/pci/mlx5/cmd.o
PDS_VFIO_PCI:drivers/vfio/pci/pds/dirty.o
IOMMU_PT_AMDV1:drivers/iommu/generic_pt/fmt/iommu_amdv1.o
IOMMU_PT_VTDSS:drivers/iommu/generic_pt/fmt/iommu_vtdss.o
IOMMUFD_TEST:drivers/iommu/generic_pt/fmt/iommu_mock.o
IOMMU_IO_PGTABLE_LPAE:drivers/iommu/io-pgtable-arm.o
SAMPLE_VFIO_MDEV_MTTY:samples/vfio-mdev/mtty.o
SAMPLE_VFIO_MDEV_MDIRTY:samples/vfio-mdev/mdirty.o
SAMPLE_VFIO_MDEV_MDIRTY_VMM:samples/vfio-mdev/mdirty_vmm.o
ARM_SMMU_V3:drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.o
IOMMUFD_DRIVER:lib/iova_bitmap.o"

# Symbols of the random assignments and the values each may take.  A
# driver and the core it needs move together.
RANDOM_SYMS="VFIO:nmy IOMMUFD:nmy VFIO_GROUP:ny VFIO_CONTAINER:ny
VFIO_DEVICE_CDEV:ny MLX5_CORE+MLX5_VFIO_PCI:nm PDS_CORE+PDS_VFIO_PCI:nm
AMD_IOMMU:ny INTEL_IOMMU:ny IOMMU_IO_PGTABLE_LPAE:ny
IOMMU_PT+IOMMU_PT_AMDV1:nmy IOMMU_PT_VTDSS:nmy IOMMUFD_TEST:ny SAMPLE_VFIO_MDEV_MTTY:nmy
SAMPLE_VFIO_MDEV_MDIRTY:nmy"

# configurations: "name<TAB>assignments" on stdout
configurations() {
	local line name files=$REPO/tooling/config/matrix/named
	[ $arch_only = 1 ] && files=
	[ $quick = 1 ] || files="$files $REPO/tooling/config/matrix/arch"
	# shellcheck disable=SC2086
	sed -e '/^\s*#/d' -e '/^\s*$/d' $files |
	while IFS= read -r line; do
		name=${line%%:*}
		if [ $quick = 1 ]; then
			grep -qx "$name" "$REPO/tooling/config/matrix/quick" || continue
		fi
		printf '%s\t%s\n' "$name" "$(echo "${line#*:}" | xargs)"
	done
	[ "$nrandom" -gt 0 ] || return 0
	echo "$RANDOM_SYMS" | tr ' ' '\n' | grep . |
	awk -v n="$nrandom" -v seed="$seed" '
		{ sym[NR] = $0 }
		END {
			srand(seed)
			for (i = 1; i <= n; i++) {
				out = ""
				for (s = 1; s in sym; s++) {
					split(sym[s], f, ":"); vals = f[2]
					v = substr(vals, int(rand() * length(vals)) + 1, 1)
					k = split(f[1], names, "+")
					for (j = 1; j <= k; j++)
						out = out " CONFIG_" names[j] "=" v
				}
				printf "random-%d-%02d\t%s\n", seed, i, substr(out, 2)
			}
		}'
}

# A configuration's architecture, from its name's prefix.
name_arch() {
	case $1 in
	i386-*) echo i386 ;;
	arm64-*) echo arm64 ;;
	arm-*) echo arm ;;
	*) echo x86_64 ;;
	esac
}

# make_config <tree> <objdir> <fragment> <log> <arch>: allnoconfig with the fragment
make_config() {
	mkdir -p "$2"
	make -s -C "$1" O="$2" ARCH="$5" CROSS_COMPILE="$(cross_of "$5")" \
		KCONFIG_ALLCONFIG="$3" allnoconfig >"$4" 2>&1
}

words() { local w; for w in $1; do echo "$w"; done; }

cfgval() { # .config, symbol -> y, m or n
	local v
	v=$(sed -n "s/^CONFIG_$2=\(.*\)$/\1/p" "$1")
	echo "${v:-n}"
}

expected_driver() { # .config -> y or n, by the rule above
	local c=$1 s
	for s in VFIO IOMMUFD MLX5_VFIO_PCI PDS_VFIO_PCI SAMPLE_VFIO_MDEV_MDIRTY SAMPLE_VFIO_MDEV_MDIRTY_VMM IOMMUFD_TEST; do
		[ "$(cfgval "$c" $s)" != n ] && { echo y; return; }
	done
	if [ "$(cfgval "$c" IOMMUFD)" != n ]; then
		for s in AMD_IOMMU INTEL_IOMMU ARM_SMMU_V3; do
			[ "$(cfgval "$c" $s)" != n ] && { echo y; return; }
		done
	fi
	echo n
}

# Our files, whose W=1 warnings fail a configuration.
ours_re='(lib/iova_bitmap\.c|include/linux/iova_bitmap\.h|samples/vfio-mdev/mdirty[a-z_]*\.[ch])'

# Symbols whose flip rebuilds much of the kernel, heaviest first: AMD and
# Intel bring IRQ remapping and DMAR (about 1,000 objects), IOMMUFD is
# tested by <linux/sched/user.h> (about 680), mlx5 is a large driver;
# IOMMU_PT (generic_pt's formats) is light, grouped for its few objects.
# Configurations are built sorted by their values, so each heavy symbol
# changes a few times in the whole run instead of at every other step.
HEAVY_SYMS="INTEL_IOMMU AMD_IOMMU IOMMUFD IOMMUFD_DRIVER MLX5_CORE PDS_CORE IOMMU_IO_PGTABLE_LPAE IOMMU_PT IOMMUFD_TEST VFIO"

declare -A WHY DRV BDRV BREPORT KSECS

# 1. Kconfig, ours and the base's (stock 7.3): checks that need no build.
kconfig_check() { # name assignments
	local name=$1 assign=$2 t0 frag cfg why="" miss arch extra=
	t0=$(date +%s)
	arch=$(name_arch "$name")
	frag=$M/cfg/$name.frag
	# base.config's 64BIT=y is x86_64's; the others' fragments say theirs.
	[ "$arch" = x86_64 ] || extra=$REPO/tooling/config/matrix/common-$arch.config
	{ if [ "$arch" = x86_64 ]; then cat "$REPO/tooling/config/base.config"
	  else grep -v '^CONFIG_64BIT=' "$REPO/tooling/config/base.config"; fi
	  cat "$common" $extra
	  words "$assign"; } >"$frag"
	make_config "$SRC" "$M/kc-$arch" "$frag" "$M/cfg/$name.kconfig.log" "$arch" || why="allnoconfig failed"
	cp "$M/kc-$arch/.config" "$M/cfg/$name.config"
	cfg=$M/cfg/$name.config
	grep -qi warning "$M/cfg/$name.kconfig.log" && why="${why:+$why; }Kconfig warning"
	if [ "${name#random-}" = "$name" ]; then
		miss=$(words "$assign" >"$M/cfg/$name.want"; config_misses "$M/cfg/$name.want" "$cfg" | xargs)
		[ -z "$miss" ] || why="${why:+$why; }not applied: $miss"
	fi
	DRV[$name]=$(cfgval "$cfg" IOMMUFD_DRIVER)
	[ "${DRV[$name]}" = "$(expected_driver "$cfg")" ] ||
		why="${why:+$why; }IOMMUFD_DRIVER=${DRV[$name]} breaks the rule"
	make_config "$BASE" "$M/kc-base-$arch" "$frag" "$M/cfg/$name.base.log" "$arch" || true
	BDRV[$name]=$(cfgval "$M/kc-base-$arch/.config" IOMMUFD_DRIVER)
	BREPORT[$name]=-
	if [ "$(cfgval "$M/kc-base-$arch/.config" VFIO)" != n ]; then
		BREPORT[$name]=real
		[ "${BDRV[$name]}" = y ] || BREPORT[$name]="stub -EOPNOTSUPP"
	fi
	WHY[$name]=$why
	KSECS[$name]=$(( $(date +%s) - t0 ))
}

build_key() { # name -> sort key: architecture, the heavy symbols' values, the name
	local s key
	key="$(name_arch "$1")-"
	for s in $HEAVY_SYMS; do
		case $(cfgval "$M/cfg/$1.config" "$s") in
		n) key="${key}0" ;; m) key="${key}1" ;; *) key="${key}2" ;;
		esac
	done
	echo "$key $1"
}

# 2. Build and link, in build_key order; the caller objects.
build_check() { # name
	local name=$1 t0 cfg why=${WHY[$1]} built="" sym obj short res arch obj_dir
	t0=$(date +%s)
	cfg=$M/cfg/$name.config
	arch=$(name_arch "$name")
	obj_dir=$MOBJ
	[ "$arch" = x86_64 ] || obj_dir=$MOBJ-$arch
	mkdir -p "$obj_dir"
	cmp -s "$cfg" "$obj_dir/.config" || cp "$cfg" "$obj_dir/.config"
	if [ -z "$why" ] && [ $build = 1 ]; then
		if ! ARCH=$arch CROSS_COMPILE=$(cross_of "$arch") SRC=$SRC OBJ=$obj_dir \
			kmake -s W=1 olddefconfig >/dev/null 2>&1 ||
		   ! ARCH=$arch CROSS_COMPILE=$(cross_of "$arch") SRC=$SRC OBJ=$obj_dir \
			kmake W=1 vmlinux modules >"$M/cfg/$name.build.log" 2>&1; then
			why="build failed: $(grep -m1 -E 'error|ERROR' "$M/cfg/$name.build.log" | cut -c1-120)"
		fi
	fi
	if [ -z "$why" ] && [ $build = 1 ] && grep -E "warning" "$M/cfg/$name.build.log" | grep -qE "$ours_re"; then
		why="W=1 warning in our files"
	fi
	[ $build = 1 ] && while IFS=: read -r sym obj; do
		[ "$(cfgval "$cfg" "$sym")" = n ] && continue
		short=$(basename "$obj" .o)
		if [ -f "$obj_dir/$obj" ]; then
			built="$built,$short"
		else
			built="$built,!$short"
			[ -n "$why" ] || why="$obj not built with $sym set"
		fi
	done <<<"$CALLERS"
	built=${built#,}
	res=ok
	[ -z "$why" ] || { res=FAIL; fail=$((fail + 1)); }
	printf '%-40s %-6s %-6s %-16s %-44s %-8s %s\n' "$name" "${DRV[$name]}" "${BDRV[$name]}" \
		"${BREPORT[$name]}" "${built:--}" "$res" $(( $(date +%s) - t0 + KSECS[$name] )) | tee -a "$M/table"
	[ -z "$why" ] || echo "#   $name: $why" | tee -a "$M/table"
	if [ -z "$why" ]; then echo "ok $n matrix $name" >>"$tap"; else echo "not ok $n matrix $name # $why" >>"$tap"; fi
}

n=0 fail=0 t_all=$(date +%s)
tap=$M/tap
: >"$tap"
names=()
log "Kconfig of every configuration, ours and stock $BASE_NAME's"
while IFS=$'\t' read -r name assign; do
	kconfig_check "$name" "$assign"
	names+=("$name")
done < <(configurations)
log "${#names[@]} configurations; building them in the order of their heavy symbols ($HEAVY_SYMS)"
printf '%-40s %-6s %-6s %-16s %-44s %-8s %s\n' configuration DRIVER "$BASE_NAME" "$BASE_NAME VFIO report" "callers built" result seconds | tee "$M/table"
order=$(for name in "${names[@]}"; do build_key "$name"; done | sort | cut -d' ' -f2)
for name in $order; do
	n=$((n + 1))
	build_check "$name"
done
# The full matrix also builds the documentation (make docs): our page must
# build with no Sphinx warning naming our files (not with --kconfig-only).
if [ $quick = 0 ] && [ $build = 1 ]; then
	n=$((n + 1))
	t0=$(date +%s)
	if "$REPO/tooling/docs.sh" >"$M/docs.log" 2>&1; then res=ok; else res=FAIL; fail=$((fail + 1)); fi
	printf '%-40s %-6s %-6s %-16s %-44s %-8s %s\n' "docs (make htmldocs SPHINXDIRS=core-api)" - - - - "$res" $(( $(date +%s) - t0 )) | tee -a "$M/table"
	if [ $res = ok ]; then echo "ok $n docs" >>"$tap"; else echo "not ok $n docs" >>"$tap"; tail -5 "$M/docs.log"; fi
fi
echo "# $n configurations, $fail failed, $(( $(date +%s) - t_all ))s; logs in $M/cfg" | tee -a "$M/table"
if [ "${MATRIX_TAP:-0}" = 1 ]; then
	echo "KTAP version 1"
	echo "1..$n"
	cat "$tap"
fi
exit $((fail > 0))
