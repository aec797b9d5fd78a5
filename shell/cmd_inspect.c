/*
 * cmd_inspect.c -- the read-only inspection commands: stats, stat, ls,
 * blocks, dump_extents, bmap, icheck, ncheck, testb.
 *
 * Output follows debugfs 1.47.0 byte for byte where debugfs has the command
 * (the tests compare them), except where debugfs prints garbage: it walks
 * the i_block text of fast symlinks and the device numbers of device
 * inodes as if they were block numbers; here those inodes have no map.
 * Maps are walked with the core's cursor (e2c_map_*), which validates
 * every pointer, so a corrupt map is an error instead of shifted numbers.
 *
 * Every command does its work in a helper that returns an errcode_t and
 * frees what it allocated; only then does the lua_CFunction raise, so no
 * Lua error ever jumps over a malloc()ed buffer or a libext2fs frame.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <e2p/e2p.h>

#include "commands.h"

/* Usages used both in the declarations and in option errors. */
#define STATS_USAGE	"[-h]"
#define LS_USAGE	"[-c] [-d] [-l] [-p] [-r] [dir]"
#define EX_USAGE	"[-n] [-l] <file>"
#define NCHECK_USAGE	"[-c] <ino> ..."

/* ------------------------------------------------------------------ */
/* Argument helpers                                                    */
/* ------------------------------------------------------------------ */

/* A number in C notation (decimal, 0x hex, 0 octal), as debugfs reads
 * block numbers: the len bytes of s must all be part of it. */
static int parse_num(const char *s, size_t len, unsigned long long *v)
{
	char *end;

	if (!len || *s == '-' || *s == '+' || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || end != s + len ? -1 : 0;
}

/* The number at stack index arg; raises "cmd str: invalid what". */
static unsigned long long checknum(lua_State *L, int arg, const char *cmd,
				   const char *what)
{
	size_t len;
	const char *s = luaL_checklstring(L, arg, &len);
	unsigned long long v;

	if (parse_num(s, len, &v))
		luaL_error(L, "%s %s: invalid %s", cmd, s, what);
	return v;
}

/* Read the whole on-disk inode (large inodes included) into a new
 * buffer of e2c_inode_buf_size() bytes. */
static errcode_t read_full(e2c_fs *fs, ext2_ino_t ino,
			   struct ext2_inode_large **ret)
{
	struct ext2_inode_large *buf;
	errcode_t retval;

	buf = calloc(1, e2c_inode_buf_size(fs));
	if (!buf)
		return ENOMEM;
	retval = e2c_read_inode(fs, ino, (struct ext2_inode *)buf);
	if (retval) {
		free(buf);
		return retval;
	}
	*ret = buf;
	return 0;
}

/* The next piece of a walk, or E2C_ERR_INTERRUPTED after Ctrl-C. */
static errcode_t next_piece(e2c_map *m, struct e2c_piece *p, int *got)
{
	if (e2c_interrupted)
		return E2C_ERR_INTERRUPTED;
	return e2c_map_next(m, p, got);
}

/* The shape of every "<file>" command: resolve the argument, print with
 * show, raise show's error as "op file: message". */
static int inode_cmd(lua_State *L, const char *op,
		     errcode_t (*show)(e2c_fs *, ext2_ino_t))
{
	int fsi;
	e2c_fs *fs = e2sh_checkfs(L, &fsi);
	ext2_ino_t ino = e2l_checkino(L, fsi, 1, op);
	errcode_t retval = show(fs, ino);

	if (retval)
		e2l_error(L, retval, op, lua_tostring(L, 1));
	return 0;
}

/* ------------------------------------------------------------------ */
/* blocks                                                              */
/* ------------------------------------------------------------------ */

/* Every block of the map, metadata included, "N " each, then a newline
 * (also after a failure, so the line is terminated). */
static errcode_t print_blocks(e2c_fs *fs, ext2_ino_t ino)
{
	struct e2c_piece p;
	e2c_map *m = NULL;
	errcode_t retval;
	blk64_t i;
	int got;

	retval = e2c_map_open(fs, ino, NULL, &m);
	if (retval)
		return retval;
	for (;;) {
		retval = next_piece(m, &p, &got);
		if (retval || !got)
			break;
		for (i = 0; i < p.len; i++)
			printf("%llu ", (unsigned long long)(p.pblk + i));
	}
	putchar('\n');
	e2c_map_close(m);
	return retval;
}

static int cmd_blocks(lua_State *L)
{
	return inode_cmd(L, "blocks", print_blocks);
}

/* ------------------------------------------------------------------ */
/* stat                                                                */
/* ------------------------------------------------------------------ */

/* debugfs's time_to_string: asctime() of local time (ends in '\n'). */
static const char *time_str(long long t, char *buf)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!localtime_r(&tt, &tm) || !asctime_r(&tm, buf))
		return "(invalid time)\n";
	return buf;
}

/* A 32-bit inode time plus the epoch bits of its _extra field. */
static long long xtime(__u32 t, __u32 extra)
{
	return (long long)(__s32)t + ((long long)(extra & EXT4_EPOCH_MASK) << 32);
}

/* The BLOCKS: list of a block-mapped inode: contiguous data ranges
 * "(l0-l1):p0-p1", metadata "(IND):p", then TOTAL (all blocks). */
struct ranges {
	int first;		/* nothing printed yet */
	long long total;
	blk64_t l0, l1, p0, p1;	/* the open range; p0 == 0: none */
};

static void range_flush(struct ranges *r)
{
	if (!r->p0)
		return;
	printf("%s", r->first ? "" : ", ");
	r->first = 0;
	if (r->p0 == r->p1)
		printf("(%llu):%llu", (unsigned long long)r->l0,
		       (unsigned long long)r->p0);
	else
		printf("(%llu-%llu):%llu-%llu", (unsigned long long)r->l0,
		       (unsigned long long)r->l1, (unsigned long long)r->p0,
		       (unsigned long long)r->p1);
	r->p0 = 0;
}

static void range_add(struct ranges *r, const struct e2c_piece *p)
{
	static const char *const tag[] = { "", "IND", "DIND", "TIND", "ETB" };

	r->total += p->len;
	if (p->kind != E2C_DATA) {
		range_flush(r);
		printf("%s(%s):%llu", r->first ? "" : ", ", tag[p->kind],
		       (unsigned long long)p->pblk);
		r->first = 0;
		return;
	}
	if (!p->len)
		return;
	if (r->p0 && r->p1 + 1 == p->pblk && r->l1 + 1 == p->lblk) {
		r->p1 += p->len;
		r->l1 += p->len;
		return;
	}
	range_flush(r);
	r->l0 = p->lblk;
	r->l1 = p->lblk + p->len - 1;
	r->p0 = p->pblk;
	r->p1 = p->pblk + p->len - 1;
}

/* "BLOCKS:" or "EXTENTS:" and the map, as debugfs's stat shows it. */
static errcode_t print_map(e2c_fs *fs, ext2_ino_t ino,
			   const struct ext2_inode *inode)
{
	struct ranges r = { .first = 1 };
	struct e2c_piece p;
	e2c_map *m = NULL;
	errcode_t retval;
	int ext, got;

	retval = e2c_map_open(fs, ino, inode, &m);
	if (retval)
		return retval;
	ext = e2c_map_is_extent(m);
	fputs(ext ? "EXTENTS:\n" : "BLOCKS:\n", stdout);
	for (;;) {
		retval = next_piece(m, &p, &got);
		if (retval || !got)
			break;
		if (!ext) {
			range_add(&r, &p);
			continue;
		}
		/* Extents are listed one by one, never merged. */
		if (p.kind == E2C_NODE)
			printf("%s(ETB%d):%llu", r.first ? "" : ", ", p.level,
			       (unsigned long long)p.pblk);
		else if (p.len == 1)
			printf("%s(%llu%s):%llu", r.first ? "" : ", ",
			       (unsigned long long)p.lblk,
			       p.flags & E2C_UNINIT ? "[u]" : "",
			       (unsigned long long)p.pblk);
		else if (p.len)
			printf("%s(%llu-%llu%s):%llu-%llu",
			       r.first ? "" : ", ", (unsigned long long)p.lblk,
			       (unsigned long long)(p.lblk + p.len - 1),
			       p.flags & E2C_UNINIT ? "[u]" : "",
			       (unsigned long long)p.pblk,
			       (unsigned long long)(p.pblk + p.len - 1));
		else
			continue;
		r.first = 0;
	}
	if (!ext)
		range_flush(&r);
	if (!r.first)
		putchar('\n');
	/* A map cut short by an error gets no TOTAL: it would be wrong. */
	if (!ext && !retval) {
		if (r.total)
			printf("TOTAL: %lld\n", r.total);
		putchar('\n');
	}
	e2c_map_close(m);
	return retval;
}

/* An extended attribute value as debugfs's stat shows it: quoted C string
 * when mostly printable, else hex bytes. */
static void print_xattr_value(const char *v, size_t len)
{
	size_t i, printable = 0;

	for (i = 0; i < len; i++)
		if (isprint((unsigned char)v[i]))
			printable++;
	if (printable <= len * 7 / 8) {
		for (i = 0; i < len; i++)
			printf("%02x ", (unsigned char)v[i]);
		return;
	}
	putchar('"');
	for (i = 0; i < len; i++) {
		unsigned char c = v[i];
		const char *esc = strchr("\a\b\f\n\t\v\\'\"", c);

		if (c && esc)
			printf("\\%c", "abfntv\\'\""[esc - "\a\b\f\n\t\v\\'\""]);
		else if (c < 32 || c > 126)
			printf("\\%03o", c);
		else
			putchar(c);
	}
	putchar('"');
}

static int xattr_cb(char *name, char *value, size_t len, void *priv)
{
	(void)priv;
	printf("  %s (%zu)", name, len);
	if (!strcmp(name, "system.data"))
		len = 0;
	if (len && len < 40) {
		fputs(" = ", stdout);
		print_xattr_value(value, len);
	}
	putchar('\n');
	return 0;
}

/* The "Extended attributes:" section; unreadable attributes are skipped
 * silently, as debugfs does. */
static void print_xattrs(e2c_fs *fs, ext2_ino_t ino)
{
	struct ext2_xattr_handle *h;
	size_t n = 0;

	if (ext2fs_xattrs_open(fs->fs, ino, &h))
		return;
	if (!ext2fs_xattrs_read(h) && !ext2fs_xattrs_count(h, &n) && n) {
		fputs("Extended attributes:\n", stdout);
		ext2fs_xattrs_iterate(h, xattr_cb, NULL);
	}
	ext2fs_xattrs_close(&h);
}

/* Symlink target, device numbers, inline data size or the map. */
static errcode_t print_contents(e2c_fs *fs, ext2_ino_t ino,
				struct ext2_inode *inode)
{
	__u16 mode = inode->i_mode;
	errcode_t retval;
	size_t size;

	if (LINUX_S_ISLNK(mode) && ext2fs_is_fast_symlink(inode)) {
		printf("Fast link dest: \"%.*s\"\n", (int)EXT2_I_SIZE(inode),
		       (char *)inode->i_block);
	} else if (inode->i_flags & EXT4_INLINE_DATA_FL) {
		char *buf;

		retval = ext2fs_inline_data_size(fs->fs, ino, &size);
		if (retval)
			return retval;
		if (!LINUX_S_ISLNK(mode)) {
			printf("Size of inline data: %zu\n", size);
			return 0;
		}
		buf = calloc(1, size + 1);
		if (!buf)
			return ENOMEM;
		retval = ext2fs_inline_data_get(fs->fs, ino, inode, buf, &size);
		if (!retval)
			printf("Fast link dest: \"%.*s\"\n", (int)size, buf);
		free(buf);
		return retval;
	} else if (LINUX_S_ISBLK(mode) || LINUX_S_ISCHR(mode)) {
		unsigned int major, minor;
		const char *note = "";

		if (inode->i_block[0]) {
			major = (inode->i_block[0] >> 8) & 255;
			minor = inode->i_block[0] & 255;
		} else {
			major = (inode->i_block[1] & 0xfff00) >> 8;
			minor = (inode->i_block[1] & 0xff) |
				((inode->i_block[1] >> 12) & 0xfff00);
			note = "(New-style) ";
		}
		printf("%sDevice major/minor number: %02u:%02u "
		       "(hex %02x:%02x)\n", note, major, minor, major, minor);
	} else {
		return print_map(fs, ino, inode);
	}
	return 0;
}

/* debugfs's names of the types. */
static const char *type_name(__u16 mode)
{
	static const char *const names[EXT2_FT_MAX] = {
		[EXT2_FT_UNKNOWN] = "bad type", [EXT2_FT_REG_FILE] = "regular",
		[EXT2_FT_DIR] = "directory", [EXT2_FT_CHRDEV] =
		"character special", [EXT2_FT_BLKDEV] = "block special",
		[EXT2_FT_FIFO] = "FIFO", [EXT2_FT_SOCK] = "socket",
		[EXT2_FT_SYMLINK] = "symlink",
	};

	return names[e2c_mode_ftype(mode)];
}

/* debugfs's stat layout. */
static errcode_t show_inode(e2c_fs *fs, ext2_ino_t ino)
{
	struct ext2_super_block *sb = fs->fs->super;
	struct ext2_inode_large *li = NULL;
	struct ext2_inode *in;
	int large = EXT2_INODE_SIZE(sb) > EXT2_GOOD_OLD_INODE_SIZE;
	int hurd = sb->s_creator_os == EXT2_OS_HURD;
	char tb[64];
	errcode_t retval;

	retval = read_full(fs, ino, &li);
	if (retval)
		return retval;
	in = (struct ext2_inode *)li;
	large = large && li->i_extra_isize >= 24;

	printf("Inode: %u   Type: %s    Mode:  0%03o   Flags: 0x%x\n", ino,
	       type_name(in->i_mode), in->i_mode & 07777, in->i_flags);
	if (large)
		printf("Generation: %u    Version: 0x%08x:%08x\n",
		       in->i_generation, li->i_version_hi,
		       in->osd1.linux1.l_i_version);
	else
		printf("Generation: %u    Version: 0x%08x\n", in->i_generation,
		       in->osd1.linux1.l_i_version);
	printf("User: %5d   Group: %5d", inode_uid(*in), inode_gid(*in));
	if (EXT2_INODE_SIZE(sb) > EXT2_GOOD_OLD_INODE_SIZE &&
	    li->i_extra_isize >= 32)
		printf("   Project: %5d", li->i_projid);
	if (LINUX_S_ISREG(in->i_mode) || LINUX_S_ISDIR(in->i_mode))
		printf("   Size: %llu\n", (unsigned long long)EXT2_I_SIZE(in));
	else
		printf("   Size: %u\n", in->i_size);
	if (hurd) {
		printf("File ACL: %u Translator: %u\n", in->i_file_acl,
		       in->osd1.hurd1.h_i_translator);
		printf("Links: %u   Blockcount: %u\n", in->i_links_count,
		       in->i_blocks);
	} else {
		printf("File ACL: %llu\n", in->i_file_acl |
		       ((unsigned long long)in->osd2.linux2.l_i_file_acl_high
			<< 32));
		printf("Links: %u   Blockcount: %llu\n", in->i_links_count,
		       ((unsigned long long)in->osd2.linux2.l_i_blocks_hi
			<< 32) + in->i_blocks);
	}
	printf("Fragment:  Address: %u    Number: %u    Size: %u\n",
	       in->i_faddr, hurd ? in->osd2.hurd2.h_i_frag : 0,
	       hurd ? in->osd2.hurd2.h_i_fsize : 0);
	if (large) {
		printf(" ctime: 0x%08x:%08x -- %s", in->i_ctime,
		       li->i_ctime_extra,
		       time_str(xtime(in->i_ctime, li->i_ctime_extra), tb));
		printf(" atime: 0x%08x:%08x -- %s", in->i_atime,
		       li->i_atime_extra,
		       time_str(xtime(in->i_atime, li->i_atime_extra), tb));
		printf(" mtime: 0x%08x:%08x -- %s", in->i_mtime,
		       li->i_mtime_extra,
		       time_str(xtime(in->i_mtime, li->i_mtime_extra), tb));
		printf("crtime: 0x%08x:%08x -- %s", li->i_crtime,
		       li->i_crtime_extra,
		       time_str(xtime(li->i_crtime, li->i_crtime_extra), tb));
		if (in->i_dtime)
			printf(" dtime: 0x%08x:(%08x) -- %s", in->i_dtime,
			       li->i_ctime_extra,
			       time_str(xtime(in->i_dtime, li->i_ctime_extra),
					tb));
	} else {
		printf("ctime: 0x%08x -- %s", in->i_ctime,
		       time_str((__s32)in->i_ctime, tb));
		printf("atime: 0x%08x -- %s", in->i_atime,
		       time_str((__s32)in->i_atime, tb));
		printf("mtime: 0x%08x -- %s", in->i_mtime,
		       time_str((__s32)in->i_mtime, tb));
		if (in->i_dtime)
			printf("dtime: 0x%08x -- %s", in->i_dtime,
			       time_str((__s32)in->i_dtime, tb));
	}
	if (EXT2_INODE_SIZE(sb) > EXT2_GOOD_OLD_INODE_SIZE)
		printf("Size of extra inode fields: %u\n", li->i_extra_isize);
	print_xattrs(fs, ino);
	if (ext2fs_has_feature_metadata_csum(sb)) {
		__u32 crc = in->osd2.linux2.l_i_checksum_lo;

		if (EXT2_INODE_SIZE(sb) > EXT2_GOOD_OLD_INODE_SIZE &&
		    li->i_extra_isize >= offsetof(struct ext2_inode_large,
						  i_checksum_hi) -
					 EXT2_GOOD_OLD_INODE_SIZE)
			crc |= (__u32)li->i_checksum_hi << 16;
		printf("Inode checksum: 0x%08x\n", crc);
	}
	retval = print_contents(fs, ino, in);
	free(li);
	return retval;
}

static int cmd_stat(lua_State *L)
{
	return inode_cmd(L, "stat", show_inode);
}

/* ------------------------------------------------------------------ */
/* dump_extents                                                        */
/* ------------------------------------------------------------------ */

#define EX_NODES	0x1	/* -n */
#define EX_LEAVES	0x2	/* -l */

/* Digits of v (debugfs's int_log10 + 1), at least 5. */
static int width(unsigned long long v)
{
	int w = 1;

	while (v /= 10)
		w++;
	return w < 5 ? 5 : w;
}

/* debugfs's dump_extents table.  Lengths are 32-bit, so "lblk + len - 1"
 * of an empty extent wraps exactly as debugfs prints it. */
static errcode_t print_extents(e2c_fs *fs, ext2_ino_t ino,
			       const struct ext2_inode *inode, int which)
{
	blk64_t bs = fs->fs->blocksize;
	int lw = width((EXT2_I_SIZE(inode) + bs - 1) / bs);
	int pw = width(ext2fs_blocks_count(fs->fs->super));
	struct e2c_piece p;
	e2c_map *m = NULL;
	errcode_t retval;
	int got;

	retval = e2c_map_open(fs, ino, inode, &m);
	if (retval)
		return retval;
	printf("Level Entries %*s %*s Length Flags\n", lw * 2 + 3, "Logical",
	       pw * 2 + 3, "Physical");
	for (;;) {
		__u32 len, last;

		retval = next_piece(m, &p, &got);
		if (retval || !got)
			break;
		if (!(which & (p.kind == E2C_NODE ? EX_NODES : EX_LEAVES)))
			continue;
		len = p.kind == E2C_NODE ? p.span : p.len;
		last = len - 1;
		printf("%2d/%2d %3d/%3d %*llu - %*llu ", p.level, p.max_depth,
		       p.entry, p.entries, lw, (unsigned long long)p.lblk, lw,
		       (unsigned long long)p.lblk + last);
		if (p.kind == E2C_NODE)
			printf("%*llu%*s %6u\n", pw, (unsigned long long)p.pblk,
			       pw + 3, "", len);
		else
			printf("%*llu - %*llu %6u %s\n", pw,
			       (unsigned long long)p.pblk, pw,
			       (unsigned long long)p.pblk + last, len,
			       p.flags & E2C_UNINIT ? "Uninit" : "");
	}
	e2c_map_close(m);
	return retval;
}

static int cmd_extents(lua_State *L)
{
	int fsi, first, which;
	e2c_fs *fs = e2sh_checkfs(L, &fsi);
	struct ext2_inode_large *inode = NULL;
	const char *arg;
	ext2_ino_t ino;
	errcode_t retval;

	which = e2sh_flags(L, fsi - 1, "nl", "dump_extents", EX_USAGE, &first);
	if (first != fsi - 1)
		return luaL_error(L, "Usage: dump_extents " EX_USAGE);
	arg = lua_tostring(L, first);
	ino = e2l_checkino(L, fsi, first, "dump_extents");
	retval = read_full(fs, ino, &inode);
	if (retval)
		e2l_error(L, retval, "dump_extents", arg);
	if (!(inode->i_flags & EXT4_EXTENTS_FL)) {
		free(inode);
		return luaL_error(L, "%s: does not uses extent block maps",
				  arg);
	}
	retval = print_extents(fs, ino, (struct ext2_inode *)inode,
			       which ? which : EX_NODES | EX_LEAVES);
	free(inode);
	if (retval)
		e2l_error(L, retval, "dump_extents", arg);
	return 0;
}

/* ------------------------------------------------------------------ */
/* bmap                                                                */
/* ------------------------------------------------------------------ */

static int cmd_bmap(lua_State *L)
{
	int fsi;
	e2c_fs *fs = e2sh_checkfs(L, &fsi);
	ext2_ino_t ino = e2l_checkino(L, fsi, 1, "bmap");
	blk64_t lblk = checknum(L, 2, "bmap", "logical block");
	struct ext2_inode_large *inode = NULL;
	blk64_t pblk = 0;
	int uninit = 0, has;
	errcode_t retval;

	retval = read_full(fs, ino, &inode);
	if (retval)
		e2l_error(L, retval, "bmap", lua_tostring(L, 1));
	/* ext2fs_bmap2 would read a symlink's text or a device number as
	 * block pointers. */
	has = e2c_inode_has_blocks(fs, (struct ext2_inode *)inode);
	free(inode);
	if (!has)
		e2l_error(L, E2C_ERR_SKIP_NO_BLOCKS, "bmap", lua_tostring(L, 1));
	retval = e2c_bmap(fs, ino, lblk, &pblk, &uninit);
	if (retval)
		e2l_error(L, retval, "bmap", lua_tostring(L, 1));
	printf("%llu%s\n", (unsigned long long)pblk, uninit ? " (uninit)" : "");
	return 0;
}

/* ------------------------------------------------------------------ */
/* icheck                                                              */
/* ------------------------------------------------------------------ */

/* e2c_find_owners callback: report an inode whose map could not be walked,
 * and count it. */
static void icheck_bad_map(ext2_ino_t ino, errcode_t err, void *priv)
{
	int *bad_maps = priv;

	fprintf(stderr, "icheck <%u>: %s\n", ino, error_message(err));
	(*bad_maps)++;
}

static int cmd_icheck(lua_State *L)
{
	int fsi, i, bad_maps = 0;
	e2c_fs *fs = e2sh_checkfs(L, &fsi);
	struct e2c_owner *q;
	size_t n = fsi - 1;
	errcode_t retval;

	if (!n)
		return luaL_error(L, "Usage: icheck <block> ...");
	/* A userdata: freed by the GC even if a bad number raises below. */
	q = lua_newuserdatauv(L, n * sizeof(*q), 0);
	for (i = 0; i < (int)n; i++)
		q[i].blk = checknum(L, i + 1, "icheck", "block number");
	retval = e2c_find_owners(fs, q, n, icheck_bad_map, &bad_maps);
	if (retval)
		e2l_error(L, retval, "icheck", NULL);
	printf("Block\tInode number\n");
	for (i = 0; i < (int)n; i++) {
		if (q[i].ino)
			printf("%llu\t%u\n", (unsigned long long)q[i].blk,
			       q[i].ino);
		else
			printf("%llu\t<block not found>\n",
			       (unsigned long long)q[i].blk);
	}
	if (bad_maps)
		return luaL_error(L, "icheck: %d inode map(s) could not be "
				  "walked (see above)", bad_maps);
	return 0;
}

/* ------------------------------------------------------------------ */
/* ncheck                                                              */
/* ------------------------------------------------------------------ */

struct ncheck {
	e2c_fs *fs;
	int check;		/* -c: compare the entry's file type */
	int bad_dirs;		/* directories that could not be read */
	ext2_ino_t dir;		/* the directory parent names */
	char *parent;		/* its path, NULL: none */
};

/* e2c_find_names callback: print one name, as debugfs does (its parent's
 * path from ext2fs_get_pathname, partial or not, else "<dir>"). */
static errcode_t ncheck_found(ext2_ino_t ino, ext2_ino_t dir,
			      const struct e2c_dirent *d, void *priv)
{
	struct ncheck *c = priv;
	struct ext2_inode inode;

	if (dir != c->dir) {
		ext2fs_free_mem(&c->parent);
		c->dir = dir;
		if (ext2fs_get_pathname(c->fs->fs, dir, 0, &c->parent))
			c->parent = NULL;
	}
	if (c->parent)
		printf("%u\t%s/%s", ino, c->parent, d->name);
	else
		printf("%u\t<%u>/%s", ino, dir, d->name);
	if (c->check && d->ftype &&
	    !ext2fs_read_inode(c->fs->fs, d->ino, &inode) &&
	    d->ftype != e2c_mode_ftype(inode.i_mode))
		fputs("  <--- BAD FILETYPE", stdout);
	putchar('\n');
	return 0;
}

/* e2c_find_names callback: report a directory that could not be read,
 * and count it. */
static void ncheck_bad_dir(ext2_ino_t dir, errcode_t err, void *priv)
{
	struct ncheck *c = priv;

	fprintf(stderr, "ncheck <%u>: %s\n", dir, error_message(err));
	c->bad_dirs++;
}

static int cmd_ncheck(lua_State *L)
{
	int fsi, first, i, n;
	e2c_fs *fs = e2sh_checkfs(L, &fsi);
	struct ncheck c = { fs, 0, 0, 0, NULL };
	struct ext2_inode inode;
	ext2_ino_t *inos;
	errcode_t retval;

	c.check = e2sh_flags(L, fsi - 1, "c", "ncheck", NCHECK_USAGE, &first);
	n = fsi - first;
	if (n < 1)
		return luaL_error(L, "Usage: ncheck " NCHECK_USAGE);
	inos = lua_newuserdatauv(L, n * sizeof(*inos), 0);
	for (i = 0; i < n; i++) {
		size_t len;
		const char *a = lua_tolstring(L, first + i, &len);
		unsigned long long v;

		/* "12" or "<12>", as debugfs accepts. */
		if (len > 2 && a[0] == '<' && a[len - 1] == '>' ?
		    parse_num(a + 1, len - 2, &v) : parse_num(a, len, &v))
			return luaL_error(L, "ncheck %s: invalid inode number",
					  a);
		if (v < 1 || v > fs->fs->super->s_inodes_count)
			e2l_error(L, E2C_ERR_BAD_INODE, "ncheck", a);
		inos[i] = (ext2_ino_t)v;
	}
	/* Read here first so an unreadable argument is named in the error. */
	for (i = 0; i < n; i++) {
		retval = ext2fs_read_inode(fs->fs, inos[i], &inode);
		if (retval) {
			lua_pushfstring(L, "<%d>", (int)inos[i]);
			e2l_error(L, retval, "ncheck", lua_tostring(L, -1));
		}
	}
	printf("Inode\tPathname\n");
	retval = e2c_find_names(fs, inos, n, ncheck_found, ncheck_bad_dir, &c);
	ext2fs_free_mem(&c.parent);
	if (retval)
		e2l_error(L, retval, "ncheck", NULL);
	if (c.bad_dirs)
		return luaL_error(L, "ncheck: %d director%s could not be read "
				  "(see above)", c.bad_dirs,
				  c.bad_dirs == 1 ? "y" : "ies");
	return 0;
}

/* ------------------------------------------------------------------ */
/* ls                                                                  */
/* ------------------------------------------------------------------ */

#define LS_CSUM		0x01	/* -c */
#define LS_DELETED	0x02	/* -d */
#define LS_LONG		0x04	/* -l */
#define LS_PARSE	0x08	/* -p */
#define LS_RAW		0x10	/* -r */
#define LS_ENCRYPT	0x20	/* the directory is encrypted */

struct ls {
	e2c_fs *fs;
	int opts;
	int col;		/* output column (short format) */
	int seen;		/* entries so far ("." and ".." show raw) */
	errcode_t err;		/* first inode that could not be read */
};

/* The name, non-printable bytes as \xNN; returns the printed width.
 * Prints nothing when out is NULL (measuring). */
static int ls_name(FILE *out, const struct ext2_dir_entry *d, int opts)
{
	int len = ext2fs_dirent_name_len(d), w = 0, i;

	if ((opts & LS_ENCRYPT) && !(opts & LS_RAW))
		return out ? fprintf(out, "<encrypted (%d)>", len) :
			     snprintf(NULL, 0, "<encrypted (%d)>", len);
	for (i = 0; i < len; i++) {
		unsigned char ch = d->name[i];

		if (ch < 32 || ch >= 127 || ch == '\\') {
			if (out)
				fprintf(out, "\\x%02x", ch);
			w += 4;
		} else {
			if (out)
				fputc(ch, out);
			w++;
		}
	}
	return w;
}

/* An entry's inode, or zeros for a deleted entry. */
static int ls_inode(struct ls *ls, ext2_ino_t ino, struct ext2_inode *in)
{
	errcode_t retval;

	memset(in, 0, sizeof(*in));
	if (!ino)
		return 0;
	retval = ext2fs_read_inode(ls->fs->fs, ino, in);
	if (retval && !ls->err)
		ls->err = retval;
	return retval ? -1 : 0;
}

static void ls_long(struct ls *ls, int entry, struct ext2_dir_entry *d,
		    ext2_ino_t ino, char lbr, char rbr, int opts)
{
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May",
		"Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct ext2_inode in;
	char date[80] = "                 ";

	if (ls_inode(ls, ino, &in))
		return;
	if (ino) {
		time_t t = in.i_mtime;
		struct tm tm;

		if (localtime_r(&t, &tm))
			snprintf(date, sizeof(date), "%2d-%s-%4d %02d:%02d",
				 tm.tm_mday, mon[tm.tm_mon], 1900 + tm.tm_year,
				 tm.tm_hour, tm.tm_min);
	}
	printf("%c%6u%c %6o ", lbr, ino, rbr, in.i_mode);
	if (entry == DIRENT_CHECKSUM) {
		printf("(dirblock checksum: 0x%08x)\n",
		       ((struct ext2_dir_entry_tail *)d)->det_checksum);
		return;
	}
	printf("(%d)  %5d  %5d   %5llu %s ", ext2fs_dirent_file_type(d),
	       inode_uid(in), inode_gid(in),
	       (unsigned long long)EXT2_I_SIZE(&in), date);
	ls_name(stdout, d, opts);
	putchar('\n');
}

static int ls_cb(ext2_ino_t dir, int entry, struct ext2_dir_entry *d,
		 int offset, int blocksize, char *buf, void *priv)
{
	struct ls *ls = priv;
	ext2_ino_t ino = d->inode;
	char lbr = ' ', rbr = ' ', tmp[EXT2_NAME_LEN + 64];
	int opts = ls->opts, len;
	struct ext2_inode in;

	(void)dir;
	(void)offset;
	(void)blocksize;
	(void)buf;
	if (ls->seen < 2) {
		ls->seen++;
		opts |= LS_RAW;
	}
	if (entry == DIRENT_DELETED_FILE) {
		lbr = '<';
		rbr = '>';
		ino = 0;
	}
	if (opts & LS_PARSE) {
		if (ls_inode(ls, ino, &in))
			return 0;
		printf("/%u/%06o/%d/%d/%.*s/", ino, in.i_mode, inode_uid(in),
		       inode_gid(in), ext2fs_dirent_name_len(d), d->name);
		if (LINUX_S_ISDIR(in.i_mode))
			fputs("/\n", stdout);
		else
			printf("%llu/\n", (unsigned long long)EXT2_I_SIZE(&in));
	} else if (opts & LS_LONG) {
		ls_long(ls, entry, d, ino, lbr, rbr, opts);
	} else {
		if (entry == DIRENT_CHECKSUM) {
			len = snprintf(tmp, sizeof(tmp),
				       "%c%u%c (dirblock checksum: 0x%08x)   ",
				       lbr, d->inode, rbr,
				       ((struct ext2_dir_entry_tail *)d)->
				       det_checksum);
		} else {
			snprintf(tmp, sizeof(tmp), "%c%u%c (%d) ", lbr,
				 d->inode, rbr, d->rec_len);
			len = strlen(tmp) + 3 + ls_name(NULL, d, opts);
		}
		if (ls->col + len > 80) {
			putchar('\n');
			ls->col = 0;
		}
		fputs(tmp, stdout);
		if (entry != DIRENT_CHECKSUM) {
			ls_name(stdout, d, opts);
			fputs("   ", stdout);
		}
		ls->col += len;
	}
	return 0;
}

static errcode_t list_dir(struct ls *ls, ext2_ino_t dir)
{
	int flags = DIRENT_FLAG_INCLUDE_EMPTY;
	struct ext2_inode in;
	errcode_t retval;

	retval = ext2fs_read_inode(ls->fs->fs, dir, &in);
	if (!retval)
		retval = ext2fs_check_directory(ls->fs->fs, dir);
	if (retval)
		return retval;
	if (in.i_flags & EXT4_ENCRYPT_FL)
		ls->opts |= LS_ENCRYPT;
	if (ls->opts & LS_CSUM)
		flags |= DIRENT_FLAG_INCLUDE_CSUM;
	if (ls->opts & LS_DELETED)
		flags |= DIRENT_FLAG_INCLUDE_REMOVED;
	retval = ext2fs_dir_iterate2(ls->fs->fs, dir, flags, NULL, ls_cb, ls);
	putchar('\n');
	return retval ? retval : ls->err;
}

static int cmd_ls(lua_State *L)
{
	int fsi, first;
	e2c_fs *fs = e2sh_checkfs(L, &fsi);
	struct ls ls = { .fs = fs };
	const char *arg = NULL;
	ext2_ino_t dir;
	errcode_t retval;

	ls.opts = e2sh_flags(L, fsi - 1, "cdlpr", "ls", LS_USAGE, &first);
	if (first < fsi - 1)
		return luaL_error(L, "Usage: ls " LS_USAGE);
	if (first == fsi - 1) {
		arg = lua_tostring(L, first);
		dir = e2l_checkino(L, fsi, first, "ls");
	} else {
		dir = e2l_getcwd(L, fsi);
	}
	retval = list_dir(&ls, dir);
	if (retval)
		e2l_error(L, retval, "ls", arg);
	return 0;
}

/* ------------------------------------------------------------------ */
/* testb                                                               */
/* ------------------------------------------------------------------ */

static int cmd_testb(lua_State *L)
{
	int fsi;
	e2c_fs *fs = e2sh_checkfs(L, &fsi);
	blk64_t blk = checknum(L, 1, "testb", "block number");
	blk64_t count = fsi > 2 ? checknum(L, 2, "testb", "count") : 1;
	blk64_t end = ext2fs_blocks_count(fs->fs->super);

	if (!fs->fs->block_map)
		e2l_error(L, E2C_ERR_NO_BITMAPS, "testb", NULL);
	/* debugfs rejects block 0 even where it is a real block. */
	if (!blk)
		return luaL_error(L, "testb 0: invalid block number 0");
	if (blk >= end || count > end - blk)
		return luaL_error(L, "testb %s: blocks beyond the end of the "
				  "filesystem (%I blocks)", lua_tostring(L, 1),
				  (lua_Integer)end);
	for (; count > 0; count--, blk++)
		printf("Block %llu %s\n", (unsigned long long)blk,
		       ext2fs_test_block_bitmap2(fs->fs->block_map, blk) ?
		       "marked in use" : "not in use");
	return 0;
}

/* ------------------------------------------------------------------ */
/* stats                                                               */
/* ------------------------------------------------------------------ */

/* One group descriptor, debugfs's "stats" layout. */
static void print_group(ext2_filsys fs, dgrp_t g, const char *units,
			int csum)
{
	__u32 fb = ext2fs_bg_free_blocks_count(fs, g);
	__u32 fi = ext2fs_bg_free_inodes_count(fs, g);
	__u32 ud = ext2fs_bg_used_dirs_count(fs, g);
	int first = 1;

	printf(" Group %2d: block bitmap at %llu, inode bitmap at %llu, "
	       "inode table at %llu\n"
	       "           %u free %s%s, %u free %s, %u used %s%s", g,
	       (unsigned long long)ext2fs_block_bitmap_loc(fs, g),
	       (unsigned long long)ext2fs_inode_bitmap_loc(fs, g),
	       (unsigned long long)ext2fs_inode_table_loc(fs, g),
	       fb, units, fb != 1 ? "s" : "", fi,
	       fi != 1 ? "inodes" : "inode", ud,
	       ud != 1 ? "directories" : "directory", csum ? ", " : "\n");
	if (csum)
		printf("%u unused %s\n", ext2fs_bg_itable_unused(fs, g),
		       ext2fs_bg_itable_unused(fs, g) != 1 ? "inodes" :
		       "inode");
	if (ext2fs_bg_flags_test(fs, g, EXT2_BG_INODE_UNINIT)) {
		fputs("           [Inode not init", stdout);
		first = 0;
	}
	if (ext2fs_bg_flags_test(fs, g, EXT2_BG_BLOCK_UNINIT)) {
		fputs(first ? "           [Block not init" :
		      ", Block not init", stdout);
		first = 0;
	}
	if (csum) {
		printf("%sChecksum 0x%04x", first ? "           [" : ", ",
		       ext2fs_bg_checksum(fs, g));
		first = 0;
	}
	if (!first)
		fputs("]\n", stdout);
}

static int cmd_stats(lua_State *L)
{
	int fsi, first, header;
	e2c_fs *e = e2sh_checkfs(L, &fsi);
	ext2_filsys fs = e->fs;
	unsigned int dirs = 0;
	dgrp_t g;

	header = e2sh_flags(L, fsi - 1, "h", "stats", STATS_USAGE, &first);
	if (first != fsi)
		return luaL_error(L, "Usage: stats " STATS_USAGE);
	fflush(stdout);
	list_super2(fs->super, stdout);
	if (ext2fs_has_feature_metadata_csum(fs->super) &&
	    !ext2fs_superblock_csum_verify(fs, fs->super)) {
		/* Compute the expected sum on a copy: never touch fs->super. */
		struct ext2_super_block sb = *fs->super;

		ext2fs_superblock_csum_set(fs, &sb);
		printf("Expected Checksum:        0x%08x\n", sb.s_checksum);
	}
	for (g = 0; g < fs->group_desc_count; g++)
		dirs += ext2fs_bg_used_dirs_count(fs, g);
	printf("Directories:              %u\n", dirs);
	if (header)
		return 0;
	for (g = 0; g < fs->group_desc_count; g++)
		print_group(fs, g, ext2fs_has_feature_bigalloc(fs->super) ?
			    "cluster" : "block", ext2fs_has_group_desc_csum(fs));
	return 0;
}

const struct e2sh_cmd e2sh_inspect_cmds[] = {
	{ "stats", "super show_super_stats", STATS_USAGE,
	  "Show the superblock (and the group descriptors unless -h)",
	  0, 1, "fs", "", cmd_stats },
	{ "stat", "show_inode_info", "<file>",
	  "Show an inode and its block map or extents", 1, 1, "fs", "inode",
	  cmd_stat },
	{ "ls", "list_directory", LS_USAGE,
	  "List a directory (-l long, -p parseable, -d deleted entries)",
	  0, 6, "fs", "inode", cmd_ls },
	{ "blocks", NULL, "<file>",
	  "Print every block of a file, indirect and extent tree blocks too",
	  1, 1, "fs", "inode", cmd_blocks },
	{ "dump_extents", "extents ex", EX_USAGE,
	  "Show the extent tree (-n index nodes only, -l leaves only)",
	  1, 3, "fs", "inode", cmd_extents },
	{ "bmap", NULL, "<file> <lblk>",
	  "Physical block of a logical block (0 for a hole)", 2, 2, "fs",
	  "inode", cmd_bmap },
	{ "icheck", NULL, "<block> ...", "Find the inodes owning blocks",
	  1, -1, "fs", "block", cmd_icheck },
	{ "ncheck", NULL, NCHECK_USAGE,
	  "Find the path names of inodes (-c: check entry file types)",
	  1, -1, "fs", "", cmd_ncheck },
	{ "testb", NULL, "<block> [count]",
	  "Test whether blocks are marked in use in the bitmap", 1, 2,
	  "bitmaps", "block", cmd_testb },
	{ NULL, NULL, NULL, NULL, 0, 0, NULL, NULL, NULL }
};
