/*
 * floor.c -- the benchmark's floor: read every in-use inode and walk every
 * block map with libext2fs alone, the least any migrator must read (`make
 * bench`, tests/bench/bench.py).
 *
 *   floor [-s] [-r] IMAGE
 *
 * Plain: an inode scan over every inode table (ext2fs_get_next_inode_full)
 * and ext2fs_block_iterate3(READ_ONLY | DATA_ONLY) over every in-use inode
 * with blocks, as e2fsck's pass 1 reads them.
 * -s  stop reading a group's inode table after its last inode in use, as
 *     the inode bitmap says (e2lua's scan skips the same tails).
 * -r  read ahead (implies -s): posix_fadvise(WILLNEED) through
 *     io_channel_cache_readahead, first on the inode-table runs up to the
 *     last inode in use of each group, then level by level on the indirect
 *     blocks (IND, DIND, TIND), sorted by block number, before the maps are
 *     walked: what a cold run gains when the device sees many requests at
 *     once instead of one 4 KiB read after another.
 * Prints "inodes N maps M data D" (in-use inodes, maps walked, data blocks
 * mapped) so the bench can check it read what a migration reads.  Of the
 * core it uses e2c_grow only (growing the -r lists), nothing that reads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "e2c.h"

static const char *prog = "floor";

struct counts {
	unsigned long inodes, maps;
	unsigned long long data;
};

/* Metadata blocks of the maps (readahead), with how deep each is:
 * 1 an indirect block (children are data), 2 double, 3 triple. */
struct meta {
	blk64_t blk;
	int depth;
};

struct list {
	struct meta *v;
	size_t n, cap;
	ext2_ino_t *inos;	/* the inodes whose maps are walked */
	size_t ninos, inos_cap;
};

static int count_block(ext2_filsys h, blk64_t *blocknr, e2_blkcnt_t blockcnt,
		       blk64_t ref_blk, int ref_offset, void *priv)
{
	struct counts *c = priv;

	(void)h;
	(void)blocknr;
	(void)blockcnt;
	(void)ref_blk;
	(void)ref_offset;
	c->data++;
	return 0;
}

/* The last inode in use of each group, from the inode bitmap (0: none):
 * where -s and -r stop reading a group's inode table. */
static errcode_t last_in_use(ext2_filsys h, ext2_ino_t **ret)
{
	ext2_ino_t ipg = EXT2_INODES_PER_GROUP(h->super);
	ext2_ino_t *last, first, end, ino;
	dgrp_t g;

	last = calloc(h->group_desc_count, sizeof(*last));
	if (!last)
		return EXT2_ET_NO_MEMORY;
	for (g = 0; g < h->group_desc_count; g++) {
		first = g * ipg + 1;
		end = first + ipg - 1;
		/* The bitmap has no find_last: step through the set bits. */
		for (ino = first; ino <= end &&
		     !ext2fs_find_first_set_inode_bitmap2(h->inode_map, ino,
							  end, &ino); ino++)
			last[g] = ino;
	}
	*ret = last;
	return 0;
}

/* Read ahead every inode-table block up to the last inode in use of its
 * group, in runs (the tables lie in group order, so in block order). */
static void readahead_itables(ext2_filsys h, const ext2_ino_t *last)
{
	ext2_ino_t ipg = EXT2_INODES_PER_GROUP(h->super);
	unsigned per_block = h->blocksize / EXT2_INODE_SIZE(h->super);
	blk64_t run = 0, len = 0, t, n;
	dgrp_t g;

	for (g = 0; g < h->group_desc_count; g++) {
		t = ext2fs_inode_table_loc(h, g);
		if (!last[g] || !t)
			continue;
		n = (last[g] - g * ipg - 1) / per_block + 1;
		if (len && t == run + len) {
			len += n;
			continue;
		}
		if (len)
			io_channel_cache_readahead(h->io, run, len);
		run = t;
		len = n;
	}
	if (len)
		io_channel_cache_readahead(h->io, run, len);
}

/* Past ino, the last inode in use of its group: on to the next group
 * with one (*done: none is left). */
static errcode_t next_group(ext2_filsys h, ext2_inode_scan scan,
			    const ext2_ino_t *last, ext2_ino_t ino, int *done)
{
	dgrp_t g = (ino - 1) / EXT2_INODES_PER_GROUP(h->super);

	*done = 0;
	if (ino < last[g])
		return 0;
	while (++g < h->group_desc_count && !last[g])
		;
	if (g >= h->group_desc_count) {
		*done = 1;
		return 0;
	}
	return ext2fs_inode_scan_goto_blockgroup(scan, g);
}

static int meta_cmp(const void *a, const void *b)
{
	blk64_t x = ((const struct meta *)a)->blk;
	blk64_t y = ((const struct meta *)b)->blk;

	return (x > y) - (x < y);
}

/* Level by level: read ahead the metadata blocks of l (sorted, adjacent
 * ones in one request), then read the double and triple indirect ones
 * and put their children in l for the next level. */
static errcode_t readahead_maps(ext2_filsys h, struct list *l)
{
	__u32 p = h->blocksize / 4, *buf = NULL;
	blk64_t limit = ext2fs_blocks_count(h->super);
	struct meta *level = NULL;
	size_t n, i, k, run;
	errcode_t retval;

	retval = ext2fs_get_mem(h->blocksize, &buf);
	while (!retval && l->n) {
		qsort(l->v, l->n, sizeof(*l->v), meta_cmp);
		for (i = 0; i < l->n; i += run) {
			for (run = 1; i + run < l->n &&
			     l->v[i + run].blk == l->v[i].blk + run; run++)
				;
			io_channel_cache_readahead(h->io, l->v[i].blk, run);
		}
		/* This level becomes the parents; l collects the children. */
		free(level);
		level = l->v;
		n = l->n;
		l->v = NULL;
		l->n = l->cap = 0;
		for (i = 0; !retval && i < n; i++) {
			if (level[i].depth < 2)
				continue;
			retval = io_channel_read_blk64(h->io, level[i].blk, 1,
						       buf);
			for (k = 0; !retval && k < p; k++) {
				blk64_t b = ext2fs_le32_to_cpu(buf[k]);

				if (!b || b >= limit)
					continue;
				retval = e2c_grow(&l->v, &l->cap, l->n + 1,
						 sizeof(*l->v));
				if (!retval) {
					l->v[l->n].blk = b;
					l->v[l->n++].depth = level[i].depth - 1;
				}
			}
		}
	}
	free(level);
	ext2fs_free_mem(&buf);
	return retval;
}

/* With -r: remember the inode and the indirect blocks in its i_block. */
static errcode_t note_map(ext2_filsys h, struct list *l, ext2_ino_t ino,
			  struct ext2_inode *inode)
{
	blk64_t limit = ext2fs_blocks_count(h->super);
	int d;
	errcode_t retval;

	retval = e2c_grow(&l->inos, &l->inos_cap, l->ninos + 1,
			  sizeof(*l->inos));
	if (retval)
		return retval;
	l->inos[l->ninos++] = ino;
	if (inode->i_flags & EXT4_EXTENTS_FL)
		return 0;
	for (d = 1; d <= 3; d++) {
		blk64_t b = inode->i_block[EXT2_NDIR_BLOCKS + d - 1];

		if (!b || b >= limit)
			continue;
		retval = e2c_grow(&l->v, &l->cap, l->n + 1, sizeof(*l->v));
		if (retval)
			return retval;
		l->v[l->n].blk = b;
		l->v[l->n++].depth = d;
	}
	return 0;
}

static errcode_t walk(ext2_filsys h, ext2_ino_t ino, char *block_buf,
		      struct counts *c)
{
	c->maps++;
	return ext2fs_block_iterate3(h, ino, BLOCK_FLAG_READ_ONLY |
				     BLOCK_FLAG_DATA_ONLY, block_buf,
				     count_block, c);
}

static errcode_t run(ext2_filsys h, int skip, int ahead, struct counts *c)
{
	ext2_inode_scan scan = NULL;
	struct ext2_inode_large inode;
	struct list l = { 0 };
	char *block_buf = NULL;
	ext2_ino_t ino, *last = NULL;
	size_t i;
	int done = 0, used;
	errcode_t retval;

	retval = ext2fs_get_mem(h->blocksize * 3, &block_buf);
	if (!retval && skip)
		retval = ext2fs_read_inode_bitmap(h);
	if (!retval && skip)
		retval = last_in_use(h, &last);
	if (retval)
		goto out;
	if (ahead)
		readahead_itables(h, last);
	/* 32 blocks a read, as e2lua's scan. */
	retval = ext2fs_open_inode_scan(h, 32, &scan);
	if (retval)
		goto out;
	while (!done) {
		retval = ext2fs_get_next_inode_full(scan, &ino,
				(struct ext2_inode *)&inode, sizeof(inode));
		if (retval == EXT2_ET_BAD_BLOCK_IN_INODE_TABLE)
			continue;
		if (retval || !ino)
			break;
		used = skip ? !!ext2fs_test_inode_bitmap2(h->inode_map, ino) :
			inode.i_links_count && !inode.i_dtime;
		if (used && ext2fs_inode_has_valid_blocks2(h,
					(struct ext2_inode *)&inode))
			retval = ahead ? note_map(h, &l, ino,
						 (struct ext2_inode *)&inode) :
				walk(h, ino, block_buf, c);
		c->inodes += used;
		if (!retval && skip)
			retval = next_group(h, scan, last, ino, &done);
		if (retval)
			break;
	}
	if (!retval && ahead)
		retval = readahead_maps(h, &l);
	for (i = 0; !retval && i < l.ninos; i++)
		retval = walk(h, l.inos[i], block_buf, c);
out:
	if (scan)
		ext2fs_close_inode_scan(scan);
	free(last);
	free(l.v);
	free(l.inos);
	ext2fs_free_mem(&block_buf);
	return retval;
}

int main(int argc, char **argv)
{
	struct counts c = { 0, 0, 0 };
	ext2_filsys h;
	int opt, skip = 0, ahead = 0;
	errcode_t retval;

	while ((opt = getopt(argc, argv, "rs")) != -1) {
		switch (opt) {
		case 'r': ahead = skip = 1; break;
		case 's': skip = 1; break;
		default:
			fprintf(stderr, "Usage: %s [-s] [-r] IMAGE\n", prog);
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "Usage: %s [-s] [-r] IMAGE\n", prog);
		return 2;
	}
	add_error_table(&et_ext2_error_table);
	retval = ext2fs_open2(argv[optind], NULL, EXT2_FLAG_64BITS, 0, 0,
			      unix_io_manager, &h);
	if (retval) {
		fprintf(stderr, "%s: %s: %s\n", prog, argv[optind],
			error_message(retval));
		return 2;
	}
	retval = run(h, skip, ahead, &c);
	ext2fs_free(h);
	if (retval) {
		fprintf(stderr, "%s: %s: %s\n", prog, argv[optind],
			error_message(retval));
		return 1;
	}
	printf("inodes %lu maps %lu data %llu\n", c.inodes, c.maps, c.data);
	return 0;
}
