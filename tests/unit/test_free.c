/*
 * test_free.c -- the core's free-space cursor, first-fit search and
 * e2freefrag histogram, against a block-at-a-time walk of the bitmap
 * (what e2freefrag itself does) and against dumpe2fs's per-group lists of
 * free blocks, on images whose free space debugfs fragmented.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "e2c.h"
#include "unit.h"

static char dir[] = "/tmp/e2c-free.XXXXXX";

static int run(const char *cmd)
{
	int rc = system(cmd);

	CHECK(rc == 0, "command failed: %s", cmd);
	return rc;
}

/* An image of bs-byte blocks whose free space is in pieces of 1, 2 and 3
 * blocks: n one-block files, of which some are deleted. */
static void make_image(const char *img, const char *bs, const char *opts,
		       const char *size)
{
	char cmd[4096], cmds[512];
	FILE *f;
	int i, n = 300;

	snprintf(cmd, sizeof(cmd), "mke2fs -q -F -b %s %s %s %s "
		 ">/dev/null 2>&1", bs, opts, img, size);
	run(cmd);
	snprintf(cmds, sizeof(cmds), "%s.cmds", img);
	f = fopen(cmds, "w");
	if (!f)
		return;
	snprintf(cmd, sizeof(cmd), "head -c %d /dev/urandom >%s.one",
		 atoi(bs), img);
	run(cmd);
	for (i = 0; i < n; i++)
		fprintf(f, "write %s.one f%d\n", img, i);
	for (i = 0; i < n; i++)
		if (strchr("034789", '0' + i % 10))
			fprintf(f, "rm f%d\n", i);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "debugfs -w -f %s %s >/dev/null 2>&1",
		 cmds, img);
	run(cmd);
}

/*
 * Bitmaps are loaded a group at a time, when first used (core/bitmaps.c):
 * none at open, one group's block bitmap for a test of one block, and
 * once every group is loaded (in reverse order here: BLOCK_UNINIT groups'
 * metadata lies in other groups), both maps bit for bit what
 * ext2fs_read_bitmaps loads.
 */
static void check_lazy(const char *img)
{
	ext2_filsys h, ref;
	unsigned long bb, ib;
	blk64_t b, end;
	ext2_ino_t ino;
	dgrp_t g;
	e2c_fs *fs;
	int inuse, diff = 0;

	CHECK(!e2c_fs_open(img, NULL, &fs), "%s: open", img);
	h = e2c_fs_handle(fs);
	e2c_fs_groups_loaded(fs, &bb, &ib);
	CHECK(bb == 0 && ib == 0, "%s: open loaded %lu + %lu bitmaps", img,
	      bb, ib);
	CHECK(h->group_desc_count > 1, "%s: one group only", img);
	g = h->group_desc_count - 1;
	CHECK(!e2c_fs_testb(fs, ext2fs_group_first_block2(h, g), &inuse),
	      "%s: testb", img);
	e2c_fs_groups_loaded(fs, &bb, &ib);
	CHECK(bb == 1 && ib == 0, "%s: testb loaded %lu + %lu bitmaps", img,
	      bb, ib);
	while (g--)
		CHECK(!e2c_fs_testb(fs, ext2fs_group_first_block2(h, g),
				    &inuse), "%s: testb", img);
	CHECK(!e2c_fs_load_bitmaps(fs), "%s: load", img);
	e2c_fs_groups_loaded(fs, &bb, &ib);
	CHECK(bb == h->group_desc_count && ib == h->group_desc_count,
	      "%s: all loaded: %lu + %lu", img, bb, ib);
	CHECK(!ext2fs_open(img, EXT2_FLAG_64BITS, 0, 0, unix_io_manager,
			   &ref) && !ext2fs_read_bitmaps(ref),
	      "%s: libext2fs open", img);
	end = ext2fs_blocks_count(h->super);
	for (b = h->super->s_first_data_block; b < end; b++)
		diff += !ext2fs_test_block_bitmap2(h->block_map, b) !=
			!ext2fs_test_block_bitmap2(ref->block_map, b);
	for (ino = 1; ino <= h->super->s_inodes_count; ino++)
		diff += !ext2fs_test_inode_bitmap2(h->inode_map, ino) !=
			!ext2fs_test_inode_bitmap2(ref->inode_map, ino);
	CHECK(!diff, "%s: %d bits differ from ext2fs_read_bitmaps's", img,
	      diff);
	ext2fs_close_free(&ref);
	e2c_fs_close(fs);
}

/* The free extents of [start, end) block by block, as e2freefrag finds
 * them: out[] gets (start, len) pairs; returns how many. */
static size_t naive(e2c_fs *fs, ext2fs_block_bitmap *maps, int nmaps,
		    blk64_t start, blk64_t end, blk64_t *out, size_t max)
{
	blk64_t b, first = e2c_fs_handle(fs)->super->s_first_data_block;
	size_t n = 0;
	int i, used;

	/* Every group, as ext2fs_read_bitmaps would load it. */
	CHECK(!e2c_fs_load_bitmaps(fs), "load the bitmaps");
	for (b = start < first ? first : start; b < end; b++) {
		used = 0;
		for (i = 0; i < nmaps; i++)
			used |= ext2fs_test_block_bitmap2(maps[i], b);
		if (used)
			continue;
		if (n && out[2 * (n - 1)] + out[2 * (n - 1) + 1] == b) {
			out[2 * (n - 1) + 1]++;
		} else if (n < max) {
			out[2 * n] = b;
			out[2 * n + 1] = 1;
			n++;
		}
	}
	return n;
}

/* The cursor over [start, start+count) gives exactly naive's extents. */
static void check_range(e2c_fs *fs, ext2fs_block_bitmap extra,
			blk64_t start, blk64_t count, const char *what)
{
	static blk64_t want[2 * 100000], have[2 * 100000];
	ext2fs_block_bitmap maps[2] = { e2c_fs_handle(fs)->block_map, extra };
	struct e2c_free_cursor c;
	blk64_t b = 0, l = 0;
	size_t n, m = 0, i = 0;
	int got, ok = 1;
	errcode_t err;

	/* The cursor first: on a fresh open it loads the groups itself. */
	err = e2c_free_begin(fs, start, count, &c);
	CHECK(!err, "%s: begin: %s", what, error_message(err));
	if (extra)
		CHECK(!e2c_free_add_map(&c, extra), "%s: add map", what);
	while (!(err = e2c_free_next(&c, &have[2 * m], &have[2 * m + 1],
				     &got)) && got &&
	       m < sizeof(have) / sizeof(have[0]) / 2 - 1)
		m++;
	CHECK(!err, "%s: next: %s", what, error_message(err));
	n = naive(fs, maps, extra ? 2 : 1, start, start + count, want,
		  sizeof(want) / sizeof(want[0]) / 2);
	for (i = 0; i < m; i++) {
		b = have[2 * i];
		l = have[2 * i + 1];
		if (i >= n || want[2 * i] != b || want[2 * i + 1] != l) {
			ok = 0;
			break;
		}
	}
	CHECK(ok && i == n, "%s [%llu, +%llu): extent %zu of %zu differs "
	      "(got %llu+%llu)", what, (unsigned long long)start,
	      (unsigned long long)count, i, n, (unsigned long long)b,
	      (unsigned long long)l);
}

/* dumpe2fs's "Free blocks: a-b, c" lines, group by group, are the
 * cursor's extents over each group. */
static void check_dumpe2fs(e2c_fs *fs, const char *img)
{
	ext2_filsys h = e2c_fs_handle(fs);
	blk64_t ratio = EXT2FS_CLUSTER_RATIO(h);
	char cmd[1024], line[65536];
	FILE *p;
	dgrp_t g = 0;
	int groups_seen = 0;

	snprintf(cmd, sizeof(cmd), "dumpe2fs %s 2>/dev/null | "
		 "sed -n 's/^  Free blocks: *//p'", img);
	p = popen(cmd, "r");
	if (!p)
		return;
	while (fgets(line, sizeof(line), p) && g < h->group_desc_count) {
		blk64_t gs = ext2fs_group_first_block2(h, g);
		blk64_t ge = ext2fs_group_last_block2(h, g) + 1;
		struct e2c_free_cursor c;
		char got[65536], *s = got;
		blk64_t b, l;
		int more;

		got[0] = 0;
		CHECK(!e2c_free_begin(fs, gs, ge - gs, &c), "group %u", g);
		/* On bigalloc dumpe2fs names clusters by their first
		 * block: a-b is the blocks of clusters a to b. */
		while (!e2c_free_next(&c, &b, &l, &more) && more &&
		       s < got + sizeof(got) - 64) {
			s += sprintf(s, s == got ? "%llu" : ", %llu",
				     (unsigned long long)b);
			if (l > ratio)
				s += sprintf(s, "-%llu",
					     (unsigned long long)(b + l - ratio));
		}
		line[strcspn(line, "\n")] = 0;
		CHECK(!strcmp(line, got), "%s group %u: dumpe2fs [%.200s], "
		      "cursor [%.200s]", img, g, line, got);
		g++;
		groups_seen++;
	}
	pclose(p);
	CHECK(groups_seen == (int)h->group_desc_count, "%s: dumpe2fs listed "
	      "%d groups of %u", img, groups_seen, h->group_desc_count);
}

/* First fit from a goal, checked against the naive list. */
static void check_find(e2c_fs *fs)
{
	static blk64_t ext[2 * 100000];
	ext2fs_block_bitmap maps[1] = { e2c_fs_handle(fs)->block_map };
	blk64_t total = ext2fs_blocks_count(e2c_fs_handle(fs)->super);
	blk64_t goals[] = { 0, 1, 100, total / 3, total / 2, total - 1 };
	blk64_t wants[] = { 1, 2, 3, 7, 100, 1000000 };
	struct e2c_free_cursor c;
	size_t n, i, gi, wi;

	n = naive(fs, maps, 1, 0, total, ext, sizeof(ext) / sizeof(ext[0]) / 2);
	for (gi = 0; gi < sizeof(goals) / sizeof(goals[0]); gi++) {
		for (wi = 0; wi < sizeof(wants) / sizeof(wants[0]); wi++) {
			blk64_t goal = goals[gi], want = wants[wi];
			blk64_t wb = 0, wl = 0, bb = 0, bl = 0, b, l;
			int found = 0;

			/* Forward from the goal (the tail of an extent
			 * holding it counts from the goal)... */
			for (i = 0; i < n && !found; i++) {
				blk64_t s = ext[2 * i], e = s + ext[2 * i + 1];

				if (e <= goal)
					continue;
				if (s < goal)
					s = goal;
				if (e - s >= want) {
					wb = s;
					wl = e - s;
					found = 1;
				} else if (e - s > bl) {
					bb = s;
					bl = e - s;
				}
			}
			/* ...then the extents starting before it, whole. */
			for (i = 0; i < n && !found && ext[2 * i] < goal; i++) {
				if (ext[2 * i + 1] >= want) {
					wb = ext[2 * i];
					wl = ext[2 * i + 1];
					found = 1;
				} else if (ext[2 * i + 1] > bl) {
					bb = ext[2 * i];
					bl = ext[2 * i + 1];
				}
			}
			if (!found) {
				wb = bb;
				wl = bl;
			}
			CHECK(!e2c_free_begin(fs, 0, total, &c), "begin");
			CHECK(!e2c_free_find(&c, goal, want, &b, &l) &&
			      b == wb && l == wl, "find goal %llu want %llu: "
			      "got %llu+%llu, wanted %llu+%llu",
			      (unsigned long long)goal, (unsigned long long)want,
			      (unsigned long long)b, (unsigned long long)l,
			      (unsigned long long)wb, (unsigned long long)wl);
		}
	}
}

/* The histogram, counted again from the naive list. */
static void check_freefrag(e2c_fs *fs, blk64_t start, blk64_t count,
			   blk64_t chunk)
{
	static blk64_t ext[2 * 100000];
	ext2fs_block_bitmap maps[1] = { e2c_fs_handle(fs)->block_map };
	struct e2c_freefrag ff;
	blk64_t hist[E2C_FREEFRAG_BUCKETS] = { 0 }, free_blocks = 0;
	blk64_t free_chunks = 0, k, b;
	size_t n, i;
	int bad = 0, j;

	n = naive(fs, maps, 1, start, start + count, ext,
		  sizeof(ext) / sizeof(ext[0]) / 2);
	for (i = 0; i < n; i++) {
		blk64_t len = ext[2 * i + 1];

		for (j = 1; j < E2C_FREEFRAG_BUCKETS - 1 &&
		     len >= (2ULL << (j - 1)); j++)
			;
		hist[j]++;
		free_blocks += len;
	}
	/* Chunks: every aligned chunk inside the range, block by block. */
	for (k = (start + chunk - 1) / chunk * chunk;
	     chunk && k + chunk <= start + count; k += chunk) {
		for (b = k; b < k + chunk; b++)
			if (b < e2c_fs_handle(fs)->super->s_first_data_block ||
			    ext2fs_test_block_bitmap2(maps[0], b))
				break;
		free_chunks += b == k + chunk;
	}
	CHECK(!e2c_freefrag(fs, start, count, chunk, &ff), "freefrag");
	for (j = 0; j < E2C_FREEFRAG_BUCKETS; j++)
		bad |= hist[j] != ff.hist_extents[j];
	CHECK(!bad && ff.extents == n && ff.free_blocks == free_blocks,
	      "freefrag [%llu, +%llu): %llu extents, %llu blocks; naive %zu, "
	      "%llu", (unsigned long long)start, (unsigned long long)count,
	      (unsigned long long)ff.extents,
	      (unsigned long long)ff.free_blocks, n,
	      (unsigned long long)free_blocks);
	CHECK(ff.free_chunks == free_chunks, "chunks of %llu: %llu free, "
	      "naive %llu", (unsigned long long)chunk,
	      (unsigned long long)ff.free_chunks,
	      (unsigned long long)free_chunks);
}

static void check_image(const char *bs, const char *opts, const char *size)
{
	char img[256];
	e2c_fs *fs;
	ext2fs_block_bitmap extra = NULL;
	struct e2c_free_cursor c;
	blk64_t total, b, l;
	int got;
	errcode_t err;

	static int seq;

	snprintf(img, sizeof(img), "%s/%d-%s.img", dir, seq++, bs);
	make_image(img, bs, opts, size);
	check_lazy(img);
	err = e2c_fs_open(img, NULL, &fs);
	CHECK(!err, "open %s: %s", img, error_message(err));
	if (err)
		return;
	total = ext2fs_blocks_count(e2c_fs_handle(fs)->super);
	check_range(fs, NULL, 0, total, "whole fs");
	check_range(fs, NULL, 1, total - 1, "from 1");
	check_range(fs, NULL, total / 3 + 5, total / 4, "a middle range");
	check_range(fs, NULL, total - 1, 1, "the last block");
	check_range(fs, NULL, 0, 0, "empty");
	check_dumpe2fs(fs, img);

	/* A second map: every 5th block and a stretch of 64 in use. */
	CHECK(!ext2fs_allocate_block_bitmap(e2c_fs_handle(fs), "extra", &extra), "map");
	for (b = e2c_fs_handle(fs)->super->s_first_data_block; b < total; b += 5)
		ext2fs_mark_block_bitmap2(extra, b);
	ext2fs_mark_block_bitmap_range2(extra, total / 2, 64);
	check_range(fs, extra, 0, total, "two maps");
	check_range(fs, extra, total / 2 - 3, 100, "two maps, a range");
	CHECK(!e2c_free_begin(fs, 0, total, &c), "begin");
	CHECK(!e2c_free_add_map(&c, extra) && !e2c_free_add_map(&c, extra) &&
	      !e2c_free_add_map(&c, extra), "up to 4 maps");
	CHECK(e2c_free_add_map(&c, extra) == EXT2_ET_INVALID_ARGUMENT,
	      "a 5th map is refused");
	ext2fs_free_block_bitmap(extra);

	/* An empty red-black tree map (a transaction's reservations before
	 * any): nothing more in use than with no map. */
	{
		ext2_filsys h = e2c_fs_handle(fs);
		int type = h->default_bitmap_type;

		h->default_bitmap_type = EXT2FS_BMAP64_RBTREE;
		CHECK(!ext2fs_allocate_block_bitmap(h, "empty", &extra),
		      "rbtree map");
		h->default_bitmap_type = type;
		check_range(fs, extra, 0, total, "an empty rbtree map");
		ext2fs_free_block_bitmap(extra);
	}

	/* Seek lands inside a free extent: the rest of it comes next. */
	CHECK(!e2c_free_begin(fs, 0, total, &c), "begin");
	while (!e2c_free_next(&c, &b, &l, &got) && got && l < 3)
		;
	CHECK(got, "an extent of 3 blocks or more");
	e2c_free_seek(&c, b + 1);
	CHECK(!e2c_free_next(&c, &b, &l, &got) && got, "after seek");
	e2c_free_seek(&c, total + 100);
	CHECK(!e2c_free_next(&c, &b, &l, &got) && !got, "seek past the end");

	CHECK(e2c_free_begin(fs, total, 1, &c) == E2C_ERR_PTR_RANGE,
	      "range past the end");
	CHECK(e2c_free_begin(fs, 5, total, &c) == E2C_ERR_PTR_RANGE,
	      "count past the end");
	check_find(fs);
	{
		struct e2c_freefrag ff;

		CHECK(!e2c_freefrag(fs, 0, total, 0, &ff) && ff.extents > 50,
		      "%s: free space in %llu pieces only", img,
		      (unsigned long long)ff.extents);
	}
	check_freefrag(fs, 0, total, 1);
	check_freefrag(fs, 0, total, 16);
	check_freefrag(fs, 0, total, 256);
	check_freefrag(fs, total / 3, total / 3, 8);
	check_freefrag(fs, ext2fs_group_first_block2(e2c_fs_handle(fs), 1),
		       ext2fs_group_last_block2(e2c_fs_handle(fs), 1) + 1 -
		       ext2fs_group_first_block2(e2c_fs_handle(fs), 1), 4);
	e2c_fs_close(fs);

	/* A full range: no free block at all. */
	err = e2c_fs_open(img, NULL, &fs);
	if (!err) {
		blk64_t meta = ext2fs_inode_table_loc(e2c_fs_handle(fs), 0);

		CHECK(!e2c_free_begin(fs, meta, 2, &c), "begin");
		CHECK(e2c_free_find(&c, meta, 1, &b, &l) ==
		      EXT2_ET_BLOCK_ALLOC_FAIL, "find in a full range");
		e2c_fs_close(fs);
	}

	/* Without bitmaps (debugfs -c): refused. */
	{
		struct e2c_open_opts o = { .catastrophic = 1 };

		CHECK(!e2c_fs_open(img, &o, &fs), "open -c");
		CHECK(e2c_free_begin(fs, 0, 10, &c) == E2C_ERR_NO_BITMAPS,
		      "no bitmaps");
		e2c_fs_close(fs);
	}
}

int main(void)
{
	char cmd[256];

	e2c_init();
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	check_image("1024", "-t ext3", "16M");
	check_image("4096", "-t ext4 -O ^flex_bg", "160M");
	check_image("1024", "-t ext4 -O flex_bg,bigalloc -C 4096", "80M");
	/* BLOCK_UNINIT groups holding their own bitmaps and inode table
	 * (no flex_bg): computed, not read. */
	snprintf(cmd, sizeof(cmd), "%s/uninit.img", dir);
	make_image(cmd, "1024", "-t ext4 -O ^flex_bg", "40M");
	check_lazy(cmd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		return 2;
	return unit_done();
}
