/*
 * crashmig.c -- the crash-test driver: migrate every migratable inode of
 * an image through the crash-test io_manager, which counts, stops, tears
 * or fails the image's writes (tests/crash/crash_io.h).
 *
 *   crashmig [-z UNDO] [-n N | -u N | -F N]
 *            [-a stop|torn|eio|eio-sticky|full|flip] [-s] [-b BATCH]
 *            [-R [-V] [-G MIN_GAIN] | -U [-C]] [-t TRACE] IMAGE
 *   crashmig -l IMAGE
 *
 * -n N acts on the Nth write to IMAGE, -u N on the Nth write to UNDO, -F N
 * stops at the Nth flush of either (after it: a kill inside fsync); -a
 * full fails the write and every later one with ENOSPC; -s makes every
 * write reach the file at once (no write-back cache); -b commits every
 * BATCH staged inodes (default: as few commits as a full transaction
 * allows, e2c_tx_full); -t logs every write and flush to TRACE; -U
 * unmigrates every extent-mapped inode instead (inode order, the same
 * batches), -C with it asks the commits to clear the extent feature.  -R
 * relocates every inode relocating gains MIN_GAIN extents or more
 * (default 1; core/reloc.c: block- and extent-mapped alike) and migrates
 * the others in place, in the same transactions (-V: verify the copies);
 * -a flip corrupts write N (its first byte flipped), as a bad disk would
 * a copy, for -V to catch.  On
 * success it prints "migrated INODES", "commits N", "writes WRITES",
 * "undo-writes N" and "flushes N" and exits 0.  A failed commit is reported on stderr
 * ("crashmig: OP IMAGE: message", "undo file UNDO: message" when the undo
 * file failed) with exit status 1; a stopped run exits CRASH_EXIT (99).
 * -l lists "INO TYPE" for every inode
 * whose content the crash test compares (regular files, directories and
 * symlinks with blocks; reserved inodes but the root are left out).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "e2c.h"
#include "crash_io.h"

static const char *prog = "crashmig";

static void usage(void)
{
	fprintf(stderr,
		"Usage: %s [-z UNDO] [-n N | -u N | -F N] "
		"[-a stop|torn|eio|eio-sticky|full|flip] [-s] [-b BATCH] "
		"[-R [-V] [-G MIN_GAIN] | -U [-C]] [-t TRACE] IMAGE\n"
		"       %s -l IMAGE\n",
		prog, prog);
	exit(2);
}

/* Print "INO TYPE" for an inode whose content the test compares. */
static errcode_t list_one(e2c_fs *fs, ext2_ino_t ino,
			  struct ext2_inode *inode, void *arg, int *done)
{
	const char *type = e2c_inode_type(inode);

	(void)arg;
	(void)done;
	if (ino < EXT2_FIRST_INO(e2c_fs_handle(fs)->super) && ino != EXT2_ROOT_INO)
		return 0;
	if (!e2c_inode_has_blocks(fs, inode) ||
	    (strcmp(type, "regular") && strcmp(type, "directory") &&
	     strcmp(type, "symlink")))
		return 0;
	printf("%u %s\n", ino, type);
	return 0;
}

struct migration {
	e2c_tx *tx;
	size_t batch;		/* at most batch inodes a commit (0: no limit) */
	size_t done;		/* inodes committed */
	size_t commits;		/* in that many commits */
	const char *op;		/* what failed, for the message */
	struct e2c_migrate_opts reloc;	/* -R: relocate (else NULL) */
	ext2_ino_t *inos;	/* -R: the inodes in use */
	size_t ninos, cap;
};

/* Commit what is staged, counting it. */
static errcode_t commit(struct migration *m)
{
	size_t n = e2c_tx_count(m->tx);
	errcode_t retval;

	m->op = "commit";
	retval = e2c_tx_commit(m->tx);
	if (!retval) {
		m->done += n;
		m->commits++;
	}
	return retval;
}

/* Commit when the tx is full or holds batch inodes (-U, -R). */
static errcode_t commit_if_due(struct migration *m)
{
	if (e2c_tx_full(m->tx) ||
	    (m->batch && e2c_tx_count(m->tx) >= m->batch))
		return commit(m);
	return 0;
}

/* Migrate every migratable inode the way the policies do: one selection
 * scan staging as it selects (batch: at most that many per commit), then
 * what is left in batches. */
static errcode_t migrate_all(e2c_fs *fs, struct migration *m)
{
	struct e2c_criteria crit = { 0 };
	e2c_select *sel = NULL;
	ext2_ino_t failed;
	size_t staged;
	errcode_t retval;
	int done = 0;

	m->op = "begin";
	retval = e2c_tx_begin(fs, &m->tx);
	if (!retval)
		retval = e2c_select_open(fs, &crit, &sel);
	m->op = "select";
	while (!retval && !done)
		retval = e2c_select_scan(sel, 0, m->tx, m->batch, &done);
	m->op = "migrate";
	while (!retval && e2c_tx_count(m->tx)) {
		retval = commit(m);
		if (!retval)
			retval = e2c_select_stage(sel, m->tx, m->batch,
						  &staged, &failed);
	}
	e2c_select_close(sel);
	e2c_tx_free(m->tx);
	return retval;
}

/* -U: stage every extent-mapped inode's reverse migration, in inode
 * order, committing when the tx is full or holds batch inodes. */
static errcode_t unmigrate_one(e2c_fs *fs, ext2_ino_t ino,
			       struct ext2_inode *inode, void *arg, int *done)
{
	struct migration *m = arg;
	errcode_t retval;

	(void)fs;
	(void)done;
	if (!(inode->i_flags & EXT4_EXTENTS_FL))
		return 0;
	m->op = "unmigrate";
	retval = e2c_tx_unmigrate(m->tx, ino, NULL);
	if (e2c_skip_class(retval) == E2C_SKIP_PLAIN ||
	    e2c_skip_class(retval) == E2C_SKIP_RESERVED)
		return 0;
	return retval ? retval : commit_if_due(m);
}

static errcode_t unmigrate_all(e2c_fs *fs, struct migration *m, int clear)
{
	errcode_t retval;

	m->op = "begin";
	retval = e2c_tx_begin(fs, &m->tx);
	if (!retval && clear)
		retval = e2c_tx_clear_feature(m->tx, E2C_FEATURE_EXTENT);
	if (!retval)
		retval = e2c_scan_each(fs, unmigrate_one, m);
	if (!retval && e2c_tx_count(m->tx))
		retval = commit(m);
	e2c_tx_free(m->tx);
	return retval;
}

/* -R: list the inodes in use. */
static errcode_t list_ino(e2c_fs *fs, ext2_ino_t ino, struct ext2_inode *inode,
			  void *arg, int *done)
{
	struct migration *m = arg;
	errcode_t retval;

	(void)fs;
	(void)inode;
	(void)done;
	retval = e2c_grow(&m->inos, &m->cap, m->ninos + 1, sizeof(*m->inos));
	if (!retval)
		m->inos[m->ninos++] = ino;
	return retval;
}

/* -R: every inode relocated when that gains enough, else migrated in
 * place when it can be, committed in batches (or when the tx is full). */
static errcode_t relocate_all(e2c_fs *fs, struct migration *m)
{
	size_t i;
	errcode_t retval;

	m->op = "begin";
	retval = e2c_tx_begin(fs, &m->tx);
	m->op = "scan";
	if (!retval)
		retval = e2c_scan_each(fs, list_ino, m);
	m->op = "migrate";
	for (i = 0; i < m->ninos && !retval; i++) {
		retval = e2c_tx_migrate2(m->tx, m->inos[i], &m->reloc, NULL);
		if (retval && e2c_skip_class(retval) != E2C_SKIP_CORRUPT)
			retval = e2c_tx_migrate(m->tx, m->inos[i], NULL);
		if (retval && e2c_skip_class(retval) != E2C_SKIP_CORRUPT)
			retval = 0;	/* nothing to do for it */
		if (!retval)
			retval = commit_if_due(m);
		m->op = "migrate";
	}
	if (!retval && e2c_tx_count(m->tx))
		retval = commit(m);
	e2c_tx_free(m->tx);
	free(m->inos);
	return retval;
}

static enum crash_action parse_action(const char *s)
{
	static const struct { const char *name; enum crash_action a; } t[] = {
		{ "stop", CRASH_STOP }, { "torn", CRASH_TORN },
		{ "eio", CRASH_EIO }, { "eio-sticky", CRASH_EIO_STICKY },
		{ "full", CRASH_FULL }, { "flip", CRASH_FLIP },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(s, t[i].name))
			return t[i].a;
	usage();
	return CRASH_NONE;
}

int main(int argc, char **argv)
{
	struct e2c_open_opts opts = { 0 };
	struct crash_conf conf = { 0 };
	struct migration mig = { .op = "list" };
	int c, list = 0, unmig = 0, clear = 0;
	e2c_fs *fs = NULL;
	errcode_t retval, rc, undo_err = 0;

	conf.action = CRASH_STOP;
	mig.reloc.min_gain = 1;
	while ((c = getopt(argc, argv, "CF:G:RUVa:b:ln:st:u:z:")) != -1) {
		switch (c) {
		case 'C': clear = 1; break;
		case 'U': unmig = 1; break;
		case 'R': mig.reloc.relocate = 1; break;
		case 'V': mig.reloc.verify = 1; break;
		case 'G': mig.reloc.min_gain = strtoll(optarg, NULL, 10); break;
		case 'a': conf.action = parse_action(optarg); break;
		case 'b': mig.batch = strtoul(optarg, NULL, 10); break;
		case 'l': list = 1; break;
		case 'n':
		case 'u':
		case 'F':
			conf.on = c == 'n' ? CRASH_ON_WRITE : c == 'u' ?
				  CRASH_ON_UNDO_WRITE : CRASH_ON_FLUSH;
			conf.at = strtoul(optarg, NULL, 10);
			break;
		case 's': conf.writethrough = 1; break;
		case 't':
			conf.trace = fopen(optarg, "w");
			if (!conf.trace) {
				perror(optarg);
				return 2;
			}
			break;
		case 'z': opts.undo_file = optarg; break;
		default: usage();
		}
	}
	if (optind != argc - 1)
		usage();
	conf.target = argv[optind];
	conf.undo = opts.undo_file;
	crash_io_configure(&conf);
	e2c_init();

	opts.write = !list;
	opts.io = crash_io_manager;
	retval = e2c_fs_open(conf.target, &opts, &fs);
	if (retval) {
		fprintf(stderr, "%s: open %s: %s\n", prog, conf.target,
			error_message(retval));
		return 2;
	}
	if (list)
		retval = e2c_scan_each(fs, list_one, NULL);
	else if (unmig)
		retval = unmigrate_all(fs, &mig, clear);
	else if (mig.reloc.relocate)
		retval = relocate_all(fs, &mig);
	else
		retval = migrate_all(fs, &mig);
	undo_err = e2c_fs_undo_error(fs);
	rc = e2c_fs_close(fs);
	if (retval) {
		fprintf(stderr, "%s: %s %s: %s\n", prog, mig.op, conf.target,
			error_message(retval));
		if (undo_err)
			fprintf(stderr, "%s: undo file %s: %s\n", prog,
				opts.undo_file, error_message(undo_err));
		if (rc)
			fprintf(stderr, "%s: close %s: %s\n", prog,
				conf.target, error_message(rc));
		return 1;
	}
	if (rc) {
		fprintf(stderr, "%s: close %s: %s\n", prog, conf.target,
			error_message(rc));
		return 1;
	}
	if (!list)
		printf("migrated %zu\ncommits %zu\nwrites %lu\n"
		       "undo-writes %lu\nflushes %lu\n", mig.done, mig.commits,
		       crash_io_writes(), crash_io_undo_writes(),
		       crash_io_flushes());
	return 0;
}
