// SPDX-License-Identifier: GPL-2.0
/*
 * A real VMM as the client: QEMU live-migrates a small guest while an
 * mdirty_vmm mdev (samples/vfio-mdev/mdirty_vmm.c) writes the guest's
 * memory by DMA, and the destination must get every page the device wrote.
 *
 * The guest runs no OS: its firmware halts the vCPU at once, so nothing
 * but the device writes its RAM.  QEMU's own dirty tracking never sees a
 * write the kernel makes with vfio_dma_rw(); the destination gets the new
 * content only if the device's REPORT (VFIO DMA logging, through
 * iova_bitmap) set the page's bit.  For each case:
 *
 *   1. create two mdevs (source, destination), start the source QEMU,
 *      fill its RAM by DMA (logging off: the first pass sends it all);
 *   2. migrate to a file with a bandwidth limit, so that it iterates;
 *      while it runs, the device writes pages QEMU has already sent and
 *      pages it has not, then more during the second pass;
 *   3. dump the source's RAM when migration completes; start the
 *      destination, load the file, dump its RAM;
 *   4. compare both dumps as a whole and at every page the device wrote,
 *      against the pattern it wrote.
 *
 * One write runs past the end of the guest's low RAM into the option ROM
 * area, which the device may only read: the device writes the page in RAM,
 * then fails; that page too must reach the destination.  It is made in the
 * first pass with the others, so that whether it is made does not depend
 * on how soon this test sees a dirty sync.
 *
 * Cases: the iommufd backend and the legacy VFIO container, each with
 * device dirty tracking; a negative control (one write left out of the
 * device's log: the destination must have that page stale, and this test
 * must find it); and x-device-dirty-page-tracking=off.  Without device
 * tracking QEMU 10.0.2 refuses to migrate on both backends ("VFIO device
 * doesn't support device and IOMMU dirty tracking": an mdev has no IOMMU
 * dirty tracking on iommufd, and QEMU does not use type1's for it either)
 * unless enable-migration=on, and then it migrates with no dirty
 * information for the device: every page the device wrote after QEMU sent
 * it is stale on the destination, which this test checks too.
 *
 * Prints KTAP; exit status 0 when all cases pass.
 *   migrate_test [-q QEMU] [-f FIRMWARE] [case...]
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MiB (1024UL * 1024)
#define GUEST_RAM (64 * MiB)
#define PAGE 4096UL
/*
 * Low RAM ends where the option ROM area begins: QEMU's pc machine maps
 * that area read-only for a device, so a write into it fails (-EPERM)
 */
#define LOW_RAM_END 0xc0000UL
/* The device fills [FILL_START, GUEST_RAM) before migrating: below 1M is the VGA/BIOS hole */
#define FILL_START (1 * MiB)
#define FILL_CHUNK (16 * MiB)
/* Slow enough that the first pass takes seconds; pages are not zero */
#define BANDWIDTH (24 * MiB)
#define MAX_WRITES 16
#define TIMEOUT_S 180

static const char *qemu = "/usr/bin/qemu-system-x86_64";
static const char *firmware = "/usr/share/l2/halt.bin";
static const char *parent_type = "/sys/class/mdev_bus/mdirty_vmm/mdev_supported_types/mdirty_vmm-1/create";
static const char *const uuids[2] = {
	"5a1e0c3e-7b9d-4c21-9f0e-2d6b8a41c001",
	"5a1e0c3e-7b9d-4c21-9f0e-2d6b8a41c002",
};

static int ntest, nfail;

struct write {
	uint64_t iova, length, pattern;
	bool unlogged;
	int pass;		/* 1: first pass; 2: after the second dirty sync */
	bool sent_before;	/* into pages QEMU had sent already */
	bool tried;
	bool done;		/* the device made it (not refused: stopped) */
};

/* Ends past low RAM: the device fails at the first page it may not write */
static bool past_low_ram(const struct write *w)
{
	return w->iova < LOW_RAM_END && w->iova + w->length > LOW_RAM_END;
}

/* End of what a write puts in RAM */
static uint64_t write_end(const struct write *w)
{
	return past_low_ram(w) ? LOW_RAM_END : w->iova + w->length;
}

struct run {
	const char *name;
	bool iommufd;
	bool tracking_off;
	bool force_migration;	/* enable-migration=on */
	bool negative;		/* one write left out of the log */
	const char *style;	/* the device's log order: ranges or pages */
	/* results */
	struct write w[MAX_WRITES];
	int nw;
	unsigned long syncs;
	double seconds;
	char history[8192];
	char error[512];
};

static void note(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;
	int err;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	err = n < 0 ? -errno : 0;
	close(fd);
	return err;
}

static int read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n, got = 0;

	if (fd < 0)
		return -errno;
	while (got < (ssize_t)size - 1 && (n = read(fd, buf + got, size - 1 - got)) > 0)
		got += n;
	buf[got] = 0;
	close(fd);
	return 0;
}

static void mdev_attr(char *path, size_t size, int dev, const char *attr)
{
	snprintf(path, size, "/sys/bus/mdev/devices/%s/mdirty_vmm/%s", uuids[dev], attr);
}

static int dma_write(int dev, struct write *w)
{
	char path[256], cmd[128];

	mdev_attr(path, sizeof(path), dev, "dma_write");
	snprintf(cmd, sizeof(cmd), "%llx %llx %llx%s", (unsigned long long)w->iova,
		 (unsigned long long)w->length, (unsigned long long)w->pattern,
		 w->unlogged ? " unlogged" : "");
	return write_file(path, cmd);
}

static unsigned long long mdev_number(int dev, const char *attr)
{
	char path[256], buf[64];

	mdev_attr(path, sizeof(path), dev, attr);
	if (read_file(path, buf, sizeof(buf)))
		return ~0ULL;
	return strtoull(buf, NULL, 0);
}

/* QEMU, with QMP on its stdin and stdout: the test kernel has no sockets */

struct vm {
	pid_t pid;
	int qmp_in;		/* QEMU's stdin */
	int qmp_out;		/* QEMU's stdout */
	char log[64];
};

static void run_error(struct run *r, const char *fmt, ...)
{
	va_list ap;

	if (r->error[0])
		return;
	va_start(ap, fmt);
	vsnprintf(r->error, sizeof(r->error), fmt, ap);
	va_end(ap);
}

static int vm_start(struct vm *vm, struct run *r, int dev, const char *role,
		    bool incoming)
{
	char sysfsdev[128], device[256], trace[96];
	int to_qemu[2], from_qemu[2];
	const char *argv[40];
	int argc = 0;

	snprintf(vm->log, sizeof(vm->log), "/tmp/%s.log", role);
	snprintf(sysfsdev, sizeof(sysfsdev), "/sys/bus/mdev/devices/%s", uuids[dev]);
	snprintf(device, sizeof(device), "vfio-pci,sysfsdev=%s%s%s%s", sysfsdev,
		 r->iommufd ? ",iommufd=fd0" : "",
		 r->tracking_off ? ",x-device-dirty-page-tracking=off" : "",
		 r->force_migration ? ",enable-migration=on" : "");
	snprintf(trace, sizeof(trace), "file=/tmp/%s.trace", role);

	static const char *const fixed[] = {
		"-nodefaults", "-display", "none", "-machine", "pc", "-accel", "tcg",
		"-m", "64M", "-qmp", "stdio",
		"-trace", "vfio_device_dirty_tracking_start",
		"-trace", "vfio_get_dirty_bitmap",
		"-trace", "vfio_migration_state_notifier",
	};
	unsigned int i;

	argv[argc++] = qemu;
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		argv[argc++] = fixed[i];
	argv[argc++] = "-bios";
	argv[argc++] = firmware;
	if (r->iommufd) {
		argv[argc++] = "-object";
		argv[argc++] = "iommufd,id=fd0";
	}
	argv[argc++] = "-device";
	argv[argc++] = device;
	argv[argc++] = "-trace";
	argv[argc++] = trace;
	if (incoming) {
		argv[argc++] = "-incoming";
		argv[argc++] = "defer";
	}
	argv[argc] = NULL;

	if (pipe2(to_qemu, O_CLOEXEC) || pipe2(from_qemu, O_CLOEXEC))
		return -errno;
	vm->pid = fork();
	if (vm->pid < 0)
		return -errno;
	if (!vm->pid) {
		int fd = open(vm->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(to_qemu[0], 0);
		dup2(from_qemu[1], 1);
		dup2(fd, 2);
		execv(qemu, (char **)argv);
		_exit(127);
	}
	close(to_qemu[0]);
	close(from_qemu[1]);
	vm->qmp_in = to_qemu[1];
	vm->qmp_out = from_qemu[0];
	return 0;
}

/* One line of QMP that is a reply (not an event); NULL on EOF */
static char *qmp_reply(struct vm *vm, char *buf, size_t size)
{
	size_t len = 0;

	for (;;) {
		char *nl;
		ssize_t n;

		buf[len] = 0;
		while ((nl = strchr(buf, '\n'))) {
			*nl = 0;
			if (!strstr(buf, "\"event\"") && !strstr(buf, "\"QMP\""))
				return buf;
			len -= nl + 1 - buf;
			memmove(buf, nl + 1, len + 1);
		}
		if (len >= size - 1)
			return NULL;
		n = read(vm->qmp_out, buf + len, size - 1 - len);
		if (n <= 0)
			return NULL;
		len += n;
	}
}

static char *qmp(struct vm *vm, char *buf, size_t size, const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd) - 1, fmt, ap);
	va_end(ap);
	cmd[n++] = '\n';
	if (write(vm->qmp_in, cmd, n) != n)
		return NULL;
	return qmp_reply(vm, buf, size);
}

static bool qmp_ok(struct vm *vm, struct run *r, const char *fmt, ...)
{
	char cmd[512], buf[4096];
	char *reply;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	reply = qmp(vm, buf, sizeof(buf), "%s", cmd);
	if (reply && strstr(reply, "\"return\""))
		return true;
	run_error(r, "QMP %s: %s", cmd, reply ? reply : "no reply");
	return false;
}

static unsigned long long json_number(const char *json, const char *key)
{
	char pat[64];
	const char *p, *ram = strstr(json, "\"ram\": {");

	/* RAM's counters: other sections have keys of the same names */
	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	p = strstr(ram ? ram : json, pat);
	return p ? strtoull(p + strlen(pat), NULL, 10) : 0;
}

static bool json_string(const char *json, const char *key, char *out, size_t size)
{
	char pat[64];
	const char *p, *e;

	snprintf(pat, sizeof(pat), "\"%s\": \"", key);
	p = strstr(json, pat);
	if (!p)
		return false;
	p += strlen(pat);
	e = strchr(p, '"');
	if (!e || (size_t)(e - p) >= size)
		return false;
	memcpy(out, p, e - p);
	out[e - p] = 0;
	return true;
}

static void vm_stop(struct vm *vm)
{
	char buf[1024];
	int i, status;

	if (!vm->pid)
		return;
	qmp(vm, buf, sizeof(buf), "{\"execute\": \"quit\"}");
	for (i = 0; i < 100; i++) {
		if (waitpid(vm->pid, &status, WNOHANG) == vm->pid)
			goto out;
		usleep(100000);
	}
	kill(vm->pid, SIGKILL);
	waitpid(vm->pid, &status, 0);
out:
	close(vm->qmp_in);
	close(vm->qmp_out);
	vm->pid = 0;
}

static void print_file(const char *path, const char *prefix, int max)
{
	char line[512];
	FILE *f = fopen(path, "r");

	if (!f)
		return;
	while (max-- > 0 && fgets(line, sizeof(line), f))
		printf("# %s%s", prefix, line);
	fclose(f);
}

/* What the device wrote at a: each 64-bit word is pattern ^ its address */
static uint8_t pattern_byte(uint64_t pattern, uint64_t a)
{
	return (pattern ^ (a & ~7ULL)) >> (8 * (a & 7));
}

/* Migration */

/* Makes up to max of the writes planned for a pass; returns how many */
static int device_writes(struct run *r, int dev, int pass, int max,
			 unsigned long long syncs)
{
	int i, n = 0;

	for (i = 0; i < r->nw && n < max; i++) {
		struct write *w = &r->w[i];
		int ret;

		if (w->pass != pass || w->tried)
			continue;
		w->tried = true;
		n++;
		ret = dma_write(dev, w);
		/* Past low RAM: an error, after it wrote the part in RAM */
		w->done = past_low_ram(w) ? ret && ret != -EBUSY : !ret;
		if (past_low_ram(w) && !ret)
			run_error(r, "a write past low RAM did not fail");
		note("%s: device %s [0x%llx, +0x%llx) pattern 0x%llx%s at dirty sync %llu (%s)%s%s",
		     r->name, !w->done ? "did not write" :
		     past_low_ram(w) ? "wrote part of" : "wrote",
		     (unsigned long long)w->iova, (unsigned long long)w->length,
		     (unsigned long long)w->pattern,
		     w->unlogged ? ", left out of its log" : "", syncs,
		     w->sent_before ? "already sent" : "not sent yet",
		     ret ? ": " : "", ret ? strerror(-ret) : "");
	}
	return n;
}

static bool wait_migration(struct vm *vm, struct run *r, int dev, bool source)
{
	double start = now();
	unsigned long long last_sync = 0;
	char buf[8192], status[32];
	int phase = 0;

	for (;;) {
		char *reply = qmp(vm, buf, sizeof(buf), "{\"execute\": \"query-migrate\"}");
		unsigned long long sent, syncs;

		if (!reply || !json_string(reply, "status", status, sizeof(status))) {
			run_error(r, "query-migrate: %s", reply ? reply : "no reply");
			return false;
		}
		if (!strcmp(status, "completed"))
			break;
		if (!strcmp(status, "failed") || !strcmp(status, "cancelled")) {
			char desc[256] = "";

			json_string(reply, "error-desc", desc, sizeof(desc));
			run_error(r, "migration %s: %s", status, desc);
			return false;
		}
		if (now() - start > TIMEOUT_S) {
			run_error(r, "migration still %s after %d s", status, TIMEOUT_S);
			return false;
		}
		sent = json_number(reply, "transferred");
		syncs = json_number(reply, "dirty-sync-count");
		if (getenv("MIGRATE_DEBUG"))
			note("%s", reply);
		if (source && !strcmp(status, "active")) {
			/* First pass, up to 24 MiB sent: write both sides of that */
			if (phase == 0 && syncs == 1 && sent > 24 * MiB) {
				device_writes(r, dev, 1, MAX_WRITES, syncs);
				phase = 1;
				/* No dirty information: it converges only if allowed to stop long */
				if (r->force_migration &&
				    !qmp_ok(vm, r, "{\"execute\": \"migrate-set-parameters\", \"arguments\": {\"downtime-limit\": 10000}}"))
					return false;
			}
			/*
			 * Later passes: one write after each new dirty sync, more
			 * than the downtime limit lets QEMU stop for, so that it
			 * iterates until the device is done.
			 */
			if (phase == 1 && syncs >= 2 && syncs != last_sync)
				device_writes(r, dev, 2, 1, syncs);
			last_sync = syncs;
		}
		if (source)
			r->syncs = syncs;
		usleep(20000);
	}
	r->seconds = now() - start;
	if (source) {
		char *reply = qmp(vm, buf, sizeof(buf), "{\"execute\": \"query-migrate\"}");

		if (reply)
			r->syncs = json_number(reply, "dirty-sync-count");
	}
	return true;
}

static void plan_writes(struct run *r)
{
	static const struct { uint64_t iova, length; int pass; bool sent_before; } plan[] = {
		/*
		 * pass 1, already sent: two pages, 4 KiB from 2 KiB into a
		 * page, and 1 MiB: more than QEMU sends in the downtime limit,
		 * so that it iterates
		 */
		{ 2 * MiB, 2 * PAGE, 1, true },
		{ 5 * MiB + 0x800, 0x1000, 1, true },
		{ 10 * MiB, 1 * MiB, 1, true },
		/*
		 * the last page of low RAM and the read-only page after it:
		 * the device writes the first, fails on the second, and must
		 * still report the first
		 */
		{ LOW_RAM_END - PAGE, 2 * PAGE, 1, true },
		/* pass 1, not sent yet */
		{ 60 * MiB, PAGE, 1, false },
		/* one after each dirty sync from the second, into pages pass 1 sent */
		{ 3 * MiB + 0x10, 3 * PAGE, 2, true },
		{ 12 * MiB, 1 * MiB, 2, true },
		{ 14 * MiB + 0x100, 1 * MiB, 2, true },
		{ 16 * MiB, 1 * MiB, 2, true },
	};
	unsigned int i;

	r->nw = 0;
	for (i = 0; i < sizeof(plan) / sizeof(plan[0]); i++) {
		struct write *w = &r->w[r->nw++];

		*w = (struct write){ .iova = plan[i].iova, .length = plan[i].length,
				     .pattern = 0x5eed000000000000ULL | (i + 1) << 8,
				     .pass = plan[i].pass,
				     .sent_before = plan[i].sent_before };
	}
	/* The negative control: the first write is made but not logged */
	if (r->negative)
		r->w[0].unlogged = true;
}

static int fill_ram(int dev)
{
	uint64_t a;

	for (a = FILL_START; a < GUEST_RAM; a += FILL_CHUNK) {
		struct write w = { .iova = a, .length = FILL_CHUNK,
				   .pattern = 0xf111000000000000ULL };
		int ret;

		if (a + w.length > GUEST_RAM)
			w.length = GUEST_RAM - a;
		ret = dma_write(dev, &w);
		if (ret)
			return ret;
	}
	return 0;
}

static uint8_t *load(const char *path)
{
	uint8_t *buf = malloc(GUEST_RAM);
	int fd = open(path, O_RDONLY);
	size_t got = 0;
	ssize_t n;

	if (!buf || fd < 0)
		goto fail;
	while (got < GUEST_RAM && (n = read(fd, buf + got, GUEST_RAM - got)) > 0)
		got += n;
	close(fd);
	if (got == GUEST_RAM)
		return buf;
fail:
	free(buf);
	return NULL;
}

static bool dump(struct vm *vm, struct run *r, const char *path)
{
	unlink(path);
	return qmp_ok(vm, r, "{\"execute\": \"pmemsave\", \"arguments\": {\"val\": 0, \"size\": %lu, \"filename\": \"%s\"}}",
		      GUEST_RAM, path);
}

/* Pages that differ between the dumps; reports the first few */
static unsigned long compare(struct run *r, const uint8_t *src, const uint8_t *dst,
			     unsigned long *first)
{
	unsigned long pg, n = 0;

	for (pg = 0; pg < GUEST_RAM / PAGE; pg++) {
		if (!memcmp(src + pg * PAGE, dst + pg * PAGE, PAGE))
			continue;
		if (!n)
			*first = pg * PAGE;
		if (n < 4)
			note("%s: page 0x%lx differs on the destination", r->name, pg * PAGE);
		n++;
	}
	return n;
}

/* Every byte of every write the device made, on one side */
static int check_writes(struct run *r, const uint8_t *ram, const char *side,
			int only_unlogged)
{
	int i, bad = 0;

	for (i = 0; i < r->nw; i++) {
		struct write *w = &r->w[i];
		uint64_t a;

		if (!w->done || (only_unlogged >= 0 && w->unlogged != only_unlogged))
			continue;
		for (a = w->iova; a < write_end(w); a++)
			if (ram[a] != pattern_byte(w->pattern, a))
				break;
		if (a < write_end(w)) {
			note("%s: %s RAM at 0x%llx is not what the device wrote there",
			     r->name, side, (unsigned long long)a);
			bad++;
		}
	}
	return bad;
}

static void remove_mdevs(void)
{
	char path[128];
	int i;

	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/remove", uuids[i]);
		if (!access(path, F_OK))
			write_file(path, "1");
	}
}

static bool create_mdevs(struct run *r)
{
	char path[160];
	int i, ret;

	remove_mdevs();
	for (i = 0; i < 2; i++) {
		ret = write_file(parent_type, uuids[i]);
		if (ret) {
			run_error(r, "creating mdev %s: %s", uuids[i], strerror(-ret));
			return false;
		}
		mdev_attr(path, sizeof(path), i, "log_style");
		write_file(path, r->style);
	}
	return true;
}

/* Source to file, file to destination; 0 when both dumps were taken */
static int migrate(struct run *r, bool *refused)
{
	struct vm src = {}, dst = {};
	char path[160];
	int ret = -1;

	*refused = false;
	unlink("/tmp/mig");
	if (!create_mdevs(r))
		return -1;
	if (vm_start(&src, r, 0, "src", false))
		goto out;
	if (!qmp_ok(&src, r, "{\"execute\": \"qmp_capabilities\"}"))
		goto out;
	ret = fill_ram(0);
	if (ret) {
		run_error(r, "filling the guest's RAM by DMA: %s", strerror(-ret));
		goto out;
	}
	ret = -1;
	/*
	 * A downtime limit of 1 ms: QEMU syncs (REPORTs) while the guest runs
	 * and iterates as long as the device wrote more than it can send in
	 * 1 ms.  With no dirty information every pass sends everything, and
	 * wait_migration() raises the limit once the device wrote.
	 */
	if (!qmp_ok(&src, r, "{\"execute\": \"migrate-set-parameters\", \"arguments\": {\"max-bandwidth\": %lu, \"downtime-limit\": 1}}",
		    BANDWIDTH))
		goto out;
	if (!qmp_ok(&src, r, "{\"execute\": \"migrate\", \"arguments\": {\"uri\": \"file:/tmp/mig\"}}")) {
		*refused = true;
		goto out;
	}
	if (!wait_migration(&src, r, 0, true))
		goto out;
	if (!dump(&src, r, "/tmp/src.ram"))
		goto out;
	note("%s: source device made %llu writes; migration took %.2f s, %lu dirty syncs",
	     r->name, mdev_number(0, "dma_writes"), r->seconds, r->syncs);
	vm_stop(&src);
	/* After QEMU closed the device: with its STOP */
	mdev_attr(path, sizeof(path), 0, "log_history");
	read_file(path, r->history, sizeof(r->history));

	if (vm_start(&dst, r, 1, "dst", true))
		goto out;
	if (!qmp_ok(&dst, r, "{\"execute\": \"qmp_capabilities\"}") ||
	    !qmp_ok(&dst, r, "{\"execute\": \"migrate-incoming\", \"arguments\": {\"uri\": \"file:/tmp/mig\"}}") ||
	    !wait_migration(&dst, r, 1, false) ||
	    !dump(&dst, r, "/tmp/dst.ram"))
		goto out;
	note("%s: destination device state: %llu writes", r->name, mdev_number(1, "dma_writes"));
	ret = 0;
out:
	vm_stop(&src);
	vm_stop(&dst);
	remove_mdevs();
	if (ret) {
		print_file(src.log[0] ? src.log : "/dev/null", "src: ", 20);
		print_file(dst.log[0] ? dst.log : "/dev/null", "dst: ", 20);
	}
	return ret;
}

static void result(bool ok, const char *name)
{
	ntest++;
	if (!ok)
		nfail++;
	printf("%sok %d %s\n", ok ? "" : "not ", ntest, name);
	fflush(stdout);
}

static void show_trace(struct run *r)
{
	char line[512];
	FILE *f = fopen("/tmp/src.trace", "r");
	int reports = 0;

	if (f) {
		while (fgets(line, sizeof(line), f)) {
			if (strstr(line, "vfio_get_dirty_bitmap"))
				reports++;
			if (strstr(line, "dirty_tracking_start") ||
			    (strstr(line, "vfio_get_dirty_bitmap") && !strstr(line, "dirty_pages=0\n")))
				printf("# %s: qemu: %s", r->name, line);
		}
		fclose(f);
		note("%s: qemu traced %d dirty bitmap reads", r->name, reports);
	}
	for (char *p = strtok(r->history, "\n"); p; p = strtok(NULL, "\n"))
		if (!strstr(p, "records=0 "))
			note("%s: device: %s", r->name, p);
}

/*
 * Migrating with no dirty information at all: QEMU reads no bitmap and
 * marks nothing, so a page the device wrote after QEMU sent it is stale on
 * the destination, and every other page is right.
 */
static bool stale_as_expected(struct run *r, const uint8_t *src,
			      const uint8_t *dst, unsigned long differ)
{
	unsigned long expected = 0, pg;
	int i;

	for (i = 0; i < r->nw; i++) {
		struct write *w = &r->w[i];

		if (!w->done || !w->sent_before)
			continue;
		for (pg = w->iova / PAGE; pg <= (write_end(w) - 1) / PAGE; pg++) {
			if (!memcmp(src + pg * PAGE, dst + pg * PAGE, PAGE)) {
				note("%s: page 0x%lx, written after it was sent, is not stale",
				     r->name, pg * PAGE);
				return false;
			}
			expected++;
		}
	}
	note("%s: %lu pages stale on the destination, %lu expected: those the device wrote after QEMU sent them",
	     r->name, differ, expected);
	return expected && differ == expected;
}

/* Device dirty tracking: every page the device wrote reaches the destination */
static void case_migrate(struct run *r)
{
	uint8_t *src = NULL, *dst = NULL;
	unsigned long first = 0, differ;
	bool refused, ok = false;
	int i, done = 0, sent_before = 0, partial = 0;

	plan_writes(r);
	if (migrate(r, &refused))
		goto out;
	show_trace(r);
	src = load("/tmp/src.ram");
	dst = load("/tmp/dst.ram");
	if (!src || !dst) {
		run_error(r, "cannot read the RAM dumps");
		goto out;
	}
	for (i = 0; i < r->nw; i++) {
		done += r->w[i].done;
		sent_before += r->w[i].done && r->w[i].sent_before;
		partial += r->w[i].done && past_low_ram(&r->w[i]);
	}
	if (!sent_before || done < 3) {
		run_error(r, "the device made %d writes (%d into pages already sent): migration was too fast to test",
			  done, sent_before);
		goto out;
	}
	if (!r->force_migration && !partial) {
		run_error(r, "the device made no write past low RAM");
		goto out;
	}
	differ = compare(r, src, dst, &first);
	/* Setup, end of the first pass, completion: more means it iterated */
	if (!r->tracking_off && r->syncs < 4)
		run_error(r, "%lu dirty syncs: migration did not iterate", r->syncs);
	if (check_writes(r, src, "source", -1))
		goto out;
	if (r->force_migration) {
		ok = stale_as_expected(r, src, dst, differ);
		goto out;
	}
	if (!r->negative) {
		ok = !differ && !check_writes(r, dst, "destination", -1) &&
		     !r->error[0];
		note("%s: %d device writes, %lu of %lu pages differ", r->name, done,
		     differ, GUEST_RAM / PAGE);
		goto out;
	}
	/* Negative control: exactly the unlogged write's pages are stale */
	ok = differ > 0 && first >= (r->w[0].iova & ~(PAGE - 1)) &&
	     first < r->w[0].iova + r->w[0].length &&
	     differ == (r->w[0].length + PAGE - 1) / PAGE &&
	     !check_writes(r, dst, "destination", 0) &&
	     check_writes(r, dst, "destination", 1) == 1;
	note("%s: %lu stale pages detected, first 0x%lx (the write left out of the log: [0x%llx, +0x%llx))",
	     r->name, differ, first, (unsigned long long)r->w[0].iova,
	     (unsigned long long)r->w[0].length);
out:
	if (r->error[0])
		note("%s: %s", r->name, r->error);
	free(src);
	free(dst);
	result(ok, r->name);
}

/*
 * x-device-dirty-page-tracking=off: no device tracking, and none QEMU
 * takes from the IOMMU for an mdev.  QEMU must refuse to migrate.
 */
static void case_untracked(struct run *r)
{
	bool refused;
	int ret;

	plan_writes(r);
	ret = migrate(r, &refused);
	note("%s: enable-migration=auto: %s", r->name,
	     refused ? r->error : ret ? r->error : "migrated");
	result(ret && refused, r->name);
}

int main(int argc, char **argv)
{
	struct run runs[] = {
		{ .name = "iommufd_device_tracking", .iommufd = true, .style = "ranges" },
		{ .name = "container_device_tracking", .style = "pages" },
		{ .name = "iommufd_negative_control", .iommufd = true, .negative = true,
		  .style = "ranges" },
		{ .name = "container_untracked_refused", .tracking_off = true, .style = "pages" },
		{ .name = "iommufd_untracked_refused", .iommufd = true, .tracking_off = true,
		  .style = "ranges" },
		{ .name = "iommufd_untracked_forced_stale", .iommufd = true, .tracking_off = true,
		  .force_migration = true, .style = "ranges" },
	};
	int nruns = sizeof(runs) / sizeof(runs[0]);
	int opt, i, j;

	while ((opt = getopt(argc, argv, "q:f:")) != -1) {
		if (opt == 'q')
			qemu = optarg;
		else if (opt == 'f')
			firmware = optarg;
		else
			return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);	/* a QEMU that died shows as EOF */
	printf("KTAP version 1\n");
	if (access(parent_type, W_OK)) {
		printf("1..0 # SKIP no mdirty_vmm parent device\n");
		return 0;
	}
	if (access(qemu, X_OK)) {
		printf("1..0 # SKIP no %s\n", qemu);
		return 0;
	}
	printf("1..%d\n", optind < argc ? argc - optind : nruns);
	for (i = 0; i < nruns; i++) {
		if (optind < argc) {
			for (j = optind; j < argc; j++)
				if (!strcmp(argv[j], runs[i].name))
					break;
			if (j == argc)
				continue;
		}
		if (strstr(runs[i].name, "_untracked_refused"))
			case_untracked(&runs[i]);
		else
			case_migrate(&runs[i]);
	}
	printf("# %d passed, %d failed\n", ntest - nfail, nfail);
	return nfail ? 1 : 0;
}
