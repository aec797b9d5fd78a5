/*
 * readahead.c -- asking the device for blocks before they are read.
 *
 * libext2fs reads one block (or one inode-table chunk) at a time, each
 * read waiting for the one before: on a cold cache the device sees one
 * small request at a time.  io_channel_cache_readahead (unix io:
 * posix_fadvise WILLNEED) queues the reads at once, sorted into runs, so
 * the later synchronous reads find the pages in memory.  A hint only:
 * nothing here changes what is read or its result.
 */
#include "e2c_int.h"

void e2c_ra_add(ext2_filsys h, struct e2c_ra *r, blk64_t blk, blk64_t n)
{
	if (!blk || !n || blk >= ext2fs_blocks_count(h->super))
		return;
	if (r->len && blk >= r->start && blk <= r->start + r->len) {
		if (blk + n > r->start + r->len)
			r->len = blk + n - r->start;
		return;
	}
	e2c_ra_flush(h, r);
	r->start = blk;
	r->len = n;
}

void e2c_ra_flush(ext2_filsys h, struct e2c_ra *r)
{
	if (r->len)
		io_channel_cache_readahead(h->io, r->start, r->len);
	r->len = 0;
}

/* What ext2fs_read_bitmaps will read, group by group: the block bitmaps
 * (not of BLOCK_UNINIT groups, which it computes), the inode bitmaps (not
 * of INODE_UNINIT ones).  Without flex_bg a group's two bitmaps are
 * usually adjacent: one request; with it, each kind lies in runs of its
 * own: two passes. */
void e2c_ra_bitmaps(ext2_filsys h)
{
	int csum = ext2fs_has_group_desc_csum(h);
	int passes = ext2fs_has_feature_flex_bg(h->super) ? 2 : 1, pass;
	struct e2c_ra r = { 0, 0 };
	dgrp_t g;

	for (pass = 0; pass < passes; pass++)
		for (g = 0; g < h->group_desc_count; g++) {
			if (pass == 0 && !(csum && ext2fs_bg_flags_test(h, g,
						EXT2_BG_BLOCK_UNINIT)))
				e2c_ra_add(h, &r,
					   ext2fs_block_bitmap_loc(h, g), 1);
			if (pass == passes - 1 && !(csum &&
			    ext2fs_bg_flags_test(h, g, EXT2_BG_INODE_UNINIT)))
				e2c_ra_add(h, &r,
					   ext2fs_inode_bitmap_loc(h, g), 1);
		}
	e2c_ra_flush(h, &r);
}
