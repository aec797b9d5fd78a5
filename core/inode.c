/*
 * inode.c -- reading inodes and classifying them.
 */
#include "e2c.h"

size_t e2c_inode_buf_size(e2c_fs *e)
{
	size_t isz = EXT2_INODE_SIZE(e->fs->super);

	return isz > sizeof(struct ext2_inode_large) ?
		isz : sizeof(struct ext2_inode_large);
}

errcode_t e2c_read_inode(e2c_fs *e, ext2_ino_t ino, struct ext2_inode *buf)
{
	if (ino < 1 || ino > e->fs->super->s_inodes_count)
		return EXT2_ET_BAD_INODE_NUM;
	return ext2fs_read_inode_full(e->fs, ino, buf,
				      EXT2_INODE_SIZE(e->fs->super));
}

int e2c_inode_type_known(const struct ext2_inode *inode)
{
	switch (inode->i_mode & LINUX_S_IFMT) {
	case LINUX_S_IFREG: case LINUX_S_IFDIR: case LINUX_S_IFLNK:
	case LINUX_S_IFCHR: case LINUX_S_IFBLK: case LINUX_S_IFIFO:
	case LINUX_S_IFSOCK:
		return 1;
	}
	return 0;
}

const char *e2c_inode_type(const struct ext2_inode *inode)
{
	__u16 m = inode->i_mode;

	if (LINUX_S_ISREG(m))
		return "regular";
	if (LINUX_S_ISDIR(m))
		return "directory";
	if (LINUX_S_ISLNK(m))
		return "symlink";
	if (LINUX_S_ISCHR(m))
		return "chardev";
	if (LINUX_S_ISBLK(m))
		return "blockdev";
	if (LINUX_S_ISFIFO(m))
		return "fifo";
	if (LINUX_S_ISSOCK(m))
		return "socket";
	return "unknown";
}

int e2c_inode_has_blocks(e2c_fs *e, struct ext2_inode *inode)
{
	if (inode->i_flags & EXT4_INLINE_DATA_FL)
		return 0;
	return ext2fs_inode_has_valid_blocks2(e->fs, inode);
}

int e2c_inode_has_extra(e2c_fs *e, const struct ext2_inode *inode,
			size_t end)
{
	size_t isz = EXT2_INODE_SIZE(e->fs->super);
	const struct ext2_inode_large *large =
		(const struct ext2_inode_large *)inode;

	return isz > EXT2_GOOD_OLD_INODE_SIZE &&
	       (size_t)EXT2_GOOD_OLD_INODE_SIZE + large->i_extra_isize >= end &&
	       end <= isz;
}

long long e2c_inode_xtime(e2c_fs *e, const struct ext2_inode *inode, __u32 lo,
			  size_t extra_off, size_t extra_end)
{
	long long t = (__s32)lo;

	if (e2c_inode_has_extra(e, inode, extra_end)) {
		__u32 extra = *(const __u32 *)((const char *)inode + extra_off);

		t += (long long)(extra & EXT4_EPOCH_MASK) << 32;
	}
	return t;
}
