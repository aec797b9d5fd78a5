/*
 * crash_io.h -- a test io_manager wrapping unix_io_manager that counts the
 * block writes made to one file and, at the Nth, stops the process, tears
 * the write, or fails it with EIO.  Test tools only: never linked into
 * e2lua.
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
	CRASH_EIO_STICKY	/* write N and every later write fail (EIO) */
};

struct crash_conf {
	const char *target;	/* only writes to this path count */
	unsigned long at;	/* 1-based write to act on (0: never) */
	enum crash_action action;
	int writethrough;	/* every write reaches the file at once */
	FILE *trace;		/* if set: "write N OFFSET BYTES" per write,
				 * "flush N" per flush of the target */
};

/* Set what the manager does; call before opening the target. */
void crash_io_configure(const struct crash_conf *conf);

/* Writes (write_blk*, write_byte, zeroout, discard calls) made to the
 * target so far. */
unsigned long crash_io_writes(void);

extern io_manager crash_io_manager;

#endif /* CRASH_IO_H */
