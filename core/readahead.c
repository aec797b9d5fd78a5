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
 * ahead of the walks that read them: the scan reads its inodes a window
 * ahead of its caller (core/scan.c), gathers the IND, DIND and TIND
 * blocks named in each i_block, and sends them sorted and merged, a
 * window at a time.  The DIND and TIND blocks asked for in one send are
 * read in the next (by then in memory) for their children: one level a
 * send.  Bounded: at most AHEAD_MAX blocks wait in a send (more are not
 * asked for), whatever the filesystem's size.
 */
#define AHEAD_MAX 8192

struct parent {
	blk64_t blk;
	int depth;		/* 2: DIND (children IND), 3: TIND */
};

struct e2c_ahead {
	e2c_fs *fs;
	blk64_t *now;		/* to ask for in this send */
	size_t nnow, now_cap;
	struct parent *par[2];	/* [0] asked for in the last send: read
				 * now; [1] asked for in this one */
	size_t npar[2], par_cap[2];
	char *buf;		/* one parent block */
};

errcode_t e2c_ahead_open(e2c_fs *fs, struct e2c_ahead **ret)
{
	struct e2c_ahead *a;

	a = calloc(1, sizeof(*a));
	if (!a)
		return ENOMEM;
	a->fs = fs;
	a->buf = malloc(fs->h->blocksize);
	if (!a->buf) {
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

/* A DIND or TIND block, asked for now, read in the next send. */
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

void e2c_ahead_inode(struct e2c_ahead *a, const struct ext2_inode *inode)
{
	if (!inode->i_blocks ||
	    (inode->i_flags & (EXT4_EXTENTS_FL | EXT4_INLINE_DATA_FL)))
		return;
	want(a, inode->i_block[EXT2_IND_BLOCK]);
	want_parent(a, inode->i_block[EXT2_DIND_BLOCK], 2);
	want_parent(a, inode->i_block[EXT2_TIND_BLOCK], 3);
}

/* The children of last send's parents, then everything gathered, sent. */
void e2c_ahead_send(struct e2c_ahead *a)
{
	ext2_filsys h = a->fs->h;
	__u32 *p = (__u32 *)a->buf;
	size_t i, k, per = h->blocksize / 4;
	struct e2c_ra r = { 0, 0 };
	struct parent *t;
	size_t tc;

	/* Stopping: the scan reads nothing more. */
	if (e2c_interrupted || !(a->npar[0] || a->npar[1] || a->nnow))
		return;
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
	for (i = 0; i < a->nnow; i++)
		e2c_ra_add(h, &r, a->now[i], 1);
	e2c_ra_flush(h, &r);
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
