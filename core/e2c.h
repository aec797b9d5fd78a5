/*
 * e2c.h -- the e2lua core: map walking, inode scans, path lookup, migration
 * planning and transactions over libext2fs.
 *
 * The core knows nothing of Lua.  Every function returns an errcode_t (0 on
 * success, a libext2fs code or one of the E2C_ERR_* codes below otherwise);
 * error_message(code) gives the text for both kinds once e2c_init() ran.
 * Results come back through out-pointers, and every _open has a _close or
 * _free, as in lib/ext2fs.
 *
 * This header is the contract: e2c_fs and the other objects are opaque
 * (what is private to core/ is in core/e2c_int.h, which nothing outside
 * core/ includes).  Names, core and callers alike: an e2c_fs * is "fs";
 * its libext2fs handle is fs->h inside core and e2c_fs_handle(fs)
 * outside; a local ext2_filsys is "h".
 */
#ifndef E2C_H
#define E2C_H

#include <signal.h>
#include <stddef.h>
#include <ext2fs/ext2fs.h>
#include <et/com_err.h>

/* ------------------------------------------------------------------ */
/* Errors (core/err.c)                                                 */
/* ------------------------------------------------------------------ */

/* Our own com_err table, so error_message() covers our codes too. */
#define E2C_ERR_BASE 0x7e32c00L
enum {
	E2C_ERR_MOUNTED = E2C_ERR_BASE,	/* mounted: refuse to write */
	E2C_ERR_BUSY,			/* device busy (O_EXCL failed) */
	E2C_ERR_NEEDS_RECOVERY,		/* journal needs recovery */
	E2C_ERR_NOT_CLEAN,		/* s_state lacks EXT2_VALID_FS */
	E2C_ERR_HAS_ERRORS,		/* s_state has EXT2_ERROR_FS */
	E2C_ERR_ORPHANS,		/* s_last_orphan != 0 */
	E2C_ERR_UNSUPP_FEATURE,		/* feature we cannot write safely */
	E2C_ERR_LOCKED,			/* another writer holds the lock */
	E2C_ERR_QUOTA,			/* quota usage cannot be updated */
	E2C_ERR_PTR_RANGE,		/* block pointer outside the fs */
	E2C_ERR_PTR_METADATA,		/* block pointer into fs metadata */
	E2C_ERR_BAD_INODE,		/* inode number out of range */
	E2C_ERR_NO_BITMAPS,		/* opened with -c: no bitmaps */
	E2C_ERR_NOT_DIR,		/* path component is not a dir */
	E2C_ERR_LBLK_RANGE,		/* logical block > 2^32-1 */
	E2C_ERR_SKIP_NO_BLOCKS,		/* fast symlink / device / fifo... */
	E2C_ERR_SKIP_INLINE,		/* inline data */
	E2C_ERR_SKIP_EXTENTS,		/* already extent-mapped */
	E2C_ERR_SKIP_RESERVED,		/* reserved inode (< s_first_ino) */
	E2C_ERR_SKIP_UNLINKED,		/* links_count == 0 */
	E2C_ERR_SKIP_TYPE,		/* file type not migrated */
	E2C_ERR_STAGED,			/* inode already staged in the tx */
	E2C_ERR_TX_ACTIVE,		/* a transaction is already open */
	E2C_ERR_TX_DONE,		/* transaction already ended */
	E2C_ERR_COMMIT_PARTIAL,		/* failed after inodes were written */
	E2C_ERR_INTERRUPTED,		/* stopped by the user */
	E2C_ERR_NOT_WRITABLE,		/* opened read-only (no -w) */
	E2C_ERR_PTR_SHARED,		/* block mapped twice */
	E2C_ERR_EXTENT_DEPTH,		/* extent tree deeper than allowed */
	E2C_ERR_EXTENT_ORDER,		/* extents overlap or out of order */
	E2C_ERR_SIZE_RANGE,		/* i_size beyond the map's reach */
	E2C_ERR_DESC_CSUM,		/* group descriptor checksum bad */
	E2C_STOP,			/* a search callback asks to stop */
	E2C_ERR_STAGE_CHANGED,		/* inode changed since staged */
	E2C_ERR_SCANNING,		/* owners map being built by a scan */
	E2C_ERR_UNKNOWN_ALGO,		/* checksum algorithm not known */
	E2C_ERR_DIGEST,			/* the digest library failed */
	E2C_ERR_EXISTS,			/* dump: output exists, not replaced */
	E2C_ERR_UNSAFE_NAME,		/* rdump: name unusable on the host */
	E2C_ERR_DIR_LOOP,		/* directory reached twice */
	E2C_ERR_BLOCK_BITMAP,		/* a block in use is marked free */
	E2C_ERR_INODE_BITMAP,		/* an inode in use is marked free */
	E2C_ERR_NOT_CHECKED,		/* mounted since the last check */
	E2C_ERR_BAD_SUPER,		/* superblock e2fsck would question */
	E2C_ERR_OLD_REV,		/* revision 0: no feature flags */
	E2C_ERR_MMP,			/* multi-mount protection */
	E2C_ERR_SKIP_EXTENT_FL,		/* extent tree without EXTENTS_FL */
	E2C_ERR_SKIP_SIZE,		/* i_size disagrees with the map */
	E2C_ERR_SKIP_DIR_HOLE,		/* directory with a hole */
	E2C_ERR_SKIP_SYMLINK,		/* slow symlink e2fsck would clear */
	E2C_ERR_SKIP_IBLOCKS,		/* i_blocks disagrees with the map */
	E2C_ERR_SKIP_NO_SPACE,		/* index blocks do not fit */
	E2C_ERR_NOT_INDEXED,		/* directory has no htree index */
	E2C_ERR_HTREE_BAD,		/* htree node count/limit/depth bad */
	E2C_ERR_HTREE_BLOCK,		/* htree block past the end, a hole
					 * or referenced twice */
	E2C_ERR_BLOCK_RANGE,		/* block number outside the fs */
	E2C_ERR_NO_PARTITIONS,		/* image has no partition table */
	E2C_ERR_PART_RANGE,		/* no partition of that number */
	E2C_ERR_PART_NOT_EXT,		/* partition holds no ext2/3/4 */
	E2C_ERR_PART_SMALL,		/* fs larger than its partition */
	E2C_ERR_UNDO_NOT_FILE,		/* undo file: a fifo, socket... */
	E2C_ERR_UNDO_IS_IMAGE,		/* undo file is the image itself */
	E2C_ERR_UNDO_BROKEN,		/* an undo write failed earlier */
	E2C_ERR_UNDO_INCOMPLETE,	/* undo file not finished at close */
	E2C_ERR_OTHER_FS,		/* objects of two filesystems */
	E2C_ERR_SKIP_BLOCKMAP,		/* unmigrate: already block-mapped */
	E2C_ERR_SKIP_HIGH_BLOCK,	/* unmigrate: a block at 2^32 or above */
	E2C_ERR_SKIP_TOO_BIG,		/* unmigrate: past the block map's reach */
	E2C_ERR_EXTENTS_LEFT,		/* extent inodes left: feature stays */
	E2C_ERR_FEATURE_NEEDED,		/* 64bit/bigalloc need the extent feature */
	E2C_ERR_FIRST_DATA_BLOCK,	/* s_first_data_block not 0/1 as it
					 * must be: bitmaps cannot load */
	E2C_ERR_RESTORE_FAILED,		/* commit failed, and restoring the
					 * superblock failed too */
	E2C_ERR_SKIP_GAIN,		/* relocation gains too little */
	E2C_ERR_VERIFY,			/* a copied block read back wrong */
	E2C_ERR_INODE_COUNT,		/* a group's descriptor calls free
					 * inodes its bitmap has in use */
	E2C_ERR_NO_CRYPTO,		/* libcrypto cannot be loaded */
	E2C_ERR_COUNT_			/* number of codes (not an error) */
};

/* Grow the array *arr (*cap elements of sz bytes, realloc()ed) to hold at
 * least need elements, doubling; ENOMEM leaves it as it was. */
errcode_t e2c_grow(void *arr, size_t *cap, size_t need, size_t sz);

/* Register the error table (idempotent).  Call before error_message(). */
void e2c_init(void);

/*
 * What a plan's skip code means for a report (the policies' summaries, the
 * shell's plan): the one place that sorts skip codes.
 *   E2C_SKIP_RESERVED  a reserved inode: not a user's file at all
 *   E2C_SKIP_PLAIN     nothing to do or nothing to migrate (already
 *                      extents, no block map, inline data, unlinked, type)
 *   E2C_SKIP_NO_SPACE  left: not enough free space for its index blocks
 *   E2C_SKIP_CORRUPT   the inode or its map is corrupt: run e2fsck -f
 * A code not listed in core/err.c counts as corruption (the safe side).
 */
enum e2c_skip_class {
	E2C_SKIP_NONE,		/* code 0: not skipped */
	E2C_SKIP_RESERVED,
	E2C_SKIP_PLAIN,
	E2C_SKIP_NO_SPACE,
	E2C_SKIP_CORRUPT,
};
enum e2c_skip_class e2c_skip_class(errcode_t code);
int e2c_skip_is_corruption(errcode_t code);

/* Set by a signal handler; long loops in the core check it between units
 * of work and stop with E2C_ERR_INTERRUPTED where stopping is safe. */
extern volatile sig_atomic_t e2c_interrupted;

/* ------------------------------------------------------------------ */
/* Filesystem (core/fs.c)                                              */
/* ------------------------------------------------------------------ */

struct e2c_open_opts {
	int write;		/* read-write: safety checks + flock */
	int catastrophic;	/* debugfs -c: no bitmaps, never writes */
	unsigned int blocksize;	/* -b: 0 probes */
	blk64_t superblock;	/* -s: 0 is the primary superblock */
	const char *undo_file;	/* record every changed block (e2undo) */
	int force;		/* write though mounted since last checked */
	io_manager io;		/* NULL: unix_io_manager (tests inject) */
	int partition;		/* > 0: the filesystem in that partition of
				 * a whole-disk image (core/part.c) */
};

typedef struct e2c_fs e2c_fs;	/* opaque: core/e2c_int.h */

/* What an open filesystem is: the libext2fs handle (for what the core
 * has no function for: the superblock, group descriptors...), the path
 * as given to e2c_fs_open, whether it was opened for write or with -c
 * (catastrophic: no bitmaps), its open transaction (NULL: none), and the
 * partition it was opened in (0: none; *offset and *size in bytes). */
ext2_filsys e2c_fs_handle(e2c_fs *fs);
const char *e2c_fs_path(e2c_fs *fs);
int e2c_fs_writable(e2c_fs *fs);
int e2c_fs_catastrophic(e2c_fs *fs);
struct e2c_tx *e2c_fs_tx(e2c_fs *fs);
int e2c_fs_partition(e2c_fs *fs, unsigned long long *offset,
		     unsigned long long *size);
/* What callers need most of the handle: the block size, the number of
 * inodes (the highest inode number), and whether the block bitmap marks
 * blk in use (E2C_ERR_NO_BITMAPS under -c, E2C_ERR_BLOCK_RANGE past the
 * end). */
unsigned int e2c_fs_block_size(e2c_fs *fs);
ext2_ino_t e2c_fs_inodes_count(e2c_fs *fs);
errcode_t e2c_fs_testb(e2c_fs *fs, blk64_t blk, int *inuse);
/* The handle's bitmaps (e2c_fs_handle(fs)->block_map, inode_map) hold
 * only the groups loaded so far: a group is read when first used.  Load
 * every group (read ahead first) before reading the maps directly; the
 * read and checksum errors of ext2fs_read_bitmaps, E2C_ERR_NO_BITMAPS
 * under -c.  groups_loaded: how many groups' block and inode bitmaps are
 * loaded (0 and 0 under -c). */
errcode_t e2c_fs_load_bitmaps(e2c_fs *fs);
void e2c_fs_groups_loaded(e2c_fs *fs, unsigned long *blocks,
			  unsigned long *inodes);

/*
 * Open an image or device (with opts->partition, the filesystem in that
 * partition of it, through unix io's offset option: refused with
 * E2C_ERR_NO_PARTITIONS, E2C_ERR_PART_RANGE, E2C_ERR_PART_NOT_EXT, or
 * E2C_ERR_PART_SMALL when the filesystem runs past the partition's end;
 * the mount check, the lock and the undo file are the whole image's).
 * Read-only unless opts->write.  For write it
 * refuses (with the E2C_ERR_* code saying why) a mounted or busy
 * filesystem, one whose journal needs recovery, one not clean or with
 * errors, one mounted since it was last checked (s_lastcheck < s_mtime,
 * unless opts->force), a superblock e2fsck would question, revision 0,
 * a non-empty orphan list, features outside what e2lua can write (mmp
 * among them: it is never started, so a refusal writes nothing), and an
 * image another writer has locked.
 */
errcode_t e2c_fs_open(const char *path, const struct e2c_open_opts *opts,
		      e2c_fs **ret);
/* The same; on failure *what (may be NULL) is the file the error is
 * about: path, or opts->undo_file when that cannot be opened or created,
 * is not a file (E2C_ERR_UNDO_NOT_FILE) or is the image itself
 * (E2C_ERR_UNDO_IS_IMAGE), is corrupt (EXT2_ET_UNDO_FILE_CORRUPT) or
 * another filesystem's (EXT2_ET_UNDO_FILE_WRONG).  Write with
 * catastrophic, or an undo file without write: EXT2_ET_INVALID_ARGUMENT.
 * A refused open removes the undo file it created. */
errcode_t e2c_fs_open2(const char *path, const struct e2c_open_opts *opts,
		       e2c_fs **ret, const char **what);

/* Partition tables (core/part.c). */
struct e2c_part {
	int number;		/* as the kernel numbers them (sdaN) */
	unsigned long long start, size;	/* bytes */
	int mbr_type;		/* MBR: the type byte (0 for GPT) */
	char type_guid[40];	/* GPT: the type GUID ("" for MBR) */
	char name[80];		/* GPT: the partition's name */
	char part_uuid[40];	/* its PARTUUID ("" when none) */
	int extended, logical;	/* MBR extended container, logical */
	char fstype[32];	/* the filesystem found there: "ext4", */
	char label[80];		/* "vfat", ... ("" when none) */
	char uuid[40];
};

struct e2c_parttable {
	char scheme[16];	/* "dos", "gpt" */
	char id[40];		/* the disk's identifier */
	size_t count;
	struct e2c_part parts[];
};

/* The partition table of an image (malloc()ed: free()), each
 * partition's filesystem probed.  E2C_ERR_NO_PARTITIONS when there is
 * none; errno values. */
errcode_t e2c_part_list(const char *path, struct e2c_parttable **ret);

/* Close and free (always frees, even on error).  A filesystem that was never
 * committed to is discarded with ext2fs_free(): nothing is written.
 * E2C_ERR_UNDO_INCOMPLETE: the undo file's last writes failed here. */
errcode_t e2c_fs_close(e2c_fs *fs);

/*
 * The undo file (opts.undo_file; core/undo.c).  Every write of it goes
 * through a manager of ours under libext2fs's undo_io, which keeps the
 * first failure: e2c_fs_undo_error gives it (0: none, or no undo file),
 * so a failed write can be told from the image's.  A write path calls
 * e2c_undo_ready before its first write: it saves the block holding the
 * superblock at the filesystem's block size (see undo.c), and refuses
 * (E2C_ERR_UNDO_BROKEN) once a write of the undo file failed: undo_io
 * then holds blocks it believes saved that are not.
 */
const char *e2c_fs_undo_path(e2c_fs *fs);	/* NULL without one */
errcode_t e2c_fs_undo_error(e2c_fs *fs);

/* Whether any of blk..blk+len-1 holds filesystem metadata: superblocks,
 * group descriptors, reserved GDT blocks, bitmaps, inode tables, the MMP
 * block, and every block of a reserved inode (e2c_ino_reserved: the
 * journal, the resize inode, bad blocks, quota and orphan files). */
errcode_t e2c_fs_is_metadata(e2c_fs *fs, blk64_t blk, blk64_t len,
			     int *is_meta);

/*
 * Whether the bitmaps agree with what the walk of every map found (the
 * owners map, built first if need be): E2C_ERR_INODE_BITMAP when an inode
 * that looks in use (e2c_scan_open_live) is free in the inode bitmap,
 * E2C_ERR_INODE_COUNT when a group the scan skipped on its descriptor's
 * word has an inode in use in its bitmap (loaded since),
 * E2C_ERR_BLOCK_BITMAP when a block some inode maps, or a metadata block,
 * is free in the block bitmap of a group loaded so far (the groups where
 * something was allocated, freed or looked up: the others are not
 * written); 0 when they agree.  Either disagreement
 * means the next allocation could overwrite data: writes are refused
 * until e2fsck -f repaired it.  E2C_ERR_SCANNING while a scan builds the
 * owners map.
 */
errcode_t e2c_fs_check_bitmaps(e2c_fs *fs);

/* ------------------------------------------------------------------ */
/* Inodes and paths (core/inode.c, core/path.c)                        */
/* ------------------------------------------------------------------ */

/* Full-size inode read (EXT2_INODE_SIZE bytes; buf must hold that many:
 * allocate e2c_inode_buf_size(fs) bytes -- struct ext2_inode_large is
 * smaller than the common 256-byte inode, never use one on the stack). */
errcode_t e2c_read_inode(e2c_fs *fs, ext2_ino_t ino, struct ext2_inode *buf);
size_t e2c_inode_buf_size(e2c_fs *fs);

/* The EXT2_FT_* type a directory entry for this mode carries
 * (EXT2_FT_UNKNOWN for a mode of no known type): the one mode-to-type
 * mapping, which the names and masks below are looked up from. */
int e2c_mode_ftype(__u16 mode);
/* The name of an EXT2_FT_* type, as e2c_inode_type gives it ("unknown"
 * for anything else). */
const char *e2c_ftype_name(int ftype);
/* "regular", "directory", "symlink", "chardev", "blockdev", "fifo",
 * "socket" or "unknown". */
const char *e2c_inode_type(const struct ext2_inode *inode);
/* Whether that is anything but "unknown" (no string compare: a scan asks
 * for every inode). */
int e2c_inode_type_known(const struct ext2_inode *inode);

/* Whether the inode's extra space (past 128 bytes) holds the field of
 * struct ext2_inode_large ending at byte end. */
int e2c_inode_has_extra(e2c_fs *fs, const struct ext2_inode *inode,
			size_t end);
#define E2C_EXTRA_END(f) (offsetof(struct ext2_inode_large, f) + \
			  sizeof(((struct ext2_inode_large *)0)->f))

/* A timestamp: signed 32-bit seconds lo, plus the epoch bits of its extra
 * field when the inode has one (dates after 2038).  E2C_XTIME(fs, inode,
 * mtime) for field i_mtime. */
long long e2c_inode_xtime(e2c_fs *fs, const struct ext2_inode *inode, __u32 lo,
			  size_t extra_off, size_t extra_end);
#define E2C_XTIME(fs, in, f)						\
	e2c_inode_xtime(fs, in, ((struct ext2_inode_large *)(in))->i_##f,	\
			offsetof(struct ext2_inode_large, i_##f##_extra),	\
			E2C_EXTRA_END(i_##f##_extra))

/* Whether i_block holds a block map or extent tree worth walking (false
 * for fast symlinks, devices, fifos, sockets and inline data). */
int e2c_inode_has_blocks(e2c_fs *fs, struct ext2_inode *inode);

/* "<12>" or a path (absolute, or relative to cwd), as debugfs parses inode
 * arguments.  Errors: EXT2_ET_FILE_NOT_FOUND, E2C_ERR_BAD_INODE... */
errcode_t e2c_lookup(e2c_fs *fs, ext2_ino_t cwd, const char *spec,
		     ext2_ino_t *ino);

/*
 * A path naming ino (malloc()ed, caller frees), or *path = NULL (and 0)
 * when it has none.  A directory's comes from its ".." chain, however
 * deep (a broken chain or a loop counts as none); any other inode's is its
 * first name found by
 * e2c_find_names under its directory's path: one scan per call.
 */
errcode_t e2c_pathname(e2c_fs *fs, ext2_ino_t ino, char **path);
/* The same for n inodes at once (one search for all the non-directories):
 * paths[i] names inos[i] or is NULL; free each.  On error all are NULL. */
errcode_t e2c_pathnames(e2c_fs *fs, const ext2_ino_t *inos, size_t n,
			char **paths);

/* dir + "/" + name (len bytes), malloc()ed: no "/" added after a
 * trailing one, none before name when dir is "" (NULL: out of memory). */
char *e2c_path_join(const char *dir, const char *name, size_t len);

struct e2c_dirent {
	ext2_ino_t ino;
	int ftype;		/* EXT2_FT_* from the entry */
	unsigned int name_len;
	char *name;		/* NUL-terminated copy */
};

/* All entries of directory dir (including "." and ".."), in on-disk order.
 * Collected first so callers never run inside a libext2fs callback. */
errcode_t e2c_dir_list(e2c_fs *fs, ext2_ino_t dir, struct e2c_dirent **ents,
		       size_t *count);
void e2c_dir_free(struct e2c_dirent *ents, size_t count);

/*
 * The tree under ino, reported as path (core/walk.c): ino itself first,
 * then depth first, each directory before its entries, in on-disk order;
 * "." and ".." are skipped and symlinks not followed; paths are built from
 * path as given ("dir", "dir/a", ...).  A directory reached twice (a loop,
 * or a hard-linked directory: corruption) stops the walk with
 * E2C_ERR_DIR_LOOP.
 */
typedef struct e2c_walk e2c_walk;
errcode_t e2c_walk_open(e2c_fs *fs, ext2_ino_t ino, const char *path,
			e2c_walk **ret);
/* The next inode: *got is 0 at the end; else *ino, its *path (valid until
 * the next call) and the inode read into inode (e2c_inode_buf_size()
 * bytes).  After an error, *ino and *path name what failed (the entry, or
 * the directory whose entry could not be named) and the walk is over. */
errcode_t e2c_walk_next(e2c_walk *w, ext2_ino_t *ino, const char **path,
			struct ext2_inode *inode, int *got);
void e2c_walk_close(e2c_walk *w);

/* ------------------------------------------------------------------ */
/* Raw structures (core/raw.c) and htree indexes (core/htree.c)        */
/* ------------------------------------------------------------------ */

/* Where inode ino lives (debugfs imap): its group, the inode table block
 * and the byte offset in that block.  EXT2_ET_BAD_INODE_NUM;
 * EXT2_ET_MISSING_INODE_TABLE when the group has no inode table. */
errcode_t e2c_imap(e2c_fs *fs, ext2_ino_t ino, dgrp_t *group, blk64_t *blk,
		   unsigned int *offset);

/* Read block blk (blocksize bytes into buf), as stored: no checksum is
 * verified.  E2C_ERR_BLOCK_RANGE beyond the filesystem. */
errcode_t e2c_read_block(e2c_fs *fs, blk64_t blk, void *buf);

/* One record of a leaf block of a hash-indexed directory. */
struct e2c_dx_dirent {
	unsigned int offset;	/* in the block */
	ext2_ino_t ino;		/* 0: unused record */
	unsigned int rec_len;	/* decoded */
	unsigned int name_len;
	const char *name;	/* name_len bytes in the leaf's block copy
				 * (not NUL-terminated) */
	ext2_dirhash_t hash, minor_hash;
	errcode_t hash_err;	/* the hash could not be computed */
	int tail;		/* the dirent checksum tail: no name, no hash */
	__u32 checksum;		/* ... and its checksum */
};

struct e2c_dx_leaf {
	blk64_t lblk, pblk;
	errcode_t err;		/* it could not be read (or its checksum
				 * fails): nothing below is set */
	int corrupt;		/* the records end at one that is corrupt */
	size_t count;
	struct e2c_dx_dirent *ents;
	char *block;		/* a copy of the block */
};

struct e2c_dx_node;

struct e2c_dx_entry {
	__u32 hash;		/* 0 for the first entry */
	__u32 block;		/* the child's logical block */
	struct e2c_dx_node *node;	/* the child when an index node */
	struct e2c_dx_leaf *leaf;	/* ... when a leaf (level 0) */
};

struct e2c_dx_node {
	int level;		/* index levels below it (0: leaves) */
	blk64_t lblk, pblk;	/* the root: logical block 0 */
	errcode_t err;		/* unreadable or corrupt: count and limit
				 * may be set, no entries */
	unsigned int count, limit;
	int has_tail;		/* metadata_csum: the dx tail is there */
	__u32 checksum;		/* ... its checksum */
	__u32 expected;		/* ... what it should be (0xffffffff when
				 * it could not be computed: csum_err) */
	errcode_t csum_err;
	struct e2c_dx_entry *ents;	/* count entries */
};

struct e2c_htree {
	ext2_ino_t ino;
	__u32 reserved_zero;	/* the root's dx_root_info */
	int hash_version, info_length, indirect_levels, flags;
	int hash_alg;		/* the hash used: hash_version, + 3 for
				 * the unsigned variants (s_flags) */
	struct e2c_dx_node root;
};

/*
 * Read the whole index of directory dir: root, index nodes and leaves
 * with every record and its hash, in the index's order.  Errors:
 * EXT2_ET_NO_DIRECTORY, E2C_ERR_NOT_INDEXED, the root block unreadable,
 * ENOMEM, E2C_ERR_INTERRUPTED.  A node or leaf that is corrupt or cannot
 * be read keeps its error (err) and the rest is still read; a block
 * referenced twice, past the directory's end or a hole is such an error
 * (E2C_ERR_HTREE_BLOCK), so a corrupt index cannot loop.
 */
errcode_t e2c_htree_read(e2c_fs *fs, ext2_ino_t dir, struct e2c_htree **ret);
void e2c_htree_free(struct e2c_htree *h);

/* ------------------------------------------------------------------ */
/* Contents (core/content.c, core/dump.c)                              */
/* ------------------------------------------------------------------ */

/*
 * An inode's data as a file: i_size bytes, holes and unwritten extents
 * read as zeros, inline data and a fast symlink's target as stored.  Any
 * inode type reads (a directory gives its raw blocks).  inode may be
 * NULL (it is then read); the reader keeps its own copy and a map cursor
 * (every pointer validated, E2C_ERR_PTR_*).  Reading forward is one walk
 * of the map; reading before the last position walks it again.
 */
typedef struct e2c_file e2c_file;

errcode_t e2c_file_open(e2c_fs *fs, ext2_ino_t ino,
			const struct ext2_inode *inode, e2c_file **ret);
__u64 e2c_file_size(e2c_file *f);
/* Up to len bytes at off: *got is less only at the end of the file (0 at
 * or past it).  Interruptible (E2C_ERR_INTERRUPTED). */
errcode_t e2c_file_pread(e2c_file *f, __u64 off, void *buf, size_t len,
			 size_t *got);
void e2c_file_close(e2c_file *f);

/*
 * Checksum of the whole content with algo: "xxh64", "xxh128" (libxxhash,
 * canonical byte order as xxhsum prints) or an OpenSSL digest name
 * ("sha256", "sha1", "md5", "sha512", ...; not the XOFs).  md holds
 * E2C_DIGEST_MAX bytes; *len gets the digest's size.  Errors:
 * E2C_ERR_UNKNOWN_ALGO, E2C_ERR_NO_CRYPTO, reading errors.
 */
#define E2C_DIGEST_MAX 64
errcode_t e2c_file_checksum(e2c_file *f, const char *algo, unsigned char *md,
			    size_t *len);
/* The same over n bytes at buf. */
errcode_t e2c_checksum_buf(const char *algo, const void *buf, size_t n,
			   unsigned char *md, size_t *len);
/* The digest size of algo, or E2C_ERR_UNKNOWN_ALGO.  The OpenSSL digests
 * (and e2c_base64) load libcrypto at first use: E2C_ERR_NO_CRYPTO when it
 * cannot be. */
errcode_t e2c_digest_size(const char *algo, size_t *len);
/* The base64 of len bytes at in (OpenSSL's EVP_EncodeBlock) into out,
 * which holds 4 * ((len + 2) / 3) + 1 bytes (a NUL ends it); *outlen gets
 * its length.  E2C_ERR_NO_CRYPTO, EOVERFLOW. */
errcode_t e2c_base64(const void *in, size_t len, char *out, size_t *outlen);

#define E2C_DUMP_PRESERVE 0x1	/* owner, permissions, atime and mtime */
#define E2C_DUMP_FORCE    0x2	/* replace an existing output file */

/*
 * Write ino's content to the host file out, as debugfs dump does (inode:
 * as for e2c_file_open; the preserved fields come from it).  out
 * must not exist (E2C_ERR_EXISTS) unless E2C_DUMP_FORCE: then a regular
 * file or symlink there is replaced at once (rename of a file written
 * beside it), never a directory (EISDIR).  PRESERVE sets the owner (an
 * unprivileged user's EPERM is ignored), the permission bits (0777 only,
 * as debugfs: no setuid, setgid or sticky bit) and atime and mtime (with
 * nanoseconds and dates past 2038).  A failure leaves nothing at out.
 * Host errors are errno values; *on_host says whether the failure was
 * the host's (writing out) rather than the image's.
 */
errcode_t e2c_dump(e2c_fs *fs, ext2_ino_t ino, const struct ext2_inode *inode,
		   const char *out, unsigned int flags, int *on_host);

struct e2c_rdump_totals {
	size_t files, dirs, symlinks;	/* created */
	size_t skipped;			/* devices, fifos, sockets, unused */
	size_t failed;			/* reported to fail() */
};

/*
 * Recreate the tree at ino under the host directory outdir as debugfs
 * rdump does: directories, regular files and symlinks (special files are
 * skipped and counted), hard links as separate copies, owner, permission
 * bits and times as E2C_DUMP_PRESERVE sets them (symlinks: owner and
 * times).  It is created as outdir/name; an empty name puts ino's
 * entries into outdir itself (which is left as it was).  Nothing existing
 * is overwritten or followed: every host object is made new, relative to
 * its parent's descriptor (openat, O_NOFOLLOW); an entry whose name is
 * not a plain host name ("/" or NUL in it, "." or "..") is refused.  Each
 * failure goes to fail (the host path, or parent/<ino> for a refused
 * name) and the rest goes on.  Returns an error only when nothing could
 * start (outdir) or on E2C_ERR_INTERRUPTED.
 */
typedef void (*e2c_rdump_fail_fn)(const char *path, errcode_t code,
				  void *arg);
errcode_t e2c_rdump(e2c_fs *fs, ext2_ino_t ino, const char *name,
		    const char *outdir, e2c_rdump_fail_fn fail, void *arg,
		    struct e2c_rdump_totals *t);

/* ------------------------------------------------------------------ */
/* Map walking (core/map.c)                                            */
/* ------------------------------------------------------------------ */

enum e2c_kind {
	E2C_DATA = 0,		/* data blocks */
	E2C_IND = 1,		/* indirect block of a block map */
	E2C_DIND = 2,		/* double-indirect block */
	E2C_TIND = 3,		/* triple-indirect block */
	E2C_NODE = 4		/* extent tree block (index or leaf node) */
};

#define E2C_UNINIT 0x1		/* piece flag: unwritten extent */
#define E2C_PAST_BAD 0x2	/* piece flag (e2c_map_each_all): at or after
				 * a bad pointer: the map is corrupt */

/*
 * One step of a map walk, in the order ext2fs_block_iterate3 reports
 * blocks (a metadata block before the blocks it maps).  Data pieces are
 * runs contiguous both logically and physically, never crossing a
 * metadata block; metadata pieces are a single block.
 */
struct e2c_piece {
	enum e2c_kind kind;
	blk64_t lblk;		/* DATA: first logical block.  IND/DIND/TIND:
				 * first logical block it can map.  NODE: the
				 * index entry's logical start */
	blk64_t pblk;		/* first physical block */
	blk64_t len;		/* blocks in the piece (1 for metadata) */
	unsigned int flags;	/* E2C_UNINIT */
	/* Extent-mapped inodes only (zero otherwise): */
	int level;		/* level of the entry (0 = root) */
	int max_depth;		/* tree depth */
	int entry;		/* 1-based entry index in its node */
	int entries;		/* entries in that node */
	int max_entries;	/* capacity of that node */
	blk64_t span;		/* NODE: logical blocks covered (derived by
				 * libext2fs from the next index or i_size) */
};

typedef struct e2c_map e2c_map;

/*
 * Start walking ino's map.  inode may be NULL (it is then read).  Every
 * pointer is validated before use: outside [s_first_data_block,
 * blocks_count) gives E2C_ERR_PTR_RANGE, a pointer of a non-reserved
 * inode into filesystem metadata gives E2C_ERR_PTR_METADATA; the walk
 * stops there (pieces already returned stay valid).  Inodes without
 * blocks (e2c_inode_has_blocks false) walk as empty.  On failure *ret is
 * NULL (e2c_map_close(NULL) does nothing).
 */
errcode_t e2c_map_open(e2c_fs *fs, ext2_ino_t ino,
		       const struct ext2_inode *inode, e2c_map **ret);

/* Next piece; *got is 0 when the walk is over.  Extent leaves of length 0
 * (corrupt but possible) come back as DATA pieces with len 0. */
errcode_t e2c_map_next(e2c_map *m, struct e2c_piece *p, int *got);

/* Next run of data blocks (metadata and empty leaves skipped), coalesced
 * across pieces when logically and physically contiguous with the same
 * flags; *got is 0 at the end.  A bad pointer ends the run before it; the
 * error comes with the next call.  Use one of next/next_run/next_range/
 * next_hole per cursor. */
errcode_t e2c_map_next_run(e2c_map *m, struct e2c_piece *r, int *got);

/* Next entry of the map as debugfs's stat lists it: an extent tree's
 * entries one by one (index nodes too, empty leaves skipped); a block
 * map's data merged while logically and physically contiguous, with each
 * IND/DIND/TIND block where the walk meets it.  A bad pointer ends the
 * range before it; the error comes with the next call. */
errcode_t e2c_map_next_range(e2c_map *m, struct e2c_piece *r, int *got);

/* Next hole below the inode's size in blocks (ceil(i_size/blocksize)):
 * h->lblk, h->len, kind E2C_DATA, pblk 0; *got is 0 at the end.  Holes
 * under missing indirect subtrees are reported whole. */
errcode_t e2c_map_next_hole(e2c_map *m, struct e2c_piece *h, int *got);

/* Whether the walk is of an extent tree. */
int e2c_map_is_extent(e2c_map *m);

void e2c_map_close(e2c_map *m);

/* One node of an extent tree. */
struct e2c_node {
	int level;		/* 0: the root, in i_block */
	blk64_t pblk;		/* its block (0 for the root) */
	int entries, max_entries;
};

/* The nodes of an extent-mapped inode's tree in walk order (each node
 * before the nodes under it; never none: an empty tree is its root) and
 * the tree's depth (core/tree.c).  *nodes is malloc()ed: free() it.
 * EXT2_ET_INODE_NOT_EXTENT for a block-mapped inode; map walk errors. */
errcode_t e2c_extent_nodes(e2c_fs *fs, ext2_ino_t ino,
			   const struct ext2_inode *inode,
			   struct e2c_node **nodes, size_t *count, int *depth);

/* Logical -> physical for one block (0 for a hole), via ext2fs_bmap2. */
errcode_t e2c_bmap(e2c_fs *fs, ext2_ino_t ino, blk64_t lblk, blk64_t *pblk,
		   int *uninit);

/* ------------------------------------------------------------------ */
/* Inode scan (core/scan.c)                                            */
/* ------------------------------------------------------------------ */

typedef struct e2c_scan e2c_scan;

/* Sequential inode-table scan (ext2fs_open_inode_scan), in-use inodes
 * only (inode bitmap when loaded, else links_count or mode). */
errcode_t e2c_scan_open(e2c_fs *fs, e2c_scan **ret);
/* *ino == 0 at the end.  inode must hold e2c_inode_buf_size() bytes. */
errcode_t e2c_scan_next(e2c_scan *s, ext2_ino_t *ino, struct ext2_inode *inode);
void e2c_scan_close(e2c_scan *s);

/* Call fn on every in-use inode, in inode-table order, until it sets *done
 * or fails; Ctrl-C (e2c_interrupted) between inodes stops it with
 * E2C_ERR_INTERRUPTED. */
typedef errcode_t (*e2c_inode_fn)(e2c_fs *fs, ext2_ino_t ino,
				  struct ext2_inode *inode, void *priv,
				  int *done);
errcode_t e2c_scan_each(e2c_fs *fs, e2c_inode_fn fn, void *priv);

/* ------------------------------------------------------------------ */
/* Filesystem-wide searches (core/search.c)                            */
/* ------------------------------------------------------------------ */

#define E2C_XATTR 5		/* e2c_owner kind beyond enum e2c_kind: the
				 * inode's extended attribute block */

struct e2c_owner {
	blk64_t blk;		/* wanted */
	ext2_ino_t ino;		/* its owner, 0: nobody */
	int kind;		/* as what: enum e2c_kind or E2C_XATTR */
};

/*
 * Who maps these blocks (debugfs icheck): one sequential scan of the
 * linked inodes, each one's xattr block, then its map (unless i_dtime is
 * set), stopping once every query has an owner.  The first owner found
 * wins.  A map that cannot be walked counts for the blocks read before
 * the bad pointer and is passed to bad_map (may be NULL); the search goes
 * on.  Errors: ENOMEM, E2C_ERR_INTERRUPTED, scan errors.
 */
errcode_t e2c_find_owners(e2c_fs *fs, struct e2c_owner *q, size_t n,
			  void (*bad_map)(ext2_ino_t ino, errcode_t err,
					  void *priv),
			  void *priv);

/*
 * What names these inodes (debugfs ncheck): one sequential scan over the
 * linked directories, calling found for every entry (not "." or "..")
 * naming one of inos, once per position of that inode in inos.  Stops
 * when all expected names were seen (1 for a directory, links_count for
 * anything else), or when found returns nonzero: E2C_STOP ends the search
 * with 0, anything else is returned.  A directory that cannot be read
 * goes to bad_dir (may be NULL).  Errors: reading one of inos, ENOMEM,
 * E2C_ERR_INTERRUPTED, scan errors.
 */
errcode_t e2c_find_names(e2c_fs *fs, const ext2_ino_t *inos, size_t n,
			 errcode_t (*found)(ext2_ino_t ino, ext2_ino_t dir,
					    const struct e2c_dirent *d,
					    void *priv),
			 void (*bad_dir)(ext2_ino_t dir, errcode_t err,
					 void *priv),
			 void *priv);

/* ------------------------------------------------------------------ */
/* Migration (core/plan.c, core/tx.c)                                  */
/* ------------------------------------------------------------------ */

#define E2C_MAX_EXTENT_LEN 32768	/* initialized extent length cap */
#define E2C_PLAN_FROM 4		/* free ranges a relocating plan lists */

struct e2c_plan {
	ext2_ino_t ino;
	errcode_t skip;		/* 0: migratable; else why not (an
				 * E2C_ERR_SKIP_*, E2C_ERR_PTR_*, ... code) */
	blk64_t data_blocks;	/* data blocks mapped */
	blk64_t runs;		/* contiguous runs (fragments) */
	blk64_t extents;	/* leaf extents needed (runs split at 32768) */
	int depth;		/* depth of the new tree */
	blk64_t index_blocks;	/* extent tree blocks to allocate */
	blk64_t meta_freed;	/* IND/DIND/TIND blocks released */
	long long used_delta;	/* index_blocks - meta_freed */
	blk64_t iblocks_before;	/* i_blocks (512-byte units) now */
	blk64_t iblocks_after;	/* i_blocks after migration */
	blk64_t free_blocks;	/* E2C_ERR_SKIP_NO_SPACE: the blocks free
				 * for it (index_blocks: what it needs;
				 * relocate: data_blocks + index_blocks) */
	/* A reverse migration (core/unmigrate.c): runs, extents and
	 * data_blocks count the tree's initialized extents, depth is the
	 * new block map's (0 direct only, 1 IND, 2 DIND, 3 TIND),
	 * index_blocks its indirect blocks, meta_freed the tree's
	 * non-root nodes and uninit_freed the blocks of unwritten extents,
	 * which become holes (they read as zeros either way). */
	int unmigrate;
	blk64_t uninit_freed;
	/* A relocating plan (relocate set; core/reloc.c): the data moves
	 * to new blocks, extents is the count after, meta_freed counts the
	 * old indirect or extent tree blocks (the old data blocks are
	 * freed too, data_blocks of them). */
	int relocate;
	int was_extent;		/* the map was an extent tree already */
	blk64_t extents_before;	/* leaf extents now (a block map: those
				 * migrating in place would give) */
	blk64_t ideal;		/* the fewest the data islands allow */
	blk64_t copy_blocks;	/* initialized data blocks copied (the
				 * uninitialized ones get blocks, no copy) */
	blk64_t goal;		/* where the search for free space began */
	int fragmented_free;	/* free space too fragmented for the ideal:
				 * the best layout found is taken */
	blk64_t free_runs;	/* free ranges the data goes to */
	struct e2c_blkrange {
		blk64_t start, len;
	} from[E2C_PLAN_FROM];	/* the first of them, in file order */
};

/* How to migrate (e2c_tx_migrate2, e2c_plan_inode2). */
struct e2c_migrate_opts {
	int relocate;		/* copy the data to new blocks (any map) */
	blk64_t goal;		/* where to look first (0: the inode's
				 * group); E2C_ERR_BLOCK_RANGE outside */
	long long min_gain;	/* refuse (E2C_ERR_SKIP_GAIN) unless
				 * extents_before - extents >= this */
	int verify;		/* read back every copied block before the
				 * inode is written (E2C_ERR_VERIFY) */
	int unmigrate;		/* plans only: of the reverse migration
				 * (e2c_unplan_inode; not with relocate) */
};

/* What of a skipped plan the code alone does not say, into buf (len
 * bytes; "" when nothing): for E2C_ERR_SKIP_NO_SPACE the blocks needed
 * and free ("needs 102 free blocks (data and index), 84 free"). */
void e2c_plan_detail(const struct e2c_plan *p, char *buf, size_t len);

/* What migrating ino would do; writes nothing, works read-only.  A
 * non-migratable inode is not an error: plan->skip says why (also
 * E2C_ERR_SKIP_NO_SPACE when its index blocks outnumber the free
 * blocks). */
errcode_t e2c_plan_inode(e2c_fs *fs, ext2_ino_t ino, struct e2c_plan *plan);
/* The same with options (o NULL: in place; o->unmigrate: the reverse
 * migration's, e2c_unplan_inode).  A relocating plan lays the data out
 * in a scratch copy of the block bitmap: what staging it now would do in
 * an empty transaction (core/reloc.c). */
errcode_t e2c_plan_inode2(e2c_fs *fs, ext2_ino_t ino,
			  const struct e2c_migrate_opts *o,
			  struct e2c_plan *plan);

/* ------------------------------------------------------------------ */
/* Selection (core/select.c)                                           */
/* ------------------------------------------------------------------ */

#define E2C_TYPE_REGULAR	0x1
#define E2C_TYPE_DIRECTORY	0x2
#define E2C_TYPE_SYMLINK	0x4
#define E2C_TYPE_OTHER		0x8

enum e2c_order {
	E2C_ORDER_NONE,		/* as offered (inode order for a scan) */
	E2C_ORDER_LARGEST,	/* i_size, largest first */
	E2C_ORDER_SMALLEST,	/* i_size, smallest first */
	E2C_ORDER_FRAGMENTED,	/* runs, most first */
	E2C_ORDER_CUSTOM	/* the caller's, given to e2c_select_finish */
};				/* ties: lower inode number first */

enum e2c_budget {
	E2C_BUDGET_NONE,
	E2C_BUDGET_MAX_FILES,
	E2C_BUDGET_MAX_DATA_BLOCKS,
	E2C_BUDGET_MAX_INDEX_BLOCKS,
	E2C_BUDGET_KEEP_FREE
};

/* What a policy takes; a use_* flag turns its field on. */
struct e2c_criteria {
	/* on inode fields */
	unsigned types;			/* E2C_TYPE_* bits; 0: any */
	int use_uid, use_gid;
	__u32 uid, gid;
	int use_mtime_before, use_mtime_after;
	long long mtime_before;		/* mtime < this */
	long long mtime_after;		/* mtime >= this */
	int use_min_size, use_max_size;
	__u64 min_size, max_size;	/* i_size bounds, inclusive */
	/* on the plan: at least this many runs (0: any) */
	blk64_t min_runs;
	enum e2c_order order;
	/* budgets: the run stops at the first inode that does not fit */
	int use_max_files, use_max_data_blocks, use_max_index_blocks;
	int use_keep_free;
	size_t max_files;
	blk64_t max_data_blocks, max_index_blocks;
	double keep_free;		/* percent of all blocks left free */
	int log;			/* keep every decision's plan */
	/* What will be committed at once: every batch inodes (0: only
	 * when the tx is full, e2c_tx_full), so that an inode whose index
	 * blocks do not fit in what is free by then (the indirect blocks
	 * of a batch are free once it is committed) is skipped with
	 * E2C_ERR_SKIP_NO_SPACE, the same in a dry run as in the run. */
	size_t batch;
	/* Select extent-mapped inodes to turn back into block maps
	 * (e2c_unplan_from plans them, staging unmigrates) instead. */
	int unmigrate;
};

struct e2c_select_totals {
	size_t examined;	/* inodes that passed the field criteria */
	size_t filtered;	/* ... then failed min_runs */
	size_t skipped;		/* ... or could not be migrated */
	size_t files;		/* selected */
	size_t regular, directories, symlinks;	/* ... by type */
	blk64_t data_blocks, extents, index_blocks, meta_freed;
	long long used_delta;
	enum e2c_budget stopped_by;
};

struct e2c_skip_count {
	errcode_t code;		/* the plan's skip reason */
	size_t count;
};

typedef struct e2c_select e2c_select;

errcode_t e2c_select_open(e2c_fs *fs, const struct e2c_criteria *crit,
			  e2c_select **ret);
void e2c_select_close(e2c_select *s);

/* Consider ino (each inode once: a repeat is ignored).  *stopped once a
 * budget ended the run: offer no more. */
errcode_t e2c_select_offer(e2c_select *s, ext2_ino_t ino, int *stopped);

/* Consider every in-use inode, at most max (0: no limit) per call, until
 * *done.  Interruptible.  When the owners map is not built yet this walk
 * builds it: commit nothing staged from it before *done; another
 * selection's scan cannot start meanwhile (E2C_ERR_SCANNING: finish or
 * close this one first).  tx (may be NULL; used only when empty and the
 * run is unordered; E2C_ERR_OTHER_FS unless it is the open transaction of
 * the selection's fs) gets the inodes staged as they are selected, from
 * the same walk, until it holds tx_max (0: no limit) or is full
 * (e2c_tx_full); the rest waits for e2c_select_stage.  A tx closed
 * meanwhile is let go. */
struct e2c_tx;
errcode_t e2c_select_scan(e2c_select *s, size_t max, struct e2c_tx *tx,
			  size_t tx_max, int *done);

/* After e2c_select_scan failed: the inode whose staging failed (the
 * error is staging's), or 0 (the scan's). */
ext2_ino_t e2c_select_stage_failed(e2c_select *s);

/* Ordered runs: order the candidates (E2C_ORDER_CUSTOM: as in order[],
 * n entries; candidates not in it are dropped) and apply the budgets.
 * Once: offer and scan before it. */
errcode_t e2c_select_finish(e2c_select *s, const ext2_ino_t *order, size_t n);
/* The i-th candidate kept for ordering (0 past the end), before finish. */
ext2_ino_t e2c_select_candidate(e2c_select *s, size_t i);

const struct e2c_select_totals *e2c_select_totals(e2c_select *s);
const struct e2c_skip_count *e2c_select_skips(e2c_select *s, size_t *n);

size_t e2c_select_pending(e2c_select *s);

/* Stage the next selected inodes into tx, until it holds max (0: no
 * limit) or is full (e2c_tx_full); *staged says how many.  An inode that
 * cannot be staged stops it with the error and *failed = that inode.  tx
 * must be the open transaction of the selection's fs (E2C_ERR_OTHER_FS:
 * its block maps would be written into another image). */
errcode_t e2c_select_stage(e2c_select *s, struct e2c_tx *tx, size_t max,
			   size_t *staged, ext2_ino_t *failed);
/* Everything selected so far, in order (staged or not): *v valid until
 * the next call or e2c_select_free.  ENOMEM. */
errcode_t e2c_select_selected(e2c_select *s, const ext2_ino_t **v,
			      size_t *n);

/* With crit.log: the plans decided since the last call, skipped and
 * selected, in the order decided (ordered runs: selected at finish). */
const struct e2c_plan *e2c_select_log(e2c_select *s, size_t *n);

typedef struct e2c_tx e2c_tx;

struct e2c_tx_totals {
	size_t inodes;		/* staged inodes */
	blk64_t data_blocks;
	blk64_t extents;
	blk64_t index_blocks;	/* reserved extent tree blocks */
	blk64_t meta_freed;
	blk64_t uninit_freed;	/* unmigrate: unwritten blocks freed */
	size_t unmigrated;	/* of the inodes: reverse migrations */
	long long used_delta;	/* net change in used blocks */
	size_t relocated;	/* ... of them relocating */
	blk64_t moved_blocks;	/* their data blocks, on new blocks */
	blk64_t copied_blocks;	/* ... of which copied (initialized) */
};

/* Begin a transaction (one open per fs; needs a writable fs with bitmaps). */
errcode_t e2c_tx_begin(e2c_fs *fs, e2c_tx **ret);

/* Stage one inode: reserve its index blocks in memory and build its tree
 * in memory.  Nothing reaches the disk.  plan (may be NULL) is filled. */
errcode_t e2c_tx_migrate(e2c_tx *tx, ext2_ino_t ino, struct e2c_plan *plan);
/* The same with options (o NULL: in place; o->unmigrate is ignored:
 * e2c_tx_unmigrate stages those).  Relocating reserves the new data
 * blocks as well (the layout: core/reloc.c) and works on extent-mapped
 * inodes too; while a scan builds the owners map it is refused
 * (E2C_ERR_SCANNING). */
errcode_t e2c_tx_migrate2(e2c_tx *tx, ext2_ino_t ino,
			  const struct e2c_migrate_opts *o,
			  struct e2c_plan *plan);

size_t e2c_tx_count(e2c_tx *tx);
/* Whether tx holds what one commit should at most, memory kept bounded:
 * E2C_TX_MAX_KEPT inodes that keep a record of their own (those with
 * indirect blocks or index blocks; the others keep only their number)
 * or E2C_TX_MAX_INDEX index blocks. */
#define E2C_TX_MAX_KEPT 8192
#define E2C_TX_MAX_INDEX 1024
int e2c_tx_full(e2c_tx *tx);
/* Plan of the i-th staged inode (0-based: those needing a struct of
 * their own in staging order, then those whose tree is their direct
 * blocks, in staging order). */
errcode_t e2c_tx_entry(e2c_tx *tx, size_t i, struct e2c_plan *plan);
void e2c_tx_totals(e2c_tx *tx, struct e2c_tx_totals *t);

/*
 * Write everything staged, in the crash-safe order: mark not clean (+
 * the features of e2c_tx_effects, with the backup superblocks when they
 * change), index blocks, bitmaps and counts, inodes, then release
 * the old indirect blocks, then clean again, flushing between steps.  A
 * failure before any inode was written restores the disk; after, the fs
 * stays marked not clean and E2C_ERR_COMMIT_PARTIAL is returned (and
 * E2C_ERR_RESTORE_FAILED when the restore's own flush fails:
 * e2c_tx_failure).  On success the transaction is empty and may stage
 * again.
 */
errcode_t e2c_tx_commit(e2c_tx *tx);

/* Where the last e2c_tx_commit stopped: *step is the step it was in
 * (0-5, as above; 6 when it completed) and *written the inodes it wrote
 * (for the message after E2C_ERR_COMMIT_PARTIAL). */
void e2c_tx_progress(e2c_tx *tx, int *step, size_t *written);
/* Why the last e2c_tx_commit failed: *cause the error of the step it
 * stopped in, *flush that of the flush after it (0: it worked): the
 * flush writing the superblock back as it was before the point of no
 * return, the one marking the fs not clean after.  When the restoring
 * flush fails, the commit returns E2C_ERR_RESTORE_FAILED instead of
 * *cause: the disk may say not clean, with the new features (close
 * tries to write the old superblock once more). */
void e2c_tx_failure(e2c_tx *tx, errcode_t *cause, errcode_t *flush);

/* Which transaction of its fs tx is: 1 for the first begun, 2 for the
 * next...  Two transactions of one fs never share a number, even at the
 * same address (one freed, the next allocated where it was). */
unsigned long e2c_tx_generation(e2c_tx *tx);

/* Drop everything staged and release the reservations. */
void e2c_tx_rollback(e2c_tx *tx);

/* Roll back and free; detaches from the fs. */
void e2c_tx_free(e2c_tx *tx);
/* ------------------------------------------------------------------ */
/* What a commit does besides converting inodes (core/effects.c)       */
/* ------------------------------------------------------------------ */

/* The features a write may turn on or off (bits of struct e2c_effects). */
enum e2c_feature {
	E2C_FEATURE_EXTENT,
	E2C_FEATURES_		/* how many (not a feature) */
};

/*
 * What a commit does to the superblock beyond the counts, decided once
 * (core/effects.c) from the superblock and how many inodes it converts:
 * e2c_tx_commit applies exactly this, and plans, dry runs, pending
 * listings and commit reports describe it (e2c_effects_line).  What
 * every commit does whatever it holds is in doc/migration.md.
 */
struct e2c_effects {
	unsigned features_on;	/* 1 << E2C_FEATURE_*: turned on */
	unsigned features_off;	/* ... turned off */
	dgrp_t backups;		/* backup superblocks rewritten to carry
				 * a changed feature set (0: none) */
	int not_clean;		/* the fs is marked not clean while the
				 * commit runs (clean again at its end) */
	blk64_t moved;		/* data blocks relocated: copied to new
				 * blocks, the old ones freed */
};

/* The effects of converting n block-mapped inodes now (n 0: none, as a
 * commit of nothing writes nothing). */
void e2c_effects_of(e2c_fs *fs, size_t n, struct e2c_effects *ef);
/* ... of committing what tx holds. */
void e2c_tx_effects(e2c_tx *tx, struct e2c_effects *ef);

/* A feature's name as tune2fs -O takes it ("extent"); the feature of a
 * name, or -1. */
const char *e2c_feature_name(enum e2c_feature f);
int e2c_feature_by_name(const char *name);

/* How the lines are said: a plan or pending listing ("will be turned
 * on"), a dry run ("would be turned on"), a commit done ("turned on"). */
enum e2c_tense { E2C_WILL, E2C_WOULD, E2C_DONE };

/* The i-th line (from 0) saying what ef does, each effect in a line of
 * its own with what it means ("feature: extent will be turned on:
 * kernels without ext4 support ..."; "backups: 7 backup superblocks
 * ..."), into buf (size bytes; truncated to fit); 0 past the last. */
int e2c_effects_line(const struct e2c_effects *ef, enum e2c_tense tense,
		     size_t i, char *buf, size_t size);

/* ------------------------------------------------------------------ */
/* Reverse migration (core/unmigrate.c)                                */
/* ------------------------------------------------------------------ */

/* What turning extent-mapped ino back into a block map would do
 * (plan->unmigrate set); writes nothing.  A block at 2^32 or above
 * (E2C_ERR_SKIP_HIGH_BLOCK), a file past the map's 12 + k + k^2 + k^3
 * blocks (E2C_ERR_SKIP_TOO_BIG), an inode already block-mapped
 * (E2C_ERR_SKIP_BLOCKMAP), ... are plan->skip reasons, as for
 * e2c_plan_inode; so is E2C_ERR_SKIP_NO_SPACE. */
errcode_t e2c_unplan_inode(e2c_fs *fs, ext2_ino_t ino, struct e2c_plan *plan);

/* Stage ino's reverse migration: its indirect blocks reserved near its
 * data and filled in memory.  The commit writes them (step 1), marks
 * them (2), switches the inode to its block map, EXTENTS_FL cleared
 * (3), and only then frees the old tree's nodes and the unwritten
 * extents' blocks (4).  A tx may mix both directions. */
errcode_t e2c_tx_unmigrate(e2c_tx *tx, ext2_ino_t ino, struct e2c_plan *plan);

/* Ask the commit to turn feature f off (only E2C_FEATURE_EXTENT can
 * be): E2C_ERR_FEATURE_NEEDED on a 64bit or bigalloc filesystem, which
 * needs it.  The commit first scans every inode: any extent-mapped
 * inode left after it (but those it unmigrates; those it migrates
 * count) refuses the whole commit with E2C_ERR_EXTENTS_LEFT before
 * anything is written (e2c_tx_extents_left names them).  The feature
 * goes off at the commit's end, with the clean state: until every inode
 * is a block map, the disk keeps it. */
errcode_t e2c_tx_clear_feature(e2c_tx *tx, enum e2c_feature f);
/* After E2C_ERR_EXTENTS_LEFT: the first such inode and how many. */
void e2c_tx_extents_left(e2c_tx *tx, ext2_ino_t *first, size_t *count);

/* ------------------------------------------------------------------ */
/* Free space (core/free.c)                                            */
/* ------------------------------------------------------------------ */

#define E2C_FREE_MAPS 4

/*
 * A pull cursor over the free extents of a block range, in block order:
 * maximal runs of blocks clear in the filesystem's block bitmap and in
 * every map added (e2c_free_add_map: metadata or owners maps, whose set
 * bits count as in use).  Extents are clipped to the range, not to block
 * groups.  It lives where the caller puts it (no allocation) and needs
 * no close; the bitmaps must outlive it.
 */
struct e2c_free_cursor {
	e2c_fs *fs;		/* maps[0] is its block map, loaded as met */
	ext2fs_block_bitmap maps[E2C_FREE_MAPS];
	int nmaps;
	blk64_t start, end;	/* the range: [start, end) */
	blk64_t pos;		/* next block to look at */
};

/* Over [start, start+count), which must lie inside [0, blocks_count)
 * (E2C_ERR_PTR_RANGE); blocks before s_first_data_block are never free.
 * E2C_ERR_NO_BITMAPS when the bitmaps are not loaded (-c). */
errcode_t e2c_free_begin(e2c_fs *fs, blk64_t start, blk64_t count,
			 struct e2c_free_cursor *c);
/* Also treat blocks set in map as in use (at most E2C_FREE_MAPS maps in
 * all: EXT2_ET_INVALID_ARGUMENT beyond). */
errcode_t e2c_free_add_map(struct e2c_free_cursor *c, ext2fs_block_bitmap map);
/* Next free extent (*blk, *len); *got is 0 at the end of the range. */
errcode_t e2c_free_next(struct e2c_free_cursor *c, blk64_t *blk,
			blk64_t *len, int *got);
/* Go on from blk (clamped into the range): the next extent starts at blk
 * when blk is free, even inside a free extent. */
void e2c_free_seek(struct e2c_free_cursor *c, blk64_t blk);
/*
 * First fit from a goal: the first free extent of at least want blocks
 * from goal to the end of the range, then from its start (extents that
 * start before the goal, whole).  When none is that long, the longest
 * one (the first of equals).  Fails with EXT2_ET_BLOCK_ALLOC_FAIL when
 * the range has no free block.  Moves the cursor.
 */
errcode_t e2c_free_find(struct e2c_free_cursor *c, blk64_t goal, blk64_t want,
			blk64_t *blk, blk64_t *len);

/* e2freefrag's histogram of free extent sizes over a range: bucket b
 * counts the extents of [2^(b-1), 2^b) blocks (bucket 0 stays empty; the
 * last is open-ended), as misc/e2freefrag.c buckets them. */
#define E2C_FREEFRAG_BUCKETS 32
struct e2c_freefrag {
	blk64_t start, count;	/* the range */
	blk64_t free_blocks;	/* free blocks in it (per the bitmap) */
	blk64_t extents;	/* free extents */
	blk64_t min, max;	/* shortest and longest (0: none) */
	blk64_t chunk;		/* chunk size in blocks (0: none) */
	blk64_t chunks;		/* chunks (aligned on multiples of chunk)
				 * wholly inside the range */
	blk64_t free_chunks;	/* ... wholly free */
	blk64_t hist_extents[E2C_FREEFRAG_BUCKETS];
	blk64_t hist_blocks[E2C_FREEFRAG_BUCKETS];
};

/* Fill ff for [start, start+count) (as e2c_free_begin takes it).
 * Interruptible. */
errcode_t e2c_freefrag(e2c_fs *fs, blk64_t start, blk64_t count,
		       blk64_t chunk, struct e2c_freefrag *ff);

/* ------------------------------------------------------------------ */
/* Fragmentation (core/frag.c)                                         */
/* ------------------------------------------------------------------ */

/*
 * How fragmented one inode is (frag.c's header has the rules): runs are
 * ino:runs()'s; a run starts a new fragment unless it begins right after
 * the previous run (past the file's own map blocks there), where that
 * run's mapping would put it, or past filesystem metadata only; holes
 * never break anything.  ideal: the extents the data islands need.
 */
struct e2c_frag {
	ext2_ino_t ino;
	int is_extent;		/* extent tree (else block map) */
	blk64_t data_blocks;
	blk64_t runs;		/* data runs */
	blk64_t fragments;	/* runs starting a fragment (0: no data) */
	blk64_t extents;	/* leaf extents: the tree's, or (block map)
				 * extents_needed */
	blk64_t extents_needed;	/* the runs split at the length limit */
	blk64_t ideal;		/* the fewest extents the data could have */
	blk64_t holes;		/* holes below i_size */
	blk64_t hole_blocks;
	blk64_t map_blocks;	/* indirect or extent tree blocks */
	blk64_t index_blocks;	/* extent tree blocks: the tree's, or those
				 * a block map's extents would need */
	int e2fsck_noncontig;	/* e2fsck -fn counts it "non-contiguous" */
};

/* One run, as e2c_frag_inode lists them. */
struct e2c_frag_run {
	blk64_t lblk, pblk, len;
	unsigned int flags;	/* E2C_UNINIT */
	int fragment;		/* starts a fragment (the first run does) */
	blk64_t expected;	/* the block right after the previous run
				 * (past map blocks there); 0 for the first */
};

/* Fill f from one walk of ino's map (inode already read).  With runs,
 * also the list of runs (*runs malloc()ed, caller frees; NULL when
 * none).  Errors are the walk's. */
errcode_t e2c_frag_inode(e2c_fs *fs, ext2_ino_t ino, struct ext2_inode *inode,
			 struct e2c_frag *f, struct e2c_frag_run **runs,
			 size_t *nruns);

enum { E2C_MAP_BLOCKMAP, E2C_MAP_EXTENTS, E2C_MAP_NONE, E2C_MAP_INLINE,
       E2C_MAP_KINDS };

/* Bucket 0: files of one extent; bucket k: of 2^(k-1)+1 to 2^k. */
#define E2C_FRAG_BUCKETS 34

/*
 * Totals of a scan.  "Files" are the root and the ordinary inodes (not
 * the reserved ones, not the orphan file) with links: every type counts
 * in types[EXT2_FT_*][E2C_MAP_*]; those with data blocks in the rest.
 * fsck_files/fsck_dirs count every inode e2fsck -fn checks, the journal
 * included: its "non-contiguous" figures (meaningful for a whole scan).
 */
struct e2c_frag_totals {
	size_t inodes;			/* inodes looked at */
	size_t types[EXT2_FT_MAX][E2C_MAP_KINDS];
	size_t files;			/* files with data */
	size_t fragmented;		/* ... in more than one fragment */
	size_t excess;			/* ... with more extents than ideal */
	size_t holey;			/* ... with holes */
	blk64_t data_blocks, runs, fragments, extents, ideal, holes;
	size_t hist_files[E2C_FRAG_BUCKETS];	/* files by extents */
	size_t hist_fragmented[E2C_FRAG_BUCKETS];
	blk64_t hist_blocks[E2C_FRAG_BUCKETS];
	/* what the maps cost: block-mapped files (data, indirect blocks,
	 * and the extents and index blocks they would need), extent-mapped
	 * files (data, extents, index blocks) */
	size_t bmap_files, ext_files;
	blk64_t bmap_data, bmap_map, bmap_extents, bmap_index;
	blk64_t ext_data, ext_extents, ext_index;
	size_t fsck_files, fsck_dirs;
	size_t bad;			/* maps that could not be walked */
	ext2_ino_t first_bad;		/* the first of them, and why */
	errcode_t first_bad_err;
};

typedef struct e2c_fragscan e2c_fragscan;

/* A scan of every in-use inode (inos NULL) or of the n inodes of inos
 * (any order, repeats counted once), keeping the top most fragmented. */
errcode_t e2c_fragscan_open(e2c_fs *fs, const ext2_ino_t *inos, size_t n,
			    size_t top, e2c_fragscan **ret);
/* At most max inodes (0: all) per call, until *done.  Interruptible. */
errcode_t e2c_fragscan_step(e2c_fragscan *s, size_t max, int *done);
/* How far it got: inode numbers of s_inodes_count, or list entries. */
void e2c_fragscan_progress(e2c_fragscan *s, size_t *done, size_t *total);
const struct e2c_frag_totals *e2c_fragscan_totals(e2c_fragscan *s);
/* The most fragmented files (more than one fragment), most first (then
 * most extents, then lowest inode); *n is 0 until done. */
const struct e2c_frag *e2c_fragscan_top(e2c_fragscan *s, size_t *n);
void e2c_fragscan_close(e2c_fragscan *s);

/* ------------------------------------------------------------------ */
/* Block map pictures (core/blockmap.c)                                */
/* ------------------------------------------------------------------ */

/*
 * What each block of a range is, counted per cell (a span of blocks), for
 * a picture of where files lie.  The kinds, in the order they take
 * precedence when a block is several at once (a later one wins):
 */
enum e2c_bk {
	E2C_BK_FREE,	/* free in the block bitmap */
	E2C_BK_META,	/* filesystem metadata: superblocks, descriptors,
			 * reserved GDT blocks, bitmaps, inode tables, and
			 * the blocks of the reserved inodes (journal,
			 * resize inode, quota) */
	E2C_BK_OTHER,	/* in use by anything else: other files' data and
			 * metadata */
	E2C_BK_DATA,	/* data of the chosen inodes */
	E2C_BK_IND,	/* their indirect, extent tree and xattr blocks */
	E2C_BK_FREED,	/* after a commit (e2c_blockmap_after): freed */
	E2C_BK_NEW,	/* ... and allocated (new index blocks) */
	E2C_BK_KINDS
};

#define E2C_BM_NAMES 8		/* inodes a cell lists */
#define E2C_BM_MAX_CELLS (1 << 20)
#define E2C_BM_ERRORS 16	/* maps that failed, listed */

struct e2c_bm_cell {
	blk64_t start, count;		/* its blocks */
	blk64_t n[E2C_BK_KINDS];	/* how many of each kind */
	/* What the cell shows: the first of NEW, FREED, IND, DATA it has
	 * any block of; else FREE if more than half its blocks are free;
	 * else the more numerous of META and OTHER (META on a tie). */
	enum e2c_bk kind;
	size_t nfiles;			/* chosen inodes with blocks here */
	ext2_ino_t files[E2C_BM_NAMES];	/* the first nfiles of them */
	ext2_ino_t last;		/* (the last one counted) */
};

struct e2c_bm_error {
	ext2_ino_t ino;			/* whose map or directory */
	errcode_t err;
};

typedef struct e2c_blockmap e2c_blockmap;

/*
 * Open a picture of blocks start..start+count-1 (inside [first data
 * block, blocks count)), per_cell blocks a cell (the last may have
 * fewer), at most E2C_BM_MAX_CELLS cells: EXT2_ET_INVALID_ARGUMENT
 * otherwise.  Then choose inodes, optionally ask for the state after a
 * transaction's commit, and finish.  Needs the bitmaps.
 */
errcode_t e2c_blockmap_open(e2c_fs *fs, blk64_t start, blk64_t count,
			    blk64_t per_cell, e2c_blockmap **ret);
/* Choose ino (named name, copied; may be NULL): its map and xattr block
 * are walked now.  An inode chosen again is ignored.  A map that cannot
 * be walked counts as far as it goes and is listed in the errors. */
errcode_t e2c_blockmap_choose(e2c_blockmap *bm, ext2_ino_t ino,
			      const char *name);
/* Choose every inode under dir (e2c_walk), named by their paths; a
 * walk that fails is listed in the errors and ends there. */
errcode_t e2c_blockmap_choose_tree(e2c_blockmap *bm, ext2_ino_t dir,
				   const char *path);
/* Choose every in-use inode that is not metadata (the root and every
 * inode from s_first_ino on, except the journal, quota and orphan file
 * inodes): one scan.  Interruptible. */
errcode_t e2c_blockmap_choose_all(e2c_blockmap *bm);
/* Show the filesystem as committing tx would leave it: its inodes' old
 * indirect blocks FREED, their new index blocks NEW. */
errcode_t e2c_blockmap_after(e2c_blockmap *bm, e2c_tx *tx);
/* Count and classify the cells.  Once, after the choices. */
errcode_t e2c_blockmap_finish(e2c_blockmap *bm);
/* Name the inodes the cells list that have no name yet, by their first
 * path from the root (one walk of the tree, stopped once all are
 * named); unnamed ones stay so. */
errcode_t e2c_blockmap_name_cells(e2c_blockmap *bm);

/* The result, valid until free. */
void e2c_blockmap_geometry(e2c_blockmap *bm, blk64_t *start, blk64_t *count,
			   blk64_t *per_cell);
const struct e2c_bm_cell *e2c_blockmap_cells(e2c_blockmap *bm, size_t *n);
/* Name of an inode the picture knows (chosen with a name, or named by
 * name_cells), or NULL. */
const char *e2c_blockmap_name(e2c_blockmap *bm, ext2_ino_t ino);
/* The first E2C_BM_ERRORS failures met; *total counts them all. */
const struct e2c_bm_error *e2c_blockmap_errors(e2c_blockmap *bm, size_t *n,
					       size_t *total);
void e2c_blockmap_free(e2c_blockmap *bm);

#endif /* E2C_H */
