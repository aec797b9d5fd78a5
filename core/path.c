/*
 * path.c -- inode arguments ("<12>" or a path), path names of inodes and
 * directory listings.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "e2c_int.h"

errcode_t e2c_lookup(e2c_fs *fs, ext2_ino_t cwd, const char *spec,
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
		    n > fs->h->super->s_inodes_count)
			return EXT2_ET_BAD_INODE_NUM;
		*ino = (ext2_ino_t)n;
		return 0;
	}
	return ext2fs_namei(fs->h, EXT2_ROOT_INO, cwd ? cwd : EXT2_ROOT_INO,
			    spec, ino);
}

/* The deepest ".." chain followed: deeper is taken for a loop in a
 * corrupt tree (a path that deep is over 8 KiB, twice PATH_MAX). */
#define MAX_DEPTH 4096

struct name_of {
	ext2_ino_t ino;		/* the entry looked for (0: none) */
	ext2_ino_t dotdot;	/* out: the directory's ".." */
	char *name;		/* out: ino's name, NULL if not found */
	errcode_t err;
};

/* ext2fs_dir_iterate callback: note "..", find ino's name. */
static int name_of_cb(struct ext2_dir_entry *dirent, int offset,
		      int blocksize, char *buf, void *priv)
{
	struct name_of *n = priv;
	int len = ext2fs_dirent_name_len(dirent);

	(void)offset;
	(void)blocksize;
	(void)buf;
	if (len == 2 && memcmp(dirent->name, "..", 2) == 0) {
		n->dotdot = dirent->inode;
		return n->ino ? 0 : DIRENT_ABORT;	/* only ".." wanted */
	}
	if (dirent->inode != n->ino || (len == 1 && dirent->name[0] == '.'))
		return 0;
	n->name = strndup(dirent->name, (size_t)len);
	if (!n->name)
		n->err = ENOMEM;
	return DIRENT_ABORT;
}

/* Look for ino's name in dir, and dir's "..": n filled in. */
static errcode_t name_in(ext2_filsys h, ext2_ino_t dir, ext2_ino_t ino,
			 struct name_of *n)
{
	errcode_t retval;

	n->ino = ino;
	n->dotdot = 0;
	n->name = NULL;
	n->err = 0;
	retval = ext2fs_dir_iterate(h, dir, 0, NULL, name_of_cb, n);
	return retval ? retval : n->err;
}

/*
 * A directory's path by its ".." chain, one directory read per level (as
 * ext2fs_get_pathname does, without its 32-level limit: its "..." answer
 * left deep trees without names).  NULL when the chain breaks: a ".."
 * that is not a directory or does not list the child, or a loop.
 */
static errcode_t dir_pathname(e2c_fs *fs, ext2_ino_t dir, char **path)
{
	ext2_filsys h = fs->h;
	struct name_of n;
	ext2_ino_t parent;
	char *p = NULL, *q;
	errcode_t retval;
	int depth;

	*path = NULL;
	retval = name_in(h, dir, 0, &n);	/* dir's ".." */
	parent = n.dotdot;
	for (depth = 0; !retval && dir != EXT2_ROOT_INO; depth++) {
		if (!parent || depth == MAX_DEPTH)
			goto none;
		retval = name_in(h, parent, dir, &n);
		if (retval || !n.name)
			break;
		q = malloc(strlen(n.name) + (p ? strlen(p) : 0) + 2);
		if (!q) {
			free(n.name);
			retval = ENOMEM;
			break;
		}
		sprintf(q, "/%s%s", n.name, p ? p : "");
		free(n.name);
		free(p);
		p = q;
		dir = parent;
		parent = n.dotdot;
	}
	if (retval == EXT2_ET_NO_DIRECTORY)
		retval = 0;		/* a broken chain: no path */
	if (retval || dir != EXT2_ROOT_INO)
		goto none;
	*path = p ? p : strdup("/");
	return *path ? 0 : ENOMEM;
none:
	free(p);
	return retval;
}

/* What e2c_pathnames looks for: the first name of each non-directory. */
struct first_names {
	const ext2_ino_t *inos;		/* the inodes asked for */
	ext2_ino_t *dirs;		/* [i]: the directory naming inos[i] */
	char **names;			/* [i]: that name, NULL: none yet */
	size_t n, left;			/* asked for; still without a name */
};

/* e2c_find_names callback: keep the first name of each inode (every
 * position holding it: an inode may be asked for twice), stop when all
 * have one. */
static errcode_t first_name(ext2_ino_t ino, ext2_ino_t dir,
			    const struct e2c_dirent *d, void *priv)
{
	struct first_names *f = priv;
	size_t i;

	for (i = 0; i < f->n; i++) {
		if (f->inos[i] != ino || f->names[i] || f->dirs[i])
			continue;
		f->names[i] = strdup(d->name);
		if (!f->names[i])
			return ENOMEM;
		f->dirs[i] = dir;
		f->left--;
		break;
	}
	return f->left ? 0 : E2C_STOP;
}

/* dir's path + "/" + name into *path (NULL when dir has no path). */
static errcode_t join_name(e2c_fs *fs, ext2_ino_t dir, const char *name,
			   char **path)
{
	char *dirpath = NULL;
	errcode_t retval;

	*path = NULL;
	retval = dir_pathname(fs, dir, &dirpath);
	if (retval || !dirpath)
		return retval;
	*path = e2c_path_join(dirpath, name, strlen(name));
	if (!*path)
		retval = ENOMEM;
	free(dirpath);
	return retval;
}

errcode_t e2c_pathnames(e2c_fs *fs, const ext2_ino_t *inos, size_t n,
			char **paths)
{
	struct first_names f = { NULL, NULL, NULL, 0, 0 };
	ext2_ino_t *files = NULL;
	size_t *pos = NULL;		/* files[k] is inos[pos[k]] */
	struct ext2_inode inode;
	size_t i, k = 0;
	errcode_t retval = 0;

	memset(paths, 0, n * sizeof(*paths));
	files = calloc(n ? n : 1, sizeof(*files));
	pos = calloc(n ? n : 1, sizeof(*pos));
	f.dirs = calloc(n ? n : 1, sizeof(*f.dirs));
	f.names = calloc(n ? n : 1, sizeof(*f.names));
	if (!files || !pos || !f.dirs || !f.names) {
		retval = ENOMEM;
		goto errout;
	}
	/* Directories by their ".." chain; the others by one search. */
	for (i = 0; i < n; i++) {
		retval = ext2fs_read_inode(fs->h, inos[i], &inode);
		if (retval)
			goto errout;
		if (LINUX_S_ISDIR(inode.i_mode)) {
			retval = dir_pathname(fs, inos[i], &paths[i]);
			if (retval)
				goto errout;
		} else {
			pos[k] = i;
			files[k++] = inos[i];
		}
	}
	f.inos = files;
	f.n = f.left = k;
	if (k) {
		retval = e2c_find_names(fs, files, k, first_name, NULL, &f);
		if (retval)
			goto errout;
	}
	for (k = 0; k < f.n && !retval; k++)
		if (f.dirs[k])
			retval = join_name(fs, f.dirs[k], f.names[k],
					   &paths[pos[k]]);
errout:
	for (i = 0; i < f.n; i++)
		free(f.names[i]);
	free(f.names);
	free(f.dirs);
	free(files);
	free(pos);
	if (retval) {
		for (i = 0; i < n; i++) {
			free(paths[i]);
			paths[i] = NULL;
		}
	}
	return retval;
}

errcode_t e2c_pathname(e2c_fs *fs, ext2_ino_t ino, char **path)
{
	return e2c_pathnames(fs, &ino, 1, path);
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

errcode_t e2c_dir_list(e2c_fs *fs, ext2_ino_t dir, struct e2c_dirent **ents,
		       size_t *count)
{
	struct list_ctx c = { 0 };
	errcode_t retval;

	retval = ext2fs_check_directory(fs->h, dir);
	if (retval)
		goto errout;
	retval = ext2fs_dir_iterate2(fs->h, dir, 0, NULL, list_cb, &c);
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

char *e2c_path_join(const char *dir, const char *name, size_t len)
{
	size_t dl = strlen(dir);
	int slash = dl && dir[dl - 1] != '/';
	char *p = malloc(dl + slash + len + 1);

	if (!p)
		return NULL;
	memcpy(p, dir, dl);
	if (slash)
		p[dl] = '/';
	memcpy(p + dl + slash, name, len);
	p[dl + slash + len] = '\0';
	return p;
}
