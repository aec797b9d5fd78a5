/*
 * unmigrate.c -- reverse migration: an extent-mapped inode back to a block
 * map (direct, IND, DIND, TIND), for boot loaders and kernels that read
 * only ext3, and a way back without an undo file.
 *
 * Planning reads the tree (every pointer checked by the map walk, every
 * block checked for sharing: freeing a shared node would hand out a block
 * in use) and refuses what a block map cannot hold: a data block at 2^32
 * or above, a file past 12 + k + k^2 + k^3 blocks.  Unwritten extents
 * become holes, their blocks freed with the tree's nodes: both read as
 * zeros, so the data is the same (and nothing needs reading).  Staging
 * reserves the indirect blocks through the tx (core/alloc.c: never a
 * metadata block nor one an inode maps) near the data they map, and fills
 * them in memory; the commit (core/tx.c) writes them, marks them, writes
 * the inode, and only then frees the old nodes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "e2c_int.h"

/* ---- the block map builder ------------------------------------------- */

struct bm {
	blk64_t p;			/* pointers per block */
	unsigned blocksize;
	const struct ext3_extent *ext;
	size_t n, cur;			/* cur: first extent not yet behind */
	e2c_bmap_alloc_fn alloc;
	void *arg;
	char *nodes;
	blk64_t k;			/* indirect blocks met so far */
	blk64_t next;			/* the block after the last data one
					 * placed (0: none yet) */
	int depth;
};

static blk64_t x_lblk(const struct ext3_extent *x)
{
	return ext2fs_le32_to_cpu(x->ee_block);
}

static blk64_t x_len(const struct ext3_extent *x)
{
	return ext2fs_le16_to_cpu(x->ee_len);
}

static blk64_t x_pblk(const struct ext3_extent *x)
{
	return ext2fs_le32_to_cpu(x->ee_start) |
	       (blk64_t)ext2fs_le16_to_cpu(x->ee_start_hi) << 32;
}

/* Whether an extent maps anything in [lo, hi) (extents before lo are
 * passed for good: the walk goes up in logical order). */
static int any(struct bm *b, blk64_t lo, blk64_t hi)
{
	while (b->cur < b->n &&
	       x_lblk(&b->ext[b->cur]) + x_len(&b->ext[b->cur]) <= lo)
		b->cur++;
	return b->cur < b->n && x_lblk(&b->ext[b->cur]) < hi;
}

/* The data pointers of [lo, lo + cnt) into slots (le: little-endian;
 * NULL: count only). */
static void fill(struct bm *b, blk64_t lo, blk64_t cnt, __u32 *slots, int le)
{
	size_t i;

	for (i = b->cur; i < b->n && x_lblk(&b->ext[i]) < lo + cnt; i++) {
		const struct ext3_extent *x = &b->ext[i];
		blk64_t from = x_lblk(x) > lo ? x_lblk(x) : lo;
		blk64_t to = x_lblk(x) + x_len(x) < lo + cnt ?
			     x_lblk(x) + x_len(x) : lo + cnt, l;

		if (from >= to)
			continue;
		for (l = from; slots && l < to; l++) {
			__u32 v = x_pblk(x) + (l - x_lblk(x));

			slots[l - lo] = le ? ext2fs_cpu_to_le32(v) : v;
		}
		b->next = x_pblk(x) + (to - x_lblk(x));
	}
}

/* The indirect block of level d (1 IND .. 3 TIND) mapping [lo, lo +
 * p^d), if anything there is mapped: its number in *blk (0: none). */
static errcode_t node(struct bm *b, int d, blk64_t lo, blk64_t *blk)
{
	blk64_t sub = 1, span, i, k;
	__u32 *slots = NULL;
	errcode_t retval;
	int j;

	for (j = 1; j < d; j++)
		sub *= b->p;
	span = sub * b->p;
	*blk = 0;
	if (!any(b, lo, lo + span))
		return 0;
	if (d > b->depth)
		b->depth = d;
	k = b->k++;
	if (b->alloc) {
		/* Where ext3 puts it: the chain of d indirect blocks just
		 * before the first data block it maps. */
		const struct ext3_extent *x = &b->ext[b->cur];
		blk64_t first = x_pblk(x) + (lo > x_lblk(x) ? lo - x_lblk(x) : 0);

		retval = b->alloc(b->arg, first > (blk64_t)d ? first - d : 0,
				  b->next ? b->next : first, blk);
		if (retval)
			return retval;
		if (*blk > 0xffffffffULL)
			return E2C_ERR_SKIP_HIGH_BLOCK;
	}
	if (b->nodes) {
		slots = (__u32 *)(b->nodes + k * b->blocksize);
		memset(slots, 0, b->blocksize);
	}
	if (d == 1) {
		fill(b, lo, b->p, slots, 1);
		return 0;
	}
	for (i = 0; i < b->p && any(b, lo + i * sub, lo + span); i++) {
		blk64_t child;

		retval = node(b, d - 1, lo + i * sub, &child);
		if (retval)
			return retval;
		if (slots)
			slots[i] = ext2fs_cpu_to_le32(child);
	}
	return 0;
}

errcode_t e2c_bmap_build(unsigned blocksize, const struct ext3_extent *ext,
			 size_t n, e2c_bmap_alloc_fn alloc, void *arg,
			 __u32 root[EXT2_N_BLOCKS], char *nodes,
			 blk64_t *count, int *depth)
{
	struct bm b;
	blk64_t lo = EXT2_NDIR_BLOCKS, blk, limit;
	size_t i;
	int d;
	errcode_t retval;

	memset(&b, 0, sizeof(b));
	b.p = blocksize / 4;
	b.blocksize = blocksize;
	b.ext = ext;
	b.n = n;
	b.alloc = alloc;
	b.arg = arg;
	b.nodes = nodes;
	limit = EXT2_NDIR_BLOCKS + b.p + b.p * b.p + b.p * b.p * b.p;
	for (i = 0; i < n; i++) {
		if (x_len(&ext[i]) && x_pblk(&ext[i]) + x_len(&ext[i]) - 1 >
		    0xffffffffULL)
			return E2C_ERR_SKIP_HIGH_BLOCK;
		if (x_lblk(&ext[i]) + x_len(&ext[i]) > limit)
			return E2C_ERR_SKIP_TOO_BIG;
		if (i && x_lblk(&ext[i]) < x_lblk(&ext[i - 1]) +
		    x_len(&ext[i - 1]))
			return E2C_ERR_EXTENT_ORDER;
	}
	if (root)
		memset(root, 0, EXT2_N_BLOCKS * sizeof(root[0]));
	fill(&b, 0, EXT2_NDIR_BLOCKS, root, 0);
	for (d = 1, retval = 0; d <= 3 && !retval; d++) {
		retval = node(&b, d, lo, &blk);
		if (root)
			root[EXT2_NDIR_BLOCKS + d - 1] = blk;
		lo += d == 1 ? b.p : d == 2 ? b.p * b.p : 0;
	}
	if (count)
		*count = b.k;
	if (depth)
		*depth = b.depth;
	return retval;
}

/* ---- planning -------------------------------------------------------- */

/* Why ino cannot be turned back, from the inode alone (0: it can). */
static errcode_t skip_reason(e2c_fs *fs, ext2_ino_t ino,
			     struct ext2_inode *inode)
{
	ext2_filsys h = fs->h;
	__u64 size = EXT2_I_SIZE(inode);
	errcode_t reason = e2c_skip_inode(fs, ino, inode);

	if (reason)
		return reason;
	if (!(inode->i_flags & EXT4_EXTENTS_FL))
		return E2C_ERR_SKIP_BLOCKMAP;
	/* e2fsck bounds a block-mapped file's size by what its map
	 * reaches. */
	if (size / h->blocksize + (size % h->blocksize != 0) >
	    e2c_blockmap_limit(fs))
		return E2C_ERR_SKIP_TOO_BIG;
	return 0;
}

struct uwalk {
	e2c_fs *fs;
	struct e2c_owners *build;	/* claiming for the owners map */
	struct e2c_plan *plan;
	struct e2c_collect *c;
	size_t kept;
	int dir;
	errcode_t err;		/* claiming: why planning stopped (the
				 * rest of the map is claimed still) */
};

static errcode_t keep_extent(struct uwalk *w, const struct e2c_piece *p)
{
	struct ext3_extent *x;
	errcode_t retval;

	retval = e2c_grow(&w->c->ext, &w->c->ext_cap, w->kept + 1,
			  sizeof(*w->c->ext));
	if (retval)
		return retval;
	x = &w->c->ext[w->kept];
	/* A run of one leaf extent: within 32768 blocks, 48-bit. */
	x->ee_block = ext2fs_cpu_to_le32(p->lblk);
	x->ee_len = ext2fs_cpu_to_le16(p->len);
	x->ee_start = ext2fs_cpu_to_le32(p->pblk & 0xffffffffULL);
	x->ee_start_hi = ext2fs_cpu_to_le16(p->pblk >> 32);
	w->kept++;
	return 0;
}

static errcode_t count_piece(struct uwalk *w, const struct e2c_piece *p)
{
	struct e2c_plan *plan = w->plan;
	int shared;
	errcode_t retval;

	if (!w->build) {
		retval = e2c_fs_shared(w->fs, p->pblk, p->len, &shared);
		if (retval)
			return retval;
		if (shared)
			return E2C_ERR_PTR_SHARED;
	}
	if (p->kind != E2C_DATA) {
		plan->meta_freed++;
		return e2c_collect_freed(w->c, p->pblk, 1);
	}
	plan->extents++;
	if (p->flags & E2C_UNINIT) {
		/* A directory has no unwritten blocks but in a corrupt
		 * tree; a hole there is one e2fsck refuses. */
		if (w->dir)
			return E2C_ERR_SKIP_DIR_HOLE;
		plan->uninit_freed += p->len;
		return e2c_collect_freed(w->c, p->pblk, p->len);
	}
	plan->data_blocks += p->len;
	plan->runs++;
	return keep_extent(w, p);
}

/* One piece: claimed while the owners map is built (every piece, also
 * past a bad pointer: planning stops there, claiming goes on), else
 * checked for sharing; then counted. */
static errcode_t take(const struct e2c_piece *p, void *arg)
{
	struct uwalk *w = arg;

	if (!p->len)
		return 0;
	if (!w->build)
		return count_piece(w, p);
	e2c_owners_claim(w->build, p->pblk, p->len);
	/* Past a bad pointer: the walk returns why. */
	if (!w->err && !(p->flags & E2C_PAST_BAD))
		w->err = count_piece(w, p);
	return 0;
}

/* Walk ino's tree into plan (and c): the skip reasons found on the way
 * in plan->skip. */
static errcode_t walk_tree(e2c_fs *fs, ext2_ino_t ino, struct ext2_inode *inode,
			   struct e2c_plan *plan, struct e2c_collect *c,
			   struct e2c_owners *build)
{
	struct uwalk w;
	errcode_t retval;

	memset(&w, 0, sizeof(w));
	w.fs = fs;
	w.plan = plan;
	w.c = c;
	w.build = build;
	w.dir = LINUX_S_ISDIR(inode->i_mode);
	if (build) {
		retval = e2c_map_each_all(fs, ino, inode, take, &w);
		if (!retval)
			retval = w.err;
	} else {
		retval = e2c_map_each(fs, ino, inode, take, &w);
	}
	if (retval == E2C_ERR_SKIP_DIR_HOLE || e2c_map_corrupt(retval) ||
	    retval == E2C_ERR_EXTENT_DEPTH || retval == E2C_ERR_EXTENT_ORDER) {
		plan->skip = retval;
		return 0;
	}
	if (retval)
		return retval;
	if (!e2c_iblocks_match(fs->h, inode, plan->data_blocks +
			       plan->uninit_freed + plan->meta_freed))
		plan->skip = E2C_ERR_SKIP_IBLOCKS;
	return 0;
}

errcode_t e2c_unplan_from(e2c_fs *fs, ext2_ino_t ino, struct ext2_inode *inode,
			  struct e2c_plan *plan, struct e2c_collect *c,
			  int *walked, struct e2c_owners *build)
{
	ext2_filsys h = fs->h;
	struct e2c_collect tmp = { 0 };
	struct ext2_inode copy;
	errcode_t retval = 0;

	if (!c)			/* counting needs every extent */
		c = &tmp;
	memset(plan, 0, sizeof(*plan));
	plan->ino = ino;
	plan->unmigrate = 1;
	plan->iblocks_before = ext2fs_get_stat_i_blocks(h, inode);
	plan->iblocks_after = plan->iblocks_before;
	plan->skip = skip_reason(fs, ino, inode);
	if (walked)
		*walked = !plan->skip;
	if (!plan->skip)
		retval = walk_tree(fs, ino, inode, plan, c, build);
	if (retval)
		goto errout;
	if (!plan->skip)
		plan->skip = e2c_bmap_build(h->blocksize, c->ext, plan->runs,
					    NULL, NULL, NULL, NULL,
					    &plan->index_blocks,
					    &plan->depth);
	if (!plan->skip) {
		plan->used_delta = (long long)plan->index_blocks -
				   (long long)plan->meta_freed -
				   (long long)plan->uninit_freed;
		copy = *inode;
		plan->skip = e2c_iblocks_swap(h, &copy, plan->meta_freed +
					      plan->uninit_freed,
					      plan->index_blocks);
		plan->iblocks_after = ext2fs_get_stat_i_blocks(h, &copy);
	}
	if (plan->skip) {
		struct e2c_plan skipped = { 0 };

		skipped.ino = ino;
		skipped.unmigrate = 1;
		skipped.skip = plan->skip;
		skipped.iblocks_before = plan->iblocks_before;
		skipped.iblocks_after = plan->iblocks_before;
		*plan = skipped;
		e2c_collect_free(c);
	}
	e2c_collect_free(&tmp);
	return 0;
errout:
	e2c_collect_free(c);
	return retval;
}

/* ---- staging --------------------------------------------------------- */

struct reserve {
	e2c_tx *tx;
	const struct e2c_owners *build;	/* as e2c_tx_stage_planned's */
	blk64_t *pblks;
	blk64_t n, cap;		/* reserved so far, of cap */
};

/* Block before if it is free, else the first free one from after. */
static errcode_t reserve_one(void *arg, blk64_t before, blk64_t after,
			     blk64_t *blk)
{
	struct reserve *r = arg;
	errcode_t retval;

	if (r->n >= r->cap)
		return EXT2_ET_INVALID_ARGUMENT;	/* cannot be */
	retval = e2c_tx_reserve(r->tx, before, 1, blk, r->build);
	if (!retval && *blk != before) {
		e2c_tx_unreserve(r->tx, blk, 1);
		retval = e2c_tx_reserve(r->tx, after, 1, blk, r->build);
	}
	if (!retval)
		r->pblks[r->n++] = *blk;
	return retval;
}

errcode_t e2c_tx_unmigrate(e2c_tx *tx, ext2_ino_t ino, struct e2c_plan *plan)
{
	e2c_fs *fs = e2c_tx_fs(tx);
	struct e2c_collect c = { 0 };
	struct e2c_tx_totals t;
	struct e2c_plan p;
	blk64_t nfree;
	errcode_t retval;

	retval = e2c_tx_stage_check(tx, ino, NULL);
	if (retval)
		return retval;
	retval = e2c_unplan_collect(fs, ino, &p, &c);
	if (!retval) {
		/* What is free and not reserved by this tx already. */
		e2c_tx_totals(tx, &t);
		nfree = ext2fs_free_blocks_count(fs->h->super);
		e2c_plan_fit(&p, nfree > t.index_blocks ?
			     nfree - t.index_blocks : 0);
	}
	if (plan)
		*plan = p;
	if (!retval)
		retval = p.skip ? p.skip : e2c_unmigrate_stage(tx, &p, &c, NULL);
	e2c_collect_free(&c);
	return retval;
}

errcode_t e2c_unmigrate_stage(e2c_tx *tx, const struct e2c_plan *p,
			      struct e2c_collect *c,
			      const struct e2c_owners *build)
{
	e2c_fs *fs = e2c_tx_fs(tx);
	struct reserve r = { tx, build, NULL, 0, 0 };
	__u32 root[EXT2_N_BLOCKS];
	char *nodes = NULL;
	errcode_t retval = 0;

	r.cap = p->index_blocks;
	if (r.cap) {
		r.pblks = calloc(r.cap, sizeof(*r.pblks));
		nodes = malloc(r.cap * fs->h->blocksize);
		if (!r.pblks || !nodes) {
			retval = ENOMEM;
			goto out;
		}
	}
	retval = e2c_bmap_build(fs->h->blocksize, c->ext, p->runs, reserve_one,
				&r, root, nodes, NULL, NULL);
	if (!retval && r.n != p->index_blocks)
		retval = E2C_ERR_STAGE_CHANGED;		/* cannot be */
	if (!retval)
		retval = e2c_tx_stage_built(tx, p, root, r.pblks, nodes, c);
	if (!retval) {
		r.pblks = NULL;		/* taken over */
		nodes = NULL;
	}
out:
	if (r.n && r.pblks)
		e2c_tx_unreserve(tx, r.pblks, r.n);
	free(r.pblks);
	free(nodes);
	return retval;
}

/* ---- clearing the feature -------------------------------------------- */

errcode_t e2c_unmigrate_check_clear(e2c_tx *tx, ext2_ino_t *first,
				    size_t *count)
{
	e2c_fs *fs = e2c_tx_fs(tx);
	ext2_filsys h = fs->h;
	ext2_inode_scan scan = NULL;
	struct ext2_inode *inode;
	ext2_ino_t ino;
	int as;
	errcode_t retval;

	*first = 0;
	*count = 0;
	inode = malloc(e2c_inode_buf_size(fs));
	if (!inode)
		return ENOMEM;
	retval = ext2fs_open_inode_scan(h, 0, &scan);
	while (!retval) {
		if (e2c_interrupted) {
			retval = E2C_ERR_INTERRUPTED;
			break;
		}
		retval = ext2fs_get_next_inode_full(scan, &ino, inode,
						    e2c_inode_buf_size(fs));
		if (retval || !ino)
			break;
		/* The inodes e2fsck checks for the flag on a filesystem
		 * without the feature (pass 1): it clears them. */
		if (!inode->i_links_count && ino != EXT2_BAD_INO &&
		    ino != EXT2_ROOT_INO && ino != EXT2_JOURNAL_INO)
			continue;
		as = e2c_tx_staged_as(tx, ino);
		if (as == 1 || (as == 0 &&
				(inode->i_flags & EXT4_EXTENTS_FL))) {
			if (!*count)
				*first = ino;
			++*count;
		}
	}
	if (scan)
		ext2fs_close_inode_scan(scan);
	free(inode);
	if (!retval && *count)
		retval = E2C_ERR_EXTENTS_LEFT;
	return retval;
}
