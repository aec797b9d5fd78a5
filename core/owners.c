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
 *
 * What may be in use is what e2fsck would find in use: every inode that
 * looks in use, also when the inode bitmap calls it free (noted: that
 * bitmap is wrong), and every block a map reaches, also past a bad
 * pointer (e2c_map_each_all).  e2c_fs_check_bitmaps then compares that
 * with the bitmaps: the allocator trusts the block bitmap only where they
 * agree.
 */
#include <errno.h>
#include <stdlib.h>

#include "e2c_int.h"

struct e2c_owners {
	e2c_fs *fs;
	ext2fs_block_bitmap owned;	/* mapped by some inode */
	ext2fs_block_bitmap shared;	/* mapped more than once */
	ext2fs_block_bitmap acl;	/* extended attribute blocks seen */
	ext2_ino_t hidden_ino;		/* first inode in use, bitmap free */
};

void e2c_owners_claim(struct e2c_owners *o, blk64_t blk, blk64_t len)
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

void e2c_owners_claim_ea(struct e2c_owners *o, struct ext2_inode *inode)
{
	e2c_fs *fs = o->fs;
	blk64_t acl = ext2fs_file_acl_block(fs->h, inode);

	/* Counted once however many inodes share it, as EA blocks are
	 * meant to be. */
	if (acl && acl >= fs->h->super->s_first_data_block &&
	    acl < ext2fs_blocks_count(fs->h->super) &&
	    !ext2fs_test_block_bitmap2(o->acl, acl)) {
		ext2fs_mark_block_bitmap2(o->acl, acl);
		e2c_owners_claim(o, acl, 1);
	}
}

static errcode_t claim_piece(const struct e2c_piece *p, void *arg)
{
	if (p->len)
		e2c_owners_claim(arg, p->pblk, p->len);
	return 0;
}

void e2c_owners_claim_map(struct e2c_owners *o, ext2_ino_t ino,
			  struct ext2_inode *inode)
{
	e2c_fs *fs = o->fs;
	/* An extent tree whose EXTENTS_FL was lost maps what its extents
	 * say: on an extent filesystem e2fsck sets the flag back and
	 * claims those blocks, not the header words as block numbers.
	 * (The flag is lent for the walk only.) */
	int lost = !(inode->i_flags & (EXT4_EXTENTS_FL | EXT4_INLINE_DATA_FL)) &&
		   ext2fs_has_feature_extents(fs->h->super) &&
		   (LINUX_S_ISREG(inode->i_mode) || LINUX_S_ISDIR(inode->i_mode)) &&
		   !ext2fs_extent_header_verify(inode->i_block,
						sizeof(inode->i_block));

	if (lost)
		inode->i_flags |= EXT4_EXTENTS_FL;
	/* Past a bad pointer the map goes on: what it reaches there may
	 * be in use (that inode's own plan is refused anyway).  A reserved
	 * inode's walk was made for the metadata map already. */
	if (!e2c_fs_meta_claims(fs, ino, inode, o))
		e2c_map_each_all(fs, ino, inode, claim_piece, o);
	if (lost)
		inode->i_flags &= ~EXT4_EXTENTS_FL;
}

void e2c_owners_claim_hidden(struct e2c_owners *o, ext2_ino_t ino,
			     struct ext2_inode *inode)
{
	if (!o->hidden_ino)
		o->hidden_ino = ino;
	e2c_owners_claim_ea(o, inode);
	e2c_owners_claim_map(o, ino, inode);
}

void e2c_owners_free(struct e2c_owners *o)
{
	if (!o)
		return;
	if (o->owned)
		ext2fs_free_block_bitmap(o->owned);
	if (o->shared)
		ext2fs_free_block_bitmap(o->shared);
	if (o->acl)
		ext2fs_free_block_bitmap(o->acl);
	free(o);
}

errcode_t e2c_owners_begin(e2c_fs *fs, struct e2c_owners **build)
{
	struct e2c_owners *o;
	errcode_t retval;

	*build = NULL;
	if (fs->building)
		return E2C_ERR_SCANNING;	/* one map, one builder */
	o = calloc(1, sizeof(*o));
	if (!o)
		return ENOMEM;
	o->fs = fs;
	retval = e2c_block_map_new(fs, "mapped blocks", E2C_MAP_DENSE,
				   &o->owned);
	/* Nearly empty whatever the filesystem's size (16 MiB each as bits
	 * at 2^27 blocks). */
	if (!retval)
		retval = e2c_block_map_new(fs, "shared blocks", E2C_MAP_SPARSE,
					   &o->shared);
	if (!retval)
		retval = e2c_block_map_new(fs, "EA blocks", E2C_MAP_SPARSE,
					   &o->acl);
	if (retval) {
		e2c_owners_free(o);
		return retval;
	}
	fs->building = o;
	*build = o;
	return 0;
}

void e2c_owners_end(struct e2c_owners *o, int complete)
{
	e2c_fs *fs = o->fs;

	fs->building = NULL;
	if (complete) {
		fs->owned = o->owned;
		fs->shared = o->shared;
		fs->hidden_ino = o->hidden_ino;
		fs->bitmaps_known = 0;
		o->owned = o->shared = NULL;
	}
	e2c_owners_free(o);
}

errcode_t e2c_owners_new(e2c_fs *fs, struct e2c_owners **ret)
{
	struct e2c_owners *o;
	errcode_t retval;

	o = calloc(1, sizeof(*o));
	if (!o)
		return ENOMEM;
	o->fs = fs;
	retval = e2c_block_map_new(fs, "claimed blocks", E2C_MAP_SPARSE,
				   &o->owned);
	if (!retval)
		retval = e2c_block_map_new(fs, "claimed twice", E2C_MAP_SPARSE,
					   &o->shared);
	if (retval) {
		e2c_owners_free(o);
		return retval;
	}
	*ret = o;
	return 0;
}

/* The next run of set blocks of map from *b on (to *end, exclusive): 0
 * at the end. */
static int next_run(ext2fs_block_bitmap map, blk64_t last, blk64_t *b,
		    blk64_t *end)
{
	if (*b > last || ext2fs_find_first_set_block_bitmap2(map, *b, last, b))
		return 0;
	if (ext2fs_find_first_zero_block_bitmap2(map, *b, last, end))
		*end = last + 1;
	return 1;
}

void e2c_owners_claim_set(struct e2c_owners *o, const struct e2c_owners *set)
{
	ext2_filsys h = o->fs->h;
	blk64_t last = ext2fs_blocks_count(h->super) - 1, b, end;

	/* Claims commute: whatever the order, a block ends owned if
	 * claimed, shared if claimed twice in all.  So each block the set
	 * claimed is claimed once here (shared where already owned), and
	 * what the set itself claimed twice is marked shared. */
	for (b = h->super->s_first_data_block;
	     next_run(set->owned, last, &b, &end); b = end)
		e2c_owners_claim(o, b, end - b);
	for (b = h->super->s_first_data_block;
	     next_run(set->shared, last, &b, &end); b = end)
		ext2fs_mark_block_bitmap_range2(o->shared, b, end - b);
}

int e2c_owners_building(e2c_fs *fs)
{
	return fs->building != NULL;
}

int e2c_owners_any_shared(e2c_fs *fs)
{
	ext2_filsys h = fs->h;
	blk64_t b;

	return !ext2fs_find_first_set_block_bitmap2(fs->shared,
			h->super->s_first_data_block,
			ext2fs_blocks_count(h->super) - 1, &b);
}

static errcode_t claim_inode(e2c_fs *fs, ext2_ino_t ino,
			     struct ext2_inode *inode, void *build, int *done)
{
	(void)fs;
	(void)done;
	e2c_owners_claim_ea(build, inode);
	e2c_owners_claim_map(build, ino, inode);
	return 0;
}

static errcode_t claim_hidden(e2c_fs *fs, ext2_ino_t ino,
			      struct ext2_inode *inode, void *build, int *done)
{
	(void)fs;
	(void)done;
	e2c_owners_claim_hidden(build, ino, inode);
	return 0;
}

/* Walk the map of every inode that looks in use (interruptible) into
 * fs->owned and fs->shared. */
static errcode_t build_owners(e2c_fs *fs)
{
	struct e2c_owners *o;
	errcode_t retval;

	retval = e2c_owners_begin(fs, &o);
	if (retval)
		return retval;
	retval = e2c_scan_each_live(fs, claim_inode, claim_hidden, o);
	e2c_owners_end(o, !retval);
	return retval;
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

/* Whether every block of map (its set runs) in first..last is set in the
 * block bitmap (loaded there): else E2C_ERR_BLOCK_BITMAP. */
static errcode_t all_in_bitmap(e2c_fs *fs, ext2fs_block_bitmap map,
			       blk64_t first, blk64_t last)
{
	blk64_t b = first, end, free_blk;

	while (b <= last &&
	       !ext2fs_find_first_set_block_bitmap2(map, b, last, &b)) {
		if (ext2fs_find_first_zero_block_bitmap2(map, b, last, &end))
			end = last + 1;
		if (!ext2fs_find_first_zero_block_bitmap2(fs->h->block_map, b,
							  end - 1, &free_blk))
			return E2C_ERR_BLOCK_BITMAP;
		b = end;
	}
	return 0;
}

/* Group g's part of the block bitmap against the metadata and owners
 * maps. */
static errcode_t check_group(e2c_fs *fs, dgrp_t g)
{
	ext2_filsys h = fs->h;
	blk64_t first = ext2fs_group_first_block2(h, g);
	blk64_t last = ext2fs_group_last_block2(h, g);
	errcode_t retval;

	if (last >= ext2fs_blocks_count(h->super))
		last = ext2fs_blocks_count(h->super) - 1;
	retval = all_in_bitmap(fs, fs->meta, first, last);
	if (!retval)
		retval = all_in_bitmap(fs, fs->owned, first, last);
	return retval;
}

/* The groups holding a block some inode maps are loaded and compared,
 * and every other group loaded (for metadata, which lies in every group:
 * a group not loaded is neither allocated in nor freed in, nor written,
 * and the commit loads and checks every group it changes before its
 * first write). */
errcode_t e2c_fs_check_bitmaps(e2c_fs *fs)
{
	errcode_t retval;
	int meta;

	if (!fs->owned) {
		retval = build_owners(fs);
		if (retval)
			return retval;
	}
	if (!fs->bitmaps_known) {
		/* Build the metadata map (a query does). */
		retval = e2c_fs_is_metadata(fs,
				fs->h->super->s_first_data_block, 1, &meta);
		if (!retval && fs->h->block_map)
			retval = e2c_bb_load_map(fs, fs->owned);
		if (!retval)
			retval = e2c_bb_uncheck(fs);
		if (retval)
			return retval;
		if (fs->hidden_ino)
			fs->bitmaps_err = E2C_ERR_INODE_BITMAP;
		else if (!fs->h->block_map)
			fs->bitmaps_err = E2C_ERR_NO_BITMAPS;
		else
			fs->bitmaps_err = 0;
		fs->bitmaps_known = 1;
	}
	if (!fs->bitmaps_err && e2c_ib_betrayed(fs))
		fs->bitmaps_err = E2C_ERR_INODE_COUNT;
	if (!fs->bitmaps_err) {
		retval = e2c_bb_each_unchecked(fs, check_group);
		if (retval == E2C_ERR_BLOCK_BITMAP)
			fs->bitmaps_err = retval;
		else if (retval)
			return retval;
	}
	return fs->bitmaps_err;
}

void e2c_fs_free_owners(e2c_fs *fs)
{
	if (fs->building)
		e2c_owners_end(fs->building, 0);
	if (fs->owned)
		ext2fs_free_block_bitmap(fs->owned);
	if (fs->shared)
		ext2fs_free_block_bitmap(fs->shared);
	fs->owned = fs->shared = NULL;
	fs->hidden_ino = 0;
	fs->bitmaps_known = 0;
}
