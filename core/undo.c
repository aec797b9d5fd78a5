/*
 * undo.c -- the undo file (-z): libext2fs's undo_io manager saves the old
 * contents of every block before it is overwritten, and e2undo writes them
 * back.  Three things libext2fs leaves to its caller:
 *
 *  - It never checks that the undo file can be opened: a missing directory
 *    makes undo_open return success without a channel, and ext2fs_open2
 *    crashes.  The file is opened (created) here first.
 *  - A failed write of the undo file comes back as a plain errno, like a
 *    failed write of the image.  Its backing manager is wrapped here, so
 *    the first failed write or flush of the undo file is kept: the caller
 *    can say which file failed, and no further commit trusts the file
 *    (undo_io marks a block saved before saving it).
 *  - Its header records the channel's block size as of its last new
 *    record.  libext2fs writes the primary superblock with the channel
 *    set to 1 KiB: when that write makes the record of the superblock's
 *    block, the header says 1024 on a 4 KiB filesystem until the next new
 *    record, and a kill in between leaves it so; e2undo -f then replays
 *    every block at a quarter of its offset.  e2c_undo_ready records that
 *    block at the filesystem's block size before anything else.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "e2c_int.h"

struct e2c_undo {
	char *path;
	errcode_t err;		/* first failed write or flush of the file */
	int created;		/* e2c_fs_open created it */
	int ready;		/* e2c_undo_ready has run */
	struct e2c_undo *next;	/* the undo files being written */
};

static struct e2c_undo *undos;
/* The manager the wrapper passes everything to (unix_io, or a test's):
 * set for the ext2fs_open2 in progress; a channel keeps its own. */
static io_manager backing;

/* ------------------------------------------------------------------ */
/* The backing manager: everything passed on, failures of the undo     */
/* file's writes kept.                                                 */
/* ------------------------------------------------------------------ */

struct wrap {
	io_channel inner;
	struct e2c_undo *undo;	/* the undo file's channel; NULL: the image */
};

static struct wrap *wrap_of(io_channel channel)
{
	return channel->private_data;
}

static errcode_t note(io_channel channel, errcode_t retval)
{
	struct e2c_undo *u = wrap_of(channel)->undo;

	if (retval && u && !u->err)
		u->err = retval;
	return retval;
}

/* Once a write of the undo file failed, every later one fails the same
 * way: the file stays as its last complete header left it (undo_io
 * would otherwise write, at the latest when it closes, a header
 * counting the record that is missing, and e2undo -f would replay
 * whatever lies there).  The image write that record was for is not
 * made either. */
static errcode_t frozen(io_channel channel)
{
	struct e2c_undo *u = wrap_of(channel)->undo;

	return u ? u->err : 0;
}

/* undo_io learns the length of a short read from the image through the
 * read_error handler it installs on its backing channel (ours): pass the
 * inner channel's report on. */
static errcode_t wrap_read_error(io_channel inner, unsigned long block,
				 int count, void *data, size_t size,
				 int actual, errcode_t error)
{
	io_channel outer = inner->app_data;

	if (!outer->read_error)
		return error;
	return outer->read_error(outer, block, count, data, size, actual,
				 error);
}

static struct struct_io_manager wrap_manager;

static errcode_t wrap_open(const char *name, int flags, io_channel *ret)
{
	io_channel channel = NULL;
	struct wrap *w = NULL;
	struct e2c_undo *u;
	errcode_t retval;

	for (u = undos; u && strcmp(u->path, name); u = u->next)
		;
	retval = ext2fs_get_memzero(sizeof(*channel), &channel);
	if (!retval)
		retval = ext2fs_get_memzero(sizeof(*w), &w);
	if (!retval)
		retval = ext2fs_get_mem(strlen(name) + 1, &channel->name);
	if (!retval)
		retval = backing->open(name, flags, &w->inner);
	if (retval) {
		if (u && !u->err)
			u->err = retval;
		if (channel)
			ext2fs_free_mem(&channel->name);
		ext2fs_free_mem(&w);
		ext2fs_free_mem(&channel);
		return retval;
	}
	strcpy(channel->name, name);
	w->undo = u;
	w->inner->app_data = channel;
	w->inner->read_error = wrap_read_error;
	channel->magic = EXT2_ET_MAGIC_IO_CHANNEL;
	channel->manager = &wrap_manager;
	channel->block_size = w->inner->block_size;
	channel->flags = w->inner->flags;
	channel->align = w->inner->align;
	channel->refcount = 1;
	channel->private_data = w;
	*ret = channel;
	return 0;
}

static errcode_t wrap_close(io_channel channel)
{
	struct wrap *w = wrap_of(channel);
	errcode_t retval;

	if (--channel->refcount > 0)
		return 0;
	retval = note(channel, io_channel_close(w->inner));
	ext2fs_free_mem(&channel->private_data);
	ext2fs_free_mem(&channel->name);
	ext2fs_free_mem(&channel);
	return retval;
}

static errcode_t wrap_set_blksize(io_channel channel, int blksize)
{
	errcode_t retval = io_channel_set_blksize(wrap_of(channel)->inner,
						  blksize);

	if (!retval)
		channel->block_size = blksize;
	return retval;
}

static errcode_t wrap_read_blk64(io_channel channel, unsigned long long block,
				 int count, void *data)
{
	return io_channel_read_blk64(wrap_of(channel)->inner, block, count,
				     data);
}

static errcode_t wrap_read_blk(io_channel channel, unsigned long block,
			       int count, void *data)
{
	return wrap_read_blk64(channel, block, count, data);
}

static errcode_t wrap_write_blk64(io_channel channel, unsigned long long block,
				  int count, const void *data)
{
	if (frozen(channel))
		return frozen(channel);
	return note(channel, io_channel_write_blk64(wrap_of(channel)->inner,
						    block, count, data));
}

static errcode_t wrap_write_blk(io_channel channel, unsigned long block,
				int count, const void *data)
{
	return wrap_write_blk64(channel, block, count, data);
}

static errcode_t wrap_write_byte(io_channel channel, unsigned long offset,
				 int size, const void *data)
{
	if (frozen(channel))
		return frozen(channel);
	return note(channel, io_channel_write_byte(wrap_of(channel)->inner,
						   offset, size, data));
}

static errcode_t wrap_flush(io_channel channel)
{
	if (frozen(channel))
		return frozen(channel);
	return note(channel, io_channel_flush(wrap_of(channel)->inner));
}

static errcode_t wrap_set_option(io_channel channel, const char *option,
				 const char *arg)
{
	io_channel inner = wrap_of(channel)->inner;

	if (!inner->manager->set_option)
		return EXT2_ET_INVALID_ARGUMENT;
	return inner->manager->set_option(inner, option, arg);
}

static errcode_t wrap_get_stats(io_channel channel, io_stats *stats)
{
	io_channel inner = wrap_of(channel)->inner;

	if (!inner->manager->get_stats)
		return EXT2_ET_UNIMPLEMENTED;
	return inner->manager->get_stats(inner, stats);
}

static errcode_t wrap_discard(io_channel channel, unsigned long long block,
			      unsigned long long count)
{
	if (frozen(channel))
		return frozen(channel);
	return note(channel, io_channel_discard(wrap_of(channel)->inner,
						block, count));
}

static errcode_t wrap_zeroout(io_channel channel, unsigned long long block,
			      unsigned long long count)
{
	if (frozen(channel))
		return frozen(channel);
	return note(channel, io_channel_zeroout(wrap_of(channel)->inner,
						block, count));
}

static errcode_t wrap_cache_readahead(io_channel channel,
				      unsigned long long block,
				      unsigned long long count)
{
	return io_channel_cache_readahead(wrap_of(channel)->inner, block,
					  count);
}

static struct struct_io_manager wrap_manager = {
	.magic		= EXT2_ET_MAGIC_IO_MANAGER,
	.name		= "e2lua undo backing I/O manager",
	.open		= wrap_open,
	.close		= wrap_close,
	.set_blksize	= wrap_set_blksize,
	.read_blk	= wrap_read_blk,
	.write_blk	= wrap_write_blk,
	.flush		= wrap_flush,
	.write_byte	= wrap_write_byte,
	.set_option	= wrap_set_option,
	.get_stats	= wrap_get_stats,
	.read_blk64	= wrap_read_blk64,
	.write_blk64	= wrap_write_blk64,
	.discard	= wrap_discard,
	.cache_readahead = wrap_cache_readahead,
	.zeroout	= wrap_zeroout,
};

/* ------------------------------------------------------------------ */
/* Setting up and ending                                               */
/* ------------------------------------------------------------------ */

/* Open (creating it if missing) the undo file, which must be something a
 * block can be written to and not the image itself. */
static errcode_t check_file(const char *path, const char *image,
			    int *created)
{
	struct stat st, ist;
	int fd;

	*created = 0;
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd >= 0)
		*created = 1;
	else if (errno == EEXIST)
		fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return errno;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return errno;
	}
	close(fd);
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode) &&
	    !S_ISCHR(st.st_mode))
		return E2C_ERR_UNDO_NOT_FILE;
	if (stat(image, &ist) == 0 && ist.st_dev == st.st_dev &&
	    ist.st_ino == st.st_ino)
		return E2C_ERR_UNDO_IS_IMAGE;
	return 0;
}

errcode_t e2c_undo_open(e2c_fs *fs, const char *image, const char *path,
			io_manager *io)
{
	struct e2c_undo *u;
	errcode_t retval;

	u = calloc(1, sizeof(*u));
	if (!u)
		return ENOMEM;
	u->path = strdup(path);
	if (!u->path) {
		free(u);
		return ENOMEM;
	}
	fs->undo = u;		/* e2c_undo_close frees it, whatever happens */
	retval = check_file(path, image, &u->created);
	if (retval)
		return retval;
	backing = *io;
	retval = set_undo_io_backing_manager(&wrap_manager);
	/* libext2fs copies the name; the cast is for its older, non-const
	 * prototype. */
	if (!retval)
		retval = set_undo_io_backup_file((char *)path);
	if (retval)
		return retval;
	u->next = undos;
	undos = u;
	*io = undo_io_manager;
	return 0;
}

void e2c_undo_close(e2c_fs *fs, int failed)
{
	struct e2c_undo *u = fs->undo, **p;

	if (!u)
		return;
	fs->undo = NULL;
	for (p = &undos; *p; p = &(*p)->next)
		if (*p == u) {
			*p = u->next;
			break;
		}
	/* A refused open leaves nothing behind, nor does a session that
	 * wrote nothing: not even the undo file it created (undo_io writes
	 * an empty header into it when it closes, which libext2fs calls
	 * corrupt when it opens the file again). */
	if ((failed || !u->ready) && u->created)
		unlink(u->path);
	free(u->path);
	free(u);
}

int e2c_undo_blames(e2c_fs *fs, errcode_t code)
{
	return fs->undo && (code == EXT2_ET_UNDO_FILE_CORRUPT ||
			   code == EXT2_ET_UNDO_FILE_WRONG || fs->undo->err);
}

const char *e2c_fs_undo_path(e2c_fs *fs)
{
	return fs->undo ? fs->undo->path : NULL;
}

errcode_t e2c_fs_undo_error(e2c_fs *fs)
{
	return fs->undo ? fs->undo->err : 0;
}

errcode_t e2c_undo_ready(e2c_fs *fs)
{
	ext2_filsys h = fs->h;
	blk64_t blk = SUPERBLOCK_OFFSET / h->blocksize;
	char *buf;
	errcode_t retval;

	if (!fs->undo)
		return 0;
	if (fs->undo->err)
		return E2C_ERR_UNDO_BROKEN;
	if (fs->undo->ready)
		return 0;
	retval = ext2fs_get_mem(h->blocksize, &buf);
	if (retval)
		return retval;
	/* Written back as it is: undo_io records it now, at this size. */
	retval = io_channel_read_blk64(h->io, blk, 1, buf);
	if (!retval)
		retval = io_channel_write_blk64(h->io, blk, 1, buf);
	ext2fs_free_mem(&buf);
	if (!retval)
		fs->undo->ready = 1;
	return retval;
}
