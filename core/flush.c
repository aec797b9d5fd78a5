/*
 * flush.c -- writing back only what changed: the block bitmaps of the
 * groups where blocks were allocated or freed, the descriptor blocks that
 * hold those groups, then the superblock.
 *
 * ext2fs_flush writes every block bitmap once one bit changed
 * (EXT2_FLAG_BB_DIRTY) and the whole descriptor table: on a 4 TiB ext3
 * 128 MiB of bitmaps and 1 MiB of descriptors a flush for a change of a
 * few blocks, and as much again into an undo file.  Here the groups are
 * recorded as they change (e2c_fs_block_stats; libext2fs's allocation
 * hooks for any other caller), and a flush writes their bitmap blocks
 * (checksums set as ext2fs_write_bitmaps sets them), their primary
 * descriptor blocks, and lets ext2fs_flush2 write the superblock alone
 * (EXT2_FLAG_SUPER_ONLY; the backups' too when the features changed):
 * ext2fs_flush2's own order, so doc/crash.md's guarantees hold.  What it
 * cannot account for -- the inode bitmap changed, or a range changed
 * through libext2fs 1.47.0's range call outside e2c_fs_block_stats (its
 * hook is not told where the range began) -- gets the whole flush.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "e2c_int.h"

struct e2c_dirty {
	unsigned char *groups;	/* a bit a group: its block bitmap changed */
	int unknown;		/* changed where we cannot tell */
	int in_stats;		/* inside e2c_fs_block_stats */
	void (*old)(ext2_filsys h, blk64_t blk, int inuse);
	void (*old_range)(ext2_filsys h, blk64_t blk, blk_t num, int inuse);
};

/* A group changed that was never loaded lost what its bitmap held: no
 * flush may write it (fs->load_err). */
static void mark_groups(e2c_fs *fs, blk64_t blk, blk64_t num)
{
	ext2_filsys h = fs->h;
	struct e2c_dirty *d = fs->dirty;
	dgrp_t g, last;

	if (!num || blk < h->super->s_first_data_block ||
	    blk + num > ext2fs_blocks_count(h->super))
		return;
	last = ext2fs_group_of_blk2(h, blk + num - 1);
	for (g = ext2fs_group_of_blk2(h, blk); g <= last; g++) {
		d->groups[g / 8] |= 1 << (g % 8);
		if (!e2c_bb_loaded(fs, g) && !fs->load_err)
			fs->load_err = EXT2_ET_NO_BLOCK_BITMAP;
	}
}

static void stats_hook(ext2_filsys h, blk64_t blk, int inuse)
{
	e2c_fs *fs = h->priv_data;
	struct e2c_dirty *d = fs->dirty;

	mark_groups(fs, blk, 1);
	if (d->old)
		d->old(h, blk, inuse);
}

static void range_hook(ext2_filsys h, blk64_t blk, blk_t num, int inuse)
{
	e2c_fs *fs = h->priv_data;
	struct e2c_dirty *d = fs->dirty;

	/* 1.47.0 passes the range's end and 0 (fixed in 1.47.3). */
	if (!d->in_stats) {
		if (num)
			mark_groups(fs, blk, num);
		else
			d->unknown = 1;
	}
	if (d->old_range)
		d->old_range(h, blk, num, inuse);
}

errcode_t e2c_dirty_begin(e2c_fs *fs)
{
	ext2_filsys h = fs->h;
	struct e2c_dirty *d;

	d = calloc(1, sizeof(*d));
	if (!d)
		return ENOMEM;
	d->groups = calloc(h->group_desc_count / 8 + 1, 1);
	if (!d->groups) {
		free(d);
		return ENOMEM;
	}
	fs->dirty = d;
	h->priv_data = fs;
	ext2fs_set_block_alloc_stats_callback(h, stats_hook, &d->old);
	ext2fs_set_block_alloc_stats_range_callback(h, range_hook,
						    &d->old_range);
	return 0;
}

void e2c_dirty_end(e2c_fs *fs)
{
	struct e2c_dirty *d = fs->dirty;

	if (!d)
		return;
	if (fs->h) {
		ext2fs_set_block_alloc_stats_callback(fs->h, d->old, NULL);
		ext2fs_set_block_alloc_stats_range_callback(fs->h,
							    d->old_range, NULL);
	}
	free(d->groups);
	free(d);
	fs->dirty = NULL;
}

void e2c_fs_block_stats(e2c_fs *fs, blk64_t blk, blk64_t num, int inuse)
{
	struct e2c_dirty *d = fs->dirty;
	errcode_t retval;

	/* Loaded before it changes (the commit loaded them before its
	 * first write: this cannot fail then). */
	retval = e2c_bb_load_range(fs, blk, num);
	if (retval && !fs->load_err)
		fs->load_err = retval;
	if (d) {
		mark_groups(fs, blk, num);
		d->in_stats = 1;
	}
	ext2fs_block_alloc_stats_range(fs->h, blk, num, inuse);
	if (d)
		d->in_stats = 0;
}

static int group_dirty(const struct e2c_dirty *d, dgrp_t g)
{
	return d->groups[g / 8] & (1 << (g % 8));
}

/* Group g's block bitmap block, as ext2fs_write_bitmaps writes it (the
 * last group's bits past the end set; its checksum into the descriptor). */
static errcode_t write_block_bitmap(ext2_filsys h, dgrp_t g, char *buf)
{
	unsigned int nbytes = EXT2_CLUSTERS_PER_GROUP(h->super) / 8, nbits, j;
	blk64_t start = EXT2FS_B2C(h, h->super->s_first_data_block) +
			(blk64_t)g * EXT2_CLUSTERS_PER_GROUP(h->super);
	blk64_t blk = ext2fs_block_bitmap_loc(h, g);
	errcode_t retval;

	memset(buf, 0xff, h->blocksize);
	retval = ext2fs_get_block_bitmap_range2(h->block_map, start,
						nbytes * 8, buf);
	if (retval)
		return retval;
	if (g == h->group_desc_count - 1) {
		nbits = EXT2FS_NUM_B2C(h, (ext2fs_blocks_count(h->super) -
					    (__u64)h->super->s_first_data_block) %
				       (__u64)EXT2_BLOCKS_PER_GROUP(h->super));
		if (nbits)
			for (j = nbits; j < h->blocksize * 8; j++)
				ext2fs_set_bit(j, buf);
	}
	retval = ext2fs_block_bitmap_csum_set(h, g, buf, nbytes);
	if (retval)
		return retval;
	ext2fs_group_desc_csum_set(h, g);
	if (!blk || blk >= ext2fs_blocks_count(h->super))
		return 0;
	retval = io_channel_write_blk64(h->io, blk, 1, buf);
	return retval ? EXT2_ET_BLOCK_BITMAP_WRITE : 0;
}

/* Primary descriptor block i (EXT2_DESC_PER_BLOCK groups), from memory. */
static errcode_t write_desc_block(ext2_filsys h, dgrp_t i, char *buf)
{
	blk64_t blk = ext2fs_descriptor_block_loc2(h,
				h->super->s_first_data_block, i);
	char *src = (char *)h->group_desc + (size_t)i * h->blocksize;

	memcpy(buf, src, h->blocksize);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	{
		dgrp_t g, per = EXT2_DESC_PER_BLOCK(h->super);

		for (g = i * per; g < (i + 1) * per && g < h->group_desc_count;
		     g++)
			ext2fs_swap_group_desc2(h, (struct ext2_group_desc *)
				(buf + (g - i * per) * EXT2_DESC_SIZE(h->super)));
	}
#endif
	return io_channel_write_blk64(h->io, blk, 1, buf);
}

/* The bitmap block of each group in the dirty set, then the descriptor
 * blocks holding them. */
static errcode_t write_changed(e2c_fs *fs)
{
	ext2_filsys h = fs->h;
	struct e2c_dirty *d = fs->dirty;
	dgrp_t g, per = EXT2_DESC_PER_BLOCK(h->super), last_desc = ~0U;
	char *buf;
	errcode_t retval = 0;

	retval = ext2fs_get_mem(h->blocksize, &buf);
	if (retval)
		return retval;
	for (g = 0; g < h->group_desc_count && !retval; g++)
		if (group_dirty(d, g) &&
		    !(ext2fs_has_group_desc_csum(h) &&
		      ext2fs_bg_flags_test(h, g, EXT2_BG_BLOCK_UNINIT)))
			retval = write_block_bitmap(h, g, buf);
	for (g = 0; g < h->group_desc_count && !retval; g++)
		if (group_dirty(d, g) && g / per != last_desc) {
			last_desc = g / per;
			retval = write_desc_block(h, last_desc, buf);
		}
	ext2fs_free_mem(&buf);
	return retval;
}

int e2c_fs_partial(e2c_fs *fs)
{
	return fs->dirty && !fs->dirty->unknown &&
	       !(fs->h->flags & EXT2_FLAG_IB_DIRTY);
}

void e2c_fs_mark_dirty(e2c_fs *fs, blk64_t blk, blk64_t num)
{
	if (fs->dirty)
		mark_groups(fs, blk, num);
}

static void clear_groups(e2c_fs *fs)
{
	memset(fs->dirty->groups, 0, fs->h->group_desc_count / 8 + 1);
}

static void clear_dirty(e2c_fs *fs)
{
	clear_groups(fs);
	fs->dirty->unknown = 0;
}

errcode_t e2c_fs_flush(e2c_fs *fs, int backups, int sync)
{
	ext2_filsys h = fs->h;
	int saved = h->flags & (EXT2_FLAG_MASTER_SB_ONLY |
				 EXT2_FLAG_SUPER_ONLY);
	int partial = e2c_fs_partial(fs);
	errcode_t retval = fs->load_err;

	/* The whole flush writes every bitmap: every group loaded first. */
	if (!retval && !partial &&
	    (h->flags & (EXT2_FLAG_BB_DIRTY | EXT2_FLAG_IB_DIRTY)))
		retval = e2c_fs_load_bitmaps(fs);
	if (retval)
		return retval;
	if (partial) {
		retval = write_changed(fs);
		if (retval)
			return retval;
		/* Written: ext2fs_flush2 writes no bitmap, no descriptor. */
		h->flags &= ~EXT2_FLAG_BB_DIRTY;
		h->flags |= EXT2_FLAG_SUPER_ONLY;
	}
	if (backups)
		h->flags &= ~EXT2_FLAG_MASTER_SB_ONLY;
	retval = ext2fs_flush2(h, sync == E2C_SYNC_BOTH ? 0 :
				   EXT2_FLAG_FLUSH_NO_SYNC);
	h->flags = (h->flags & ~(EXT2_FLAG_MASTER_SB_ONLY |
				   EXT2_FLAG_SUPER_ONLY)) | saved;
	if (!retval && sync == E2C_SYNC_ONCE)
		retval = io_channel_flush(h->io);
	if (!retval && fs->dirty)
		clear_dirty(fs);
	return retval;
}

errcode_t e2c_fs_presave(e2c_fs *fs)
{
	ext2_filsys h = fs->h;
	dgrp_t g, per = EXT2_DESC_PER_BLOCK(h->super);
	blk64_t loc[2];
	char *buf;
	int k;
	errcode_t retval;

	retval = ext2fs_get_mem(h->blocksize, &buf);
	if (retval)
		return retval;
	for (g = 0; g < h->group_desc_count && !retval; g++) {
		if (!group_dirty(fs->dirty, g))
			continue;
		loc[0] = ext2fs_block_bitmap_loc(h, g);
		loc[1] = ext2fs_descriptor_block_loc2(h,
				h->super->s_first_data_block, g / per);
		for (k = 0; k < 2 && !retval; k++) {
			if (!loc[k] || loc[k] >= ext2fs_blocks_count(h->super))
				continue;
			retval = io_channel_read_blk64(h->io, loc[k], 1, buf);
			if (!retval)
				retval = io_channel_write_blk64(h->io, loc[k],
								1, buf);
		}
	}
	ext2fs_free_mem(&buf);
	clear_groups(fs);	/* what cannot be told stays so */
	return retval;
}
