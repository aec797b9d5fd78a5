/*
 * test_migrate.c -- the migration core (plan, stage, commit, rollback,
 * undo) on images built at test time by tests/mkimg.sh, checked with
 * e2fsck -fn, e2undo, byte comparisons and an independent read of every
 * file through libext2fs's file API.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "e2c.h"
#include "unit.h"

static const char *dir;	/* the scratch directory */

static int run(const char *fmt, const char *a, const char *b)
{
	char cmd[4096];

	snprintf(cmd, sizeof(cmd), fmt, a, b);
	return system(cmd);
}

/* What an inode looked like before: enough to prove nothing moved. */
struct before {
	ext2_ino_t ino;
	struct e2c_plan plan;
	__u64 content;		/* FNV-1a of the bytes read up to i_size */
	__u64 mapping;		/* FNV-1a of the (lblk, pblk, len) runs */
	unsigned char raw[256];	/* the inode as read */
};

static __u64 fnv(__u64 h, const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n--)
		h = (h ^ *c++) * 0x100000001b3ULL;
	return h;
}

/* Content through ext2fs_file_read: bmap-based, extent or block map.
 * Hashed a word at a time (sparse files read gigabytes of zeros). */
static __u64 content_hash(e2c_fs *fs, ext2_ino_t ino)
{
	ext2_file_t f;
	__u64 buf[8192 / 8], h = 0xcbf29ce484222325ULL;
	unsigned int got, i;

	if (ext2fs_file_open(e2c_fs_handle(fs), ino, 0, &f))
		return 0;
	while (!ext2fs_file_read(f, buf, sizeof(buf), &got) && got) {
		memset((char *)buf + got, 0, sizeof(buf) - got);
		for (i = 0; i < (got + 7) / 8; i++)
			h = (h ^ buf[i]) * 0x100000001b3ULL + i;
	}
	ext2fs_file_close(f);
	return h;
}

/* The logical -> physical mapping, as coalesced runs (holes skipped). */
static __u64 mapping_hash(e2c_fs *fs, ext2_ino_t ino, int *depth)
{
	struct e2c_piece p;
	e2c_map *m;
	int got;
	__u64 h = 0xcbf29ce484222325ULL;

	*depth = -1;
	if (e2c_map_open(fs, ino, NULL, &m))
		return 0;
	while (!e2c_map_next_run(m, &p, &got) && got) {
		__u64 t[3] = { p.lblk, p.pblk, p.len };

		h = fnv(h, t, sizeof(t));
	}
	e2c_map_close(m);
	/* A second walk for the depth the tree ended up with. */
	if (e2c_map_open(fs, ino, NULL, &m))
		return 0;
	if (!e2c_map_next(m, &p, &got))
		*depth = got ? p.max_depth : 0;
	e2c_map_close(m);
	return h;
}

/* Every in-use inode of img, planned and fingerprinted. */
static struct before *survey(e2c_fs *fs, size_t *count)
{
	struct ext2_inode *inode = malloc(e2c_inode_buf_size(fs));
	struct before *v = calloc(e2c_fs_inodes_count(fs),
				  sizeof(*v));
	size_t isz = EXT2_INODE_SIZE(e2c_fs_handle(fs)->super), n = 0;
	e2c_scan *scan;
	ext2_ino_t ino;
	int depth;

	CHECK(!e2c_scan_open(fs, &scan), "scan");
	while (!e2c_scan_next(scan, &ino, inode) && ino) {
		struct before *b = &v[n++];

		b->ino = ino;
		memcpy(b->raw, inode, isz < 256 ? isz : 256);
		CHECK(!e2c_plan_inode(fs, ino, &b->plan), "plan %u", ino);
		if (e2c_inode_has_blocks(fs, inode)) {
			b->content = content_hash(fs, ino);
			b->mapping = mapping_hash(fs, ino, &depth);
		}
	}
	e2c_scan_close(scan);
	free(inode);
	*count = n;
	return v;
}

static ext2_ino_t lookup(e2c_fs *fs, const char *path)
{
	ext2_ino_t ino = 0;
	errcode_t err = e2c_lookup(fs, EXT2_ROOT_INO, path, &ino);

	CHECK(!err, "lookup %s: %s", path, error_message(err));
	return ino;
}

static const struct before *find(const struct before *v, size_t n,
				 ext2_ino_t ino)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].ino == ino)
			return &v[i];
	return NULL;
}

/* Stage every migratable inode of v into tx; returns how many. */
static size_t stage_all(e2c_tx *tx, const struct before *v, size_t n)
{
	size_t i, staged = 0;

	for (i = 0; i < n; i++) {
		struct e2c_plan p;
		errcode_t err = e2c_tx_migrate(tx, v[i].ino, &p);

		if (v[i].plan.skip) {
			CHECK(err == v[i].plan.skip, "ino %u: staged a skip "
			      "(%s)", v[i].ino, error_message(err));
			continue;
		}
		CHECK(!err, "stage %u: %s", v[i].ino, error_message(err));
		CHECK(!memcmp(&p, &v[i].plan, sizeof(p)), "ino %u: staged "
		      "plan differs from the read-only plan", v[i].ino);
		staged += !err;
	}
	return staged;
}

static int same_file(const char *a, const char *b)
{
	return run("cmp -s %s %s", a, b) == 0;
}

/* Skip reasons the image's known files must get. */
static void check_skips(e2c_fs *fs, const struct before *v, size_t n,
			int journal)
{
	static const struct {
		const char *path;
		errcode_t why;
	} want[] = {
		{ "/fastlink", E2C_ERR_SKIP_NO_BLOCKS },
		{ "/fifo", E2C_ERR_SKIP_NO_BLOCKS },
		{ "/slowlink", 0 }, { "/empty", 0 }, { "/sparse_tind", 0 },
		{ "/dir/big", 0 }, { "/", 0 }, { "/lost+found", 0 },
	};
	const struct before *b;
	struct e2c_plan p;
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		b = find(v, n, lookup(fs, want[i].path));
		CHECK(b && b->plan.skip == want[i].why, "%s: skip %s",
		      want[i].path, b ? error_message(b->plan.skip) : "?");
	}
	b = find(v, n, lookup(fs, "/empty"));
	CHECK(b && b->plan.extents == 0 && b->plan.depth == 0 &&
	      b->plan.index_blocks == 0, "/empty: an empty root");
	if (journal) {
		b = find(v, n, EXT2_JOURNAL_INO);
		CHECK(b && b->plan.skip == E2C_ERR_SKIP_RESERVED,
		      "journal inode must be reserved");
	}
	b = find(v, n, lookup(fs, "/sparse_ind"));
	CHECK(b && b->plan.data_blocks == 2 && b->plan.extents == 2 &&
	      b->plan.meta_freed == 1, "/sparse_ind: 2 blocks, 2 extents, "
	      "1 IND block");
	CHECK(e2c_plan_inode(fs, 0x7fffffff, &p) != 0,
	      "planning a bad inode number is an error");
}

/* Backup superblocks of fs, counted as dumpe2fs lists them. */
static dgrp_t count_backups(e2c_fs *fs)
{
	dgrp_t g, n = 0;

	for (g = 1; g < e2c_fs_handle(fs)->group_desc_count; g++)
		n += ext2fs_bg_has_super(e2c_fs_handle(fs), g) != 0;
	return n;
}

/* What committing tx will do besides converting inodes: extent turned on
 * (the images have none), every backup superblock rewritten; nothing for
 * an empty commit; the lines that say so. */
static void check_effects(e2c_tx *tx, e2c_fs *fs)
{
	struct e2c_effects ef;
	char line[256], want[256];

	e2c_tx_effects(tx, &ef);
	CHECK(ef.features_on == 1u << E2C_FEATURE_EXTENT &&
	      !ef.features_off && ef.not_clean, "effects: extent on");
	CHECK(ef.backups == count_backups(fs), "effects: %lu backups, the fs "
	      "has %lu", (unsigned long)ef.backups,
	      (unsigned long)count_backups(fs));
	CHECK(e2c_effects_line(&ef, E2C_DONE, 0, line, sizeof(line)) &&
	      !strncmp(line, "feature: extent turned on: kernels without "
		       "ext4 support", 44), "line 0: %s", line);
	snprintf(want, sizeof(want), "backups: %lu backup superblock",
		 (unsigned long)ef.backups);
	CHECK(e2c_effects_line(&ef, E2C_WILL, 1, line, sizeof(line)) ==
	      (ef.backups != 0) && (!ef.backups ||
				    !strncmp(line, want, strlen(want))),
	      "line 1: %s", line);
	CHECK(!e2c_effects_line(&ef, E2C_WILL, 2, line, sizeof(line)),
	      "two lines at most");
	e2c_effects_of(fs, 0, &ef);
	CHECK(!ef.features_on && !ef.backups && !ef.not_clean,
	      "effects of nothing: none");
}

/*
 * One image: plan read-only, stage everything, commit; then e2fsck -fn,
 * contents, mappings, flags, counts and the trees' depth are checked.
 * The rollback and undo images must come out byte-identical.
 */
static void check_image(const char *kind, const char *bs, const char *frag,
			const char *deep, int deep_depth)
{
	char img[200], orig[256], undo[256], cmd[1024];
	struct e2c_open_opts wr = { .write = 1 };
	struct e2c_tx_totals t;
	struct e2c_plan t_plan;
	struct ext2_inode *now;
	struct before *v;
	e2c_tx *tx;
	e2c_fs *fs;
	size_t n, i, staged, migratable = 0;
	blk64_t free_before, want_free = 0;
	errcode_t err;

	printf("# %s %s, /frag %s, /deep %s fragments\n", kind, bs, frag,
	       deep);
	snprintf(img, sizeof(img), "%s/%s-%s.img", dir, kind, bs);
	snprintf(orig, sizeof(orig), "%s.orig", img);
	snprintf(undo, sizeof(undo), "%s.undo", img);
	snprintf(cmd, sizeof(cmd), "FRAG_BLOCKS=%s DEEP_FRAG=%s "
		 "sh tests/mkimg.sh %s %s %s", frag, deep, img, kind, bs);
	if (system(cmd)) {
		CHECK(0, "%s", cmd);
		return;
	}
	run("cp %s %s", img, orig);

	/* Read-only: plans work, a transaction does not. */
	err = e2c_fs_open(img, NULL, &fs);
	CHECK(!err, "open %s: %s", img, error_message(err));
	if (err)
		return;
	v = survey(fs, &n);
	check_skips(fs, v, n, strcmp(kind, "ext2") != 0);
	CHECK(e2c_tx_begin(fs, &tx) == E2C_ERR_NOT_WRITABLE, "tx read-only");
	free_before = ext2fs_free_blocks_count(e2c_fs_handle(fs)->super);
	want_free = free_before;
	for (i = 0; i < n; i++)
		if (!v[i].plan.skip) {
			migratable++;
			want_free -= v[i].plan.used_delta;
		}
	e2c_fs_close(fs);

	/* Stage and roll back, twice, then quit without commit: the image
	 * must not change by a byte. */
	CHECK(!e2c_fs_open(img, &wr, &fs), "open -w");
	CHECK(!e2c_tx_begin(fs, &tx), "begin");
	CHECK(e2c_tx_begin(fs, &tx) == E2C_ERR_TX_ACTIVE, "second begin");
	CHECK(stage_all(tx, v, n) == migratable, "staged all");
	e2c_tx_rollback(tx);
	CHECK(e2c_tx_count(tx) == 0, "rollback empties");
	CHECK(stage_all(tx, v, n) == migratable, "staged again");
	e2c_fs_close(fs);	/* frees the tx: rolls back */
	CHECK(same_file(img, orig), "rollback/quit changed the image");

	/* A selection scan staging as it selects, interrupted: no commit
	 * while it builds the owners map; left unfinished, it takes back
	 * what it staged (never checked against the whole map). */
	CHECK(!e2c_fs_open(img, &wr, &fs), "open -w");
	CHECK(!e2c_tx_begin(fs, &tx), "begin");
	{
		struct e2c_criteria crit = { 0 };
		e2c_select *sel = NULL;
		int done = 0;

		CHECK(!e2c_select_open(fs, &crit, &sel), "select");
		CHECK(!e2c_select_scan(sel, 20, tx, 0, &done) && !done,
		      "a first chunk");
		CHECK(e2c_tx_count(tx) > 0, "staged as selected");
		CHECK(e2c_tx_commit(tx) == E2C_ERR_SCANNING,
		      "no commit mid-scan");
		e2c_interrupted = 1;
		CHECK(e2c_select_scan(sel, 20, tx, 0, &done) ==
		      E2C_ERR_INTERRUPTED, "interrupted");
		e2c_interrupted = 0;
		e2c_select_close(sel);
		CHECK(e2c_tx_count(tx) == 0, "an abandoned scan unstages");
		CHECK(!e2c_tx_commit(tx), "nothing left to commit");
		CHECK(!e2c_plan_inode(fs, lookup(fs, "/twelve"), &t_plan),
		      "planning works again");
	}
	e2c_fs_close(fs);
	CHECK(same_file(img, orig), "an interrupted scan changed the image");

	/* No space: the inode that needs index blocks is refused, the tx
	 * keeps the others.  The fs's in-memory bitmap is filled up; it is
	 * never written, as nothing is committed. */
	CHECK(!e2c_fs_open(img, &wr, &fs), "open -w");
	CHECK(!e2c_tx_begin(fs, &tx), "begin");
	CHECK(!e2c_tx_migrate(tx, lookup(fs, "/twelve"), NULL), "stage");
	e2c_tx_rollback(tx);
	CHECK(!e2c_fs_load_bitmaps(fs), "load the bitmaps");
	ext2fs_mark_block_bitmap_range2(e2c_fs_handle(fs)->block_map,
		e2c_fs_handle(fs)->super->s_first_data_block,
		ext2fs_blocks_count(e2c_fs_handle(fs)->super) -
		e2c_fs_handle(fs)->super->s_first_data_block);
	CHECK(!e2c_tx_migrate(tx, lookup(fs, "/twelve"), NULL), "stage");
	err = e2c_tx_migrate(tx, lookup(fs, "/deep"), NULL);
	CHECK(err == (deep_depth ? EXT2_ET_BLOCK_ALLOC_FAIL : 0),
	      "full fs: %s", error_message(err));
	CHECK(e2c_tx_count(tx) == 1 + !deep_depth, "the other inode stays "
	      "staged");
	CHECK(e2c_tx_migrate(tx, lookup(fs, "/twelve"), NULL) ==
	      E2C_ERR_STAGED, "staged twice");
	CHECK(e2c_tx_migrate(tx, lookup(fs, "/fifo"), NULL) ==
	      E2C_ERR_SKIP_NO_BLOCKS, "fifo");
	e2c_fs_close(fs);
	CHECK(same_file(img, orig), "a failed stage changed the image");

	/* Commit everything, under an undo file. */
	wr.undo_file = undo;
	CHECK(!e2c_fs_open(img, &wr, &fs), "open -w -z");
	wr.undo_file = NULL;
	CHECK(!e2c_tx_begin(fs, &tx), "begin");
	staged = stage_all(tx, v, n);
	e2c_tx_totals(tx, &t);
	CHECK(t.inodes == staged && e2c_tx_count(tx) == staged, "totals");
	CHECK((long long)(free_before - want_free) == t.used_delta,
	      "totals used_delta");
	check_effects(tx, fs);
	err = e2c_tx_commit(tx);
	CHECK(!err, "commit: %s", error_message(err));
	CHECK(e2c_tx_count(tx) == 0, "commit empties the tx");
	CHECK(!e2c_tx_commit(tx), "an empty commit is a no-op");
	e2c_fs_close(fs);

	snprintf(cmd, sizeof(cmd), "e2fsck -fn %s >%s.fsck 2>&1", img, img);
	CHECK(system(cmd) == 0, "e2fsck -fn after commit (see %s.fsck)", img);

	/* Every inode: migrated ones are extent-mapped with the same data
	 * at the same blocks; the rest did not change by a byte. */
	CHECK(!e2c_fs_open(img, NULL, &fs), "reopen");
	CHECK(ext2fs_has_feature_extents(e2c_fs_handle(fs)->super), "extent feature");
	{
		struct e2c_effects ef;

		e2c_effects_of(fs, 1, &ef);
		CHECK(!ef.features_on && !ef.features_off && !ef.backups &&
		      ef.not_clean, "extent on: a commit changes no feature");
	}
	CHECK(ext2fs_free_blocks_count(e2c_fs_handle(fs)->super) == want_free,
	      "free blocks %llu, want %llu",
	      (unsigned long long)ext2fs_free_blocks_count(e2c_fs_handle(fs)->super),
	      (unsigned long long)want_free);
	now = malloc(e2c_inode_buf_size(fs));
	for (i = 0; i < n; i++) {
		struct e2c_plan p;
		int depth;

		e2c_read_inode(fs, v[i].ino, now);
		if (v[i].plan.skip) {
			CHECK(!memcmp(now, v[i].raw,
				      EXT2_GOOD_OLD_INODE_SIZE),
			      "ino %u changed", v[i].ino);
			continue;
		}
		CHECK(now->i_flags & EXT4_EXTENTS_FL, "ino %u not extent",
		      v[i].ino);
		CHECK(content_hash(fs, v[i].ino) == v[i].content,
		      "ino %u content differs", v[i].ino);
		CHECK(mapping_hash(fs, v[i].ino, &depth) == v[i].mapping,
		      "ino %u mapping differs", v[i].ino);
		CHECK(depth == v[i].plan.depth, "ino %u depth %d, planned %d",
		      v[i].ino, depth, v[i].plan.depth);
		CHECK(ext2fs_get_stat_i_blocks(e2c_fs_handle(fs), now) ==
		      v[i].plan.iblocks_after,
		      "ino %u i_blocks", v[i].ino);
		CHECK(!e2c_plan_inode(fs, v[i].ino, &p) &&
		      p.skip == E2C_ERR_SKIP_EXTENTS, "ino %u replan",
		      v[i].ino);
	}
	{
		const struct before *b = find(v, n, lookup(fs, "/deep"));

		CHECK(b && b->plan.depth == deep_depth, "/deep depth %d, "
		      "want %d", b ? b->plan.depth : -1, deep_depth);
	}
	free(now);
	e2c_fs_close(fs);

	snprintf(cmd, sizeof(cmd), "e2undo %s %s >%s.e2undo 2>&1", undo, img,
		 img);
	CHECK(system(cmd) == 0, "e2undo (see %s.e2undo)", img);
	CHECK(same_file(img, orig), "e2undo did not restore the image");
	free(v);
}

int main(void)
{
	e2c_init();
	dir = unit_tmpdir("e2c-migrate");
	/* 1 KiB: 400 fragments > 4 * 84 extents: depth 2. */
	check_image("ext3", "1024", "400", "400", 2);
	/* 4 KiB: 400 fragments > 4: depth 1. */
	check_image("ext4noext", "4096", "400", "400", 1);
	/* ext2, 1 KiB, 3 fragments: the root holds them. */
	check_image("ext2", "1024", "3", "3", 0);
	if (getenv("KEEP"))
		printf("# kept %s\n", dir);
	else
		run("rm -rf %s%s", dir, "");
	return unit_done();
}
