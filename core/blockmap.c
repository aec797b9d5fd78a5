/*
 * blockmap.c -- what every block of a range is, counted per cell: the
 * data behind the "map" pictures (doc/lua-api.md, fs:blockmap).
 *
 * Each kind is a set of blocks: the block bitmap (in use), the metadata
 * map plus the reserved inodes' blocks (metadata), and the chosen
 * inodes' data and indirect/index blocks, marked from walks of their
 * maps.  A block belongs to the last set of enum e2c_bk's order that
 * holds it, so the sets are painted chunk by chunk in that order, run by
 * run (ext2fs_find_first_set/zero), and the chunk is counted per cell.
 * Only the chosen inodes' maps are walked; "other" is whatever is in use
 * and none of the rest, so no owners map is needed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "e2c_int.h"

/* Blocks painted at once: a byte each. */
#define CHUNK (1 << 20)

struct named {
	ext2_ino_t ino;
	char *name;
};

struct e2c_blockmap {
	e2c_fs *fs;
	blk64_t start, last, per_cell;	/* the range: start..last */
	struct e2c_bm_cell *cells;
	size_t ncells;
	/* The sets of blocks of the kinds beyond the bitmap's, clipped to
	 * the range; block-granular even on bigalloc. */
	ext2fs_block_bitmap data, ind, meta_ino, freed, new_blocks;
	ext2fs_inode_bitmap chosen;
	struct named *names;		/* sorted by ino when sorted */
	size_t nnames, names_cap;
	int sorted;
	struct e2c_bm_error errors[E2C_BM_ERRORS];
	size_t nerrors, total_errors;
	struct ext2_inode *ibuf;	/* e2c_inode_buf_size() bytes */
	size_t unnamed;			/* name_cells: inodes left to name */
	int finished;
};

static void add_error(e2c_blockmap *bm, ext2_ino_t ino, errcode_t err)
{
	if (bm->nerrors < E2C_BM_ERRORS) {
		bm->errors[bm->nerrors].ino = ino;
		bm->errors[bm->nerrors].err = err;
		bm->nerrors++;
	}
	bm->total_errors++;
}

/* Errors that end a build, rather than describe one inode. */
static int fatal(errcode_t err)
{
	return err == ENOMEM || err == E2C_ERR_INTERRUPTED;
}

errcode_t e2c_blockmap_open(e2c_fs *fs, blk64_t start, blk64_t count,
			    blk64_t per_cell, e2c_blockmap **ret)
{
	ext2_filsys h = fs->h;
	e2c_blockmap *bm;
	blk64_t ncells, c;
	errcode_t retval;

	if (!h->block_map)
		return E2C_ERR_NO_BITMAPS;
	if (start < h->super->s_first_data_block ||
	    start >= ext2fs_blocks_count(h->super) || !count ||
	    count > ext2fs_blocks_count(h->super) - start || !per_cell)
		return EXT2_ET_INVALID_ARGUMENT;
	ncells = count / per_cell + (count % per_cell != 0);
	if (ncells > E2C_BM_MAX_CELLS)
		return EXT2_ET_INVALID_ARGUMENT;

	bm = calloc(1, sizeof(*bm));
	if (!bm)
		return ENOMEM;
	bm->fs = fs;
	bm->start = start;
	bm->last = start + count - 1;
	bm->per_cell = per_cell;
	bm->ncells = (size_t)ncells;
	bm->cells = calloc(bm->ncells, sizeof(*bm->cells));
	bm->ibuf = malloc(e2c_inode_buf_size(fs));
	if (!bm->cells || !bm->ibuf) {
		retval = ENOMEM;
		goto errout;
	}
	for (c = 0; c < ncells; c++) {
		bm->cells[c].start = start + c * per_cell;
		bm->cells[c].count = c + 1 < ncells ? per_cell :
				     count - c * per_cell;
	}
	retval = ext2fs_allocate_subcluster_bitmap(h, "map: chosen data",
						   &bm->data);
	if (!retval)
		retval = ext2fs_allocate_subcluster_bitmap(h,
				"map: chosen metadata", &bm->ind);
	if (!retval)
		retval = ext2fs_allocate_subcluster_bitmap(h,
				"map: reserved inodes' blocks", &bm->meta_ino);
	if (!retval)
		retval = ext2fs_allocate_inode_bitmap(h, "map: chosen inodes",
						      &bm->chosen);
	if (retval)
		goto errout;
	*ret = bm;
	return 0;
errout:
	e2c_blockmap_free(bm);
	return retval;
}

/* Blocks b..b+len-1 of inode ino (0: nobody's to list) are in set map:
 * marked where they meet the range, and ino listed by their cells. */
static void note(e2c_blockmap *bm, ext2_ino_t ino, blk64_t b, blk64_t len,
		 ext2fs_block_bitmap map)
{
	blk64_t lo = b > bm->start ? b : bm->start;
	blk64_t hi = b + len - 1 < bm->last ? b + len - 1 : bm->last;
	size_t c, c1;

	if (!len || b > bm->last || lo > hi)
		return;
	ext2fs_mark_block_bitmap_range2(map, lo, hi - lo + 1);
	if (!ino)
		return;
	c1 = (size_t)((hi - bm->start) / bm->per_cell);
	for (c = (size_t)((lo - bm->start) / bm->per_cell); c <= c1; c++) {
		struct e2c_bm_cell *cell = &bm->cells[c];

		if (cell->last == ino)
			continue;
		cell->last = ino;
		if (cell->nfiles < E2C_BM_NAMES)
			cell->files[cell->nfiles] = ino;
		cell->nfiles++;
	}
}

struct walk_ctx {
	e2c_blockmap *bm;
	ext2_ino_t ino;		/* listed in the cells; 0: not */
	ext2fs_block_bitmap data, ind;	/* where its pieces go */
};

static errcode_t note_piece(const struct e2c_piece *p, void *arg)
{
	struct walk_ctx *w = arg;

	note(w->bm, w->ino, p->pblk, p->len,
	     p->kind == E2C_DATA ? w->data : w->ind);
	return 0;
}

/* Walk inode's map and xattr block into w's sets. */
static errcode_t walk_inode(struct walk_ctx *w, ext2_ino_t ino,
			    struct ext2_inode *inode)
{
	ext2_filsys h = w->bm->fs->h;
	blk64_t acl = ext2fs_file_acl_block(h, inode);
	errcode_t retval;

	/* 0 is "none", and a valid block on 4 KiB filesystems. */
	if (acl && acl >= h->super->s_first_data_block &&
	    acl < ext2fs_blocks_count(h->super))
		note(w->bm, w->ino, acl, 1, w->ind);
	retval = e2c_map_each(w->bm->fs, ino, inode, note_piece, w);
	if (retval && !fatal(retval)) {
		add_error(w->bm, ino, retval);
		retval = 0;
	}
	return retval;
}

static errcode_t add_name(e2c_blockmap *bm, ext2_ino_t ino, const char *name)
{
	errcode_t retval;
	char *copy;

	retval = e2c_grow(&bm->names, &bm->names_cap, bm->nnames + 1,
			  sizeof(*bm->names));
	if (retval)
		return retval;
	copy = strdup(name);
	if (!copy)
		return ENOMEM;
	bm->names[bm->nnames].ino = ino;
	bm->names[bm->nnames].name = copy;
	bm->nnames++;
	bm->sorted = 0;
	return 0;
}

/* Choose ino, whose inode is in bm->ibuf. */
static errcode_t choose_read(e2c_blockmap *bm, ext2_ino_t ino)
{
	struct walk_ctx w = { bm, ino, bm->data, bm->ind };

	ext2fs_mark_inode_bitmap2(bm->chosen, ino);
	return walk_inode(&w, ino, bm->ibuf);
}

errcode_t e2c_blockmap_choose(e2c_blockmap *bm, ext2_ino_t ino,
			      const char *name)
{
	errcode_t retval;

	if (bm->finished)
		return EXT2_ET_INVALID_ARGUMENT;
	if (ino < 1 || ino > bm->fs->h->super->s_inodes_count)
		return EXT2_ET_BAD_INODE_NUM;
	if (ext2fs_test_inode_bitmap2(bm->chosen, ino))
		return 0;
	retval = e2c_read_inode(bm->fs, ino, bm->ibuf);
	if (retval)
		return retval;
	if (name) {
		retval = add_name(bm, ino, name);
		if (retval)
			return retval;
	}
	return choose_read(bm, ino);
}

/*
 * fn(bm, ino, path, arg) for every inode under dir (its inode in
 * bm->ibuf), until fn fails (E2C_STOP: done).  A walk that fails ends
 * there, listed in the errors when record is set.
 */
static errcode_t walk_tree(e2c_blockmap *bm, ext2_ino_t dir, const char *path,
			   errcode_t (*fn)(e2c_blockmap *bm, ext2_ino_t ino,
					   const char *path, void *arg),
			   void *arg, int record)
{
	const char *p;
	ext2_ino_t ino = dir;
	e2c_walk *w;
	errcode_t retval;
	int got;

	retval = e2c_walk_open(bm->fs, dir, path, &w);
	if (retval)
		return retval;
	while (!retval) {
		if (e2c_interrupted) {
			retval = E2C_ERR_INTERRUPTED;
			break;
		}
		retval = e2c_walk_next(w, &ino, &p, bm->ibuf, &got);
		if (retval && !fatal(retval)) {
			if (record)
				add_error(bm, ino, retval);
			retval = 0;
			break;
		}
		if (retval || !got)
			break;
		retval = fn(bm, ino, p, arg);
	}
	e2c_walk_close(w);
	return retval == E2C_STOP ? 0 : retval;
}

static errcode_t tree_choose(e2c_blockmap *bm, ext2_ino_t ino,
			     const char *path, void *arg)
{
	errcode_t retval;

	(void)arg;
	if (ext2fs_test_inode_bitmap2(bm->chosen, ino))
		return 0;	/* a hard link met again */
	retval = add_name(bm, ino, path);
	return retval ? retval : choose_read(bm, ino);
}

errcode_t e2c_blockmap_choose_tree(e2c_blockmap *bm, ext2_ino_t dir,
				   const char *path)
{
	if (bm->finished)
		return EXT2_ET_INVALID_ARGUMENT;
	return walk_tree(bm, dir, path, tree_choose, NULL, 1);
}

/* The inodes whose blocks are filesystem metadata. */
static int meta_inode(ext2_filsys h, ext2_ino_t ino)
{
	struct ext2_super_block *sb = h->super;

	return (ino < EXT2_FIRST_INO(sb) && ino != EXT2_ROOT_INO) ||
	       ino == sb->s_journal_inum || ino == sb->s_usr_quota_inum ||
	       ino == sb->s_grp_quota_inum || ino == sb->s_prj_quota_inum ||
	       ino == sb->s_orphan_file_inum;
}

static errcode_t all_inode(e2c_fs *fs, ext2_ino_t ino,
			   struct ext2_inode *inode, void *priv, int *done)
{
	e2c_blockmap *bm = priv;
	struct walk_ctx w = { bm, ino, bm->data, bm->ind };

	(void)done;
	if (meta_inode(fs->h, ino) ||
	    ext2fs_test_inode_bitmap2(bm->chosen, ino))
		return 0;
	ext2fs_mark_inode_bitmap2(bm->chosen, ino);
	return walk_inode(&w, ino, inode);
}

errcode_t e2c_blockmap_choose_all(e2c_blockmap *bm)
{
	if (bm->finished)
		return EXT2_ET_INVALID_ARGUMENT;
	return e2c_scan_each(bm->fs, all_inode, bm);
}

static errcode_t note_tx(ext2_ino_t ino, blk64_t start, blk64_t len,
			 int inuse, void *arg)
{
	e2c_blockmap *bm = arg;

	note(bm, ino, start, len, inuse ? bm->new_blocks : bm->freed);
	return 0;
}

errcode_t e2c_blockmap_after(e2c_blockmap *bm, e2c_tx *tx)
{
	ext2_filsys h = bm->fs->h;
	errcode_t retval;

	if (bm->finished)
		return EXT2_ET_INVALID_ARGUMENT;
	if (!bm->freed) {
		retval = ext2fs_allocate_subcluster_bitmap(h,
				"map: blocks a commit frees", &bm->freed);
		if (!retval)
			retval = ext2fs_allocate_subcluster_bitmap(h,
				"map: blocks a commit allocates",
				&bm->new_blocks);
		if (retval)
			return retval;
	}
	return e2c_tx_blocks(tx, note_tx, bm);
}

/* Walk metadata inode ino into w's sets, unless it is chosen, or not in
 * use: an unused reserved inode has no blocks, and a corrupt s_first_ino
 * must not make the walk read the whole inode table. */
static errcode_t walk_meta(e2c_blockmap *bm, struct walk_ctx *w,
			   ext2_ino_t ino)
{
	ext2_filsys h = bm->fs->h;
	errcode_t retval;
	int inuse = 1;

	if (!ino || ino == EXT2_ROOT_INO || ino > h->super->s_inodes_count ||
	    ext2fs_test_inode_bitmap2(bm->chosen, ino))
		return 0;
	if (h->inode_map) {
		retval = e2c_ib_test(bm->fs, ino, &inuse);
		if (retval || !inuse)
			return retval;
	}
	retval = e2c_read_inode(bm->fs, ino, bm->ibuf);
	if (!retval)
		retval = walk_inode(w, ino, bm->ibuf);
	if (retval && !fatal(retval)) {
		add_error(bm, ino, retval);
		retval = 0;
	}
	return retval;
}

/* The blocks of the metadata inodes not chosen (meta_inode(): the
 * journal, the resize inode's reserved GDT blocks, quota files), as
 * metadata. */
static errcode_t walk_meta_inodes(e2c_blockmap *bm)
{
	struct ext2_super_block *sb = bm->fs->h->super;
	const ext2_ino_t special[] = { sb->s_journal_inum,
		sb->s_usr_quota_inum, sb->s_grp_quota_inum,
		sb->s_prj_quota_inum, sb->s_orphan_file_inum };
	struct walk_ctx w = { bm, 0, bm->meta_ino, bm->meta_ino };
	ext2_ino_t ino, first = EXT2_FIRST_INO(sb);
	size_t i;
	errcode_t retval = 0;

	for (ino = 1; ino < first && ino <= sb->s_inodes_count && !retval;
	     ino++)
		retval = walk_meta(bm, &w, ino);
	for (i = 0; i < sizeof(special) / sizeof(special[0]) && !retval; i++)
		if (special[i] >= first)	/* else walked above */
			retval = walk_meta(bm, &w, special[i]);
	return retval;
}

/* buf[b - lo] = kind for every block of lo..hi in map. */
static errcode_t paint(ext2fs_block_bitmap map, blk64_t lo, blk64_t hi,
		       unsigned char *buf, enum e2c_bk kind)
{
	blk64_t s = lo, e;
	errcode_t retval;

	while (map && s <= hi) {
		retval = ext2fs_find_first_set_block_bitmap2(map, s, hi, &e);
		if (retval == ENOENT)
			return 0;
		if (retval)
			return retval;
		/* A cluster bitmap answers with the cluster's first block,
		 * which may lie before s. */
		s = e > s ? e : s;
		retval = ext2fs_find_first_zero_block_bitmap2(map, s, hi, &e);
		if (retval == ENOENT)
			e = hi + 1;
		else if (retval)
			return retval;
		if (e <= s)
			e = s + 1;
		memset(buf + (s - lo), kind, e - s);
		s = e;
	}
	return 0;
}

/* What the cell shows (see struct e2c_bm_cell): what was asked about is
 * never hidden; the rest by majority, free against used first. */
static enum e2c_bk dominant(const struct e2c_bm_cell *c)
{
	static const enum e2c_bk any[] = { E2C_BK_NEW, E2C_BK_FREED,
					   E2C_BK_IND, E2C_BK_DATA };
	size_t i;

	for (i = 0; i < sizeof(any) / sizeof(any[0]); i++)
		if (c->n[any[i]])
			return any[i];
	if (c->n[E2C_BK_FREE] > c->n[E2C_BK_META] + c->n[E2C_BK_OTHER])
		return E2C_BK_FREE;
	return c->n[E2C_BK_OTHER] > c->n[E2C_BK_META] ? E2C_BK_OTHER :
							E2C_BK_META;
}

errcode_t e2c_blockmap_finish(e2c_blockmap *bm)
{
	ext2_filsys h = bm->fs->h;
	unsigned char *buf = NULL;
	blk64_t lo, hi, b;
	size_t c;
	int meta;
	errcode_t retval;

	if (bm->finished)
		return EXT2_ET_INVALID_ARGUMENT;
	/* Builds the fs's metadata map if nobody did yet; the range's
	 * block bitmaps loaded. */
	retval = e2c_fs_is_metadata(bm->fs, bm->start, 1, &meta);
	if (!retval)
		retval = e2c_bb_load_range(bm->fs, bm->start,
					   bm->last - bm->start + 1);
	if (!retval)
		retval = walk_meta_inodes(bm);
	if (retval)
		return retval;
	buf = malloc(CHUNK);
	if (!buf)
		return ENOMEM;
	for (lo = bm->start; lo <= bm->last; lo = hi + 1) {
		if (e2c_interrupted) {
			retval = E2C_ERR_INTERRUPTED;
			goto errout;
		}
		hi = bm->last - lo < CHUNK - 1 ? bm->last : lo + CHUNK - 1;
		memset(buf, E2C_BK_FREE, hi - lo + 1);
		if ((retval = paint(h->block_map, lo, hi, buf,
				    E2C_BK_OTHER)) ||
		    (retval = paint(bm->fs->meta, lo, hi, buf,
				    E2C_BK_META)) ||
		    (retval = paint(bm->meta_ino, lo, hi, buf,
				    E2C_BK_META)) ||
		    (retval = paint(bm->data, lo, hi, buf, E2C_BK_DATA)) ||
		    (retval = paint(bm->ind, lo, hi, buf, E2C_BK_IND)) ||
		    (retval = paint(bm->freed, lo, hi, buf, E2C_BK_FREED)) ||
		    (retval = paint(bm->new_blocks, lo, hi, buf,
				    E2C_BK_NEW)))
			goto errout;
		for (b = lo; b <= hi;) {
			struct e2c_bm_cell *cell =
				&bm->cells[(b - bm->start) / bm->per_cell];
			blk64_t end = cell->start + cell->count - 1;

			if (end > hi)
				end = hi;
			for (; b <= end; b++)
				cell->n[buf[b - lo]]++;
		}
	}
	for (c = 0; c < bm->ncells; c++)
		bm->cells[c].kind = dominant(&bm->cells[c]);
	bm->finished = 1;
errout:
	free(buf);
	return retval;
}

static int named_cmp(const void *a, const void *b)
{
	ext2_ino_t x = ((const struct named *)a)->ino;
	ext2_ino_t y = ((const struct named *)b)->ino;

	return (x > y) - (x < y);
}

const char *e2c_blockmap_name(e2c_blockmap *bm, ext2_ino_t ino)
{
	struct named key = { ino, NULL }, *n;

	if (!bm->nnames)	/* names is NULL: no qsort or bsearch of it */
		return NULL;
	if (!bm->sorted) {
		qsort(bm->names, bm->nnames, sizeof(*bm->names), named_cmp);
		bm->sorted = 1;
	}
	n = bsearch(&key, bm->names, bm->nnames, sizeof(*bm->names),
		    named_cmp);
	return n ? n->name : NULL;
}

static errcode_t name_one(e2c_blockmap *bm, ext2_ino_t ino, const char *path,
			 void *arg)
{
	ext2fs_inode_bitmap wanted = arg;	/* listed, not named yet */
	errcode_t retval;

	if (!ext2fs_test_inode_bitmap2(wanted, ino))
		return 0;
	ext2fs_unmark_inode_bitmap2(wanted, ino);
	retval = add_name(bm, ino, path);
	if (retval)
		return retval;
	return --bm->unnamed ? 0 : E2C_STOP;
}

errcode_t e2c_blockmap_name_cells(e2c_blockmap *bm)
{
	ext2fs_inode_bitmap wanted;
	size_t c, i;
	errcode_t retval;

	retval = ext2fs_allocate_inode_bitmap(bm->fs->h, "map: inodes to "
					      "name", &wanted);
	if (retval)
		return retval;
	bm->unnamed = 0;
	for (c = 0; c < bm->ncells; c++) {
		const struct e2c_bm_cell *cell = &bm->cells[c];

		for (i = 0; i < cell->nfiles && i < E2C_BM_NAMES; i++) {
			ext2_ino_t ino = cell->files[i];

			if (ext2fs_test_inode_bitmap2(wanted, ino) ||
			    e2c_blockmap_name(bm, ino))
				continue;
			ext2fs_mark_inode_bitmap2(wanted, ino);
			bm->unnamed++;
		}
	}
	if (bm->unnamed)
		retval = walk_tree(bm, EXT2_ROOT_INO, "/", name_one, wanted, 0);
	ext2fs_free_inode_bitmap(wanted);
	return retval;
}

void e2c_blockmap_geometry(e2c_blockmap *bm, blk64_t *start, blk64_t *count,
			   blk64_t *per_cell)
{
	*start = bm->start;
	*count = bm->last - bm->start + 1;
	*per_cell = bm->per_cell;
}

const struct e2c_bm_cell *e2c_blockmap_cells(e2c_blockmap *bm, size_t *n)
{
	*n = bm->ncells;
	return bm->cells;
}

const struct e2c_bm_error *e2c_blockmap_errors(e2c_blockmap *bm, size_t *n,
					       size_t *total)
{
	*n = bm->nerrors;
	*total = bm->total_errors;
	return bm->errors;
}

void e2c_blockmap_free(e2c_blockmap *bm)
{
	size_t i;

	if (!bm)
		return;
	if (bm->data)
		ext2fs_free_block_bitmap(bm->data);
	if (bm->ind)
		ext2fs_free_block_bitmap(bm->ind);
	if (bm->meta_ino)
		ext2fs_free_block_bitmap(bm->meta_ino);
	if (bm->freed)
		ext2fs_free_block_bitmap(bm->freed);
	if (bm->new_blocks)
		ext2fs_free_block_bitmap(bm->new_blocks);
	if (bm->chosen)
		ext2fs_free_inode_bitmap(bm->chosen);
	for (i = 0; i < bm->nnames; i++)
		free(bm->names[i].name);
	free(bm->names);
	free(bm->cells);
	free(bm->ibuf);
	free(bm);
}
