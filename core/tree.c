/*
 * tree.c -- the nodes of an extent tree, rebuilt from the map cursor's
 * walk (which reports entries, not nodes).
 */
#include <errno.h>
#include <stdlib.h>

#include "e2c_int.h"

/* The capacity of the root node in i_block: 60 bytes, a 12-byte header,
 * 12-byte entries.  Needed only for an empty tree (no entry to ask). */
#define ROOT_MAX_ENTRIES ((EXT2_N_BLOCKS * 4 - 12) / 12)

/*
 * A piece whose entry is the first of its node starts a node; that node's
 * block is the one the last index entry one level up pointed at (0 for
 * the root, in the inode).
 */
errcode_t e2c_extent_nodes(e2c_fs *fs, ext2_ino_t ino,
			   const struct ext2_inode *inode,
			   struct e2c_node **ret, size_t *count, int *depth)
{
	blk64_t parent[EXT2_N_BLOCKS] = { 0 };	/* deeper than any tree */
	struct e2c_node *nodes = NULL, *n;
	struct e2c_piece p;
	size_t cnt = 0, cap = 0;
	e2c_map *map = NULL;
	errcode_t retval;
	int got;

	*depth = 0;
	if (!(inode->i_flags & EXT4_EXTENTS_FL))
		return EXT2_ET_INODE_NOT_EXTENT;
	retval = e2c_map_open(fs, ino, inode, &map);
	if (retval)
		return retval;
	for (;;) {
		retval = e2c_map_next(map, &p, &got);
		if (retval || !got)
			break;
		if (p.level < 0 || p.level >= EXT2_N_BLOCKS) {
			retval = EXT2_ET_EXTENT_HEADER_BAD;
			break;
		}
		*depth = p.max_depth;
		if (p.kind == E2C_NODE && p.level + 1 < EXT2_N_BLOCKS)
			parent[p.level + 1] = p.pblk;
		if (p.entry != 1)
			continue;
		retval = e2c_grow(&nodes, &cap, cnt + 1, sizeof(*nodes));
		if (retval)
			break;
		n = &nodes[cnt++];
		n->level = p.level;
		n->pblk = p.level ? parent[p.level] : 0;
		n->entries = p.entries;
		n->max_entries = p.max_entries;
	}
	e2c_map_close(map);
	if (!retval && !cnt) {			/* an empty root */
		nodes = calloc(1, sizeof(*nodes));
		if (!nodes)
			retval = ENOMEM;
		else
			nodes[cnt++].max_entries = ROOT_MAX_ENTRIES;
	}
	if (retval) {
		free(nodes);
		return retval;
	}
	*ret = nodes;
	*count = cnt;
	return 0;
}
