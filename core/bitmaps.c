/*
 * bitmaps.c -- the filesystem's block and inode bitmaps, read a group at a
 * time when first needed.
 *
 * ext2fs_read_bitmaps reads every bitmap block at open: 65,536 reads on a
 * 4 TiB ext3 for a migration whose changes lie in a few dozen groups.
 * Here the handle's maps start empty and a group is loaded on first use,
 * as libext2fs's read_bitmaps_range_start loads it (the same read, the
 * same checksum verification, a BLOCK_UNINIT or INODE_UNINIT group with a
 * valid descriptor computed, never read, a location past the end read as
 * all free), and BLOCK_UNINIT groups' own metadata marked wherever it lies
 * (libext2fs's mark_uninit_bg_group_blocks), from a map built at open.
 * Whoever reads fs->h->block_map or inode_map loads what it reads first:
 * e2c_bb_load*, e2c_bb_find, e2c_ib_load*, or everything
 * (e2c_fs_load_bitmaps, read ahead first) for a whole-filesystem answer.
 * A group never loaded is never changed (e2c_fs_block_stats loads first;
 * a change anywhere else makes the next flush fail) and never written.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "e2c_int.h"

struct e2c_loaded {
	unsigned char *bb, *ib;	/* a bit a group: loaded */
	dgrp_t bb_missing, ib_missing;	/* groups not loaded yet */
	int ib_trusted;		/* inode bitmaps loaded on the descriptors' word */
	int ib_disagree;	/* a group's bitmap and descriptor disagree */
	ext2fs_block_bitmap uninit_meta; /* BLOCK_UNINIT groups' metadata */
	dgrp_t *unchecked;	/* loaded, not yet compared with the maps */
	size_t nunchecked, cap;
	char *buf;		/* a block */
};

static int bit(const unsigned char *set, dgrp_t g)
{
	return set[g / 8] & (1 << (g % 8));
}

/* mark_uninit_bg_group_blocks's marks, into a map of their own. */
static errcode_t build_uninit_meta(e2c_fs *fs, ext2fs_block_bitmap *ret)
{
	ext2_filsys h = fs->h;
	blk64_t end = ext2fs_blocks_count(h->super), b;
	ext2fs_block_bitmap map = NULL;
	errcode_t retval = 0;
	dgrp_t g;

	for (g = 0; g < h->group_desc_count && !retval; g++) {
		if (!ext2fs_bg_flags_test(h, g, EXT2_BG_BLOCK_UNINIT))
			continue;
		if (!map)
			/* A few runs a flex group. */
			retval = e2c_block_map_new(fs,
					"uninit groups' metadata",
					E2C_MAP_SPARSE, &map);
		if (retval)
			break;
		ext2fs_reserve_super_and_bgd(h, g, map);
		b = ext2fs_inode_table_loc(h, g);
		if (b && b < end)
			ext2fs_mark_block_bitmap_range2(map, b,
				b + h->inode_blocks_per_group <= end ?
				h->inode_blocks_per_group : end - b);
		b = ext2fs_block_bitmap_loc(h, g);
		if (b && b < end)
			ext2fs_mark_block_bitmap2(map, b);
		b = ext2fs_inode_bitmap_loc(h, g);
		if (b && b < end)
			ext2fs_mark_block_bitmap2(map, b);
	}
	if (retval && map)
		ext2fs_free_block_bitmap(map);
	else
		*ret = map;
	return retval;
}

/* ext2fs_read_bitmaps failed at open on an image too short to hold its
 * bitmaps (a truncated copy): so does this, from the image's size, without
 * reading them.  A size that cannot be told leaves it to the loads. */
static errcode_t bitmaps_inside(e2c_fs *fs)
{
	ext2_filsys h = fs->h;
	blk64_t size, end = ext2fs_blocks_count(h->super), b;
	int csum = ext2fs_has_group_desc_csum(h);
	dgrp_t g;

	if (ext2fs_get_device_size2(fs->path, h->blocksize, &size))
		return 0;
	size = size > fs->offset / h->blocksize ?
	       size - fs->offset / h->blocksize : 0;
	for (g = 0; g < h->group_desc_count; g++) {
		b = ext2fs_block_bitmap_loc(h, g);
		if (b < end && b >= size &&
		    !(csum && ext2fs_bg_flags_test(h, g, EXT2_BG_BLOCK_UNINIT)))
			return EXT2_ET_BLOCK_BITMAP_READ;
		b = ext2fs_inode_bitmap_loc(h, g);
		if (b < end && b >= size &&
		    !(csum && ext2fs_bg_flags_test(h, g, EXT2_BG_INODE_UNINIT)))
			return EXT2_ET_INODE_BITMAP_READ;
	}
	return 0;
}

int e2c_block_map_type(ext2_filsys h, int sparse)
{
	return sparse || ext2fs_blocks_count(h->super) > E2C_BB_TREE_FROM ?
	       EXT2FS_BMAP64_RBTREE : h->default_bitmap_type;
}

errcode_t e2c_block_map_new(e2c_fs *fs, const char *what, int sparse,
			    ext2fs_block_bitmap *ret)
{
	ext2_filsys h = fs->h;
	int type = h->default_bitmap_type;
	errcode_t retval;

	h->default_bitmap_type = e2c_block_map_type(h, sparse);
	retval = ext2fs_allocate_block_bitmap(h, what, ret);
	h->default_bitmap_type = type;
	return retval;
}

errcode_t e2c_bitmaps_init(e2c_fs *fs)
{
	ext2_filsys h = fs->h;
	size_t n = h->group_desc_count / 8 + 1;
	struct e2c_loaded *l;
	errcode_t retval;

	l = calloc(1, sizeof(*l));
	if (!l)
		return ENOMEM;
	fs->loaded = l;
	l->bb = calloc(n, 1);
	l->ib = calloc(n, 1);
	if (!l->bb || !l->ib)
		return ENOMEM;
	l->bb_missing = l->ib_missing = h->group_desc_count;
	retval = bitmaps_inside(fs);
	if (!retval)
		retval = ext2fs_get_mem(h->blocksize, &l->buf);
	if (!retval)
		retval = build_uninit_meta(fs, &l->uninit_meta);
	/* The groups never loaded cost nothing in a tree. */
	if (!retval)
		retval = e2c_block_map_new(fs, "block bitmap", E2C_MAP_DENSE,
					   &h->block_map);
	if (!retval)
		retval = ext2fs_allocate_inode_bitmap(h, "inode bitmap",
						      &h->inode_map);
	return retval;
}

void e2c_bitmaps_free(e2c_fs *fs)
{
	struct e2c_loaded *l = fs->loaded;

	if (!l)
		return;
	if (l->uninit_meta)
		ext2fs_free_block_bitmap(l->uninit_meta);
	ext2fs_free_mem(&l->buf);
	free(l->unchecked);
	free(l->bb);
	free(l->ib);
	free(l);
	fs->loaded = NULL;
}

/* Ask for the bitmap blocks of g0..g1 not loaded yet that a load would
 * read (kinds: E2C_BM_BLOCK, E2C_BM_INODE; want: only the groups set).  Without flex_bg a group's two
 * bitmaps are usually adjacent: one request; with it each kind lies in
 * runs of its own: two passes. */
static void read_ahead(e2c_fs *fs, int kinds, dgrp_t g0, dgrp_t g1,
		       const unsigned char *want)
{
	ext2_filsys h = fs->h;
	struct e2c_loaded *l = fs->loaded;
	int csum = ext2fs_has_group_desc_csum(h);
	int passes = ext2fs_has_feature_flex_bg(h->super) ? 2 : 1, pass;
	struct e2c_ra r = { 0, 0 };
	dgrp_t g;

	for (pass = 0; pass < passes; pass++)
		for (g = g0; g <= g1; g++) {
			if (want && !bit(want, g))
				continue;
			if (pass == 0 && (kinds & E2C_BM_BLOCK) &&
			    !bit(l->bb, g) &&
			    !(csum && ext2fs_bg_flags_test(h, g,
						EXT2_BG_BLOCK_UNINIT)))
				e2c_ra_add(h, &r,
					   ext2fs_block_bitmap_loc(h, g), 1);
			if ((pass == 1 || passes == 1) &&
			    (kinds & E2C_BM_INODE) && !bit(l->ib, g) &&
			    !(csum && ext2fs_bg_flags_test(h, g,
						EXT2_BG_INODE_UNINIT)))
				e2c_ra_add(h, &r,
					   ext2fs_inode_bitmap_loc(h, g), 1);
		}
	e2c_ra_flush(h, &r);
}

/* Group g's bitmap block of a kind into buf (nbytes of it), as
 * read_bitmaps_range_start reads it; all free when computed or out of
 * range. */
static errcode_t read_group(ext2_filsys h, dgrp_t g, int inode, char *buf,
			    unsigned int nbytes)
{
	blk64_t blk = inode ? ext2fs_inode_bitmap_loc(h, g) :
			      ext2fs_block_bitmap_loc(h, g);
	int flag = inode ? EXT2_BG_INODE_UNINIT : EXT2_BG_BLOCK_UNINIT;

	if ((ext2fs_has_group_desc_csum(h) && ext2fs_bg_flags_test(h, g, flag) &&
	     ext2fs_group_desc_csum_verify(h, g)) ||
	    blk >= ext2fs_blocks_count(h->super))
		blk = 0;
	if (!blk) {
		memset(buf, 0, nbytes);
		return 0;
	}
	if (io_channel_read_blk64(h->io, blk, 1, buf))
		return inode ? EXT2_ET_INODE_BITMAP_READ :
			       EXT2_ET_BLOCK_BITMAP_READ;
	if (h->flags & EXT2_FLAG_IGNORE_CSUM_ERRORS)
		return 0;
	if (inode && !ext2fs_inode_bitmap_csum_verify(h, g, buf, nbytes))
		return EXT2_ET_INODE_BITMAP_CSUM_INVALID;
	if (!inode && !ext2fs_block_bitmap_csum_verify(h, g, buf, nbytes))
		return EXT2_ET_BLOCK_BITMAP_CSUM_INVALID;
	return 0;
}

static errcode_t load_block_group(e2c_fs *fs, dgrp_t g)
{
	ext2_filsys h = fs->h;
	struct e2c_loaded *l = fs->loaded;
	unsigned int nbytes = EXT2_CLUSTERS_PER_GROUP(h->super) / 8, i;
	blk64_t start = EXT2FS_B2C(h, h->super->s_first_data_block) +
			(blk64_t)g * EXT2_CLUSTERS_PER_GROUP(h->super);
	unsigned char *meta;
	errcode_t retval;

	retval = read_group(h, g, 0, l->buf, nbytes);
	if (!retval && l->uninit_meta) {
		meta = malloc(nbytes);
		if (!meta)
			return ENOMEM;
		retval = ext2fs_get_block_bitmap_range2(l->uninit_meta, start,
							nbytes * 8, meta);
		for (i = 0; !retval && i < nbytes; i++)
			l->buf[i] |= meta[i];
		free(meta);
	}
	if (!retval)
		retval = e2c_grow(&l->unchecked, &l->cap, l->nunchecked + 1,
				  sizeof(*l->unchecked));
	if (!retval)
		retval = ext2fs_set_block_bitmap_range2(h->block_map, start,
							nbytes * 8, l->buf);
	if (retval)
		return retval;
	l->unchecked[l->nunchecked++] = g;
	l->bb[g / 8] |= 1 << (g % 8);
	l->bb_missing--;
	return 0;
}

static errcode_t load_inode_group(e2c_fs *fs, dgrp_t g)
{
	ext2_filsys h = fs->h;
	struct e2c_loaded *l = fs->loaded;
	unsigned int nbytes = EXT2_INODES_PER_GROUP(h->super) / 8;
	errcode_t retval;

	retval = read_group(h, g, 1, l->buf, nbytes);
	if (!retval && ext2fs_bitcount(l->buf, nbytes) !=
			       EXT2_INODES_PER_GROUP(h->super) -
				       ext2fs_bg_free_inodes_count(h, g))
		l->ib_disagree = 1;
	if (!retval)
		retval = ext2fs_set_inode_bitmap_range2(h->inode_map,
				(__u64)g * EXT2_INODES_PER_GROUP(h->super) + 1,
				nbytes * 8, l->buf);
	if (retval)
		return retval;
	l->ib[g / 8] |= 1 << (g % 8);
	l->ib_missing--;
	return 0;
}

/* Groups g0..g1 of the kinds asked for, loaded; read ahead first when
 * more than one is to be read. */
static errcode_t load(e2c_fs *fs, int kinds, dgrp_t g0, dgrp_t g1)
{
	struct e2c_loaded *l = fs->loaded;
	errcode_t retval = 0;
	dgrp_t g;

	if (!l)
		return fs->h->block_map ? 0 : E2C_ERR_NO_BITMAPS;
	if (!(kinds & E2C_BM_BLOCK && l->bb_missing) &&
	    !(kinds & E2C_BM_INODE && l->ib_missing))
		return 0;
	if (g1 >= fs->h->group_desc_count)
		g1 = fs->h->group_desc_count - 1;
	if (g1 > g0)
		read_ahead(fs, kinds, g0, g1, NULL);
	for (g = g0; g <= g1 && g >= g0 && !retval; g++) {
		if ((kinds & E2C_BM_BLOCK) && !bit(l->bb, g))
			retval = load_block_group(fs, g);
		if (!retval && (kinds & E2C_BM_INODE) && !bit(l->ib, g))
			retval = load_inode_group(fs, g);
	}
	return retval;
}

errcode_t e2c_bb_load(e2c_fs *fs, dgrp_t g0, dgrp_t g1)
{
	return load(fs, E2C_BM_BLOCK, g0, g1);
}

errcode_t e2c_bb_load_range(e2c_fs *fs, blk64_t blk, blk64_t num)
{
	ext2_filsys h = fs->h;
	blk64_t first = h->super->s_first_data_block;
	blk64_t end = ext2fs_blocks_count(h->super);

	if (!num || blk >= end)
		return load(fs, 0, 0, 0);
	if (blk < first)
		blk = first;
	if (num > end - blk)
		num = end - blk;
	return load(fs, E2C_BM_BLOCK, ext2fs_group_of_blk2(h, blk),
		    ext2fs_group_of_blk2(h, blk + num - 1));
}

errcode_t e2c_bb_load_map(e2c_fs *fs, ext2fs_block_bitmap map)
{
	ext2_filsys h = fs->h;
	struct e2c_loaded *l = fs->loaded;
	blk64_t last = ext2fs_blocks_count(h->super) - 1, b, gend;
	unsigned char *want;
	errcode_t retval = 0;
	dgrp_t g, n = 0;

	if (!l || !l->bb_missing)
		return load(fs, 0, 0, 0);
	want = calloc(h->group_desc_count / 8 + 1, 1);
	if (!want)
		return ENOMEM;
	b = h->super->s_first_data_block;
	while (b <= last &&
	       !ext2fs_find_first_set_block_bitmap2(map, b, last, &b)) {
		g = ext2fs_group_of_blk2(h, b);
		if (!bit(l->bb, g)) {
			want[g / 8] |= 1 << (g % 8);
			n++;
		}
		gend = ext2fs_group_last_block2(h, g);
		if (gend >= last)
			break;
		b = gend + 1;
	}
	if (n > 1)
		read_ahead(fs, E2C_BM_BLOCK, 0, h->group_desc_count - 1, want);
	for (g = 0; g < h->group_desc_count && n && !retval; g++)
		if (bit(want, g)) {
			retval = load_block_group(fs, g);
			n--;
		}
	free(want);
	return retval;
}

/*
 * On a 4 TiB ext3 with 1,000 files, 32 of 32,768 groups hold an inode in
 * use: the others' descriptors say so, and reading their inode bitmaps
 * (128 MiB) is what the migration would cost.  The descriptors are
 * trusted only while nothing contradicts them: their free counts must add
 * up to the superblock's, and each group loaded must agree with its
 * bitmap (a group loaded later that does not makes e2c_ib_betrayed true).
 */
errcode_t e2c_ib_load_used(e2c_fs *fs)
{
	ext2_filsys h = fs->h;
	struct e2c_loaded *l = fs->loaded;
	ext2_ino_t ipg = EXT2_INODES_PER_GROUP(h->super);
	dgrp_t g, n = h->group_desc_count;
	unsigned char *want;
	__u64 nfree = 0;
	errcode_t retval = 0;
	int trust;

	if (!l || !l->ib_missing || !n)
		return load(fs, E2C_BM_INODE, 0, n ? n - 1 : 0);
	want = calloc(n / 8 + 1, 1);
	if (!want)
		return ENOMEM;
	for (g = 0; g < n; g++) {
		nfree += ext2fs_bg_free_inodes_count(h, g);
		if (ext2fs_bg_free_inodes_count(h, g) < ipg)
			want[g / 8] |= 1 << (g % 8);
	}
	trust = nfree == h->super->s_free_inodes_count;
	if (trust && !l->ib_disagree) {
		read_ahead(fs, E2C_BM_INODE, 0, n - 1, want);
		for (g = 0; g < n && !retval && !l->ib_disagree; g++)
			if (bit(want, g) && !bit(l->ib, g))
				retval = load_inode_group(fs, g);
	}
	free(want);
	if (retval)
		return retval;
	if (!trust || l->ib_disagree)
		return load(fs, E2C_BM_INODE, 0, n - 1);
	/* Once a scan trusted them, for good: what it built may lack an
	 * inode in use only a later load reveals. */
	l->ib_trusted = 1;
	return 0;
}

int e2c_ib_betrayed(e2c_fs *fs)
{
	return fs->loaded && fs->loaded->ib_trusted && fs->loaded->ib_disagree;
}

errcode_t e2c_ib_test(e2c_fs *fs, ext2_ino_t ino, int *inuse)
{
	ext2_filsys h = fs->h;
	dgrp_t g;
	errcode_t retval;

	if (!h->inode_map)
		return E2C_ERR_NO_BITMAPS;
	if (!ino || ino > h->super->s_inodes_count)
		return EXT2_ET_BAD_INODE_NUM;
	g = (ino - 1) / EXT2_INODES_PER_GROUP(h->super);
	/* Called for every inode planned: loaded, no more to do. */
	retval = fs->loaded && bit(fs->loaded->ib, g) ? 0 :
		 load(fs, E2C_BM_INODE, g, g);
	if (!retval)
		*inuse = ext2fs_test_inode_bitmap2(h->inode_map, ino);
	return retval;
}

int e2c_bb_loaded(e2c_fs *fs, dgrp_t g)
{
	return !fs->loaded || bit(fs->loaded->bb, g);
}

errcode_t e2c_bb_find(e2c_fs *fs, int set, blk64_t start, blk64_t end,
		      blk64_t *out)
{
	ext2_filsys h = fs->h;
	blk64_t last = ext2fs_blocks_count(h->super) - 1, gend = end;
	errcode_t retval;
	dgrp_t g;

	if (!h->block_map)
		return E2C_ERR_NO_BITMAPS;
	if (start < h->super->s_first_data_block)
		start = h->super->s_first_data_block;
	if (end > last)
		end = last;
	while (start <= end) {
		if (fs->loaded && fs->loaded->bb_missing) {
			g = ext2fs_group_of_blk2(h, start);
			retval = load(fs, E2C_BM_BLOCK, g, g);
			if (retval)
				return retval;
			gend = ext2fs_group_last_block2(h, g);
			if (gend > end)
				gend = end;
		} else {
			gend = end;
		}
		retval = set ? ext2fs_find_first_set_block_bitmap2(h->block_map,
							start, gend, out) :
			       ext2fs_find_first_zero_block_bitmap2(h->block_map,
							start, gend, out);
		/* libext2fs 1.47's red-black tree answers ENOENT to a zero
		 * search when it holds nothing. */
		if (retval == ENOENT && !set &&
		    !ext2fs_test_block_bitmap2(h->block_map, start)) {
			*out = start;
			retval = 0;
		}
		if (retval != ENOENT)
			return retval;
		if (gend == end)
			break;
		start = gend + 1;
	}
	return ENOENT;
}

errcode_t e2c_fs_load_bitmaps(e2c_fs *fs)
{
	dgrp_t n = fs->h->group_desc_count;

	return load(fs, E2C_BM_BLOCK | E2C_BM_INODE, 0, n ? n - 1 : 0);
}

errcode_t e2c_bb_each_unchecked(e2c_fs *fs,
				errcode_t (*fn)(e2c_fs *fs, dgrp_t g))
{
	struct e2c_loaded *l = fs->loaded;
	errcode_t retval = 0;
	dgrp_t g;

	if (!l)	/* no bitmaps: nothing loaded to check */
		return 0;
	while (l->nunchecked && !retval) {
		g = l->unchecked[l->nunchecked - 1];
		retval = fn(fs, g);
		if (!retval)
			l->nunchecked--;
	}
	return retval;
}

errcode_t e2c_bb_uncheck(e2c_fs *fs)
{
	struct e2c_loaded *l = fs->loaded;
	errcode_t retval;
	dgrp_t g;

	if (!l)
		return 0;
	l->nunchecked = 0;
	for (g = 0; g < fs->h->group_desc_count; g++) {
		if (!bit(l->bb, g))
			continue;
		retval = e2c_grow(&l->unchecked, &l->cap, l->nunchecked + 1,
				  sizeof(*l->unchecked));
		if (retval)
			return retval;
		l->unchecked[l->nunchecked++] = g;
	}
	return 0;
}

void e2c_fs_groups_loaded(e2c_fs *fs, unsigned long *blocks,
			  unsigned long *inodes)
{
	dgrp_t n = fs->h->group_desc_count;

	*blocks = fs->loaded ? n - fs->loaded->bb_missing : 0;
	*inodes = fs->loaded ? n - fs->loaded->ib_missing : 0;
}
