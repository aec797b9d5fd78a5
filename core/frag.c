/*
 * frag.c -- how fragmented files are, honestly: per inode
 * (e2c_frag_inode) and over every inode or a list of them (e2c_fragscan),
 * each from one walk of the inode's map (e2c_map_each).
 *
 * Holes are not fragmentation.  A data run (logically and physically
 * contiguous, same written state) continues the fragment of the run
 * before it when it starts
 *   - at the block after that run, past the file's own indirect or index
 *     blocks lying there (met in walk order: a block map's IND block
 *     between data blocks 11 and 12 breaks nothing), or
 *   - where that run's mapping would put it, the physical gap equal to
 *     the hole between them (an allocator that kept the logical spacing:
 *     filefrag's "expected" allows both), or
 *   - past a stretch of filesystem metadata only (a group's bitmaps and
 *     inode table, which no layout could have avoided).
 * Otherwise it starts a new fragment.  The ideal extent count is that of
 * the data islands (logically contiguous stretches of the same written
 * state), each split at the extent length limit: a sparse file laid out
 * in order has one fragment and no more extents than that.
 *
 * e2fsck -fn's "non-contiguous" files are counted too, by its own rule
 * (e2fsck/pass1.c): any block of the walk (a block map's data and
 * indirect blocks in iterate order; an extent tree's leaf extents) not
 * following the one before, for an inode of fewer blocks (data, map and
 * EA block) than a block group holds, never the resize inode.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "e2c_int.h"

#define MAX_UNINIT_LEN (E2C_MAX_EXTENT_LEN - 1)

static blk64_t extents_of(blk64_t len, unsigned int flags)
{
	blk64_t cap = flags & E2C_UNINIT ? MAX_UNINIT_LEN : E2C_MAX_EXTENT_LEN;

	return (len + cap - 1) / cap;
}

/* Whether every block of [from, to) is filesystem metadata (and there is
 * at least one). */
static int all_metadata(e2c_fs *fs, blk64_t from, blk64_t to)
{
	blk64_t z;
	int meta;

	if (to <= from || to > ext2fs_blocks_count(fs->h->super) ||
	    e2c_fs_is_metadata(fs, from, 1, &meta) || !meta)
		return 0;
	return ext2fs_find_first_zero_block_bitmap2(fs->meta, from, to - 1,
						    &z) == ENOENT;
}

/* One walk's state. */
struct fwalk {
	e2c_fs *fs;
	struct e2c_frag *f;
	struct e2c_piece run;		/* the run being built (len 0: none) */
	blk64_t dense;			/* the block after the last data, past
					 * the file's map blocks found there */
	blk64_t isl_lblk, isl_len;	/* the data island being built */
	unsigned int isl_flags;
	blk64_t next_lblk;		/* first block not yet seen (holes) */
	blk64_t size_blocks;		/* ceil(i_size / blocksize) */
	blk64_t prev;			/* e2fsck's previous_block */
	blk64_t fsck_blocks;		/* e2fsck's num_blocks */
	struct e2c_frag_run *runs;	/* when asked for */
	size_t nruns, cap;
	int want_runs;
	int fragment;			/* the run being built starts one */
	blk64_t expected;		/* ... and was expected there */
};

static errcode_t close_run(struct fwalk *w)
{
	struct e2c_frag *f = w->f;
	struct e2c_frag_run *r;
	errcode_t retval;

	if (!w->run.len)
		return 0;
	f->runs++;
	f->fragments += w->fragment;
	f->extents_needed += extents_of(w->run.len, w->run.flags);
	if (!w->want_runs)
		return 0;
	retval = e2c_grow(&w->runs, &w->cap, w->nruns + 1, sizeof(*w->runs));
	if (retval)
		return retval;
	r = &w->runs[w->nruns++];
	r->lblk = w->run.lblk;
	r->pblk = w->run.pblk;
	r->len = w->run.len;
	r->flags = w->run.flags;
	r->fragment = w->fragment;
	r->expected = w->expected;
	return 0;
}

static void close_island(struct fwalk *w)
{
	if (w->isl_len)
		w->f->ideal += extents_of(w->isl_len, w->isl_flags);
	w->isl_len = 0;
}

/* e2fsck's chain: the block before this one must be blk - 1. */
static void fsck_chain(struct fwalk *w, blk64_t blk, blk64_t last)
{
	if (w->prev && w->prev + 1 != blk)
		w->f->e2fsck_noncontig = 1;
	w->prev = last;
}

static errcode_t take_data(struct fwalk *w, const struct e2c_piece *p)
{
	struct e2c_frag *f = w->f;
	struct e2c_piece *r = &w->run;
	errcode_t retval;

	f->data_blocks += p->len;
	w->fsck_blocks += p->len;
	fsck_chain(w, p->pblk, p->pblk + p->len - 1);
	if (f->is_extent)
		f->extents++;
	/* Holes below the size: gaps before this piece. */
	if (p->lblk > w->next_lblk && w->next_lblk < w->size_blocks) {
		f->holes++;
		f->hole_blocks += (p->lblk < w->size_blocks ? p->lblk :
				   w->size_blocks) - w->next_lblk;
	}
	if (p->lblk + p->len > w->next_lblk)
		w->next_lblk = p->lblk + p->len;
	/* Islands: logically contiguous, same state. */
	if (w->isl_len && p->lblk == w->isl_lblk + w->isl_len &&
	    p->flags == w->isl_flags) {
		w->isl_len += p->len;
	} else {
		close_island(w);
		w->isl_lblk = p->lblk;
		w->isl_len = p->len;
		w->isl_flags = p->flags;
	}
	/* Runs, and whether a new one starts a fragment. */
	if (r->len && p->lblk == r->lblk + r->len &&
	    p->pblk == r->pblk + r->len && p->flags == r->flags) {
		r->len += p->len;
		w->dense = r->pblk + r->len;
		return 0;
	}
	if (r->len) {
		blk64_t spaced = r->pblk + (p->lblk - r->lblk);
		int fragment = p->pblk != w->dense && p->pblk != spaced &&
			       !all_metadata(w->fs, w->dense, p->pblk);
		blk64_t expected = w->dense;

		retval = close_run(w);
		if (retval)
			return retval;
		w->fragment = fragment;
		w->expected = expected;
	} else {
		w->fragment = 1;
		w->expected = 0;
	}
	*r = *p;
	w->dense = p->pblk + p->len;
	return 0;
}

static errcode_t take_piece(const struct e2c_piece *p, void *arg)
{
	struct fwalk *w = arg;

	if (!p->len)
		return 0;		/* an empty leaf (corrupt): nothing */
	if (p->kind == E2C_DATA)
		return take_data(w, p);
	w->f->map_blocks++;
	w->fsck_blocks++;
	/* e2fsck chains a block map's indirect blocks, not index nodes. */
	if (!w->f->is_extent)
		fsck_chain(w, p->pblk, p->pblk);
	if (w->run.len && p->pblk == w->dense)
		w->dense++;
	return 0;
}

errcode_t e2c_frag_inode(e2c_fs *fs, ext2_ino_t ino, struct ext2_inode *inode,
			 struct e2c_frag *f, struct e2c_frag_run **runs,
			 size_t *nruns)
{
	ext2_filsys h = fs->h;
	struct fwalk w;
	errcode_t retval;

	memset(f, 0, sizeof(*f));
	memset(&w, 0, sizeof(w));
	f->ino = ino;
	f->is_extent = (inode->i_flags & EXT4_EXTENTS_FL) != 0;
	w.fs = fs;
	w.f = f;
	w.want_runs = runs != NULL;
	w.size_blocks = EXT2_I_SIZE(inode) / h->blocksize +
			(EXT2_I_SIZE(inode) % h->blocksize != 0);
	retval = e2c_map_each(fs, ino, inode, take_piece, &w);
	if (!retval)
		retval = close_run(&w);
	if (retval) {
		free(w.runs);
		return retval;
	}
	close_island(&w);
	if (w.next_lblk < w.size_blocks && e2c_inode_has_blocks(fs, inode)) {
		f->holes++;
		f->hole_blocks += w.size_blocks - w.next_lblk;
	}
	if (!f->is_extent)
		f->extents = f->extents_needed;
	f->index_blocks = f->is_extent ? f->map_blocks :
			  e2c_tree_blocks(fs, f->extents);
	if (ext2fs_file_acl_block(h, inode))
		w.fsck_blocks++;
	if (ino == EXT2_RESIZE_INO || ino == EXT2_BAD_INO ||
	    w.fsck_blocks >= h->super->s_blocks_per_group)
		f->e2fsck_noncontig = 0;
	if (runs) {
		*runs = w.runs;
		*nruns = w.nruns;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Scans                                                               */
/* ------------------------------------------------------------------ */

struct e2c_fragscan {
	e2c_fs *fs;
	e2c_scan *scan;			/* a whole scan, or */
	ext2_ino_t *list;		/* the inodes asked for (sorted) */
	size_t nlist, at;
	struct ext2_inode *inode;	/* e2c_inode_buf_size() bytes */
	ext2_ino_t last;		/* the last inode looked at */
	int done;
	struct e2c_frag_totals t;
	struct e2c_frag *top;		/* a min-heap of the most fragmented */
	size_t ntop, maxtop;
};

static int cmp_ino(const void *a, const void *b)
{
	ext2_ino_t x = *(const ext2_ino_t *)a, y = *(const ext2_ino_t *)b;

	return x < y ? -1 : x > y;
}

errcode_t e2c_fragscan_open(e2c_fs *fs, const ext2_ino_t *inos, size_t n,
			    size_t top, e2c_fragscan **ret)
{
	e2c_fragscan *s;
	size_t i, k;
	errcode_t retval = ENOMEM;

	s = calloc(1, sizeof(*s));
	if (!s)
		return ENOMEM;
	s->fs = fs;
	s->maxtop = top;
	s->inode = malloc(e2c_inode_buf_size(fs));
	s->top = calloc(top ? top : 1, sizeof(*s->top));
	if (!s->inode || !s->top)
		goto errout;
	if (inos) {
		s->list = malloc((n ? n : 1) * sizeof(*s->list));
		if (!s->list)
			goto errout;
		memcpy(s->list, inos, n * sizeof(*inos));
		qsort(s->list, n, sizeof(*s->list), cmp_ino);
		/* Each inode once (hard links, a list given twice). */
		for (i = k = 0; i < n; i++) {
			if (s->list[i] < 1 ||
			    s->list[i] > fs->h->super->s_inodes_count) {
				retval = E2C_ERR_BAD_INODE;
				goto errout;
			}
			if (!k || s->list[k - 1] != s->list[i])
				s->list[k++] = s->list[i];
		}
		s->nlist = k;
	} else {
		retval = e2c_scan_open(fs, &s->scan);
		if (retval)
			goto errout;
	}
	*ret = s;
	return 0;
errout:
	e2c_fragscan_close(s);
	return retval;
}

void e2c_fragscan_close(e2c_fragscan *s)
{
	if (!s)
		return;
	e2c_scan_close(s->scan);
	free(s->list);
	free(s->inode);
	free(s->top);
	free(s);
}

/* a comes before b in the list of the most fragmented. */
static int more_fragmented(const struct e2c_frag *a, const struct e2c_frag *b)
{
	if (a->fragments != b->fragments)
		return a->fragments > b->fragments;
	if (a->extents != b->extents)
		return a->extents > b->extents;
	return a->ino < b->ino;
}

/* Keep f if it is among the maxtop most fragmented so far: a heap whose
 * root is the least of them. */
static void keep_top(e2c_fragscan *s, const struct e2c_frag *f)
{
	struct e2c_frag *h = s->top, tmp;
	size_t i, c;

	if (!s->maxtop)
		return;
	if (s->ntop < s->maxtop) {
		i = s->ntop++;
		h[i] = *f;
		while (i && more_fragmented(&h[(i - 1) / 2], &h[i])) {
			tmp = h[i];
			h[i] = h[(i - 1) / 2];
			h[(i - 1) / 2] = tmp;
			i = (i - 1) / 2;
		}
		return;
	}
	if (!more_fragmented(f, &h[0]))
		return;
	h[0] = *f;
	for (i = 0; (c = 2 * i + 1) < s->ntop; i = c) {
		if (c + 1 < s->ntop && more_fragmented(&h[c], &h[c + 1]))
			c++;
		if (!more_fragmented(&h[i], &h[c]))
			break;
		tmp = h[i];
		h[i] = h[c];
		h[c] = tmp;
	}
}

static int map_kind(e2c_fs *fs, struct ext2_inode *inode)
{
	if (inode->i_flags & EXT4_INLINE_DATA_FL)
		return E2C_MAP_INLINE;
	if (!e2c_inode_has_blocks(fs, inode))
		return E2C_MAP_NONE;
	return inode->i_flags & EXT4_EXTENTS_FL ? E2C_MAP_EXTENTS :
						  E2C_MAP_BLOCKMAP;
}

/* Files with n extents go to bucket 0 (n = 1) or k (2^(k-1) < n <= 2^k). */
static int bucket_of(blk64_t n)
{
	int k = 0;

	while (k < E2C_FRAG_BUCKETS - 1 && n > ((blk64_t)1 << k))
		k++;
	return k;
}

static void account(e2c_fragscan *s, ext2_ino_t ino, struct ext2_inode *inode)
{
	struct e2c_frag_totals *t = &s->t;
	ext2_filsys h = s->fs->h;
	/* The orphan file is the filesystem's, whatever its number. */
	int user = (ino == EXT2_ROOT_INO || ino >= EXT2_FIRST_INO(h->super)) &&
		   ino != h->super->s_orphan_file_inum;
	int map = map_kind(s->fs, inode);
	struct e2c_frag f;
	errcode_t retval;
	int b;

	/* As e2fsck: an ordinary inode without links is not a file. */
	if (user && !inode->i_links_count)
		return;
	t->inodes++;
	if (user)
		t->types[e2c_mode_ftype(inode->i_mode)][map]++;
	if (map != E2C_MAP_BLOCKMAP && map != E2C_MAP_EXTENTS)
		return;
	retval = e2c_frag_inode(s->fs, ino, inode, &f, NULL, NULL);
	if (retval) {
		if (!t->bad++) {
			t->first_bad = ino;
			t->first_bad_err = retval;
		}
		return;
	}
	if (f.e2fsck_noncontig) {
		if (LINUX_S_ISDIR(inode->i_mode))
			t->fsck_dirs++;
		else
			t->fsck_files++;
	}
	if (!user)
		return;
	if (map == E2C_MAP_BLOCKMAP) {
		t->bmap_files++;
		t->bmap_data += f.data_blocks;
		t->bmap_map += f.map_blocks;
		t->bmap_extents += f.extents;
		t->bmap_index += f.index_blocks;
	} else {
		t->ext_files++;
		t->ext_data += f.data_blocks;
		t->ext_extents += f.extents;
		t->ext_index += f.index_blocks;
	}
	if (!f.data_blocks)
		return;
	t->files++;
	t->data_blocks += f.data_blocks;
	t->runs += f.runs;
	t->fragments += f.fragments;
	t->extents += f.extents;
	t->ideal += f.ideal;
	t->holes += f.holes;
	t->fragmented += f.fragments > 1;
	t->excess += f.extents > f.ideal;
	t->holey += f.holes > 0;
	b = bucket_of(f.extents);
	t->hist_files[b]++;
	t->hist_fragmented[b] += f.fragments > 1;
	t->hist_blocks[b] += f.data_blocks;
	if (f.fragments > 1)
		keep_top(s, &f);
}

static int cmp_top(const void *a, const void *b)
{
	return more_fragmented(a, b) ? -1 : more_fragmented(b, a);
}

errcode_t e2c_fragscan_step(e2c_fragscan *s, size_t max, int *done)
{
	ext2_ino_t ino;
	errcode_t retval;
	size_t n;

	for (n = 0; !s->done && (!max || n < max); n++) {
		if (e2c_interrupted)
			return E2C_ERR_INTERRUPTED;
		if (s->scan) {
			retval = e2c_scan_next(s->scan, &ino, s->inode);
			if (retval)
				return retval;
		} else if (s->at < s->nlist) {
			ino = s->list[s->at++];
			retval = e2c_read_inode(s->fs, ino, s->inode);
			if (retval)
				return retval;
		} else {
			ino = 0;
		}
		if (!ino) {
			s->done = 1;
			qsort(s->top, s->ntop, sizeof(*s->top), cmp_top);
			break;
		}
		s->last = ino;
		account(s, ino, s->inode);
	}
	*done = s->done;
	return 0;
}

void e2c_fragscan_progress(e2c_fragscan *s, size_t *done, size_t *total)
{
	if (s->scan) {
		*done = s->done ? s->fs->h->super->s_inodes_count : s->last;
		*total = s->fs->h->super->s_inodes_count;
	} else {
		*done = s->at;
		*total = s->nlist;
	}
}

const struct e2c_frag_totals *e2c_fragscan_totals(e2c_fragscan *s)
{
	return &s->t;
}

const struct e2c_frag *e2c_fragscan_top(e2c_fragscan *s, size_t *n)
{
	*n = s->done ? s->ntop : 0;
	return s->top;
}
