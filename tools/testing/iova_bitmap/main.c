// SPDX-License-Identifier: GPL-2.0
/*
 * iova_bitmap_test: seeded random differential test of lib/iova_bitmap.c.
 *
 *   iova_bitmap_test [--cases N] [--seed S] [--case K] [--fork]
 *                    [--timeout SECONDS] [-v]
 *   iova_bitmap_test [-v] --replay FILE...	(fuzzer inputs, e.g. corpus/)
 *
 * Case K of seed S is always the same case; a failure prints the command
 * that reruns just it.  --fork runs each case in a child so crashes and
 * hangs are counted by kind (used for the 7.3 baseline).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static unsigned int case_timeout_s = 30;

static const char *prog;
static u64 seed = 1;
static long cur_case = -1;

static void on_alarm(int sig)
{
	char msg[200];
	int n = snprintf(msg, sizeof(msg),
			 "HANG case %ld (seed %llu): repro: %s --seed %llu --case %ld -v\n",
			 cur_case, (unsigned long long)seed, prog,
			 (unsigned long long)seed, cur_case);
	write(2, msg, n);
	_exit(3);
}

/* Run the case a fuzzer input file describes (see fuzz.c). */
static int replay(const char *path, bool verbose)
{
	static u8 buf[1 << 16];
	struct case_result res;
	struct hcase c;
	struct rng r = { .data = buf };
	FILE *f = fopen(path, "rb");

	if (!f) {
		perror(path);
		return 2;
	}
	r.len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	case_generate(&r, &c);
	if (case_run(&c, &res, verbose) != FK_NONE) {
		printf("FAIL %s: %s: %s\n", path, fail_kind_name[res.kind], res.detail);
		case_print(stdout, &c);
		case_free(&c);
		return 1;
	}
	case_free(&c);
	return 0;
}

static void make_case(long k, struct hcase *c)
{
	struct rng r = { .state = seed * 0x9e3779b97f4a7c15ULL + (u64)k };

	case_generate(&r, c);
}

static enum fail_kind run_one(long k, bool verbose, bool forked,
			      struct case_result *res)
{
	struct hcase c;
	enum fail_kind kind;
	int status;
	pid_t pid;

	make_case(k, &c);
	if (!forked) {
		cur_case = k;
		alarm(case_timeout_s);
		kind = case_run(&c, res, verbose);
		alarm(0);
		case_free(&c);
		return kind;
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		alarm(case_timeout_s);
		signal(SIGALRM, SIG_DFL);
		kind = case_run(&c, res, verbose);
		if (kind != FK_NONE)
			fprintf(stderr, "    %s\n", res->detail);
		_exit(kind);
	}
	waitpid(pid, &status, 0);
	memset(res, 0, sizeof(*res));
	if (WIFEXITED(status) && WEXITSTATUS(status) < FK_NR)
		res->kind = WEXITSTATUS(status);
	else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
		res->kind = FK_HANG;
	else
		res->kind = FK_CRASH;
	snprintf(res->detail, sizeof(res->detail), "child status %#x", status);
	case_free(&c);
	return res->kind;
}

int main(int argc, char **argv)
{
	long ncases = 10000, only = -1, k, failed = 0, shown = 0;
	long by_kind[FK_NR] = { 0 };
	bool verbose = false, forked = false;
	struct case_result res;
	time_t t0 = time(NULL);
	int i;

	prog = argv[0];
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--cases") && i + 1 < argc)
			ncases = atol(argv[++i]);
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--case") && i + 1 < argc)
			only = atol(argv[++i]);
		else if (!strcmp(argv[i], "--fork"))
			forked = true;
		else if (!strcmp(argv[i], "--timeout") && i + 1 < argc)
			case_timeout_s = atoi(argv[++i]);
		else if (!strcmp(argv[i], "-v"))
			verbose = true;
		else if (!strcmp(argv[i], "--replay")) {
			int bad = 0;

			while (++i < argc)
				bad |= replay(argv[i], verbose);
			return bad;
		}
		else {
			fprintf(stderr, "usage: %s [--cases N] [--seed S] [--case K] [--fork] [--timeout S] [-v] | --replay FILE...\n", prog);
			return 2;
		}
	}
	signal(SIGALRM, on_alarm);
	setvbuf(stdout, NULL, _IOLBF, 0);

	for (k = only >= 0 ? only : 0; k < (only >= 0 ? only + 1 : ncases); k++) {
		enum fail_kind kind = run_one(k, verbose, forked, &res);

		if (kind == FK_NONE)
			continue;
		failed++;
		by_kind[kind]++;
		if (shown++ < 10 || only >= 0)
			printf("FAIL case %ld (seed %llu): %s: %s\n  repro: %s --seed %llu --case %ld -v\n",
			       k, (unsigned long long)seed, fail_kind_name[kind],
			       res.detail, prog, (unsigned long long)seed, k);
	}
	if (only >= 0 && !failed)
		printf("case %ld (seed %llu) passed\n", only, (unsigned long long)seed);
	printf("# seed %llu: %ld cases, %ld failed, %lds\n", (unsigned long long)seed,
	       only >= 0 ? 1 : ncases, failed, (long)(time(NULL) - t0));
	for (i = 1; i < FK_NR; i++)
		if (by_kind[i])
			printf("#   %-34s %ld\n", fail_kind_name[i], by_kind[i]);
	return failed ? 1 : 0;
}
