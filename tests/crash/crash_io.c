/*
 * crash_io.c -- the crash-test io_manager: unix_io_manager underneath,
 * every write to the target file counted, and at the configured write the
 * process stops (as a crash would stop it: _exit, so nothing cached in
 * libext2fs or in unix_io's write-back cache reaches the file), the write
 * is torn, or it fails with EIO.
 *
 * The undo file (when the undo manager uses this one as its backing
 * manager) has a count of its own: undo_io writes its record of a block
 * before the write it protects, and a stop, a failure or a full disk at
 * one of those writes is a point of its own.  Flushes of both files are
 * counted too: a kill inside an fsync() leaves what no write boundary
 * does (undo_io's header as of its last record, before the next).
 * Channels to any other file pass through.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crash_io.h"

struct crash_private {
	io_channel real;	/* the unix_io channel doing the work */
	enum crash_event on;	/* which count its writes go to */
	int counted;		/* a channel to the target or undo file */
	int fd;			/* own fd for torn writes */
};

static struct crash_conf conf;

/* crash_event: write N is CRASH_FLIP's (not an error code). */
#define FLIPPED ((errcode_t)-1)
static unsigned long writes, undo_writes, flushes;

void crash_io_configure(const struct crash_conf *c)
{
	conf = *c;
	writes = undo_writes = flushes = 0;
}

unsigned long crash_io_writes(void)
{
	return writes;
}

unsigned long crash_io_undo_writes(void)
{
	return undo_writes;
}

unsigned long crash_io_flushes(void)
{
	return flushes;
}

static struct crash_private *priv(io_channel channel)
{
	return channel->private_data;
}

static void say(const char *what, const char *where, unsigned long n,
		unsigned long long off, size_t bytes)
{
	/* stderr is unbuffered: the line is out before _exit */
	fprintf(stderr, "crash_io: %s at %s %lu (byte %llu, %zu bytes)\n",
		what, where, n, off, bytes);
}

/* Account one write of bytes at byte offset off (buf NULL: zeroes or a
 * discard) and act if it is the configured one.  Returns EIO or ENOSPC
 * for a write that must fail; does not return for a stop. */
static errcode_t crash_event(io_channel channel, unsigned long long off,
			     size_t bytes, const void *buf)
{
	struct crash_private *p = priv(channel);
	int undo = p->on == CRASH_ON_UNDO_WRITE;
	unsigned long n;

	if (!p->counted)
		return 0;
	n = undo ? ++undo_writes : ++writes;
	if (conf.trace)
		fprintf(conf.trace, "%s %lu %llu %zu\n", undo ? "uwrite" :
			"write", n, off, bytes);
	if (!conf.at || conf.on != p->on || n < conf.at)
		return 0;
	if (n > conf.at)
		return conf.action == CRASH_EIO_STICKY ? EIO :
		       conf.action == CRASH_FULL ? ENOSPC : 0;

	if (conf.trace)
		fflush(conf.trace);
	switch (conf.action) {
	case CRASH_NONE:
		return 0;
	case CRASH_STOP:
		say("stop", undo ? "undo write" : "write", n, off, bytes);
		_exit(CRASH_EXIT);
	case CRASH_TORN:
		/* Half the bytes of the request reach the file, past
		 * every cache, and the process dies.  Zeroing and discard
		 * requests carry no data: they stop like CRASH_STOP. */
		if (buf && pwrite(p->fd, buf, bytes / 2, off) !=
		    (ssize_t)(bytes / 2)) {
			perror("crash_io: torn write");
			_exit(CRASH_EXIT + 1);
		}
		say(buf ? "torn" : "stop", undo ? "undo write" : "write", n,
		    off, bytes);
		_exit(CRASH_EXIT);
	case CRASH_EIO:
	case CRASH_EIO_STICKY:
		say("EIO", undo ? "undo write" : "write", n, off, bytes);
		return EIO;
	case CRASH_FULL:
		say("ENOSPC", undo ? "undo write" : "write", n, off, bytes);
		return ENOSPC;
	case CRASH_FLIP:
		say("flip", undo ? "undo write" : "write", n, off, bytes);
		return FLIPPED;
	}
	return 0;
}

/* Write count blocks of data at block with the first byte flipped
 * (CRASH_FLIP). */
static errcode_t write_flipped(io_channel real, unsigned long long block,
			       int count, const void *data, size_t bytes)
{
	unsigned char *copy = malloc(bytes);
	errcode_t retval;

	if (!copy)
		return ENOMEM;
	memcpy(copy, data, bytes);
	copy[0] ^= 0xff;
	retval = io_channel_write_blk64(real, block, count, copy);
	free(copy);
	return retval;
}

/* Bytes in a request of count blocks (negative count: bytes). */
static size_t req_bytes(io_channel channel, int count)
{
	return count < 0 ? (size_t)-count
			 : (size_t)count * (size_t)channel->block_size;
}

static errcode_t crash_open(const char *name, int flags, io_channel *ret)
{
	io_channel channel = NULL;
	struct crash_private *p = NULL;
	errcode_t retval;

	retval = ext2fs_get_memzero(sizeof(*channel), &channel);
	if (retval)
		return retval;
	retval = ext2fs_get_memzero(sizeof(*p), &p);
	if (retval)
		goto errout;
	p->fd = -1;
	retval = ext2fs_get_mem(strlen(name) + 1, &channel->name);
	if (retval)
		goto errout;
	strcpy(channel->name, name);

	retval = unix_io_manager->open(name, flags, &p->real);
	if (retval)
		goto errout;
	if (conf.writethrough)
		p->real->flags |= CHANNEL_FLAGS_WRITETHROUGH;
	p->counted = conf.target && !strcmp(name, conf.target);
	if (!p->counted && conf.undo && !strcmp(name, conf.undo)) {
		p->counted = 1;
		p->on = CRASH_ON_UNDO_WRITE;
	}
	if (p->counted && (flags & IO_FLAG_RW)) {
		p->fd = open(name, O_WRONLY | O_CLOEXEC);
		if (p->fd < 0) {
			retval = errno;
			goto errout;
		}
	}

	channel->magic = EXT2_ET_MAGIC_IO_CHANNEL;
	channel->manager = crash_io_manager;
	channel->block_size = p->real->block_size;
	channel->flags = p->real->flags;
	channel->align = p->real->align;
	channel->refcount = 1;
	channel->private_data = p;
	*ret = channel;
	return 0;

errout:
	if (p && p->real)
		io_channel_close(p->real);
	if (channel)
		ext2fs_free_mem(&channel->name);
	ext2fs_free_mem(&p);
	ext2fs_free_mem(&channel);
	return retval;
}

static errcode_t crash_close(io_channel channel)
{
	struct crash_private *p = priv(channel);
	errcode_t retval;

	if (--channel->refcount > 0)
		return 0;
	retval = io_channel_close(p->real);
	if (p->fd >= 0)
		close(p->fd);
	ext2fs_free_mem(&channel->private_data);
	ext2fs_free_mem(&channel->name);
	ext2fs_free_mem(&channel);
	return retval;
}

static errcode_t crash_set_blksize(io_channel channel, int blksize)
{
	errcode_t retval = io_channel_set_blksize(priv(channel)->real, blksize);

	if (!retval)
		channel->block_size = blksize;
	return retval;
}

static errcode_t crash_read_blk64(io_channel channel, unsigned long long block,
				  int count, void *data)
{
	errcode_t retval;

	retval = io_channel_read_blk64(priv(channel)->real, block, count, data);
	/* The undo manager installs a read_error handler on its backing
	 * channel (this one) to accept short reads past the end. */
	if (retval && channel->read_error)
		retval = channel->read_error(channel, block, count, data,
					     req_bytes(channel, count), 0,
					     retval);
	return retval;
}

static errcode_t crash_read_blk(io_channel channel, unsigned long block,
				int count, void *data)
{
	return crash_read_blk64(channel, block, count, data);
}

static errcode_t crash_write_blk64(io_channel channel, unsigned long long block,
				   int count, const void *data)
{
	errcode_t retval;

	retval = crash_event(channel, block * channel->block_size,
			     req_bytes(channel, count), data);
	if (retval == FLIPPED)
		return write_flipped(priv(channel)->real, block, count, data,
				     req_bytes(channel, count));
	if (retval)
		return retval;
	return io_channel_write_blk64(priv(channel)->real, block, count, data);
}

static errcode_t crash_write_blk(io_channel channel, unsigned long block,
				 int count, const void *data)
{
	return crash_write_blk64(channel, block, count, data);
}

static errcode_t crash_write_byte(io_channel channel, unsigned long offset,
				  int size, const void *data)
{
	errcode_t retval;

	retval = crash_event(channel, offset, size, data);
	if (retval && retval != FLIPPED)	/* flips whole blocks only */
		return retval;
	return io_channel_write_byte(priv(channel)->real, offset, size, data);
}

static errcode_t crash_flush(io_channel channel)
{
	struct crash_private *p = priv(channel);
	errcode_t retval = io_channel_flush(p->real);

	if (!p->counted)
		return retval;
	flushes++;
	if (conf.trace)
		fprintf(conf.trace, "flush %lu %lu %s%s\n", flushes, writes,
			p->on == CRASH_ON_UNDO_WRITE ? "undo" : "image",
			retval ? " failed" : "");
	if (conf.on == CRASH_ON_FLUSH && flushes == conf.at) {
		if (conf.trace)
			fflush(conf.trace);
		fprintf(stderr, "crash_io: stop at flush %lu (%s)\n", flushes,
			p->on == CRASH_ON_UNDO_WRITE ? "undo file" : "image");
		_exit(CRASH_EXIT);
	}
	return retval;
}

static errcode_t crash_set_option(io_channel channel, const char *option,
				  const char *arg)
{
	io_channel real = priv(channel)->real;

	return real->manager->set_option(real, option, arg);
}

static errcode_t crash_get_stats(io_channel channel, io_stats *stats)
{
	io_channel real = priv(channel)->real;

	return real->manager->get_stats(real, stats);
}

/* A request over count blocks that carries no data (discard, zeroout):
 * counted like a write, then passed on with op. */
static errcode_t crash_range(io_channel channel, unsigned long long block,
			     unsigned long long count,
			     errcode_t (*op)(io_channel, unsigned long long,
					     unsigned long long))
{
	errcode_t retval;

	retval = crash_event(channel, block * channel->block_size,
			     count * channel->block_size, NULL);
	if (retval && retval != FLIPPED)	/* no data to flip */
		return retval;
	return op(priv(channel)->real, block, count);
}

static errcode_t crash_discard(io_channel channel, unsigned long long block,
			       unsigned long long count)
{
	return crash_range(channel, block, count, io_channel_discard);
}

static errcode_t crash_zeroout(io_channel channel, unsigned long long block,
			       unsigned long long count)
{
	return crash_range(channel, block, count, io_channel_zeroout);
}

static errcode_t crash_cache_readahead(io_channel channel,
				       unsigned long long block,
				       unsigned long long count)
{
	return io_channel_cache_readahead(priv(channel)->real, block, count);
}

static struct struct_io_manager crash_io = {
	.magic		= EXT2_ET_MAGIC_IO_MANAGER,
	.name		= "crash-test I/O manager",
	.open		= crash_open,
	.close		= crash_close,
	.set_blksize	= crash_set_blksize,
	.read_blk	= crash_read_blk,
	.write_blk	= crash_write_blk,
	.flush		= crash_flush,
	.write_byte	= crash_write_byte,
	.set_option	= crash_set_option,
	.get_stats	= crash_get_stats,
	.read_blk64	= crash_read_blk64,
	.write_blk64	= crash_write_blk64,
	.discard	= crash_discard,
	.cache_readahead = crash_cache_readahead,
	.zeroout	= crash_zeroout,
};

io_manager crash_io_manager = &crash_io;
