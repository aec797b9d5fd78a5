/*
 * fs.c -- opening and closing filesystems, with the checks that make
 * opening for write safe (libext2fs itself checks none of them).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "e2c_int.h"

/* Bit arrays up to this many blocks or inodes (16 MiB a map), red-black
 * trees past it: the type of every bitmap of the fs, its own and the
 * core's (metadata, owners, staged inodes), which scans test once per
 * inode or run, and where a scattered set costs a tree node per run.  The
 * fs's own block map, read by group, is a tree from E2C_BB_TREE_FROM on
 * (core/bitmaps.c). */
#define BITARRAY_MAX_BLOCKS (1ULL << 27)

/* Features whose on-disk meaning e2lua's writes respect.  Anything else
 * makes an open for write fail: we would not know what we might break. */
#define OK_COMPAT (EXT2_FEATURE_COMPAT_DIR_PREALLOC |			\
		   EXT2_FEATURE_COMPAT_IMAGIC_INODES |			\
		   EXT3_FEATURE_COMPAT_HAS_JOURNAL |			\
		   EXT2_FEATURE_COMPAT_EXT_ATTR |			\
		   EXT2_FEATURE_COMPAT_RESIZE_INODE |			\
		   EXT2_FEATURE_COMPAT_DIR_INDEX |			\
		   EXT4_FEATURE_COMPAT_SPARSE_SUPER2 |			\
		   EXT4_FEATURE_COMPAT_FAST_COMMIT |			\
		   EXT4_FEATURE_COMPAT_STABLE_INODES |			\
		   EXT4_FEATURE_COMPAT_ORPHAN_FILE)
#define OK_INCOMPAT (EXT2_FEATURE_INCOMPAT_FILETYPE |			\
		     EXT3_FEATURE_INCOMPAT_EXTENTS |			\
		     EXT4_FEATURE_INCOMPAT_64BIT |			\
		     EXT4_FEATURE_INCOMPAT_FLEX_BG |			\
		     EXT2_FEATURE_INCOMPAT_META_BG |			\
		     EXT4_FEATURE_INCOMPAT_EA_INODE |			\
		     EXT4_FEATURE_INCOMPAT_CSUM_SEED |			\
		     EXT4_FEATURE_INCOMPAT_LARGEDIR |			\
		     EXT4_FEATURE_INCOMPAT_INLINE_DATA |			\
		     EXT4_FEATURE_INCOMPAT_ENCRYPT |			\
		     EXT4_FEATURE_INCOMPAT_CASEFOLD)
#define OK_RO_COMPAT (EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER |		\
		      EXT2_FEATURE_RO_COMPAT_LARGE_FILE |		\
		      EXT4_FEATURE_RO_COMPAT_HUGE_FILE |		\
		      EXT4_FEATURE_RO_COMPAT_GDT_CSUM |			\
		      EXT4_FEATURE_RO_COMPAT_DIR_NLINK |		\
		      EXT4_FEATURE_RO_COMPAT_EXTRA_ISIZE |		\
		      EXT4_FEATURE_RO_COMPAT_METADATA_CSUM |		\
		      EXT4_FEATURE_RO_COMPAT_VERITY)

/* Whether v lies in [lo, hi]. */
static int within(__u64 v, __u64 lo, __u64 hi)
{
	return v >= lo && v <= hi;
}

/* The superblock's own values, as e2fsck's check_super_block checks them
 * before anything else (it aborts, or fixes, on each): constants in
 * range and consistent with each other, sane feature combinations, and
 * group descriptors whose counts and flags add up.  A filesystem failing
 * any of these is not one to allocate on. */
static int super_sane(ext2_filsys h)
{
	struct ext2_super_block *sb = h->super;
	__u64 ipg_max, cpg_max, bpg_max, blks_max;
	unsigned int isz = EXT2_INODE_SIZE(sb), ratio = EXT2FS_CLUSTER_RATIO(h);
	int csum = ext2fs_has_group_desc_csum(h);
	dgrp_t g;

	ipg_max = (__u64)EXT2_INODES_PER_BLOCK(sb) * (sb->s_blocks_per_group - 4);
	if (sb->s_blocks_per_group < 4 || ipg_max > EXT2_MAX_INODES_PER_GROUP(sb))
		ipg_max = EXT2_MAX_INODES_PER_GROUP(sb);
	cpg_max = 8ULL * h->blocksize;
	if (cpg_max > EXT2_MAX_CLUSTERS_PER_GROUP(sb))
		cpg_max = EXT2_MAX_CLUSTERS_PER_GROUP(sb);
	bpg_max = 8ULL * h->blocksize * ratio;
	if (bpg_max > EXT2_MAX_BLOCKS_PER_GROUP(sb))
		bpg_max = EXT2_MAX_BLOCKS_PER_GROUP(sb);
	blks_max = (1ULL << 32) * EXT2_MAX_BLOCKS_PER_GROUP(sb);
	if (blks_max > (ext2fs_has_feature_64bit(sb) ? (1ULL << 48) - 1 :
			(1ULL << 32) - 1))
		blks_max = ext2fs_has_feature_64bit(sb) ? (1ULL << 48) - 1 :
			   (1ULL << 32) - 1;

	if (!sb->s_inodes_count ||
	    !within(ext2fs_blocks_count(sb), 1, blks_max) ||
	    sb->s_first_data_block > ext2fs_blocks_count(sb) ||
	    sb->s_log_block_size > EXT2_MAX_BLOCK_LOG_SIZE -
				   EXT2_MIN_BLOCK_LOG_SIZE ||
	    !within(sb->s_log_cluster_size, sb->s_log_block_size,
		    EXT2_MAX_CLUSTER_LOG_SIZE - EXT2_MIN_CLUSTER_LOG_SIZE) ||
	    !within(sb->s_clusters_per_group, 8, cpg_max) ||
	    !within(sb->s_blocks_per_group, 8, bpg_max) ||
	    !within(sb->s_inodes_per_group, EXT2_INODES_PER_BLOCK(sb),
		    ipg_max) ||
	    ext2fs_r_blocks_count(sb) > ext2fs_blocks_count(sb) / 2 ||
	    sb->s_reserved_gdt_blocks > h->blocksize / sizeof(__u32) ||
	    sb->s_desc_size > EXT2_MAX_DESC_SIZE ||
	    (sb->s_desc_size & (sb->s_desc_size - 1)))
		return 0;
	if ((__u64)sb->s_inodes_per_group * h->group_desc_count !=
	    sb->s_inodes_count)
		return 0;
	/* e2fsck refuses first_ino below 11 on a dynamic-rev fs. */
	if (sb->s_rev_level > EXT2_GOOD_OLD_REV &&
	    !within(sb->s_first_ino, EXT2_GOOD_OLD_FIRST_INO,
		    sb->s_inodes_count))
		return 0;
	if (!within(isz, EXT2_GOOD_OLD_INODE_SIZE, h->blocksize) ||
	    (isz & (isz - 1)) ||
	    sb->s_blocks_per_group != sb->s_clusters_per_group * ratio ||
	    sb->s_first_data_block != (sb->s_log_block_size == 0 &&
				       ratio == 1))
		return 0;
	if (isz > EXT2_GOOD_OLD_INODE_SIZE) {
		unsigned int lo = 4, hi = isz - EXT2_GOOD_OLD_INODE_SIZE;

		if ((sb->s_min_extra_isize &&
		     (!within(sb->s_min_extra_isize, lo, hi) ||
		      (sb->s_min_extra_isize & 3))) ||
		    (sb->s_want_extra_isize &&
		     (!within(sb->s_want_extra_isize, lo, hi) ||
		      (sb->s_want_extra_isize & 3))))
			return 0;
	}
	if ((ext2fs_has_feature_metadata_csum(sb) &&
	     ext2fs_has_feature_gdt_csum(sb)) ||
	    (!ext2fs_has_feature_metadata_csum(sb) &&
	     ext2fs_has_feature_csum_seed(sb)) ||
	    (ext2fs_has_feature_64bit(sb) && !ext2fs_has_feature_extents(sb)) ||
	    (ext2fs_has_feature_meta_bg(sb) &&
	     sb->s_first_meta_bg > h->desc_blocks))
		return 0;
	for (g = 0; g < h->group_desc_count; g++) {
		if (ext2fs_bg_free_blocks_count(h, g) > sb->s_blocks_per_group ||
		    ext2fs_bg_free_inodes_count(h, g) > sb->s_inodes_per_group ||
		    ext2fs_bg_used_dirs_count(h, g) > sb->s_inodes_per_group)
			return 0;
		if (!csum && (ext2fs_bg_flags_test(h, g, EXT2_BG_BLOCK_UNINIT) ||
			      ext2fs_bg_flags_test(h, g, EXT2_BG_INODE_UNINIT) ||
			      ext2fs_bg_itable_unused(h, g)))
			return 0;
		if (g == h->group_desc_count - 1 &&
		    ext2fs_bg_flags_test(h, g, EXT2_BG_BLOCK_UNINIT))
			return 0;
		if (csum && (ext2fs_bg_itable_unused(h, g) >
			     ext2fs_bg_free_inodes_count(h, g) ||
			     ext2fs_bg_itable_unused(h, g) >
			     sb->s_inodes_per_group))
			return 0;
	}
	return ext2fs_free_blocks_count(sb) <= ext2fs_blocks_count(sb) &&
	       sb->s_free_inodes_count <= sb->s_inodes_count;
}

/* Refuse what makes offline writes unsafe; see the pitfalls in
 * shared/notes/libext2fs.md (tune2fs and resize2fs refuse the same). */
static errcode_t check_writable(ext2_filsys h, int force)
{
	struct ext2_super_block *sb = h->super;
	int type = h->default_bitmap_type;
	errcode_t retval;
	dgrp_t g;

	if (ext2fs_has_feature_journal_needs_recovery(sb))
		return E2C_ERR_NEEDS_RECOVERY;
	if (sb->s_state & EXT2_ERROR_FS)
		return E2C_ERR_HAS_ERRORS;
	if (!(sb->s_state & EXT2_VALID_FS))
		return E2C_ERR_NOT_CLEAN;
	/* resize2fs's rule: whatever was mounted since the last check may
	 * hold what only e2fsck -f finds (a bitmap the kernel got wrong). */
	if (!force && ((__u64)sb->s_lastcheck_hi << 32 | sb->s_lastcheck) <
		      ((__u64)sb->s_mtime_hi << 32 | sb->s_mtime))
		return E2C_ERR_NOT_CHECKED;
	if (!super_sane(h))
		return E2C_ERR_BAD_SUPER;
	/* No feature flags, so no extent feature without an upgrade (the
	 * kernel warns on extents in a revision 0 filesystem). */
	if (sb->s_rev_level == EXT2_GOOD_OLD_REV)
		return E2C_ERR_OLD_REV;
	if (sb->s_last_orphan || ext2fs_has_feature_orphan_present(sb))
		return E2C_ERR_ORPHANS;
	if (ext2fs_has_feature_quota(sb) || ext2fs_has_feature_project(sb))
		return E2C_ERR_QUOTA;
	/* Never started (EXT2_FLAG_SKIP_MMP): nothing was written to it. */
	if (ext2fs_has_feature_mmp(sb))
		return E2C_ERR_MMP;
	if ((sb->s_feature_compat & ~OK_COMPAT) ||
	    (sb->s_feature_incompat & ~OK_INCOMPAT) ||
	    (sb->s_feature_ro_compat & ~OK_RO_COMPAT))
		return E2C_ERR_UNSUPP_FEATURE;
	/* A descriptor that fails its checksum cannot be trusted (the
	 * kernel refuses to mount it), and writing would re-sign it. */
	for (g = 0; g < h->group_desc_count; g++)
		if (!ext2fs_group_desc_csum_verify(h, g))
			return E2C_ERR_DESC_CSUM;
	/* ext2fs_read_bitmaps silently reads a bitmap whose location is
	 * out of range as all free: writing would allocate over data.  Its
	 * scratch map of every block takes the handle's default type: set
	 * as for the core's own maps (16 MiB as bits at 2^27 blocks). */
	h->default_bitmap_type = e2c_block_map_type(h, E2C_MAP_DENSE);
	retval = ext2fs_check_desc(h);
	h->default_bitmap_type = type;
	return retval;
}

/* Mount check and an advisory lock, before libext2fs opens anything. */
static errcode_t claim_for_write(const char *path, int *lock_fd)
{
	int mflags = 0, fd;
	errcode_t retval;

	retval = ext2fs_check_if_mounted(path, &mflags);
	if (retval)
		return retval;
	if (mflags & EXT2_MF_MOUNTED)
		return E2C_ERR_MOUNTED;
	if (mflags & EXT2_MF_BUSY)
		return E2C_ERR_BUSY;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		retval = (errno == EWOULDBLOCK) ? E2C_ERR_LOCKED : errno;
		close(fd);
		return retval;
	}
	*lock_fd = fd;
	return 0;
}

errcode_t e2c_fs_open2(const char *path, const struct e2c_open_opts *opts,
		       e2c_fs **ret, const char **what)
{
	struct e2c_open_opts none = { 0 };
	char io_opts[40] = "";
	struct e2c_part part;
	io_manager io;
	int flags = EXT2_FLAG_64BITS | EXT2_FLAG_SOFTSUPP_FEATURES;
	e2c_fs *fs = NULL;
	errcode_t retval;

	e2c_init();
	if (what)
		*what = path;
	if (!opts)
		opts = &none;
	/* Catastrophic mode never writes; an undo file needs writes. */
	if ((opts->superblock && !opts->blocksize) ||
	    (opts->write && opts->catastrophic) ||
	    (opts->undo_file && !opts->write))
		return EXT2_ET_INVALID_ARGUMENT;

	fs = calloc(1, sizeof(*fs));
	if (!fs)
		return ENOMEM;
	fs->lock_fd = -1;
	fs->path = strdup(path);
	if (!fs->path) {
		retval = ENOMEM;
		goto errout;
	}

	if (opts->partition) {
		retval = e2c_part_find(path, opts->partition, &part);
		if (retval)
			goto errout;
		fs->partition = part.number;
		fs->offset = part.start;
		fs->part_size = part.size;
		snprintf(io_opts, sizeof(io_opts), "offset=%llu", part.start);
	}

	io = opts->io ? opts->io : unix_io_manager;
	if (opts->write) {
		retval = claim_for_write(path, &fs->lock_fd);
		if (retval)
			goto errout;
		/* SKIP_MMP: libext2fs would start multi-mount protection
		 * (write the MMP block) before any check could refuse. */
		flags |= EXT2_FLAG_RW | EXT2_FLAG_EXCLUSIVE | EXT2_FLAG_SKIP_MMP;
		if (opts->undo_file) {
			retval = e2c_undo_open(fs, path, opts->undo_file, &io);
			if (retval) {
				if (what)
					*what = opts->undo_file;
				goto errout;
			}
		}
	}
	if (opts->catastrophic) {
		/* IGNORE_SB_ERRORS skips libext2fs's check of a 64bit fs's
		 * descriptor size, then divides by it (0 on e2fsprogs'
		 * f_desc_size_zero: SIGFPE): ask the checks that do not
		 * skip it first, on the superblock alone. */
		retval = ext2fs_open2(path, NULL, flags | EXT2_FLAG_SUPER_ONLY,
				      opts->superblock, opts->blocksize, io,
				      &fs->h);
		if (!retval)
			ext2fs_free(fs->h);
		fs->h = NULL;
		if (retval == EXT2_ET_BAD_DESC_SIZE)
			goto errout;
		flags |= EXT2_FLAG_SKIP_MMP | EXT2_FLAG_IGNORE_SB_ERRORS;
	}

	retval = ext2fs_open2(path, *io_opts ? io_opts : NULL, flags,
			      opts->superblock, opts->blocksize, io, &fs->h);
	if (retval) {
		fs->h = NULL;
		if (what && e2c_undo_blames(fs, retval))
			*what = opts->undo_file;
		goto errout;
	}
	if (fs->partition && ext2fs_blocks_count(fs->h->super) >
	    fs->part_size / fs->h->blocksize) {
		retval = E2C_ERR_PART_SMALL;
		goto errout;
	}
	/* The fs's own bitmaps as bit arrays when small (loaded and tested
	 * fastest: a scan tests one per inode), else red-black trees. */
	fs->h->default_bitmap_type =
		ext2fs_blocks_count(fs->h->super) <= BITARRAY_MAX_BLOCKS &&
		fs->h->super->s_inodes_count <= BITARRAY_MAX_BLOCKS ?
		EXT2FS_BMAP64_BITARRAY : EXT2FS_BMAP64_RBTREE;

	if (opts->write) {
		retval = check_writable(fs->h, opts->force);
		if (retval)
			goto errout;
		/* Without orig_super libext2fs writes the superblock in one
		 * piece instead of one write per changed field: a crash can
		 * then not leave a superblock whose checksum fails. */
		ext2fs_free_mem(&fs->h->orig_super);
		fs->writable = 1;
	}
	if (opts->catastrophic) {
		fs->catastrophic = 1;
	} else {
		/* libext2fs 1.47.0 copies each group's bitmap to bit
		 * first_data_block / 8 of the array instead of bit 0: past
		 * 7 it writes beyond the array (a heap overflow), from 2 on
		 * the bits are misplaced.  e2fsck accepts 1 for 1 KiB blocks
		 * without bigalloc, else 0, and aborts on anything else. */
		if (fs->h->super->s_first_data_block !=
		    (fs->h->super->s_log_block_size == 0 &&
		     EXT2FS_CLUSTER_RATIO(fs->h) == 1)) {
			retval = E2C_ERR_FIRST_DATA_BLOCK;
			goto errout;
		}

		/* Not ext2fs_read_bitmaps (65,536 reads on a 4 TiB ext3):
		 * a group's bitmaps are read when first used. */
		retval = e2c_bitmaps_init(fs);
		if (!retval && fs->writable)
			retval = e2c_dirty_begin(fs);
		if (retval)
			goto errout;
	}
	*ret = fs;
	return 0;

errout:
	if (fs->h)
		ext2fs_free(fs->h);	/* never write on a failed open */
	fs->h = NULL;
	e2c_undo_close(fs, 1);
	e2c_fs_close(fs);
	return retval;
}

errcode_t e2c_fs_open(const char *path, const struct e2c_open_opts *opts,
		      e2c_fs **ret)
{
	return e2c_fs_open2(path, opts, ret, NULL);
}

static void free_walks(e2c_fs *fs);

errcode_t e2c_fs_close(e2c_fs *fs)
{
	errcode_t retval = 0, undo_err;

	if (!fs)
		return 0;
	undo_err = e2c_fs_undo_error(fs);
	if (fs->tx)
		e2c_tx_free(fs->tx);
	if (fs->meta)
		ext2fs_free_block_bitmap(fs->meta);
	free_walks(fs);
	e2c_fs_free_owners(fs);
	e2c_map_free_spare(fs);
	e2c_dirty_end(fs);
	if (fs->h) {
		/* Only a committed filesystem is flushed; everything else
		 * in memory (a rolled-back stage, a read-only walk) is
		 * discarded so nothing reaches the disk.  Bitmaps still to
		 * be written are written whole by libext2fs: every group
		 * loaded first, or nothing written. */
		if (fs->writable && fs->committed &&
		    (fs->h->flags & (EXT2_FLAG_BB_DIRTY | EXT2_FLAG_IB_DIRTY)))
			retval = fs->load_err ? fs->load_err :
				 e2c_fs_load_bitmaps(fs);
		if (!retval && fs->writable && fs->committed)
			retval = ext2fs_close_free(&fs->h);
		else
			ext2fs_free(fs->h);
		/* The undo file is closed with the fs's channel (which
		 * reports nothing): say so if its last writes failed. */
		if (!retval && !undo_err && e2c_fs_undo_error(fs))
			retval = E2C_ERR_UNDO_INCOMPLETE;
	}
	e2c_bitmaps_free(fs);
	e2c_undo_close(fs, 0);
	if (fs->lock_fd >= 0)
		close(fs->lock_fd);
	free(fs->path);
	free(fs);
	return retval;
}

ext2_filsys e2c_fs_handle(e2c_fs *fs)
{
	return fs->h;
}

const char *e2c_fs_path(e2c_fs *fs)
{
	return fs->path;
}

int e2c_fs_writable(e2c_fs *fs)
{
	return fs->writable;
}

int e2c_fs_catastrophic(e2c_fs *fs)
{
	return fs->catastrophic;
}

struct e2c_tx *e2c_fs_tx(e2c_fs *fs)
{
	return fs->tx;
}

unsigned int e2c_fs_block_size(e2c_fs *fs)
{
	return fs->h->blocksize;
}

ext2_ino_t e2c_fs_inodes_count(e2c_fs *fs)
{
	return fs->h->super->s_inodes_count;
}

errcode_t e2c_fs_testb(e2c_fs *fs, blk64_t blk, int *inuse)
{
	errcode_t retval;

	if (!fs->h->block_map)
		return E2C_ERR_NO_BITMAPS;
	if (blk >= ext2fs_blocks_count(fs->h->super))
		return E2C_ERR_BLOCK_RANGE;
	retval = e2c_bb_load_range(fs, blk, 1);
	if (!retval)
		*inuse = ext2fs_test_block_bitmap2(fs->h->block_map, blk);
	return retval;
}

int e2c_fs_partition(e2c_fs *fs, unsigned long long *offset,
		     unsigned long long *size)
{
	if (offset)
		*offset = fs->offset;
	if (size)
		*size = fs->part_size;
	return fs->partition;
}

/*
 * A commit's fsync after writing tens of MiB of inode tables waited for
 * all of them (28 ms of 49 MiB on a 200k-file filesystem).  Started as
 * they are written, the device works while the commit goes on; the fsync
 * still decides (this is a hint: its failure is not an error).
 */
#define WRITEBACK_BYTES (4u << 20)

/* Hand wb's stretch to the device, and start a new one. */
static void writeback_start(e2c_fs *fs, struct e2c_writeback *wb)
{
	blk64_t bs = fs->h->blocksize;

	if (wb->end != wb->first && fs->lock_fd >= 0)
		(void)sync_file_range(fs->lock_fd,
				      (off64_t)(fs->offset + wb->first * bs),
				      (off64_t)((wb->end - wb->first) * bs),
				      SYNC_FILE_RANGE_WRITE);
	wb->first = wb->end = 0;
}

void e2c_fs_writeback(e2c_fs *fs, struct e2c_writeback *wb, blk64_t blk,
		      blk64_t len, int last)
{
	if (len) {
		/* Not contiguous with the stretch: that one goes first. */
		if (wb->end != wb->first && (blk < wb->first || blk > wb->end))
			writeback_start(fs, wb);
		if (wb->end == wb->first)
			wb->first = wb->end = blk;
		if (blk + len > wb->end)
			wb->end = blk + len;
	}
	if (last ||
	    (wb->end - wb->first) * fs->h->blocksize >= WRITEBACK_BYTES)
		writeback_start(fs, wb);
}

int e2c_ino_reserved(e2c_fs *fs, ext2_ino_t ino)
{
	struct ext2_super_block *sb = fs->h->super;

	if (ino == EXT2_ROOT_INO)
		return 0;
	return ino < EXT2_FIRST_INO(sb) || ino < EXT2_GOOD_OLD_FIRST_INO ||
	       ino == sb->s_journal_inum || ino == sb->s_usr_quota_inum ||
	       ino == sb->s_grp_quota_inum || ino == sb->s_prj_quota_inum ||
	       ino == sb->s_orphan_file_inum;
}

/* A reserved inode's map as build_meta_map walked it: the inode as
 * walked and its pieces claimed apart, for the owners map, which claims
 * the same map, to take without walking it again (e2c_fs_meta_claims). */
struct e2c_meta_walk {
	ext2_ino_t ino;
	struct ext2_inode inode;
	struct e2c_owners *claims;
};

/* Where build_meta_map's walk of one inode goes. */
struct meta_mark {
	ext2fs_block_bitmap map;
	struct e2c_owners *claims;	/* NULL: not recorded */
};

static errcode_t mark_piece(const struct e2c_piece *p, void *arg)
{
	struct meta_mark *mk = arg;

	if (p->len) {
		ext2fs_mark_block_bitmap_range2(mk->map, p->pblk, p->len);
		if (mk->claims)
			e2c_owners_claim(mk->claims, p->pblk, p->len);
	}
	return 0;
}

static void free_walks(e2c_fs *fs)
{
	size_t i;

	for (i = 0; i < fs->nwalks; i++)
		e2c_owners_free(fs->walks[i].claims);
	free(fs->walks);
	fs->walks = NULL;
	fs->nwalks = 0;
	fs->walks_max = 0;
}

/* Every block of reserved inode ino into map, however much of its map can
 * be walked, and the walk recorded (when there is memory for it).  The
 * bad blocks inode has no mode: walked as a file. */
static errcode_t mark_reserved(e2c_fs *fs, ext2_ino_t ino, ext2fs_block_bitmap map,
			       struct ext2_inode *inode, size_t *cap)
{
	struct meta_mark mk = { map, NULL };
	struct e2c_meta_walk *w;
	errcode_t retval;

	/* An inode that cannot be read has no map to mark; one failing its
	 * checksum is read all the same. */
	retval = e2c_read_inode(fs, ino, inode);
	if (retval && retval != EXT2_ET_INODE_CSUM_INVALID)
		return retval == ENOMEM ? retval : 0;
	if (ino == EXT2_BAD_INO && !inode->i_mode)
		inode->i_mode = LINUX_S_IFREG;
	if (e2c_grow(&fs->walks, cap, fs->nwalks + 1, sizeof(*fs->walks)) ||
	    e2c_owners_new(fs, &mk.claims))
		mk.claims = NULL;
	retval = e2c_map_each_all(fs, ino, inode, mark_piece, &mk);
	/* A walk cut short is not the map's. */
	if (mk.claims && retval != ENOMEM && retval != E2C_ERR_INTERRUPTED) {
		w = &fs->walks[fs->nwalks++];
		w->ino = ino;
		memcpy(&w->inode, inode, sizeof(w->inode));
		w->claims = mk.claims;
		if (ino > fs->walks_max)
			fs->walks_max = ino;
	} else {
		e2c_owners_free(mk.claims);
	}
	/* A corrupt map counts as far as it goes: e2fsck's business. */
	return retval == ENOMEM ? retval : 0;
}

int e2c_fs_meta_claims(e2c_fs *fs, ext2_ino_t ino,
		       const struct ext2_inode *inode, struct e2c_owners *build)
{
	size_t i;

	if (ino > fs->walks_max)
		return 0;
	for (i = 0; i < fs->nwalks; i++)
		if (fs->walks[i].ino == ino) {
			/* The same inode walks the same map: nothing writes
			 * metadata while the maps are kept. */
			if (memcmp(&fs->walks[i].inode, inode,
				   sizeof(*inode)))
				return 0;
			e2c_owners_claim_set(build, fs->walks[i].claims);
			return 1;
		}
	return 0;
}

/* Mark every block that holds filesystem metadata. */
static errcode_t build_meta_map(e2c_fs *fs)
{
	ext2_filsys h = fs->h;
	struct ext2_super_block *sb = h->super;
	const ext2_ino_t named[] = { sb->s_journal_inum, sb->s_usr_quota_inum,
		sb->s_grp_quota_inum, sb->s_prj_quota_inum,
		sb->s_orphan_file_inum };
	struct ext2_inode *inode;
	ext2fs_block_bitmap map;
	ext2_ino_t ino, first = EXT2_FIRST_INO(sb);
	size_t i, cap = 0;
	dgrp_t g;
	errcode_t retval;

	if (first < EXT2_GOOD_OLD_FIRST_INO)
		first = EXT2_GOOD_OLD_FIRST_INO;
	if (first > sb->s_inodes_count)
		first = sb->s_inodes_count + 1;
	retval = e2c_block_map_new(fs, "metadata blocks", E2C_MAP_DENSE, &map);
	if (retval)
		return retval;
	if (ext2fs_has_feature_mmp(sb) &&
	    within(sb->s_mmp_block, sb->s_first_data_block,
		   ext2fs_blocks_count(sb) - 1))
		ext2fs_mark_block_bitmap2(map, sb->s_mmp_block);
	for (g = 0; g < h->group_desc_count; g++) {
		blk64_t b;

		ext2fs_reserve_super_and_bgd(h, g, map);
		b = ext2fs_block_bitmap_loc(h, g);
		if (b && b < ext2fs_blocks_count(h->super))
			ext2fs_mark_block_bitmap2(map, b);
		b = ext2fs_inode_bitmap_loc(h, g);
		if (b && b < ext2fs_blocks_count(h->super))
			ext2fs_mark_block_bitmap2(map, b);
		b = ext2fs_inode_table_loc(h, g);
		if (b && b + h->inode_blocks_per_group <=
		    ext2fs_blocks_count(h->super))
			ext2fs_mark_block_bitmap_range2(map, b,
						h->inode_blocks_per_group);
	}
	/* The reserved inodes' maps are walked unchecked against metadata
	 * (map.c), so this cannot recurse; e->meta is complete only after. */
	inode = calloc(1, e2c_inode_buf_size(fs));
	if (!inode) {
		ext2fs_free_block_bitmap(map);
		return ENOMEM;
	}
	for (ino = 1; !retval && ino < first; ino++)
		if (ino != EXT2_ROOT_INO)
			retval = mark_reserved(fs, ino, map, inode, &cap);
	for (i = 0; !retval && i < sizeof(named) / sizeof(named[0]); i++)
		if (named[i] >= first && named[i] <= sb->s_inodes_count)
			retval = mark_reserved(fs, named[i], map, inode, &cap);
	free(inode);
	if (retval) {
		free_walks(fs);
		ext2fs_free_block_bitmap(map);
		return retval;
	}
	fs->meta = map;
	return 0;
}

errcode_t e2c_fs_is_metadata(e2c_fs *fs, blk64_t blk, blk64_t len,
			     int *is_meta)
{
	errcode_t retval;

	if (!fs->meta) {
		retval = build_meta_map(fs);
		if (retval)
			return retval;
	}
	/* test_block_bitmap_range2 answers "all clear?" */
	*is_meta = !ext2fs_test_block_bitmap_range2(fs->meta, blk, len);
	return 0;
}

blk64_t e2c_blockmap_limit(e2c_fs *fs)
{
	blk64_t p = fs->h->blocksize / 4;

	return EXT2_NDIR_BLOCKS + p + p * p + p * p * p;
}
