/*
 * test_alloc.c -- the core's allocator (e2c_alloc_blocks) and the bitmap
 * check (e2c_fs_check_bitmaps) on an image built by tests/mkimg.sh: free
 * blocks are handed out in order from the goal, wrapping, each marked in
 * the caller's bitmap; a block the bitmap wrongly calls free (metadata,
 * the journal's, a file's) is never handed out, it fails the call, and
 * nothing stays marked; a full bitmap says EXT2_ET_BLOCK_ALLOC_FAIL.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "e2c_int.h"	/* the allocator: white-box */
#include "unit.h"

static char dir[] = "/tmp/e2c-alloc.XXXXXX";

static int run(const char *fmt, const char *a, const char *b)
{
	char cmd[4096];

	snprintf(cmd, sizeof(cmd), fmt, a, b);
	return system(cmd);
}

/* The bitmap the allocator works on: a copy of the fs's, as a tx's. */
static ext2fs_block_bitmap copy_map(e2c_fs *fs)
{
	ext2fs_generic_bitmap copy = NULL;

	if (ext2fs_copy_bitmap((ext2fs_generic_bitmap)e2c_fs_handle(fs)->block_map, &copy))
		return NULL;
	return (ext2fs_block_bitmap)copy;
}

/* The first block of ino's map. */
static blk64_t first_block(e2c_fs *fs, ext2_ino_t ino)
{
	struct e2c_piece p;
	e2c_map *m;
	int got = 0;

	if (e2c_map_open(fs, ino, NULL, &m))
		return 0;
	if (e2c_map_next(m, &p, &got))
		got = 0;
	e2c_map_close(m);
	return got ? p.pblk : 0;
}

/* Every block but blk marked in map. */
static void only_free(e2c_fs *fs, ext2fs_block_bitmap map, blk64_t blk)
{
	blk64_t first = e2c_fs_handle(fs)->super->s_first_data_block;

	ext2fs_mark_block_bitmap_range2(map, first,
		ext2fs_blocks_count(e2c_fs_handle(fs)->super) - first);
	ext2fs_unmark_block_bitmap2(map, blk);
}

/* With blk wrongly free (in the fs's own bitmap: what the disk says),
 * the allocator refuses it and the bitmap check says why. */
static void wrongly_free(const char *img, blk64_t blk, const char *what)
{
	struct e2c_open_opts o = { 0 };
	ext2fs_block_bitmap map;
	blk64_t out[2];
	e2c_fs *fs;
	int unverified = 0;
	errcode_t err;

	o.write = 1;
	CHECK(!e2c_fs_open(img, &o, &fs), "open %s", img);
	CHECK(!e2c_fs_load_bitmaps(fs), "load the bitmaps");
	ext2fs_unmark_block_bitmap2(e2c_fs_handle(fs)->block_map, blk);
	map = copy_map(fs);
	only_free(fs, map, blk);
	err = e2c_alloc_blocks(fs, map, 0, 1, out, NULL, &unverified);
	CHECK(err == E2C_ERR_BLOCK_BITMAP, "%s %llu: %s", what,
	      (unsigned long long)blk, error_message(err));
	CHECK(!ext2fs_test_block_bitmap2(map, blk), "%s: left marked", what);
	CHECK(e2c_fs_check_bitmaps(fs) == E2C_ERR_BLOCK_BITMAP, "%s: check", what);
	ext2fs_free_block_bitmap(map);
	e2c_fs_close(fs);	/* never committed: nothing written */
}

int main(void)
{
	char img[512];
	struct e2c_open_opts o = { 0 };
	ext2fs_block_bitmap map;
	blk64_t out[4], a, b, last;
	ext2_ino_t ino;
	e2c_fs *fs;
	int unverified = 0, meta = 1;
	errcode_t err;

	e2c_init();
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(img, sizeof(img), "%s/a.img", dir);
	if (run("FRAG_BLOCKS=20 sh tests/mkimg.sh %s ext3 1024 8M%s", img, "")) {
		fprintf(stderr, "mkimg failed\n");
		return 2;
	}

	o.write = 1;
	CHECK(!e2c_fs_open(img, &o, &fs), "open");
	CHECK(!e2c_fs_load_bitmaps(fs), "load the bitmaps");
	CHECK(!e2c_fs_check_bitmaps(fs), "a fresh image's bitmaps agree");
	last = ext2fs_blocks_count(e2c_fs_handle(fs)->super) - 1;
	map = copy_map(fs);
	/* Two free blocks, one at each end: the goal past the first wraps. */
	ext2fs_mark_block_bitmap_range2(map, 1, last);
	CHECK(!e2c_fs_is_metadata(fs, last, 1, &meta) && !meta,
	      "the last block is not metadata");
	ext2fs_unmark_block_bitmap2(map, last);
	a = last;
	for (b = last - 1; b > 1; b--) {
		int owned;

		if (!ext2fs_test_block_bitmap2(e2c_fs_handle(fs)->block_map, b) &&
		    !e2c_fs_is_metadata(fs, b, 1, &meta) && !meta &&
		    !e2c_fs_owned(fs, b, &owned) && !owned)
			break;
	}
	ext2fs_unmark_block_bitmap2(map, b);
	err = e2c_alloc_blocks(fs, map, last, 2, out, NULL, &unverified);
	CHECK(!err && out[0] == a && out[1] == b, "from the goal, wrapping: %s "
	      "%llu %llu", error_message(err), (unsigned long long)out[0],
	      (unsigned long long)out[1]);
	CHECK(ext2fs_test_block_bitmap2(map, a) &&
	      ext2fs_test_block_bitmap2(map, b), "both marked");
	CHECK(!unverified, "the owners map was there: nothing unverified");
	/* Full: nothing handed out, nothing marked. */
	ext2fs_unmark_block_bitmap2(map, b);
	err = e2c_alloc_blocks(fs, map, 0, 2, out, NULL, &unverified);
	CHECK(err == EXT2_ET_BLOCK_ALLOC_FAIL, "full: %s", error_message(err));
	CHECK(!ext2fs_test_block_bitmap2(map, b), "full: b left marked");
	ext2fs_free_block_bitmap(map);

	/* Each kind of block a bitmap may wrongly call free: metadata, the
	 * journal's (inode 8: metadata too), a file's. */
	{
		struct { const char *what; blk64_t blk; } k[] = {
			{ "superblock", 1 },
			{ "group descriptors", 2 },
			{ "reserved GDT", 3 },
			{ "block bitmap", ext2fs_block_bitmap_loc(e2c_fs_handle(fs), 0) },
			{ "inode bitmap", ext2fs_inode_bitmap_loc(e2c_fs_handle(fs), 0) },
			{ "inode table", ext2fs_inode_table_loc(e2c_fs_handle(fs), 0) },
			{ "journal", first_block(fs, EXT2_JOURNAL_INO) },
			{ "a file's", 0 },
		};
		size_t i, n = sizeof(k) / sizeof(k[0]);

		CHECK(!e2c_lookup(fs, EXT2_ROOT_INO, "/frag", &ino), "/frag");
		k[n - 1].blk = first_block(fs, ino);
		e2c_fs_close(fs);
		for (i = 0; i < n; i++) {
			CHECK(k[i].blk, "no block for %s", k[i].what);
			if (k[i].blk)
				wrongly_free(img, k[i].blk, k[i].what);
		}
	}
	/* Block 0 on a 4 KiB filesystem is a data block number; an inode
	 * without an EA block (file_acl 0) must not claim it. */
	snprintf(img, sizeof(img), "%s/b.img", dir);
	if (run("sh tests/mkimg.sh %s ext3 4096 32M%s", img, "")) {
		fprintf(stderr, "mkimg failed\n");
		return 2;
	}
	o.write = 0;
	CHECK(!e2c_fs_open(img, &o, &fs), "open 4 KiB");
	{
		int owned = 1;

		CHECK(!e2c_fs_owned(fs, 0, &owned) && !owned,
		      "block 0 owned by nobody (file_acl 0 is no EA block)");
	}
	e2c_fs_close(fs);
	run("rm -rf %s%s", dir, "");
	return unit_done();
}
