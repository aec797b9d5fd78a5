/*
 * alloc.c -- the one place that picks blocks for new metadata.
 *
 * A block is handed out only if the bitmap calls it free and nothing
 * else does: the metadata map (superblocks, descriptors, bitmaps, inode
 * tables, the journal and every reserved inode's blocks) and the owners
 * map (every block some inode's map reaches).  A bitmap that calls free a
 * block either of them holds is wrong, and wrong in the way that loses
 * data: the caller gets E2C_ERR_BLOCK_BITMAP ("run e2fsck -f"), never a
 * block.  ext2fs_new_block2 (which clears group flags) and
 * ext2fs_alloc_block2 (which writes) are not used: the caller's bitmap
 * of reservations (a transaction's "taken" map) is the only thing marked.
 */
#include <errno.h>

#include "e2c_int.h"

/* Whether blk, free in the caller's bitmap, may be handed out: not
 * metadata, and not mapped by an inode (unknown while the owners map is
 * being built: *unverified). */
static errcode_t candidate_ok(e2c_fs *fs, blk64_t blk,
			      const struct e2c_owners *build, int *unverified)
{
	errcode_t retval;
	int used;

	retval = e2c_fs_is_metadata(fs, blk, 1, &used);
	if (!retval && !used) {
		if (build)
			*unverified = 1;
		else
			retval = e2c_fs_owned(fs, blk, &used);
	}
	if (!retval && used)
		retval = E2C_ERR_BLOCK_BITMAP;
	return retval;
}

/* The first block of start..end free in both the block bitmap and taken
 * (ENOENT: none).  taken holds a few runs: the reservations skipped. */
static errcode_t first_free(e2c_fs *fs, ext2fs_block_bitmap taken,
			    blk64_t start, blk64_t end, blk64_t *out)
{
	blk64_t b = start;
	errcode_t retval;

	for (;;) {
		retval = e2c_bb_find(fs, 0, b, end, &b);
		if (retval || !ext2fs_test_block_bitmap2(taken, b))
			break;
		retval = ext2fs_find_first_zero_block_bitmap2(taken, b, end,
							      &b);
		if (retval)
			break;
	}
	if (!retval)
		*out = b;
	return retval;
}

errcode_t e2c_alloc_blocks(e2c_fs *fs, ext2fs_block_bitmap taken, blk64_t goal,
			   blk64_t n, blk64_t *out,
			   const struct e2c_owners *build, int *unverified)
{
	ext2_filsys h = fs->h;
	blk64_t first = h->super->s_first_data_block;
	blk64_t last = ext2fs_blocks_count(h->super) - 1, i, b;
	errcode_t retval = 0;

	if (goal < first || goal > last)
		goal = first;
	for (i = 0; i < n; i++) {
		retval = first_free(fs, taken, goal, last, &b);
		if (retval == ENOENT && goal > first)
			retval = first_free(fs, taken, first, goal - 1, &b);
		if (!retval)
			retval = candidate_ok(fs, b, build, unverified);
		if (retval)
			break;
		ext2fs_mark_block_bitmap2(taken, b);
		out[i] = b;
		goal = b < last ? b + 1 : first;
	}
	if (retval) {
		while (i--)
			ext2fs_unmark_block_bitmap2(taken, out[i]);
		if (retval == ENOENT)
			retval = EXT2_ET_BLOCK_ALLOC_FAIL;
	}
	return retval;
}

/* A cursor over every free block the allocator may give: clear in the
 * block bitmap, taken, the metadata and the owners maps (built first:
 * metadata and what every inode maps count as taken whatever the bitmap
 * says). */
static errcode_t free_cursor(e2c_fs *fs, ext2fs_block_bitmap taken,
			     struct e2c_free_cursor *c)
{
	blk64_t first = fs->h->super->s_first_data_block;
	errcode_t retval;
	int used;

	if (e2c_owners_building(fs))
		return E2C_ERR_SCANNING;
	retval = e2c_fs_is_metadata(fs, first, 1, &used);
	if (!retval)
		retval = e2c_fs_owned(fs, first, &used);
	if (!retval)
		retval = e2c_free_begin(fs, 0, ext2fs_blocks_count(fs->h->super),
					c);
	if (!retval)
		retval = e2c_free_add_map(c, taken);
	if (!retval)
		retval = e2c_free_add_map(c, fs->meta);
	if (!retval)
		retval = e2c_free_add_map(c, fs->owned);
	return retval;
}

errcode_t e2c_alloc_range(e2c_fs *fs, ext2fs_block_bitmap taken, blk64_t goal,
			  blk64_t want, blk64_t *blk, blk64_t *len)
{
	struct e2c_free_cursor c;
	errcode_t retval;

	retval = free_cursor(fs, taken, &c);
	if (!retval)
		retval = e2c_free_find(&c, goal, want, blk, len);
	if (retval)
		return retval;
	if (*len > want)
		*len = want;
	ext2fs_mark_block_bitmap_range2(taken, *blk, *len);
	return 0;
}

/* Longest first; ties: the lower block first. */
static int longest_first(const void *a, const void *b)
{
	const struct e2c_blkrange *x = a, *y = b;

	if (x->len != y->len)
		return x->len < y->len ? 1 : -1;
	return (x->start > y->start) - (x->start < y->start);
}

/* Add the range to *v (n of them, cap allocated); marked (taken) already
 * when it cannot be added: unmarked then. */
static errcode_t push(struct e2c_blkrange **v, size_t *n, size_t *cap,
		      blk64_t start, blk64_t len, ext2fs_block_bitmap taken)
{
	errcode_t retval = e2c_grow(v, cap, *n + 1, sizeof(**v));

	if (!retval) {
		(*v)[*n].start = start;
		(*v)[(*n)++].len = len;
	} else if (taken) {
		ext2fs_unmark_block_bitmap_range2(taken, start, len);
	}
	return retval;
}

/* Extents between two looks at e2c_interrupted. */
#define CHECK_EVERY 65536

errcode_t e2c_alloc_ranges(e2c_fs *fs, ext2fs_block_bitmap taken,
			   blk64_t goal, blk64_t want,
			   struct e2c_blkrange **out, size_t *n)
{
	struct e2c_free_cursor c;
	struct e2c_blkrange *v = NULL, *runs = NULL;
	size_t nv = 0, cap = 0, nruns = 0, rcap = 0, i;
	blk64_t blk, len;
	errcode_t retval = 0;
	int got;

	if (want)
		retval = e2c_alloc_range(fs, taken, goal, want, &blk, &len);
	if (want && !retval) {
		retval = push(&v, &nv, &cap, blk, len, taken);
		want -= len;
		goal = blk + len;
	}
	/* No free range holds it all: one pass for every free range, the
	 * longest taken first until the longest left holds what remains,
	 * which then goes to the first that holds it from the goal. */
	if (want && !retval)
		retval = free_cursor(fs, taken, &c);
	/* Every free range of the filesystem: every group, read ahead. */
	if (want && !retval)
		retval = e2c_bb_load_range(fs, 0,
					   ext2fs_blocks_count(fs->h->super));
	while (want && !retval) {
		retval = e2c_free_next(&c, &blk, &len, &got);
		if (retval || !got)
			break;
		retval = push(&runs, &nruns, &rcap, blk, len, NULL);
		if (nruns % CHECK_EVERY == 0 && e2c_interrupted)
			retval = E2C_ERR_INTERRUPTED;
	}
	if (want && !retval)
		qsort(runs, nruns, sizeof(*runs), longest_first);
	for (i = 0; want && !retval; i++) {
		if (i == nruns) {
			retval = EXT2_ET_BLOCK_ALLOC_FAIL;
		} else if (runs[i].len >= want) {
			retval = e2c_alloc_range(fs, taken, goal, want, &blk,
						 &len);
			if (!retval)
				retval = push(&v, &nv, &cap, blk, len, taken);
			want = 0;
		} else {
			ext2fs_mark_block_bitmap_range2(taken, runs[i].start,
							runs[i].len);
			retval = push(&v, &nv, &cap, runs[i].start,
				      runs[i].len, taken);
			want -= runs[i].len;
			goal = runs[i].start + runs[i].len;
		}
	}
	free(runs);
	if (retval) {
		for (i = 0; i < nv; i++)
			ext2fs_unmark_block_bitmap_range2(taken, v[i].start,
							  v[i].len);
		free(v);
		return retval;
	}
	*out = v;
	*n = nv;
	return 0;
}
