// SPDX-License-Identifier: GPL-2.0
/*
 * Time IOMMU_HWPT_GET_DIRTY_BITMAP over the iommufd mock domain, for
 * tooling/bench-kernel.sh, which boots this on our kernel and on 6.12.
 *
 *   dirty_bench [MiB [reps]]     (defaults: 512 MiB mapped, 25 reads)
 *
 * One mapping of MiB, tracked by a dirty-tracking mock HWPT with 2 KiB IO
 * pages: the mock walker makes one iova_bitmap_set() per dirty IOPTE, in
 * IOVA order.  For each pattern the device "writes" a set of IO pages
 * (IOMMU_TEST_OP_DIRTY), one read is checked bit for bit against that set,
 * then reps reads with NO_CLEAR are timed; the fastest and the median are
 * printed as
 *   BENCH <pattern> <dirty pages> <min us> <median us>
 * Patterns follow the user-space bench where the mock allows:
 *   walk   nothing dirty: the mock walker and ioctl alone
 *   all    every IO page dirty (S1: contiguous records)
 *   alt    every other IO page (S6)
 *   rand   1 in 16 IO pages, random (S5, but in IOVA order: the walker
 *          visits IOPTEs in order)
 *   one    a single IO page in the middle (S4)
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
#include "drivers/iommu/iommufd/iommufd_test.h"

#define IOVA_BASE (1UL << 24)	/* MOCK_APERTURE_START */

static int fd;
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
	void *buf;

	fd = open("/dev/iommu", O_RDWR);
	if (fd < 0 || ioctl(fd, IOMMU_IOAS_ALLOC, &ioas))
		return perror("/dev/iommu, IOAS_ALLOC"), -1;
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
	io_page = sysconf(_SC_PAGESIZE) / 2;	/* the mock's IO page */
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

int main(int argc, char **argv)
{
	unsigned long mib = argc > 1 ? strtoul(argv[1], NULL, 0) : 512;
	int reps = argc > 2 ? atoi(argv[2]) : 25;
	uint64_t s = 2026;
	uint8_t *want;
	unsigned long i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("KTAP version 1\n1..5\n");
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

	printf("# Totals: pass:%d fail:%d\n", ntest - nfail, nfail);
	return nfail ? 1 : 0;
}
