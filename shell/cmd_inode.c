/*
 * cmd_inode.c -- the inspection commands of one inode: stat, blocks,
 * dump_extents (ex), bmap, imap, inode_dump (id).
 *
 * Output follows debugfs 1.47.0 byte for byte where debugfs has the command
 * (the tests compare them).  Every command does its work in a helper that
 * returns an errcode_t and frees what it allocated; only then does the
 * lua_CFunction raise, so no Lua error ever jumps over a malloc()ed buffer
 * or a libext2fs frame.
 *
 * Where debugfs prints garbage (it walks the i_block text of fast
 * symlinks and the device numbers of device inodes as if they were block
 * numbers), those inodes have no map here.  Maps are walked with the
 * core's cursor (e2c_map_*), which validates every pointer, so a corrupt
 * map is an error instead of shifted numbers.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"

#define EX_USAGE	"[-j] [-n] [-l] <file>"
#define ID_USAGE	"[-b|-e|-x] <file>"

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

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
		     errcode_t (*show)(FILE *, e2c_fs *, ext2_ino_t))
{
	int fsi;
	e2c_fs *fs = e2sh_checkfs(L, &fsi);
	ext2_ino_t ino = e2l_checkino(L, fsi, 1, op);
	errcode_t retval = show(e2sh_out(L), fs, ino);

	if (retval)
		e2l_error(L, retval, op, lua_tostring(L, 1));
	return 0;
}

/* ------------------------------------------------------------------ */
/* blocks                                                              */
/* ------------------------------------------------------------------ */

/* Every block of the map, metadata included, "N " each, then a newline
 * (also after a failure, so the line is terminated). */
static errcode_t print_blocks(FILE *out, e2c_fs *fs, ext2_ino_t ino)
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
			fprintf(out, "%llu ", (unsigned long long)(p.pblk + i));
	}
	fputc('\n', out);
	e2c_map_close(m);
	return retval;
}

static int cmd_blocks(lua_State *L)
{
	return inode_cmd(L, "blocks", print_blocks);
}

/* blocks -j <file>: {file=, ino=, blocks={pblk...}} from ino:blocks() */
static int blocks_data(lua_State *L)
{
	int fsi;

	e2sh_checkfs(L, &fsi);
	lua_pushvalue(L, 1);
	e2sh_method(L, fsi, "inode", 1, 1);		/* [.., ino] */
	e2sh_push_file(L, 1, -1);
	e2sh_collect(L, -2, "blocks", 2, 2, NULL, NULL);	/* the pblks */
	lua_setfield(L, -2, "blocks");
	return 1;
}

static int json_blocks(lua_State *L)
{
	lua_pushcfunction(L, blocks_data);
	lua_pushvalue(L, 1);
	e2sh_call_as(L, 1, 1, "blocks", lua_tostring(L, 1));
	return 1;
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

/* "BLOCKS:" or "EXTENTS:" and the map, as debugfs's stat shows it: the
 * core's ranges (e2c_map_next_range, also ino:ranges()), and for a block
 * map the TOTAL of its blocks. */
static errcode_t print_map(FILE *out, e2c_fs *fs, ext2_ino_t ino,
			   const struct ext2_inode *inode)
{
	static const char *const tag[] = { "", "IND", "DIND", "TIND" };
	struct e2c_piece p;
	e2c_map *m = NULL;
	errcode_t retval;
	long long total = 0;
	int ext, got, first = 1;

	retval = e2c_map_open(fs, ino, inode, &m);
	if (retval)
		return retval;
	ext = e2c_map_is_extent(m);
	fputs(ext ? "EXTENTS:\n" : "BLOCKS:\n", out);
	for (;;) {
		retval = e2c_interrupted ? E2C_ERR_INTERRUPTED :
			 e2c_map_next_range(m, &p, &got);
		if (retval || !got)
			break;
		total += p.len;
		fputs(first ? "" : ", ", out);
		first = 0;
		if (p.kind == E2C_NODE)
			fprintf(out, "(ETB%d):%llu", p.level,
				(unsigned long long)p.pblk);
		else if (p.kind != E2C_DATA)
			fprintf(out, "(%s):%llu", tag[p.kind],
				(unsigned long long)p.pblk);
		else if (p.len == 1)
			fprintf(out, "(%llu%s):%llu", (unsigned long long)p.lblk,
				p.flags & E2C_UNINIT ? "[u]" : "",
				(unsigned long long)p.pblk);
		else
			fprintf(out, "(%llu-%llu%s):%llu-%llu",
				(unsigned long long)p.lblk,
				(unsigned long long)(p.lblk + p.len - 1),
				p.flags & E2C_UNINIT ? "[u]" : "",
				(unsigned long long)p.pblk,
				(unsigned long long)(p.pblk + p.len - 1));
	}
	if (!first)
		fputc('\n', out);
	/* A map cut short by an error gets no TOTAL: it would be wrong. */
	if (!ext && !retval) {
		if (total)
			fprintf(out, "TOTAL: %lld\n", total);
		fputc('\n', out);
	}
	e2c_map_close(m);
	return retval;
}

/* An extended attribute value as debugfs's stat shows it: quoted C string
 * when mostly printable, else hex bytes. */
static void print_xattr_value(FILE *out, const char *v, size_t len)
{
	size_t i, printable = 0;

	for (i = 0; i < len; i++)
		if (isprint((unsigned char)v[i]))
			printable++;
	if (printable <= len * 7 / 8) {
		for (i = 0; i < len; i++)
			fprintf(out, "%02x ", (unsigned char)v[i]);
		return;
	}
	fputc('"', out);
	for (i = 0; i < len; i++) {
		unsigned char c = v[i];
		const char *esc = strchr("\a\b\f\n\t\v\\'\"", c);

		if (c && esc)
			fprintf(out, "\\%c",
				"abfntv\\'\""[esc - "\a\b\f\n\t\v\\'\""]);
		else if (c < 32 || c > 126)
			fprintf(out, "\\%03o", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static int xattr_cb(char *name, char *value, size_t len, void *priv)
{
	FILE *out = priv;

	fprintf(out, "  %s (%zu)", name, len);
	if (!strcmp(name, "system.data"))
		len = 0;
	if (len && len < 40) {
		fputs(" = ", out);
		print_xattr_value(out, value, len);
	}
	fputc('\n', out);
	return 0;
}

/* The "Extended attributes:" section; unreadable attributes are skipped
 * silently, as debugfs does. */
static void print_xattrs(FILE *out, e2c_fs *fs, ext2_ino_t ino)
{
	struct ext2_xattr_handle *h;
	size_t n = 0;

	if (ext2fs_xattrs_open(e2c_fs_handle(fs), ino, &h))
		return;
	if (!ext2fs_xattrs_read(h) && !ext2fs_xattrs_count(h, &n) && n) {
		fputs("Extended attributes:\n", out);
		ext2fs_xattrs_iterate(h, xattr_cb, out);
	}
	ext2fs_xattrs_close(&h);
}

/* Symlink target, device numbers, inline data size or the map. */
static errcode_t print_contents(FILE *out, e2c_fs *fs, ext2_ino_t ino,
				struct ext2_inode *inode)
{
	__u16 mode = inode->i_mode;
	errcode_t retval;
	size_t size;

	if (LINUX_S_ISLNK(mode) && ext2fs_is_fast_symlink(inode)) {
		fprintf(out, "Fast link dest: \"%.*s\"\n", (int)EXT2_I_SIZE(inode),
			(char *)inode->i_block);
	} else if (inode->i_flags & EXT4_INLINE_DATA_FL) {
		char *buf;

		retval = ext2fs_inline_data_size(e2c_fs_handle(fs), ino, &size);
		if (retval)
			return retval;
		if (!LINUX_S_ISLNK(mode)) {
			fprintf(out, "Size of inline data: %zu\n", size);
			return 0;
		}
		buf = calloc(1, size + 1);
		if (!buf)
			return ENOMEM;
		retval = ext2fs_inline_data_get(e2c_fs_handle(fs), ino, inode, buf, &size);
		if (!retval)
			fprintf(out, "Fast link dest: \"%.*s\"\n", (int)size, buf);
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
		fprintf(out, "%sDevice major/minor number: %02u:%02u "
			"(hex %02x:%02x)\n", note, major, minor, major, minor);
	} else {
		return print_map(out, fs, ino, inode);
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
static errcode_t show_inode(FILE *out, e2c_fs *fs, ext2_ino_t ino)
{
	struct ext2_super_block *sb = e2c_fs_handle(fs)->super;
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

	fprintf(out, "Inode: %u   Type: %s    Mode:  0%03o   Flags: 0x%x\n", ino,
		type_name(in->i_mode), in->i_mode & 07777, in->i_flags);
	if (large)
		fprintf(out, "Generation: %u    Version: 0x%08x:%08x\n",
			in->i_generation, li->i_version_hi,
			in->osd1.linux1.l_i_version);
	else
		fprintf(out, "Generation: %u    Version: 0x%08x\n",
			in->i_generation, in->osd1.linux1.l_i_version);
	fprintf(out, "User: %5d   Group: %5d", inode_uid(*in), inode_gid(*in));
	if (EXT2_INODE_SIZE(sb) > EXT2_GOOD_OLD_INODE_SIZE &&
	    li->i_extra_isize >= 32)
		fprintf(out, "   Project: %5d", li->i_projid);
	if (LINUX_S_ISREG(in->i_mode) || LINUX_S_ISDIR(in->i_mode))
		fprintf(out, "   Size: %llu\n",
			(unsigned long long)EXT2_I_SIZE(in));
	else
		fprintf(out, "   Size: %u\n", in->i_size);
	if (hurd) {
		fprintf(out, "File ACL: %u Translator: %u\n", in->i_file_acl,
			in->osd1.hurd1.h_i_translator);
		fprintf(out, "Links: %u   Blockcount: %u\n", in->i_links_count,
			in->i_blocks);
	} else {
		fprintf(out, "File ACL: %llu\n", in->i_file_acl |
			((unsigned long long)in->osd2.linux2.l_i_file_acl_high
			<< 32));
		fprintf(out, "Links: %u   Blockcount: %llu\n", in->i_links_count,
			((unsigned long long)in->osd2.linux2.l_i_blocks_hi
			<< 32) + in->i_blocks);
	}
	fprintf(out, "Fragment:  Address: %u    Number: %u    Size: %u\n",
		in->i_faddr, hurd ? in->osd2.hurd2.h_i_frag : 0,
		hurd ? in->osd2.hurd2.h_i_fsize : 0);
	if (large) {
		fprintf(out, " ctime: 0x%08x:%08x -- %s", in->i_ctime,
			li->i_ctime_extra,
			time_str(xtime(in->i_ctime, li->i_ctime_extra), tb));
		fprintf(out, " atime: 0x%08x:%08x -- %s", in->i_atime,
			li->i_atime_extra,
			time_str(xtime(in->i_atime, li->i_atime_extra), tb));
		fprintf(out, " mtime: 0x%08x:%08x -- %s", in->i_mtime,
			li->i_mtime_extra,
			time_str(xtime(in->i_mtime, li->i_mtime_extra), tb));
		fprintf(out, "crtime: 0x%08x:%08x -- %s", li->i_crtime,
			li->i_crtime_extra,
			time_str(xtime(li->i_crtime, li->i_crtime_extra), tb));
		if (in->i_dtime)
			fprintf(out, " dtime: 0x%08x:(%08x) -- %s", in->i_dtime,
				li->i_ctime_extra,
				time_str(xtime(in->i_dtime, li->i_ctime_extra),
					tb));
	} else {
		fprintf(out, "ctime: 0x%08x -- %s", in->i_ctime,
			time_str((__s32)in->i_ctime, tb));
		fprintf(out, "atime: 0x%08x -- %s", in->i_atime,
			time_str((__s32)in->i_atime, tb));
		fprintf(out, "mtime: 0x%08x -- %s", in->i_mtime,
			time_str((__s32)in->i_mtime, tb));
		if (in->i_dtime)
			fprintf(out, "dtime: 0x%08x -- %s", in->i_dtime,
				time_str((__s32)in->i_dtime, tb));
	}
	if (EXT2_INODE_SIZE(sb) > EXT2_GOOD_OLD_INODE_SIZE)
		fprintf(out, "Size of extra inode fields: %u\n", li->i_extra_isize);
	print_xattrs(out, fs, ino);
	if (ext2fs_has_feature_metadata_csum(sb)) {
		__u32 crc = in->osd2.linux2.l_i_checksum_lo;

		if (EXT2_INODE_SIZE(sb) > EXT2_GOOD_OLD_INODE_SIZE &&
		    li->i_extra_isize >= offsetof(struct ext2_inode_large,
						  i_checksum_hi) -
					 EXT2_GOOD_OLD_INODE_SIZE)
			crc |= (__u32)li->i_checksum_hi << 16;
		fprintf(out, "Inode checksum: 0x%08x\n", crc);
	}
	retval = print_contents(out, fs, ino, in);
	free(li);
	return retval;
}

/* stat <file>...: each in turn; a failure is said and the others go on */
static int cmd_stat(lua_State *L)
{
	FILE *out = e2sh_out(L);
	int n = lua_gettop(L), i, fsi, failed = 0;
	e2c_fs *fs = e2sh_checkfs(L, &fsi);
	errcode_t err = 0;
	ext2_ino_t ino;

	for (i = 1; i <= n; i++) {
		err = e2c_lookup(fs, e2l_getcwd(L, fsi), luaL_checkstring(L, i),
				 &ino);
		if (!err)
			err = show_inode(out, fs, ino);
		if (err) {
			e2sh_file_failed(L, "stat", lua_tostring(L, i), n > 1,
					 err);
			failed++;
		}
	}
	if (failed)
		return e2sh_files_fail(L, "stat", lua_tostring(L, 1), failed,
				       n, n > 1, err);
	return 0;
}

/* fs:inode(spec):stat(), spec at 2, fs at 1: under pcall. */
static int stat_one(lua_State *L)
{
	e2sh_method(L, 1, "inode", 1, 1);
	e2sh_method(L, -1, "stat", 0, 1);
	return 1;
}

/* The e2.error code of the error on top, or 0 for another error. */
static errcode_t error_code(lua_State *L)
{
	errcode_t code = 0;

	if (lua_istable(L, -1)) {
		lua_getfield(L, -1, "code");
		code = (errcode_t)lua_tointeger(L, -1);
		lua_pop(L, 1);
	}
	return code;
}

/* stat -j <file>...: {files = {ino:stat() with file=, ...}}; a file that
 * fails is said and the others go on, as in the text. */
static int json_stat(lua_State *L)
{
	int n = lua_gettop(L), i, fsi, list, failed = 0;
	errcode_t err = 0;

	e2sh_checkfs(L, &fsi);
	lua_createtable(L, 0, 1);
	lua_createtable(L, n, 0);
	list = lua_gettop(L);
	for (i = 1; i <= n; i++) {
		lua_pushcfunction(L, stat_one);
		lua_pushvalue(L, fsi);
		lua_pushvalue(L, i);
		if (lua_pcall(L, 2, 1, 0) != LUA_OK) {
			err = error_code(L);
			if (!err)
				return lua_error(L);	/* as it is */
			if (n == 1)
				return e2l_error(L, err, "stat",
						 lua_tostring(L, 1));
			lua_pop(L, 1);
			e2sh_file_failed(L, "stat", lua_tostring(L, i), 1, err);
			failed++;
			continue;
		}
		lua_pushvalue(L, i);
		lua_setfield(L, -2, "file");
		lua_rawseti(L, list, (lua_Integer)lua_rawlen(L, list) + 1);
	}
	lua_setfield(L, -2, "files");
	if (!failed)
		return 1;
	e2sh_push_files_fail(L, "stat", lua_tostring(L, 1), failed, n, 1, err);
	return 2;
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
static errcode_t print_extents(FILE *out, e2c_fs *fs, ext2_ino_t ino,
			       const struct ext2_inode *inode, int which)
{
	blk64_t bs = e2c_fs_block_size(fs);
	int lw = width((EXT2_I_SIZE(inode) + bs - 1) / bs);
	int pw = width(ext2fs_blocks_count(e2c_fs_handle(fs)->super));
	struct e2c_piece p;
	e2c_map *m = NULL;
	errcode_t retval;
	int got;

	retval = e2c_map_open(fs, ino, inode, &m);
	if (retval)
		return retval;
	fprintf(out, "Level Entries %*s %*s Length Flags\n", lw * 2 + 3, "Logical",
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
		fprintf(out, "%2d/%2d %3d/%3d %*llu - %*llu ", p.level,
			p.max_depth, p.entry, p.entries, lw,
			(unsigned long long)p.lblk, lw,
			(unsigned long long)p.lblk + last);
		if (p.kind == E2C_NODE)
			fprintf(out, "%*llu%*s %6u\n", pw,
				(unsigned long long)p.pblk, pw + 3, "", len);
		else
			fprintf(out, "%*llu - %*llu %6u %s\n", pw,
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
	retval = print_extents(e2sh_out(L), fs, ino,
			       (struct ext2_inode *)inode,
			       which ? which : EX_NODES | EX_LEAVES);
	free(inode);
	if (retval)
		e2l_error(L, retval, "dump_extents", arg);
	return 0;
}

/* ex -j [-n] [-l] <file>: {file=, ino=, extents={ino:extents()...}},
 * index entries only with -n, leaves only with -l. */
/* e2sh_collect's filter: the entries -n/-l keep (the mask at arg). */
static int keep_extent(lua_State *L, void *arg)
{
	int which = *(int *)arg, keep;

	lua_getfield(L, -1, "leaf");
	keep = which & (lua_toboolean(L, -1) ? EX_LEAVES : EX_NODES);
	lua_pop(L, 1);
	return keep;
}

static int extents_data(lua_State *L)
{
	int fsi, first, which;

	e2sh_checkfs(L, &fsi);
	which = e2sh_flags(L, fsi - 1, "nl", "dump_extents", EX_USAGE, &first);
	if (first != fsi - 1)
		return luaL_error(L, "Usage: dump_extents " EX_USAGE);
	which = which ? which : EX_NODES | EX_LEAVES;
	lua_pushvalue(L, first);
	e2sh_method(L, fsi, "inode", 1, 1);		/* [.., ino] */
	lua_getfield(L, -1, "extent_mapped");
	if (!lua_toboolean(L, -1))
		return luaL_error(L, "%s: does not uses extent block maps",
				  lua_tostring(L, first));
	lua_pop(L, 1);
	e2sh_push_file(L, first, -1);
	e2sh_collect(L, -2, "extents", 1, 1, keep_extent, &which);
	lua_setfield(L, -2, "extents");
	return 1;
}

static int json_extents(lua_State *L)
{
	int n = lua_gettop(L), i;

	lua_pushcfunction(L, extents_data);
	for (i = 1; i <= n; i++)
		lua_pushvalue(L, i);
	/* the file is the last operand (the usage is checked inside) */
	e2sh_call_as(L, n, 1, "dump_extents", lua_tostring(L, n));
	return 1;
}

/* ------------------------------------------------------------------ */
/* bmap                                                                */
/* ------------------------------------------------------------------ */

static int cmd_bmap(lua_State *L)
{
	FILE *out = e2sh_out(L);
	int fsi;
	e2c_fs *fs = e2sh_checkfs(L, &fsi);
	ext2_ino_t ino = e2l_checkino(L, fsi, 1, "bmap");
	blk64_t lblk = e2sh_checknum(L, 2, "bmap", "logical block");
	struct ext2_inode_large *inode = NULL;
	blk64_t pblk = 0;
	int uninit = 0, has, typed;
	__u16 mode;
	errcode_t retval;

	retval = read_full(fs, ino, &inode);
	if (retval)
		e2l_error(L, retval, "bmap", lua_tostring(L, 1));
	/* ext2fs_bmap2 would read a symlink's text or a device number as
	 * block pointers.  The bad blocks inode has no file type, and a
	 * block map all the same (debugfs maps it too). */
	has = ino == EXT2_BAD_INO ||
	      e2c_inode_has_blocks(fs, (struct ext2_inode *)inode);
	typed = e2c_inode_type_known((struct ext2_inode *)inode);
	mode = inode->i_mode;
	free(inode);
	if (!has && !typed) {
		char m[16];

		snprintf(m, sizeof(m), "%#o", mode);
		luaL_error(L, "bmap %s: Inode has no file type (mode %s): its "
			   "i_block is no block map", lua_tostring(L, 1), m);
	}
	if (!has)
		e2l_error(L, E2C_ERR_SKIP_NO_BLOCKS, "bmap", lua_tostring(L, 1));
	retval = e2c_bmap(fs, ino, lblk, &pblk, &uninit);
	if (retval)
		e2l_error(L, retval, "bmap", lua_tostring(L, 1));
	fprintf(out, "%llu%s\n", (unsigned long long)pblk,
		uninit ? " (uninit)" : "");
	return 0;
}

/* ------------------------------------------------------------------ */
/* imap, inode_dump                                                    */
/* ------------------------------------------------------------------ */

static errcode_t print_imap(FILE *out, e2c_fs *fs, ext2_ino_t ino)
{
	unsigned int offset;
	errcode_t retval;
	dgrp_t group;
	blk64_t blk;

	retval = e2c_imap(fs, ino, &group, &blk, &offset);
	if (retval)
		return retval;
	fprintf(out, "Inode %u is part of block group %u\n"
		"\tlocated at block %llu, offset 0x%04x\n", ino, group,
		(unsigned long long)blk, offset);
	return 0;
}

static int cmd_imap(lua_State *L)
{
	return inode_cmd(L, "imap", print_imap);
}

/* imap -j <file>: {file=, ino=, group=, block=, offset=}, fs:imap()'s
 * fields from the call the text makes. */
static int json_imap(lua_State *L)
{
	unsigned int offset;
	errcode_t retval;
	dgrp_t group;
	blk64_t blk;
	int fsi;
	e2c_fs *fs = e2sh_checkfs(L, &fsi);
	ext2_ino_t ino = e2l_checkino(L, fsi, 1, "imap");

	retval = e2c_imap(fs, ino, &group, &blk, &offset);
	if (retval)
		e2l_error(L, retval, "imap", lua_tostring(L, 1));
	lua_createtable(L, 0, 5);
	lua_pushvalue(L, 1);
	lua_setfield(L, -2, "file");
	lua_pushinteger(L, ino);
	lua_setfield(L, -2, "ino");
	lua_pushinteger(L, group);
	lua_setfield(L, -2, "group");
	lua_pushinteger(L, (lua_Integer)blk);
	lua_setfield(L, -2, "block");
	lua_pushinteger(L, offset);
	lua_setfield(L, -2, "offset");
	return 1;
}

/* inode_dump [-b|-e|-x] <file>: the whole inode as stored, i_block
 * only, or the extra space after i_extra_isize (in hex, or -x as
 * extended attributes). */
static int cmd_idump(lua_State *L)
{
	struct ext2_inode_large *inode = NULL;
	size_t isize, off = 0, len;
	int n = lua_gettop(L), c, mode = 0, fsi;
	struct e2sh_opt o;
	ext2_ino_t ino;
	errcode_t retval;
	e2c_fs *fs;

	e2sh_opt_begin(L, &o, n, "inode_dump", ID_USAGE);
	while ((c = e2sh_opt_next(&o, "bex")) != -1) {
		if (mode)
			return luaL_error(L, "inode_dump: -b, -e and -x "
					  "exclude each other\nUsage: "
					  "inode_dump " ID_USAGE);
		mode = c;
	}
	if (o.ind != n)
		return luaL_error(L, "Usage: inode_dump " ID_USAGE);
	fs = e2sh_checkfs(L, &fsi);
	ino = e2l_checkino(L, fsi, n, "inode_dump");
	isize = EXT2_INODE_SIZE(e2c_fs_handle(fs)->super);
	if ((mode == 'e' || mode == 'x') && isize <= EXT2_GOOD_OLD_INODE_SIZE)
		return luaL_error(L, "inode_dump %s: no extra space in the "
				  "inode (%d-byte inodes)", lua_tostring(L, n),
				  (int)isize);
	retval = read_full(fs, ino, &inode);
	if (retval)
		e2l_error(L, retval, "inode_dump", lua_tostring(L, n));
	len = isize;
	if (mode == 'b') {
		off = offsetof(struct ext2_inode_large, i_block);
		len = sizeof(inode->i_block);
	} else if (mode) {
		off = EXT2_GOOD_OLD_INODE_SIZE + inode->i_extra_isize;
		if (off > isize) {
			free(inode);
			return luaL_error(L, "inode_dump %s: i_extra_isize %d "
					  "runs past the %d-byte inode",
					  lua_tostring(L, n), (int)(off -
					  EXT2_GOOD_OLD_INODE_SIZE),
					  (int)isize);
		}
		len = isize - off;
	}
	if (mode == 'x')
		e2sh_xattr_dump(e2sh_out(L), (unsigned char *)inode + off, len,
				1);
	else
		e2sh_hexdump(e2sh_out(L), (unsigned char *)inode + off, len);
	free(inode);
	return 0;
}

/* bmap -j <file> <lblk>: {file=, ino=, lblk=, pblk=, uninit=} from
 * fs:bmap(); the same checks as the text. */
static int json_bmap(lua_State *L)
{
	int fsi, ino;
	blk64_t lblk;

	e2sh_checkfs(L, &fsi);
	lblk = e2sh_checknum(L, 2, "bmap", "logical block");
	lua_pushvalue(L, 1);
	e2sh_method(L, fsi, "inode", 1, 1);
	ino = lua_gettop(L);
	lua_getfield(L, ino, "has_blocks");
	if (!lua_toboolean(L, -1))
		e2l_error(L, E2C_ERR_SKIP_NO_BLOCKS, "bmap", lua_tostring(L, 1));
	if (lblk > 0xffffffffULL)	/* what ext2fs_bmap2 says in the text */
		e2l_error(L, EXT2_ET_FILE_TOO_BIG, "bmap", lua_tostring(L, 1));
	e2sh_push_file(L, 1, ino);
	lua_pushinteger(L, (lua_Integer)lblk);
	lua_setfield(L, -2, "lblk");
	lua_pushvalue(L, 1);
	lua_pushinteger(L, (lua_Integer)lblk);
	e2sh_method(L, fsi, "bmap", 2, 2);		/* [.., pblk, uninit] */
	lua_setfield(L, -3, "uninit");
	lua_setfield(L, -2, "pblk");
	return 1;
}

const struct e2sh_cmd e2sh_inode_cmds[] = {
	{ "stat", "show_inode_info", "[-j] <file>...",
	  "Show inodes and their block maps or extents", 1, -1, "fs",
	  "inode", cmd_stat,
	  "stat /etc/passwd\nstat -j /var/log/syslog", json_stat },
	{ "blocks", NULL, "[-j] <file>",
	  "Print every block of a file, indirect and extent tree blocks too",
	  1, 1, "fs", "inode", cmd_blocks,
	  "blocks /big\nblocks -j /etc/passwd", json_blocks },
	{ "dump_extents", "extents ex", EX_USAGE,
	  "Show the extent tree (-n index nodes only, -l leaves only)",
	  1, 3, "fs", "inode", cmd_extents,
	  "ex /var/log/syslog\nex -j -l /var/log/syslog", json_extents },
	{ "bmap", NULL, "[-j] <file> <lblk>",
	  "Physical block of a logical block (0 for a hole)", 2, 2, "fs",
	  "inode", cmd_bmap,
	  "bmap /big 100\nbmap -j /var/log/syslog 0", json_bmap },
	{ "imap", NULL, "[-j] <file>",
	  "Where an inode lives: its group, inode table block and offset",
	  1, 1, "fs", "inode", cmd_imap,
	  "imap /etc/passwd\nimap -j /etc/passwd", json_imap },
	{ "inode_dump", "idump id", ID_USAGE,
	  "Dump an inode as stored, in hex (-b i_block only, -e the extra "
	  "space, -x its extended attributes)", 1, 4, "fs", "inode",
	  cmd_idump,
	  "id /etc/passwd\nid -b /var/log/big", NULL },
	{ NULL, NULL, NULL, NULL, 0, 0, NULL, NULL, NULL, NULL, NULL }
};
