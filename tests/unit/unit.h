/*
 * unit.h -- the smallest test harness that works: CHECK records a failure
 * and goes on; unit_done() prints "N passed, N failed" and gives the exit
 * status.  Images come from the TEST_IMG_* variables set by the caller or
 * are built with tests/lib.sh helpers.
 */
#ifndef UNIT_H
#define UNIT_H
#include <stdio.h>
#include <stdlib.h>

static int unit_pass, unit_fail;

#define CHECK(cond, ...) do {						\
	if (cond) {							\
		unit_pass++;						\
	} else {							\
		unit_fail++;						\
		fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__,	\
			__LINE__, #cond);				\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
	}								\
} while (0)

/* The text of a file (at most 1 MiB; "" when it cannot be read), to
 * compare with an oracle's output; free() it. */
static inline char *unit_slurp(const char *file)
{
	FILE *f = fopen(file, "r");
	char *buf = calloc(1, 1 << 20);

	if (buf && f && fread(buf, 1, (1 << 20) - 1, f) == 0)
		buf[0] = 0;
	if (f)
		fclose(f);
	return buf;
}

/* A new scratch directory under $TMPDIR (default /tmp), as the shell
 * tests make theirs: tests run in parallel and never share a path. */
static inline const char *unit_tmpdir(const char *name)
{
	static char dir[1024];
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/%s.XXXXXX", tmp && *tmp ? tmp : "/tmp",
		 name);
	if (!mkdtemp(dir)) {
		perror(dir);
		exit(2);
	}
	return dir;
}

static inline int unit_done(void)
{
	printf("%d passed, %d failed\n", unit_pass, unit_fail);
	return unit_fail ? 1 : 0;
}
#endif
