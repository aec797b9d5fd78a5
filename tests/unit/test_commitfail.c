/*
 * test_commitfail.c -- a commit whose writes fail, through the crash
 * io_manager (tests/crash/crash_io.c) failing the Nth write of the image
 * with EIO: every write of a commit in turn, once failing only that write
 * and once that and every later one.
 *   before the point of no return (steps 0-2): the commit restores the
 *     superblock; when that flush works too, the commit's own error and
 *     e2fsck -fn finds the image clean; when it fails,
 *     E2C_ERR_RESTORE_FAILED with the cause and the flush's error
 *     (e2c_tx_failure), never the step's error alone ("nothing changed").
 *   after it (steps 3-5): E2C_ERR_COMMIT_PARTIAL, the final flush's
 *     failure kept, not ignored.
 * And the transaction generation: a tx freed and a new one begun at the
 * same address is not taken for the one a selection's scan was given.
 */
#include <stdlib.h>
#include <string.h>

#include "e2c.h"
#include "unit.h"
#include "../crash/crash_io.h"

static const char *dir;
static char orig[1100], img[1100];

static int run(const char *fmt, const char *a, const char *b)
{
	char cmd[4096];

	snprintf(cmd, sizeof(cmd), fmt, a, b);
	return system(cmd);
}

struct result {
	errcode_t err, cause, flush;
	int step;
	size_t written, staged;
	unsigned long writes;	/* the image's writes, open to close */
};

static errcode_t stage_one(e2c_fs *fs, ext2_ino_t ino,
			   struct ext2_inode *inode, void *priv, int *done)
{
	(void)fs;
	(void)inode;
	(void)done;
	e2c_tx_migrate(priv, ino, NULL);	/* skips are no error here */
	return 0;
}

/* Stage every inode of a fresh copy and commit, the at-th write of the
 * image failing as action says (CRASH_NONE: none). */
static struct result attempt(unsigned long at, enum crash_action action)
{
	struct crash_conf conf = { .target = img, .on = CRASH_ON_WRITE,
				   .at = at, .action = action };
	struct e2c_open_opts opts = { .write = 1 };
	struct result r = { 0 };
	e2c_fs *fs;
	e2c_tx *tx;

	if (run("cp %s %s", orig, img)) {
		CHECK(0, "cp %s", orig);
		return r;
	}
	crash_io_configure(&conf);
	opts.io = crash_io_manager;
	r.err = e2c_fs_open(img, &opts, &fs);
	CHECK(!r.err, "open: %s", error_message(r.err));
	if (r.err)
		return r;
	CHECK(!e2c_tx_begin(fs, &tx), "begin");
	CHECK(!e2c_scan_each(fs, stage_one, tx), "stage");
	r.staged = e2c_tx_count(tx);
	r.err = e2c_tx_commit(tx);
	e2c_tx_progress(tx, &r.step, &r.written);
	e2c_tx_failure(tx, &r.cause, &r.flush);
	e2c_fs_close(fs);	/* may fail too: the disk is failing */
	r.writes = crash_io_writes();
	return r;
}

static int fsck_clean(void)
{
	return run("e2fsck -fn %s >/dev/null 2>&1%s", img, "") == 0;
}

static void check_failures(void)
{
	struct result ok = attempt(0, CRASH_NONE), r;
	unsigned long at;
	int restored = 0, restore_failed = 0, partial = 0;

	CHECK(!ok.err && ok.staged > 10 && ok.writes > 5,
	      "the commit without failures: %s, %zu staged, %lu writes",
	      error_message(ok.err), ok.staged, ok.writes);
	CHECK(fsck_clean(), "the commit without failures: e2fsck -fn");
	for (at = 1; at <= ok.writes; at++) {
		/* That write alone fails: the restore's flush works. */
		r = attempt(at, CRASH_EIO);
		if (r.step < 3) {
			CHECK(r.err && r.err != E2C_ERR_RESTORE_FAILED &&
			      r.err != E2C_ERR_COMMIT_PARTIAL && r.cause &&
			      !r.flush && r.written == 0,
			      "write %lu (EIO) at step %d: %s, flush %s", at,
			      r.step, error_message(r.err),
			      error_message(r.flush));
			CHECK(fsck_clean(), "write %lu (EIO) at step %d: the "
			      "restored image: e2fsck -fn", at, r.step);
			restored++;
		}
		/* That write and every later one fail: so does the restore
		 * (or the final flush). */
		r = attempt(at, CRASH_EIO_STICKY);
		if (r.step < 3) {
			CHECK(r.err == E2C_ERR_RESTORE_FAILED && r.cause &&
			      r.cause != E2C_ERR_RESTORE_FAILED && r.flush,
			      "write %lu (EIO on) at step %d: %s (cause %s, "
			      "flush %s)", at, r.step, error_message(r.err),
			      error_message(r.cause), error_message(r.flush));
			restore_failed++;
		} else if (r.step < 6) {
			CHECK(r.err == E2C_ERR_COMMIT_PARTIAL && r.cause &&
			      r.flush,
			      "write %lu (EIO on) at step %d: %s (cause %s, "
			      "flush %s)", at, r.step, error_message(r.err),
			      error_message(r.cause), error_message(r.flush));
			partial++;
		}
	}
	printf("# %lu writes: %d restored, %d restores failed, %d partial\n",
	       ok.writes, restored, restore_failed, partial);
	CHECK(restored && restore_failed && partial,
	      "every outcome reached (%d restored, %d restores failed, "
	      "%d partial)", restored, restore_failed, partial);
}

/* A selection scanning into tx1; tx1 freed and tx2 begun, at the same
 * address when malloc gives it back (it usually does without ASan):
 * tx2 gets nothing of the scan, which lets tx1 go. */
static void check_generation(void)
{
	struct e2c_open_opts opts = { .write = 1 };
	struct e2c_criteria crit = { 0 };
	e2c_select *s = NULL;
	e2c_tx *tx1, *tx2;
	e2c_fs *fs;
	int done = 0;
	void *addr;
	unsigned long gen1;

	if (run("cp %s %s", orig, img) || e2c_fs_open(img, &opts, &fs)) {
		CHECK(0, "open %s", img);
		return;
	}
	CHECK(!e2c_tx_begin(fs, &tx1) && !e2c_select_open(fs, &crit, &s),
	      "begin, select");
	gen1 = e2c_tx_generation(tx1);
	CHECK(!e2c_select_scan(s, 20, tx1, 0, &done) && !done,
	      "a first part of the scan");
	CHECK(e2c_tx_count(tx1) > 0, "tx1 got inodes from the scan");
	addr = tx1;
	e2c_tx_free(tx1);
	CHECK(!e2c_tx_begin(fs, &tx2), "begin tx2");
	CHECK(e2c_tx_generation(tx2) == gen1 + 1, "generations %lu, %lu",
	      gen1, e2c_tx_generation(tx2));
	printf("# tx2 %s tx1's address\n", (void *)tx2 == addr ? "at" :
	       "not at");
	while (!done && !e2c_select_scan(s, 0, NULL, 0, &done))
		;
	CHECK(done, "the scan ends");
	CHECK(e2c_tx_count(tx2) == 0, "tx2 took %zu inodes of tx1's scan",
	      e2c_tx_count(tx2));
	e2c_select_close(s);
	e2c_fs_close(fs);
}

int main(void)
{
	char cmd[1400];

	e2c_init();
	dir = unit_tmpdir("e2c-commitfail");
	snprintf(orig, sizeof(orig), "%s/orig.img", dir);
	snprintf(img, sizeof(img), "%s/img.img", dir);
	snprintf(cmd, sizeof(cmd), "FRAG_BLOCKS=40 sh tests/mkimg.sh %s "
		 "ext3 1024 4M", orig);
	if (system(cmd)) {
		CHECK(0, "%s", cmd);
		return unit_done();
	}
	check_failures();
	check_generation();
	if (getenv("KEEP"))
		printf("# kept %s\n", dir);
	else
		run("rm -rf %s%s", dir, "");
	return unit_done();
}
