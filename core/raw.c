/*
 * raw.c -- structures as stored: where an inode lives, a block's bytes.
 */
#include "e2c_int.h"

errcode_t e2c_imap(e2c_fs *fs, ext2_ino_t ino, dgrp_t *group, blk64_t *blk,
		   unsigned int *offset)
{
	ext2_filsys h = fs->h;
	__u32 ipg = EXT2_INODES_PER_GROUP(h->super);
	unsigned long long off;
	blk64_t table;

	if (ino < 1 || ino > h->super->s_inodes_count)
		return EXT2_ET_BAD_INODE_NUM;
	*group = (ino - 1) / ipg;
	off = (unsigned long long)((ino - 1) % ipg) * EXT2_INODE_SIZE(h->super);
	table = ext2fs_inode_table_loc(h, *group);
	if (!table)
		return EXT2_ET_MISSING_INODE_TABLE;
	*blk = table + (off >> EXT2_BLOCK_SIZE_BITS(h->super));
	*offset = (unsigned int)(off & (h->blocksize - 1));
	return 0;
}

errcode_t e2c_read_block(e2c_fs *fs, blk64_t blk, void *buf)
{
	if (blk >= ext2fs_blocks_count(fs->h->super))
		return E2C_ERR_BLOCK_RANGE;
	return io_channel_read_blk64(fs->h->io, blk, 1, buf);
}
