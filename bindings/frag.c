/*
 * frag.c -- fragmentation: ino:frag([opts]) for one inode and
 * fs:frag_survey([opts]) for every inode (or a list), both tables built
 * from the core's figures (core/frag.c has the rules).
 *
 * The survey runs the core's scan in steps; between steps it may call the
 * caller's progress function.  The scan lives in a userdata that is the
 * call's to-be-closed slot and one of the fs's children, so an error in
 * that function, or an fs:close() from it, frees it.
 */
#include <stdlib.h>
#include <string.h>

#include "aux.h"

#define FRAGSCAN "e2.fragscan"
#define STEP 4096		/* inodes between two progress calls */

#define SETINT(name, v) \
	(lua_pushinteger(L, (lua_Integer)(v)), lua_setfield(L, -2, (name)))
#define SETBOOL(name, v) \
	(lua_pushboolean(L, (v)), lua_setfield(L, -2, (name)))

/* The fields of one inode's figures into the table on top. */
static void set_frag(lua_State *L, const struct e2c_frag *f)
{
	SETINT("ino", f->ino);
	SETBOOL("extent_mapped", f->is_extent);
	SETINT("data_blocks", f->data_blocks);
	SETINT("runs", f->runs);
	SETINT("fragments", f->fragments);
	SETINT("extents", f->extents);
	SETINT("extents_needed", f->extents_needed);
	SETINT("ideal", f->ideal);
	SETINT("holes", f->holes);
	SETINT("hole_blocks", f->hole_blocks);
	SETINT("map_blocks", f->map_blocks);
	SETINT("index_blocks", f->index_blocks);
	SETBOOL("e2fsck_noncontiguous", f->e2fsck_noncontig);
}

/* ino:frag([{runs = true}]) -> table */
int e2l_inode_frag(lua_State *L)
{
	static const char *const keys[] = { "runs", NULL };
	struct e2c_frag_run *runs = NULL;
	struct ext2_inode *inode;
	struct e2c_frag f;
	char name[E2L_INOBUF];
	size_t i, n = 0;
	e2c_fs *fs;
	ext2_ino_t ino = e2l_checkinode(L, 1, &fs);
	int want = 0;
	errcode_t retval;

	if (!lua_isnoneornil(L, 2)) {
		e2l_checkopts(L, 2, keys, "frag");
		want = e2l_optbool(L, 2, "runs");
	}
	e2l_checknargs(L, 2);
	/* The walk needs a writable copy of the snapshot. */
	inode = malloc(e2c_inode_buf_size(fs));
	if (!inode)
		return e2l_error(L, ENOMEM, "frag", e2l_inoname(name, ino));
	memcpy(inode, e2l_inodebuf(L, 1), e2c_inode_buf_size(fs));
	retval = e2c_frag_inode(fs, ino, inode, &f, want ? &runs : NULL, &n);
	free(inode);
	if (retval)
		return e2l_error(L, retval, "frag", e2l_inoname(name, ino));
	lua_createtable(L, 0, 13);
	set_frag(L, &f);
	if (want) {
		lua_createtable(L, (int)n, 0);
		for (i = 0; i < n; i++) {
			lua_createtable(L, 0, 6);
			SETINT("lblk", runs[i].lblk);
			SETINT("pblk", runs[i].pblk);
			SETINT("len", runs[i].len);
			SETBOOL("uninit", runs[i].flags & E2C_UNINIT);
			SETBOOL("fragment", runs[i].fragment);
			if (i)
				SETINT("expected", runs[i].expected);
			lua_rawseti(L, -2, (lua_Integer)i + 1);
		}
		lua_setfield(L, -2, "run_list");
		free(runs);
	}
	return 1;
}

/* ---------------------------------------------------------------- */
/* The survey                                                        */
/* ---------------------------------------------------------------- */

struct fragscan {
	struct e2l_child child;		/* first: the fs's list */
	e2c_fragscan *s;
};

static void fragscan_release(struct e2l_child *c)
{
	struct fragscan *u = (struct fragscan *)c;

	e2l_child_unlink(&u->child);
	e2c_fragscan_close(u->s);
	u->s = NULL;
}

static int fragscan_gc(lua_State *L)
{
	fragscan_release(luaL_checkudata(L, 1, FRAGSCAN));
	return 0;
}

static const char *const map_names[E2C_MAP_KINDS] = {
	[E2C_MAP_BLOCKMAP] = "blockmap", [E2C_MAP_EXTENTS] = "extents",
	[E2C_MAP_NONE] = "none", [E2C_MAP_INLINE] = "inline"
};

/* The inode numbers of the array at idx (freed by the caller). */
static ext2_ino_t *check_inos(lua_State *L, int idx, size_t *n)
{
	ext2_ino_t *inos;
	size_t i;

	*n = (size_t)luaL_len(L, idx);
	inos = malloc((*n ? *n : 1) * sizeof(*inos));
	if (!inos)
		luaL_error(L, "frag_survey: out of memory");
	for (i = 0; i < *n; i++) {
		lua_Integer v;
		int isint;

		lua_geti(L, idx, (lua_Integer)i + 1);
		v = lua_tointegerx(L, -1, &isint);
		lua_pop(L, 1);
		if (!isint || v < 1 || v > 0xffffffffLL) {
			free(inos);
			luaL_error(L, "frag_survey: option 'inodes' must be "
				   "an array of inode numbers (entry %I)",
				   (lua_Integer)i + 1);
		}
		inos[i] = (ext2_ino_t)v;
	}
	return inos;
}

static void push_totals(lua_State *L, const struct e2c_frag_totals *t,
			int whole)
{
	int b, last, ty, m;

	lua_createtable(L, 0, 24);
	SETINT("inodes", t->inodes);
	SETINT("files", t->files);
	SETINT("fragmented", t->fragmented);
	SETINT("excess", t->excess);
	SETINT("holey", t->holey);
	SETINT("data_blocks", t->data_blocks);
	SETINT("runs", t->runs);
	SETINT("fragments", t->fragments);
	SETINT("extents", t->extents);
	SETINT("ideal", t->ideal);
	SETINT("holes", t->holes);
	SETINT("bad", t->bad);
	if (t->bad) {
		SETINT("first_bad", t->first_bad);
		lua_pushstring(L, error_message(t->first_bad_err));
		lua_setfield(L, -2, "first_bad_reason");
	}
	lua_createtable(L, 0, EXT2_FT_MAX);		/* types */
	for (ty = 0; ty < EXT2_FT_MAX; ty++) {
		lua_createtable(L, 0, E2C_MAP_KINDS);
		for (m = 0; m < E2C_MAP_KINDS; m++)
			SETINT(map_names[m], t->types[ty][m]);
		lua_setfield(L, -2, e2c_ftype_name(ty));
	}
	lua_setfield(L, -2, "types");
	for (last = E2C_FRAG_BUCKETS - 1; last > 0 && !t->hist_files[last];
	     last--)
		;
	lua_createtable(L, last + 1, 0);		/* histogram */
	for (b = 0; b <= last && t->files; b++) {
		lua_createtable(L, 0, 5);
		SETINT("min", b ? ((blk64_t)1 << (b - 1)) + 1 : 1);
		SETINT("max", (blk64_t)1 << b);
		SETINT("files", t->hist_files[b]);
		SETINT("fragmented", t->hist_fragmented[b]);
		SETINT("data_blocks", t->hist_blocks[b]);
		lua_rawseti(L, -2, b + 1);
	}
	lua_setfield(L, -2, "histogram");
	lua_createtable(L, 0, 5);
	SETINT("files", t->bmap_files);
	SETINT("data_blocks", t->bmap_data);
	SETINT("indirect_blocks", t->bmap_map);
	SETINT("extents_needed", t->bmap_extents);
	SETINT("index_blocks_needed", t->bmap_index);
	lua_setfield(L, -2, "blockmap");
	lua_createtable(L, 0, 4);
	SETINT("files", t->ext_files);
	SETINT("data_blocks", t->ext_data);
	SETINT("extents", t->ext_extents);
	SETINT("index_blocks", t->ext_index);
	lua_setfield(L, -2, "extent_mapped");
	if (whole) {
		lua_createtable(L, 0, 2);
		SETINT("files", t->fsck_files);
		SETINT("directories", t->fsck_dirs);
		lua_setfield(L, -2, "e2fsck");
	}
}

/* The top list, with a path for each (nil: no name). */
static void push_top(lua_State *L, e2c_fs *fs, e2c_fragscan *s)
{
	size_t i, n;
	const struct e2c_frag *top = e2c_fragscan_top(s, &n);
	ext2_ino_t *inos;
	char **paths;
	errcode_t retval;

	inos = malloc((n ? n : 1) * sizeof(*inos));
	paths = calloc(n ? n : 1, sizeof(*paths));
	if (!inos || !paths) {
		free(inos);
		free(paths);
		e2l_error(L, ENOMEM, "frag_survey", e2c_fs_path(fs));
	}
	for (i = 0; i < n; i++)
		inos[i] = top[i].ino;
	retval = e2c_pathnames(fs, inos, n, paths);
	free(inos);
	lua_createtable(L, (int)n, 0);
	for (i = 0; i < n; i++) {
		lua_createtable(L, 0, 14);
		set_frag(L, &top[i]);
		if (paths[i]) {
			lua_pushstring(L, paths[i]);
			lua_setfield(L, -2, "path");
		}
		free(paths[i]);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	free(paths);
	if (retval)
		e2l_error(L, retval, "frag_survey", e2c_fs_path(fs));
}

/* fs:frag_survey([{top=, inodes=, progress=}]) -> table */
int e2l_fs_frag_survey(lua_State *L)
{
	static const char *const keys[] = { "top", "inodes", "progress",
					     NULL };
	e2c_fs *fs = e2l_checkfs(L, 1);
	struct fragscan *u;
	ext2_ino_t *inos = NULL;
	size_t n = 0, top = 10, at, total;
	int progress = 0, done = 0, whole = 1;
	errcode_t retval;

	e2l_checknargs(L, 2);
	lua_settop(L, 2);
	if (!lua_isnoneornil(L, 2)) {
		e2l_checkopts(L, 2, keys, "frag_survey");
		lua_getfield(L, 2, "top");
		if (!lua_isnil(L, -1))
			top = (size_t)e2l_optint(L, 2, "top", 0, 100000);
		lua_pop(L, 1);
		if (lua_getfield(L, 2, "progress") != LUA_TNIL) {
			luaL_argcheck(L, lua_isfunction(L, -1), 2,
				      "option 'progress' must be a function");
			progress = lua_gettop(L);
		} else {
			lua_pop(L, 1);
		}
	}
	if (luaL_newmetatable(L, FRAGSCAN)) {
		lua_pushcfunction(L, fragscan_gc);
		lua_setfield(L, -2, "__gc");
		lua_pushcfunction(L, fragscan_gc);
		lua_setfield(L, -2, "__close");
	}
	lua_pop(L, 1);
	u = lua_newuserdatauv(L, sizeof(*u), 1);
	memset(u, 0, sizeof(*u));
	u->child.close = fragscan_release;
	luaL_setmetatable(L, FRAGSCAN);
	lua_pushvalue(L, 1);
	lua_setiuservalue(L, -2, 1);			/* keeps the fs alive */
	lua_toclose(L, -1);
	if (!lua_isnoneornil(L, 2) &&
	    lua_getfield(L, 2, "inodes") != LUA_TNIL) {
		luaL_argcheck(L, lua_istable(L, -1), 2,
			      "option 'inodes' must be an array");
		inos = check_inos(L, lua_gettop(L), &n);
		whole = 0;
	}
	retval = e2c_fragscan_open(fs, inos, n, top, &u->s);
	free(inos);
	if (retval)
		return e2l_error(L, retval, "frag_survey", e2c_fs_path(fs));
	e2l_child_link(e2l_checkfsud(L, 1), &u->child);
	while (!done) {
		retval = e2c_fragscan_step(u->s, STEP, &done);
		if (retval)
			return e2l_error(L, retval, "frag_survey", e2c_fs_path(fs));
		if (progress) {
			e2c_fragscan_progress(u->s, &at, &total);
			lua_pushvalue(L, progress);
			lua_pushinteger(L, (lua_Integer)at);
			lua_pushinteger(L, (lua_Integer)total);
			lua_call(L, 2, 0);
			/* The function may have closed the fs. */
			fs = e2l_checkfs(L, 1);
			if (!u->s)
				return luaL_error(L, "frag_survey: the scan was "
						  "closed by the progress function");
		}
	}
	push_totals(L, e2c_fragscan_totals(u->s), whole);
	push_top(L, fs, u->s);
	lua_setfield(L, -2, "top");
	return 1;
}
