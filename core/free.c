/*
 * free.c -- free space: a pull cursor over the free extents of a block
 * range, a first-fit search from a goal, and e2freefrag's histogram.
 *
 * The cursor asks libext2fs for the next clear and the next set bit
 * (ext2fs_find_first_zero/set_block_bitmap2), which scan 64-bit words of
 * a bit array and whole extents of a red-black tree: a free extent costs
 * two calls, however long it is.  Several bitmaps may be combined (a
 * block is free when it is clear in every one of them), so an allocator
 * can avoid blocks the filesystem's bitmap calls free but that hold
 * metadata or that an inode maps.
 */
#include <errno.h>
#include <string.h>

#include "e2c_int.h"

/* Extents between two looks at e2c_interrupted. */
#define CHECK_EVERY 65536

errcode_t e2c_free_begin(e2c_fs *fs, blk64_t start, blk64_t count,
			 struct e2c_free_cursor *c)
{
	blk64_t first = fs->h->super->s_first_data_block;
	blk64_t end = ext2fs_blocks_count(fs->h->super);

	memset(c, 0, sizeof(*c));
	if (!fs->h->block_map)
		return E2C_ERR_NO_BITMAPS;
	if (start > end || count > end - start)
		return E2C_ERR_PTR_RANGE;
	c->fs = fs;
	c->maps[0] = fs->h->block_map;
	c->nmaps = 1;
	/* Blocks before s_first_data_block (block 0 of a 1 KiB filesystem)
	 * are not in any bitmap: never free. */
	c->start = start < first ? first : start;
	c->end = start + count;
	if (c->end < c->start)
		c->end = c->start;
	c->pos = c->start;
	return 0;
}

errcode_t e2c_free_add_map(struct e2c_free_cursor *c, ext2fs_block_bitmap map)
{
	if (c->nmaps == E2C_FREE_MAPS)
		return EXT2_ET_INVALID_ARGUMENT;
	c->maps[c->nmaps++] = map;
	return 0;
}

void e2c_free_seek(struct e2c_free_cursor *c, blk64_t blk)
{
	c->pos = blk < c->start ? c->start : blk > c->end ? c->end : blk;
}

/* The first block of pos..last set (set) or clear in map i; the fs's
 * block map (i 0) loaded group by group as the search goes. */
static errcode_t find(struct e2c_free_cursor *c, int i, int set, blk64_t pos,
		      blk64_t last, blk64_t *out)
{
	if (i == 0)
		return e2c_bb_find(c->fs, set, pos, last, out);
	return set ? ext2fs_find_first_set_block_bitmap2(c->maps[i], pos,
							 last, out) :
		     ext2fs_find_first_zero_block_bitmap2(c->maps[i], pos,
							  last, out);
}

errcode_t e2c_free_next(struct e2c_free_cursor *c, blk64_t *blk,
			blk64_t *len, int *got)
{
	blk64_t pos = c->pos, end = c->end, z, s;
	int i = 0, agree = 0;
	errcode_t retval;

	*got = 0;
	if (pos >= end)
		return 0;
	/* The first block clear in every map: go round the maps until
	 * all of them agree on pos (one call with one map). */
	while (agree < c->nmaps) {
		retval = find(c, i, 0, pos, end - 1, &z);
		/* libext2fs 1.47's red-black tree answers ENOENT when it
		 * holds nothing (a transaction's reservations often). */
		if (retval == ENOENT &&
		    !ext2fs_test_block_bitmap2(c->maps[i], pos)) {
			retval = 0;
			z = pos;
		}
		if (retval == ENOENT) {
			c->pos = end;
			return 0;
		}
		if (retval)
			return retval;
		if (z == pos) {
			agree++;
		} else {
			pos = z;
			agree = 1;
		}
		i = (i + 1) % c->nmaps;
	}
	/* It ends where the first map has a block in use (the block map
	 * last: the others bound how far it loads). */
	for (i = c->nmaps - 1; i >= 0; i--) {
		retval = find(c, i, 1, pos, end - 1, &s);
		if (retval == ENOENT)
			continue;
		if (retval)
			return retval;
		end = s;
	}
	*blk = pos;
	*len = end - pos;
	c->pos = end;
	*got = 1;
	return 0;
}

errcode_t e2c_free_find(struct e2c_free_cursor *c, blk64_t goal, blk64_t want,
			blk64_t *blk, blk64_t *len)
{
	blk64_t b, l, best = 0, best_len = 0, n = 0;
	errcode_t retval;
	int got, wrapped = 0;

	e2c_free_seek(c, goal);
	goal = c->pos;
	for (;;) {
		retval = e2c_free_next(c, &b, &l, &got);
		if (retval)
			return retval;
		if (++n % CHECK_EVERY == 0 && e2c_interrupted)
			return E2C_ERR_INTERRUPTED;
		/* The second pass covers what lies before the goal: the
		 * extents that start there, whole. */
		if (got && wrapped && b >= goal)
			got = 0;
		if (!got) {
			if (wrapped || goal == c->start)
				break;
			wrapped = 1;
			e2c_free_seek(c, c->start);
			continue;
		}
		if (l >= want) {
			*blk = b;
			*len = l;
			return 0;
		}
		if (l > best_len) {
			best = b;
			best_len = l;
		}
	}
	if (!best_len)
		return EXT2_ET_BLOCK_ALLOC_FAIL;
	*blk = best;
	*len = best_len;
	return 0;
}

/* e2freefrag's bucket: floor(log2(len)) + 1, the last one open-ended. */
static int bucket_of(blk64_t len)
{
	int b = 0;

	while (len) {
		b++;
		len >>= 1;
	}
	return b < E2C_FREEFRAG_BUCKETS ? b : E2C_FREEFRAG_BUCKETS - 1;
}

errcode_t e2c_freefrag(e2c_fs *fs, blk64_t start, blk64_t count,
		       blk64_t chunk, struct e2c_freefrag *ff)
{
	struct e2c_free_cursor c;
	blk64_t blk, len, lo, hi;
	errcode_t retval;
	int got, b;

	memset(ff, 0, sizeof(*ff));
	ff->start = start;
	ff->count = count;
	ff->chunk = chunk;
	if (chunk) {
		/* Aligned chunks wholly inside the range. */
		lo = (start + chunk - 1) / chunk;
		hi = (start + count) / chunk;
		ff->chunks = hi > lo ? hi - lo : 0;
	}
	retval = e2c_free_begin(fs, start, count, &c);
	/* Every group of the range: read ahead, then loaded. */
	if (!retval)
		retval = e2c_bb_load_range(fs, start, count);
	while (!retval) {
		retval = e2c_free_next(&c, &blk, &len, &got);
		if (retval || !got)
			break;
		b = bucket_of(len);
		ff->hist_extents[b]++;
		ff->hist_blocks[b] += len;
		ff->extents++;
		ff->free_blocks += len;
		if (!ff->min || len < ff->min)
			ff->min = len;
		if (len > ff->max)
			ff->max = len;
		if (chunk) {
			lo = (blk + chunk - 1) / chunk;
			hi = (blk + len) / chunk;
			if (hi > lo)
				ff->free_chunks += hi - lo;
		}
		if (ff->extents % CHECK_EVERY == 0 && e2c_interrupted)
			retval = E2C_ERR_INTERRUPTED;
	}
	return retval;
}
