/*
 * test_frag.c -- the core's fragmentation figures on files laid out block
 * by block with libext2fs (so every layout is exactly the one meant):
 * indirect blocks between data or elsewhere, holes packed or spaced, a
 * run past a group's metadata, backwards runs, written and unwritten
 * extents, the extent length limit, a file larger than a group.  The
 * image must pass e2fsck -fn, whose "non-contiguous" counts (-v) the
 * scan must give; then the scan's totals, top list, inode lists and
 * errors.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "e2c.h"
#include "unit.h"

static char dir[] = "/tmp/e2c-frag.XXXXXX";

/* A layout: data runs (lblk, pblk, len, uninit) and, for a block map,
 * where its IND block goes (0: none).  Sizes in blocks. */
struct run { blk64_t lblk, pblk, len; int uninit; };
struct file {
	const char *name;
	int extent;
	blk64_t ind;		/* block map: the IND block */
	blk64_t size;		/* i_size in blocks */
	struct run runs[4];
	/* what the core must say */
	blk64_t runs_, fragments, extents, ideal, holes;
	int fsck;		/* e2fsck -fn calls it non-contiguous */
};

/* Group 1's first block after its metadata, and group 0's last block. */
static blk64_t g1_free, g0_last;

static void build_blockmap(ext2_filsys h, ext2_ino_t ino,
			   struct ext2_inode *inode, const struct file *f)
{
	blk_t ind[1024] = { 0 };
	blk64_t total = 0;
	int i;
	blk64_t k;

	for (i = 0; i < 4 && f->runs[i].len; i++) {
		const struct run *r = &f->runs[i];

		for (k = 0; k < r->len; k++) {
			blk64_t l = r->lblk + k;

			if (l < EXT2_NDIR_BLOCKS)
				inode->i_block[l] = (blk_t)(r->pblk + k);
			else
				ind[l - EXT2_NDIR_BLOCKS] = (blk_t)(r->pblk + k);
		}
		ext2fs_block_alloc_stats_range(h, r->pblk, r->len, +1);
		total += r->len;
	}
	if (f->ind) {
		inode->i_block[EXT2_IND_BLOCK] = (blk_t)f->ind;
		CHECK(!ext2fs_write_ind_block(h, (blk_t)f->ind, ind),
		      "%s: write IND", f->name);
		ext2fs_block_alloc_stats2(h, f->ind, +1);
		total++;
	}
	ext2fs_iblk_set(h, inode, total);
	CHECK(!ext2fs_write_new_inode(h, ino, inode), "%s: write", f->name);
}

static void build_extents(ext2_filsys h, ext2_ino_t ino,
			  struct ext2_inode *inode, const struct file *f)
{
	ext2_extent_handle_t eh;
	blk64_t data = 0, k;
	int i;

	inode->i_flags |= EXT4_EXTENTS_FL;
	CHECK(!ext2fs_write_new_inode(h, ino, inode), "%s: write", f->name);
	CHECK(!ext2fs_extent_open2(h, ino, inode, &eh), "%s: open", f->name);
	for (i = 0; i < 4 && f->runs[i].len; i++) {
		const struct run *r = &f->runs[i];

		ext2fs_block_alloc_stats_range(h, r->pblk, r->len, +1);
		for (k = 0; k < r->len; k++)
			CHECK(!ext2fs_extent_set_bmap(eh, r->lblk + k,
					r->pblk + k, r->uninit ?
					EXT2_EXTENT_SET_BMAP_UNINIT : 0),
			      "%s: set_bmap", f->name);
		data += r->len;
	}
	ext2fs_extent_free(eh);
	/* The tree counted its own blocks; add the data's. */
	CHECK(!ext2fs_read_inode(h, ino, inode), "%s: read", f->name);
	ext2fs_iblk_add_blocks(h, inode, data);
	CHECK(!ext2fs_write_inode(h, ino, inode), "%s: write", f->name);
}

static ext2_ino_t build(ext2_filsys h, const struct file *f)
{
	struct ext2_inode inode;
	ext2_ino_t ino;
	errcode_t err;

	CHECK(!ext2fs_new_inode(h, EXT2_ROOT_INO, LINUX_S_IFREG | 0644, 0,
				&ino), "%s: new inode", f->name);
	err = ext2fs_link(h, EXT2_ROOT_INO, f->name, ino, EXT2_FT_REG_FILE);
	if (err == EXT2_ET_DIR_NO_SPACE) {
		CHECK(!ext2fs_expand_dir(h, EXT2_ROOT_INO), "expand /");
		err = ext2fs_link(h, EXT2_ROOT_INO, f->name, ino,
				  EXT2_FT_REG_FILE);
	}
	CHECK(!err, "%s: link: %s", f->name, error_message(err));
	ext2fs_inode_alloc_stats2(h, ino, +1, 0);
	memset(&inode, 0, sizeof(inode));
	inode.i_mode = LINUX_S_IFREG | 0644;
	inode.i_links_count = 1;
	CHECK(!ext2fs_inode_size_set(h, &inode, f->size * h->blocksize),
	      "%s: size", f->name);
	if (f->extent)
		build_extents(h, ino, &inode, f);
	else
		build_blockmap(h, ino, &inode, f);
	return ino;
}

/* Block B of the free area this test lays files in. */
#define B(n) (20000 + (n))

static struct file files[] = {
	/* name        ext ind     size  runs                               runs frag ext ideal holes fsck */
	{ "ind_inline", 0, B(12), 20, { { 0, B(0), 12, 0 }, { 12, B(13), 8, 0 } }, 2, 1, 2, 1, 0, 0 },
	{ "ind_away", 0, B(900), 20, { { 0, B(100), 12, 0 }, { 12, B(112), 8, 0 } }, 1, 1, 1, 1, 0, 1 },
	{ "sparse_dense", 0, 0, 12, { { 0, B(200), 4, 0 }, { 8, B(204), 4, 0 } }, 2, 1, 2, 2, 1, 0 },
	{ "sparse_spaced", 0, 0, 12, { { 0, B(300), 4, 0 }, { 8, B(308), 4, 0 } }, 2, 1, 2, 2, 1, 1 },
	{ "sparse_other", 0, 0, 12, { { 0, B(400), 4, 0 }, { 8, B(406), 4, 0 } }, 2, 2, 2, 2, 1, 1 },
	{ "backwards", 0, 0, 8, { { 0, B(504), 4, 0 }, { 4, B(500), 4, 0 } }, 2, 2, 2, 1, 0, 1 },
	{ "tail_hole", 0, 0, 10, { { 0, B(600), 3, 0 } }, 1, 1, 1, 1, 1, 0 },
	{ "lead_hole", 0, 0, 10, { { 5, B(610), 5, 0 } }, 1, 1, 1, 1, 1, 0 },
	{ "uninit_mix", 1, 0, 8, { { 0, B(700), 4, 0 }, { 4, B(704), 4, 1 } }, 2, 1, 2, 2, 0, 0 },
	{ "ext_frag", 1, 0, 9, { { 0, B(800), 3, 0 }, { 3, B(810), 3, 0 }, { 6, B(803), 3, 0 } }, 3, 3, 3, 1, 0, 1 },
	{ "ext_sparse", 1, 0, 30, { { 0, B(820), 5, 0 }, { 20, B(825), 5, 0 } }, 2, 1, 2, 2, 2, 0 },
};

/* On an image whose free space is one stretch (flex_bg, no backup
 * superblocks): longer than a group. */
static struct file long_files[] = {
	/* 40000 contiguous blocks: two extents, the ideal too */
	{ "long", 1, 0, 40000, { { 0, 24000, 40000, 0 } }, 1, 1, 2, 2, 0, 0 },
	/* larger than a group and fragmented: e2fsck does not count it */
	{ "big_frag", 1, 0, 9000, { { 0, 4000, 100, 0 }, { 100, 9000, 8900, 0 } }, 2, 2, 2, 1, 0, 0 },
	/* a block map filling its IND block, which lies inline */
	{ "bmap_ind", 0, 2012, 267, { { 0, 2000, 12, 0 }, { 12, 2013, 255, 0 } }, 2, 1, 2, 1, 0, 0 },
	/* unwritten: 32767 blocks an extent */
	{ "long_uninit", 1, 0, 32768, { { 0, 70000, 32768, 1 } }, 1, 1, 2, 2, 0, 0 },
};

/* Past group 1's metadata (filled in at run time). */
static struct file crossing = {
	"crossing", 0, 0, 12, { { 0, 0, 6, 0 }, { 6, 0, 6, 0 } }, 2, 1, 2, 1, 0, 1
};

/* An image with the files of list; with cross, the crossing file too. */
static void make_image(const char *img, const char *opts, struct file *list,
		       size_t n, int cross)
{
	char cmd[512];
	ext2_filsys h;
	size_t i;

	snprintf(cmd, sizeof(cmd), "mke2fs -q -F -t ext4 -b 1024 -O "
		 "^has_journal%s -N 256 %s 128M >/dev/null 2>&1", opts, img);
	CHECK(system(cmd) == 0, "mke2fs");
	CHECK(!ext2fs_open(img, EXT2_FLAG_RW | EXT2_FLAG_64BITS, 0, 0,
			   unix_io_manager, &h), "open");
	CHECK(!ext2fs_read_bitmaps(h), "bitmaps");
	for (i = 0; i < n; i++)
		build(h, &list[i]);
	if (cross) {
		g0_last = ext2fs_group_last_block2(h, 0);
		g1_free = ext2fs_inode_table_loc(h, 1) +
			  h->inode_blocks_per_group;
		crossing.runs[0].pblk = g0_last - 5;
		crossing.runs[1].pblk = g1_free;
		build(h, &crossing);
	}
	CHECK(!ext2fs_close_free(&h), "close");
}

static void check_file(e2c_fs *fs, const struct file *want)
{
	struct ext2_inode *inode = malloc(e2c_inode_buf_size(fs));
	struct e2c_frag_run *runs = NULL;
	struct e2c_frag f;
	ext2_ino_t ino;
	size_t n = 0, i;
	errcode_t err;
	char path[64];

	snprintf(path, sizeof(path), "/%s", want->name);
	CHECK(!e2c_lookup(fs, EXT2_ROOT_INO, path, &ino), "%s", path);
	CHECK(!e2c_read_inode(fs, ino, inode), "%s: read", path);
	err = e2c_frag_inode(fs, ino, inode, &f, &runs, &n);
	CHECK(!err, "%s: %s", path, error_message(err));
	CHECK(f.runs == want->runs_ && f.fragments == want->fragments &&
	      f.extents == want->extents && f.ideal == want->ideal &&
	      f.holes == want->holes && f.e2fsck_noncontig == want->fsck,
	      "%s: runs %llu fragments %llu extents %llu ideal %llu holes "
	      "%llu fsck %d; wanted %llu %llu %llu %llu %llu %d", path,
	      (unsigned long long)f.runs, (unsigned long long)f.fragments,
	      (unsigned long long)f.extents, (unsigned long long)f.ideal,
	      (unsigned long long)f.holes, f.e2fsck_noncontig,
	      (unsigned long long)want->runs_,
	      (unsigned long long)want->fragments,
	      (unsigned long long)want->extents,
	      (unsigned long long)want->ideal,
	      (unsigned long long)want->holes, want->fsck);
	/* The runs listed add up, and say which start a fragment. */
	{
		blk64_t sum = 0, frags = 0;

		for (i = 0; i < n; i++) {
			sum += runs[i].len;
			frags += runs[i].fragment;
		}
		CHECK(n == f.runs && sum == f.data_blocks &&
		      frags == f.fragments && (!n || runs[0].fragment),
		      "%s: run list", path);
		CHECK(!n || runs[0].expected == 0, "%s: first run expected",
		      path);
	}
	free(runs);
	free(inode);
}

/* e2fsck -fnv's "N non-contiguous files" and "... directories". */
static void fsck_counts(const char *img, size_t *files_, size_t *dirs)
{
	char cmd[512], line[256];
	FILE *p;
	unsigned long n;

	*files_ = *dirs = (size_t)-1;
	snprintf(cmd, sizeof(cmd), "e2fsck -fnv %s 2>&1", img);
	p = popen(cmd, "r");
	if (!p)
		return;
	while (fgets(line, sizeof(line), p)) {
		int end = 0;

		if (sscanf(line, " %lu non-contiguous file%n", &n, &end) == 1 &&
		    end)
			*files_ = n;
		end = 0;
		if (sscanf(line, " %lu non-contiguous director%n", &n,
			   &end) == 1 && end)
			*dirs = n;
	}
	CHECK(pclose(p) == 0, "e2fsck -fn: the image is not clean");
}

/* The whole scan's e2fsck counts are e2fsck -fnv's. */
static const struct e2c_frag_totals *scan_all(e2c_fs *fs, const char *img,
					      size_t top, e2c_fragscan **s)
{
	const struct e2c_frag_totals *t;
	size_t want_files, want_dirs, at, total;
	int done = 0, steps = 0;

	fsck_counts(img, &want_files, &want_dirs);
	CHECK(!e2c_fragscan_open(fs, NULL, 0, top, s), "scan open");
	while (!done && !e2c_fragscan_step(*s, 7, &done))
		steps++;
	CHECK(done && steps > 2, "scan in steps of 7 (%d)", steps);
	e2c_fragscan_progress(*s, &at, &total);
	CHECK(at == total && total == e2c_fs_inodes_count(fs),
	      "progress at the end: %zu of %zu", at, total);
	t = e2c_fragscan_totals(*s);
	CHECK(t->fsck_files == want_files && t->fsck_dirs == want_dirs,
	      "%s: non-contiguous: %zu files, %zu dirs; e2fsck -fnv: %zu, %zu",
	      img, t->fsck_files, t->fsck_dirs, want_files, want_dirs);
	CHECK(t->bad == 0, "no bad maps");
	return t;
}

static void check_scan(e2c_fs *fs, const char *img)
{
	const struct e2c_frag_totals *t;
	const struct e2c_frag *top;
	e2c_fragscan *s;
	size_t n, i, at, total;
	ext2_ino_t list[4];
	int done = 0;

	t = scan_all(fs, img, 5, &s);
	/* Every test file has data; the root and lost+found too. */
	CHECK(t->files == sizeof(files) / sizeof(files[0]) + 3,
	      "%zu files with data", t->files);
	CHECK(t->types[EXT2_FT_REG_FILE][E2C_MAP_BLOCKMAP] == 9 &&
	      t->types[EXT2_FT_REG_FILE][E2C_MAP_EXTENTS] == 3 &&
	      t->types[EXT2_FT_DIR][E2C_MAP_EXTENTS] == 2, "types");
	CHECK(t->fragmented == 3, "3 fragmented files, got %zu",
	      t->fragmented);
	top = e2c_fragscan_top(s, &n);
	CHECK(n == 3, "top: the 3 fragmented, got %zu", n);
	for (i = 1; i < n; i++)
		CHECK(top[i - 1].fragments > top[i].fragments ||
		      (top[i - 1].fragments == top[i].fragments &&
		       (top[i - 1].extents > top[i].extents ||
			(top[i - 1].extents == top[i].extents &&
			 top[i - 1].ino < top[i].ino))), "top order at %zu", i);
	CHECK(n && top[0].fragments == 3, "ext_frag first (%llu)",
	      n ? (unsigned long long)top[0].fragments : 0ULL);
	e2c_fragscan_close(s);

	/* A list: each inode once, whatever the order. */
	CHECK(!e2c_lookup(fs, 2, "/ext_frag", &list[0]) &&
	      !e2c_lookup(fs, 2, "/ind_inline", &list[1]), "lookups");
	list[2] = list[0];
	list[3] = EXT2_ROOT_INO;
	CHECK(!e2c_fragscan_open(fs, list, 4, 10, &s), "list open");
	CHECK(!e2c_fragscan_step(s, 0, &done) && done, "list scan");
	t = e2c_fragscan_totals(s);
	CHECK(t->inodes == 3 && t->files == 3 && t->fragmented == 1 &&
	      t->fragments == 3 + 1 + 1 && t->extents == 3 + 2 + 1,
	      "list totals: %zu inodes %zu files %zu fragmented",
	      t->inodes, t->files, t->fragmented);
	CHECK(t->hist_files[0] == 1 && t->hist_files[1] == 1 &&
	      t->hist_files[2] == 1, "histogram: 1, 2, 3-4 extents");
	e2c_fragscan_progress(s, &at, &total);
	CHECK(at == 3 && total == 3, "list progress");
	e2c_fragscan_close(s);
	list[0] = 0;
	CHECK(e2c_fragscan_open(fs, list, 1, 1, &s) == E2C_ERR_BAD_INODE,
	      "inode 0 in a list");
	list[0] = e2c_fs_inodes_count(fs) + 1;
	CHECK(e2c_fragscan_open(fs, list, 1, 1, &s) == E2C_ERR_BAD_INODE,
	      "inode past the end in a list");
	e2c_interrupted = 1;
	CHECK(!e2c_fragscan_open(fs, NULL, 0, 1, &s), "open");
	CHECK(e2c_fragscan_step(s, 0, &done) == E2C_ERR_INTERRUPTED,
	      "interrupted");
	e2c_interrupted = 0;
	e2c_fragscan_close(s);
}

int main(void)
{
	char cmd[256], img[256], img2[256];
	const struct e2c_frag_totals *t;
	e2c_fragscan *s;
	e2c_fs *fs;
	size_t i;

	e2c_init();
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(img, sizeof(img), "%s/frag.img", dir);
	make_image(img, ",^flex_bg", files, sizeof(files) / sizeof(files[0]), 1);
	CHECK(!e2c_fs_open(img, NULL, &fs), "e2c open");
	{
		blk64_t b;
		int meta = 1;

		/* Every block between the crossing runs is metadata. */
		for (b = g0_last + 1; b < g1_free && meta; b++)
			if (e2c_fs_is_metadata(fs, b, 1, &meta))
				meta = 0;
		CHECK(meta, "group 1's metadata lies between the crossing runs");
	}
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		check_file(fs, &files[i]);
	check_file(fs, &crossing);
	check_scan(fs, img);
	e2c_fs_close(fs);

	snprintf(img2, sizeof(img2), "%s/long.img", dir);
	make_image(img2, ",^resize_inode,sparse_super2 -E num_backup_sb=0",
		   long_files, sizeof(long_files) / sizeof(long_files[0]), 0);
	CHECK(!e2c_fs_open(img2, NULL, &fs), "e2c open");
	for (i = 0; i < sizeof(long_files) / sizeof(long_files[0]); i++)
		check_file(fs, &long_files[i]);
	t = scan_all(fs, img2, 10, &s);
	CHECK(t->fragmented == 1 && t->fsck_files == 0,
	      "long files: 1 fragmented, none non-contiguous for e2fsck");
	e2c_fragscan_close(s);
	e2c_fs_close(fs);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		return 2;
	return unit_done();
}
