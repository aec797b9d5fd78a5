/*
 * map.c -- walking an inode's block map or extent tree as a pull cursor.
 *
 * Block maps are walked here rather than with ext2fs_block_iterate3: that
 * iterator reports a bad indirect pointer by returning 0 and shifting the
 * logical numbers of what follows, and its callbacks would force callers
 * (Lua) to run inside a libext2fs frame.  Indirect blocks are read with
 * ext2fs_read_ind_block; extent trees go through the extent handle API.
 * Either way the order is block_iterate3's: metadata before what it maps.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "e2c_int.h"
#include <ext2fs/ext3_extents.h>	/* needs the types ext2fs.h defines */

/* The kernel's and e2fsck's limit on extent tree depth. */
#define MAX_EXTENT_DEPTH 5

/* A tolerant walk of an extent tree gives up after this many bad nodes
 * (each is passed, so the walk ends anyway; this bounds a garbage tree). */
#define MAX_BAD_NODES 65536

/* A frame of the block-map walk: an array of pointers being scanned. */
struct frame {
	blk_t *ptrs;		/* i_block, or an indirect block's buffer */
	unsigned int n;		/* pointers in the array */
	unsigned int i;		/* next pointer to look at */
	int depth;		/* subtree depth under each pointer (0: data);
				 * the inode frame uses slot_depth() */
	blk64_t base;		/* logical block of pointer 0 */
	int inode_frame;	/* frame 0: the 15 i_block slots */
};

struct e2c_map {
	e2c_fs *fs;
	ext2_ino_t ino;
	struct ext2_inode *inode;	/* private copy */
	int is_extent;
	int empty;			/* nothing to walk */
	int check_meta;			/* reject pointers into metadata */
	errcode_t err;			/* sticky: the walk stopped here */
	int tolerant;			/* e2c_map_each_all: go on past */
	errcode_t first_bad;		/* ... the first bad pointer's error */
	unsigned int nbad;		/* ... bad extent nodes passed */
	/* block map */
	blk64_t p;			/* pointers per block */
	struct frame stk[4];
	int sp;				/* frames in use */
	blk_t *bufs[3];			/* one buffer per indirect level */
	/* extent tree */
	ext2_extent_handle_t h;
	int op;
	blk64_t leaf_end;		/* end of the last leaf extent */
	/* run coalescing: a piece read ahead */
	struct e2c_piece ahead;
	int have_ahead;
	/* holes */
	blk64_t next_lblk;		/* first block not yet accounted */
	blk64_t size_blocks;		/* ceil(i_size / blocksize) */
	int walk_done;
};

static blk64_t span_of(struct e2c_map *m, int depth)
{
	blk64_t s = 1;

	while (depth-- > 0)
		s *= m->p;
	return s;
}

/* i_block slot -> (depth of its subtree, first logical block). */
static void slot_info(struct e2c_map *m, unsigned int slot, int *depth,
		      blk64_t *lblk)
{
	if (slot < EXT2_NDIR_BLOCKS) {
		*depth = 0;
		*lblk = slot;
		return;
	}
	*depth = slot - EXT2_NDIR_BLOCKS + 1;
	*lblk = EXT2_NDIR_BLOCKS;
	if (*depth > 1)
		*lblk += m->p;
	if (*depth > 2)
		*lblk += m->p * m->p;
}

/* Reserved inodes (resize inode, journal) legitimately point into the
 * reserved GDT area, and their blocks are metadata themselves (checking
 * them would recurse into building the metadata map): only ordinary
 * inodes are held to it. */
static int checks_meta(e2c_fs *fs, ext2_ino_t ino)
{
	return !e2c_ino_reserved(fs, ino);
}

/* Errors a tolerant walk goes on after (what e2fsck would repair), as
 * opposed to running out of memory. */
static int is_bad_map(errcode_t err)
{
	return err && err != ENOMEM && err != E2C_ERR_INTERRUPTED;
}

/* blk..blk+len-1 inside the filesystem and, with check_meta, clear of
 * its metadata. */
static errcode_t check_range(e2c_fs *fs, int check_meta, blk64_t blk,
			     blk64_t len)
{
	ext2_filsys h = fs->h;
	int meta = 0;
	errcode_t retval;

	if (blk < h->super->s_first_data_block ||
	    blk >= ext2fs_blocks_count(h->super) ||
	    len > ext2fs_blocks_count(h->super) - blk)
		return E2C_ERR_PTR_RANGE;
	if (!check_meta)
		return 0;
	retval = e2c_fs_is_metadata(fs, blk, len, &meta);
	if (retval)
		return retval;
	return meta ? E2C_ERR_PTR_METADATA : 0;
}

static errcode_t check_ptr(struct e2c_map *m, blk64_t blk, blk64_t len)
{
	return check_range(m->fs, m->check_meta, blk, len);
}

/* Of the len pointers from ptrs, contiguous from blk: how many are valid
 * before the first bad one (all: len), and that one's error. */
static blk64_t valid_prefix(e2c_fs *fs, int check_meta, blk64_t blk,
			    blk64_t len, errcode_t *err)
{
	blk64_t k;

	*err = check_range(fs, check_meta, blk, len);
	if (!*err)
		return len;
	for (k = 0; !check_range(fs, check_meta, blk + k, 1); k++)
		;
	*err = check_range(fs, check_meta, blk + k, 1);
	return k;
}

int e2c_map_direct_only(const struct ext2_inode *inode)
{
	return !(inode->i_flags & (EXT4_EXTENTS_FL | EXT4_INLINE_DATA_FL)) &&
	       !inode->i_block[EXT2_IND_BLOCK] &&
	       !inode->i_block[EXT2_DIND_BLOCK] &&
	       !inode->i_block[EXT2_TIND_BLOCK];
}

/* Its pieces exactly as a cursor gives them (at most 12, validated the
 * same way: a bad pointer ends them, after the valid blocks before it,
 * with the cursor's error), without opening one.  tolerant: as a
 * tolerant cursor, past bad pointers, returning the first one's error. */
static errcode_t direct_pieces(e2c_fs *fs, int check_meta,
			       const struct ext2_inode *inode, int tolerant,
			       struct e2c_piece p[EXT2_NDIR_BLOCKS], size_t *n)
{
	unsigned int i = 0, j;
	errcode_t err, first_bad = 0;
	struct e2c_piece *q;

	*n = 0;
	while (i < EXT2_NDIR_BLOCKS) {
		blk_t blk = inode->i_block[i];

		if (!blk) {
			i++;
			continue;
		}
		for (j = i + 1; j < EXT2_NDIR_BLOCKS &&
		     inode->i_block[j] == blk + (j - i); j++)
			;
		q = &p[*n];
		memset(q, 0, sizeof(*q));
		q->kind = E2C_DATA;
		q->lblk = i;
		q->pblk = blk;
		q->len = valid_prefix(fs, check_meta, blk, j - i, &err);
		q->flags = first_bad ? E2C_PAST_BAD : 0;
		if (q->len)
			(*n)++;
		if (!err) {
			i = j;
			continue;
		}
		if (!tolerant || !is_bad_map(err))
			return err;
		if (!first_bad)
			first_bad = err;
		/* The bad one: a block of the fs is its (metadata), one
		 * outside it nobody's. */
		i += q->len;
		q = &p[*n];
		if (err == E2C_ERR_PTR_METADATA) {
			memset(q, 0, sizeof(*q));
			q->kind = E2C_DATA;
			q->lblk = i;
			q->pblk = inode->i_block[i];
			q->len = 1;
			q->flags = E2C_PAST_BAD;
			(*n)++;
		}
		i++;
	}
	return first_bad;
}

errcode_t e2c_map_direct_runs(e2c_fs *fs, const struct ext2_inode *inode,
			      struct e2c_piece p[EXT2_NDIR_BLOCKS], size_t *n)
{
	return direct_pieces(fs, 0, inode, 0, p, n);
}

errcode_t e2c_map_open(e2c_fs *fs, ext2_ino_t ino,
		       const struct ext2_inode *inode, e2c_map **ret)
{
	size_t isz = e2c_inode_buf_size(fs);
	struct e2c_map *m;
	errcode_t retval;

	*ret = NULL;		/* on failure too: closing it is a no-op */
	/* A cursor is opened for every inode of a scan: reuse the last one
	 * closed (and its indirect-block buffers), else one allocation. */
	if (fs->spare_map) {
		blk_t *bufs[3];

		m = fs->spare_map;
		fs->spare_map = NULL;
		memcpy(bufs, m->bufs, sizeof(bufs));
		memset(m, 0, sizeof(*m) + isz);
		memcpy(m->bufs, bufs, sizeof(bufs));
	} else {
		m = calloc(1, sizeof(*m) + isz);
		if (!m)
			return ENOMEM;
	}
	m->fs = fs;
	m->ino = ino;
	m->inode = (struct ext2_inode *)(m + 1);
	if (inode)
		memcpy(m->inode, inode, EXT2_INODE_SIZE(fs->h->super));
	else {
		retval = e2c_read_inode(fs, ino, m->inode);
		if (retval)
			goto errout;
	}
	m->p = fs->h->blocksize / 4;
	/* Rounded up without overflow: i_size may be anything. */
	m->size_blocks = EXT2_I_SIZE(m->inode) / fs->h->blocksize +
			 (EXT2_I_SIZE(m->inode) % fs->h->blocksize != 0);
	m->check_meta = checks_meta(fs, ino);

	if (!e2c_inode_has_blocks(fs, m->inode)) {
		m->empty = 1;
	} else if (m->inode->i_flags & EXT4_EXTENTS_FL) {
		m->is_extent = 1;
		m->op = EXT2_EXTENT_ROOT;
		retval = ext2fs_extent_open2(fs->h, ino, m->inode, &m->h);
		if (retval)
			goto errout;
		/* libext2fs follows any depth the root claims, reading
		 * leaf entries as index entries on the way down. */
		if (ext2fs_le16_to_cpu(((struct ext3_extent_header *)
					m->inode->i_block)->eh_depth) >
		    MAX_EXTENT_DEPTH) {
			retval = E2C_ERR_EXTENT_DEPTH;
			goto errout;
		}
	} else {
		m->stk[0].ptrs = m->inode->i_block;
		m->stk[0].n = EXT2_N_BLOCKS;
		m->stk[0].inode_frame = 1;
		m->sp = 1;
	}
	*ret = m;
	return 0;
errout:
	e2c_map_close(m);
	return retval;
}

int e2c_map_is_extent(e2c_map *m)
{
	return m->is_extent;
}

void e2c_map_close(e2c_map *m)
{
	int i;

	if (!m)
		return;
	if (m->h)
		ext2fs_extent_free(m->h);
	m->h = NULL;
	if (!m->fs->spare_map) {
		m->fs->spare_map = m;
		return;
	}
	for (i = 0; i < 3; i++)
		free(m->bufs[i]);
	free(m);
}

void e2c_map_free_spare(e2c_fs *fs)
{
	struct e2c_map *m = fs->spare_map;
	int i;

	if (!m)
		return;
	fs->spare_map = NULL;
	for (i = 0; i < 3; i++)
		free(m->bufs[i]);
	free(m);
}

/* A tolerant walk meets a bad pointer (err): noted, the walk goes on if
 * it may (nonzero: it may not, return err). */
static int pass_bad(struct e2c_map *m, errcode_t err)
{
	if (!m->tolerant || !is_bad_map(err))
		return 1;
	if (!m->first_bad)
		m->first_bad = err;
	return 0;
}

/* The next piece of a block map. */
static errcode_t bmap_next(struct e2c_map *m, struct e2c_piece *p, int *got)
{
	errcode_t retval;

	while (m->sp > 0) {
		struct frame *f = &m->stk[m->sp - 1];
		int depth;
		blk64_t lblk;
		blk_t blk;

		if (f->i >= f->n) {
			m->sp--;
			continue;
		}
		blk = f->ptrs[f->i];
		if (!blk) {
			/* Holes: sparse indirect blocks are mostly zeros (a
			 * local index: the loop stays in registers), passed
			 * eight at a time (the tail of every small file's
			 * indirect block: a thousand zeros). */
			unsigned int i = f->i + 1, n = f->n;
			const blk_t *ptrs = f->ptrs;

			while (i + 8 <= n &&
			       !(ptrs[i] | ptrs[i + 1] | ptrs[i + 2] |
				 ptrs[i + 3] | ptrs[i + 4] | ptrs[i + 5] |
				 ptrs[i + 6] | ptrs[i + 7]))
				i += 8;
			while (i < n && !ptrs[i])
				i++;
			f->i = i;
			continue;
		}
		if (f->inode_frame)
			slot_info(m, f->i, &depth, &lblk);
		else {
			depth = f->depth;
			lblk = f->base + f->i * span_of(m, depth);
		}
		memset(p, 0, sizeof(*p));
		p->lblk = lblk;
		p->pblk = blk;
		p->len = 1;
		if (depth == 0) {
			unsigned int first = f->i;

			/* Coalesce the following contiguous data pointers of
			 * this array: one piece instead of one per block,
			 * and one check for the run. */
			f->i++;
			while (f->i < f->n && f->ptrs[f->i] &&
			       f->ptrs[f->i] == p->pblk + p->len &&
			       !(f->inode_frame && f->i >= EXT2_NDIR_BLOCKS)) {
				p->len++;
				f->i++;
			}
			/* Report the valid blocks before the first bad
			 * one; the next call fails on it (a tolerant walk
			 * reports one into metadata alone, flagged, and
			 * passes one outside the filesystem). */
			p->len = valid_prefix(m->fs, m->check_meta, blk,
					      p->len, &retval);
			f->i = first + p->len;
			if (!p->len) {
				if (pass_bad(m, retval))
					return retval;
				f->i++;
				if (retval != E2C_ERR_PTR_METADATA)
					continue;
				p->len = 1;
			}
			p->kind = E2C_DATA;
			p->flags = m->first_bad ? E2C_PAST_BAD : 0;
			*got = 1;
			return 0;
		}
		/* A tolerant walk reads an indirect block in metadata as
		 * one, as e2fsck does: what it points to may be in use. */
		retval = check_ptr(m, blk, 1);
		if (retval) {
			if (pass_bad(m, retval))
				return retval;
			if (retval != E2C_ERR_PTR_METADATA) {
				f->i++;
				continue;
			}
		}
		/* An indirect block: report it, then descend into it. */
		p->kind = (enum e2c_kind)depth;
		if (!m->bufs[depth - 1]) {
			m->bufs[depth - 1] = malloc(m->fs->h->blocksize);
			if (!m->bufs[depth - 1])
				return ENOMEM;
		}
		retval = ext2fs_read_ind_block(m->fs->h, blk,
					       m->bufs[depth - 1]);
		f->i++;
		if (retval) {
			if (pass_bad(m, retval))
				return retval;
			p->flags = E2C_PAST_BAD;	/* unread, still its */
			*got = 1;
			return 0;
		}
		p->flags = m->first_bad ? E2C_PAST_BAD : 0;
		m->stk[m->sp].ptrs = m->bufs[depth - 1];
		m->stk[m->sp].n = m->p;
		m->stk[m->sp].i = 0;
		m->stk[m->sp].depth = depth - 1;
		m->stk[m->sp].base = lblk;
		m->stk[m->sp].inode_frame = 0;
		m->sp++;
		*got = 1;
		return 0;
	}
	*got = 0;
	return 0;
}

/* Whether the extent handle is where it was after a move that failed
 * with err (libext2fs fails these before going down), so that the next
 * move passes the bad node: only then may a tolerant walk go on. */
static int node_passable(errcode_t err)
{
	return err == EXT2_ET_EXTENT_HEADER_BAD ||
	       err == EXT2_ET_EXTENT_CYCLE || err == EXT2_ET_SHORT_READ ||
	       err == EXT2_ET_LLSEEK_FAILED || err == EIO;
}

/* The next piece of an extent tree (index entries become NODE pieces). */
static errcode_t extent_next(struct e2c_map *m, struct e2c_piece *p, int *got)
{
	struct ext2fs_extent ext;
	struct ext2_extent_info info;
	errcode_t retval;
	unsigned int flags;

	for (;;) {
		retval = ext2fs_extent_get(m->h, m->op, &ext);
		m->op = EXT2_EXTENT_NEXT;
		if (retval == EXT2_ET_EXTENT_NO_NEXT) {
			*got = 0;
			return 0;
		}
		/* A checksum error comes after the move: the entry is
		 * there (e2fsck reads it too). */
		if (retval == EXT2_ET_EXTENT_CSUM_INVALID && !pass_bad(m, retval))
			retval = 0;
		if (retval) {
			if (!node_passable(retval) || pass_bad(m, retval) ||
			    ++m->nbad > MAX_BAD_NODES)
				return retval;
			continue;
		}
		if (ext.e_flags & EXT2_EXTENT_FLAGS_SECOND_VISIT)
			continue;
		retval = ext2fs_extent_get_info(m->h, &info);
		if (retval)
			return retval;
		memset(p, 0, sizeof(*p));
		p->lblk = ext.e_lblk;
		p->pblk = ext.e_pblk;
		flags = m->first_bad ? E2C_PAST_BAD : 0;
		p->level = info.curr_level;
		p->max_depth = info.max_depth;
		p->entry = info.curr_entry;
		p->entries = info.num_entries;
		p->max_entries = info.max_entries;
		if (ext.e_flags & EXT2_EXTENT_FLAGS_LEAF) {
			p->kind = E2C_DATA;
			p->len = ext.e_len;
			if (ext.e_flags & EXT2_EXTENT_FLAGS_UNINIT)
				p->flags |= E2C_UNINIT;
			/* The kernel's extent ends at ee_block + len in 32
			 * bits: block 2^32-1 would wrap it to 0. */
			if (ext.e_lblk + (blk64_t)ext.e_len > EXT_MAX_EXTENT_LBLK)
				retval = E2C_ERR_LBLK_RANGE;
			/* Leaves must ascend without overlapping, or runs
			 * and holes (and a reader) would map a block twice. */
			else if (p->len && p->lblk < m->leaf_end)
				retval = E2C_ERR_EXTENT_ORDER;
			if (p->len && p->lblk + p->len > m->leaf_end)
				m->leaf_end = p->lblk + p->len;
		} else {
			p->kind = E2C_NODE;
			p->len = 1;
			p->span = ext.e_len;
		}
		/* Still mapped, wherever it lies in the file. */
		if (retval) {
			if (pass_bad(m, retval))
				return retval;
			flags = E2C_PAST_BAD;
		}
		if (p->len) {
			retval = check_ptr(m, p->pblk, p->len);
			if (retval && pass_bad(m, retval))
				return retval;
			/* Outside the fs: nobody's blocks, nothing to give. */
			if (retval == E2C_ERR_PTR_RANGE)
				continue;
			if (retval)
				flags = E2C_PAST_BAD;
		}
		p->flags |= flags;
		*got = 1;
		return 0;
	}
}

errcode_t e2c_map_next(e2c_map *m, struct e2c_piece *p, int *got)
{
	errcode_t retval;

	*got = 0;
	if (m->err)
		return m->err;
	if (m->empty)
		return 0;
	retval = m->is_extent ? extent_next(m, p, got) : bmap_next(m, p, got);
	if (retval) {
		*got = 0;
		m->err = retval;
	}
	return retval;
}

/* Next data piece with blocks in it. */
static errcode_t next_data(e2c_map *m, struct e2c_piece *p, int *got)
{
	errcode_t retval;

	for (;;) {
		retval = e2c_map_next(m, p, got);
		if (retval || !*got)
			return retval;
		if (p->kind == E2C_DATA && p->len)
			return 0;
	}
}

/* The piece read ahead by a coalescing call, else next's. */
static errcode_t next_ahead(e2c_map *m, struct e2c_piece *p, int *got,
			    errcode_t (*next)(e2c_map *, struct e2c_piece *,
					      int *))
{
	if (!m->have_ahead)
		return next(m, p, got);
	*p = m->ahead;
	m->have_ahead = 0;
	*got = 1;
	return 0;
}

errcode_t e2c_map_next_run(e2c_map *m, struct e2c_piece *r, int *got)
{
	struct e2c_piece p;
	int more;
	errcode_t retval;

	retval = next_ahead(m, r, got, next_data);
	if (retval || !*got)
		return retval;
	for (;;) {
		/* A failure past the run comes with the next call (the walk's
		 * error is sticky): the run before a bad pointer is valid. */
		retval = next_data(m, &p, &more);
		if (retval || !more)
			return 0;
		if (p.lblk == r->lblk + r->len && p.pblk == r->pblk + r->len &&
		    p.flags == r->flags) {
			r->len += p.len;
			continue;
		}
		m->ahead = p;
		m->have_ahead = 1;
		return 0;
	}
}

errcode_t e2c_map_next_range(e2c_map *m, struct e2c_piece *r, int *got)
{
	struct e2c_piece p;
	int more;
	errcode_t retval;

	do {
		retval = next_ahead(m, r, got, e2c_map_next);
		if (retval || !*got)
			return retval;
	} while (r->kind == E2C_DATA && !r->len);
	if (m->is_extent || r->kind != E2C_DATA)
		return 0;
	for (;;) {
		/* As in next_run: an error past the range comes next call. */
		retval = e2c_map_next(m, &p, &more);
		if (retval || !more)
			return 0;
		if (p.kind == E2C_DATA && !p.len)
			continue;
		if (p.kind == E2C_DATA && p.lblk == r->lblk + r->len &&
		    p.pblk == r->pblk + r->len) {
			r->len += p.len;
			continue;
		}
		m->ahead = p;
		m->have_ahead = 1;
		return 0;
	}
}

errcode_t e2c_map_next_hole(e2c_map *m, struct e2c_piece *h, int *got)
{
	struct e2c_piece p;
	int more;
	errcode_t retval;

	memset(h, 0, sizeof(*h));
	*got = 0;
	while (!m->walk_done && m->next_lblk < m->size_blocks) {
		retval = next_data(m, &p, &more);
		if (retval)
			return retval;
		if (!more) {
			m->walk_done = 1;
			break;
		}
		if (p.lblk > m->next_lblk) {
			h->lblk = m->next_lblk;
			h->len = (p.lblk < m->size_blocks ? p.lblk :
				  m->size_blocks) - m->next_lblk;
			m->next_lblk = p.lblk + p.len;
			*got = 1;
			return 0;
		}
		if (p.lblk + p.len > m->next_lblk)
			m->next_lblk = p.lblk + p.len;
	}
	if (m->next_lblk < m->size_blocks) {
		h->lblk = m->next_lblk;
		h->len = m->size_blocks - m->next_lblk;
		m->next_lblk = m->size_blocks;
		*got = 1;
	}
	return 0;
}

/* e2c_map_each, or with tolerant e2c_map_each_all. */
static errcode_t map_each(e2c_fs *fs, ext2_ino_t ino, struct ext2_inode *inode,
			  int tolerant, e2c_piece_fn fn, void *arg)
{
	struct e2c_piece p, direct[EXT2_NDIR_BLOCKS];
	size_t i, n;
	e2c_map *m = NULL;	/* a failed open sets nothing to close */
	errcode_t retval, walk;
	int got;

	if (!e2c_inode_has_blocks(fs, inode))
		return 0;
	if (e2c_map_direct_only(inode)) {
		walk = direct_pieces(fs, checks_meta(fs, ino), inode, tolerant,
				     direct, &n);
		for (i = 0, retval = 0; i < n && !retval; i++)
			retval = fn(&direct[i], arg);
		return retval ? retval : walk;
	}
	retval = e2c_map_open(fs, ino, inode, &m);
	if (retval)
		return retval;
	m->tolerant = tolerant;
	while (!retval) {
		retval = e2c_map_next(m, &p, &got);
		if (retval || !got)
			break;
		retval = fn(&p, arg);
	}
	if (!retval)
		retval = m->first_bad;
	e2c_map_close(m);
	return retval;
}

errcode_t e2c_map_each(e2c_fs *fs, ext2_ino_t ino, struct ext2_inode *inode,
		       e2c_piece_fn fn, void *arg)
{
	return map_each(fs, ino, inode, 0, fn, arg);
}

errcode_t e2c_map_each_all(e2c_fs *fs, ext2_ino_t ino,
			   struct ext2_inode *inode, e2c_piece_fn fn, void *arg)
{
	return map_each(fs, ino, inode, 1, fn, arg);
}

errcode_t e2c_bmap(e2c_fs *fs, ext2_ino_t ino, blk64_t lblk, blk64_t *pblk,
		   int *uninit)
{
	int ret_flags = 0;
	errcode_t retval;

	*pblk = 0;
	retval = ext2fs_bmap2(fs->h, ino, NULL, NULL, 0, lblk, &ret_flags,
			      pblk);
	if (uninit)
		*uninit = (ret_flags & BMAP_RET_UNINIT) != 0;
	return retval;
}
