/*
 * sigint_at.c -- an LD_PRELOAD library for the tests: it sends the process
 * a real SIGINT (kill(getpid(), SIGINT), as Ctrl-C would) right after a
 * chosen I/O call on one file, so that a test interrupts e2lua at an exact
 * point (inside a scan, a staging, a commit step) instead of sleeping and
 * hoping.  The program's own handler runs, as for a Ctrl-C at that moment.
 *
 *   SIGINT_AT_FILE=PATH   the file watched (the image)
 *   SIGINT_AT=WHAT        when, once:
 *       read@OFF[#K]      after the K-th read (default 1st) covering byte OFF
 *       write@OFF[#K]     after the K-th write covering byte OFF
 *       sync#K            after the K-th fsync/fdatasync
 *   SIGINT_AT_LOG=PATH    appends "read OFF LEN", "write OFF LEN", "sync"
 *                         per call on the file and "SIGINT" when sent
 *   SIGINT_AT_ACTION=eio  instead of the SIGINT: from then on every write
 *                         and fsync of the file fails with EIO (a disk
 *                         going bad), logged "EIO"
 *
 * Only pread/pwrite (libext2fs's unix_io uses them for aligned I/O) and
 * fsync/fdatasync are watched.  Never linked into e2lua.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

enum op { OP_READ, OP_WRITE, OP_SYNC };

static int ready;		/* configuration read */
static int active;		/* a file to watch */
static dev_t file_dev;
static ino_t file_ino;
static enum op at_op;
static off_t at_off;
static unsigned long at_nth = 1, seen;
static int fired;
static int eio_mode, failing;	/* SIGINT_AT_ACTION=eio; it came */
static FILE *logf;

static void configure(void)
{
	const char *file = getenv("SIGINT_AT_FILE");
	const char *at = getenv("SIGINT_AT");
	const char *log = getenv("SIGINT_AT_LOG");
	const char *action = getenv("SIGINT_AT_ACTION");
	struct stat st;
	char *end;

	ready = 1;
	if (action && strcmp(action, "eio") != 0) {
		fprintf(stderr, "sigint_at: bad SIGINT_AT_ACTION=%s\n", action);
		abort();
	}
	eio_mode = action != NULL;
	if (!file || stat(file, &st) != 0)
		return;
	file_dev = st.st_dev;
	file_ino = st.st_ino;
	active = 1;
	if (log)
		logf = fopen(log, "ae");
	if (!at) {
		fired = 1;		/* log only */
		return;
	}
	if (strncmp(at, "read@", 5) == 0 || strncmp(at, "write@", 6) == 0) {
		at_op = at[0] == 'r' ? OP_READ : OP_WRITE;
		at_off = strtoll(strchr(at, '@') + 1, &end, 0);
	} else if (strncmp(at, "sync", 4) == 0) {
		at_op = OP_SYNC;
		end = (char *)at + 4;
	} else {
		goto bad;
	}
	if (*end == '#') {
		at_nth = strtoul(end + 1, &end, 0);
		if (!at_nth)
			goto bad;
	}
	if (*end == '\0')
		return;
bad:
	fprintf(stderr, "sigint_at: bad SIGINT_AT=%s\n", at);
	abort();
}

/* Whether fd is the watched file. */
static int watched(int fd)
{
	struct stat st;

	if (!ready)
		configure();
	return active && fstat(fd, &st) == 0 && st.st_dev == file_dev &&
	       st.st_ino == file_ino;
}

static void event(int fd, enum op op, off_t off, ssize_t len)
{
	static const char *name[] = { "read", "write", "sync" };

	if (!watched(fd))
		return;
	if (logf) {
		if (op == OP_SYNC)
			fprintf(logf, "sync\n");
		else
			fprintf(logf, "%s %jd %zd\n", name[op], (intmax_t)off, len);
		fflush(logf);
	}
	if (fired || op != at_op)
		return;
	if (op != OP_SYNC && (len <= 0 || at_off < off || at_off >= off + len))
		return;
	if (++seen < at_nth)
		return;
	fired = 1;
	if (logf) {
		fprintf(logf, eio_mode ? "EIO\n" : "SIGINT\n");
		fflush(logf);
	}
	if (eio_mode)
		failing = 1;
	else
		kill(getpid(), SIGINT);
}

/* EIO mode, once the chosen call came: a write or sync of the file fails. */
static int fails(int fd)
{
	if (failing && watched(fd)) {
		errno = EIO;
		return 1;
	}
	return 0;
}

#define REAL(name) \
	static __typeof__(name) *real; \
	if (!real) \
		real = (__typeof__(name) *)dlsym(RTLD_NEXT, #name)

ssize_t pread64(int fd, void *buf, size_t n, off64_t off)
{
	REAL(pread64);
	ssize_t r = real(fd, buf, n, off);

	event(fd, OP_READ, off, r);
	return r;
}

ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
	REAL(pread);
	ssize_t r = real(fd, buf, n, off);

	event(fd, OP_READ, off, r);
	return r;
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off)
{
	REAL(pwrite64);
	ssize_t r;

	if (fails(fd))
		return -1;
	r = real(fd, buf, n, off);

	event(fd, OP_WRITE, off, r);
	return r;
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	REAL(pwrite);
	ssize_t r;

	if (fails(fd))
		return -1;
	r = real(fd, buf, n, off);

	event(fd, OP_WRITE, off, r);
	return r;
}

int fsync(int fd)
{
	REAL(fsync);
	int r;

	if (fails(fd))
		return -1;
	r = real(fd);

	event(fd, OP_SYNC, 0, 0);
	return r;
}

int fdatasync(int fd)
{
	REAL(fdatasync);
	int r;

	if (fails(fd))
		return -1;
	r = real(fd);

	event(fd, OP_SYNC, 0, 0);
	return r;
}
