/*
 * migrate.h -- private to core/plan.c, core/tx.c and core/select.c: what
 * planning hands to staging.  Not part of the e2c.h contract.
 */
#ifndef E2C_MIGRATE_H
#define E2C_MIGRATE_H

#include "e2c.h"
#include <ext2fs/ext3_extents.h>	/* needs the types ext2fs.h defines */

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

/* A migratable plan whose index blocks outnumber avail, the free blocks
 * it may have, becomes E2C_ERR_SKIP_NO_SPACE (with free_blocks). */
void e2c_plan_fit(struct e2c_plan *plan, blk64_t avail);

/* Stage the inode of plan p (migratable), its runs collected in c by
 * e2c_plan_from: c's list of old indirect blocks is taken over, c is
 * left for the caller to free or reuse. */
errcode_t e2c_tx_stage_planned(e2c_tx *tx, const struct e2c_plan *p,
			       struct e2c_collect *c);

/* Turn inode's i_blocks into what it is after the swap: minus meta_freed
 * indirect blocks, plus index_blocks, in the fs's units (huge_file
 * aware).  EOVERFLOW when i_blocks is below the freed count (corrupt). */
errcode_t e2c_iblocks_swap(ext2_filsys fs, struct ext2_inode *inode,
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

#endif /* E2C_MIGRATE_H */
