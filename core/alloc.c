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
static errcode_t first_free(ext2_filsys h, ext2fs_block_bitmap taken,
			    blk64_t start, blk64_t end, blk64_t *out)
{
	blk64_t b = start;
	errcode_t retval;

	for (;;) {
		retval = ext2fs_find_first_zero_block_bitmap2(h->block_map, b,
							      end, &b);
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
		retval = first_free(fs->h, taken, goal, last, &b);
		if (retval == ENOENT && goal > first)
			retval = first_free(fs->h, taken, first, goal - 1, &b);
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
