/*
 * owners.c -- which blocks some inode maps, and which more than one maps
 * (e2fsck's "multiply-claimed blocks"), from one walk of every map.
 *
 * A migration frees the old indirect blocks.  If another inode also maps
 * one of them, freeing it lets the next allocation overwrite that inode's
 * map: the migration would turn a repairable filesystem into lost data.
 * A block marked free in the bitmap but mapped by an inode is the same
 * trap for the index blocks a migration allocates.  e2fsck -f never
 * leaves either behind, but a filesystem marked clean can still hold
 * them, so planning asks here first.  The maps stay right across commits:
 * an inode with a shared block is never migrated, a migrated inode's
 * freed blocks were mapped once, by it (the commit unmaps them here with
 * e2c_fs_unmap), and its new index blocks are marked in the block bitmap.
 */
#include <errno.h>
#include <stdlib.h>

#include "e2c.h"

struct owners {
	ext2fs_block_bitmap owned;	/* mapped by some inode */
	ext2fs_block_bitmap shared;	/* mapped more than once */
	ext2fs_block_bitmap acl;	/* extended attribute blocks seen */
};

/* blk..blk+len-1 mapped once more. */
static void claim(struct owners *o, blk64_t blk, blk64_t len)
{
	blk64_t b;

	if (ext2fs_test_block_bitmap_range2(o->owned, blk, len)) {
		ext2fs_mark_block_bitmap_range2(o->owned, blk, len);
		return;
	}
	for (b = blk; b < blk + len; b++) {
		if (ext2fs_test_block_bitmap2(o->owned, b))
			ext2fs_mark_block_bitmap2(o->shared, b);
		else
			ext2fs_mark_block_bitmap2(o->owned, b);
	}
}

/* Every block of ino's map, and its EA block (counted once however many
 * inodes share it, as EA blocks are meant to be).  A map that cannot be
 * walked counts as far as it goes: past a bad pointer nothing is mapped,
 * and that inode's own plan is refused anyway. */
static errcode_t claim_inode(e2c_fs *fs, ext2_ino_t ino,
			     struct ext2_inode *inode, void *priv, int *done)
{
	struct owners *o = priv;
	blk64_t acl = ext2fs_file_acl_block(fs->fs, inode);
	blk64_t nblocks = ext2fs_blocks_count(fs->fs->super);
	struct e2c_piece p;
	e2c_map *m;
	int got;

	if (acl >= fs->fs->super->s_first_data_block && acl < nblocks &&
	    !ext2fs_test_block_bitmap2(o->acl, acl)) {
		ext2fs_mark_block_bitmap2(o->acl, acl);
		claim(o, acl, 1);
	}
	(void)done;
	if (!e2c_inode_has_blocks(fs, inode) ||
	    e2c_map_open(fs, ino, inode, &m))
		return 0;
	while (!e2c_map_next(m, &p, &got) && got)
		if (p.len)
			claim(o, p.pblk, p.len);
	e2c_map_close(m);
	return 0;
}

static void owners_free(struct owners *o)
{
	if (o->owned)
		ext2fs_free_block_bitmap(o->owned);
	if (o->shared)
		ext2fs_free_block_bitmap(o->shared);
	if (o->acl)
		ext2fs_free_block_bitmap(o->acl);
}

/* Walk every in-use inode's map (interruptible) into fs->owned and
 * fs->shared. */
static errcode_t build_owners(e2c_fs *fs)
{
	struct owners o = { NULL, NULL, NULL };
	errcode_t retval;

	retval = ext2fs_allocate_block_bitmap(fs->fs, "mapped blocks",
					      &o.owned);
	if (!retval)
		retval = ext2fs_allocate_block_bitmap(fs->fs, "shared blocks",
						      &o.shared);
	if (!retval)
		retval = ext2fs_allocate_block_bitmap(fs->fs, "EA blocks",
						      &o.acl);
	if (!retval)
		retval = e2c_scan_each(fs, claim_inode, &o);
	if (retval) {
		owners_free(&o);
		return retval;
	}
	ext2fs_free_block_bitmap(o.acl);
	fs->owned = o.owned;
	fs->shared = o.shared;
	return 0;
}

errcode_t e2c_fs_shared(e2c_fs *fs, blk64_t blk, blk64_t len, int *shared)
{
	errcode_t retval;

	if (!fs->shared) {
		retval = build_owners(fs);
		if (retval)
			return retval;
	}
	*shared = !ext2fs_test_block_bitmap_range2(fs->shared, blk, len);
	return 0;
}

errcode_t e2c_fs_owned(e2c_fs *fs, blk64_t blk, int *owned)
{
	errcode_t retval;

	if (!fs->owned) {
		retval = build_owners(fs);
		if (retval)
			return retval;
	}
	*owned = ext2fs_test_block_bitmap2(fs->owned, blk);
	return 0;
}

void e2c_fs_unmap(e2c_fs *fs, blk64_t blk, blk64_t len)
{
	if (fs->owned)
		ext2fs_unmark_block_bitmap_range2(fs->owned, blk, len);
}

void e2c_fs_free_owners(e2c_fs *fs)
{
	if (fs->owned)
		ext2fs_free_block_bitmap(fs->owned);
	if (fs->shared)
		ext2fs_free_block_bitmap(fs->shared);
	fs->owned = fs->shared = NULL;
}
