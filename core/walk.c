/*
 * walk.c -- the directory walk: depth first, pre-order, in on-disk order.
 * Each directory is listed whole (e2c_dir_list) when it is entered, so no
 * caller ever runs inside a libext2fs callback; the directories entered
 * are marked, so a loop in the tree ends the walk instead of running on.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "e2c_int.h"

/* A directory being listed. */
struct frame {
	struct e2c_dirent *ents;
	size_t n, i;		/* entries, next to look at */
	char *path;		/* the directory's path as reported */
};

struct e2c_walk {
	e2c_fs *fs;
	ext2_ino_t start;	/* the start, until it was reported */
	struct frame *stk;
	size_t sp, cap;
	ext2fs_inode_bitmap seen;	/* directories entered */
	char *path;		/* what the last step reported */
};

errcode_t e2c_walk_open(e2c_fs *fs, ext2_ino_t ino, const char *path,
			e2c_walk **ret)
{
	e2c_walk *w = calloc(1, sizeof(*w));
	errcode_t retval;

	if (!w)
		return ENOMEM;
	w->fs = fs;
	w->start = ino;
	w->path = strdup(path);
	if (!w->path) {
		retval = ENOMEM;
		goto errout;
	}
	retval = ext2fs_allocate_inode_bitmap(fs->h, "walk: directories "
					      "entered", &w->seen);
	if (retval)
		goto errout;
	*ret = w;
	return 0;
errout:
	e2c_walk_close(w);
	return retval;
}

void e2c_walk_close(e2c_walk *w)
{
	if (!w)
		return;
	while (w->sp > 0) {
		struct frame *f = &w->stk[--w->sp];

		e2c_dir_free(f->ents, f->n);
		free(f->path);
	}
	free(w->stk);
	if (w->seen)
		ext2fs_free_inode_bitmap(w->seen);
	free(w->path);
	free(w);
}

/* Enter directory ino, reported as w->path. */
static errcode_t push(e2c_walk *w, ext2_ino_t ino)
{
	struct frame *f;
	errcode_t retval;
	char *path;

	if (ext2fs_test_inode_bitmap2(w->seen, ino))
		return E2C_ERR_DIR_LOOP;
	ext2fs_mark_inode_bitmap2(w->seen, ino);
	retval = e2c_grow(&w->stk, &w->cap, w->sp + 1, sizeof(*w->stk));
	if (retval)
		return retval;
	path = strdup(w->path);
	if (!path)
		return ENOMEM;
	f = &w->stk[w->sp];
	retval = e2c_dir_list(w->fs, ino, &f->ents, &f->n);
	if (retval) {
		free(path);
		return retval;
	}
	f->i = 0;
	f->path = path;
	w->sp++;
	return 0;
}

/* Report w->path, the path of ino: read it, enter it if a directory. */
static errcode_t step(e2c_walk *w, ext2_ino_t ino, struct ext2_inode *inode,
		      int *got)
{
	errcode_t retval;

	retval = e2c_read_inode(w->fs, ino, inode);
	if (!retval && LINUX_S_ISDIR(inode->i_mode))
		retval = push(w, ino);
	*got = !retval;
	return retval;
}

errcode_t e2c_walk_next(e2c_walk *w, ext2_ino_t *ino, const char **path,
			struct ext2_inode *inode, int *got)
{
	*got = 0;
	*path = w->path;
	if (w->start) {
		*ino = w->start;
		w->start = 0;
		return step(w, *ino, inode, got);
	}
	while (w->sp > 0) {
		struct frame *f = &w->stk[w->sp - 1];
		struct e2c_dirent *d;

		if (f->i >= f->n) {
			e2c_dir_free(f->ents, f->n);
			free(f->path);
			w->sp--;
			continue;
		}
		d = &f->ents[f->i++];
		if (strcmp(d->name, ".") == 0 || strcmp(d->name, "..") == 0)
			continue;
		free(w->path);
		w->path = e2c_path_join(f->path, d->name, d->name_len);
		*ino = d->ino;
		if (!w->path) {		/* name the directory instead */
			*path = f->path;
			return ENOMEM;
		}
		*path = w->path;
		return step(w, *ino, inode, got);
	}
	return 0;
}
