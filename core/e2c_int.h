/*
 * e2c_int.h -- private to core/: the e2c_fs struct and what core's files
 * hand each other (the owners map, the allocator, planning to staging,
 * the undo file's set-up).  Not part of the e2c.h contract: nothing
 * outside core/ includes it but the core's own unit tests
 * (tests/unit/test_alloc.c: the allocator, test_layout.c: the relocation
 * layout; tests/t_build_contract.sh checks).
 *
 * Names (the one convention, core and callers alike): an e2c_fs * is
 * "fs"; its libext2fs handle is fs->h inside core, e2c_fs_handle(fs)
 * outside, and a local ext2_filsys is "h".
 */
#ifndef E2C_INT_H
#define E2C_INT_H

#include "e2c.h"
#include <ext2fs/ext3_extents.h>	/* needs the types ext2fs.h defines */
#include <openssl/opensslv.h>

/* The libcrypto e2lua loads at first use (core/content.c): the soname of
 * the one whose headers it was built with. */
#define E2C_STR_(x) #x
#define E2C_STR(x) E2C_STR_(x)
#define E2C_CRYPTO_SONAME "libcrypto.so." E2C_STR(OPENSSL_SHLIB_VERSION)

struct e2c_fs {
	ext2_filsys h;		/* the libext2fs handle */
	char *path;		/* as given to e2c_fs_open */
	int writable;		/* opened with opts.write */
	int catastrophic;	/* no bitmaps loaded */
	int lock_fd;		/* flock()ed fd while writable, else -1 */
	int committed;		/* something was written: close flushes */
	ext2fs_block_bitmap meta; /* lazily built map of fs metadata */
	ext2fs_block_bitmap owned; /* lazily: blocks some inode maps */
	ext2fs_block_bitmap shared; /* lazily: blocks mapped more than once */
	struct e2c_owners *building; /* owned/shared being built by a scan
				 * (its context is the scan's: this only
				 * says E2C_ERR_SCANNING to the others) */
	ext2_ino_t hidden_ino;	/* with owned: the first inode in use but
				 * free in the inode bitmap (0: none) */
	errcode_t bitmaps_err;	/* e2c_fs_check_bitmaps's answer, once */
	int bitmaps_known;	/* ... it was computed for these maps */
	struct e2c_map *spare_map; /* the last cursor closed, for reuse */
	struct e2c_tx *tx;	/* the open transaction, if any */
	unsigned long tx_gen;	/* transactions begun (e2c_tx_generation) */
	int partition;		/* opened inside this partition (0: none) */
	unsigned long long offset, part_size;	/* ... at these bytes */
	dgrp_t backups;		/* lazily: groups with a backup superblock */
	int backups_known;	/* ... counted */
	struct e2c_undo *undo;	/* opts.undo_file's state (core/undo.c) */
	struct e2c_dirty *dirty; /* writable: groups changed (core/flush.c) */
	struct e2c_loaded *loaded; /* groups whose bitmaps are loaded
				 * (core/bitmaps.c; NULL: no bitmaps, -c) */
	errcode_t load_err;	/* a bitmap changed where it was never
				 * loaded, or could not be: flushes fail */
	struct e2c_meta_walk *walks; /* with meta: the reserved inodes' maps
				 * it walked (core/fs.c) */
	size_t nwalks;
	ext2_ino_t walks_max;	/* ... the highest of their numbers */
};

/* Partition number of the image, which must hold ext2/3/4:
 * E2C_ERR_NO_PARTITIONS, E2C_ERR_PART_RANGE, E2C_ERR_PART_NOT_EXT. */
errcode_t e2c_part_find(const char *path, int number, struct e2c_part *ret);
/* Whether the filesystem found is ext2, ext3 or ext4. */
int e2c_part_is_ext(const struct e2c_part *p);

errcode_t e2c_undo_ready(e2c_fs *fs);

/* For e2c_fs_open2: set the undo file up (*io becomes undo_io over a
 * wrapper of it); whether an ext2fs_open2 error is the undo file's; and
 * the end (removing the undo file this open created when the open failed
 * or nothing was written). */
errcode_t e2c_undo_open(e2c_fs *fs, const char *image, const char *path,
			io_manager *io);
int e2c_undo_blames(e2c_fs *fs, errcode_t code);
void e2c_undo_close(e2c_fs *fs, int failed);

/* Whether ino is reserved: below s_first_ino (or 11) other than the root,
 * or an inode the superblock names (journal, quota, orphan file).  Never
 * migrated; its blocks count as metadata. */
int e2c_ino_reserved(e2c_fs *fs, ext2_ino_t ino);

/*
 * The allocator: n blocks, searching up from goal and wrapping, each free
 * both in the block bitmap and in taken (the caller's reservations; a
 * copy of the block bitmap holding them works too), marked in taken,
 * into out.  A candidate that is metadata or mapped by an inode is
 * never returned, whatever the bitmap says: that disagreement fails the
 * call with E2C_ERR_BLOCK_BITMAP.  While the owners map is being built
 * (build: the scan's context) mapped blocks cannot be known yet:
 * *unverified is set and the caller checks out[] once it is built.  Fewer than n free:
 * EXT2_ET_BLOCK_ALLOC_FAIL.  On failure nothing is marked.
 */
errcode_t e2c_alloc_blocks(e2c_fs *fs, ext2fs_block_bitmap taken, blk64_t goal,
			   blk64_t n, blk64_t *out,
			   const struct e2c_owners *build, int *unverified);

/*
 * A run of free blocks for data (relocation, core/reloc.c): the free-range
 * cursor's first fit from goal (core/free.c: the first free extent of at
 * least want blocks from goal on, then from the start; else the longest)
 * over the block bitmap, taken, the metadata and the owners maps (built
 * first: E2C_ERR_SCANNING while a scan builds them), so a block the
 * bitmap wrongly calls free is never given.  *len is at most want; the
 * run is marked in taken.  EXT2_ET_BLOCK_ALLOC_FAIL: no free block.
 */
errcode_t e2c_alloc_range(e2c_fs *fs, ext2fs_block_bitmap taken, blk64_t goal,
			  blk64_t want, blk64_t *blk, blk64_t *len);
/* want blocks in as few ranges as free space allows, as many calls of
 * e2c_alloc_range from goal on would give them (the first range from the
 * goal that holds all that is left, else the longest there is: greedy,
 * longest first), but the free ranges listed and sorted once when the
 * first call finds none that holds it all, so a fragmented filesystem
 * costs one pass, not one per range.  *out (malloc()ed, *n ranges) in the
 * order taken, all marked in taken; on failure nothing is marked.
 * Interruptible. */
errcode_t e2c_alloc_ranges(e2c_fs *fs, ext2fs_block_bitmap taken,
			   blk64_t goal, blk64_t want,
			   struct e2c_blkrange **out, size_t *n);

/* Whether any of blk..blk+len-1 is mapped more than once (by two inodes,
 * or twice by one), and whether blk is mapped by any inode.  The first
 * call walks every in-use inode's map (core/owners.c); the answer is kept
 * until close.  Interruptible (E2C_ERR_INTERRUPTED). */
errcode_t e2c_fs_shared(e2c_fs *fs, blk64_t blk, blk64_t len, int *shared);
errcode_t e2c_fs_owned(e2c_fs *fs, blk64_t blk, int *owned);
/*
 * Building owned/shared inside a scan of one's own (core/select.c does,
 * to walk every map once): e2c_owners_begin gives the build context;
 * then for every in-use inode claim its EA block and every piece of its
 * map (claim_map walks it; or claim each piece of a walk made anyway),
 * then end (complete: publish the maps; else drop them, and the context).
 * The scan's own planning and staging are handed the context
 * (e2c_plan_from, e2c_tx_stage_planned, e2c_alloc_blocks; NULL for
 * everyone else): they claim their pieces instead of checking for shared
 * blocks, and allocate without knowing the owners; the scan checks
 * e2c_owners_any_shared and e2c_tx_verify once the maps are published.
 * Anything else needing the maps meanwhile gets E2C_ERR_SCANNING
 * (e2c_owners_building says whether a build runs).
 */
struct e2c_owners;
errcode_t e2c_owners_begin(e2c_fs *fs, struct e2c_owners **build);
void e2c_owners_claim(struct e2c_owners *build, blk64_t blk, blk64_t len);
void e2c_owners_claim_ea(struct e2c_owners *build, struct ext2_inode *inode);
void e2c_owners_claim_map(struct e2c_owners *build, ext2_ino_t ino,
			  struct ext2_inode *inode);
/* An inode in use though free in the inode bitmap (e2c_scan_hidden):
 * its EA block and map claimed, the disagreement noted. */
void e2c_owners_claim_hidden(struct e2c_owners *build, ext2_ino_t ino,
			     struct ext2_inode *inode);
void e2c_owners_end(struct e2c_owners *build, int complete);
/* Claims kept apart from any build (every map a red-black tree): claim
 * into it with e2c_owners_claim, then e2c_owners_claim_set claims all
 * of it into a build as claiming the same pieces there would have. */
errcode_t e2c_owners_new(e2c_fs *fs, struct e2c_owners **ret);
void e2c_owners_claim_set(struct e2c_owners *build,
			  const struct e2c_owners *set);
void e2c_owners_free(struct e2c_owners *o);
/* Claim reserved inode ino's map (inode as read) into build from what
 * building the metadata map recorded when it walked the same inode (the
 * resize inode's map alone is 768 reserved GDT blocks to read): 1, or 0
 * when nothing was recorded for it (the caller walks it). */
int e2c_fs_meta_claims(e2c_fs *fs, ext2_ino_t ino,
		       const struct ext2_inode *inode,
		       struct e2c_owners *build);
int e2c_owners_building(e2c_fs *fs);
/* Whether the published map has any block mapped twice. */
int e2c_owners_any_shared(e2c_fs *fs);
/* A commit freed blk..blk+len-1, which only the migrated inode mapped. */
void e2c_fs_unmap(e2c_fs *fs, blk64_t blk, blk64_t len);
void e2c_fs_free_owners(e2c_fs *fs);

/* The highest logical block a block map can address + 1. */
blk64_t e2c_blockmap_limit(e2c_fs *fs);

/* Every piece of ino's map, in e2c_map_next's order, to fn until it
 * returns nonzero (returned) or the walk fails (its error, after the
 * pieces before the bad pointer).  A block map whose indirect slots are
 * empty is walked without a cursor: a scan meets such inodes by the
 * hundred thousand.  An inode without blocks walks as empty. */
typedef errcode_t (*e2c_piece_fn)(const struct e2c_piece *p, void *arg);
errcode_t e2c_map_each(e2c_fs *fs, ext2_ino_t ino, struct ext2_inode *inode,
		       e2c_piece_fn fn, void *arg);

/* Whether inode's map is a block map whose indirect slots are empty
 * (neither an extent tree nor inline data): most inodes of a scan. */
int e2c_map_direct_only(const struct ext2_inode *inode);
/* The pieces of such a map (at most 12: runs of consecutive slots) into
 * p, *n of them, as e2c_map_each gives them, but with pointers checked
 * against the filesystem's size only, not its metadata: the pieces before
 * the first outside it, and E2C_ERR_PTR_RANGE. */
errcode_t e2c_map_direct_runs(e2c_fs *fs, const struct ext2_inode *inode,
			      struct e2c_piece p[EXT2_NDIR_BLOCKS], size_t *n);

/* The same, but a bad pointer does not end the walk, as it does not end
 * e2fsck's: one outside the filesystem is skipped (with what is under
 * it), one into metadata is followed (an indirect block there is read as
 * one), a bad extent node is skipped with its subtree; every piece from
 * the first such on carries E2C_PAST_BAD.  Returns the first walk error
 * (what e2c_map_each returns) after the whole walk, or fn's nonzero
 * return at once.  Who may own what (core/owners.c) walks this way: the
 * blocks past a bad pointer may be in use. */
errcode_t e2c_map_each_all(e2c_fs *fs, ext2_ino_t ino,
			   struct ext2_inode *inode, e2c_piece_fn fn, void *arg);

/* Free the cursor kept for reuse (e2c_fs_close does). */
void e2c_map_free_spare(e2c_fs *fs);

/* The same, also returning the inodes the bitmap calls free that look in
 * use as e2fsck sees them (links_count > 0, or a mode without dtime): the
 * tables of the groups where the inode bitmap or the descriptor's free
 * count says an inode may be in use are read whole (within itable_unused
 * with uninit_bg); a group both call empty is not (doc/errors.md: the
 * residual risk).  e2c_scan_hidden says whether the inode last returned
 * was one of those. */
errcode_t e2c_scan_open_live(e2c_fs *fs, e2c_scan **ret);
int e2c_scan_hidden(const e2c_scan *s);

/* The same over a live scan (e2c_scan_open_live): the inodes in use the
 * bitmap calls free go to hidden_fn. */
errcode_t e2c_scan_each_live(e2c_fs *fs, e2c_inode_fn fn, e2c_inode_fn hidden_fn,
			     void *priv);

/* The non-root blocks of the smallest extent tree holding this many leaf
 * extents (the tree a migration builds). */
blk64_t e2c_tree_blocks(e2c_fs *fs, blk64_t extents);

/* e2c_plan_inode for an inode already read (a scan's); c (below) may be
 * NULL.  *walked says whether the map was walked (the inode alone gave no
 * reason to skip): with build (the owners map being built by the caller's
 * scan, e2c_owners_begin; else NULL), that walk claimed its pieces
 * instead of checking them for sharing. */
struct e2c_collect;
errcode_t e2c_plan_from(e2c_fs *fs, ext2_ino_t ino, struct ext2_inode *inode,
			struct e2c_plan *plan, struct e2c_collect *c,
			int *walked, struct e2c_owners *build);

/* Staging done while the owners map was being built (e2c_select_scan
 * with a tx) reserved index blocks without asking it: once it is built,
 * *clash says whether one of them is mapped by an inode after all (a
 * corrupt bitmap; roll back and stage again). */
errcode_t e2c_tx_verify(e2c_tx *tx, int *clash);

/* The blocks committing tx would change, read-only: fn(ino, start, len,
 * inuse, arg) for each run of a staged inode's new index blocks and, when
 * relocating, new data blocks (inuse 1) and of the old indirect blocks
 * (and old data) it frees (inuse 0), until fn returns nonzero
 * (returned).  Inodes whose map is their direct blocks change no block
 * and are not reported. */
typedef errcode_t (*e2c_tx_block_fn)(ext2_ino_t ino, blk64_t start,
				     blk64_t len, int inuse, void *arg);
errcode_t e2c_tx_blocks(e2c_tx *tx, e2c_tx_block_fn fn, void *arg);

/* Turn ef's features on and off in sb. */
void e2c_effects_apply(const struct e2c_effects *ef,
		       struct ext2_super_block *sb);
/* Add turning off the features of bits (1 << E2C_FEATURE_*) that sb has
 * to ef, with the backups rewritten and the not-clean state they
 * bring. */
void e2c_effects_clear(e2c_fs *fs, unsigned bits, struct e2c_effects *ef);

/* Planning to staging (core/plan.c, core/tx.c, core/select.c). */

/* A run of blocks (the old indirect blocks to release). */
struct e2c_range {
	blk64_t start;
	blk64_t len;
};

/* What staging needs beyond the plan: the leaf extents in logical order
 * (on-disk format) and the indirect blocks the old map used. */
struct e2c_collect {
	struct ext3_extent *ext;	/* plan.extents entries */
	size_t ext_cap;
	struct e2c_range *freed;	/* runs covering plan.meta_freed */
	size_t nfreed, freed_cap;
};

/* e2c_plan_inode, also filling c (when not NULL and the inode is
 * migratable).  The caller frees c with e2c_collect_free. */
errcode_t e2c_plan_collect(e2c_fs *fs, ext2_ino_t ino, struct e2c_plan *plan,
			   struct e2c_collect *c);
void e2c_collect_free(struct e2c_collect *c);
/* Add blk..blk+len-1 to c's freed runs (merged with the last one when
 * they touch). */
errcode_t e2c_collect_freed(struct e2c_collect *c, blk64_t blk, blk64_t len);

/* Walk errors that mean "this map is corrupt": a reason to skip. */
int e2c_map_corrupt(errcode_t code);

/* Whether inode's i_blocks is what mapped blocks (data and map blocks)
 * and its EA block make, as e2fsck counts it (huge_file aware). */
int e2c_iblocks_match(ext2_filsys h, struct ext2_inode *inode,
		      blk64_t mapped);

/* e2c_plan_from; any_map: an extent-mapped inode is walked and planned
 * too (relocation: its extents in c->ext, its tree blocks in c->freed
 * and meta_freed). */
errcode_t e2c_plan_any(e2c_fs *fs, ext2_ino_t ino, struct ext2_inode *inode,
		       struct e2c_plan *plan, struct e2c_collect *c,
		       int *walked, int any_map, struct e2c_owners *build);
/* From plan->extents and meta_freed: the packed tree's depth and
 * index_blocks, and used_delta. */
void e2c_plan_tree(ext2_filsys h, struct e2c_plan *plan);
/* i_blocks after the swap of plan's blocks, into plan->iblocks_after. */
errcode_t e2c_iblocks_after(ext2_filsys h, const struct ext2_inode *inode,
			struct e2c_plan *plan);

/* The length limit of an extent of these flags (E2C_UNINIT: 32767). */
#define E2C_EXT_MAX(flags) ((flags) & E2C_UNINIT ? \
			    EXT_UNINIT_MAX_LEN : EXT_INIT_MAX_LEN)
/* An extent in on-disk format, from and to its fields (len at most
 * E2C_EXT_MAX(flags): EXT2_ET_INVALID_ARGUMENT). */
errcode_t e2c_ext_put(struct ext3_extent *x, blk64_t lblk, blk64_t pblk,
		      blk64_t len, unsigned int flags);
void e2c_ext_get(const struct ext3_extent *x, blk64_t *lblk, blk64_t *pblk,
		 blk64_t *len, unsigned int *flags);

/* A migratable plan whose index blocks outnumber avail, the free blocks
 * it may have, becomes E2C_ERR_SKIP_NO_SPACE (with free_blocks). */
void e2c_plan_fit(struct e2c_plan *plan, blk64_t avail);

/* Stage the inode of plan p (migratable), its runs collected in c by
 * e2c_plan_from: c's list of old indirect blocks is taken over, c is
 * left for the caller to free or reuse.  build: as e2c_plan_from's (its
 * index blocks are then reserved unverified: e2c_tx_verify). */
errcode_t e2c_tx_stage_planned(e2c_tx *tx, const struct e2c_plan *p,
			       struct e2c_collect *c,
			       const struct e2c_owners *build);

/* Turn inode's i_blocks into what it is after the swap: minus meta_freed
 * indirect blocks, plus index_blocks, in the fs's units (huge_file
 * aware).  EOVERFLOW when i_blocks is below the freed count (corrupt). */
errcode_t e2c_iblocks_swap(ext2_filsys h, struct ext2_inode *inode,
			   blk64_t meta_freed, blk64_t index_blocks);

/*
 * Lay out the tree of plan->extents leaf extents: root[] gets the new
 * i_block, nodes (plan->index_blocks blocks) the non-root nodes, the k-th
 * of which goes to pblks[k].  Every node is checked with
 * ext2fs_extent_header_verify; checksum tails are left to the writer.
 */
errcode_t e2c_tree_build(e2c_fs *fs, const struct e2c_plan *plan,
			 const struct ext3_extent *ext, const blk64_t *pblks,
			 __u32 root[EXT2_N_BLOCKS], char *nodes);

/* The root of a migrated inode whose map is its direct slots alone
 * (staged as a bit: core/tx.c), built from those slots: their runs (at
 * most 4) as extents.  E2C_ERR_STAGE_CHANGED when the inode is no longer
 * such a map: a block map with blocks and no indirect slot, whose
 * pointers are in the filesystem, in at most 4 runs, that i_blocks
 * counts.  (The rest was checked when it was planned and staged.) */
errcode_t e2c_direct_root(e2c_fs *fs, struct ext2_inode *inode,
			  __u32 root[EXT2_N_BLOCKS]);

/* ---- reverse migration (core/unmigrate.c) ---- */

/* Why an inode is left alone either way, from the inode alone: reserved,
 * unlinked, inline, of an unknown type, without a map (core/plan.c). */
errcode_t e2c_skip_inode(e2c_fs *fs, ext2_ino_t ino, struct ext2_inode *inode);

/* e2c_unplan_inode for an inode already read, and by number; c may be
 * NULL; *walked (may be NULL) and build (NULL but in the scan building
 * the owners map: then the walk claims) as for e2c_plan_from. */
errcode_t e2c_unplan_from(e2c_fs *fs, ext2_ino_t ino, struct ext2_inode *inode,
			  struct e2c_plan *plan, struct e2c_collect *c,
			  int *walked, struct e2c_owners *build);
errcode_t e2c_unplan_collect(e2c_fs *fs, ext2_ino_t ino,
			     struct e2c_plan *plan, struct e2c_collect *c);
/* e2c_tx_stage_planned of an unmigrate plan (it dispatches here). */
errcode_t e2c_unmigrate_stage(e2c_tx *tx, const struct e2c_plan *p,
			      struct e2c_collect *c,
			      const struct e2c_owners *build);
/* The commit's check of a feature clear: every inode scanned,
 * E2C_ERR_EXTENTS_LEFT with *first and *count when one will still be
 * extent-mapped. */
errcode_t e2c_unmigrate_check_clear(e2c_tx *tx, ext2_ino_t *first,
				    size_t *count);

/*
 * Hooks for staging of other kinds (core/unmigrate.c) into a tx.
 * stage_check: whether ino may be staged now (the tx's bitmaps made;
 * build as e2c_tx_stage_planned's).
 * reserve/unreserve: blocks from the tx's reservations (e2c_alloc_blocks
 * on its "taken" bitmap).  stage_built: keep the record of plan p (its
 * unmigrate flag says which way the commit turns the inode): root the
 * new i_block (a block map in host order, or an extent root), pblks[]
 * and nodes its p->index_blocks new blocks (taken over on success), c's
 * freed runs released at step 4 (taken over).  staged_as: 0 ino is not
 * staged, 1 to migrate, 2 to unmigrate (during a commit only: the
 * records are sorted then).
 */
errcode_t e2c_tx_stage_check(e2c_tx *tx, ext2_ino_t ino,
			     const struct e2c_owners *build);
errcode_t e2c_tx_reserve(e2c_tx *tx, blk64_t goal, blk64_t n, blk64_t *out,
			 const struct e2c_owners *build);
void e2c_tx_unreserve(e2c_tx *tx, const blk64_t *blks, blk64_t n);
errcode_t e2c_tx_stage_built(e2c_tx *tx, const struct e2c_plan *p,
			     const __u32 root[EXT2_N_BLOCKS], blk64_t *pblks,
			     char *nodes, struct e2c_collect *c);
int e2c_tx_staged_as(e2c_tx *tx, ext2_ino_t ino);
e2c_fs *e2c_tx_fs(e2c_tx *tx);

/*
 * The block map of n initialized data extents ext[] (logical order,
 * on-disk format) on a filesystem of blocksize bytes: root[] the new
 * i_block (host order), nodes the indirect blocks in pre-order (IND
 * before the data it maps, DIND before its INDs: little-endian), each
 * numbered by alloc(arg, before, after, &blk) when it is met: before is
 * where ext3 lays it out (a level-d block d blocks before the first data
 * block it maps, its first child after it), after the block after the
 * last data block placed before it (or its own first data block): a
 * migrate -> unmigrate round trip finds the blocks migrate freed.  With
 * alloc NULL it only counts: *count indirect blocks, *depth the deepest
 * level (0 direct only .. 3 TIND); root and nodes may be NULL then.
 * E2C_ERR_SKIP_HIGH_BLOCK, E2C_ERR_SKIP_TOO_BIG for what a block map
 * cannot hold.
 */
typedef errcode_t (*e2c_bmap_alloc_fn)(void *arg, blk64_t before,
				       blk64_t after, blk64_t *blk);
errcode_t e2c_bmap_build(unsigned blocksize, const struct ext3_extent *ext,
			 size_t n, e2c_bmap_alloc_fn alloc, void *arg,
			 __u32 root[EXT2_N_BLOCKS], char *nodes,
			 blk64_t *count, int *depth);

/* ---- relocation (core/layout.c, core/reloc.c) ---------------------- */

/* One piece of a relocation: len blocks at lblk move from src to dst. */
struct e2c_move {
	blk64_t lblk, src, dst, len;
	unsigned int flags;	/* E2C_UNINIT: given blocks, not copied */
};

struct e2c_layout {
	struct e2c_move *moves;	/* in logical order */
	size_t nmoves;
	struct ext3_extent *ext;	/* the new leaf extents */
	size_t next;
	blk64_t runs;		/* ... not counting splits at the limit */
	blk64_t copy_blocks;	/* initialized blocks moved */
};

/* The fewest extents n extents' data could have (frag.c's ideal): data
 * islands, each split at the length limit of its kind. */
blk64_t e2c_layout_ideal(const struct ext3_extent *src, size_t n);
/* Lay the n extents of src (on-disk format, logical order) out on the
 * ranges dst, filled in order (core/layout.c).  Fewer blocks in dst than
 * data: EXT2_ET_BLOCK_ALLOC_FAIL.  Free l with e2c_layout_free. */
errcode_t e2c_layout(const struct ext3_extent *src, size_t n,
		     const struct e2c_blkrange *dst, size_t ndst,
		     struct e2c_layout *l);
void e2c_layout_free(struct e2c_layout *l);

/* A staged relocation, what the commit needs beyond an in-place record:
 * the plan as staged, the moves, the data ranges reserved. */
struct e2c_reloc {
	struct e2c_plan plan;
	struct e2c_move *moves;
	size_t nmoves;
	struct e2c_blkrange *dst;	/* reserved in the tx's taken map */
	size_t ndst;
	int verify;
	struct e2c_chunk {		/* verify: what was written */
		blk64_t dst, len;
		unsigned long long sum;
	} *chunks;
	size_t nchunks, chunks_cap;
};

/*
 * Plan relocating ino (inode read; avail: the blocks free for it): the
 * walk of e2c_plan_any, then its data laid out on free ranges reserved in
 * taken (e2c_alloc_range from the goal, as many as the data needs,
 * longest first when none holds it all).  c gets the new extents and the
 * blocks the commit frees (old map and data blocks).  A skip (plan->skip)
 * reserves nothing and leaves *ret NULL; else *ret holds the moves and
 * ranges (free with e2c_reloc_free, which does not unreserve).
 */
errcode_t e2c_reloc_plan(e2c_fs *fs, ext2fs_block_bitmap taken,
			 ext2_ino_t ino, struct ext2_inode *inode,
			 const struct e2c_migrate_opts *o, blk64_t avail,
			 struct e2c_plan *plan, struct e2c_collect *c,
			 struct e2c_reloc **ret);
/* Give r's reserved ranges back to taken. */
void e2c_reloc_unreserve(const struct e2c_reloc *r,
			 ext2fs_block_bitmap taken);
void e2c_reloc_free(struct e2c_reloc *r);
/* Commit step 1: copy r's initialized data to its new blocks, in large
 * sequential reads and writes (r->verify: each write's checksum kept). */
errcode_t e2c_reloc_copy(e2c_fs *fs, struct e2c_reloc *r);
/* Read back what e2c_reloc_copy wrote: E2C_ERR_VERIFY on a difference. */
errcode_t e2c_reloc_verify(e2c_fs *fs, struct e2c_reloc *r);
/* Flushing what changed (core/flush.c). */
/* Record, from now on, the groups whose block bitmap changes (opening for
 * write does; fs->h->priv_data is the e2c_fs); end forgets them. */
errcode_t e2c_dirty_begin(e2c_fs *fs);
void e2c_dirty_end(e2c_fs *fs);
/* ext2fs_block_alloc_stats_range, its groups recorded: the way to change
 * the block bitmap and counts (libext2fs 1.47.0 does not tell its hook
 * where a range began: a range changed behind this makes the next flush
 * write every bitmap). */
void e2c_fs_block_stats(e2c_fs *fs, blk64_t blk, blk64_t num, int inuse);
/* ext2fs_flush2 writing only the changed groups' block bitmaps and
 * descriptor blocks, then the superblock (and with backups the backup
 * superblocks: the features changed); the whole flush when the changes
 * are not all known (e2c_fs_partial false).  sync: E2C_SYNC_BOTH
 * (libext2fs's fsync before and after the primary superblock), ONCE (one
 * after everything), NONE. */
enum { E2C_SYNC_BOTH, E2C_SYNC_ONCE, E2C_SYNC_NONE };
errcode_t e2c_fs_flush(e2c_fs *fs, int backups, int sync);
int e2c_fs_partial(e2c_fs *fs);
/* For an undo file: mark the groups of blk..blk+num-1 as the coming
 * flushes will, then presave writes back, unchanged, what they will write
 * of them (bitmap and descriptor blocks, a BLOCK_UNINIT group's bitmap
 * too) and clears the marks (a whole flush still due stays due). */
void e2c_fs_mark_dirty(e2c_fs *fs, blk64_t blk, blk64_t num);
errcode_t e2c_fs_presave(e2c_fs *fs);

/* The fs's bitmaps, loaded a group at a time (core/bitmaps.c). */
/* Past this many blocks (a 512 KiB bit array) a block map that follows
 * the filesystem (its own, the metadata and the mapped blocks) is a
 * red-black tree: a node per run, not a bit per block. */
#define E2C_BB_TREE_FROM (1ULL << 22)
/* A new, empty block map named what (how libext2fs's messages call it):
 * a red-black tree when sparse (few runs whatever the size) or past
 * E2C_BB_TREE_FROM blocks, else what the handle's default says. */
enum { E2C_MAP_DENSE, E2C_MAP_SPARSE };
int e2c_block_map_type(ext2_filsys h, int sparse);
errcode_t e2c_block_map_new(e2c_fs *fs, const char *what, int sparse,
			    ext2fs_block_bitmap *ret);
enum { E2C_BM_BLOCK = 1, E2C_BM_INODE = 2 };
/* At open: the handle's maps, empty, no group loaded; free: the rest. */
errcode_t e2c_bitmaps_init(e2c_fs *fs);
void e2c_bitmaps_free(e2c_fs *fs);
/* Load the block bitmaps of groups g0..g1 (read ahead first when more
 * than one), of the groups of blk..blk+num-1.  E2C_ERR_NO_BITMAPS
 * without bitmaps (-c); the read and checksum errors of
 * ext2fs_read_bitmaps. */
errcode_t e2c_bb_load(e2c_fs *fs, dgrp_t g0, dgrp_t g1);
errcode_t e2c_bb_load_range(e2c_fs *fs, blk64_t blk, blk64_t num);
/* The inode bitmaps of the groups whose descriptor counts an inode in
 * use, while the descriptors agree with the superblock and with every
 * bitmap loaded; else every group's. */
errcode_t e2c_ib_load_used(e2c_fs *fs);
/* The blocks written so far and not yet handed to the device. */
struct e2c_writeback {
	blk64_t first, end;
};
/* Record that blk..blk+len-1 were written; once a few MiB are gathered
 * (or at last), start their write-back without waiting for it. */
void e2c_fs_writeback(e2c_fs *fs, struct e2c_writeback *wb, blk64_t blk,
		      blk64_t len, int last);
/* Whether a group left unloaded by e2c_ib_load_used, loaded since, holds
 * an inode its descriptor calls free: a scan trusting the descriptors
 * missed it. */
int e2c_ib_betrayed(e2c_fs *fs);
/* Load the block bitmaps of the groups holding a block set in map. */
errcode_t e2c_bb_load_map(e2c_fs *fs, ext2fs_block_bitmap map);
/* Whether inode ino is in use in the inode bitmap (its group loaded). */
errcode_t e2c_ib_test(e2c_fs *fs, ext2_ino_t ino, int *inuse);
/* Whether group g's block bitmap is loaded (no bitmaps: yes). */
int e2c_bb_loaded(e2c_fs *fs, dgrp_t g);
/* The first block of start..end set (set) or clear in the block bitmap,
 * loading the groups on the way one by one (ENOENT: none). */
errcode_t e2c_bb_find(e2c_fs *fs, int set, blk64_t start, blk64_t end,
		      blk64_t *out);
/* fn on each group loaded since the last call (e2c_fs_check_bitmaps
 * compares them with the metadata and owners maps); a group where fn
 * fails stays due.  uncheck: every loaded group due again (new maps). */
errcode_t e2c_bb_each_unchecked(e2c_fs *fs,
				errcode_t (*fn)(e2c_fs *fs, dgrp_t g));
errcode_t e2c_bb_uncheck(e2c_fs *fs);

/* Read-ahead (core/readahead.c). */
/* A run of blocks being gathered for io_channel_cache_readahead: add
 * blocks in ascending order (a block at or inside the run's end extends
 * it, any other sends the run and starts a new one); flush sends the
 * last.  Block 0 and blocks past the end are ignored. */
struct e2c_ra {
	blk64_t start, len;
};
void e2c_ra_add(ext2_filsys h, struct e2c_ra *r, blk64_t blk, blk64_t n);
void e2c_ra_flush(ext2_filsys h, struct e2c_ra *r);
/* The read-ahead of an inode scan (core/scan.c opens one per scan, and
 * reads its inodes ahead of its caller): e2c_ahead_inode gathers the
 * indirect blocks an inode read ahead names, e2c_ahead_send asks for what
 * was gathered (and reads the DIND and TIND blocks asked for by the last
 * send, for their children: a level a send). */
struct e2c_ahead;
errcode_t e2c_ahead_open(e2c_fs *fs, struct e2c_ahead **ret);
void e2c_ahead_inode(struct e2c_ahead *a, const struct ext2_inode *inode);
void e2c_ahead_send(struct e2c_ahead *a);
void e2c_ahead_close(struct e2c_ahead *a);

#endif /* E2C_INT_H */
