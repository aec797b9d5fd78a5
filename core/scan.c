/*
 * scan.c -- the sequential inode-table scan, in-use inodes only.
 */
#include <stdlib.h>
#include <string.h>

#include "e2c_int.h"

/*
 * The inodes are read AHEAD_INODES at most ahead of the caller, into a
 * ring: on a cold cache the indirect blocks they name are asked for
 * (core/readahead.c) long before their maps are walked, and the inode
 * table of the next group before it is read.  One read of the tables
 * serves both (a second scan running ahead read them twice).
 */
#define AHEAD_INODES 2048

/* A slot of the ring: the inode (the fs's inode size) follows. */
struct slot {
	ext2_ino_t ino;
	int hidden;
};

struct e2c_scan {
	e2c_fs *fs;
	ext2_inode_scan scan;
	int live;		/* also inodes in use the bitmap calls free */
	int hidden;		/* the last inode returned was one */
	dgrp_t next_group;	/* live: where group_done goes on */
	int ended;		/* ... past the last group: the scan is over */
	struct e2c_ahead *ah;	/* the read-ahead of its indirect blocks */
	dgrp_t group;		/* the group it last read from */
	char *ring;		/* AHEAD_INODES slots, read ahead */
	size_t slot_size, head, len;
	int done;		/* nothing more to read into it ... */
	errcode_t err;		/* ... because of this (once it is empty) */
};

/* Go on at s->next_group, or end the scan past the last group. */
static errcode_t goto_group(e2c_scan *s)
{
	if (s->next_group >= s->fs->h->group_desc_count) {
		s->ended = 1;
		return 0;
	}
	return ext2fs_inode_scan_goto_blockgroup(s->scan, s->next_group);
}

/* The scan callback's answer: the next group to read is s->next_group
 * (or none: the scan is over). */
#define GOTO_GROUP EXT2_ET_MAGIC_RESERVED_19

/*
 * Whether a live scan reads group g's inode table: when something says an
 * inode there may be in use, its inode bitmap (a bit set) or its
 * descriptor (fewer free inodes than the group holds: a count that
 * disagrees with an empty bitmap).  A group both call empty is not read;
 * an inode in use there is what only e2fsck finds (doc/errors.md).  Where
 * the descriptors are trusted (e2c_ib_load_used) a group whose descriptor
 * calls it empty has no bitmap loaded, and is not read either.  With
 * uninit_bg or metadata_csum libext2fs itself skips INODE_UNINIT groups
 * and the ext2fs_bg_itable_unused tail of each table.
 */
static int group_may_hold(ext2_filsys h, dgrp_t g)
{
	ext2_ino_t ipg = EXT2_INODES_PER_GROUP(h->super), first = g * ipg + 1;
	ext2_ino_t found;

	return ext2fs_bg_free_inodes_count(h, g) < ipg ||
	       !ext2fs_find_first_set_inode_bitmap2(h->inode_map, first,
						    first + ipg - 1, &found);
}

/* The first group from g on that a live scan reads (group_desc_count:
 * none). */
static dgrp_t next_group(ext2_filsys h, dgrp_t g)
{
	while (g < h->group_desc_count && !group_may_hold(h, g))
		g++;
	return g;
}

/* At the end of each group: go on to the next group worth reading. */
static errcode_t group_done(ext2_filsys h, ext2_inode_scan scan,
			    dgrp_t group, void *priv)
{
	e2c_scan *s = priv;

	(void)scan;
	s->next_group = next_group(h, group + 1);
	return s->next_group == group + 1 ? 0 : GOTO_GROUP;
}

/* The first group from g on that s reads: with live, by group_may_hold;
 * else the first with an inode in use (every group without a bitmap). */
static dgrp_t following(e2c_scan *s, dgrp_t g)
{
	ext2_filsys h = s->fs->h;
	ext2_ino_t ipg = EXT2_INODES_PER_GROUP(h->super), found;

	if (!h->inode_map || g >= h->group_desc_count)
		return g;
	if (s->live)
		return next_group(h, g);
	if (ext2fs_find_first_set_inode_bitmap2(h->inode_map, g * ipg + 1,
						h->super->s_inodes_count,
						&found))
		return h->group_desc_count;
	return (found - 1) / ipg;
}

/* Ask for the part of group g's inode table s will read: with live the
 * whole table, else up to the last inode in use; with uninit_bg not an
 * INODE_UNINIT group's, nor the itable_unused tail. */
static void ask_table(e2c_scan *s, dgrp_t g)
{
	ext2_filsys h = s->fs->h;
	ext2_ino_t ipg = EXT2_INODES_PER_GROUP(h->super), n = ipg;
	ext2_ino_t first = g * ipg + 1, at = first, a, b;
	struct e2c_ra r = { 0, 0 };

	if (g >= h->group_desc_count)
		return;
	if (ext2fs_has_group_desc_csum(h)) {
		if (ext2fs_bg_flags_test(h, g, EXT2_BG_INODE_UNINIT))
			return;
		n = ipg - ext2fs_bg_itable_unused(h, g);
	}
	if (!s->live && h->inode_map) {
		/* The end of the last run of inodes in use. */
		b = first;
		while (at < first + ipg &&
		       !ext2fs_find_first_set_inode_bitmap2(h->inode_map, at,
						first + ipg - 1, &a)) {
			if (ext2fs_find_first_zero_inode_bitmap2(h->inode_map,
						a, first + ipg - 1, &b))
				b = first + ipg;
			at = b;
		}
		if (b - first < n)
			n = b - first;
	}
	e2c_ra_add(h, &r, ext2fs_inode_table_loc(h, g),
		   ((blk64_t)n * EXT2_INODE_SIZE(h->super) + h->blocksize - 1) /
		   h->blocksize);
	e2c_ra_flush(h, &r);
}

/* Opened with live: the tables of the groups group_may_hold picks. */
static errcode_t scan_open(e2c_fs *fs, int live, e2c_scan **ret)
{
	e2c_scan *s;
	errcode_t retval;

	/* The inode bitmaps: which groups hold inodes in use, which are
	 * read. */
	if (fs->h->inode_map) {
		retval = e2c_ib_load_used(fs);
		if (retval)
			return retval;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return ENOMEM;
	s->fs = fs;
	s->live = live;
	s->slot_size = sizeof(struct slot) + EXT2_INODE_SIZE(fs->h->super);
	/* 32 blocks a read: fewer, larger reads of the inode tables. */
	retval = ext2fs_open_inode_scan(fs->h, 32, &s->scan);
	if (retval) {
		free(s);
		return retval;
	}
	/* A group whose inode table is missing is skipped, not fatal. */
	ext2fs_inode_scan_flags(s->scan, EXT2_SF_SKIP_MISSING_ITABLE, 0);
	if (live && fs->h->inode_map) {
		ext2fs_set_inode_callback(s->scan, group_done, s);
		s->next_group = next_group(fs->h, 0);
		if (s->next_group)
			retval = goto_group(s);
	}
	if (!retval)
		retval = e2c_ahead_open(fs, &s->ah);
	if (retval) {
		e2c_scan_close(s);
		return retval;
	}
	s->group = following(s, 0);
	ask_table(s, s->group);
	*ret = s;
	return 0;
}

errcode_t e2c_scan_open(e2c_fs *fs, e2c_scan **ret)
{
	return scan_open(fs, 0, ret);
}

errcode_t e2c_scan_open_live(e2c_fs *fs, e2c_scan **ret)
{
	return scan_open(fs, 1, ret);
}

int e2c_scan_hidden(const e2c_scan *s)
{
	return s->hidden;
}

/* In use as e2fsck's pass 1 sees it: linked; or, reserved or not, with a
 * mode and no dtime (e2fsck questions that: "deleted inode has zero
 * dtime"). */
static int looks_live(const struct ext2_inode *inode)
{
	return inode->i_links_count || (inode->i_mode && !inode->i_dtime);
}

/* garbage: libext2fs found the inode's table block garbage (checksums). */
static int in_use(e2c_scan *s, ext2_ino_t ino, struct ext2_inode *inode,
		  int garbage)
{
	s->hidden = 0;
	if (!s->fs->h->inode_map)
		return inode->i_links_count && !inode->i_dtime;
	if (ext2fs_test_inode_bitmap2(s->fs->h->inode_map, ino))
		return 1;
	s->hidden = s->live && !garbage && looks_live(inode);
	return s->hidden;
}

/*
 * After ino, a free inode: when the inode bitmap says the rest of its
 * group is free, go straight to the next group with an inode in use (or
 * end the scan: *done).  Without uninit_bg libext2fs reads every inode
 * table whole; the unused tails are most of them on a typical filesystem.
 */
static errcode_t skip_free(e2c_scan *s, ext2_ino_t ino, int *done)
{
	ext2_filsys h = s->fs->h;
	ext2_ino_t ipg = EXT2_INODES_PER_GROUP(h->super);
	ext2_ino_t last = h->super->s_inodes_count, next;
	ext2_ino_t group_end = ((ino - 1) / ipg + 1) * ipg;

	*done = 0;
	if (!h->inode_map || ino >= group_end ||
	    !ext2fs_find_first_set_inode_bitmap2(h->inode_map, ino + 1,
						 group_end, &next))
		return 0;
	if (group_end >= last ||
	    ext2fs_find_first_set_inode_bitmap2(h->inode_map, group_end + 1,
						last, &next)) {
		*done = 1;
		return 0;
	}
	return ext2fs_inode_scan_goto_blockgroup(s->scan, (next - 1) / ipg);
}

/* The next inode in use, read from the table (0: the end). */
static errcode_t scan_read(e2c_scan *s, ext2_ino_t *ino,
			   struct ext2_inode *inode)
{
	int isz = EXT2_INODE_SIZE(s->fs->h->super);
	ext2_ino_t ipg = EXT2_INODES_PER_GROUP(s->fs->h->super);
	errcode_t retval;
	int done, garbage;

	for (;;) {
		if (s->ended) {
			*ino = 0;
			return 0;
		}
		retval = ext2fs_get_next_inode_full(s->scan, ino, inode, isz);
		if (retval == GOTO_GROUP) {
			retval = goto_group(s);
			if (retval)
				return retval;
			continue;
		}
		if (retval == EXT2_ET_BAD_BLOCK_IN_INODE_TABLE)
			continue;
		/* Checksum errors are reported, but the inode is usable. */
		garbage = retval == EXT2_ET_INODE_IS_GARBAGE;
		if (retval == EXT2_ET_INODE_CSUM_INVALID || garbage)
			retval = 0;
		if (retval)
			return retval;
		if (*ino == 0)
			return 0;
		if ((*ino - 1) / ipg != s->group) {
			/* Entering a group: ask for the next one's table. */
			s->group = (*ino - 1) / ipg;
			ask_table(s, following(s, s->group + 1));
		}
		if (in_use(s, *ino, inode, garbage))
			return 0;
		if (s->live)
			continue;
		retval = skip_free(s, *ino, &done);
		if (retval)
			return retval;
		if (done) {
			*ino = 0;
			return 0;
		}
	}
}

static struct slot *slot_at(e2c_scan *s, size_t k)
{
	return (struct slot *)(s->ring + (k % AHEAD_INODES) * s->slot_size);
}

/* Read into the ring until it is full (or the scan ends), asking for the
 * indirect blocks the inodes read name. */
static errcode_t fill(e2c_scan *s)
{
	struct slot *q;
	errcode_t retval;

	if (!s->ring) {
		s->ring = malloc(AHEAD_INODES * s->slot_size);
		if (!s->ring)
			return ENOMEM;
	}
	while (s->len < AHEAD_INODES) {
		q = slot_at(s, s->head + s->len);
		retval = scan_read(s, &q->ino, (struct ext2_inode *)(q + 1));
		if (retval || !q->ino) {
			s->done = 1;
			s->err = retval;
			break;
		}
		q->hidden = s->hidden;
		e2c_ahead_inode(s->ah, (struct ext2_inode *)(q + 1));
		s->len++;
	}
	e2c_ahead_send(s->ah);
	return 0;
}

errcode_t e2c_scan_next(e2c_scan *s, ext2_ino_t *ino, struct ext2_inode *inode)
{
	struct slot *q;
	errcode_t retval;

	if (s->len < AHEAD_INODES / 2 && !s->done) {
		retval = fill(s);
		if (retval)
			return retval;
	} else if (s->done) {
		/* The last levels of the last DIND and TIND blocks. */
		e2c_ahead_send(s->ah);
	}
	s->hidden = 0;
	if (!s->len) {
		*ino = 0;
		return s->err;
	}
	q = slot_at(s, s->head);
	*ino = q->ino;
	s->hidden = q->hidden;
	memcpy(inode, q + 1, s->slot_size - sizeof(*q));
	s->head = (s->head + 1) % AHEAD_INODES;
	s->len--;
	return 0;
}

void e2c_scan_close(e2c_scan *s)
{
	if (!s)
		return;
	e2c_ahead_close(s->ah);
	ext2fs_close_inode_scan(s->scan);
	free(s->ring);
	free(s);
}

/* e2c_scan_each, or with hidden_fn (not NULL) e2c_scan_each_live. */
static errcode_t scan_each(e2c_fs *fs, e2c_inode_fn fn, e2c_inode_fn hidden_fn,
			   void *priv)
{
	struct ext2_inode *inode;
	e2c_scan *s = NULL;
	ext2_ino_t ino;
	errcode_t retval;
	int done = 0;

	inode = calloc(1, e2c_inode_buf_size(fs));
	if (!inode)
		return ENOMEM;
	retval = scan_open(fs, hidden_fn != NULL, &s);
	while (!retval && !done) {
		if (e2c_interrupted) {
			retval = E2C_ERR_INTERRUPTED;
			break;
		}
		retval = e2c_scan_next(s, &ino, inode);
		if (retval || !ino)
			break;
		retval = (s->hidden ? hidden_fn : fn)(fs, ino, inode, priv,
						       &done);
	}
	e2c_scan_close(s);
	free(inode);
	return retval;
}

errcode_t e2c_scan_each(e2c_fs *fs, e2c_inode_fn fn, void *priv)
{
	return scan_each(fs, fn, NULL, priv);
}

errcode_t e2c_scan_each_live(e2c_fs *fs, e2c_inode_fn fn, e2c_inode_fn hidden_fn,
			     void *priv)
{
	return scan_each(fs, fn, hidden_fn, priv);
}
