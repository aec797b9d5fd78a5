/*
 * tx.c -- migration transactions: stage inodes in memory, then commit them
 * in an order where a crash or an error at any point loses no data.
 *
 * Staging touches neither the disk nor the fs's in-memory state.  Index
 * blocks are reserved by the core's allocator (core/alloc.c) in the
 * transaction's own "taken" bitmap of reservations, tested with the fs's
 * block bitmap, so a block is never given twice and never is one of an
 * inode's own indirect blocks (they stay marked used in the fs until
 * after commit).  Nothing is staged or committed on a filesystem whose
 * bitmaps disagree with its maps (e2c_fs_check_bitmaps).  The extent
 * handle is not used: it writes the live inode as it builds.
 * doc/migration.md describes the commit steps and what each guarantees.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "e2c_int.h"

/* One staged inode with indirect or index blocks: what the commit needs
 * of its plan, its new root, nodes and old indirect blocks (about 110
 * bytes: a transaction may hold thousands).  A relocation (rel set) also
 * has its data moves and new data ranges, and its freed runs include the
 * old data; another kind of staged inode adds its own record beside rel,
 * and the steps below take what it adds (new blocks to write and mark,
 * old ones to free). */
struct staged {
	struct {
		ext2_ino_t ino;
		__u32 index_blocks;	/* nodes: pblks[], nodes */
		__u32 meta_freed;	/* old indirect blocks */
	} plan;
	__u32 root[EXT2_N_BLOCKS];	/* the new i_block */
	__u32 nfreed;			/* runs of old indirect blocks (or,
					 * unmigrate, tree nodes and unwritten
					 * extents' blocks) */
	int unmigrate;			/* to a block map (core/unmigrate.c):
					 * nodes are indirect blocks */
	blk64_t *pblks;			/* where node k goes */
	char *nodes;			/* plan.index_blocks blocks */
	union {
		struct e2c_range one;	/* nfreed 1: most files */
		struct e2c_range *many;
	} freed;
	struct e2c_reloc *rel;		/* relocating: core/reloc.c */
};

/* The runs of s's old indirect blocks. */
static const struct e2c_range *freed_runs(const struct staged *s)
{
	return s->nfreed == 1 ? &s->freed.one : s->freed.many;
}

struct e2c_tx {
	e2c_fs *fs;
	ext2fs_block_bitmap taken;	/* reservations */
	ext2fs_inode_bitmap staged_map;	/* inodes staged */
	struct staged *v;
	size_t n, cap;
	/* Staged inodes whose whole map is the direct slots of i_block and
	 * whose tree is a root of at most four extents: nothing to reserve
	 * or free, so all they keep is a bit in direct_map; the commit
	 * rebuilds the root from the inode it reads anyway.  A bit each
	 * instead of a struct staged: most files of most filesystems. */
	ext2fs_inode_bitmap direct_map;
	size_t ndirect;
	size_t cur_k;		/* e2c_tx_entry's place among them: the */
	ext2_ino_t cur_ino;	/* cur_k-th is cur_ino (0: none yet) */
	int unverified;		/* reserved while the owners map was built */
	struct e2c_tx_totals totals;
	unsigned clear;		/* features to turn off (1 << E2C_FEATURE_*) */
	ext2_ino_t left_first;	/* E2C_ERR_EXTENTS_LEFT: the first inode */
	size_t left_count;	/* ... and how many */
	int broken;		/* a commit failed past the point of no return */
	int step;		/* where the last commit stopped */
	size_t written;		/* inodes the last commit wrote */
	errcode_t cause;	/* why it failed (the step's error) */
	errcode_t flush_err;	/* the restoring or final flush after */
	unsigned long gen;	/* e2c_tx_generation */
};

#define COMMIT_DONE 6		/* tx->step after a complete commit */

errcode_t e2c_tx_begin(e2c_fs *fs, e2c_tx **ret)
{
	e2c_tx *tx;

	if (!fs->writable)
		return E2C_ERR_NOT_WRITABLE;
	if (fs->catastrophic || !fs->h->block_map)
		return E2C_ERR_NO_BITMAPS;
	if (fs->tx)
		return E2C_ERR_TX_ACTIVE;
	tx = calloc(1, sizeof(*tx));
	if (!tx)
		return ENOMEM;
	tx->fs = fs;
	tx->gen = ++fs->tx_gen;
	fs->tx = tx;
	*ret = tx;
	return 0;
}

static void staged_free(struct staged *s)
{
	e2c_reloc_free(s->rel);
	free(s->pblks);
	free(s->nodes);
	if (s->nfreed > 1)
		free(s->freed.many);
}

/* Forget everything staged; the next stage starts from the fs's bitmap.
 * The array is kept for the next batch (e2c_tx_free frees it): regrowing
 * it batch after batch only fragments the heap. */
static void drop_all(e2c_tx *tx)
{
	size_t i;

	for (i = 0; i < tx->n; i++)
		staged_free(&tx->v[i]);
	tx->n = 0;
	tx->ndirect = 0;
	tx->cur_ino = 0;
	tx->unverified = 0;
	tx->clear = 0;
	memset(&tx->totals, 0, sizeof(tx->totals));
	if (tx->taken)
		ext2fs_free_block_bitmap(tx->taken);
	tx->taken = NULL;
	if (tx->staged_map)
		ext2fs_free_inode_bitmap(tx->staged_map);
	tx->staged_map = NULL;
	if (tx->direct_map)
		ext2fs_free_inode_bitmap(tx->direct_map);
	tx->direct_map = NULL;
}

void e2c_tx_rollback(e2c_tx *tx)
{
	drop_all(tx);
	tx->broken = 0;
}

void e2c_tx_free(e2c_tx *tx)
{
	if (!tx)
		return;
	drop_all(tx);
	free(tx->v);
	if (tx->fs->tx == tx)
		tx->fs->tx = NULL;
	free(tx);
}

size_t e2c_tx_count(e2c_tx *tx)
{
	return tx->n + tx->ndirect;
}

int e2c_tx_full(e2c_tx *tx)
{
	return tx->n >= E2C_TX_MAX_KEPT ||
	       tx->totals.index_blocks >= E2C_TX_MAX_INDEX;
}

errcode_t e2c_tx_entry(e2c_tx *tx, size_t i, struct e2c_plan *plan)
{
	ext2_ino_t last = tx->fs->h->super->s_inodes_count;
	size_t k, steps;
	errcode_t retval;

	/* What is kept is what the commit needs: plan it again (nothing
	 * has changed). */
	if (i < tx->n && tx->v[i].rel) {
		*plan = tx->v[i].rel->plan;
		return 0;
	}
	if (i < tx->n)
		return tx->v[i].unmigrate ?
		       e2c_unplan_collect(tx->fs, tx->v[i].plan.ino, plan,
					   NULL) :
		       e2c_plan_collect(tx->fs, tx->v[i].plan.ino, plan, NULL);
	if (i - tx->n >= tx->ndirect)
		return EXT2_ET_INVALID_ARGUMENT;
	/* The k-th direct inode, found from the last one asked for (a
	 * listing asks in order). */
	k = i - tx->n;
	if (!tx->cur_ino || k < tx->cur_k) {
		tx->cur_ino = 0;
		steps = k + 1;
	} else {
		steps = k - tx->cur_k;
	}
	while (steps--) {
		retval = ext2fs_find_first_set_inode_bitmap2(tx->direct_map,
				tx->cur_ino + 1, last, &tx->cur_ino);
		if (retval) {
			tx->cur_ino = 0;
			return retval;
		}
	}
	tx->cur_k = k;
	return e2c_plan_collect(tx->fs, tx->cur_ino, plan, NULL);
}

void e2c_tx_totals(e2c_tx *tx, struct e2c_tx_totals *t)
{
	*t = tx->totals;
}

void e2c_tx_effects(e2c_tx *tx, struct e2c_effects *ef)
{
	size_t i, n = tx->ndirect;

	/* Only migrations turn the extent feature on. */
	for (i = 0; i < tx->n; i++)
		n += !tx->v[i].unmigrate;
	e2c_effects_of(tx->fs, n, ef);
	ef->moved = tx->totals.moved_blocks;
	if (e2c_tx_count(tx))
		ef->not_clean = 1;
	e2c_effects_clear(tx->fs, tx->clear, ef);
}

static errcode_t tx_maps(e2c_tx *tx);

errcode_t e2c_tx_clear_feature(e2c_tx *tx, enum e2c_feature f)
{
	struct ext2_super_block *sb = tx->fs->h->super;
	errcode_t retval;

	if (tx->broken)
		return E2C_ERR_TX_DONE;
	if (f != E2C_FEATURE_EXTENT)
		return EXT2_ET_INVALID_ARGUMENT;
	/* e2fsck turns it back on for these (PR_0_64BIT_WITHOUT_EXTENTS,
	 * bigalloc's block-mapped files converted). */
	if (ext2fs_has_feature_64bit(sb) || ext2fs_has_feature_bigalloc(sb))
		return E2C_ERR_FEATURE_NEEDED;
	retval = tx_maps(tx);	/* a commit of nothing staged uses them */
	if (!retval)
		tx->clear |= 1u << f;
	return retval;
}

void e2c_tx_extents_left(e2c_tx *tx, ext2_ino_t *first, size_t *count)
{
	*first = tx->left_first;
	*count = tx->left_count;
}

void e2c_tx_progress(e2c_tx *tx, int *step, size_t *written)
{
	*step = tx->step;
	*written = tx->written;
}

void e2c_tx_failure(e2c_tx *tx, errcode_t *cause, errcode_t *flush)
{
	*cause = tx->cause;
	*flush = tx->flush_err;
}

unsigned long e2c_tx_generation(e2c_tx *tx)
{
	return tx->gen;
}

/* The bitmaps staging works with, made on first use. */
static errcode_t tx_maps(e2c_tx *tx)
{
	ext2_filsys h = tx->fs->h;
	errcode_t retval;

	if (!tx->taken) {
		/* A few runs, not a copy of the block bitmap (1.6 MiB as a
		 * tree on a 4 TiB ext3, 16 MiB as bits at 2^27 blocks). */
		retval = e2c_block_map_new(tx->fs, "reserved blocks",
					   E2C_MAP_SPARSE, &tx->taken);
		if (retval)
			return retval;
	}
	if (!tx->staged_map) {
		retval = ext2fs_allocate_inode_bitmap(h, "staged inodes",
						      &tx->staged_map);
		if (retval)
			return retval;
	}
	if (!tx->direct_map)
		return ext2fs_allocate_inode_bitmap(h, "direct inodes",
						    &tx->direct_map);
	return 0;
}

/* Whether ino can be staged now (not staged yet, tx usable, the bitmaps
 * to be trusted: while a scan builds the owners map they cannot be
 * checked yet, and the scan checks them when it ends). */
errcode_t e2c_tx_stage_check(e2c_tx *tx, ext2_ino_t ino,
			     const struct e2c_owners *build)
{
	ext2_filsys h = tx->fs->h;
	errcode_t retval;

	if (tx->broken)
		return E2C_ERR_TX_DONE;
	if (!build) {
		retval = e2c_fs_check_bitmaps(tx->fs);
		if (retval)
			return retval;
	}
	retval = tx_maps(tx);
	if (retval)
		return retval;
	if (ino >= 1 && ino <= h->super->s_inodes_count &&
	    ext2fs_test_inode_bitmap2(tx->staged_map, ino))
		return E2C_ERR_STAGED;
	return 0;
}

static void count_staged(e2c_tx *tx, const struct e2c_plan *p)
{
	ext2fs_mark_inode_bitmap2(tx->staged_map, p->ino);
	tx->totals.inodes++;
	tx->totals.data_blocks += p->data_blocks;
	tx->totals.extents += p->extents;
	tx->totals.index_blocks += p->index_blocks;
	tx->totals.meta_freed += p->meta_freed;
	tx->totals.uninit_freed += p->uninit_freed;
	tx->totals.unmigrated += p->unmigrate != 0;
	tx->totals.used_delta += p->used_delta;
	if (p->relocate) {
		tx->totals.relocated++;
		tx->totals.moved_blocks += p->data_blocks;
		tx->totals.copied_blocks += p->copy_blocks;
	}
}

/* A tree that is the inode's direct blocks in a root: see direct_map. */
static int is_direct(const struct e2c_plan *p)
{
	return !p->unmigrate && !p->meta_freed && !p->index_blocks;
}

errcode_t e2c_tx_reserve(e2c_tx *tx, blk64_t goal, blk64_t n, blk64_t *out,
			 const struct e2c_owners *build)
{
	return e2c_alloc_blocks(tx->fs, tx->taken, goal, n, out, build,
				&tx->unverified);
}

void e2c_tx_unreserve(e2c_tx *tx, const blk64_t *blks, blk64_t n)
{
	while (n--)
		ext2fs_unmark_block_bitmap2(tx->taken, blks[n]);
}

/* Keep record s (its pblks and nodes taken over) with c's freed runs. */
static errcode_t keep(e2c_tx *tx, const struct e2c_plan *p, struct staged *s,
		      struct e2c_collect *c)
{
	errcode_t retval;

	retval = e2c_grow(&tx->v, &tx->cap, tx->n + 1, sizeof(*tx->v));
	if (retval)
		return retval;
	s->nfreed = c->nfreed;
	if (c->nfreed == 1) {
		s->freed.one = c->freed[0];
	} else if (c->nfreed > 1) {
		s->freed.many = c->freed;	/* taken over */
		c->freed = NULL;
		c->freed_cap = 0;
	}
	c->nfreed = 0;
	tx->v[tx->n++] = *s;
	count_staged(tx, p);
	return 0;
}

errcode_t e2c_tx_stage_built(e2c_tx *tx, const struct e2c_plan *p,
			     const __u32 root[EXT2_N_BLOCKS], blk64_t *pblks,
			     char *nodes, struct e2c_collect *c)
{
	struct staged s;

	memset(&s, 0, sizeof(s));
	s.plan.ino = p->ino;
	s.plan.index_blocks = p->index_blocks;
	/* What i_blocks loses at the swap. */
	s.plan.meta_freed = p->meta_freed + p->uninit_freed;
	s.unmigrate = p->unmigrate;
	memcpy(s.root, root, sizeof(s.root));
	s.pblks = pblks;
	s.nodes = nodes;
	return keep(tx, p, &s, c);
}

e2c_fs *e2c_tx_fs(e2c_tx *tx)
{
	return tx->fs;
}

int e2c_tx_staged_as(e2c_tx *tx, ext2_ino_t ino)
{
	size_t lo = 0, hi = tx->n, mid;

	if (!tx->staged_map || ino < 1 ||
	    ino > tx->fs->h->super->s_inodes_count ||
	    !ext2fs_test_inode_bitmap2(tx->staged_map, ino))
		return 0;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (tx->v[mid].plan.ino == ino)
			return tx->v[mid].unmigrate ? 2 : 1;
		if (tx->v[mid].plan.ino < ino)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 1;	/* a direct one */
}

/* Stage p (rel: its relocation, taken over on success). */
static errcode_t stage_record(e2c_tx *tx, const struct e2c_plan *p,
			      struct e2c_collect *c, struct e2c_reloc *rel,
			      const struct e2c_owners *build)
{
	ext2_filsys h = tx->fs->h;
	struct staged s;
	errcode_t retval;
	int reserved = 0;

	memset(&s, 0, sizeof(s));
	retval = e2c_tx_stage_check(tx, p->ino, build);
	if (retval)
		return retval;
	if (p->skip)
		return p->skip;
	if (p->unmigrate)
		return e2c_unmigrate_stage(tx, p, c, build);
	if (!rel && is_direct(p)) {
		ext2fs_mark_inode_bitmap2(tx->direct_map, p->ino);
		tx->ndirect++;
		count_staged(tx, p);
		return 0;
	}
	s.plan.ino = p->ino;
	s.plan.index_blocks = p->index_blocks;
	s.plan.meta_freed = p->meta_freed;
	if (p->index_blocks) {
		s.pblks = calloc(p->index_blocks, sizeof(*s.pblks));
		s.nodes = malloc(p->index_blocks * h->blocksize);
		if (!s.pblks || !s.nodes) {
			retval = ENOMEM;
			goto errout;
		}
		/* Near the data: the first extent's block.  While the
		 * owners map is being built, the blocks are checked against
		 * it when it is (e2c_tx_verify). */
		retval = e2c_alloc_blocks(tx->fs, tx->taken,
				ext2fs_le32_to_cpu(c->ext[0].ee_start) |
				((blk64_t)ext2fs_le16_to_cpu(
					c->ext[0].ee_start_hi) << 32),
				p->index_blocks, s.pblks, build,
				&tx->unverified);
		if (retval)
			goto errout;
		reserved = 1;
	}
	retval = e2c_tree_build(tx->fs, p, c->ext, s.pblks, s.root, s.nodes);
	/* The extents now live in the nodes; the old runs are kept. */
	if (!retval) {
		s.rel = rel;
		retval = keep(tx, p, &s, c);
		if (!retval)
			return 0;
		s.rel = NULL;	/* still the caller's */
	}

errout:
	if (reserved)
		e2c_tx_unreserve(tx, s.pblks, p->index_blocks);
	staged_free(&s);
	return retval;
}

errcode_t e2c_tx_stage_planned(e2c_tx *tx, const struct e2c_plan *p,
			       struct e2c_collect *c,
			       const struct e2c_owners *build)
{
	return stage_record(tx, p, c, NULL, build);
}

/* What is free and not reserved by this tx already. */
static blk64_t tx_avail(e2c_tx *tx)
{
	blk64_t nfree = ext2fs_free_blocks_count(tx->fs->h->super);
	blk64_t held = tx->totals.index_blocks + tx->totals.moved_blocks;

	return nfree > held ? nfree - held : 0;
}

/* Stage a relocation of ino (core/reloc.c plans it in tx->taken). */
static errcode_t tx_relocate(e2c_tx *tx, ext2_ino_t ino,
			     const struct e2c_migrate_opts *o,
			     struct e2c_plan *plan)
{
	struct e2c_collect c = { 0 };
	struct e2c_reloc *rel = NULL;
	struct ext2_inode *inode;
	struct e2c_plan p;
	errcode_t retval;

	memset(&p, 0, sizeof(p));
	p.ino = ino;
	inode = calloc(1, e2c_inode_buf_size(tx->fs));
	if (!inode)
		return ENOMEM;
	retval = e2c_read_inode(tx->fs, ino, inode);
	if (!retval)
		retval = e2c_reloc_plan(tx->fs, tx->taken, ino, inode, o,
					tx_avail(tx), &p, &c, &rel);
	free(inode);
	if (plan)
		*plan = p;
	if (!retval && p.skip)
		retval = p.skip;
	if (!retval) {
		retval = stage_record(tx, &p, &c, rel, NULL);
		if (retval) {
			e2c_reloc_unreserve(rel, tx->taken);
			e2c_reloc_free(rel);
		}
	}
	e2c_collect_free(&c);
	return retval;
}

errcode_t e2c_tx_migrate2(e2c_tx *tx, ext2_ino_t ino,
			  const struct e2c_migrate_opts *o,
			  struct e2c_plan *plan)
{
	errcode_t retval;

	if (!o || !o->relocate)
		return e2c_tx_migrate(tx, ino, plan);
	retval = e2c_tx_stage_check(tx, ino, NULL);
	if (!retval && e2c_owners_building(tx->fs))
		retval = E2C_ERR_SCANNING;
	if (retval) {
		if (plan) {
			memset(plan, 0, sizeof(*plan));
			plan->ino = ino;
		}
		return retval;
	}
	return tx_relocate(tx, ino, o, plan);
}

errcode_t e2c_tx_migrate(e2c_tx *tx, ext2_ino_t ino, struct e2c_plan *plan)
{
	struct e2c_collect c = { 0 };
	struct e2c_plan p;
	errcode_t retval;

	retval = e2c_tx_stage_check(tx, ino, NULL);
	if (retval)
		return retval;
	retval = e2c_plan_collect(tx->fs, ino, &p, &c);
	if (!retval)
		e2c_plan_fit(&p, tx_avail(tx));
	if (plan)
		*plan = p;
	if (!retval)
		retval = p.skip ? p.skip : e2c_tx_stage_planned(tx, &p, &c,
								NULL);
	e2c_collect_free(&c);
	return retval;
}

errcode_t e2c_tx_verify(e2c_tx *tx, int *clash)
{
	size_t i;
	blk64_t k;
	errcode_t retval;
	int owned;

	*clash = 0;
	if (!tx->unverified)
		return 0;
	for (i = 0; i < tx->n; i++)
		for (k = 0; k < tx->v[i].plan.index_blocks; k++) {
			retval = e2c_fs_owned(tx->fs, tx->v[i].pblks[k],
					      &owned);
			if (retval)
				return retval;
			if (owned) {
				*clash = 1;
				return 0;
			}
		}
	tx->unverified = 0;
	return 0;
}

/* How many of pblks[k..n-1] are consecutive blocks from pblks[k] (node k
 * and its successors are consecutive in memory too). */
static blk64_t run_len(const blk64_t *pblks, blk64_t n, blk64_t k)
{
	blk64_t len = 1;

	while (k + len < n && pblks[k + len] == pblks[k] + len)
		len++;
	return len;
}

/* Mark (inuse +1) or release (-1) the new blocks of s (index blocks,
 * relocated data), with counts. */
static void account_nodes(e2c_fs *fs, const struct staged *s, int inuse)
{
	blk64_t k, len;
	size_t i;

	for (k = 0; k < s->plan.index_blocks; k += len) {
		len = run_len(s->pblks, s->plan.index_blocks, k);
		e2c_fs_block_stats(fs, s->pblks[k], len, inuse);
	}
	for (i = 0; s->rel && i < s->rel->ndst; i++)
		e2c_fs_block_stats(fs, s->rel->dst[i].start,
				   s->rel->dst[i].len, inuse);
}

/* Step 1: every relocated file's data copied, then every index block,
 * checksummed, written in runs (step 2's flush makes them durable). */
static errcode_t write_nodes(e2c_tx *tx)
{
	ext2_filsys h = tx->fs->h;
	size_t i;
	errcode_t retval;

	for (i = 0; i < tx->n; i++) {
		const struct staged *s = &tx->v[i];
		blk64_t k, len;

		if (e2c_interrupted)
			return E2C_ERR_INTERRUPTED;
		if (s->rel) {
			retval = e2c_reloc_copy(tx->fs, s->rel);
			if (retval)
				return retval;
		}
		/* Indirect blocks have no checksum. */
		for (k = 0; k < s->plan.index_blocks && !s->unmigrate; k++) {
			retval = ext2fs_extent_block_csum_set(h, s->plan.ino,
				(struct ext3_extent_header *)
				(s->nodes + k * h->blocksize));
			if (retval)
				return retval;
		}
		for (k = 0; k < s->plan.index_blocks; k += len) {
			len = run_len(s->pblks, s->plan.index_blocks, k);
			retval = io_channel_write_blk64(h->io, s->pblks[k],
					len, s->nodes + k * h->blocksize);
			if (retval)
				return retval;
		}
	}
	return 0;
}

/* Inode-table bytes step 3 reads and writes at once, at most (a bound
 * on its buffer: 16 blocks of 4 KiB, 64 of 1 KiB). */
#define ITABLE_CHUNK (64 * 1024)

/* A staged inode's place on disk. */
struct iloc {
	blk64_t blk;		/* its inode-table block */
	__u32 off;		/* its byte offset in that block */
};

/* Group g's inode table, checked as ext2fs_write_inode2 checks it (a bad
 * descriptor must not aim the write elsewhere). */
static errcode_t group_table(ext2_filsys h, dgrp_t g, blk64_t *table)
{
	*table = ext2fs_inode_table_loc(h, g);
	if (!*table)
		return EXT2_ET_MISSING_INODE_TABLE;
	if (*table < h->super->s_first_data_block ||
	    *table + h->inode_blocks_per_group - 1 >=
	    ext2fs_blocks_count(h->super))
		return EXT2_ET_GDESC_BAD_INODE_TABLE;
	return 0;
}

static int staged_cmp(const void *a, const void *b)
{
	ext2_ino_t x = ((const struct staged *)a)->plan.ino;
	ext2_ino_t y = ((const struct staged *)b)->plan.ino;

	return (x > y) - (x < y);
}

/* The staged inodes in inode order (tx->v sorted first), a group at a
 * time: one search of the staged map for the next group holding any,
 * its table checked once, its bits of both maps read at once
 * (ext2fs_get_inode_bitmap_range2) rather than a search and a test per
 * inode.  Inode order is table order wherever the tables lie in group
 * order; elsewhere step 3 only writes in smaller runs. */
struct staged_walk {
	e2c_tx *tx;
	ext2_ino_t first;	/* the group's first inode (0: none yet) */
	__u32 i;		/* the next of its inodes to look at */
	blk64_t table;		/* its inode table */
	size_t a;		/* next of tx->v */
	unsigned char *staged;	/* the group's bits of staged_map, */
	unsigned char *direct;	/* ... and of direct_map */
};

/* Go to the first group holding a staged inode from inode from on (w->i:
 * that inode), its bits read when w has room for them; ENOENT: none. */
static errcode_t enter_group(struct staged_walk *w, __u64 from)
{
	ext2_filsys h = w->tx->fs->h;
	__u32 ipg = EXT2_INODES_PER_GROUP(h->super);
	ext2_ino_t ino;
	errcode_t retval;

	if (from > h->super->s_inodes_count)
		return ENOENT;
	retval = ext2fs_find_first_set_inode_bitmap2(w->tx->staged_map, from,
			h->super->s_inodes_count, &ino);
	if (retval)
		return retval;
	w->first = (ino - 1) / ipg * ipg + 1;
	w->i = ino - w->first;
	retval = group_table(h, (ino - 1) / ipg, &w->table);
	if (retval || !w->staged)
		return retval;
	retval = ext2fs_get_inode_bitmap_range2(w->tx->staged_map, w->first,
						ipg, w->staged);
	if (!retval)
		retval = ext2fs_get_inode_bitmap_range2(w->tx->direct_map,
							w->first, ipg,
							w->direct);
	return retval;
}

static errcode_t walk_open(e2c_tx *tx, struct staged_walk *w)
{
	size_t len = (EXT2_INODES_PER_GROUP(tx->fs->h->super) + 7) / 8;

	memset(w, 0, sizeof(*w));
	w->tx = tx;
	w->staged = malloc(len);
	w->direct = malloc(len);
	return w->staged && w->direct ? 0 : ENOMEM;
}

static void walk_close(struct staged_walk *w)
{
	free(w->staged);
	free(w->direct);
}

/* The next staged inode, in *ino, with its struct staged in *s (NULL: a
 * direct one) and its place in *loc; ENOENT at the end. */
static errcode_t next_staged(struct staged_walk *w, ext2_ino_t *ino,
			     const struct staged **s, struct iloc *loc)
{
	e2c_tx *tx = w->tx;
	ext2_filsys h = tx->fs->h;
	__u32 ipg = EXT2_INODES_PER_GROUP(h->super), k;
	unsigned long long off;
	unsigned char bits;
	errcode_t retval;

	for (;;) {
		/* The next bit set in the group: whole zero bytes
		 * skipped. */
		while (w->first && w->i < ipg) {
			bits = w->staged[w->i / 8] >> (w->i % 8);
			if (bits & 1)
				break;
			w->i = bits ? w->i + 1 : (w->i | 7) + 1;
		}
		if (w->first && w->i < ipg)
			break;
		retval = enter_group(w, w->first ? (__u64)w->first + ipg : 1);
		if (retval)
			return retval;
	}
	k = w->i++;
	*ino = w->first + k;
	*s = NULL;
	if (!(w->direct[k / 8] & (1 << (k % 8)))) {
		if (w->a >= tx->n || tx->v[w->a].plan.ino != *ino)
			return EXT2_ET_INVALID_ARGUMENT;	/* cannot be */
		*s = &tx->v[w->a++];
	}
	off = (unsigned long long)k * EXT2_INODE_SIZE(h->super);
	loc->blk = w->table + off / h->blocksize;
	loc->off = off % h->blocksize;
	return 0;
}

/* Sort tx->v for next_staged (the scan stages in inode order: usually no
 * sort), and check the inode table of every group holding a staged inode
 * before anything is written, so a bad one stops the commit with the
 * disk untouched. */
static errcode_t order_staged(e2c_tx *tx)
{
	__u32 ipg = EXT2_INODES_PER_GROUP(tx->fs->h->super);
	struct staged_walk w;
	size_t i;
	int sorted = 1;
	errcode_t retval;

	for (i = 1; i < tx->n && sorted; i++)
		sorted = tx->v[i - 1].plan.ino < tx->v[i].plan.ino;
	if (!sorted)
		qsort(tx->v, tx->n, sizeof(*tx->v), staged_cmp);
	memset(&w, 0, sizeof(w));
	w.tx = tx;
	for (retval = enter_group(&w, 1); !retval;
	     retval = enter_group(&w, (__u64)w.first + ipg))
		;
	return retval == ENOENT ? 0 : retval;
}

/* Give the on-disk inode raw (little-endian, in an inode-table block) of
 * staged inode ino (s: its record; NULL: a direct one) its tree,
 * EXTENTS_FL and i_blocks, and a fresh checksum.  host is scratch of the
 * inode size for a big-endian host. */
static errcode_t patch_inode(e2c_tx *tx, ext2_ino_t ino,
			     const struct staged *s, char *raw,
			     struct ext2_inode_large *host)
{
	ext2_filsys h = tx->fs->h;
	struct ext2_inode_large *disk = (struct ext2_inode_large *)raw;
	struct staged direct;
	struct ext2_inode *inode;
	errcode_t retval;

	/* As ext2fs_read_inode2 would have: never re-checksum an inode
	 * that changed under us into one that looks valid. */
	if (!(h->flags & EXT2_FLAG_IGNORE_CSUM_ERRORS) &&
	    !ext2fs_inode_csum_verify(h, ino, disk))
		return EXT2_ET_INODE_CSUM_INVALID;
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	ext2fs_swap_inode_full(h, host, disk, 0, EXT2_INODE_SIZE(h->super));
	inode = EXT2_INODE(host);
#else
	(void)host;
	inode = EXT2_INODE(disk);
#endif
	if (!s) {
		/* Its root was planned when staged; nothing can have changed
		 * it since (the image is locked), but a map that is no longer
		 * its direct slots alone is refused rather than written. */
		memset(&direct, 0, sizeof(direct));
		retval = e2c_direct_root(tx->fs, inode, direct.root);
		if (retval)
			return retval;
		s = &direct;
	}
	retval = e2c_iblocks_swap(h, inode, s->plan.meta_freed,
				  s->plan.index_blocks);
	if (retval)
		return retval;
	if (s->unmigrate)
		inode->i_flags &= ~EXT4_EXTENTS_FL;
	else
		inode->i_flags |= EXT4_EXTENTS_FL;
	/* An extent root is in disk order already, as extent data always
	 * is; a block map's is in host order, as the swap back expects
	 * (the flag cleared). */
	memcpy(inode->i_block, s->root, sizeof(inode->i_block));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	ext2fs_swap_inode_full(h, disk, host, 1, EXT2_INODE_SIZE(h->super));
#endif
	return ext2fs_inode_csum_set(h, ino, disk);
}

/* Step 3: the inodes, by inode-table block.  Each run of contiguous
 * blocks holding staged inodes (at most ITABLE_CHUNK bytes) is read,
 * patched and written back at once; blocks holding none are not
 * written.  touch: written back unpatched (see undo_save). */
static errcode_t write_inodes(e2c_tx *tx, int touch)
{
	ext2_filsys h = tx->fs->h;
	char *buf = NULL;
	struct ext2_inode_large *host = NULL;
	blk64_t len, cap = ITABLE_CHUNK / h->blocksize;
	/* the inodes of one run: at most a chunk's worth */
	size_t max = ITABLE_CHUNK / EXT2_INODE_SIZE(h->super);
	struct member {
		ext2_ino_t ino;
		const struct staged *s;
		struct iloc loc;
	} *mem = NULL, next;
	struct staged_walk w;
	struct e2c_writeback wb = { 0, 0 };
	blk64_t first;
	size_t n, k;
	errcode_t retval, more;

	retval = walk_open(tx, &w);
	buf = malloc(cap * h->blocksize);
	host = malloc(e2c_inode_buf_size(tx->fs));
	mem = malloc(max * sizeof(*mem));
	if (retval || !buf || !host || !mem) {
		retval = ENOMEM;
		goto errout;
	}
	more = next_staged(&w, &next.ino, &next.s, &next.loc);
	while (!more) {
		/* Gather the run starting at next. */
		n = 0;
		len = 1;
		do {
			first = n ? mem[0].loc.blk : next.loc.blk;
			if (n && next.loc.blk == first + len && len < cap)
				len++;
			else if (n && next.loc.blk != first + len - 1)
				break;
			mem[n++] = next;
			more = next_staged(&w, &next.ino, &next.s, &next.loc);
		} while (!more && n < max);
		if (more && more != ENOENT) {
			retval = more;
			goto errout;
		}
		first = mem[0].loc.blk;
		retval = io_channel_read_blk64(h->io, first, len, buf);
		if (retval)
			goto errout;
		for (k = 0; k < n && !touch; k++) {
			retval = patch_inode(tx, mem[k].ino, mem[k].s, buf +
				(mem[k].loc.blk - first) * h->blocksize +
				mem[k].loc.off, host);
			if (retval)
				goto errout;
		}
		retval = io_channel_write_blk64(h->io, first, len, buf);
		if (retval)
			goto errout;
		if (!touch)
			tx->written += n;
		e2c_fs_writeback(tx->fs, &wb, first, len, 0);
	}
	e2c_fs_writeback(tx->fs, &wb, 0, 0, 1);
	retval = more == ENOENT ? 0 : more;
errout:
	/* Inodes went to disk behind libext2fs's inode cache. */
	ext2fs_flush_icache(h);
	walk_close(&w);
	free(mem);
	free(host);
	free(buf);
	return retval;
}

/* e2c_tx_blocks callbacks: the groups of each run marked for the
 * flushes (arg: the fs), loaded. */
static errcode_t mark_dirty(ext2_ino_t ino, blk64_t start, blk64_t len,
			    int inuse, void *arg)
{
	(void)ino;
	(void)inuse;
	e2c_fs_mark_dirty(arg, start, len);
	return 0;
}

static errcode_t load_groups(ext2_ino_t ino, blk64_t start, blk64_t len,
			     int inuse, void *arg)
{
	(void)ino;
	(void)inuse;
	return e2c_bb_load_range(arg, start, len);
}

/*
 * With an undo file: have it save now, before anything changes, every
 * block the commit will write but the index blocks, each written back as
 * it is (undo_io saves a block the first time it is written): the
 * superblock's block at the fs's block size (e2c_undo_ready), then what
 * the flushes write: the superblocks (a flush as step 0's), the block
 * bitmap and the descriptor block of every group where step 2 allocates
 * (index blocks, relocated data) or step 4 frees, as they are
 * (e2c_fs_presave: a BLOCK_UNINIT group's bitmap too, which a flush
 * writes only once that clears the flag), and the inode-table runs of
 * step 3; where the flushes would write every bitmap (e2c_fs_partial
 * false), every bitmap and descriptor block besides.  The blocks step 1
 * writes (index blocks, copied data) are free: undo_io records them as
 * they are written.  So the undo file never grows past step 1: a full
 * undo disk stops the commit before anything changed, and nothing is
 * ever written over a block whose record failed (undo_io marks a block
 * saved before it saves it).
 */
static errcode_t undo_save(e2c_tx *tx, int backups)
{
	errcode_t retval;

	retval = e2c_undo_ready(tx->fs);
	if (!tx->fs->undo || retval)
		return retval;
	retval = e2c_tx_blocks(tx, mark_dirty, tx->fs);
	if (!retval)
		retval = e2c_fs_presave(tx->fs);
	if (!e2c_fs_partial(tx->fs))
		ext2fs_mark_bb_dirty(tx->fs->h);
	if (!retval)
		retval = e2c_fs_flush(tx->fs, backups, E2C_SYNC_NONE);
	if (!retval)
		retval = write_inodes(tx, 1);
	return retval;
}

/* ext2fs_flush of what changed (e2c_fs_flush), with the backup
 * superblocks too when backups (the feature set changed: a backup
 * without "extent" would make e2fsck, recovering from it, clear every
 * migrated inode).  one_sync: a single fsync after everything instead of
 * one before and one after the primary superblock; only for a superblock
 * that says "not clean", whose order against the rest does not matter
 * (doc/crash.md). */
static errcode_t flush_fs(e2c_fs *fs, int backups, int one_sync)
{
	return e2c_fs_flush(fs, backups, one_sync ? E2C_SYNC_ONCE :
				E2C_SYNC_BOTH);
}

/* The features ef turns on (on), or off. */
static void apply_half(const struct e2c_effects *ef,
		       struct ext2_super_block *sb, int on)
{
	struct e2c_effects half = *ef;

	if (on)
		half.features_off = 0;
	else
		half.features_on = 0;
	e2c_effects_apply(&half, sb);
}

errcode_t e2c_tx_commit(e2c_tx *tx)
{
	ext2_filsys h = tx->fs->h;
	struct ext2_super_block *sb = h->super;
	__u16 old_state = sb->s_state;
	__u32 old_compat = sb->s_feature_compat;
	__u32 old_incompat = sb->s_feature_incompat;
	__u32 old_ro_compat = sb->s_feature_ro_compat;
	struct e2c_effects ef;
	size_t i, marked = 0;
	errcode_t retval;

	if (tx->broken)
		return E2C_ERR_TX_DONE;
	/* Staged from a scan whose checks are not complete yet. */
	if (e2c_owners_building(tx->fs))
		return E2C_ERR_SCANNING;
	tx->step = 0;
	tx->written = 0;
	tx->cause = tx->flush_err = 0;
	if (!e2c_tx_count(tx) && !tx->clear) {
		tx->step = COMMIT_DONE;
		return 0;
	}
	/* Whatever staged it, nothing is written where the bitmaps lie:
	 * the groups of every block allocated or freed loaded (so no write
	 * step can fail to load one) and checked. */
	retval = e2c_tx_blocks(tx, load_groups, tx->fs);
	if (!retval)
		retval = e2c_fs_check_bitmaps(tx->fs);
	if (!retval)
		retval = order_staged(tx);
	if (!retval && tx->clear)
		retval = e2c_unmigrate_check_clear(tx, &tx->left_first,
						   &tx->left_count);
	e2c_tx_effects(tx, &ef);
	if (!retval)
		retval = undo_save(tx, ef.backups != 0);
	if (retval)
		return retval;

	/* (0) Not clean until done; the features (what the reports
	 * announced: e2c_tx_effects) before any inode uses them.  Durable
	 * on its own: nothing below may reach the disk while it still says
	 * clean. */
	sb->s_state &= ~EXT2_VALID_FS;
	apply_half(&ef, sb, 1);
	ext2fs_mark_super_dirty(h);
	retval = flush_fs(tx->fs, ef.features_on != 0, 1);
	if (retval)
		goto restore;

	/* (1) The new trees, into blocks nobody uses; (2) those blocks
	 * used, in bitmaps and counts.  One fsync for both: until step 3
	 * nothing refers to the blocks, so any part of 1 and 2 on disk is
	 * at worst a bitmap difference on a filesystem marked not clean. */
	tx->step = 1;
	retval = write_nodes(tx);
	if (retval)
		goto restore;
	tx->step = 2;
	for (marked = 0; marked < tx->n; marked++)
		account_nodes(tx->fs, &tx->v[marked], +1);
	retval = flush_fs(tx->fs, 0, 1);
	/* With verify, what step 1 copied is read back now: a difference
	 * stops the commit before any inode refers to it. */
	for (i = 0; i < tx->n && !retval; i++)
		if (tx->v[i].rel)
			retval = e2c_reloc_verify(tx->fs, tx->v[i].rel);
	if (retval)
		goto restore;

	/* (3) The point of no return: each inode switches to its tree.  The
	 * old indirect blocks are still allocated, so a crash leaves either
	 * map intact; e2fsck -f frees what the survivor does not use. */
	tx->step = 3;
	retval = write_inodes(tx, 0);
	if (!retval)
		retval = io_channel_flush(h->io);
	if (retval)
		goto partial;

	/* (4) Only now the old indirect blocks go; (5) clean again.  One
	 * ext2fs_flush: it makes bitmaps and descriptors durable (fsync)
	 * before it writes the primary superblock that says clean. */
	tx->step = 4;
	for (i = 0; i < tx->n; i++) {
		const struct staged *s = &tx->v[i];
		size_t r;

		const struct e2c_range *f = freed_runs(s);

		for (r = 0; r < s->nfreed; r++) {
			e2c_fs_block_stats(tx->fs, f[r].start, f[r].len,
					   -1);
			e2c_fs_unmap(tx->fs, f[r].start, f[r].len);
		}
	}
	/* A feature turned off goes last: until every inode is converted,
	 * e2fsck would clear those still using it. */
	sb->s_state = old_state;
	apply_half(&ef, sb, 0);
	ext2fs_mark_super_dirty(h);
	retval = flush_fs(tx->fs, ef.features_off != 0, 0);
	if (retval)
		goto partial;
	tx->step = COMMIT_DONE;
	tx->fs->committed = 1;
	drop_all(tx);
	return 0;

restore:
	/* Nothing refers to the new blocks: give them back, put the
	 * superblock as it was, and the disk means what it meant.  Two
	 * fsyncs: this superblock may say clean. */
	while (marked--)
		account_nodes(tx->fs, &tx->v[marked], -1);
	sb->s_state = old_state;
	sb->s_feature_compat = old_compat;
	sb->s_feature_incompat = old_incompat;
	sb->s_feature_ro_compat = old_ro_compat;
	ext2fs_mark_super_dirty(h);
	tx->cause = retval;
	tx->flush_err = flush_fs(tx->fs, ef.features_on != 0, 0);
	if (tx->flush_err) {
		/* The disk may say not clean, with the new features: say
		 * so, and let the close write the superblock as it was
		 * once more. */
		tx->fs->committed = 1;
		return E2C_ERR_RESTORE_FAILED;
	}
	return retval;

partial:
	/* The fs stays marked not clean, on disk and in memory (closing
	 * flushes it so, even when step 4 had set it clean again); e2fsck
	 * -f finishes the job. */
	sb->s_state = old_state & ~EXT2_VALID_FS;
	/* A feature being turned off stays on: always safe. */
	sb->s_feature_compat = old_compat;
	sb->s_feature_incompat = old_incompat;
	sb->s_feature_ro_compat = old_ro_compat;
	apply_half(&ef, sb, 1);
	ext2fs_mark_super_dirty(h);
	tx->cause = retval;
	tx->flush_err = flush_fs(tx->fs, 0, 0);
	tx->broken = 1;
	tx->fs->committed = 1;
	return E2C_ERR_COMMIT_PARTIAL;
}

errcode_t e2c_tx_blocks(e2c_tx *tx, e2c_tx_block_fn fn, void *arg)
{
	size_t i, r;
	blk64_t k, len;
	errcode_t retval = 0;

	for (i = 0; i < tx->n && !retval; i++) {
		const struct staged *s = &tx->v[i];
		const struct e2c_range *f = freed_runs(s);

		for (k = 0; k < s->plan.index_blocks && !retval; k += len) {
			len = run_len(s->pblks, s->plan.index_blocks, k);
			retval = fn(s->plan.ino, s->pblks[k], len, 1, arg);
		}
		for (r = 0; s->rel && r < s->rel->ndst && !retval; r++)
			retval = fn(s->plan.ino, s->rel->dst[r].start,
				    s->rel->dst[r].len, 1, arg);
		for (r = 0; r < s->nfreed && !retval; r++)
			retval = fn(s->plan.ino, f[r].start, f[r].len, 0, arg);
	}
	return retval;
}
