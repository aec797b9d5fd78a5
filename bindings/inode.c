/*
 * inode.c -- the e2.inode object: a snapshot of one inode (read when the
 * object is made), its fields, and the map walks over it.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "aux.h"

struct e2l_inode {
	ext2_ino_t ino;
	__u32 buf[];	/* the full on-disk inode (e2c_inode_buf_size) */
};

#define INODE(i) ((struct ext2_inode *)(i)->buf)
#define LARGE(i) ((struct ext2_inode_large *)(i)->buf)

static struct e2l_inode *toinode(lua_State *L, int idx)
{
	return luaL_checkudata(L, idx, E2L_INODE);
}

void e2l_pushinode(lua_State *L, int fsidx, ext2_ino_t ino,
		   const struct ext2_inode *buf)
{
	e2c_fs *fs = e2l_checkfs(L, fsidx);
	size_t size = e2c_inode_buf_size(fs);
	struct e2l_inode *i;
	char name[E2L_INOBUF];
	errcode_t retval;

	fsidx = lua_absindex(L, fsidx);
	i = lua_newuserdatauv(L, offsetof(struct e2l_inode, buf) + size, 1);
	memset(i, 0, offsetof(struct e2l_inode, buf) + size);
	i->ino = ino;
	if (buf) {
		memcpy(i->buf, buf, EXT2_INODE_SIZE(e2c_fs_handle(fs)->super));
	} else {
		retval = e2c_read_inode(fs, ino, INODE(i));
		if (retval)
			e2l_error(L, retval, "inode", e2l_inoname(name, ino));
	}
	lua_pushvalue(L, fsidx);
	lua_setiuservalue(L, -2, 1);			/* keeps the fs alive */
	luaL_setmetatable(L, E2L_INODE);
}

ext2_ino_t e2l_checkinode(lua_State *L, int idx, e2c_fs **fs)
{
	struct e2l_inode *i = toinode(L, idx);
	e2c_fs *f = e2l_parentfs(L, idx, "an " E2L_INODE);

	if (fs)
		*fs = f;
	return i->ino;
}

const struct ext2_inode *e2l_inodebuf(lua_State *L, int idx)
{
	return INODE(toinode(L, idx));
}

static int inode_extents(lua_State *L);

/* ---------------------------------------------------------------- */
/* Fields                                                            */
/* ---------------------------------------------------------------- */

#define XTIME(f) E2C_XTIME(fs, in, f)

static const char *map_kind(e2c_fs *fs, struct e2l_inode *i)
{
	if (INODE(i)->i_flags & EXT4_INLINE_DATA_FL)
		return "inline";
	if (!e2c_inode_has_blocks(fs, INODE(i)))
		return "none";
	return INODE(i)->i_flags & EXT4_EXTENTS_FL ? "extents" : "blockmap";
}

enum field {
	F_INO, F_TYPE, F_MODE, F_SIZE, F_LINKS, F_UID, F_GID, F_ATIME,
	F_MTIME, F_CTIME, F_CRTIME, F_DTIME, F_FLAGS, F_IBLOCKS, F_GEN,
	F_ACL, F_INLINE, F_EXTENT, F_HAS_BLOCKS, F_MAP, F_ATIME_NS,
	F_MTIME_NS, F_CTIME_NS, F_CRTIME_NS, F_VERSION, F_PROJID,
	F_EXTRA_ISIZE, F_CHECKSUM, F_TARGET, F_MAJOR, F_MINOR,
	F_INLINE_SIZE, F_SECTORS
};

static const char *const field_names[] = {
	[F_INO] = "ino", [F_TYPE] = "type", [F_MODE] = "mode",
	[F_SIZE] = "size", [F_LINKS] = "links", [F_UID] = "uid",
	[F_GID] = "gid", [F_ATIME] = "atime", [F_MTIME] = "mtime",
	[F_CTIME] = "ctime", [F_CRTIME] = "crtime", [F_DTIME] = "dtime",
	[F_FLAGS] = "flags", [F_IBLOCKS] = "i_blocks",
	[F_GEN] = "generation", [F_ACL] = "file_acl",
	[F_INLINE] = "inline", [F_EXTENT] = "extent_mapped",
	[F_HAS_BLOCKS] = "has_blocks", [F_MAP] = "map",
	[F_ATIME_NS] = "atime_nsec", [F_MTIME_NS] = "mtime_nsec",
	[F_CTIME_NS] = "ctime_nsec", [F_CRTIME_NS] = "crtime_nsec",
	[F_VERSION] = "version", [F_PROJID] = "projid",
	[F_EXTRA_ISIZE] = "extra_isize", [F_CHECKSUM] = "inode_checksum",
	[F_TARGET] = "target", [F_MAJOR] = "major", [F_MINOR] = "minor",
	[F_INLINE_SIZE] = "inline_size", [F_SECTORS] = "sectors", NULL
};

/* The nanoseconds of a time's extra field, or nil when not stored. */
#define NSEC(f)								\
	(e2c_inode_has_extra(fs, in, E2C_EXTRA_END(i_##f##_extra)) ?	\
	 lua_pushinteger(L, LARGE(i)->i_##f##_extra >> 2) : lua_pushnil(L))

/* A symlink's target (fast, inline or in a block), at most 64 KiB. */
static void push_target(lua_State *L, e2c_fs *fs, struct e2l_inode *i)
{
	__u64 size = EXT2_I_SIZE(INODE(i));
	char name[E2L_INOBUF];
	luaL_Buffer b;
	e2c_file *f;
	size_t got = 0;
	char *p;
	errcode_t retval;

	if (!LINUX_S_ISLNK(INODE(i)->i_mode)) {
		lua_pushnil(L);
		return;
	}
	if (size > 65536)
		size = 65536;
	p = luaL_buffinitsize(L, &b, (size_t)size);
	retval = e2c_file_open(fs, i->ino, INODE(i), &f);
	if (!retval) {
		retval = e2c_file_pread(f, 0, p, (size_t)size, &got);
		e2c_file_close(f);
	}
	if (retval)
		e2l_error(L, retval, "target", e2l_inoname(name, i->ino));
	luaL_pushresultsize(&b, got);
}

/* Device numbers as debugfs reads them: old style in i_block[0], new
 * style in i_block[1]; nil for other types. */
static void push_device(lua_State *L, struct e2l_inode *i, int minor)
{
	const struct ext2_inode *in = INODE(i);
	unsigned int v;

	if (!LINUX_S_ISBLK(in->i_mode) && !LINUX_S_ISCHR(in->i_mode)) {
		lua_pushnil(L);
		return;
	}
	if (in->i_block[0])
		v = minor ? in->i_block[0] & 255 : (in->i_block[0] >> 8) & 255;
	else if (minor)
		v = (in->i_block[1] & 0xff) | ((in->i_block[1] >> 12) & 0xfff00);
	else
		v = (in->i_block[1] & 0xfff00) >> 8;
	lua_pushinteger(L, v);
}

/* Push one field; 0 if name is not a field. */
static int push_field(lua_State *L, e2c_fs *fs, struct e2l_inode *i,
		      const char *name)
{
	struct ext2_inode *in = INODE(i);
	int f;

	for (f = 0; field_names[f]; f++)
		if (strcmp(field_names[f], name) == 0)
			break;
	switch ((enum field)f) {
	case F_INO: lua_pushinteger(L, i->ino); break;
	case F_TYPE: lua_pushstring(L, e2c_inode_type(in)); break;
	case F_MODE: lua_pushinteger(L, in->i_mode); break;
	case F_SIZE: lua_pushinteger(L, (lua_Integer)EXT2_I_SIZE(in)); break;
	case F_LINKS: lua_pushinteger(L, in->i_links_count); break;
	case F_UID: lua_pushinteger(L, inode_uid(*in)); break;
	case F_GID: lua_pushinteger(L, inode_gid(*in)); break;
	case F_ATIME: lua_pushinteger(L, XTIME(atime)); break;
	case F_MTIME: lua_pushinteger(L, XTIME(mtime)); break;
	case F_CTIME: lua_pushinteger(L, XTIME(ctime)); break;
	case F_CRTIME:
		if (e2c_inode_has_extra(fs, in, E2C_EXTRA_END(i_crtime)))
			lua_pushinteger(L, XTIME(crtime));
		else
			lua_pushnil(L);		/* not stored */
		break;
	case F_DTIME: lua_pushinteger(L, in->i_dtime); break;
	case F_FLAGS: lua_pushinteger(L, in->i_flags); break;
	case F_IBLOCKS:		/* the old name of sectors */
	case F_SECTORS:
		lua_pushinteger(L, (lua_Integer)
				ext2fs_get_stat_i_blocks(e2c_fs_handle(fs), in));
		break;
	case F_GEN: lua_pushinteger(L, in->i_generation); break;
	case F_ACL:
		lua_pushinteger(L, (lua_Integer)
				ext2fs_file_acl_block(e2c_fs_handle(fs), in));
		break;
	case F_INLINE:
		lua_pushboolean(L, (in->i_flags & EXT4_INLINE_DATA_FL) != 0);
		break;
	case F_EXTENT:
		lua_pushboolean(L, (in->i_flags & EXT4_EXTENTS_FL) != 0);
		break;
	case F_HAS_BLOCKS:
		lua_pushboolean(L, e2c_inode_has_blocks(fs, in));
		break;
	case F_MAP: lua_pushstring(L, map_kind(fs, i)); break;
	case F_ATIME_NS: NSEC(atime); break;
	case F_MTIME_NS: NSEC(mtime); break;
	case F_CTIME_NS: NSEC(ctime); break;
	case F_CRTIME_NS: NSEC(crtime); break;
	case F_VERSION:
		lua_pushinteger(L, (lua_Integer)(in->osd1.linux1.l_i_version |
			(e2c_inode_has_extra(fs, in, E2C_EXTRA_END(i_version_hi))
			 ? (__u64)LARGE(i)->i_version_hi << 32 : 0)));
		break;
	case F_PROJID:
		if (e2c_inode_has_extra(fs, in, E2C_EXTRA_END(i_projid)))
			lua_pushinteger(L, LARGE(i)->i_projid);
		else
			lua_pushnil(L);
		break;
	case F_EXTRA_ISIZE:
		if (EXT2_INODE_SIZE(e2c_fs_handle(fs)->super) > EXT2_GOOD_OLD_INODE_SIZE)
			lua_pushinteger(L, LARGE(i)->i_extra_isize);
		else
			lua_pushnil(L);
		break;
	case F_CHECKSUM:
		if (!ext2fs_has_feature_metadata_csum(e2c_fs_handle(fs)->super)) {
			lua_pushnil(L);
			break;
		}
		/* debugfs's test for the high half */
		lua_pushinteger(L, in->osd2.linux2.l_i_checksum_lo |
			(EXT2_INODE_SIZE(e2c_fs_handle(fs)->super) >
			 EXT2_GOOD_OLD_INODE_SIZE &&
			 LARGE(i)->i_extra_isize >=
			 offsetof(struct ext2_inode_large, i_checksum_hi) -
			 EXT2_GOOD_OLD_INODE_SIZE ?
			 (__u32)LARGE(i)->i_checksum_hi << 16 : 0));
		break;
	case F_TARGET: push_target(L, fs, i); break;
	case F_MAJOR: push_device(L, i, 0); break;
	case F_MINOR: push_device(L, i, 1); break;
	case F_INLINE_SIZE:
		if (in->i_flags & EXT4_INLINE_DATA_FL) {
			size_t size;
			errcode_t retval = ext2fs_inline_data_size(e2c_fs_handle(fs),
								   i->ino,
								   &size);
			char name[E2L_INOBUF];

			if (retval)
				e2l_error(L, retval, "inline_size",
					  e2l_inoname(name, i->ino));
			lua_pushinteger(L, (lua_Integer)size);
		} else {
			lua_pushnil(L);
		}
		break;
	default: return 0;
	}
	return 1;
}

/* __index: methods (upvalue 1), then fields, else nil. */
static int inode_index(lua_State *L)
{
	struct e2l_inode *i = toinode(L, 1);
	e2c_fs *fs;

	lua_pushvalue(L, 2);
	if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL)
		return 1;
	if (lua_type(L, 2) != LUA_TSTRING)
		return 1;
	e2l_checkinode(L, 1, &fs);
	if (strcmp(lua_tostring(L, 2), "i_blocks") == 0)
		e2l_deprecated(L, "ino.i_blocks", "ino.sectors");
	if (!push_field(L, fs, i, lua_tostring(L, 2)))
		lua_pushnil(L);
	return 1;
}

static int inode_tostring(lua_State *L)
{
	struct e2l_inode *i = toinode(L, 1);
	e2c_fs *fs;

	lua_getiuservalue(L, 1, 1);
	fs = e2l_tofs(L, -1);
	if (!fs)
		lua_pushfstring(L, E2L_INODE " <%I> (closed fs)",
				(lua_Integer)i->ino);
	else
		lua_pushfstring(L, E2L_INODE " <%I> (%s, %s)",
				(lua_Integer)i->ino,
				e2c_inode_type(INODE(i)), map_kind(fs, i));
	return 1;
}

/* Two objects for the same inode of the same fs are equal. */
static int inode_eq(lua_State *L)
{
	struct e2l_inode *a = toinode(L, 1), *b = toinode(L, 2);

	lua_getiuservalue(L, 1, 1);
	lua_getiuservalue(L, 2, 1);
	lua_pushboolean(L, a->ino == b->ino && lua_rawequal(L, -1, -2));
	return 1;
}

/* ---------------------------------------------------------------- */
/* Methods                                                           */
/* ---------------------------------------------------------------- */

static int map_method(lua_State *L, enum e2l_walk_kind kind)
{
	e2l_checkinode(L, 1, NULL);
	e2l_checknargs(L, 1);
	return e2l_map_cursor(L, 1, kind);
}

static int inode_blocks(lua_State *L) { return map_method(L, E2L_BLOCKS); }
static int inode_runs(lua_State *L) { return map_method(L, E2L_RUNS); }
static int inode_holes(lua_State *L) { return map_method(L, E2L_HOLES); }
static int inode_extents(lua_State *L) { return map_method(L, E2L_EXTENTS); }

/* ino:tree() -> {depth=, nodes={...}}, or nil for a block-mapped inode */
static int inode_tree(lua_State *L)
{
	struct e2l_inode *i = toinode(L, 1);
	struct e2c_node *nodes = NULL;
	char name[E2L_INOBUF];
	size_t n, count = 0;
	e2c_fs *fs;
	errcode_t retval;
	int depth;

	e2l_checkinode(L, 1, &fs);
	e2l_checknargs(L, 1);
	if (!(INODE(i)->i_flags & EXT4_EXTENTS_FL) ||
	    !e2c_inode_has_blocks(fs, INODE(i)))
		return 0;
	retval = e2c_extent_nodes(fs, i->ino, INODE(i), &nodes, &count,
				  &depth);
	if (retval)
		return e2l_error(L, retval, "tree", e2l_inoname(name, i->ino));
	lua_createtable(L, 0, 2);			/* [tree] */
	lua_pushinteger(L, depth);
	lua_setfield(L, -2, "depth");
	lua_createtable(L, (int)count, 0);		/* [tree, nodes] */
	for (n = 0; n < count; n++) {
		lua_createtable(L, 0, 4);
		lua_pushinteger(L, nodes[n].level);
		lua_setfield(L, -2, "level");
		lua_pushinteger(L, (lua_Integer)nodes[n].pblk);
		lua_setfield(L, -2, "pblk");
		lua_pushinteger(L, nodes[n].entries);
		lua_setfield(L, -2, "entries");
		lua_pushinteger(L, nodes[n].max_entries);
		lua_setfield(L, -2, "max_entries");
		lua_rawseti(L, -2, (lua_Integer)n + 1);
	}
	free(nodes);
	lua_setfield(L, -2, "nodes");
	return 1;
}

/* ---- ino:xattrs() ---------------------------------------------------- */

struct xattr {
	char *name, *value;
	size_t len;
};

struct xattrs {
	struct xattr *v;
	size_t n, cap;
	errcode_t err;
};

/* ext2fs_xattrs_iterate callback: copy (no Lua in a libext2fs callback). */
static int xattr_copy(char *name, char *value, size_t len, void *priv)
{
	struct xattrs *x = priv;
	struct xattr *v;

	if (e2c_grow(&x->v, &x->cap, x->n + 1, sizeof(*x->v)))
		goto oom;
	v = &x->v[x->n];
	v->name = strdup(name);
	v->value = malloc(len ? len : 1);
	if (!v->name || !v->value) {
		free(v->name);
		free(v->value);
		goto oom;
	}
	memcpy(v->value, value, len);
	v->len = len;
	x->n++;
	return 0;
oom:
	x->err = ENOMEM;
	return XATTR_ABORT;
}

/* The extended attributes of ino, in libext2fs's order (debugfs stat's):
 * an array of {name=, value=} pushed.  A filesystem without the feature
 * has none. */
static void push_xattrs(lua_State *L, e2c_fs *fs, ext2_ino_t ino)
{
	struct ext2_xattr_handle *h = NULL;
	struct xattrs x = { 0 };
	char name[E2L_INOBUF];
	errcode_t retval;
	size_t k;

	retval = ext2fs_xattrs_open(e2c_fs_handle(fs), ino, &h);
	if (!retval) {
		retval = ext2fs_xattrs_read(h);
		if (!retval)
			retval = ext2fs_xattrs_iterate(h, xattr_copy, &x);
		ext2fs_xattrs_close(&h);
	}
	if (retval == EXT2_ET_MISSING_EA_FEATURE)
		retval = 0;
	if (!retval)
		retval = x.err;
	if (!retval)
		lua_createtable(L, (int)x.n, 0);
	for (k = 0; k < x.n; k++) {
		if (!retval) {
			lua_createtable(L, 0, 2);
			lua_pushstring(L, x.v[k].name);
			lua_setfield(L, -2, "name");
			lua_pushlstring(L, x.v[k].value, x.v[k].len);
			lua_setfield(L, -2, "value");
			lua_rawseti(L, -2, (lua_Integer)k + 1);
		}
		free(x.v[k].name);
		free(x.v[k].value);
	}
	free(x.v);
	if (retval)
		e2l_error(L, retval, "xattrs", e2l_inoname(name, ino));
}

/* ino:xattrs() -> {{name=, value=}, ...} (the attributes on disk now) */
static int inode_xattrs(lua_State *L)
{
	e2c_fs *fs;
	ext2_ino_t ino = e2l_checkinode(L, 1, &fs);

	e2l_checknargs(L, 1);
	push_xattrs(L, fs, ino);
	return 1;
}

/* ---- ino:ranges() ---------------------------------------------------- */

#define SETINT(name, v) \
	(lua_pushinteger(L, (lua_Integer)(v)), lua_setfield(L, -2, (name)))

/* The map as stat lists it (e2c_map_next_range): an array of {kind=,
 * lblk=, pblk=, len=, uninit=}, index nodes with their level. */
static void push_ranges(lua_State *L, e2c_fs *fs, struct e2l_inode *i)
{
	char name[E2L_INOBUF];
	struct e2c_piece p;
	e2c_map *m = NULL;
	lua_Integer n = 0;
	errcode_t retval;
	int got;

	lua_newtable(L);
	retval = e2c_map_open(fs, i->ino, INODE(i), &m);
	while (!retval) {
		/* no Lua error may leave the cursor open: only the pushes
		 * below could raise, and only for want of memory */
		retval = e2c_map_next_range(m, &p, &got);
		if (retval || !got)
			break;
		lua_createtable(L, 0, 6);
		lua_pushstring(L, e2l_kind_name(p.kind));
		lua_setfield(L, -2, "kind");
		SETINT("lblk", p.lblk);
		SETINT("pblk", p.pblk);
		SETINT("len", p.len);
		lua_pushboolean(L, (p.flags & E2C_UNINIT) != 0);
		lua_setfield(L, -2, "uninit");
		if (p.kind == E2C_NODE)
			SETINT("level", p.level);
		lua_rawseti(L, -2, ++n);
	}
	e2c_map_close(m);
	if (retval)
		e2l_error(L, retval, "ranges", e2l_inoname(name, i->ino));
}

/* ino:ranges() -> the map as stat lists it ({} without a map) */
static int inode_ranges(lua_State *L)
{
	struct e2l_inode *i = toinode(L, 1);
	e2c_fs *fs;

	e2l_checkinode(L, 1, &fs);
	e2l_checknargs(L, 1);
	if (!e2c_inode_has_blocks(fs, INODE(i))) {
		lua_newtable(L);
		return 1;
	}
	push_ranges(L, fs, i);
	return 1;
}

/* ino:stat() -> every field, xattrs and (with a map) ranges: what the stat
 * command shows, as one table (its -j output). */
static int inode_stat(lua_State *L)
{
	struct e2l_inode *i = toinode(L, 1);
	e2c_fs *fs;
	int f;

	e2l_checkinode(L, 1, &fs);
	e2l_checknargs(L, 1);
	lua_createtable(L, 0, 40);
	for (f = 0; field_names[f]; f++) {
		push_field(L, fs, i, field_names[f]);
		lua_setfield(L, -2, field_names[f]);
	}
	push_xattrs(L, fs, i->ino);
	lua_setfield(L, -2, "xattrs");
	if (e2c_inode_has_blocks(fs, INODE(i))) {
		push_ranges(L, fs, i);
		lua_setfield(L, -2, "ranges");
	}
	return 1;
}

/* ino:path() -> path or nil */
static int inode_path(lua_State *L)
{
	char name[E2L_INOBUF];
	e2c_fs *fs;
	ext2_ino_t ino = e2l_checkinode(L, 1, &fs);

	e2l_checknargs(L, 1);
	return e2l_pushpath(L, fs, ino, e2l_inoname(name, ino));
}

/* ino:plan([opts]) -> plan table (the inode as it is on disk now; opts
 * as fs:plan's) */
static int inode_plan(lua_State *L)
{
	char name[E2L_INOBUF];
	struct e2c_migrate_opts o;
	e2c_fs *fs;
	ext2_ino_t ino = e2l_checkinode(L, 1, &fs);

	e2l_checknargs(L, 2);
	e2l_checkmigopts(L, 2, &o, "plan");
	return e2l_pushplanof(L, fs, ino, &o, e2l_inoname(name, ino));
}

void e2l_inode_open(lua_State *L)
{
	static const luaL_Reg meta[] = {
		{ "__index", NULL },
		{ "__tostring", inode_tostring },
		{ "__eq", inode_eq },
		{ NULL, NULL }
	};
	static const luaL_Reg methods[] = {
		{ "blocks", inode_blocks },
		{ "checksum", e2l_inode_checksum },
		{ "chunks", e2l_inode_chunks },
		{ "dump", e2l_inode_dump },
		{ "entries", e2l_inode_entries },
		{ "extents", inode_extents },
		{ "frag", e2l_inode_frag },
		{ "holes", inode_holes },
		{ "lines", e2l_inode_lines },
		{ "path", inode_path },
		{ "plan", inode_plan },
		{ "ranges", inode_ranges },
		{ "raw", e2l_inode_raw },
		{ "rdump", e2l_inode_rdump },
		{ "read", e2l_inode_read },
		{ "runs", inode_runs },
		{ "stat", inode_stat },
		{ "tree", inode_tree },
		{ "xattrs", inode_xattrs },
		{ NULL, NULL }
	};

	e2l_newmeta(L, E2L_INODE, meta, methods, inode_index);
	e2l_setfields(L, E2L_INODE, field_names);
	e2l_reader_open(L);
}
