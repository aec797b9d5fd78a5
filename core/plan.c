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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2c_int.h"

#define ENTRY_SIZE	sizeof(struct ext3_extent)	/* = index entry size */
#define HEADER_SIZE	sizeof(struct ext3_extent_header)
#define ROOT_ENTRIES	((sizeof(((struct ext2_inode *)0)->i_block) -	\
			  HEADER_SIZE) / ENTRY_SIZE)

/* Entries of a non-root node (the checksum tail fits in what is left). */
static blk64_t node_entries(ext2_filsys h)
{
	return (h->blocksize - HEADER_SIZE) / ENTRY_SIZE;
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

errcode_t e2c_skip_inode(e2c_fs *fs, ext2_ino_t ino, struct ext2_inode *inode)
{
	errcode_t retval;
	int inuse = 1;

	/* The journal above all: e2fsck's bmap2extent never converts these
	 * either. */
	if (e2c_ino_reserved(fs, ino))
		return E2C_ERR_SKIP_RESERVED;
	if (inode->i_links_count && fs->h->inode_map) {
		retval = e2c_ib_test(fs, ino, &inuse);
		if (retval)
			return retval;
	}
	if (!inode->i_links_count || !inuse)
		return E2C_ERR_SKIP_UNLINKED;
	if (inode->i_flags & EXT4_INLINE_DATA_FL)
		return E2C_ERR_SKIP_INLINE;
	if (!e2c_inode_type_known(inode))
		return E2C_ERR_SKIP_TYPE;
	/* A fast symlink keeps its target in i_block: no map either way
	 * (nor one with EXTENTS_FL: the kernel never sets it there). */
	if (!e2c_inode_has_blocks(fs, inode))
		return E2C_ERR_SKIP_NO_BLOCKS;
	return 0;
}

/* Why ino cannot be migrated, from the inode alone (0: it can); any_map:
 * relocating, an extent tree is taken too (not a symlink's: one block,
 * nothing to gain, and e2fsck's symlink rules are the block map's). */
static errcode_t skip_reason(e2c_fs *fs, ext2_ino_t ino,
			     struct ext2_inode *inode, int any_map)
{
	ext2_filsys h = fs->h;
	errcode_t reason = e2c_skip_inode(fs, ino, inode);

	if (reason)
		return reason;
	if (inode->i_flags & EXT4_EXTENTS_FL) {
		if (!any_map)
			return E2C_ERR_SKIP_EXTENTS;
		return LINUX_S_ISLNK(inode->i_mode) ? E2C_ERR_SKIP_TYPE : 0;
	}
	/* An extent tree that lost its flag: read as a block map, its
	 * header would become block numbers and its extents be lost.  No
	 * block map passes this check but a corrupt one (its first two
	 * pointers would be 0xf30a + n * 65536 and a block 2 to 4). */
	if (!ext2fs_extent_header_verify(inode->i_block,
					 sizeof(inode->i_block)))
		return E2C_ERR_SKIP_EXTENT_FL;
	/* A size past the map's reach is corrupt (e2fsck's bound too):
	 * not an inode to touch. */
	if (EXT2_I_SIZE(inode) / h->blocksize +
	    (EXT2_I_SIZE(inode) % h->blocksize != 0) > e2c_blockmap_limit(fs))
		return E2C_ERR_SIZE_RANGE;
	return 0;
}

int e2c_map_corrupt(errcode_t code)
{
	return code == E2C_ERR_PTR_RANGE || code == E2C_ERR_PTR_METADATA ||
	       code == E2C_ERR_PTR_SHARED || code == E2C_ERR_LBLK_RANGE;
}

errcode_t e2c_collect_freed(struct e2c_collect *c, blk64_t blk, blk64_t len)
{
	struct e2c_range *last = c->nfreed ? &c->freed[c->nfreed - 1] : NULL;
	errcode_t retval;

	if (last && last->start + last->len == blk) {
		last->len += len;
		return 0;
	}
	retval = e2c_grow(&c->freed, &c->freed_cap, c->nfreed + 1,
		      sizeof(*c->freed));
	if (retval)
		return retval;
	c->freed[c->nfreed].start = blk;
	c->freed[c->nfreed].len = len;
	c->nfreed++;
	return 0;
}

void e2c_collect_free(struct e2c_collect *c)
{
	free(c->ext);
	free(c->freed);
	memset(c, 0, sizeof(*c));
}

errcode_t e2c_ext_put(struct ext3_extent *x, blk64_t lblk, blk64_t pblk,
		      blk64_t len, unsigned int flags)
{
	if (len > E2C_EXT_MAX(flags))
		return EXT2_ET_INVALID_ARGUMENT;
	x->ee_block = ext2fs_cpu_to_le32(lblk);
	x->ee_len = ext2fs_cpu_to_le16(len + (flags & E2C_UNINIT ?
					      EXT_INIT_MAX_LEN : 0));
	x->ee_start_hi = ext2fs_cpu_to_le16(pblk >> 32);
	x->ee_start = ext2fs_cpu_to_le32(pblk & 0xffffffffULL);
	return 0;
}

void e2c_ext_get(const struct ext3_extent *x, blk64_t *lblk, blk64_t *pblk,
		 blk64_t *len, unsigned int *flags)
{
	unsigned int l = ext2fs_le16_to_cpu(x->ee_len);

	*lblk = ext2fs_le32_to_cpu(x->ee_block);
	*pblk = ext2fs_le32_to_cpu(x->ee_start) |
		((blk64_t)ext2fs_le16_to_cpu(x->ee_start_hi) << 32);
	*flags = l > EXT_INIT_MAX_LEN ? E2C_UNINIT : 0;
	*len = l > EXT_INIT_MAX_LEN ? l - EXT_INIT_MAX_LEN : l;
}

/* The leaf extents of data run r (split at the length limit of its
 * kind), counted into plan and, with c, appended to c->ext in on-disk
 * format. */
static errcode_t add_run(const struct e2c_piece *r, struct e2c_plan *plan,
			 struct e2c_collect *c)
{
	blk64_t off, len, cap = E2C_EXT_MAX(r->flags);
	errcode_t retval;

	plan->runs++;
	for (off = 0; off < r->len; off += len) {
		len = r->len - off;
		if (len > cap)
			len = cap;
		plan->extents++;
		if (!c)
			continue;
		retval = e2c_grow(&c->ext, &c->ext_cap, plan->extents,
			      sizeof(*c->ext));
		if (retval)
			return retval;
		e2c_ext_put(&c->ext[plan->extents - 1], r->lblk + off,
			    r->pblk + off, len, r->flags & E2C_UNINIT);
	}
	return 0;
}

/* Where the pieces of one map walk go. */
struct walk {
	e2c_fs *fs;
	struct e2c_owners *build;	/* claiming for the owners map */
	struct e2c_plan *plan;
	struct e2c_collect *c;
	struct e2c_piece r;		/* the data run being coalesced */
	blk64_t end;			/* past the last data block seen */
	blk64_t init_end;		/* ... the last initialized one */
	int hole;			/* a hole before a data block */
	int stopped;			/* claiming: the map is corrupt from
					 * here on (claimed, not planned) */
	errcode_t err;			/* ... because of this piece */
};

/* Check the piece of the walk (0 when it is fine). */
static errcode_t check_piece(struct walk *w, const struct e2c_piece *p)
{
	int shared;
	errcode_t retval;

	/* The extent ends at ee_block + len in 32 bits: no block at
	 * 2^32-1, or it wraps (the kernel refuses such an extent). */
	if (p->kind == E2C_DATA && p->lblk + p->len > EXT_MAX_EXTENT_LBLK)
		return E2C_ERR_LBLK_RANGE;
	if (w->build)
		return 0;
	retval = e2c_fs_shared(w->fs, p->pblk, p->len, &shared);
	return !retval && shared ? E2C_ERR_PTR_SHARED : retval;
}

/* One piece of the map walk: counted and checked for blocks mapped twice
 * (here or by another inode: freeing a shared indirect block would hand
 * out a block still in use), or claimed while the owners map is being
 * built (every piece of the map, also past a bad pointer: planning stops
 * there, claiming goes on); an indirect block goes to c; data pieces are
 * coalesced into runs (holes stay holes) as e2c_map_next_run does, runs
 * into extents. */
static errcode_t take_piece(const struct e2c_piece *p, void *arg)
{
	struct walk *w = arg;
	errcode_t retval = 0;

	if (!p->len)
		return 0;
	if (w->build)
		e2c_owners_claim(w->build, p->pblk, p->len);
	w->stopped |= (p->flags & E2C_PAST_BAD) != 0;
	if (w->stopped)
		return 0;
	retval = check_piece(w, p);
	if (retval) {
		if (!w->build)
			return retval;
		w->stopped = 1;		/* the rest is claimed still */
		w->err = retval;
		return 0;
	}
	if (p->kind == E2C_DATA) {
		w->plan->data_blocks += p->len;
		w->hole |= p->lblk > w->end;
		w->end = p->lblk + p->len;
		if (!(p->flags & E2C_UNINIT))
			w->init_end = w->end;
	} else {
		w->plan->meta_freed++;
		if (w->c) {
			retval = e2c_collect_freed(w->c, p->pblk, 1);
			if (retval)
				return retval;
		}
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

/* Whether e2fsck keeps this slow symlink (e2fsck_pass1_check_symlink):
 * its target in block 0 alone, NUL-terminated inside it, as long as
 * i_size says.  A block that cannot be read fails, as it fails e2fsck. */
static int symlink_ok(e2c_fs *fs, struct ext2_inode *inode)
{
	ext2_filsys h = fs->h;
	blk_t blk = inode->i_block[0];
	char *buf;
	size_t len;
	int i, ok = 0;

	if (inode->i_size_high || !inode->i_size ||
	    (inode->i_flags & EXT2_INDEX_FL) || inode->i_size >= h->blocksize)
		return 0;
	for (i = 1; i < EXT2_N_BLOCKS; i++)
		if (inode->i_block[i])
			return 0;
	if (blk < h->super->s_first_data_block ||
	    blk >= ext2fs_blocks_count(h->super))
		return 0;
	buf = malloc(h->blocksize);
	if (buf && !io_channel_read_blk64(h->io, blk, 1, buf)) {
		len = inode->i_flags & EXT4_ENCRYPT_FL ?
			ext2fs_le16_to_cpu(*(__u16 *)buf) + 2U :
			strnlen(buf, h->blocksize);
		ok = len < h->blocksize && len == inode->i_size;
	}
	free(buf);
	return ok;
}

/* What e2fsck -f would change in an inode whose map was walked without
 * fault (pass 1's size, i_blocks and symlink checks, pass 2's directory
 * holes): 0, or the reason to leave it alone.  Migrating it would not
 * lose its data, but e2fsck's repair of the result would differ from its
 * repair of the original (a hole e2fsck would fill becomes an extent gap,
 * blocks past i_size one more extent to cut). */
static errcode_t e2fsck_would_fix(e2c_fs *fs, struct ext2_inode *inode,
				  const struct e2c_plan *plan,
				  const struct walk *w)
{
	ext2_filsys h = fs->h;
	struct ext2_super_block *sb = h->super;
	__u64 size = EXT2_I_SIZE(inode);

	if (LINUX_S_ISDIR(inode->i_mode)) {
		if (!plan->data_blocks || (size & (h->blocksize - 1)) ||
		    size / h->blocksize > w->end ||
		    w->end - size / h->blocksize > sb->s_prealloc_dir_blocks)
			return E2C_ERR_SKIP_SIZE;
		if (w->hole)
			return E2C_ERR_SKIP_DIR_HOLE;
		if (!ext2fs_has_feature_largedir(sb) && !inode->i_size_high &&
		    w->end - 1 > (1ULL << (21 - sb->s_log_block_size)))
			return E2C_ERR_SKIP_SIZE;
	} else if (LINUX_S_ISLNK(inode->i_mode)) {
		if (!symlink_ok(fs, inode))
			return E2C_ERR_SKIP_SYMLINK;
	} else if (w->init_end && size < (w->init_end - 1) * h->blocksize) {
		/* blocks past i_size (uninitialized ones are allowed: an
		 * extent tree's preallocation, as e2fsck allows them) */
		return E2C_ERR_SKIP_SIZE;
	}
	return e2c_iblocks_match(h, inode,
				 plan->data_blocks + plan->meta_freed) ?
	       0 : E2C_ERR_SKIP_IBLOCKS;
}

int e2c_iblocks_match(ext2_filsys h, struct ext2_inode *inode,
		      blk64_t mapped)
{
	struct ext2_super_block *sb = h->super;
	blk64_t nblocks, expect;

	/* i_blocks counts the map's blocks and the EA block (and, with
	 * ea_inode, the EA inodes' blocks: only a lower bound then). */
	nblocks = mapped + (ext2fs_file_acl_block(h, inode) != 0);
	expect = ext2fs_has_feature_huge_file(sb) &&
		 (inode->i_flags & EXT4_HUGE_FILE_FL) ?
		 nblocks : nblocks * (h->blocksize / 512);
	return !(ext2fs_has_feature_ea_inode(sb) ?
		 ext2fs_inode_i_blocks(h, inode) < expect :
		 ext2fs_inode_i_blocks(h, inode) != expect ||
		 (ext2fs_has_feature_huge_file(sb) &&
		  (inode->i_flags & EXT4_HUGE_FILE_FL) &&
		  inode->osd2.linux2.l_i_blocks_hi));
}

/* One walk of the map, every piece through take_piece; then what e2fsck
 * would make of the inode (into plan->skip). */
static errcode_t scan_map(e2c_fs *fs, ext2_ino_t ino, struct ext2_inode *inode,
			  struct e2c_plan *plan, struct e2c_collect *c,
			  struct e2c_owners *build)
{
	struct walk w = { fs, build, plan, c, { 0 }, 0, 0, 0, 0, 0 };
	errcode_t retval;

	if (build) {
		retval = e2c_map_each_all(fs, ino, inode, take_piece, &w);
		if (w.err && (!retval || e2c_map_corrupt(retval)))
			retval = w.err;	/* it came first */
	} else {
		retval = e2c_map_each(fs, ino, inode, take_piece, &w);
	}
	if (!retval && w.r.len)
		retval = add_run(&w.r, plan, c);
	if (!retval)
		plan->skip = e2fsck_would_fix(fs, inode, plan, &w);
	return retval;
}

void e2c_plan_fit(struct e2c_plan *plan, blk64_t avail)
{
	if (!plan->skip && plan->index_blocks > avail) {
		plan->skip = E2C_ERR_SKIP_NO_SPACE;
		plan->free_blocks = avail;
	}
}

errcode_t e2c_iblocks_swap(ext2_filsys h, struct ext2_inode *inode,
			   blk64_t meta_freed, blk64_t index_blocks)
{
	errcode_t retval;

	retval = ext2fs_iblk_sub_blocks(h, inode, meta_freed);
	if (!retval)
		retval = ext2fs_iblk_add_blocks(h, inode, index_blocks);
	return retval;
}

errcode_t e2c_iblocks_after(ext2_filsys h, const struct ext2_inode *inode,
			       struct e2c_plan *plan)
{
	struct ext2_inode copy = *inode;
	errcode_t retval;

	retval = e2c_iblocks_swap(h, &copy, plan->meta_freed,
				  plan->index_blocks);
	if (!retval)
		plan->iblocks_after = ext2fs_get_stat_i_blocks(h, &copy);
	return retval;
}

void e2c_plan_tree(ext2_filsys h, struct e2c_plan *plan)
{
	tree_shape(plan->extents, node_entries(h), &plan->depth,
		   &plan->index_blocks);
	plan->used_delta = (long long)plan->index_blocks -
			   (long long)plan->meta_freed;
}

errcode_t e2c_plan_from(e2c_fs *fs, ext2_ino_t ino, struct ext2_inode *inode,
			struct e2c_plan *plan, struct e2c_collect *c,
			int *walked, struct e2c_owners *build)
{
	return e2c_plan_any(fs, ino, inode, plan, c, walked, 0, build);
}

errcode_t e2c_plan_any(e2c_fs *fs, ext2_ino_t ino, struct ext2_inode *inode,
		       struct e2c_plan *plan, struct e2c_collect *c,
		       int *walked, int any_map, struct e2c_owners *build)
{
	ext2_filsys h = fs->h;
	errcode_t retval = 0;

	memset(plan, 0, sizeof(*plan));
	plan->ino = ino;
	plan->iblocks_before = ext2fs_get_stat_i_blocks(h, inode);
	plan->iblocks_after = plan->iblocks_before;

	plan->skip = skip_reason(fs, ino, inode, any_map);
	*walked = !plan->skip;
	if (!plan->skip)
		retval = scan_map(fs, ino, inode, plan, c, build);
	if (e2c_map_corrupt(retval)) {
		plan->skip = retval;
		retval = 0;
	}
	if (retval)
		goto errout;
	if (!plan->skip) {
		e2c_plan_tree(h, plan);
		/* i_blocks was checked against the map: this cannot fail. */
		plan->skip = e2c_iblocks_after(h, inode, plan);
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

/* Plan ino (un: its reverse migration), read first. */
static errcode_t plan_ino(e2c_fs *fs, ext2_ino_t ino, struct e2c_plan *plan,
			  struct e2c_collect *c, int un)
{
	struct ext2_inode *inode;
	errcode_t retval;
	int walked;

	memset(plan, 0, sizeof(*plan));
	plan->ino = ino;
	plan->unmigrate = un;
	inode = calloc(1, e2c_inode_buf_size(fs));
	if (!inode)
		return ENOMEM;
	retval = e2c_read_inode(fs, ino, inode);
	if (!retval)
		retval = (un ? e2c_unplan_from : e2c_plan_from)(fs, ino, inode,
								plan, c,
								&walked, NULL);
	free(inode);
	return retval;
}

errcode_t e2c_plan_collect(e2c_fs *fs, ext2_ino_t ino, struct e2c_plan *plan,
			   struct e2c_collect *c)
{
	return plan_ino(fs, ino, plan, c, 0);
}

errcode_t e2c_unplan_collect(e2c_fs *fs, ext2_ino_t ino, struct e2c_plan *plan,
			     struct e2c_collect *c)
{
	return plan_ino(fs, ino, plan, c, 1);
}

/* Plan ino, the free blocks checked. */
static errcode_t plan_fitted(e2c_fs *fs, ext2_ino_t ino,
			     struct e2c_plan *plan, int un)
{
	errcode_t retval;

	retval = plan_ino(fs, ino, plan, NULL, un);
	if (!retval)
		e2c_plan_fit(plan, ext2fs_free_blocks_count(fs->h->super));
	return retval;
}

errcode_t e2c_plan_inode(e2c_fs *fs, ext2_ino_t ino, struct e2c_plan *plan)
{
	return plan_fitted(fs, ino, plan, 0);
}

errcode_t e2c_unplan_inode(e2c_fs *fs, ext2_ino_t ino, struct e2c_plan *plan)
{
	return plan_fitted(fs, ino, plan, 1);
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

errcode_t e2c_tree_build(e2c_fs *fs, const struct e2c_plan *plan,
			 const struct ext3_extent *ext, const blk64_t *pblks,
			 __u32 root[EXT2_N_BLOCKS], char *nodes)
{
	ext2_filsys h = fs->h;
	blk64_t cap = node_entries(h), n = plan->extents, k = 0;
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
			char *blk = nodes + k * h->blocksize;
			struct ext3_extent_idx *ix;

			memset(blk, 0, h->blocksize);
			fill_node(blk, src, n - j * cap < cap ? n - j * cap : cap,
				  cap, depth);
			retval = ext2fs_extent_header_verify(blk,
							     h->blocksize);
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

errcode_t e2c_direct_root(e2c_fs *fs, struct ext2_inode *inode,
			  __u32 root[EXT2_N_BLOCKS])
{
	struct e2c_piece p[EXT2_NDIR_BLOCKS];
	struct ext3_extent ext[ROOT_ENTRIES];
	struct e2c_plan plan;
	blk64_t data = 0;
	size_t i, n;
	errcode_t retval;

	if (!e2c_inode_has_blocks(fs, inode) || !e2c_map_direct_only(inode))
		return E2C_ERR_STAGE_CHANGED;
	retval = e2c_map_direct_runs(fs, inode, p, &n);
	if (e2c_map_corrupt(retval) || n > ROOT_ENTRIES)
		return E2C_ERR_STAGE_CHANGED;
	if (retval)
		return retval;
	/* Runs of at most 12 blocks: an extent each. */
	for (i = 0; i < n; i++) {
		e2c_ext_put(&ext[i], p[i].lblk, p[i].pblk, p[i].len, 0);
		data += p[i].len;
	}
	if (!e2c_iblocks_match(fs->h, inode, data))
		return E2C_ERR_STAGE_CHANGED;
	memset(&plan, 0, sizeof(plan));
	plan.extents = n;
	return e2c_tree_build(fs, &plan, ext, NULL, root, NULL);
}

blk64_t e2c_tree_blocks(e2c_fs *fs, blk64_t extents)
{
	blk64_t nodes;
	int depth;

	tree_shape(extents, node_entries(fs->h), &depth, &nodes);
	return nodes;
}

void e2c_plan_detail(const struct e2c_plan *p, char *buf, size_t len)
{
	blk64_t need = p->relocate ? p->data_blocks + p->index_blocks :
			p->index_blocks;

	if (p->skip != E2C_ERR_SKIP_NO_SPACE)
		snprintf(buf, len, "%s", "");
	else if (p->relocate)
		snprintf(buf, len, "needs %llu free block%s (data and index), "
			 "%llu free", (unsigned long long)need,
			 need == 1 ? "" : "s",
			 (unsigned long long)p->free_blocks);
	else
		snprintf(buf, len, "needs %llu %s block%s, %llu free",
			 (unsigned long long)need,
			 p->unmigrate ? "indirect" : "index", need == 1 ? "" : "s",
			 (unsigned long long)p->free_blocks);
}
