/*
 * crash_io.h -- a test io_manager wrapping unix_io_manager that counts the
 * block writes made to one file (and, apart, those to its undo file, and
 * the flushes of both) and, at the Nth, stops the process, tears the
 * write, or fails it with EIO or ENOSPC.  Test tools only: never linked
 * into e2lua.
 */
#ifndef CRASH_IO_H
#define CRASH_IO_H

#include <stdio.h>
#include <ext2fs/ext2fs.h>

/* Exit status of a process stopped by the crash manager. */
#define CRASH_EXIT 99

enum crash_action {
	CRASH_NONE = 0,		/* only count */
	CRASH_STOP,		/* _exit before write N reaches the channel */
	CRASH_TORN,		/* write the first half of N's bytes, _exit */
	CRASH_EIO,		/* write N fails with EIO, later ones succeed */
	CRASH_EIO_STICKY,	/* write N and every later write fail (EIO) */
	CRASH_FULL,		/* write N and every later write fail with
				 * ENOSPC (a full disk) */
	CRASH_FLIP		/* write N reaches the file with its first
				 * byte flipped, and succeeds: a corrupted
				 * copy, for verify */
};

/* What N counts. */
enum crash_event {
	CRASH_ON_WRITE = 0,	/* writes to the target */
	CRASH_ON_UNDO_WRITE,	/* writes to the undo file */
	CRASH_ON_FLUSH		/* flushes of either (fsync): CRASH_STOP
				 * only, after the flush is done, as a kill
				 * inside fsync() leaves the files */
};

struct crash_conf {
	const char *target;	/* only writes to this path count */
	const char *undo;	/* the undo file (may be NULL) */
	enum crash_event on;	/* what at counts */
	unsigned long at;	/* 1-based event to act on (0: never) */
	enum crash_action action;
	int writethrough;	/* every write reaches the file at once */
	FILE *trace;		/* if set: "write N OFFSET BYTES" per write
				 * of the target, "uwrite N OFFSET BYTES" per
				 * write of the undo file, "flush F W FILE"
				 * per flush (F-th flush, W target writes so
				 * far, FILE image or undo) */
};

/* Set what the manager does; call before opening the target. */
void crash_io_configure(const struct crash_conf *conf);

/* Writes (write_blk*, write_byte, zeroout, discard calls) made to the
 * target, to the undo file, and flushes of either, so far. */
unsigned long crash_io_writes(void);
unsigned long crash_io_undo_writes(void);
unsigned long crash_io_flushes(void);

extern io_manager crash_io_manager;

#endif /* CRASH_IO_H */
