/*
 * inode.c -- reading inodes and classifying them.
 */
#include "e2c_int.h"

size_t e2c_inode_buf_size(e2c_fs *fs)
{
	size_t isz = EXT2_INODE_SIZE(fs->h->super);

	return isz > sizeof(struct ext2_inode_large) ?
		isz : sizeof(struct ext2_inode_large);
}

errcode_t e2c_read_inode(e2c_fs *fs, ext2_ino_t ino, struct ext2_inode *buf)
{
	if (ino < 1 || ino > fs->h->super->s_inodes_count)
		return EXT2_ET_BAD_INODE_NUM;
	return ext2fs_read_inode_full(fs->h, ino, buf,
				      EXT2_INODE_SIZE(fs->h->super));
}

int e2c_mode_ftype(__u16 mode)
{
	switch (mode & LINUX_S_IFMT) {
	case LINUX_S_IFREG: return EXT2_FT_REG_FILE;
	case LINUX_S_IFDIR: return EXT2_FT_DIR;
	case LINUX_S_IFCHR: return EXT2_FT_CHRDEV;
	case LINUX_S_IFBLK: return EXT2_FT_BLKDEV;
	case LINUX_S_IFIFO: return EXT2_FT_FIFO;
	case LINUX_S_IFSOCK: return EXT2_FT_SOCK;
	case LINUX_S_IFLNK: return EXT2_FT_SYMLINK;
	}
	return EXT2_FT_UNKNOWN;
}

int e2c_inode_type_known(const struct ext2_inode *inode)
{
	return e2c_mode_ftype(inode->i_mode) != EXT2_FT_UNKNOWN;
}

const char *e2c_ftype_name(int ftype)
{
	static const char *const names[EXT2_FT_MAX] = {
		[EXT2_FT_UNKNOWN] = "unknown", [EXT2_FT_REG_FILE] = "regular",
		[EXT2_FT_DIR] = "directory", [EXT2_FT_CHRDEV] = "chardev",
		[EXT2_FT_BLKDEV] = "blockdev", [EXT2_FT_FIFO] = "fifo",
		[EXT2_FT_SOCK] = "socket", [EXT2_FT_SYMLINK] = "symlink",
	};

	return ftype > 0 && ftype < EXT2_FT_MAX ? names[ftype] : names[0];
}

const char *e2c_inode_type(const struct ext2_inode *inode)
{
	return e2c_ftype_name(e2c_mode_ftype(inode->i_mode));
}

int e2c_inode_has_blocks(e2c_fs *fs, struct ext2_inode *inode)
{
	if (inode->i_flags & EXT4_INLINE_DATA_FL)
		return 0;
	return ext2fs_inode_has_valid_blocks2(fs->h, inode);
}

int e2c_inode_has_extra(e2c_fs *fs, const struct ext2_inode *inode,
			size_t end)
{
	size_t isz = EXT2_INODE_SIZE(fs->h->super);
	const struct ext2_inode_large *large =
		(const struct ext2_inode_large *)inode;

	return isz > EXT2_GOOD_OLD_INODE_SIZE &&
	       (size_t)EXT2_GOOD_OLD_INODE_SIZE + large->i_extra_isize >= end &&
	       end <= isz;
}

long long e2c_inode_xtime(e2c_fs *fs, const struct ext2_inode *inode, __u32 lo,
			  size_t extra_off, size_t extra_end)
{
	long long t = (__s32)lo;

	if (e2c_inode_has_extra(fs, inode, extra_end)) {
		__u32 extra = *(const __u32 *)((const char *)inode + extra_off);

		t += (long long)(extra & EXT4_EPOCH_MASK) << 32;
	}
	return t;
}
