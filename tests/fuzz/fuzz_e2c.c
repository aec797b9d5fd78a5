/*
 * fuzz_e2c.c -- libFuzzer harness for the core: the input is an image.
 *
 * libext2fs opens paths, so each input is written to one per-process file
 * on /dev/shm (memory, not disk), unlinked and opened as /proc/self/fd/N.  The harness opens it read-only, walks
 * every in-use inode's map three ways (pieces, coalesced runs, holes),
 * plans it (in place, relocating, back) and reads parts of its content;
 * then opens the same file for write and stages and commits the
 * migration of every inode that can be migrated, then their unmigration;
 * on a fresh copy their relocation; then the multi-object paths (two selections, a selection and
 * a tx of two filesystems, staging, rollback and scans interleaved).
 * Every core entry point a corrupt image can reach is exercised;
 * libext2fs errors are expected and ignored, crashes, sanitizer reports
 * and an accepted misuse are the findings.
 *
 * Built with clang -fsanitize=fuzzer,address,undefined (make fuzz).  With
 * -DFUZZ_STANDALONE it is a plain program running the inputs named on its
 * command line once each (the regression inputs, under make check).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "e2c.h"

/* Bounds, so a corrupt count cannot make one input run for minutes. */
#define MAX_INODES 4096		/* inodes scanned per open */
#define MAX_STEPS 65536		/* cursor steps per inode and walk kind */

static char image[64];
static int image_fd = -1;

/* The per-process image: a file on /dev/shm unlinked at once, opened by
 * libext2fs as /proc/self/fd/N, so nothing is left behind however the
 * process ends (a finding aborts it). */
static int image_path(void)
{
	char name[64];

	if (image_fd >= 0)
		return 0;
	snprintf(name, sizeof(name), "/dev/shm/fuzz_e2c.%ld.img",
		 (long)getpid());
	image_fd = open(name, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (image_fd < 0)
		return -1;
	unlink(name);
	snprintf(image, sizeof(image), "/proc/self/fd/%d", image_fd);
	return 0;
}

static int put_image(const uint8_t *data, size_t size)
{
	size_t off = 0;

	if (ftruncate(image_fd, 0))
		return -1;
	while (off < size) {
		ssize_t n = pwrite(image_fd, data + off, size - off, off);

		if (n <= 0)
			return -1;
		off += n;
	}
	return 0;
}

/* One walk of ino's map with the cursor step kind selects (0: pieces,
 * 1: runs, 2: holes). */
static void walk(e2c_fs *fs, ext2_ino_t ino, struct ext2_inode *inode,
		 int kind)
{
	struct e2c_piece p;
	e2c_map *m;
	int got = 1, steps;

	if (e2c_map_open(fs, ino, inode, &m))
		return;
	for (steps = 0; got && steps < MAX_STEPS; steps++) {
		errcode_t err = kind == 0 ? e2c_map_next(m, &p, &got) :
				kind == 1 ? e2c_map_next_run(m, &p, &got) :
					    e2c_map_next_hole(m, &p, &got);
		if (err)
			break;
	}
	e2c_map_close(m);
}

/* Read ino's content the way the commands do: its start, its last byte
 * (the reader walks its map again from the start to go back), a bounded
 * window around the middle (a corrupt size may be huge: never all). */
static void read_content(e2c_fs *fs, ext2_ino_t ino, struct ext2_inode *inode)
{
	static char buf[65536];
	e2c_file *f;
	__u64 size;
	size_t got;

	if (e2c_file_open(fs, ino, inode, &f))
		return;
	size = e2c_file_size(f);
	if (!e2c_file_pread(f, 0, buf, sizeof(buf), &got) && size)
		e2c_file_pread(f, size - 1, buf, 1, &got);
	e2c_file_pread(f, size / 2, buf, sizeof(buf), &got);
	e2c_file_close(f);
}

/* The free-space cursor, search and histogram over the whole image, and
 * a fragmentation scan (read-only). */
static void free_and_frag(e2c_fs *fs)
{
	struct e2c_free_cursor c;
	struct e2c_freefrag ff;
	e2c_fragscan *s;
	blk64_t b, l;
	int done;

	e2c_freefrag(fs, 0, ext2fs_blocks_count(e2c_fs_handle(fs)->super), 8, &ff);
	if (!e2c_free_begin(fs, 0, ext2fs_blocks_count(e2c_fs_handle(fs)->super), &c))
		e2c_free_find(&c, ext2fs_blocks_count(e2c_fs_handle(fs)->super) / 2, 16,
			      &b, &l);
	if (e2c_fragscan_open(fs, NULL, 0, 4, &s))
		return;
	e2c_fragscan_step(s, MAX_INODES, &done);
	e2c_fragscan_close(s);
}

/* The block map picture: every inode, the tree from the root, the state
 * after tx's commit (tx may be NULL), names; in at most 4096 cells. */
static void blockmap_pass(e2c_fs *fs, e2c_tx *tx)
{
	blk64_t first = e2c_fs_handle(fs)->super->s_first_data_block;
	blk64_t total = ext2fs_blocks_count(e2c_fs_handle(fs)->super);
	e2c_blockmap *bm;

	if (total <= first || e2c_blockmap_open(fs, first, total - first,
						(total - first) / 4096 + 1,
						&bm))
		return;
	e2c_blockmap_choose_all(bm);
	e2c_blockmap_choose_tree(bm, EXT2_ROOT_INO, "/");
	if (tx)
		e2c_blockmap_after(bm, tx);
	if (!e2c_blockmap_finish(bm))
		e2c_blockmap_name_cells(bm);
	e2c_blockmap_free(bm);
}

/* The write passes: in place, relocating (every other inode with
 * verify), back to block maps (asking to clear the extent feature). */
enum { READ, MIGRATE, RELOCATE, UNMIGRATE };

static void stage(e2c_tx *tx, ext2_ino_t ino, int mode, int n)
{
	struct e2c_migrate_opts o = { .relocate = 1, .verify = n & 1 };

	if (mode == MIGRATE)
		e2c_tx_migrate(tx, ino, NULL);
	else if (mode == RELOCATE)
		e2c_tx_migrate2(tx, ino, &o, NULL);
	else
		e2c_tx_unmigrate(tx, ino, NULL);
}

/*
 * One pass over the image.  Read-only: walk, plan (in place, relocating,
 * back), read and measure every in-use inode, then its free space and
 * fragmentation, and the block map picture.  Write: stage every inode
 * as mode says (those that cannot be fail to stage, as they should), the
 * picture after the commit, and commit.
 */
static void pass(int mode)
{
	struct e2c_migrate_opts reloc = { .relocate = 1 };
	int write = mode != READ;
	struct e2c_open_opts opts = { .write = write };
	struct ext2_inode *inode = NULL;
	struct e2c_frag_run *runs;
	struct e2c_plan plan;
	struct e2c_frag frag;
	struct e2c_htree *htree;
	e2c_scan *scan = NULL;
	e2c_tx *tx = NULL;
	ext2_ino_t ino;
	size_t nruns;
	e2c_fs *fs;
	int n;

	if (e2c_fs_open(image, &opts, &fs))
		return;
	inode = malloc(e2c_inode_buf_size(fs));
	if (!inode || (write && e2c_tx_begin(fs, &tx)) ||
	    e2c_scan_open(fs, &scan))
		goto out;
	for (n = 0; n < MAX_INODES; n++) {
		if (e2c_scan_next(scan, &ino, inode) || !ino)
			break;
		if (write) {
			stage(tx, ino, mode, n);
			continue;
		}
		walk(fs, ino, inode, 0);
		walk(fs, ino, inode, 1);
		walk(fs, ino, inode, 2);
		e2c_plan_inode(fs, ino, &plan);
		e2c_plan_inode2(fs, ino, &reloc, &plan);
		e2c_unplan_inode(fs, ino, &plan);
		read_content(fs, ino, inode);
		if (!e2c_frag_inode(fs, ino, inode, &frag, &runs, &nruns))
			free(runs);
		if ((inode->i_flags & EXT2_INDEX_FL) &&
		    !e2c_htree_read(fs, ino, &htree))
			e2c_htree_free(htree);
	}
	if (!write)
		free_and_frag(fs);
	blockmap_pass(fs, tx);
	if (mode == UNMIGRATE)
		e2c_tx_clear_feature(tx, E2C_FEATURE_EXTENT);
	if (tx && (e2c_tx_count(tx) || mode == UNMIGRATE))
		e2c_tx_commit(tx);
out:
	e2c_scan_close(scan);
	e2c_tx_free(tx);
	free(inode);
	e2c_fs_close(fs);
}

/*
 * The policies' path: an ordered selection (read-only), then a selection
 * scan staging as it selects into a transaction, committed, and the rest
 * staged and committed; at most MAX_INODES inodes scanned per selection.
 */
static void select_pass(int write)
{
	struct e2c_open_opts opts = { .write = write };
	struct e2c_criteria crit = { 0 };
	e2c_select *sel = NULL;
	e2c_tx *tx = NULL;
	ext2_ino_t failed;
	size_t staged;
	e2c_fs *fs;
	int done = 0;

	if (e2c_fs_open(image, &opts, &fs))
		return;
	if (!write) {
		crit.order = E2C_ORDER_LARGEST;
		crit.use_max_files = 1;
		crit.max_files = 5;
	}
	if ((write && e2c_tx_begin(fs, &tx)) ||
	    e2c_select_open(fs, &crit, &sel) ||
	    e2c_select_scan(sel, MAX_INODES, tx, 0, &done) || !done)
		goto out;
	if (!write) {
		e2c_select_finish(sel, NULL, 0);
		goto out;
	}
	while (e2c_tx_count(tx) && !e2c_tx_commit(tx) &&
	       !e2c_select_stage(sel, tx, 0, &staged, &failed))
		;
out:
	e2c_select_close(sel);
	e2c_tx_free(tx);
	e2c_fs_close(fs);
}

/* A call that must be refused: accepting it is a finding. */
static void must_fail(errcode_t retval, errcode_t want)
{
	if (retval != want)
		abort();
}

/*
 * The multi-object paths: two selections of one fs (the second may not
 * scan while the first builds the owners map; once it is closed, it
 * may), a selection and a tx of another fs (refused), and staging,
 * rollback, scanning and offering interleaved on one fs, then a commit.
 * Scans go a few inodes a call, as the policies' progress does.
 */
static void multi_pass(void)
{
	struct e2c_open_opts ro = { 0 }, rw = { .write = 1 };
	struct e2c_criteria crit = { 0 };
	e2c_select *a = NULL, *b = NULL, *c = NULL;
	e2c_fs *fs = NULL, *wfs = NULL;
	e2c_tx *tx = NULL;
	ext2_ino_t failed;
	size_t staged, n;
	int done = 0, steps;

	if (e2c_fs_open(image, &ro, &fs))
		return;
	if (e2c_select_open(fs, &crit, &a) || e2c_select_open(fs, &crit, &b))
		goto out;
	if (!e2c_select_scan(a, 1, NULL, 0, &done) && !done &&
	    e2c_fs_check_bitmaps(fs) == E2C_ERR_SCANNING)
		must_fail(e2c_select_scan(b, 1, NULL, 0, &done),
			  E2C_ERR_SCANNING);
	e2c_select_close(a);
	a = NULL;
	for (steps = 0, done = 0; !done && steps < MAX_INODES; steps += 7)
		if (e2c_select_scan(b, 7, NULL, 0, &done))
			break;
	/* A writable fs of the same image: its tx takes nothing of b's. */
	if (!e2c_fs_open(image, &rw, &wfs) && !e2c_tx_begin(wfs, &tx)) {
		must_fail(e2c_select_stage(b, tx, 0, &staged, &failed),
			  E2C_ERR_OTHER_FS);
		if (e2c_select_open(fs, &crit, &c))
			goto out;
		must_fail(e2c_select_scan(c, 1, tx, 0, &done),
			  E2C_ERR_OTHER_FS);
		e2c_select_close(c);
		c = NULL;
		if (e2c_tx_count(tx))
			abort();
		/* On the writable fs: scan staging as it goes, roll back
		 * half way, scan on, offer, stage, commit, roll back. */
		if (e2c_select_open(wfs, &crit, &c))
			goto out;
		done = 0;
		for (n = 0; !done && n < MAX_INODES; n += 5) {
			if (e2c_select_scan(c, 5, tx, 0, &done))
				break;
			if (n == 10)
				e2c_tx_rollback(tx);
		}
		e2c_select_offer(c, EXT2_ROOT_INO, &done);
		e2c_select_stage(c, tx, 3, &staged, &failed);
		if (e2c_tx_count(tx) && !e2c_tx_commit(tx))
			e2c_select_stage(c, tx, 0, &staged, &failed);
		e2c_tx_rollback(tx);
	}
out:
	e2c_select_close(a);
	e2c_select_close(b);
	e2c_select_close(c);
	e2c_tx_free(tx);
	e2c_fs_close(wfs);
	e2c_fs_close(fs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (image_path() || put_image(data, size))
		abort();	/* /dev/shm unusable: not a finding */
	pass(READ);
	select_pass(0);
	pass(MIGRATE);
	pass(UNMIGRATE);	/* what the migration made, back */
	if (put_image(data, size))
		abort();
	pass(RELOCATE);
	if (put_image(data, size))
		abort();
	select_pass(1);
	if (put_image(data, size))
		abort();
	multi_pass();
	return 0;
}

#ifdef FUZZ_STANDALONE
int main(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		uint8_t *buf;
		long size;

		if (!f || fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0) {
			perror(argv[i]);
			return 2;
		}
		rewind(f);
		buf = malloc(size ? size : 1);
		if (!buf || fread(buf, 1, size, f) != (size_t)size) {
			perror(argv[i]);
			return 2;
		}
		fclose(f);
		LLVMFuzzerTestOneInput(buf, size);
		free(buf);
		printf("%s: ok\n", argv[i]);
	}
	return 0;
}
#endif
