/*
 * plan.c -- what migrating a block-mapped inode to an extent tree takes,
 * and the layout of that tree.  Reads only: staging and writing are tx.c's.
 *
 * The new tree is packed full: leaves of (blocksize-12)/12 extents, index
 * levels above them until at most 4 entries remain for the root in
 * i_block.  That is the smallest tree there is, so e2fsck finds nothing
 * to narrow or collapse (its Pass 1E heuristics).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "migrate.h"

#define ENTRY_SIZE	sizeof(struct ext3_extent)	/* = index entry size */
#define HEADER_SIZE	sizeof(struct ext3_extent_header)
#define ROOT_ENTRIES	((sizeof(((struct ext2_inode *)0)->i_block) -	\
			  HEADER_SIZE) / ENTRY_SIZE)

/* Entries of a non-root node (the checksum tail fits in what is left). */
static blk64_t node_entries(ext2_filsys fs)
{
	return (fs->blocksize - HEADER_SIZE) / ENTRY_SIZE;
}

/* Depth and non-root node count of a packed tree over n leaf extents. */
static void tree_shape(blk64_t n, blk64_t cap, int *depth, blk64_t *nodes)
{
	*depth = 0;
	*nodes = 0;
	while (n > ROOT_ENTRIES) {
		n = (n + cap - 1) / cap;
		*nodes += n;
		(*depth)++;
	}
}

/* Why ino cannot be migrated, from the inode alone (0: it can). */
static errcode_t skip_reason(e2c_fs *e, ext2_ino_t ino,
			     struct ext2_inode *inode)
{
	ext2_filsys fs = e->fs;

	if (ino < EXT2_FIRST_INO(fs->super) && ino != EXT2_ROOT_INO)
		return E2C_ERR_SKIP_RESERVED;
	if (!inode->i_links_count ||
	    (fs->inode_map && !ext2fs_test_inode_bitmap2(fs->inode_map, ino)))
		return E2C_ERR_SKIP_UNLINKED;
	if (inode->i_flags & EXT4_INLINE_DATA_FL)
		return E2C_ERR_SKIP_INLINE;
	if (inode->i_flags & EXT4_EXTENTS_FL)
		return E2C_ERR_SKIP_EXTENTS;
	if (!e2c_inode_type_known(inode))
		return E2C_ERR_SKIP_TYPE;
	if (!e2c_inode_has_blocks(e, inode))
		return E2C_ERR_SKIP_NO_BLOCKS;
	/* A size past the map's reach is corrupt (e2fsck's bound too):
	 * not an inode to touch. */
	if (EXT2_I_SIZE(inode) / fs->blocksize +
	    (EXT2_I_SIZE(inode) % fs->blocksize != 0) > e2c_blockmap_limit(e))
		return E2C_ERR_SIZE_RANGE;
	return 0;
}

/* Walk errors that mean "this map is corrupt": a reason to skip. */
static int is_corrupt_map(errcode_t code)
{
	return code == E2C_ERR_PTR_RANGE || code == E2C_ERR_PTR_METADATA ||
	       code == E2C_ERR_PTR_SHARED || code == E2C_ERR_LBLK_RANGE;
}

static errcode_t add_freed(struct e2c_collect *c, blk64_t blk)
{
	struct e2c_range *last = c->nfreed ? &c->freed[c->nfreed - 1] : NULL;
	errcode_t retval;

	if (last && last->start + last->len == blk) {
		last->len++;
		return 0;
	}
	retval = e2c_grow(&c->freed, &c->freed_cap, c->nfreed + 1,
		      sizeof(*c->freed));
	if (retval)
		return retval;
	c->freed[c->nfreed].start = blk;
	c->freed[c->nfreed].len = 1;
	c->nfreed++;
	return 0;
}

void e2c_collect_free(struct e2c_collect *c)
{
	free(c->ext);
	free(c->freed);
	memset(c, 0, sizeof(*c));
}

/* The leaf extents of data run r (split at E2C_MAX_EXTENT_LEN), counted
 * into plan and, with c, appended to c->ext in on-disk format. */
static errcode_t add_run(const struct e2c_piece *r, struct e2c_plan *plan,
			 struct e2c_collect *c)
{
	blk64_t off, len;
	errcode_t retval;

	plan->runs++;
	for (off = 0; off < r->len; off += len) {
		struct ext3_extent *x;

		len = r->len - off;
		if (len > E2C_MAX_EXTENT_LEN)
			len = E2C_MAX_EXTENT_LEN;
		plan->extents++;
		if (!c)
			continue;
		retval = e2c_grow(&c->ext, &c->ext_cap, plan->extents,
			      sizeof(*c->ext));
		if (retval)
			return retval;
		x = &c->ext[plan->extents - 1];
		x->ee_block = ext2fs_cpu_to_le32(r->lblk + off);
		x->ee_len = ext2fs_cpu_to_le16(len);
		x->ee_start_hi = ext2fs_cpu_to_le16((r->pblk + off) >> 32);
		x->ee_start = ext2fs_cpu_to_le32((r->pblk + off) & 0xffffffffULL);
	}
	return 0;
}

/* Where the pieces of one map walk go. */
struct walk {
	e2c_fs *e;
	struct e2c_plan *plan;
	struct e2c_collect *c;
	struct e2c_piece r;		/* the data run being coalesced */
};

/* One piece of the map walk: counted and checked for blocks mapped twice
 * (here or by another inode: freeing a shared indirect block would hand
 * out a block still in use), or claimed while the owners map is being
 * built; an indirect block goes to c; data pieces are coalesced into runs
 * (holes stay holes) as e2c_map_next_run does, runs into extents. */
static errcode_t take_piece(const struct e2c_piece *p, void *arg)
{
	struct walk *w = arg;
	errcode_t retval = 0;
	int shared;

	if (!p->len)
		return 0;
	if (p->kind == E2C_DATA) {
		if (p->lblk + p->len > (1ULL << 32))
			return E2C_ERR_LBLK_RANGE;
		w->plan->data_blocks += p->len;
	} else {
		w->plan->meta_freed++;
		if (w->c) {
			retval = add_freed(w->c, p->pblk);
			if (retval)
				return retval;
		}
	}
	if (w->e->claiming) {
		e2c_owners_claim(w->e, p->pblk, p->len);
	} else {
		retval = e2c_fs_shared(w->e, p->pblk, p->len, &shared);
		if (!retval && shared)
			retval = E2C_ERR_PTR_SHARED;
		if (retval)
			return retval;
	}
	if (p->kind != E2C_DATA)
		return 0;
	if (w->r.len && p->lblk == w->r.lblk + w->r.len &&
	    p->pblk == w->r.pblk + w->r.len && p->flags == w->r.flags) {
		w->r.len += p->len;
		return 0;
	}
	if (w->r.len)
		retval = add_run(&w->r, w->plan, w->c);
	w->r = *p;
	return retval;
}

/* One walk of the map, every piece through take_piece. */
static errcode_t scan_map(e2c_fs *e, ext2_ino_t ino, struct ext2_inode *inode,
			  struct e2c_plan *plan, struct e2c_collect *c)
{
	struct walk w = { e, plan, c, { 0 } };
	errcode_t retval;

	retval = e2c_map_each(e, ino, inode, take_piece, &w);
	if (!retval && w.r.len)
		retval = add_run(&w.r, plan, c);
	return retval;
}

errcode_t e2c_iblocks_swap(ext2_filsys fs, struct ext2_inode *inode,
			   blk64_t meta_freed, blk64_t index_blocks)
{
	errcode_t retval;

	retval = ext2fs_iblk_sub_blocks(fs, inode, meta_freed);
	if (!retval)
		retval = ext2fs_iblk_add_blocks(fs, inode, index_blocks);
	return retval;
}

/* i_blocks after the swap, into the plan. */
static errcode_t iblocks_after(ext2_filsys fs, const struct ext2_inode *inode,
			       struct e2c_plan *plan)
{
	struct ext2_inode copy = *inode;
	errcode_t retval;

	retval = e2c_iblocks_swap(fs, &copy, plan->meta_freed,
				  plan->index_blocks);
	if (!retval)
		plan->iblocks_after = ext2fs_get_stat_i_blocks(fs, &copy);
	return retval;
}

errcode_t e2c_plan_from(e2c_fs *e, ext2_ino_t ino, struct ext2_inode *inode,
			struct e2c_plan *plan, struct e2c_collect *c,
			int *walked)
{
	ext2_filsys fs = e->fs;
	errcode_t retval = 0;

	memset(plan, 0, sizeof(*plan));
	plan->ino = ino;
	plan->iblocks_before = ext2fs_get_stat_i_blocks(fs, inode);
	plan->iblocks_after = plan->iblocks_before;

	plan->skip = skip_reason(e, ino, inode);
	*walked = !plan->skip;
	if (!plan->skip)
		retval = scan_map(e, ino, inode, plan, c);
	if (is_corrupt_map(retval)) {
		plan->skip = retval;
		retval = 0;
	}
	if (retval)
		goto errout;
	if (!plan->skip) {
		tree_shape(plan->extents, node_entries(fs), &plan->depth,
			   &plan->index_blocks);
		plan->used_delta = (long long)plan->index_blocks -
				   (long long)plan->meta_freed;
		/* An i_blocks below the indirect blocks' count is corrupt:
		 * not an inode to touch. */
		plan->skip = iblocks_after(fs, inode, plan);
	}
	if (plan->skip) {
		struct e2c_plan skipped = { 0 };

		skipped.ino = ino;
		skipped.skip = plan->skip;
		skipped.iblocks_before = plan->iblocks_before;
		skipped.iblocks_after = plan->iblocks_before;
		*plan = skipped;
		if (c)
			e2c_collect_free(c);
	}
	return 0;
errout:
	if (c)
		e2c_collect_free(c);
	return retval;
}

errcode_t e2c_plan_collect(e2c_fs *e, ext2_ino_t ino, struct e2c_plan *plan,
			   struct e2c_collect *c)
{
	struct ext2_inode *inode;
	errcode_t retval;
	int walked;

	memset(plan, 0, sizeof(*plan));
	plan->ino = ino;
	inode = calloc(1, e2c_inode_buf_size(e));
	if (!inode)
		return ENOMEM;
	retval = e2c_read_inode(e, ino, inode);
	if (!retval)
		retval = e2c_plan_from(e, ino, inode, plan, c, &walked);
	free(inode);
	return retval;
}

errcode_t e2c_plan_inode(e2c_fs *e, ext2_ino_t ino, struct e2c_plan *plan)
{
	return e2c_plan_collect(e, ino, plan, NULL);
}

/* Header plus n entries of 12 bytes copied from src. */
static void fill_node(void *buf, const void *src, blk64_t n, blk64_t max,
		      int depth)
{
	struct ext3_extent_header *h = buf;

	h->eh_magic = ext2fs_cpu_to_le16(EXT3_EXT_MAGIC);
	h->eh_entries = ext2fs_cpu_to_le16(n);
	h->eh_max = ext2fs_cpu_to_le16(max);
	h->eh_depth = ext2fs_cpu_to_le16(depth);
	h->eh_generation = 0;
	if (n)		/* an empty file's root has no entries (src NULL) */
		memcpy((char *)buf + HEADER_SIZE, src, n * ENTRY_SIZE);
}

errcode_t e2c_tree_build(e2c_fs *e, const struct e2c_plan *plan,
			 const struct ext3_extent *ext, const blk64_t *pblks,
			 __u32 root[EXT2_N_BLOCKS], char *nodes)
{
	ext2_filsys fs = e->fs;
	blk64_t cap = node_entries(fs), n = plan->extents, k = 0;
	const char *ents = (const char *)ext;	/* the level being packed */
	char *up = NULL;			/* entries of the level above */
	int depth = 0;
	errcode_t retval = 0;

	while (n > ROOT_ENTRIES) {
		blk64_t nn = (n + cap - 1) / cap, j;
		char *next = calloc(nn, ENTRY_SIZE);

		if (!next) {
			retval = ENOMEM;
			goto out;
		}
		for (j = 0; j < nn; j++, k++) {
			const char *src = ents + j * cap * ENTRY_SIZE;
			char *blk = nodes + k * fs->blocksize;
			struct ext3_extent_idx *ix;

			memset(blk, 0, fs->blocksize);
			fill_node(blk, src, n - j * cap < cap ? n - j * cap : cap,
				  cap, depth);
			retval = ext2fs_extent_header_verify(blk,
							     fs->blocksize);
			if (retval) {
				free(next);
				goto out;
			}
			/* An index entry starts where its child's first
			 * entry does (ee_block and ei_block both lead). */
			ix = (struct ext3_extent_idx *)(next + j * ENTRY_SIZE);
			memcpy(&ix->ei_block, src, sizeof(ix->ei_block));
			ix->ei_leaf = ext2fs_cpu_to_le32(pblks[k] &
							 0xffffffffULL);
			ix->ei_leaf_hi = ext2fs_cpu_to_le16(pblks[k] >> 32);
		}
		free(up);
		up = next;
		ents = next;
		n = nn;
		depth++;
	}
	memset(root, 0, EXT2_N_BLOCKS * sizeof(root[0]));
	fill_node(root, ents, n, ROOT_ENTRIES, depth);
	retval = ext2fs_extent_header_verify(root,
					     EXT2_N_BLOCKS * sizeof(root[0]));
out:
	free(up);
	return retval;
}

blk64_t e2c_tree_blocks(e2c_fs *e, blk64_t extents)
{
	blk64_t nodes;
	int depth;

	tree_shape(extents, node_entries(e->fs), &depth, &nodes);
	return nodes;
}
