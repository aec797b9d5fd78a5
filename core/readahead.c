/*
 * readahead.c -- asking the device for blocks before they are read.
 *
 * libext2fs reads one block (or one inode-table chunk) at a time, each
 * read waiting for the one before: on a cold cache the device sees one
 * small request at a time.  io_channel_cache_readahead (unix io:
 * posix_fadvise WILLNEED) queues the reads at once, sorted into runs, so
 * the later synchronous reads find the pages in memory.  A hint only:
 * nothing here changes what is read or its result.
 */
#include <errno.h>
#include <stdlib.h>

#include "e2c_int.h"

void e2c_ra_add(ext2_filsys h, struct e2c_ra *r, blk64_t blk, blk64_t n)
{
	if (!blk || !n || blk >= ext2fs_blocks_count(h->super))
		return;
	if (r->len && blk >= r->start && blk <= r->start + r->len) {
		if (blk + n > r->start + r->len)
			r->len = blk + n - r->start;
		return;
	}
	e2c_ra_flush(h, r);
	r->start = blk;
	r->len = n;
}

void e2c_ra_flush(ext2_filsys h, struct e2c_ra *r)
{
	if (r->len)
		io_channel_cache_readahead(h->io, r->start, r->len);
	r->len = 0;
}

/*
 * The indirect blocks of the inodes a scan is about to return, asked for
 * ahead of the walks that read them: a second scan (the same groups, the
 * same inodes) runs AHEAD_INODES inodes before the first, gathers the
 * IND, DIND and TIND blocks named in i_block, and sends them sorted and
 * merged, a batch at a time.  The DIND and TIND blocks asked for in one
 * batch are read in the next (by then in memory) for their children: one
 * level a batch.  Bounded: at most AHEAD_MAX blocks wait in a batch (more
 * are not asked for), whatever the filesystem's size.
 */
#define AHEAD_INODES 2048
#define AHEAD_MAX 8192

struct parent {
	blk64_t blk;
	int depth;		/* 2: DIND (children IND), 3: TIND */
};

struct e2c_ahead {
	e2c_fs *fs;
	e2c_scan *scan;		/* the scan ahead */
	struct ext2_inode *inode;
	ext2_ino_t ino;		/* the last inode it returned */
	int ended;
	blk64_t *now;		/* to ask for in this batch */
	size_t nnow, now_cap;
	struct parent *par[2];	/* [0] asked for in the last batch: read
				 * now; [1] asked for in this one */
	size_t npar[2], par_cap[2];
	char *buf;		/* one parent block */
};

errcode_t e2c_ahead_open(e2c_fs *fs, e2c_scan *scan, struct e2c_ahead **ret)
{
	struct e2c_ahead *a;

	a = calloc(1, sizeof(*a));
	if (!a)
		return ENOMEM;
	a->fs = fs;
	a->scan = scan;
	a->inode = malloc(e2c_inode_buf_size(fs));
	a->buf = malloc(fs->h->blocksize);
	if (!a->inode || !a->buf) {
		a->scan = NULL;
		e2c_ahead_close(a);
		return ENOMEM;
	}
	*ret = a;
	return 0;
}

void e2c_ahead_close(struct e2c_ahead *a)
{
	if (!a)
		return;
	e2c_scan_close(a->scan);
	free(a->inode);
	free(a->buf);
	free(a->now);
	free(a->par[0]);
	free(a->par[1]);
	free(a);
}

static void want(struct e2c_ahead *a, blk64_t blk)
{
	if (blk && a->nnow < AHEAD_MAX &&
	    !e2c_grow(&a->now, &a->now_cap, a->nnow + 1, sizeof(*a->now)))
		a->now[a->nnow++] = blk;
}

/* A DIND or TIND block, asked for now, read in the next batch. */
static void want_parent(struct e2c_ahead *a, blk64_t blk, int depth)
{
	want(a, blk);
	if (blk && a->npar[1] < AHEAD_MAX / 8 &&
	    !e2c_grow(&a->par[1], &a->par_cap[1], a->npar[1] + 1,
		      sizeof(*a->par[1]))) {
		a->par[1][a->npar[1]].blk = blk;
		a->par[1][a->npar[1]++].depth = depth;
	}
}

static int blk_cmp(const void *x, const void *y)
{
	blk64_t a = *(const blk64_t *)x, b = *(const blk64_t *)y;

	return (a > b) - (a < b);
}

/* The children of last batch's parents, then everything gathered, sent. */
static void batch(struct e2c_ahead *a)
{
	ext2_filsys h = a->fs->h;
	__u32 *p = (__u32 *)a->buf;
	size_t i, k, per = h->blocksize / 4;
	struct parent *t;
	size_t tc;

	for (i = 0; i < a->npar[0]; i++) {
		if (a->par[0][i].blk >= ext2fs_blocks_count(h->super) ||
		    io_channel_read_blk64(h->io, a->par[0][i].blk, 1, a->buf))
			continue;
		for (k = 0; k < per; k++) {
			blk64_t c = ext2fs_le32_to_cpu(p[k]);

			if (a->par[0][i].depth == 3)
				want_parent(a, c, 2);
			else
				want(a, c);
		}
	}
	if (a->nnow > 1)
		qsort(a->now, a->nnow, sizeof(*a->now), blk_cmp);
	{
		struct e2c_ra r = { 0, 0 };

		for (i = 0; i < a->nnow; i++)
			e2c_ra_add(h, &r, a->now[i], 1);
		e2c_ra_flush(h, &r);
	}
	a->nnow = 0;
	t = a->par[0];
	a->par[0] = a->par[1];
	a->par[1] = t;
	tc = a->par_cap[0];
	a->par_cap[0] = a->par_cap[1];
	a->par_cap[1] = tc;
	a->npar[0] = a->npar[1];
	a->npar[1] = 0;
}

void e2c_ahead_to(struct e2c_ahead *a, ext2_ino_t ino)
{
	struct ext2_inode *inode = a->inode;
	int moved = 0;

	/* Stopping: the scan reads nothing more. */
	if (e2c_interrupted)
		return;
	if (a->ended) {
		/* The last levels of the last batch. */
		if (a->npar[0] || a->npar[1] || a->nnow)
			batch(a);
		return;
	}
	if ((__u64)a->ino >= (__u64)ino + AHEAD_INODES / 2)
		return;
	while ((__u64)a->ino < (__u64)ino + AHEAD_INODES && !e2c_interrupted) {
		if (e2c_scan_next(a->scan, &a->ino, inode) || !a->ino) {
			a->ended = 1;
			break;
		}
		moved = 1;
		if (!inode->i_blocks ||
		    (inode->i_flags & (EXT4_EXTENTS_FL | EXT4_INLINE_DATA_FL)))
			continue;
		want(a, inode->i_block[EXT2_IND_BLOCK]);
		want_parent(a, inode->i_block[EXT2_DIND_BLOCK], 2);
		want_parent(a, inode->i_block[EXT2_TIND_BLOCK], 3);
	}
	if (moved || a->ended)
		batch(a);
}
