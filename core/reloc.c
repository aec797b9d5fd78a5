/*
 * reloc.c -- relocating migration (offline defragmentation): plan where a
 * file's data goes, and copy it there during the commit (core/tx.c runs
 * the steps; doc/migration.md describes them).
 *
 * Free space is found only through the core allocator's free-range search
 * (e2c_alloc_range: the block bitmap, the transaction's reservations, the
 * metadata and owners maps), from the goal (default: the first block of
 * the inode's group).  The data needs as few ranges as free space allows:
 * the first free extent from the goal that holds all that is left, and
 * while none does, the longest there is (taking the longest first is
 * what makes the count smallest).  The file's own blocks stay in use
 * until the commit frees them, so the new ranges never overlap them.
 *
 * Uninitialized extents get new blocks and stay uninitialized; their
 * blocks are not copied (they read as zeros whatever they hold).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "e2c_int.h"

/* Bytes a copy reads and writes at once, at most. */
#define COPY_BYTES (8u << 20)

void e2c_reloc_unreserve(const struct e2c_reloc *r,
			 ext2fs_block_bitmap taken)
{
	size_t i;

	for (i = 0; i < r->ndst; i++)
		ext2fs_unmark_block_bitmap_range2(taken, r->dst[i].start,
						  r->dst[i].len);
}

void e2c_reloc_free(struct e2c_reloc *r)
{
	if (!r)
		return;
	free(r->moves);
	free(r->dst);
	free(r->chunks);
	free(r);
}

/* Turn the plan of the walk (extents as they are) into the relocation's:
 * the new extents into c, the old data runs onto c's list to free. */
static errcode_t lay_out(e2c_fs *fs, struct ext2_inode *inode,
			 struct e2c_plan *p, struct e2c_collect *c,
			 struct e2c_reloc *r)
{
	struct e2c_layout l;
	blk64_t lblk, pblk, len;
	unsigned int flags;
	size_t i;
	errcode_t retval;

	retval = e2c_layout(c->ext, p->extents, r->dst, r->ndst, &l);
	if (retval)
		return retval;
	for (i = 0; i < p->extents && !retval; i++) {
		e2c_ext_get(&c->ext[i], &lblk, &pblk, &len, &flags);
		retval = e2c_collect_freed(c, pblk, len);
	}
	if (retval) {
		e2c_layout_free(&l);
		return retval;
	}
	p->ideal = e2c_layout_ideal(c->ext, p->extents);
	p->extents_before = p->extents;
	free(c->ext);
	c->ext = l.ext;
	c->ext_cap = l.next;
	r->moves = l.moves;
	r->nmoves = l.nmoves;
	p->extents = l.next;
	p->runs = l.runs;
	p->copy_blocks = l.copy_blocks;
	p->fragmented_free = p->extents > p->ideal;
	p->free_runs = r->ndst;
	for (i = 0; i < r->ndst && i < E2C_PLAN_FROM; i++) {
		p->from[i].start = r->dst[i].start;
		p->from[i].len = r->dst[i].len;
	}
	e2c_plan_tree(fs->h, p);
	return e2c_iblocks_after(fs->h, inode, p);
}

errcode_t e2c_reloc_plan(e2c_fs *fs, ext2fs_block_bitmap taken,
			 ext2_ino_t ino, struct ext2_inode *inode,
			 const struct e2c_migrate_opts *o, blk64_t avail,
			 struct e2c_plan *plan, struct e2c_collect *c,
			 struct e2c_reloc **ret)
{
	ext2_filsys h = fs->h;
	struct e2c_reloc *r = NULL;
	blk64_t goal = o->goal;
	int walked, reserved = 0;
	errcode_t retval;

	*ret = NULL;
	if (goal && (goal < h->super->s_first_data_block ||
		     goal >= ext2fs_blocks_count(h->super)))
		return E2C_ERR_BLOCK_RANGE;
	if (!goal)
		goal = ext2fs_group_first_block2(h,
				ext2fs_group_of_ino(h, ino));
	retval = e2c_plan_any(fs, ino, inode, plan, c, &walked, 1, NULL);
	if (retval || plan->skip)
		return retval;
	plan->relocate = 1;
	plan->was_extent = (inode->i_flags & EXT4_EXTENTS_FL) != 0;
	plan->goal = goal;
	/* Not even the data fits: said without a search. */
	if (plan->data_blocks > avail)
		goto no_space;
	r = calloc(1, sizeof(*r));
	if (!r) {
		retval = ENOMEM;
		goto errout;
	}
	retval = e2c_alloc_ranges(fs, taken, goal, plan->data_blocks, &r->dst,
				  &r->ndst);
	reserved = 1;
	if (retval == EXT2_ET_BLOCK_ALLOC_FAIL)
		goto no_space;
	if (!retval)
		retval = lay_out(fs, inode, plan, c, r);
	if (retval)
		goto errout;
	if (plan->data_blocks + plan->index_blocks > avail)
		goto no_space;
	if ((long long)plan->extents_before - (long long)plan->extents <
	    o->min_gain) {
		plan->skip = E2C_ERR_SKIP_GAIN;
		goto skipped;
	}
	r->plan = *plan;
	r->verify = o->verify;
	*ret = r;
	return 0;

no_space:
	plan->skip = E2C_ERR_SKIP_NO_SPACE;
	plan->free_blocks = avail;
skipped:
	retval = 0;
errout:
	if (r && reserved)
		e2c_reloc_unreserve(r, taken);
	e2c_reloc_free(r);
	e2c_collect_free(c);
	return retval;
}

/* One copy: the buffer being filled for one run of destination blocks,
 * and the source read not issued yet (adjacent sources merge). */
struct copier {
	ext2_filsys h;
	struct e2c_reloc *r;
	char *buf;
	blk64_t cap;		/* blocks the buffer holds */
	blk64_t dst, n;		/* n blocks buffered for dst on */
	blk64_t rsrc, roff, rlen;	/* pending: rlen blocks from rsrc
					 * into the buffer at block roff */
};

static errcode_t issue_read(struct copier *cp)
{
	errcode_t retval = 0;

	if (cp->rlen)
		retval = io_channel_read_blk64(cp->h->io, cp->rsrc, cp->rlen,
				cp->buf + cp->roff * cp->h->blocksize);
	cp->rlen = 0;
	return retval;
}

/* Write what is buffered (its checksum kept when verifying). */
static errcode_t flush_copy(struct copier *cp)
{
	struct e2c_reloc *r = cp->r;
	errcode_t retval;

	if (!cp->n)
		return 0;
	if (e2c_interrupted)
		return E2C_ERR_INTERRUPTED;
	retval = issue_read(cp);
	if (!retval)
		retval = io_channel_write_blk64(cp->h->io, cp->dst, cp->n,
						cp->buf);
	if (!retval && r->verify) {
		retval = e2c_grow(&r->chunks, &r->chunks_cap, r->nchunks + 1,
				  sizeof(*r->chunks));
		if (!retval) {
			r->chunks[r->nchunks].dst = cp->dst;
			r->chunks[r->nchunks].len = cp->n;
			r->chunks[r->nchunks++].sum = XXH64(cp->buf,
					cp->n * cp->h->blocksize, 0);
		}
	}
	cp->n = 0;
	return retval;
}

/* Buffer len blocks from src for dst. */
static errcode_t add_copy(struct copier *cp, blk64_t src, blk64_t dst,
			  blk64_t len)
{
	blk64_t take;
	errcode_t retval;

	while (len) {
		if (cp->n && (dst != cp->dst + cp->n || cp->n == cp->cap)) {
			retval = flush_copy(cp);
			if (retval)
				return retval;
		}
		if (!cp->n)
			cp->dst = dst;
		take = cp->cap - cp->n < len ? cp->cap - cp->n : len;
		if (!cp->rlen || cp->rsrc + cp->rlen != src ||
		    cp->roff + cp->rlen != cp->n) {
			retval = issue_read(cp);
			if (retval)
				return retval;
			cp->rsrc = src;
			cp->roff = cp->n;
		}
		cp->rlen += take;
		cp->n += take;
		src += take;
		dst += take;
		len -= take;
	}
	return 0;
}

/* A buffer for at most blocks blocks (COPY_BYTES at most), aligned for
 * a channel that reads directly. */
static errcode_t copy_buf(ext2_filsys h, blk64_t blocks, char **buf,
			  blk64_t *cap)
{
	*cap = COPY_BYTES / h->blocksize;
	if (blocks < *cap)
		*cap = blocks;
	return ext2fs_get_memalign(*cap * h->blocksize, 4096, buf);
}

errcode_t e2c_reloc_copy(e2c_fs *fs, struct e2c_reloc *r)
{
	struct copier cp = { 0 };
	size_t i;
	errcode_t retval;

	r->nchunks = 0;
	if (!r->plan.copy_blocks)
		return 0;
	cp.h = fs->h;
	cp.r = r;
	retval = copy_buf(fs->h, r->plan.copy_blocks, &cp.buf, &cp.cap);
	for (i = 0; i < r->nmoves && !retval; i++)
		if (!(r->moves[i].flags & E2C_UNINIT))
			retval = add_copy(&cp, r->moves[i].src,
					  r->moves[i].dst, r->moves[i].len);
	if (!retval)
		retval = flush_copy(&cp);
	ext2fs_free_mem(&cp.buf);
	return retval;
}

errcode_t e2c_reloc_verify(e2c_fs *fs, struct e2c_reloc *r)
{
	ext2_filsys h = fs->h;
	char *buf = NULL;
	blk64_t cap;
	size_t i;
	errcode_t retval;

	if (!r->verify || !r->nchunks)
		return 0;
	retval = copy_buf(h, r->plan.copy_blocks, &buf, &cap);
	for (i = 0; i < r->nchunks && !retval; i++) {
		if (e2c_interrupted) {
			retval = E2C_ERR_INTERRUPTED;
			break;
		}
		retval = io_channel_read_blk64(h->io, r->chunks[i].dst,
					       r->chunks[i].len, buf);
		if (!retval && XXH64(buf, r->chunks[i].len * h->blocksize, 0) !=
		    r->chunks[i].sum)
			retval = E2C_ERR_VERIFY;
	}
	ext2fs_free_mem(&buf);
	return retval;
}

errcode_t e2c_plan_inode2(e2c_fs *fs, ext2_ino_t ino,
			  const struct e2c_migrate_opts *o,
			  struct e2c_plan *plan)
{
	struct e2c_collect c = { 0 };
	struct e2c_reloc *r = NULL;
	ext2fs_block_bitmap scratch = NULL;
	struct ext2_inode *inode = NULL;
	errcode_t retval;

	if (o && o->unmigrate)
		return o->relocate ? EXT2_ET_INVALID_ARGUMENT :
		       e2c_unplan_inode(fs, ino, plan);
	if (!o || !o->relocate)
		return e2c_plan_inode(fs, ino, plan);
	memset(plan, 0, sizeof(*plan));
	plan->ino = ino;
	if (fs->catastrophic || !fs->h->block_map)
		return E2C_ERR_NO_BITMAPS;
	inode = calloc(1, e2c_inode_buf_size(fs));
	if (!inode)
		return ENOMEM;
	retval = e2c_read_inode(fs, ino, inode);
	/* The layout is searched in a copy: planning reserves nothing. */
	if (!retval)
		retval = ext2fs_copy_bitmap(
				(ext2fs_generic_bitmap)fs->h->block_map,
				(ext2fs_generic_bitmap *)&scratch);
	if (!retval)
		retval = e2c_reloc_plan(fs, scratch, ino, inode, o,
				ext2fs_free_blocks_count(fs->h->super),
				plan, &c, &r);
	e2c_reloc_free(r);
	e2c_collect_free(&c);
	if (scratch)
		ext2fs_free_block_bitmap(scratch);
	free(inode);
	return retval;
}
