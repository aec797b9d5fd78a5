/*
 * search.c -- filesystem-wide searches by one sequential inode scan: which
 * inodes map given blocks (debugfs icheck) and which directory entries name
 * given inodes (debugfs ncheck).
 */
#include <errno.h>
#include <stdlib.h>

#include "e2c_int.h"

/* Both searches consider linked inodes only, as debugfs does. */
struct linked {
	e2c_inode_fn visit;
	void *priv;
};

static errcode_t if_linked(e2c_fs *fs, ext2_ino_t ino,
			   struct ext2_inode *inode, void *priv, int *done)
{
	struct linked *l = priv;

	return inode->i_links_count ?
		l->visit(fs, ino, inode, l->priv, done) : 0;
}

static errcode_t scan_linked(e2c_fs *fs, e2c_inode_fn visit, void *priv)
{
	struct linked l = { visit, priv };

	return e2c_scan_each(fs, if_linked, &l);
}

static int owner_cmp(const void *a, const void *b)
{
	const struct e2c_owner *x = *(struct e2c_owner *const *)a;
	const struct e2c_owner *y = *(struct e2c_owner *const *)b;

	return x->blk < y->blk ? -1 : x->blk > y->blk;
}

struct owners {
	struct e2c_owner **by_blk;	/* the queries sorted by block */
	size_t n, left;			/* queries, still without an owner */
	void (*bad_map)(ext2_ino_t, errcode_t, void *);
	void *priv;
};

/* Give blocks [blk, blk+len) to ino (as kind) where still unowned. */
static void claim(struct owners *o, blk64_t blk, blk64_t len, ext2_ino_t ino,
		  int kind)
{
	size_t lo = 0, hi = o->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (o->by_blk[mid]->blk < blk)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < o->n && o->by_blk[lo]->blk - blk < len; lo++) {
		if (!o->by_blk[lo]->ino) {
			o->by_blk[lo]->ino = ino;
			o->by_blk[lo]->kind = kind;
			o->left--;
		}
	}
}

/* Visitor: walk one linked inode's xattr block and map, as debugfs icheck
 * does (the map of an inode with i_dtime set is not walked).  A map that
 * cannot be walked keeps what was read before the bad pointer and goes to
 * bad_map; only ENOMEM and interruption stop the search. */
static errcode_t owners_inode(e2c_fs *fs, ext2_ino_t ino,
			      struct ext2_inode *inode, void *priv, int *done)
{
	struct owners *o = priv;
	blk64_t acl = ext2fs_file_acl_block(fs->h, inode);
	struct e2c_piece p;
	e2c_map *m = NULL;
	errcode_t retval;
	int got;

	if (acl)
		claim(o, acl, 1, ino, E2C_XATTR);
	*done = !o->left;
	if (*done || !e2c_inode_has_blocks(fs, inode) || inode->i_dtime)
		return 0;
	retval = e2c_map_open(fs, ino, inode, &m);
	while (!retval && o->left) {
		if (e2c_interrupted) {
			retval = E2C_ERR_INTERRUPTED;
			break;
		}
		retval = e2c_map_next(m, &p, &got);
		if (retval || !got)
			break;
		claim(o, p.pblk, p.len, ino, p.kind);
	}
	e2c_map_close(m);
	*done = !o->left;
	if (retval == ENOMEM || retval == E2C_ERR_INTERRUPTED)
		return retval;
	if (retval && o->bad_map)
		o->bad_map(ino, retval, o->priv);
	return 0;
}

errcode_t e2c_find_owners(e2c_fs *fs, struct e2c_owner *q, size_t n,
			  void (*bad_map)(ext2_ino_t, errcode_t, void *),
			  void *priv)
{
	struct owners o = { NULL, n, n, bad_map, priv };
	errcode_t retval;
	size_t i;

	for (i = 0; i < n; i++)
		q[i].ino = 0;
	if (!n)
		return 0;
	o.by_blk = calloc(n, sizeof(*o.by_blk));
	if (!o.by_blk)
		return ENOMEM;
	for (i = 0; i < n; i++)
		o.by_blk[i] = &q[i];
	qsort(o.by_blk, n, sizeof(*o.by_blk), owner_cmp);
	retval = scan_linked(fs, owners_inode, &o);
	free(o.by_blk);
	return retval;
}

typedef errcode_t (*found_fn)(ext2_ino_t ino, ext2_ino_t dir,
			      const struct e2c_dirent *d, void *priv);

struct names {
	const ext2_ino_t *inos;
	size_t n;
	long left;		/* names still expected (below 0 when a
				 * corrupt fs has more names than links) */
	found_fn found;
	void (*bad_dir)(ext2_ino_t, errcode_t, void *);
	void *priv;
};

/* Visitor: report the entries of a linked directory naming the wanted
 * inodes, once per query holding that inode; "." and ".." are excluded as
 * debugfs excludes them, by position (the first two entries). */
static errcode_t names_dir(e2c_fs *fs, ext2_ino_t dir,
			   struct ext2_inode *inode, void *priv, int *done)
{
	struct names *w = priv;
	struct e2c_dirent *ents = NULL;
	errcode_t retval;
	size_t n = 0, e, i;

	if (inode->i_dtime || !LINUX_S_ISDIR(inode->i_mode))
		return 0;
	retval = e2c_dir_list(fs, dir, &ents, &n);
	if (retval == ENOMEM)
		return retval;
	if (retval) {
		if (w->bad_dir)
			w->bad_dir(dir, retval, w->priv);
		return 0;
	}
	for (e = 2; e < n && w->left && !retval; e++) {
		for (i = 0; i < w->n && !retval; i++) {
			if (w->inos[i] != ents[e].ino)
				continue;
			retval = w->found(w->inos[i], dir, &ents[e], w->priv);
			w->left--;
		}
	}
	e2c_dir_free(ents, n);
	*done = !w->left;
	return retval;
}

errcode_t e2c_find_names(e2c_fs *fs, const ext2_ino_t *inos, size_t n,
			 found_fn found,
			 void (*bad_dir)(ext2_ino_t, errcode_t, void *),
			 void *priv)
{
	struct names w = { inos, n, 0, found, bad_dir, priv };
	struct ext2_inode *inode;
	errcode_t retval = 0;
	size_t i;

	inode = calloc(1, e2c_inode_buf_size(fs));
	if (!inode)
		return ENOMEM;
	/* A directory has one name (its other links are ".." entries). */
	for (i = 0; i < n && !retval; i++) {
		retval = e2c_read_inode(fs, inos[i], inode);
		if (!retval)
			w.left += LINUX_S_ISDIR(inode->i_mode) ? 1 :
				  inode->i_links_count;
	}
	free(inode);
	if (!retval && w.left)
		retval = scan_linked(fs, names_dir, &w);
	return retval == E2C_STOP ? 0 : retval;
}
