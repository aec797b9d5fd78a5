/*
 * htree.c -- the index of a hash-indexed directory, read whole: the root,
 * the interior index nodes and every leaf block with its entries and
 * their hashes (what debugfs htree_dump shows).
 *
 * Index blocks are read raw (the root and interior nodes are directory
 * blocks holding one empty entry, so the dirent checksum does not apply;
 * their own dx tail is compared with ext2fs_dx_csum), leaves with
 * ext2fs_read_dir_block4 (its checksum verified).  Every count, limit and
 * block number is checked before use; a block referenced twice (a loop in
 * a corrupt index) is not read again.  Problems below the root are kept
 * in the node or leaf and the walk goes on, as debugfs does.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "e2c_int.h"

/* The logical blocks already read: an open-addressing set of __u32
 * (every valid one is below the directory's size in blocks, so the
 * all-ones value never is one and marks an empty slot). */
struct seen {
	__u32 *slot;
	size_t cap, n;
};

#define SEEN_EMPTY 0xffffffffU

static size_t seen_pos(const struct seen *s, __u32 v)
{
	size_t i = (v * 2654435761U) & (s->cap - 1);

	while (s->slot[i] != SEEN_EMPTY && s->slot[i] != v)
		i = (i + 1) & (s->cap - 1);
	return i;
}

/* Add v: 0, or EEXIST when it was there, or ENOMEM. */
static errcode_t seen_add(struct seen *s, __u32 v)
{
	size_t i;

	if (2 * (s->n + 1) > s->cap) {
		struct seen t = { NULL, s->cap ? 2 * s->cap : 64, 0 };

		t.slot = malloc(t.cap * sizeof(*t.slot));
		if (!t.slot)
			return ENOMEM;
		memset(t.slot, 0xff, t.cap * sizeof(*t.slot));
		for (i = 0; i < s->cap; i++)
			if (s->slot[i] != SEEN_EMPTY)
				t.slot[seen_pos(&t, s->slot[i])] = s->slot[i];
		t.n = s->n;
		free(s->slot);
		*s = t;
	}
	i = seen_pos(s, v);
	if (s->slot[i] == v)
		return EEXIST;
	s->slot[i] = v;
	s->n++;
	return 0;
}

struct walk {
	e2c_fs *fs;
	ext2_ino_t ino;
	blk64_t nblocks;	/* the directory's size in blocks */
	int hash_alg, hash_flags;
	struct seen seen;
	char *buf;		/* one block */
};

/* Map and read logical block lblk of the directory (raw, or as a leaf
 * with its checksum verified). */
static errcode_t read_lblk(struct walk *w, blk64_t lblk, blk64_t *pblk,
			   int leaf)
{
	ext2_filsys h = w->fs->h;
	errcode_t retval;

	if (e2c_interrupted)
		return E2C_ERR_INTERRUPTED;
	retval = e2c_bmap(w->fs, w->ino, lblk, pblk, NULL);
	if (retval)
		return retval;
	if (!*pblk)
		return E2C_ERR_HTREE_BLOCK;	/* a hole */
	if (leaf)
		return ext2fs_read_dir_block4(h, *pblk, w->buf, 0, w->ino);
	return io_channel_read_blk64(h->io, *pblk, 1, w->buf);
}

/* Whether lblk may be read (below the end, not seen): 0 or the error to
 * keep for it (E2C_ERR_INTERRUPTED, ENOMEM end the walk). */
static errcode_t claim(struct walk *w, __u32 lblk)
{
	errcode_t retval;

	if (lblk >= w->nblocks)
		return E2C_ERR_HTREE_BLOCK;
	retval = seen_add(&w->seen, lblk);
	return retval == EEXIST ? E2C_ERR_HTREE_BLOCK : retval;
}

/* Fatal errors end the walk; the others are kept where they happened. */
static int fatal(errcode_t err)
{
	return err == ENOMEM || err == E2C_ERR_INTERRUPTED;
}

static errcode_t read_leaf(struct walk *w, struct e2c_dx_leaf *leaf)
{
	ext2_filsys h = w->fs->h;
	unsigned int off = 0, rec_len, csum_size = 0;
	size_t cap = 0;
	errcode_t retval;

	if (ext2fs_has_feature_metadata_csum(h->super))
		csum_size = sizeof(struct ext2_dir_entry_tail);
	retval = claim(w, leaf->lblk);
	if (!retval)
		retval = read_lblk(w, leaf->lblk, &leaf->pblk, 1);
	if (retval) {
		leaf->err = retval;
		return fatal(retval) ? retval : 0;
	}
	leaf->block = malloc(h->blocksize);
	if (!leaf->block)
		return ENOMEM;
	memcpy(leaf->block, w->buf, h->blocksize);
	while (off < h->blocksize) {
		struct ext2_dir_entry *d =
			(struct ext2_dir_entry *)(leaf->block + off);
		struct e2c_dx_dirent *e;
		unsigned int len = ext2fs_dirent_name_len(d);

		if (off + 8 > h->blocksize ||
		    ext2fs_get_rec_len(h, d, &rec_len) ||
		    off + rec_len > h->blocksize || rec_len < 8 ||
		    rec_len % 4 || len + 8 > rec_len) {
			leaf->corrupt = 1;
			break;
		}
		retval = e2c_grow(&leaf->ents, &cap, leaf->count + 1,
				  sizeof(*leaf->ents));
		if (retval)
			return retval;
		e = &leaf->ents[leaf->count++];
		memset(e, 0, sizeof(*e));
		e->offset = off;
		e->ino = d->inode;
		e->rec_len = rec_len;
		e->name_len = len;
		e->name = d->name;
		if (off == h->blocksize - csum_size && !d->inode &&
		    d->rec_len == csum_size &&
		    d->name_len == EXT2_DIR_NAME_LEN_CSUM) {
			e->tail = 1;
			e->checksum = ((struct ext2_dir_entry_tail *)d)->
				      det_checksum;
		} else {
			e->hash_err = ext2fs_dirhash2(w->hash_alg, d->name,
						      (int)len, h->encoding,
						      w->hash_flags,
						      h->super->s_hash_seed,
						      &e->hash, &e->minor_hash);
		}
		off += rec_len;
	}
	return 0;
}

/*
 * Fill node from the index block in w->buf (its lblk and pblk set), whose
 * count/limit header is at byte count_off, then read what it points at.
 */
static errcode_t read_node(struct walk *w, struct e2c_dx_node *node,
			   unsigned int count_off, int root_info);

static errcode_t read_child(struct walk *w, struct e2c_dx_node *parent,
			    struct e2c_dx_entry *ent)
{
	errcode_t retval;

	if (parent->level == 0) {
		ent->leaf = calloc(1, sizeof(*ent->leaf));
		if (!ent->leaf)
			return ENOMEM;
		ent->leaf->lblk = ent->block;
		return read_leaf(w, ent->leaf);
	}
	ent->node = calloc(1, sizeof(*ent->node));
	if (!ent->node)
		return ENOMEM;
	ent->node->level = parent->level - 1;
	ent->node->lblk = ent->block;
	retval = claim(w, ent->block);
	if (!retval)
		retval = read_lblk(w, ent->block, &ent->node->pblk, 0);
	if (retval) {
		ent->node->err = retval;
		return fatal(retval) ? retval : 0;
	}
	return read_node(w, ent->node, 8, 0);
}

static errcode_t read_node(struct walk *w, struct e2c_dx_node *node,
			   unsigned int count_off, int root_info)
{
	ext2_filsys h = w->fs->h;
	unsigned int bs = h->blocksize, i;
	const struct ext2_dx_countlimit *cl;
	const struct ext2_dx_entry *de;
	errcode_t retval;
	long rest;

	if (count_off + sizeof(*cl) > bs) {
		node->err = E2C_ERR_HTREE_BAD;
		return 0;
	}
	cl = (const struct ext2_dx_countlimit *)(w->buf + count_off);
	de = (const struct ext2_dx_entry *)cl;
	node->count = ext2fs_le16_to_cpu(cl->count);
	node->limit = ext2fs_le16_to_cpu(cl->limit);
	/* The dx tail follows the limit entries when metadata_csum left
	 * exactly its room (the room is reckoned as debugfs does: for a
	 * root of 8 info bytes 32 bytes of header, else 8). */
	rest = (long)bs - (long)node->limit * 8 - (root_info ? 32 : 8);
	if (ext2fs_has_feature_metadata_csum(h->super) &&
	    rest == (long)sizeof(struct ext2_dx_tail) &&
	    count_off + (node->limit + 1) * 8 <= bs) {
		const struct ext2_dx_tail *t =
			(const struct ext2_dx_tail *)(de + node->limit);

		node->has_tail = 1;
		node->checksum = ext2fs_le32_to_cpu(t->dt_checksum);
		node->csum_err = ext2fs_dx_csum(h, w->ino,
						(struct ext2_dir_entry *)w->buf,
						&node->expected, NULL);
		if (node->csum_err)
			node->expected = 0xffffffffU;
	}
	if (node->count > node->limit ||
	    count_off + (size_t)node->count * 8 > bs) {
		node->err = E2C_ERR_HTREE_BAD;
		return 0;
	}
	node->ents = calloc(node->count ? node->count : 1,
			    sizeof(*node->ents));
	if (!node->ents)
		return ENOMEM;
	for (i = 0; i < node->count; i++) {
		node->ents[i].hash = i ? ext2fs_le32_to_cpu(de[i].hash) : 0;
		node->ents[i].block = ext2fs_le32_to_cpu(de[i].block);
	}
	/* Children overwrite w->buf: everything needed was copied. */
	for (i = 0; i < node->count; i++) {
		retval = read_child(w, node, &node->ents[i]);
		if (retval)
			return retval;
	}
	return 0;
}

static void free_node(struct e2c_dx_node *node)
{
	unsigned int i;

	if (!node->ents)
		return;
	for (i = 0; i < node->count; i++) {
		struct e2c_dx_entry *e = &node->ents[i];

		if (e->node) {
			free_node(e->node);
			free(e->node);
		}
		if (e->leaf) {
			free(e->leaf->ents);
			free(e->leaf->block);
			free(e->leaf);
		}
	}
	free(node->ents);
}

void e2c_htree_free(struct e2c_htree *h)
{
	if (!h)
		return;
	free_node(&h->root);
	free(h);
}

errcode_t e2c_htree_read(e2c_fs *fs, ext2_ino_t dir, struct e2c_htree **ret)
{
	ext2_filsys h = fs->h;
	struct walk w = { .fs = fs, .ino = dir };
	struct ext2_dx_root_info *info;
	struct ext2_inode inode;
	struct e2c_htree *t;
	errcode_t retval;

	*ret = NULL;
	if (dir < 1 || dir > h->super->s_inodes_count)
		return EXT2_ET_BAD_INODE_NUM;
	retval = ext2fs_read_inode(h, dir, &inode);
	if (retval)
		return retval;
	if (!LINUX_S_ISDIR(inode.i_mode))
		return EXT2_ET_NO_DIRECTORY;
	if (!(inode.i_flags & EXT2_INDEX_FL))
		return E2C_ERR_NOT_INDEXED;
	t = calloc(1, sizeof(*t));
	w.buf = malloc(h->blocksize);
	if (!t || !w.buf) {
		retval = ENOMEM;
		goto errout;
	}
	t->ino = dir;
	w.nblocks = EXT2_I_SIZE(&inode) / h->blocksize;
	w.hash_flags = inode.i_flags & EXT4_CASEFOLD_FL;
	retval = claim(&w, 0);
	if (!retval)
		retval = read_lblk(&w, 0, &t->root.pblk, 0);
	if (retval)
		goto errout;
	/* The root block: "." (12 bytes), ".." to the end, then the info. */
	info = (struct ext2_dx_root_info *)(w.buf + 24);
	t->reserved_zero = ext2fs_le32_to_cpu(info->reserved_zero);
	t->hash_version = info->hash_version;
	t->info_length = info->info_length;
	t->indirect_levels = info->indirect_levels;
	t->flags = info->unused_flags;
	t->hash_alg = info->hash_version;
	if (t->hash_alg <= EXT2_HASH_TEA &&
	    (h->super->s_flags & EXT2_FLAGS_UNSIGNED_HASH))
		t->hash_alg += 3;
	w.hash_alg = t->hash_alg;
	t->root.level = t->indirect_levels;
	if ((unsigned int)t->indirect_levels >= ext2_dir_htree_level(h)) {
		t->root.err = E2C_ERR_HTREE_BAD;
		goto done;
	}
	retval = read_node(&w, &t->root, 24 + t->info_length,
			   t->info_length == sizeof(*info));
	if (retval)
		goto errout;
done:
	free(w.seen.slot);
	free(w.buf);
	*ret = t;
	return 0;
errout:
	free(w.seen.slot);
	free(w.buf);
	e2c_htree_free(t);
	return retval;
}
