/*
 * err.c -- e2lua's com_err table, so error_message() speaks for the core's
 * own codes the same way it does for libext2fs's.
 */
#include <errno.h>

#include "e2c_int.h"

volatile sig_atomic_t e2c_interrupted;

/* Keep in the order of the enum in e2c.h. */
static const char *const e2c_msgs[] = {
	"Filesystem is mounted: refusing to open it for write",
	"Device is busy (in use by the kernel or another program)",
	"Journal needs recovery: run e2fsck first",
	"Filesystem is not clean: run e2fsck -f first",
	"Filesystem has errors: run e2fsck -f first",
	"Orphan list is not empty: run e2fsck first",
	"Filesystem has a feature e2lua cannot write safely",
	"Image is locked by another e2lua writer",
	("Filesystem has quotas, whose usage e2lua cannot update: turn them "
	 "off with tune2fs -O ^quota (and ^project), migrate, then turn them "
	 "on with tune2fs -O quota"),
	"Block pointer outside the filesystem",
	"Block pointer into filesystem metadata",
	"Inode number out of range",
	"Filesystem bitmaps not loaded (opened with -c)",
	"Not a directory",
	"Logical block too large for an extent (2^32-1 and above)",
	"Inode has no block map (fast symlink, device, fifo or socket)",
	"Inode keeps its data inline",
	"Inode is already extent-mapped",
	"Reserved inode (below s_first_ino, not the root)",
	"Inode is unlinked (links_count is 0)",
	"File type is not migrated",
	"Inode is already staged in this transaction",
	"A transaction is already open on this filesystem",
	"Transaction already ended",
	("Commit failed after inodes were written: filesystem left marked "
	 "not clean, run e2fsck -f"),
	"Interrupted",
	"Filesystem opened read-only (open it with -w)",
	"Block mapped twice (by two inodes, or twice by one)",
	"Extent tree deeper than allowed (more than 5 levels)",
	"Extents overlap or are out of order",
	"File size beyond what the block map can address",
	"Group descriptor checksum does not match: run e2fsck -f first",
	"Search stopped by its caller",
	"Inode changed since it was staged",
	"A selection scan is building the block owners map: finish it first",
	"Unknown checksum algorithm",
	"The digest library failed",
	"Output file exists (not overwritten)",
	"Name unusable on the host (contains '/' or NUL, or is '.' or '..')",
	"Directory reached twice (a directory loop)",
	("Block bitmap disagrees with the filesystem (a block in use is "
	 "marked free): run e2fsck -f"),
	("Inode bitmap disagrees with the filesystem (an inode in use is "
	 "marked free): run e2fsck -f"),
	("Filesystem was mounted since it was last checked: run e2fsck -f "
	 "first (or --force)"),
	"Superblock has values e2fsck would question: run e2fsck -f first",
	("Revision 0 filesystem: it cannot take the extent feature (tune2fs "
	 "-O extent upgrades it)"),
	("Filesystem uses multi-mount protection (mmp), which e2lua does not "
	 "support for writing"),
	"Inode holds an extent tree but lacks EXTENTS_FL: run e2fsck -f",
	"Inode size does not match its blocks: run e2fsck -f",
	"Directory has a hole: run e2fsck -f",
	"Symlink size does not match its block: run e2fsck -f",
	"Inode's i_blocks does not match its map: run e2fsck -f",
	"Not enough free blocks for the new index blocks",
	"Not a hash-indexed directory",
	"Corrupt htree index node (count, limit or depth out of range)",
	("Htree index points past the directory's end, at a hole or at a "
	 "block twice"),
	"Block number outside the filesystem",
	"No partition table found (MBR or GPT)",
	"No partition of that number",
	"The partition holds no ext2/ext3/ext4 filesystem",
	"Filesystem is larger than its partition",
	"Undo file is not a regular file or a device",
	"Undo file is the image itself",
	("An earlier write of the undo file failed: no commit can be undone "
	 "with it any more (it still undoes the commits before)"),
	("The undo file could not be completed: e2undo needs -f, then run "
	 "e2fsck -f"),
	"Objects of two different filesystems",
	"Inode is already block-mapped",
	("A data block lies at 2^32 or above, out of a block map's reach "
	 "(32-bit pointers)"),
	("File is too large for a block map (past 12 + k + k^2 + k^3 "
	 "blocks, k pointers a block)"),
	("Extent-mapped inodes would be left: the extent feature cannot "
	 "be cleared"),
	"The 64bit and bigalloc features need the extent feature",
	("Superblock's first data block is not where e2fsck expects it: the "
	 "bitmaps cannot be loaded (run e2fsck -f, or open with -c)"),
	("The commit failed and restoring the superblock also failed: the "
	 "filesystem may be marked not clean: run e2fsck -f"),
	"Relocating gains too few extents (min_gain)",
	("A copied block read back different (verify): nothing was "
	 "changed"),
	("Group descriptor's free inode count disagrees with the inode "
	 "bitmap (an inode in use may have been missed): run e2fsck -f"),
	("Cannot load " E2C_CRYPTO_SONAME " (OpenSSL), which the digests "
	 "other than xxh64 and xxh128, and JSON's base64, need"),
};

static const struct error_table e2c_error_table = {
	e2c_msgs, E2C_ERR_BASE, sizeof(e2c_msgs) / sizeof(e2c_msgs[0])
};

/* The table must cover the enum exactly. */
_Static_assert(sizeof(e2c_msgs) / sizeof(e2c_msgs[0]) ==
	       E2C_ERR_COUNT_ - E2C_ERR_BASE, "e2c_msgs out of sync");

enum e2c_skip_class e2c_skip_class(errcode_t code)
{
	switch (code) {
	case 0:
		return E2C_SKIP_NONE;
	case E2C_ERR_SKIP_RESERVED:
		return E2C_SKIP_RESERVED;
	case E2C_ERR_SKIP_NO_BLOCKS:
	case E2C_ERR_SKIP_INLINE:
	case E2C_ERR_SKIP_EXTENTS:
	case E2C_ERR_SKIP_UNLINKED:
	case E2C_ERR_SKIP_TYPE:
	case E2C_ERR_SKIP_BLOCKMAP:
	/* Unmigrate's refusals: the file is fine, a block map cannot
	 * hold it. */
	case E2C_ERR_SKIP_HIGH_BLOCK:
	case E2C_ERR_SKIP_TOO_BIG:
	case E2C_ERR_SKIP_GAIN:
		return E2C_SKIP_PLAIN;
	case E2C_ERR_SKIP_NO_SPACE:
		return E2C_SKIP_NO_SPACE;
	/* Corrupt maps and inodes (and what e2fsck would change).  EOVERFLOW: i_blocks below the count
	 * of the indirect blocks (ext2fs_iblk_sub_blocks). */
	case E2C_ERR_PTR_RANGE:
	case E2C_ERR_PTR_METADATA:
	case E2C_ERR_PTR_SHARED:
	case E2C_ERR_LBLK_RANGE:
	case E2C_ERR_EXTENT_DEPTH:
	case E2C_ERR_EXTENT_ORDER:
	case E2C_ERR_SIZE_RANGE:
	case E2C_ERR_SKIP_EXTENT_FL:
	case E2C_ERR_SKIP_SIZE:
	case E2C_ERR_SKIP_DIR_HOLE:
	case E2C_ERR_SKIP_SYMLINK:
	case E2C_ERR_SKIP_IBLOCKS:
	case EOVERFLOW:
	default:
		return E2C_SKIP_CORRUPT;
	}
}

int e2c_skip_is_corruption(errcode_t code)
{
	return e2c_skip_class(code) == E2C_SKIP_CORRUPT;
}

void e2c_init(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	initialize_ext2_error_table();
	add_error_table(&e2c_error_table);
}
