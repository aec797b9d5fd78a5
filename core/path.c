/*
 * path.c -- inode arguments ("<12>" or a path), path names of inodes and
 * directory listings.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "e2c.h"

errcode_t e2c_lookup(e2c_fs *e, ext2_ino_t cwd, const char *spec,
		     ext2_ino_t *ino)
{
	size_t len = strlen(spec);

	if (len == 0)
		return EXT2_ET_FILE_NOT_FOUND;
	/* "<n>" is an inode number, as in debugfs. */
	if (len > 2 && spec[0] == '<' && spec[len - 1] == '>') {
		char *end;
		unsigned long n;

		errno = 0;
		n = strtoul(spec + 1, &end, 0);
		if (errno || end != spec + len - 1 || n < 1 ||
		    n > e->fs->super->s_inodes_count)
			return EXT2_ET_BAD_INODE_NUM;
		*ino = (ext2_ino_t)n;
		return 0;
	}
	return ext2fs_namei(e->fs, EXT2_ROOT_INO, cwd ? cwd : EXT2_ROOT_INO,
			    spec, ino);
}

/* A directory's path by its ".." chain, NULL when ext2fs_get_pathname
 * could only give a partial answer: it marks the parts it could not name
 * with "..." and "???", and a non-directory with "<n>". */
static errcode_t dir_pathname(e2c_fs *e, ext2_ino_t dir, char **path)
{
	errcode_t retval;

	*path = NULL;
	retval = ext2fs_get_pathname(e->fs, dir, 0, path);
	if (retval)
		return retval;
	if ((*path)[0] != '/' || strstr(*path, "/???") ||
	    strstr(*path, "/...")) {
		ext2fs_free_mem(path);
		*path = NULL;
	}
	return 0;
}

struct first_name {
	ext2_ino_t dir;		/* 0: none found */
	char *name;
};

/* e2c_find_names callback: keep the first name and stop. */
static errcode_t first_name(ext2_ino_t ino, ext2_ino_t dir,
			    const struct e2c_dirent *d, void *priv)
{
	struct first_name *f = priv;

	(void)ino;
	f->name = strdup(d->name);
	if (!f->name)
		return ENOMEM;
	f->dir = dir;
	return E2C_STOP;
}

errcode_t e2c_pathname(e2c_fs *e, ext2_ino_t ino, char **path)
{
	struct first_name f = { 0, NULL };
	struct ext2_inode inode;
	char *dirpath = NULL;
	errcode_t retval;

	*path = NULL;
	retval = ext2fs_read_inode(e->fs, ino, &inode);
	if (retval)
		return retval;
	if (LINUX_S_ISDIR(inode.i_mode))
		return dir_pathname(e, ino, path);
	retval = e2c_find_names(e, &ino, 1, first_name, NULL, &f);
	if (retval || !f.dir)
		goto errout;
	retval = dir_pathname(e, f.dir, &dirpath);
	if (retval || !dirpath)
		goto errout;
	*path = malloc(strlen(dirpath) + strlen(f.name) + 2);
	if (!*path) {
		retval = ENOMEM;
		goto errout;
	}
	sprintf(*path, "%s%s%s", dirpath, strcmp(dirpath, "/") ? "/" : "",
		f.name);
errout:
	ext2fs_free_mem(&dirpath);
	free(f.name);
	return retval;
}

struct list_ctx {
	struct e2c_dirent *ents;
	size_t n, cap;
	errcode_t err;
};

static int list_cb(ext2_ino_t dir, int entry, struct ext2_dir_entry *dirent,
		   int offset, int blocksize, char *buf, void *priv)
{
	struct list_ctx *c = priv;
	struct e2c_dirent *d;
	unsigned int nlen = ext2fs_dirent_name_len(dirent);

	(void)dir;
	(void)entry;
	(void)offset;
	(void)blocksize;
	(void)buf;
	if (c->n == c->cap) {
		size_t ncap = c->cap ? 2 * c->cap : 64;
		struct e2c_dirent *p = realloc(c->ents, ncap * sizeof(*p));

		if (!p) {
			c->err = ENOMEM;
			return DIRENT_ABORT;
		}
		c->ents = p;
		c->cap = ncap;
	}
	d = &c->ents[c->n];
	d->name = malloc(nlen + 1);
	if (!d->name) {
		c->err = ENOMEM;
		return DIRENT_ABORT;
	}
	memcpy(d->name, dirent->name, nlen);
	d->name[nlen] = 0;
	d->name_len = nlen;
	d->ino = dirent->inode;
	d->ftype = ext2fs_dirent_file_type(dirent);
	c->n++;
	return 0;
}

errcode_t e2c_dir_list(e2c_fs *e, ext2_ino_t dir, struct e2c_dirent **ents,
		       size_t *count)
{
	struct list_ctx c = { 0 };
	errcode_t retval;

	retval = ext2fs_check_directory(e->fs, dir);
	if (retval)
		goto errout;
	retval = ext2fs_dir_iterate2(e->fs, dir, 0, NULL, list_cb, &c);
	if (!retval)
		retval = c.err;
	if (retval)
		goto errout;
	*ents = c.ents;
	*count = c.n;
	return 0;
errout:
	e2c_dir_free(c.ents, c.n);
	return retval;
}

void e2c_dir_free(struct e2c_dirent *ents, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		free(ents[i].name);
	free(ents);
}
