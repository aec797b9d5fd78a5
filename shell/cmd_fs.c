/*
 * cmd_fs.c -- the whole filesystem: stats, testb, icheck, block_dump (bd),
 * and the image's partitions.
 *
 * Output follows debugfs 1.47.0 byte for byte where debugfs has the command
 * (the tests compare them).  Every command does its work in a helper that
 * returns an errcode_t and frees what it allocated; only then does the
 * lua_CFunction raise, so no Lua error ever jumps over a malloc()ed buffer
 * or a libext2fs frame.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <e2p/e2p.h>

#include "commands.h"

#define STATS_USAGE	"[-h] [-j]"
#define BD_USAGE	"[-x] [-f <file>] <block>"

/* ------------------------------------------------------------------ */
/* stats                                                               */
/* ------------------------------------------------------------------ */

/* One group descriptor, debugfs's "stats" layout. */
static void print_group(FILE *out, ext2_filsys h, dgrp_t g,
			const char *units, int csum)
{
	__u32 fb = ext2fs_bg_free_blocks_count(h, g);
	__u32 fi = ext2fs_bg_free_inodes_count(h, g);
	__u32 ud = ext2fs_bg_used_dirs_count(h, g);
	int first = 1;

	fprintf(out, " Group %2d: block bitmap at %llu, inode bitmap at %llu, "
		"inode table at %llu\n"
		"           %u free %s%s, %u free %s, %u used %s%s", g,
		(unsigned long long)ext2fs_block_bitmap_loc(h, g),
		(unsigned long long)ext2fs_inode_bitmap_loc(h, g),
		(unsigned long long)ext2fs_inode_table_loc(h, g),
		fb, units, fb != 1 ? "s" : "", fi,
		fi != 1 ? "inodes" : "inode", ud,
		ud != 1 ? "directories" : "directory", csum ? ", " : "\n");
	if (csum)
		fprintf(out, "%u unused %s\n", ext2fs_bg_itable_unused(h, g),
			ext2fs_bg_itable_unused(h, g) != 1 ? "inodes" :
			"inode");
	if (ext2fs_bg_flags_test(h, g, EXT2_BG_INODE_UNINIT)) {
		fputs("           [Inode not init", out);
		first = 0;
	}
	if (ext2fs_bg_flags_test(h, g, EXT2_BG_BLOCK_UNINIT)) {
		fputs(first ? "           [Block not init" :
		      ", Block not init", out);
		first = 0;
	}
	if (csum) {
		fprintf(out, "%sChecksum 0x%04x", first ? "           [" : ", ",
			ext2fs_bg_checksum(h, g));
		first = 0;
	}
	if (!first)
		fputs("]\n", out);
}

static int cmd_stats(lua_State *L)
{
	FILE *out = e2sh_out(L);
	int fsi, first, header;
	e2c_fs *fs = e2sh_checkfs(L, &fsi);
	ext2_filsys h = e2c_fs_handle(fs);
	unsigned int dirs = 0;
	dgrp_t g;

	header = e2sh_flags(L, fsi - 1, "h", "stats", STATS_USAGE, &first);
	if (first != fsi)
		return luaL_error(L, "Usage: stats " STATS_USAGE);
	fflush(out);
	list_super2(h->super, out);
	if (ext2fs_has_feature_metadata_csum(h->super) &&
	    !ext2fs_superblock_csum_verify(h, h->super)) {
		/* Compute the expected sum on a copy: never touch fs->super. */
		struct ext2_super_block sb = *h->super;

		ext2fs_superblock_csum_set(h, &sb);
		fprintf(out, "Expected Checksum:        0x%08x\n", sb.s_checksum);
	}
	for (g = 0; g < h->group_desc_count; g++)
		dirs += ext2fs_bg_used_dirs_count(h, g);
	fprintf(out, "Directories:              %u\n", dirs);
	if (header)
		return 0;
	for (g = 0; g < h->group_desc_count; g++)
		print_group(out, h, g, ext2fs_has_feature_bigalloc(h->super) ?
			    "cluster" : "block", ext2fs_has_group_desc_csum(h));
	return 0;
}

/* stats -j [-h]: {super = fs.super, groups = fs.groups (not with -h),
 * directories = their sum} */
static int json_stats(lua_State *L)
{
	int fsi, first, header;
	lua_Integer dirs = 0, i, n;

	e2sh_checkfs(L, &fsi);
	header = e2sh_flags(L, fsi - 1, "h", "stats", STATS_USAGE, &first);
	if (first != fsi)
		return luaL_error(L, "Usage: stats " STATS_USAGE);
	lua_createtable(L, 0, 3);
	lua_getfield(L, fsi, "super");
	lua_setfield(L, -2, "super");
	lua_getfield(L, fsi, "groups");			/* [.., data, groups] */
	n = (lua_Integer)lua_rawlen(L, -1);
	for (i = 1; i <= n; i++) {
		lua_rawgeti(L, -1, i);
		lua_getfield(L, -1, "used_dirs");
		dirs += lua_tointeger(L, -1);
		lua_pop(L, 2);
	}
	if (header)
		lua_pop(L, 1);
	else
		lua_setfield(L, -2, "groups");
	lua_pushinteger(L, dirs);
	lua_setfield(L, -2, "directories");
	return 1;
}

/* ------------------------------------------------------------------ */
/* testb                                                               */
/* ------------------------------------------------------------------ */

/* testb's arguments <block> [count], checked. */
static e2c_fs *testb_args(lua_State *L, blk64_t *blk, blk64_t *count)
{
	int fsi;
	e2c_fs *fs = e2sh_checkfs(L, &fsi);
	blk64_t end = ext2fs_blocks_count(e2c_fs_handle(fs)->super);

	*blk = e2sh_checknum(L, 1, "testb", "block number");
	*count = fsi > 2 ? e2sh_checknum(L, 2, "testb", "count") : 1;
	if (e2c_fs_catastrophic(fs))
		e2l_error(L, E2C_ERR_NO_BITMAPS, "testb", NULL);
	/* debugfs rejects block 0 even where it is a real block. */
	if (!*blk)
		luaL_error(L, "testb 0: invalid block number 0");
	if (*blk >= end || *count > end - *blk)
		luaL_error(L, "testb %s: blocks beyond the end of the "
			   "filesystem (%I blocks)", lua_tostring(L, 1),
			   (lua_Integer)end);
	return fs;
}

static int cmd_testb(lua_State *L)
{
	FILE *out = e2sh_out(L);
	blk64_t blk, count;
	e2c_fs *fs = testb_args(L, &blk, &count);
	errcode_t retval;
	int inuse;

	for (; count > 0; count--, blk++) {
		/* In range (checked): only its group's bitmap can fail to
		 * load. */
		retval = e2c_fs_testb(fs, blk, &inuse);
		if (retval)
			e2l_error(L, retval, "testb", e2c_fs_path(fs));
		fprintf(out, "Block %llu %s\n", (unsigned long long)blk,
			inuse ? "marked in use" : "not in use");
	}
	return 0;
}

/* testb -j <block> [count]: {blocks = {{block=, used=}...}} from
 * fs:testb() */
static int json_testb(lua_State *L)
{
	blk64_t blk, count, k;
	int fsi;

	testb_args(L, &blk, &count);
	e2sh_checkfs(L, &fsi);
	lua_createtable(L, 0, 1);
	lua_createtable(L, count < 1 << 20 ? (int)count : 1 << 20, 0);
	for (k = 0; k < count; k++) {
		lua_createtable(L, 0, 2);
		lua_pushinteger(L, (lua_Integer)(blk + k));
		lua_setfield(L, -2, "block");
		lua_pushinteger(L, (lua_Integer)(blk + k));
		e2sh_method(L, fsi, "testb", 1, 1);
		lua_setfield(L, -2, "used");
		lua_rawseti(L, -2, (lua_Integer)k + 1);
	}
	lua_setfield(L, -2, "blocks");
	return 1;
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

#define ICHECK_USAGE	"[-j] <block> ..."

/* "icheck: N inode map(s) could not be walked (see above)" */
static void push_bad_maps(lua_State *L, int n)
{
	lua_pushfstring(L, "icheck: %d inode map(s) could not be walked (see "
			"above)", n);
}

static int cmd_icheck(lua_State *L)
{
	FILE *out = e2sh_out(L);
	int fsi, i, bad_maps = 0;
	e2c_fs *fs = e2sh_checkfs(L, &fsi);
	struct e2c_owner *q;
	size_t n = fsi - 1;
	errcode_t retval;

	if (!n)
		return luaL_error(L, "Usage: icheck " ICHECK_USAGE);
	/* A userdata: freed by the GC even if a bad number raises below. */
	q = lua_newuserdatauv(L, n * sizeof(*q), 0);
	for (i = 0; i < (int)n; i++)
		q[i].blk = e2sh_checknum(L, i + 1, "icheck", "block number");
	retval = e2c_find_owners(fs, q, n, icheck_bad_map, &bad_maps);
	if (retval)
		e2l_error(L, retval, "icheck", NULL);
	fprintf(out, "Block\tInode number\n");
	for (i = 0; i < (int)n; i++) {
		if (q[i].ino)
			fprintf(out, "%llu\t%u\n", (unsigned long long)q[i].blk,
				q[i].ino);
		else
			fprintf(out, "%llu\t<block not found>\n",
				(unsigned long long)q[i].blk);
	}
	if (bad_maps) {
		push_bad_maps(L, bad_maps);
		return lua_error(L);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* block_dump                                                          */
/* ------------------------------------------------------------------ */

/* block_dump [-x] [-f <file>] <block>: a block in hex, or -x as an
 * extended attribute block; with -f the block is a logical block of the
 * file (a hole is an error: debugfs would dump block 0). */
static int cmd_bdump(lua_State *L)
{
	int n = lua_gettop(L), c, fsi, xattr = 0, file = 0, uninit;
	struct ext2_inode_large *inode;
	const char *fname = NULL;
	struct e2sh_opt o;
	unsigned char *buf;
	blk64_t blk, lblk;
	ext2_ino_t ino;
	errcode_t retval;
	e2c_fs *fs;

	e2sh_opt_begin(L, &o, n, "block_dump", BD_USAGE);
	while ((c = e2sh_opt_next(&o, "f:x")) != -1) {
		if (c == 'x')
			xattr = 1;
		else
			fname = o.arg;	/* in an argument on the stack */
	}
	if (o.ind != n)
		return luaL_error(L, "Usage: block_dump " BD_USAGE);
	if (fname) {
		lua_pushstring(L, fname);
		file = lua_gettop(L);
	}
	fs = e2sh_checkfs(L, &fsi);
	blk = e2sh_checknum(L, n, "block_dump", "block number");
	if (file) {
		ino = e2l_checkino(L, fsi, file, "block_dump");
		lblk = blk;
		inode = lua_newuserdatauv(L, e2c_inode_buf_size(fs), 0);
		retval = e2c_read_inode(fs, ino, (struct ext2_inode *)inode);
		/* bmap would read a symlink's text or a device number as
		 * block pointers */
		if (!retval && !e2c_inode_has_blocks(fs, (struct ext2_inode *)
							 inode))
			retval = E2C_ERR_SKIP_NO_BLOCKS;
		if (!retval)
			retval = e2c_bmap(fs, ino, lblk, &blk, &uninit);
		if (retval)
			e2l_error(L, retval, "block_dump", lua_tostring(L, file));
		if (!blk)
			return luaL_error(L, "block_dump %s: logical block %I "
					  "is a hole", lua_tostring(L, file),
					  (lua_Integer)lblk);
	}
	buf = lua_newuserdatauv(L, e2c_fs_block_size(fs), 0);
	retval = e2c_read_block(fs, blk, buf);
	if (retval) {
		lua_pushfstring(L, "%I", (lua_Integer)blk);
		e2l_error(L, retval, "block_dump", lua_tostring(L, -1));
	}
	if (xattr)
		e2sh_xattr_dump(e2sh_out(L), buf, e2c_fs_block_size(fs), 0);
	else
		e2sh_hexdump(e2sh_out(L), buf, e2c_fs_block_size(fs));
	return 0;
}

/* ------------------------------------------------------------------ */
/* partitions                                                          */
/* ------------------------------------------------------------------ */

/* 16777216 -> "16M" (binary units, a decimal below 10). */
static const char *human(unsigned long long b, char *buf, size_t len)
{
	static const char units[] = "BKMGTPE";
	double v = (double)b;
	int i = 0;

	while (v >= 1024 && i < 6) {
		v /= 1024;
		i++;
	}
	snprintf(buf, len, i && v < 10 && v != (int)v ? "%.1f%c" : "%.0f%c",
		 v, units[i]);
	return buf;
}

static const char *part_type(const struct e2c_part *p, char *buf,
			     size_t len)
{
	if (p->type_guid[0])
		return p->type_guid;
	snprintf(buf, len, "0x%02x%s", p->mbr_type,
		 p->extended ? " (extended)" : "");
	return buf;
}

#define DASH(s) ((s)[0] ? (s) : "-")

errcode_t e2sh_print_partitions(FILE *out, const char *image)
{
	struct e2c_parttable *t;
	char hb[16], tb[32];
	int tw = 4, lw = 5;
	errcode_t retval;
	size_t i;

	retval = e2c_part_list(image, &t);
	if (retval)
		return retval;
	for (i = 0; i < t->count; i++) {
		int w = (int)strlen(part_type(&t->parts[i], tb, sizeof(tb)));

		tw = w > tw ? w : tw;
		w = (int)strlen(t->parts[i].label);
		lw = w > lw ? w : lw;
	}
	fprintf(out, "%s: %s partition table, disk identifier %s, %zu "
		"partition%s\n", image, t->scheme, DASH(t->id), t->count,
		t->count == 1 ? "" : "s");
	fprintf(out, "Number   Start (bytes)    Size (bytes)   Size  %-*s  "
		"Filesystem  %-*s  UUID\n", tw, "Type", lw, "Label");
	for (i = 0; i < t->count; i++) {
		const struct e2c_part *p = &t->parts[i];

		fprintf(out, "%6d  %14llu  %14llu  %5s  %-*s  %-10s  %-*s  %s\n",
			p->number, p->start, p->size,
			human(p->size, hb, sizeof(hb)), tw,
			part_type(p, tb, sizeof(tb)), DASH(p->fstype), lw,
			DASH(p->label), DASH(p->uuid));
	}
	free(t);
	return 0;
}

const char *e2sh_parttable(const char *image, char *buf, size_t len)
{
	struct e2c_parttable *t;

	if (e2c_part_list(image, &t))
		return NULL;
	snprintf(buf, len, "%s", t->scheme);
	free(t);
	return buf;
}

/* partitions [image]: the open image's partitions, or those of image */
static int cmd_partitions(lua_State *L)
{
	e2c_fs *fs = lua_gettop(L) ? NULL : e2sh_fs(L);
	const char *image = lua_gettop(L) ? lua_tostring(L, 1) :
			    fs ? e2c_fs_path(fs) : NULL;
	errcode_t retval;

	if (!image)
		return luaL_error(L, "partitions: no image given (and none "
				  "is open)");
	retval = e2sh_print_partitions(e2sh_out(L), image);
	if (retval)
		e2l_error(L, retval, "partitions", image);
	return 0;
}

/* icheck -j <block>...: {blocks = fs:owners(...)}; the maps that could not
 * be walked are said on stderr and fail the command after. */
static int json_icheck(lua_State *L)
{
	int fsi, i, n;

	e2sh_checkfs(L, &fsi);
	n = fsi - 1;
	lua_createtable(L, n, 0);
	for (i = 1; i <= n; i++) {
		lua_pushinteger(L, (lua_Integer)e2sh_checknum(L, i, "icheck",
							      "block number"));
		lua_rawseti(L, -2, i);
	}
	e2sh_method(L, fsi, "owners", 1, 2);		/* [.., list, errs] */
	return e2sh_search_json(L, "icheck", "blocks", push_bad_maps);
}

const struct e2sh_cmd e2sh_fs_cmds[] = {
	{ "stats", "super show_super_stats", STATS_USAGE,
	  "Show the superblock (and the group descriptors unless -h)",
	  0, 1, "fs", "", cmd_stats,
	  "stats -h\nstats -j", json_stats },
	{ "icheck", NULL, ICHECK_USAGE, "Find the inodes owning blocks",
	  1, -1, "fs", "block", cmd_icheck,
	  "icheck 1000 5000\nicheck -j 1000", json_icheck },
	{ "testb", NULL, "[-j] <block> [count]",
	  "Test whether blocks are marked in use in the bitmap", 1, 2,
	  "bitmaps", "block", cmd_testb,
	  "testb 1000 5\ntestb -j 1000 5", json_testb },
	{ "block_dump", "bdump bd", BD_USAGE,
	  "Dump a block in hex (-f: a logical block of a file, -x: as an "
	  "extended attribute block)", 1, 4, "fs", "block", cmd_bdump,
	  "bd -f /var/log/big 12", NULL },
	{ "partitions", NULL, "[image]",
	  "List the partitions of the open image (or of image) and the "
	  "filesystems in them", 0, 1, "", "", cmd_partitions,
	  "partitions sd.img", NULL },
	{ NULL, NULL, NULL, NULL, 0, 0, NULL, NULL, NULL, NULL, NULL }
};
