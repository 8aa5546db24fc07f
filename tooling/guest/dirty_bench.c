// SPDX-License-Identifier: GPL-2.0
/*
 * Time the two ways user space reads dirty bitmaps, for
 * tooling/bench-kernel.sh, which boots this on our kernel and on stock 7.3:
 * IOMMU_HWPT_GET_DIRTY_BITMAP over the iommufd mock domain (records in
 * IOVA order) and VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT of an mdirty mdev
 * (records in the order the device wrote: unsorted, like mlx5).
 *
 *   dirty_bench [-d vfio-cdev] [MiB [reps]]
 *       (defaults: no device, 512 MiB mapped, 25 timed reads per pattern)
 *
 * Mock patterns: one mapping of MiB, tracked by a dirty-tracking mock HWPT
 * with IOMMU_OPTION_HUGE_PAGES off, so each host page is one IOPTE (two
 * contiguous 2 KiB entries of generic_pt's mock format): the walker makes
 * one iova_bitmap_set() per dirty IOPTE, in IOVA order.  For each pattern the device "writes" a set
 * of IO pages (IOMMU_TEST_OP_DIRTY), one read is checked bit for bit
 * against that set, then reps reads with NO_CLEAR are timed.  Patterns
 * follow the user-space bench where the mock allows:
 *   walk   nothing dirty: the mock walker and ioctl alone
 *   all    every IO page dirty (S1: contiguous records)
 *   alt    every other IO page (S6)
 *   rand   1 in 16 IO pages, random (S5, but in IOVA order: the walker
 *          visits IOPTEs in order)
 *   one    a single IO page in the middle (S4)
 *
 * Device patterns (-d: the vfio device cdev of an mdev of the mdirty
 * sample, samples/vfio-mdev/mdirty.c, which the guest's init creates):
 * the device is bound to the same iommufd, attached to an IOAS of its own
 * and put in its mlx5-like "ranges" mode: one record per written range, in
 * the order written.  Each pattern STARTs DMA logging at 4 KiB pages (QEMU's)
 * over its range, writes its set with one 4 KiB MDIRTY_DMA_WRITE per page,
 * REPORTs once over the whole range (checked bit for bit, and a second
 * REPORT must be empty), then times reps REPORTs over the whole range.  A
 * REPORT consumes the log (VFIO's REPORT has no NO_CLEAR flag), so before
 * each timed REPORT the set is written again, untimed.  A REPORT's time is the VFIO
 * core, mdirty's pass over its log and the library, with no walk in it.
 * mdirty's log holds at most MDIRTY_MAX_WRITES (4096) writes, so a set is
 * at most 4096 pages, and 1 in 16 pages (rand's density) fits in 256 MiB
 * at most:
 *   dev-rand    npages / 16 = 4096 draws of random 4 KiB pages of 256 MiB,
 *               as rand draws (3,961 distinct pages, 6.0%; bitmap 8 KiB,
 *               2 user pages), written in a random order
 *   dev-sorted  the same pages, written in ascending order: what the order
 *               alone costs
 *   dev-wide    4096 draws of random 4 KiB pages of 256 GiB (4,095
 *               distinct; bitmap 8 MiB: 2048 user pages, four of the stock library's
 *               512-page windows, each pinned whole and read by its own
 *               call into the driver; the span of S5), in a random order
 * Without -d they are skipped ("ok N dev-... # SKIP").
 *
 * Each pattern prints
 *   BENCH <pattern> <dirty pages> <min us> <median us>
 * KTAP "ok" lines say each pattern read back exactly.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>
#include "drivers/iommu/iommufd/iommufd_test.h"
#include "samples/vfio-mdev/mdirty.h"

#define IOVA_BASE (1UL << 24)	/* MOCK_APERTURE_START */

#define DEV_PAGE	4096ULL		/* the REPORT and START page size: QEMU's */
#define DEV_IOVA	(1ULL << 30)	/* where the device patterns' ranges start */

static int fd;
static int vfd = -1;	/* the mdirty device, bound to fd */
static uint32_t hwpt;
static unsigned long io_page, npages, nbytes;
static int ntest, nfail;

static void result(bool ok, const char *what)
{
	ntest++;
	nfail += !ok;
	printf("%sok %d %s\n", ok ? "" : "not ", ntest, what);
}

static int get_dirty(void *bitmap, uint32_t flags)
{
	struct iommu_hwpt_get_dirty_bitmap cmd = {
		.size = sizeof(cmd),
		.hwpt_id = hwpt,
		.flags = flags,
		.iova = IOVA_BASE,
		.length = npages * io_page,
		.page_size = io_page,
		.data = (uintptr_t)bitmap,
	};

	return ioctl(fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &cmd) ? -errno : 0;
}

static int mark_dirty(const uint8_t *want, unsigned long *nr)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_DIRTY,
		.id = hwpt,
		.dirty = {
			.iova = IOVA_BASE,
			.length = npages * io_page,
			.page_size = io_page,
			.uptr = (uintptr_t)want,
		},
	};
	int ret = ioctl(fd, IOMMU_TEST_CMD, &cmd) ? -errno : 0;

	*nr = cmd.dirty.out_nr_dirty;
	return ret;
}

static int setup(unsigned long mib)
{
	struct iommu_ioas_alloc ioas = { .size = sizeof(ioas) };
	struct iommu_test_cmd mock = {
		.size = sizeof(mock),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN,
	};
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.length = mib << 20,
		.iova = IOVA_BASE,
	};
	struct iommu_hwpt_alloc alloc = {
		.size = sizeof(alloc),
		.flags = IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
	};
	struct iommu_hwpt_set_dirty_tracking track = {
		.size = sizeof(track),
		.flags = IOMMU_HWPT_DIRTY_TRACKING_ENABLE,
	};
	struct iommu_option huge_off = {
		.size = sizeof(huge_off),
		.option_id = IOMMU_OPTION_HUGE_PAGES,
		.op = IOMMU_OPTION_OP_SET,
		.val64 = 0,
	};
	void *buf;

	fd = open("/dev/iommu", O_RDWR);
	if (fd < 0 || ioctl(fd, IOMMU_IOAS_ALLOC, &ioas))
		return perror("/dev/iommu, IOAS_ALLOC"), -1;
	/* One IOPTE per host page, however the pages lie in memory. */
	huge_off.object_id = ioas.out_ioas_id;
	if (ioctl(fd, IOMMU_OPTION, &huge_off))
		return perror("IOMMU_OPTION HUGE_PAGES"), -1;
	mock.id = ioas.out_ioas_id;
	if (ioctl(fd, IOMMU_TEST_CMD, &mock))
		return perror("MOCK_DOMAIN"), -1;
	buf = mmap(NULL, map.length, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (buf == MAP_FAILED)
		return perror("mmap"), -1;
	map.ioas_id = ioas.out_ioas_id;
	map.user_va = (uintptr_t)buf;
	if (ioctl(fd, IOMMU_IOAS_MAP, &map))
		return perror("IOAS_MAP"), -1;
	alloc.dev_id = mock.mock_domain.out_idev_id;
	alloc.pt_id = ioas.out_ioas_id;
	if (ioctl(fd, IOMMU_HWPT_ALLOC, &alloc))
		return perror("HWPT_ALLOC"), -1;
	hwpt = alloc.out_hwpt_id;
	track.hwpt_id = hwpt;
	if (ioctl(fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &track))
		return perror("SET_DIRTY_TRACKING"), -1;
	/*
	 * The mock (generic_pt's amdv1 with a 2 KiB granule) maps a host page
	 * as one IOPTE of two contiguous entries and reports it whole.
	 */
	io_page = sysconf(_SC_PAGESIZE);
	npages = map.length / io_page;
	nbytes = (npages + 7) / 8;
	return 0;
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void run(const char *name, const uint8_t *want, int reps)
{
	uint8_t *got = malloc(nbytes), *scratch = malloc(nbytes);
	double t[reps];
	unsigned long i, nwant = 0, nmarked = 0;
	char what[80];
	bool same;
	int r, ret;

	for (i = 0; i < npages; i++)
		nwant += want[i / 8] >> (i % 8) & 1;
	/* Start clean: a clearing read takes whatever earlier patterns left. */
	ret = get_dirty(scratch, 0);
	ret = ret ?: mark_dirty(want, &nmarked);
	memset(got, 0, nbytes);
	ret = ret ?: get_dirty(got, IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR);
	same = !ret && nmarked == nwant && !memcmp(got, want, nbytes);
	snprintf(what, sizeof(what), "%s: %lu dirty IO pages read back exactly",
		 name, nwant);
	result(same, what);
	if (ret)
		printf("# %s: error %d\n", name, ret);

	for (r = 0; r < reps; r++) {
		memset(got, 0, nbytes);
		t[r] = now_us();
		ret = get_dirty(got, IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR);
		t[r] = now_us() - t[r];
		if (ret)
			printf("# %s: timed read failed %d\n", name, ret);
	}
	qsort(t, reps, sizeof(t[0]), cmp_double);
	printf("BENCH %s %lu %.0f %.0f\n", name, nwant, t[0], t[reps / 2]);
	free(got);
	free(scratch);
}

static int dev_feature(uint32_t flags, const void *data, size_t len)
{
	union {
		struct vfio_device_feature f;
		uint8_t raw[sizeof(struct vfio_device_feature) + 64];
	} buf = { .f = { .argsz = sizeof(buf.f) + len, .flags = flags } };

	if (len)
		memcpy(buf.f.data, data, len);
	return ioctl(vfd, VFIO_DEVICE_FEATURE, &buf) ? -errno : 0;
}

static int dev_log_start(uint64_t iova, uint64_t length)
{
	struct vfio_device_feature_dma_logging_range range = {
		.iova = iova,
		.length = length,
	};
	struct vfio_device_feature_dma_logging_control ctl = {
		.page_size = DEV_PAGE,
		.num_ranges = 1,
		.ranges = (uintptr_t)&range,
	};

	return dev_feature(VFIO_DEVICE_FEATURE_SET |
			   VFIO_DEVICE_FEATURE_DMA_LOGGING_START, &ctl, sizeof(ctl));
}

static int dev_log_stop(void)
{
	return dev_feature(VFIO_DEVICE_FEATURE_SET |
			   VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP, NULL, 0);
}

static int dev_report(uint64_t iova, uint64_t length, void *bitmap)
{
	struct vfio_device_feature_dma_logging_report rep = {
		.iova = iova,
		.length = length,
		.page_size = DEV_PAGE,
		.bitmap = (uintptr_t)bitmap,
	};

	return dev_feature(VFIO_DEVICE_FEATURE_GET |
			   VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT, &rep, sizeof(rep));
}

/* The device writes page pages[i] of the range at @iova, in array order. */
static int dev_write(uint64_t iova, const uint64_t *pages, unsigned long n)
{
	struct mdirty_dma dma = { .argsz = sizeof(dma), .length = DEV_PAGE };
	unsigned long i;

	for (i = 0; i < n; i++) {
		dma.iova = iova + pages[i] * DEV_PAGE;
		if (ioctl(vfd, MDIRTY_DMA_WRITE, &dma))
			return -errno;
	}
	return 0;
}

/*
 * Opens the mdirty device's vfio cdev, binds it to fd, attaches it to a
 * new IOAS and sets the mlx5-like report mode.
 */
static int dev_open(const char *path)
{
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct vfio_device_attach_iommufd_pt attach = { .argsz = sizeof(attach) };
	struct iommu_ioas_alloc ioas = { .size = sizeof(ioas) };

	vfd = open(path, O_RDWR);
	if (vfd < 0)
		return -errno;
	bind.iommufd = fd;
	if (ioctl(vfd, VFIO_DEVICE_BIND_IOMMUFD, &bind) ||
	    ioctl(fd, IOMMU_IOAS_ALLOC, &ioas))
		return -errno;
	attach.pt_id = ioas.out_ioas_id;
	if (ioctl(vfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach) ||
	    ioctl(vfd, MDIRTY_SET_MODE, MDIRTY_MODE_RANGES))
		return -errno;
	return 0;
}

static void skip(const char *name, const char *why)
{
	ntest++;
	printf("ok %d %s # SKIP %s\n", ntest, name, why);
}

/*
 * A device pattern: the device writes pages[0..n) (page numbers of the
 * 4 KiB pages of [DEV_IOVA, DEV_IOVA + span), distinct) in that order; one
 * REPORT over the span is checked, and must leave nothing for a second;
 * then reps REPORTs are timed, each after the same writes (untimed), and
 * each checked too.
 */
static void run_dev(const char *name, uint64_t span, const uint64_t *pages,
		    unsigned long n, int reps)
{
	size_t nbytes = (span / DEV_PAGE + 7) / 8;
	uint8_t *want = calloc(nbytes, 1);
	uint8_t *got = mmap(NULL, nbytes, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	double t[reps];
	unsigned long i;
	int r, ret, bad = 0;
	char what[120];

	if (!want || got == MAP_FAILED) {
		result(false, name);
		printf("# %s: out of memory\n", name);
		return;
	}
	for (i = 0; i < n; i++)
		want[pages[i] / 8] |= 1 << (pages[i] % 8);

	ret = dev_log_start(DEV_IOVA, span);
	ret = ret ?: dev_write(DEV_IOVA, pages, n);
	memset(got, 0, nbytes);
	ret = ret ?: dev_report(DEV_IOVA, span, got);
	bad += !ret && memcmp(got, want, nbytes);
	/* The log is consumed: a second REPORT finds nothing. */
	memset(got, 0, nbytes);
	ret = ret ?: dev_report(DEV_IOVA, span, got);
	for (i = 0; !ret && i < nbytes; i++)
		bad += got[i] != 0;
	if (ret)
		printf("# %s: error %d\n", name, ret);

	for (r = 0; !ret && r < reps; r++) {
		ret = dev_write(DEV_IOVA, pages, n);
		memset(got, 0, nbytes);
		t[r] = now_us();
		ret = ret ?: dev_report(DEV_IOVA, span, got);
		t[r] = now_us() - t[r];
		bad += !ret && memcmp(got, want, nbytes);
		if (ret)
			printf("# %s: timed REPORT %d failed %d\n", name, r, ret);
	}
	/* Stopped whatever happened, so the next pattern can START. */
	r = dev_log_stop();
	ret = ret ?: r;
	snprintf(what, sizeof(what),
		 "%s: %lu dirty pages reported exactly by each of %d REPORTs",
		 name, n, reps + 1);
	result(!ret && !bad, what);
	if (bad)
		printf("# %s: %d REPORTs differed from the pages written\n", name, bad);
	if (!ret) {
		qsort(t, reps, sizeof(t[0]), cmp_double);
		printf("BENCH %s %lu %.0f %.0f\n", name, n, t[0], t[reps / 2]);
	}
	munmap(got, nbytes);
	free(want);
}

/*
 * MDIRTY_MAX_WRITES draws of random pages of @span (with the generator of
 * rand), as their distinct page numbers, ascending; returns how many.
 */
static unsigned long dev_set(uint64_t span, uint64_t seed, uint64_t *pages)
{
	uint64_t npages = span / DEV_PAGE, pg;
	uint8_t *set = calloc((npages + 7) / 8, 1);
	unsigned long i, n = 0;

	if (!set)
		return 0;
	for (i = 0; i < MDIRTY_MAX_WRITES; i++) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		pg = (seed >> 20) % npages;
		set[pg / 8] |= 1 << (pg % 8);
	}
	for (pg = 0; pg < npages; pg++)
		if (set[pg / 8] >> (pg % 8) & 1)
			pages[n++] = pg;
	free(set);
	return n;
}

/* The device's order: a random permutation (Fisher-Yates). */
static void dev_shuffle(uint64_t *pages, unsigned long n, uint64_t seed)
{
	unsigned long i, j;
	uint64_t tmp;

	for (i = n; i > 1; i--) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		j = (seed >> 20) % i;
		tmp = pages[i - 1];
		pages[i - 1] = pages[j];
		pages[j] = tmp;
	}
}

#define DEV_RAND_SPAN	(MDIRTY_MAX_WRITES * 16 * DEV_PAGE)	/* 256 MiB */
#define DEV_WIDE_SPAN	(256ULL << 30)

static void run_devs(const char *path, int reps)
{
	static const char *const names[] = { "dev-rand", "dev-sorted", "dev-wide" };
	uint64_t *pages = calloc(MDIRTY_MAX_WRITES, sizeof(*pages));
	uint64_t *sorted = calloc(MDIRTY_MAX_WRITES, sizeof(*sorted));
	unsigned long n;
	unsigned int k;
	int ret;

	if (!path) {
		for (k = 0; k < 3; k++)
			skip(names[k], "no mdirty device (-d)");
		goto out;
	}
	ret = pages && sorted ? dev_open(path) : -ENOMEM;
	if (ret) {
		for (k = 0; k < 3; k++) {
			result(false, names[k]);
			printf("# %s: %s: %s\n", names[k], path, strerror(-ret));
		}
		goto out;
	}
	printf("# dev patterns: REPORTs of the mdirty device %s in mlx5-like ranges mode (device order), %llu-byte pages, the set rewritten before each timed REPORT; dev-rand, dev-sorted: %llu MiB logged (bitmap %llu bytes); dev-wide: %llu GiB (bitmap %llu bytes)\n",
	       path, DEV_PAGE, DEV_RAND_SPAN >> 20, DEV_RAND_SPAN / DEV_PAGE / 8,
	       DEV_WIDE_SPAN >> 30, DEV_WIDE_SPAN / DEV_PAGE / 8);

	n = dev_set(DEV_RAND_SPAN, 2026, sorted);
	memcpy(pages, sorted, n * sizeof(*pages));
	dev_shuffle(pages, n, 2027);
	run_dev("dev-rand", DEV_RAND_SPAN, pages, n, reps);
	run_dev("dev-sorted", DEV_RAND_SPAN, sorted, n, reps);

	n = dev_set(DEV_WIDE_SPAN, 2028, pages);
	dev_shuffle(pages, n, 2029);
	run_dev("dev-wide", DEV_WIDE_SPAN, pages, n, reps);
out:
	free(pages);
	free(sorted);
}

int main(int argc, char **argv)
{
	const char *dev = NULL;
	unsigned long mib = 512;
	int reps = 25, opt;
	uint64_t s = 2026;
	uint8_t *want;
	unsigned long i;

	while ((opt = getopt(argc, argv, "d:")) != -1) {
		if (opt != 'd') {
			fprintf(stderr, "usage: %s [-d vfio-cdev] [MiB [reps]]\n", argv[0]);
			return 2;
		}
		dev = optarg;
	}
	if (optind < argc)
		mib = strtoul(argv[optind++], NULL, 0);
	if (optind < argc)
		reps = atoi(argv[optind++]);

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("KTAP version 1\n1..8\n");
	if (!mib || reps < 1 || setup(mib))
		return 1;
	printf("# %lu MiB mapped: %lu IO pages of %lu bytes, bitmap %lu bytes, %d timed reads each\n",
	       mib, npages, io_page, nbytes, reps);
	want = calloc(nbytes, 1);

	run("walk", want, reps);

	memset(want, 0xff, nbytes);
	if (npages % 8)
		want[nbytes - 1] = (1 << (npages % 8)) - 1;
	run("all", want, reps);

	memset(want, 0, nbytes);
	for (i = 0; i < npages; i += 2)
		want[i / 8] |= 1 << (i % 8);
	run("alt", want, reps);

	memset(want, 0, nbytes);
	for (i = 0; i < npages / 16; i++) {
		unsigned long pg;

		s = s * 6364136223846793005ULL + 1442695040888963407ULL;
		pg = (s >> 20) % npages;
		want[pg / 8] |= 1 << (pg % 8);
	}
	run("rand", want, reps);

	memset(want, 0, nbytes);
	want[npages / 2 / 8] |= 1 << (npages / 2 % 8);
	run("one", want, reps);

	run_devs(dev, reps);

	printf("# Totals: pass:%d fail:%d\n", ntest - nfail, nfail);
	return nfail ? 1 : 0;
}
