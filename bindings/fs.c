/*
 * fs.c -- the e2.fs object: an open filesystem, its superblock and group
 * tables, inode arguments, the current directory, and the whole-fs
 * queries (lookup, path, owner, bmap, testb).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <e2p/e2p.h>

#include "aux.h"

/* ---------------------------------------------------------------- */
/* Lifetime                                                          */
/* ---------------------------------------------------------------- */

void e2l_child_link(struct e2l_fs *f, struct e2l_child *c)
{
	c->next = f->children;
	if (c->next)
		c->next->pprev = &c->next;
	c->pprev = &f->children;
	f->children = c;
}

void e2l_child_unlink(struct e2l_child *c)
{
	if (!c->pprev)
		return;
	*c->pprev = c->next;
	if (c->next)
		c->next->pprev = c->pprev;
	c->next = NULL;
	c->pprev = NULL;
}

/* Close the children (rolling back an open transaction) while the e2c_fs
 * they use is still valid, then the fs.  Idempotent. */
static errcode_t fs_release(struct e2l_fs *f)
{
	e2c_fs *fs = f->fs;

	while (f->children)
		f->children->close(f->children);	/* unlinks itself */
	f->fs = NULL;
	return fs ? e2c_fs_close(fs) : 0;
}

static struct e2l_fs *tofsud(lua_State *L, int idx)
{
	return luaL_checkudata(L, idx, E2L_FS);
}

struct e2l_fs *e2l_checkfsud(lua_State *L, int idx)
{
	struct e2l_fs *f = tofsud(L, idx);

	if (!f->fs)
		luaL_error(L, "attempt to use a closed " E2L_FS);
	return f;
}

e2c_fs *e2l_checkfs(lua_State *L, int idx)
{
	return e2l_checkfsud(L, idx)->fs;
}

e2c_fs *e2l_tofs(lua_State *L, int idx)
{
	struct e2l_fs *f = luaL_testudata(L, idx, E2L_FS);

	return f ? f->fs : NULL;
}

e2c_fs *e2l_parentfs(lua_State *L, int idx, const char *what)
{
	struct e2l_fs *f;

	lua_getiuservalue(L, idx, 1);			/* [.., fsud] */
	f = luaL_testudata(L, -1, E2L_FS);
	lua_pop(L, 1);
	if (!f || !f->fs)
		luaL_error(L, "attempt to use %s of a closed " E2L_FS, what);
	return f->fs;
}

void e2l_checksamefs(lua_State *L, int a, int b)
{
	int same;

	lua_getiuservalue(L, a, 1);
	lua_getiuservalue(L, b, 1);
	same = lua_rawequal(L, -1, -2);
	lua_pop(L, 2);
	if (!same) {
		luaL_getmetafield(L, b, "__name");
		luaL_getmetafield(L, a, "__name");
		luaL_argerror(L, b, lua_pushfstring(L, "%s of another " E2L_FS
				" than the %s's", lua_tostring(L, -2),
				lua_tostring(L, -1)));
	}
}

/* A closed fs userdata: the resource is attached only once it exists. */
static struct e2l_fs *newfs(lua_State *L)
{
	struct e2l_fs *f = lua_newuserdatauv(L, sizeof(*f), 1);

	memset(f, 0, sizeof(*f));
	luaL_setmetatable(L, E2L_FS);
	return f;
}

void e2l_pushfs(lua_State *L, e2c_fs *fs)
{
	struct e2l_fs *f = newfs(L);

	f->fs = fs;
	f->cwd = EXT2_ROOT_INO;
}

ext2_ino_t e2l_getcwd(lua_State *L, int idx)
{
	return e2l_checkfsud(L, idx)->cwd;
}

ext2_ino_t e2l_checkino(lua_State *L, int fsidx, int arg, const char *op)
{
	struct e2l_fs *f = e2l_checkfsud(L, fsidx);
	ext2_ino_t ino;
	errcode_t retval;

	fsidx = lua_absindex(L, fsidx);
	switch (lua_type(L, arg)) {
	case LUA_TNUMBER: {
		int isint;
		lua_Integer n = lua_tointegerx(L, arg, &isint);

		if (!isint)
			luaL_argerror(L, arg, "inode number has no integer "
				      "representation");
		if (n < 1 || n > e2c_fs_inodes_count(f->fs)) {
			lua_pushfstring(L, "<%I>", n);
			e2l_error(L, EXT2_ET_BAD_INODE_NUM, op,
				  lua_tostring(L, -1));
		}
		return (ext2_ino_t)n;
	}
	case LUA_TSTRING:
		retval = e2c_lookup(f->fs, f->cwd, e2l_checkpath(L, arg), &ino);
		if (retval)
			e2l_error(L, retval, op, lua_tostring(L, arg));
		return ino;
	case LUA_TUSERDATA:
		if (luaL_testudata(L, arg, E2L_INODE)) {
			ino = e2l_checkinode(L, arg, NULL);
			lua_getiuservalue(L, arg, 1);	/* [.., its fs] */
			if (!lua_rawequal(L, -1, fsidx))
				luaL_argerror(L, arg, "inode of another "
					      E2L_FS);
			lua_pop(L, 1);
			return ino;
		}
		break;
	}
	return (ext2_ino_t)luaL_typeerror(L, arg,
					  "inode number, \"<n>\" or path");
}

/* The inode argument at arg as errors name it: the string the caller
 * gave, else "<n>".  buf holds E2L_INOBUF bytes. */
static const char *argname(lua_State *L, int arg, ext2_ino_t ino, char *buf)
{
	if (lua_type(L, arg) == LUA_TSTRING)
		return lua_tostring(L, arg);
	return e2l_inoname(buf, ino);
}

/* ---------------------------------------------------------------- */
/* Fields                                                            */
/* ---------------------------------------------------------------- */

#define SETINT(name, v) \
	(lua_pushinteger(L, (lua_Integer)(v)), lua_setfield(L, -2, (name)))
/* A superblock field under its name without the s_ prefix. */
#define SB(f) SETINT(#f, sb->s_##f)
/* A time with its high byte (the fields after 2038). */
#define SBTIME(f) SETINT(#f, sb->s_##f | ((lua_Integer)sb->s_##f##_hi << 32))

/* A fixed-size, possibly unterminated string field. */
static void setstrfield(lua_State *L, const char *name, const char *s,
			size_t max)
{
	lua_pushlstring(L, s, strnlen(s, max));
	lua_setfield(L, -2, name);
}

/* The feature set {name=true} and the feature_list array, in e2p's order
 * (compat, incompat, ro_compat: the order of "Filesystem features:"). */
static void push_features(lua_State *L, struct ext2_super_block *sb)
{
	const __u32 words[3] = { sb->s_feature_compat,
				 sb->s_feature_incompat,
				 sb->s_feature_ro_compat };
	int i, j, n = 0;

	lua_newtable(L);				/* [super, set] */
	luaL_setmetatable(L, E2L_JSON_OBJECT);		/* {} when empty */
	lua_newtable(L);				/* [super, set, list] */
	for (i = 0; i < 3; i++) {
		for (j = 0; j < 32; j++) {
			if (!(words[i] & (1U << j)))
				continue;
			lua_pushstring(L, e2p_feature2string(i, 1U << j));
			lua_pushvalue(L, -1);
			lua_rawseti(L, -3, ++n);	/* list[n] = name */
			lua_pushboolean(L, 1);
			lua_rawset(L, -4);		/* set[name] = true */
		}
	}
	lua_setfield(L, -3, "feature_list");
	lua_setfield(L, -2, "features");
}

/* A table of every superblock field. */
static void new_super(lua_State *L, e2c_fs *fs)
{
	ext2_filsys h = e2c_fs_handle(fs);
	struct ext2_super_block *sb = h->super;

	lua_createtable(L, 0, 96);
	SETINT("blocks_count", ext2fs_blocks_count(sb));
	SETINT("r_blocks_count", ext2fs_r_blocks_count(sb));
	SETINT("free_blocks_count", ext2fs_free_blocks_count(sb));
	SB(inodes_count);
	SB(free_inodes_count);
	SB(first_data_block);
	SB(log_block_size);
	SB(log_cluster_size);
	SETINT("block_size", h->blocksize);
	SETINT("cluster_size", EXT2_CLUSTER_SIZE(sb));
	SB(blocks_per_group);
	SB(clusters_per_group);
	SB(inodes_per_group);
	SETINT("inode_blocks_per_group", h->inode_blocks_per_group);
	SETINT("group_count", h->group_desc_count);
	SBTIME(mtime);
	SBTIME(wtime);
	SB(mnt_count);
	SB(max_mnt_count);
	SB(magic);
	SB(state);
	SB(errors);
	SB(minor_rev_level);
	SBTIME(lastcheck);
	SB(checkinterval);
	SB(creator_os);
	SB(rev_level);
	SB(def_resuid);
	SB(def_resgid);
	SETINT("first_ino", EXT2_FIRST_INO(sb));
	SETINT("inode_size", EXT2_INODE_SIZE(sb));
	SB(block_group_nr);
	SB(feature_compat);
	SB(feature_incompat);
	SB(feature_ro_compat);
	lua_pushstring(L, e2p_uuid2str(sb->s_uuid));
	lua_setfield(L, -2, "uuid");
	setstrfield(L, "volume_name", (const char *)sb->s_volume_name,
		    sizeof(sb->s_volume_name));
	setstrfield(L, "last_mounted", (const char *)sb->s_last_mounted,
		    sizeof(sb->s_last_mounted));
	SB(algorithm_usage_bitmap);
	SB(prealloc_blocks);
	SB(prealloc_dir_blocks);
	SB(reserved_gdt_blocks);
	lua_pushstring(L, e2p_uuid2str(sb->s_journal_uuid));
	lua_setfield(L, -2, "journal_uuid");
	SB(journal_inum);
	SB(journal_dev);
	SB(last_orphan);
	lua_pushstring(L, e2p_uuid2str(sb->s_hash_seed));
	lua_setfield(L, -2, "hash_seed");
	SB(def_hash_version);
	SB(jnl_backup_type);
	SETINT("desc_size", EXT2_DESC_SIZE(sb));
	SB(default_mount_opts);
	SB(first_meta_bg);
	SBTIME(mkfs_time);
	SB(min_extra_isize);
	SB(want_extra_isize);
	SB(flags);
	SB(raid_stride);
	SB(mmp_update_interval);
	SB(mmp_block);
	SB(raid_stripe_width);
	SB(log_groups_per_flex);
	SB(checksum_type);
	SB(kbytes_written);
	SB(error_count);
	SBTIME(first_error_time);
	SB(first_error_ino);
	SB(first_error_block);
	SBTIME(last_error_time);
	SB(last_error_ino);
	SB(last_error_line);
	SB(last_error_block);
	setstrfield(L, "mount_opts", (const char *)sb->s_mount_opts,
		    sizeof(sb->s_mount_opts));
	SB(usr_quota_inum);
	SB(grp_quota_inum);
	SB(prj_quota_inum);
	SB(overhead_clusters);
	SB(checksum_seed);
	SB(encoding);
	SB(encoding_flags);
	SB(orphan_file_inum);
	SB(checksum);
	push_features(L, sb);
}

/* fs.super (the fs userdata at idx): the table built for the superblock
 * as it is now, kept until it changes. */
static void push_super(lua_State *L, int idx, struct e2l_fs *f)
{
	const struct ext2_super_block *sb = e2c_fs_handle(f->fs)->super;

	if (f->super_cached && !memcmp(&f->super_seen, sb, sizeof(*sb))) {
		lua_getiuservalue(L, idx, 1);
		return;
	}
	new_super(L, f->fs);
	lua_pushvalue(L, -1);
	lua_setiuservalue(L, idx, 1);
	memcpy(&f->super_seen, sb, sizeof(*sb));
	f->super_cached = 1;
}

/* fs.groups: one table per block group. */
static void push_groups(lua_State *L, e2c_fs *fs)
{
	ext2_filsys h = e2c_fs_handle(fs);
	dgrp_t g;

	lua_createtable(L, (int)h->group_desc_count, 0);
	for (g = 0; g < h->group_desc_count; g++) {
		lua_createtable(L, 0, 9);
		SETINT("block_bitmap", ext2fs_block_bitmap_loc(h, g));
		SETINT("inode_bitmap", ext2fs_inode_bitmap_loc(h, g));
		SETINT("inode_table", ext2fs_inode_table_loc(h, g));
		SETINT("free_blocks", ext2fs_bg_free_blocks_count(h, g));
		SETINT("free_inodes", ext2fs_bg_free_inodes_count(h, g));
		SETINT("used_dirs", ext2fs_bg_used_dirs_count(h, g));
		SETINT("itable_unused", ext2fs_bg_itable_unused(h, g));
		SETINT("flags", ext2fs_bg_flags(h, g));
		SETINT("checksum", ext2fs_bg_checksum(h, g));
		lua_rawseti(L, -2, (lua_Integer)g + 1);
	}
}

/* __index: methods (upvalue 1) first, then the fields. */
static int fs_index(lua_State *L)
{
	struct e2l_fs *f = tofsud(L, 1);
	const char *key;

	lua_pushvalue(L, 2);
	if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL)
		return 1;
	key = lua_tostring(L, 2);
	if (!key || lua_type(L, 2) != LUA_TSTRING)
		return 1;				/* nil */
	if (!f->fs)
		return luaL_error(L, "attempt to use a closed " E2L_FS);
	if (strcmp(key, "image") == 0)
		lua_pushstring(L, e2c_fs_path(f->fs));
	else if (strcmp(key, "writable") == 0)
		lua_pushboolean(L, e2c_fs_writable(f->fs));
	else if (strcmp(key, "catastrophic") == 0)
		lua_pushboolean(L, e2c_fs_catastrophic(f->fs));
	else if (strcmp(key, "block_size") == 0)
		lua_pushinteger(L, e2c_fs_block_size(f->fs));
	else if (strcmp(key, "partition") == 0 && e2c_fs_partition(f->fs, NULL, NULL))
		lua_pushinteger(L, e2c_fs_partition(f->fs, NULL, NULL));
	else if (strcmp(key, "offset") == 0) {
		unsigned long long off;

		e2c_fs_partition(f->fs, &off, NULL);
		lua_pushinteger(L, (lua_Integer)off);
	}
	else if (strcmp(key, "super") == 0)
		push_super(L, 1, f);
	else if (strcmp(key, "groups") == 0)
		push_groups(L, f->fs);
	else
		lua_pushnil(L);
	return 1;
}

static int fs_tostring(lua_State *L)
{
	struct e2l_fs *f = tofsud(L, 1);

	if (!f->fs)
		lua_pushliteral(L, E2L_FS " (closed)");
	else
		lua_pushfstring(L, E2L_FS " (%s, %s)", e2c_fs_path(f->fs),
				e2c_fs_writable(f->fs) ? "rw" : "ro");
	return 1;
}

/* fs:close(): closes what depends on the fs first; closing twice is a
 * no-op.  A failure to flush is raised after everything was freed. */
static int fs_close(lua_State *L)
{
	struct e2l_fs *f = tofsud(L, 1);
	errcode_t retval;

	e2l_checknargs(L, 1);
	if (!f->fs)
		return 0;
	lua_pushstring(L, e2c_fs_path(f->fs));			/* [fs, path] */
	lua_pushstring(L, e2c_fs_undo_path(f->fs));	/* [fs, path, undo] */
	retval = fs_release(f);
	if (retval == E2C_ERR_UNDO_INCOMPLETE) {
		lua_pushfstring(L, "%s (undo file %s)", error_message(retval),
				lua_tostring(L, -1));
		e2l_pusherror_msg(L, retval, "close", lua_tostring(L, 2),
				  lua_tostring(L, -1));
		return lua_error(L);
	}
	if (retval)
		return e2l_error(L, retval, "close", lua_tostring(L, 2));
	return 0;
}

int e2l_fserror(lua_State *L, e2c_fs *fs, errcode_t code, const char *op)
{
	errcode_t undo = e2c_fs_undo_error(fs);

	e2c_init();
	if (!undo)
		return e2l_error(L, code, op, e2c_fs_path(fs));
	if (code == undo)
		lua_pushfstring(L, "undo file %s: %s", e2c_fs_undo_path(fs),
				error_message(undo));
	else
		lua_pushfstring(L, "%s (undo file %s: %s)",
				error_message(code), e2c_fs_undo_path(fs),
				error_message(undo));
	e2l_pusherror_msg(L, code, op, e2c_fs_path(fs), lua_tostring(L, -1));
	return lua_error(L);
}

errcode_t e2l_open_fs(lua_State *L, const char *path,
		      const struct e2c_open_opts *opts, e2c_fs **fs)
{
	const char *what, *hint = NULL;
	errcode_t retval = e2c_fs_open2(path, opts, fs, &what);

	if (!retval)
		return 0;
	e2c_init();
	switch (retval) {
	case EXT2_ET_UNDO_FILE_CORRUPT:
		hint = "not an undo file, or a damaged one: remove it or "
		       "choose another name";
		break;
	case EXT2_ET_UNDO_FILE_WRONG:
		hint = "it records another filesystem, or this one before "
		       "later changes: remove it or choose another name";
		break;
	case E2C_ERR_UNDO_NOT_FILE:
	case E2C_ERR_UNDO_IS_IMAGE:
		hint = "choose another name";
		break;
	}
	if (hint)
		lua_pushfstring(L, "%s (%s)", error_message(retval), hint);
	else if (what != path)
		lua_pushfstring(L, "cannot use it as the undo file: %s",
				error_message(retval));
	else
		lua_pushstring(L, error_message(retval));
	e2l_pusherror_msg(L, retval, "open", what, lua_tostring(L, -1));
	lua_remove(L, -2);
	return retval;
}

/* __gc: a finalizer cannot report; __close (to-be-closed) does. */
static int fs_gc(lua_State *L)
{
	fs_release(tofsud(L, 1));
	return 0;
}

static int fs_toclose(lua_State *L)
{
	lua_settop(L, 1);
	return fs_close(L);
}

/* ---------------------------------------------------------------- */
/* Methods                                                           */
/* ---------------------------------------------------------------- */

/* fs:inode(x) -> e2.inode */
static int fs_inode(lua_State *L)
{
	ext2_ino_t ino = e2l_checkino(L, 1, 2, "inode");

	e2l_checknargs(L, 2);
	e2l_pushinode(L, 1, ino, NULL);
	return 1;
}

/* fs:lookup(path) -> ino, or nil when the path does not exist */
static int fs_lookup(lua_State *L)
{
	struct e2l_fs *f = e2l_checkfsud(L, 1);
	const char *path = e2l_checkpath(L, 2);
	ext2_ino_t ino;
	errcode_t retval;

	e2l_checknargs(L, 2);
	retval = e2c_lookup(f->fs, f->cwd, path, &ino);
	if (retval == EXT2_ET_FILE_NOT_FOUND)
		return 0;
	if (retval)
		return e2l_error(L, retval, "lookup", path);
	lua_pushinteger(L, ino);
	return 1;
}

/* fs:inodes([filter]) -> iterator over in-use inodes */
static int fs_inodes(lua_State *L)
{
	e2l_checkfsud(L, 1);
	if (!lua_isnoneornil(L, 2))
		luaL_checktype(L, 2, LUA_TFUNCTION);
	e2l_checknargs(L, 2);
	return e2l_scan_cursor(L, 1, lua_isnoneornil(L, 2) ? 0 : 2);
}

/* fs:walk([path]) -> iterator of path, inode (default "/") */
static int fs_walk(lua_State *L)
{
	const char *path = lua_isnoneornil(L, 2) ? "/" : e2l_checkpath(L, 2);
	ext2_ino_t ino;

	e2l_checknargs(L, 2);
	lua_settop(L, 2);
	lua_pushstring(L, path);
	lua_replace(L, 2);
	ino = e2l_checkino(L, 1, 2, "walk");
	return e2l_walk_cursor(L, 1, ino, path);
}

int e2l_pushpath(lua_State *L, e2c_fs *fs, ext2_ino_t ino,
		 const char *object)
{
	char *path = NULL;
	errcode_t retval;

	retval = e2c_pathname(fs, ino, &path);
	if (retval)
		return e2l_error(L, retval, "path", object);
	lua_pushstring(L, path);	/* nil when it has no name */
	free(path);
	return 1;
}

/* fs:path(x) -> a path naming the inode, or nil if it has none */
static int fs_path(lua_State *L)
{
	e2c_fs *fs = e2l_checkfs(L, 1);
	ext2_ino_t ino = e2l_checkino(L, 1, 2, "path");
	char name[E2L_INOBUF];

	e2l_checknargs(L, 2);
	return e2l_pushpath(L, fs, ino, argname(L, 2, ino, name));
}

static const char *const kind_names[] = {
	[E2C_DATA] = "data", [E2C_IND] = "ind", [E2C_DIND] = "dind",
	[E2C_TIND] = "tind", [E2C_NODE] = "node", [E2C_XATTR] = "xattr"
};

const char *e2l_kind_name(enum e2c_kind k)
{
	return kind_names[k];
}

/* Check a block number argument against the filesystem. */
static blk64_t checkblock(lua_State *L, e2c_fs *fs, int arg)
{
	lua_Integer b = luaL_checkinteger(L, arg);

	luaL_argcheck(L, b >= e2c_fs_handle(fs)->super->s_first_data_block &&
		      (blk64_t)b < ext2fs_blocks_count(e2c_fs_handle(fs)->super), arg,
		      "block number outside the filesystem");
	return (blk64_t)b;
}

/* e2c_find_owners callback: counts the inodes whose maps could not be
 * walked, and keeps the first. */
struct bad_maps {
	ext2_ino_t first;
	size_t n;
};

static void owner_bad_map(ext2_ino_t ino, errcode_t err, void *priv)
{
	struct bad_maps *b = priv;

	(void)err;
	if (!b->n++)
		b->first = ino;
}

/* fs:owner(block) -> ino, kind ("data", "ind", ..., "xattr"); or nil
 * when no inode maps it, and then nil, "unknown: map corrupt", ino when
 * an inode's map could not be walked past a bad pointer (it may map the
 * block); one scan of every inode and map per call */
static int fs_owner(lua_State *L)
{
	e2c_fs *fs = e2l_checkfs(L, 1);
	struct e2c_owner q = { checkblock(L, fs, 2), 0, 0 };
	struct bad_maps bad = { 0, 0 };
	errcode_t retval;

	e2l_checknargs(L, 2);
	/* A map that cannot be walked counts for what was read before the
	 * bad pointer: one broken inode must not hide the other owners. */
	retval = e2c_find_owners(fs, &q, 1, owner_bad_map, &bad);
	if (retval) {
		lua_pushfstring(L, "%I", (lua_Integer)q.blk);
		return e2l_error(L, retval, "owner", lua_tostring(L, -1));
	}
	if (!q.ino && !bad.n)
		return 0;
	if (!q.ino) {
		lua_pushnil(L);
		lua_pushliteral(L, "unknown: map corrupt");
		lua_pushinteger(L, bad.first);
		return 3;
	}
	lua_pushinteger(L, q.ino);
	lua_pushstring(L, kind_names[q.kind]);
	return 2;
}

/* Failures a search passed over (a map or directory that could not be
 * read), kept in C until the search is done. */
struct passed {
	struct { ext2_ino_t ino; errcode_t err; } *v;
	size_t n, cap;
	int oom;
};

static void pass_over(struct passed *p, ext2_ino_t ino, errcode_t err)
{
	if (e2c_grow(&p->v, &p->cap, p->n + 1, sizeof(*p->v))) {
		p->oom = 1;
		return;
	}
	p->v[p->n].ino = ino;
	p->v[p->n++].err = err;
}

static void passed_map(ext2_ino_t ino, errcode_t err, void *priv)
{
	pass_over(priv, ino, err);
}

/* Push the array of e2.errors (op, "<ino>" objects) and free p. */
static void push_passed(lua_State *L, struct passed *p, const char *op)
{
	char name[E2L_INOBUF];
	size_t k;

	lua_createtable(L, (int)p->n, 0);
	for (k = 0; k < p->n; k++) {
		e2l_pusherror(L, p->v[k].err, op, e2l_inoname(name, p->v[k].ino));
		lua_rawseti(L, -2, (lua_Integer)k + 1);
	}
	free(p->v);
	p->v = NULL;
}

/* Room for the integers of the argument at arg (one, or an array of
 * them): a userdata of *n elements of size bytes each, pushed (freed by
 * the collector whatever raises).  Raises for an element that is not an
 * integer. */
static void *int_list(lua_State *L, int arg, size_t size, size_t *n)
{
	size_t k;
	char *v;

	if (lua_type(L, arg) == LUA_TNUMBER) {
		*n = 1;
		return lua_newuserdatauv(L, size, 0);
	}
	luaL_checktype(L, arg, LUA_TTABLE);
	*n = lua_rawlen(L, arg);
	luaL_argcheck(L, *n > 0, arg, "empty list");
	v = lua_newuserdatauv(L, *n * size, 0);
	for (k = 1; k <= *n; k++) {
		lua_rawgeti(L, arg, (lua_Integer)k);
		if (!lua_isinteger(L, -1))
			luaL_argerror(L, arg, lua_pushfstring(L, "element %d is "
				      "not an integer", (int)k));
		lua_pop(L, 1);
	}
	return v;
}

/* Element k (1-based) of the integer argument at arg (as int_list). */
static lua_Integer int_at(lua_State *L, int arg, size_t k)
{
	lua_Integer v;

	if (lua_type(L, arg) == LUA_TNUMBER)
		return luaL_checkinteger(L, arg);
	lua_rawgeti(L, arg, (lua_Integer)k);
	v = lua_tointeger(L, -1);
	lua_pop(L, 1);
	return v;
}

/* fs:owners(blocks) -> {{block=, ino=, kind=}...}, errors: icheck's
 * search for one block or an array of them (ino and kind absent when no
 * inode maps the block, as for a block outside the filesystem); errors
 * lists the maps that could not be walked
 * (counted for the blocks before the bad pointer). */
static int fs_owners(lua_State *L)
{
	e2c_fs *fs = e2l_checkfs(L, 1);
	struct passed bad = { 0 };
	struct e2c_owner *q;
	errcode_t retval;
	size_t n, k;

	e2l_checknargs(L, 2);
	q = int_list(L, 2, sizeof(*q), &n);
	for (k = 0; k < n; k++) {
		lua_Integer b = int_at(L, 2, k + 1);

		/* outside the filesystem: owned by nobody, as in icheck */
		luaL_argcheck(L, b >= 0, 2, "negative block number");
		q[k].blk = (blk64_t)b;
		q[k].ino = 0;
		q[k].kind = 0;
	}
	retval = e2c_find_owners(fs, q, n, passed_map, &bad);
	if (!retval && bad.oom)
		retval = ENOMEM;
	if (retval) {
		free(bad.v);
		return e2l_error(L, retval, "owners", NULL);
	}
	lua_createtable(L, (int)n, 0);
	for (k = 0; k < n; k++) {
		lua_createtable(L, 0, 3);
		lua_pushinteger(L, (lua_Integer)q[k].blk);
		lua_setfield(L, -2, "block");
		if (q[k].ino) {
			lua_pushinteger(L, q[k].ino);
			lua_setfield(L, -2, "ino");
			lua_pushstring(L, kind_names[q[k].kind]);
			lua_setfield(L, -2, "kind");
		}
		lua_rawseti(L, -2, (lua_Integer)k + 1);
	}
	push_passed(L, &bad, "owners");
	return 2;
}

/* What fs:names collects for one name (copied out of the search). */
struct name {
	ext2_ino_t ino, dir;
	int ftype, bad_type;
	char *name, *path;	/* path: NULL when the parent has none */
};

struct names {
	e2c_fs *fs;
	int check;		/* compare the entry's type with the inode */
	struct name *v;
	size_t n, cap;
	ext2_ino_t dir;		/* the directory parent names */
	char *parent;		/* its path, NULL: none */
};

/* e2c_find_names callback (no Lua here: the core is scanning). */
static errcode_t name_found(ext2_ino_t ino, ext2_ino_t dir,
			    const struct e2c_dirent *d, void *priv)
{
	struct names *c = priv;
	struct ext2_inode inode;
	struct name *v;

	if (dir != c->dir) {
		ext2fs_free_mem(&c->parent);
		c->dir = dir;
		if (ext2fs_get_pathname(e2c_fs_handle(c->fs), dir, 0, &c->parent))
			c->parent = NULL;
	}
	if (e2c_grow(&c->v, &c->cap, c->n + 1, sizeof(*c->v)))
		return ENOMEM;
	v = &c->v[c->n];
	memset(v, 0, sizeof(*v));
	v->ino = ino;
	v->dir = dir;
	v->ftype = d->ftype;
	v->name = strdup(d->name);
	if (c->parent)
		v->path = e2c_path_join(c->parent, d->name, d->name_len);
	if (!v->name || (c->parent && !v->path)) {
		free(v->name);
		free(v->path);
		return ENOMEM;
	}
	v->bad_type = c->check && d->ftype &&
		      !ext2fs_read_inode(e2c_fs_handle(c->fs), d->ino, &inode) &&
		      d->ftype != e2c_mode_ftype(inode.i_mode);
	c->n++;
	return 0;
}

static void passed_dir(ext2_ino_t dir, errcode_t err, void *priv)
{
	pass_over(priv, dir, err);
}

/*
 * fs:names(inos [, {check=}]) -> {{ino=, dir=, name=, path=,
 * file_type=}...}, errors: ncheck's search for the names of one inode
 * number or an array of them, in the order found; path is absent when the
 * directory has no path; with check, bad_file_type says whether the
 * entry's file type differs from the inode's.  errors lists the
 * directories that could not be read.
 */
static int fs_names(lua_State *L)
{
	static const char *const keys[] = { "check", NULL };
	e2c_fs *fs = e2l_checkfs(L, 1);
	struct names c = { .fs = fs };
	struct passed bad = { 0 };
	struct ext2_inode inode;
	ext2_ino_t *inos;
	char name[E2L_INOBUF];
	errcode_t retval;
	size_t n, k;

	e2l_checknargs(L, 3);
	if (!lua_isnoneornil(L, 3)) {
		e2l_checkopts(L, 3, keys, "names");
		c.check = e2l_optbool(L, 3, "check");
	}
	inos = int_list(L, 2, sizeof(*inos), &n);
	for (k = 0; k < n; k++) {
		lua_Integer v = int_at(L, 2, k + 1);

		if (v < 1 || v > e2c_fs_inodes_count(fs)) {
			lua_pushfstring(L, "<%I>", v);
			e2l_error(L, EXT2_ET_BAD_INODE_NUM, "names",
				  lua_tostring(L, -1));
		}
		inos[k] = (ext2_ino_t)v;
		/* read now, so that an unreadable one is named */
		retval = ext2fs_read_inode(e2c_fs_handle(fs), inos[k], &inode);
		if (retval)
			e2l_error(L, retval, "names",
				  e2l_inoname(name, inos[k]));
	}
	retval = e2c_find_names(fs, inos, n, name_found, passed_dir, &c);
	ext2fs_free_mem(&c.parent);
	if (!retval && bad.oom)
		retval = ENOMEM;
	if (!retval)
		lua_createtable(L, (int)c.n, 0);
	for (k = 0; k < c.n; k++) {
		struct name *v = &c.v[k];

		if (!retval) {
			lua_createtable(L, 0, 6);
			lua_pushinteger(L, v->ino);
			lua_setfield(L, -2, "ino");
			lua_pushinteger(L, v->dir);
			lua_setfield(L, -2, "dir");
			lua_pushstring(L, v->name);
			lua_setfield(L, -2, "name");
			lua_pushstring(L, v->path);	/* nil: none */
			lua_setfield(L, -2, "path");
			lua_pushinteger(L, v->ftype);
			lua_setfield(L, -2, "file_type");
			if (c.check) {
				lua_pushboolean(L, v->bad_type);
				lua_setfield(L, -2, "bad_file_type");
			}
			lua_rawseti(L, -2, (lua_Integer)k + 1);
		}
		free(v->name);
		free(v->path);
	}
	free(c.v);
	if (retval) {
		free(bad.v);
		return e2l_error(L, retval, "names", NULL);
	}
	push_passed(L, &bad, "names");
	return 2;
}

/* fs:bmap(x, lblk) -> pblk (0: hole), uninit */
static int fs_bmap(lua_State *L)
{
	e2c_fs *fs = e2l_checkfs(L, 1);
	ext2_ino_t ino = e2l_checkino(L, 1, 2, "bmap");
	lua_Integer lblk = luaL_checkinteger(L, 3);
	char name[E2L_INOBUF];
	blk64_t pblk;
	int uninit;
	errcode_t retval;

	e2l_checknargs(L, 3);
	luaL_argcheck(L, lblk >= 0 && lblk <= 0xffffffffLL, 3,
		      "logical block out of range");
	retval = e2c_bmap(fs, ino, (blk64_t)lblk, &pblk, &uninit);
	if (retval)
		return e2l_error(L, retval, "bmap", argname(L, 2, ino, name));
	lua_pushinteger(L, (lua_Integer)pblk);
	lua_pushboolean(L, uninit);
	return 2;
}

/* fs:testb(block) -> whether the block bitmap marks it in use */
static int fs_testb(lua_State *L)
{
	e2c_fs *fs = e2l_checkfs(L, 1);
	blk64_t blk = checkblock(L, fs, 2);
	errcode_t retval;
	int inuse;

	e2l_checknargs(L, 2);
	retval = e2c_fs_testb(fs, blk, &inuse);
	if (retval) {
		lua_pushfstring(L, "%I", (lua_Integer)blk);
		return e2l_error(L, retval, "testb", lua_tostring(L, -1));
	}
	lua_pushboolean(L, inuse);
	return 1;
}

/* fs:cd(x): x must be a directory */
static int fs_cd(lua_State *L)
{
	struct e2l_fs *f = e2l_checkfsud(L, 1);
	ext2_ino_t ino = e2l_checkino(L, 1, 2, "cd");
	char name[E2L_INOBUF];
	struct ext2_inode inode;
	errcode_t retval;

	e2l_checknargs(L, 2);
	retval = ext2fs_read_inode(e2c_fs_handle(f->fs), ino, &inode);
	if (!retval && !LINUX_S_ISDIR(inode.i_mode))
		retval = E2C_ERR_NOT_DIR;
	if (retval)
		return e2l_error(L, retval, "cd", argname(L, 2, ino, name));
	f->cwd = ino;
	return 0;
}

/* fs:cwd() -> ino of the current directory */
static int fs_cwd(lua_State *L)
{
	e2l_checknargs(L, 1);
	lua_pushinteger(L, e2l_getcwd(L, 1));
	return 1;
}

/* fs:plan(x [, opts]) -> plan table (opts as tx:migrate's, or
 * {unmigrate = true}) */
static int fs_plan(lua_State *L)
{
	e2c_fs *fs = e2l_checkfs(L, 1);
	ext2_ino_t ino = e2l_checkino(L, 1, 2, "plan");
	struct e2c_migrate_opts o;
	char name[E2L_INOBUF];

	e2l_checknargs(L, 3);
	e2l_checkmigopts(L, 3, &o, "plan");
	return e2l_pushplanof(L, fs, ino, &o, argname(L, 2, ino, name));
}

/* fs:begin() -> tx */
static int fs_begin(lua_State *L)
{
	e2l_checkfsud(L, 1);
	e2l_checknargs(L, 1);
	return e2l_tx_begin(L, 1);
}

/* fs:select([criteria]) -> selection */
static int fs_select(lua_State *L)
{
	e2l_checkfsud(L, 1);
	e2l_checknargs(L, 2);
	return e2l_select_new(L, 1);
}

/* e2.open(path [, opts]) or e2.open{path, opts...} -> fs */
int e2l_open(lua_State *L)
{
	static const char *const keys[] = { "write", "catastrophic",
		"block_size", "blocksize", "superblock", "undo", "force",
		"partition", NULL };
	struct e2c_open_opts o = { 0 };
	const char *path;
	struct e2l_fs *f;
	errcode_t retval;

	e2l_checknargs(L, 2);
	if (lua_istable(L, 1)) {	/* {path, key = value...}: split */
		luaL_argcheck(L, lua_isnoneornil(L, 2), 2, "no value expected "
			      "after a table");
		lua_settop(L, 1);
		lua_geti(L, 1, 1);
		path = luaL_checkstring(L, -1);	/* [t, path] */
		lua_newtable(L);		/* [t, path, opts] */
		lua_pushnil(L);
		while (lua_next(L, 1)) {
			if (lua_type(L, -2) == LUA_TNUMBER &&
			    lua_tointeger(L, -2) == 1) {
				lua_pop(L, 1);
				continue;
			}
			lua_pushvalue(L, -2);
			lua_insert(L, -2);
			lua_settable(L, 3);
		}
		lua_replace(L, 1);		/* [opts, path] */
		lua_insert(L, 1);		/* [path, opts] */
	}
	path = e2l_checkpath(L, 1);
	if (!lua_isnoneornil(L, 2)) {
		e2l_checkopts(L, 2, keys, "e2.open");
		o.write = e2l_optbool(L, 2, "write");
		o.catastrophic = e2l_optbool(L, 2, "catastrophic");
		o.force = e2l_optbool(L, 2, "force");
		if (o.force && !o.write)
			luaL_error(L, "e2.open: option 'force' needs write=true");
		o.blocksize = (unsigned int)e2l_optint(L, 2, "block_size",
						       0, 1 << 16);
		if (lua_getfield(L, 2, "blocksize") != LUA_TNIL) {
			e2l_deprecated(L, "e2.open{blocksize=}",
				       "e2.open{block_size=}");
			if (o.blocksize)
				luaL_error(L, "e2.open: options 'block_size' "
					   "and 'blocksize' (its old name) "
					   "both given");
			o.blocksize = (unsigned int)e2l_optint(L, 2,
					"blocksize", 0, 1 << 16);
		}
		lua_pop(L, 1);
		o.superblock = (blk64_t)e2l_optint(L, 2, "superblock", 0,
						   LUA_MAXINTEGER);
		o.partition = (int)e2l_optint(L, 2, "partition", 0, 65535);
		lua_getfield(L, 2, "undo");
		if (!lua_isnil(L, -1)) {
			if (lua_type(L, -1) != LUA_TSTRING ||
			    strlen(lua_tostring(L, -1)) != lua_rawlen(L, -1))
				luaL_error(L, "e2.open: option 'undo' must be "
					   "a string (a file name, without "
					   "NUL bytes)");
			if (!o.write)
				luaL_error(L, "e2.open: option 'undo' needs "
					   "write=true");
			o.undo_file = lua_tostring(L, -1);
		}
	}
	if (o.superblock && !o.blocksize)
		luaL_error(L, "e2.open: option 'superblock' needs 'block_size'");
	if (o.write && o.catastrophic)
		luaL_error(L, "e2.open: option 'catastrophic' is read-only; it "
			   "cannot be combined with 'write'");
	f = newfs(L);
	retval = e2l_open_fs(L, path, &o, &f->fs);
	if (retval) {
		f->fs = NULL;
		return lua_error(L);
	}
	f->cwd = EXT2_ROOT_INO;
	return 1;
}

void e2l_fs_open(lua_State *L)
{
	static const luaL_Reg meta[] = {
		{ "__index", NULL },
		{ "__gc", fs_gc },
		{ "__close", fs_toclose },
		{ "__tostring", fs_tostring },
		{ NULL, NULL }
	};
	static const luaL_Reg methods[] = {
		{ "begin", fs_begin },
		{ "blockmap", e2l_fs_blockmap },
		{ "select", fs_select },
		{ "bmap", fs_bmap },
		{ "cd", fs_cd },
		{ "close", fs_close },
		{ "cwd", fs_cwd },
		{ "frag_survey", e2l_fs_frag_survey },
		{ "free_ranges", e2l_fs_free_ranges },
		{ "freefrag", e2l_fs_freefrag },
		{ "htree", e2l_fs_htree },
		{ "imap", e2l_fs_imap },
		{ "inode", fs_inode },
		{ "inodes", fs_inodes },
		{ "lookup", fs_lookup },
		{ "names", fs_names },
		{ "owner", fs_owner },
		{ "owners", fs_owners },
		{ "path", fs_path },
		{ "plan", fs_plan },
		{ "read_block", e2l_fs_read_block },
		{ "testb", fs_testb },
		{ "walk", fs_walk },
		{ NULL, NULL }
	};

	static const char *const fields[] = {
		"image", "writable", "catastrophic", "block_size", "super",
		"groups", "partition", "offset", NULL
	};

	e2l_newmeta(L, E2L_FS, meta, methods, fs_index);
	e2l_setfields(L, E2L_FS, fields);
}
