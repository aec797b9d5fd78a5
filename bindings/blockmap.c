/*
 * blockmap.c -- fs:blockmap{...}: what each cell of a block range holds
 * (core/blockmap.c), as the Lua table every map picture is drawn from
 * (scripts/lib/e2/render.lua draws them; doc/lua-api.md has the table).
 *
 * The core picture is parked in a to-be-closed userdata while the table is
 * built, so an error (a bad inode argument, out of memory) frees it.
 */
#include <string.h>

#include "aux.h"

#define E2L_BLOCKMAP "e2.blockmap"

static const char *const kind_names[E2C_BK_KINDS] = {
	[E2C_BK_FREE] = "free", [E2C_BK_META] = "meta",
	[E2C_BK_OTHER] = "other", [E2C_BK_DATA] = "data",
	[E2C_BK_IND] = "ind", [E2C_BK_FREED] = "freed", [E2C_BK_NEW] = "new"
};

/* The legend: every kind in the order a cell is decided by. */
static const struct {
	enum e2c_bk kind;
	const char *label;
	int after;		/* only in a picture after a commit */
} legend[] = {
	{ E2C_BK_NEW, "new index blocks (allocated by the commit)", 1 },
	{ E2C_BK_FREED, "indirect blocks freed by the commit", 1 },
	{ E2C_BK_IND, "indirect/index/xattr blocks of the chosen files", 0 },
	{ E2C_BK_DATA, "data of the chosen files", 0 },
	{ E2C_BK_META, "filesystem metadata (superblocks, descriptors, "
	  "bitmaps, inode tables, journal)", 0 },
	{ E2C_BK_OTHER, "in use by other files", 0 },
	{ E2C_BK_FREE, "free", 0 },
};

struct holder {
	e2c_blockmap *bm;
};

static int holder_close(lua_State *L)
{
	struct holder *h = luaL_checkudata(L, 1, E2L_BLOCKMAP);

	e2c_blockmap_free(h->bm);
	h->bm = NULL;
	return 0;
}

#define SETINT(name, v) \
	(lua_pushinteger(L, (lua_Integer)(v)), lua_setfield(L, -2, (name)))

/* The name of an inode in the picture: its path, else "<ino>". */
static void push_name(lua_State *L, e2c_blockmap *bm, ext2_ino_t ino)
{
	const char *name = e2c_blockmap_name(bm, ino);
	char buf[E2L_INOBUF];

	lua_pushstring(L, name ? name : e2l_inoname(buf, ino));
}

static void push_counts(lua_State *L, const blk64_t *n, int after)
{
	int k;

	for (k = 0; k < E2C_BK_KINDS; k++)
		if (after || (k != E2C_BK_FREED && k != E2C_BK_NEW))
			SETINT(kind_names[k], n[k]);
}

/* The result table of a finished picture. */
static void push_result(lua_State *L, e2c_fs *fs, e2c_blockmap *bm, int after)
{
	const struct e2c_bm_cell *cells;
	const struct e2c_bm_error *errs;
	blk64_t start, count, per_cell, totals[E2C_BK_KINDS] = { 0 };
	size_t n, i, j, nerr, total;
	int k;

	e2c_blockmap_geometry(bm, &start, &count, &per_cell);
	cells = e2c_blockmap_cells(bm, &n);
	lua_createtable(L, 0, 10);			/* [res] */
	SETINT("start", start);
	SETINT("count", count);
	SETINT("per_cell", per_cell);
	SETINT("block_size", e2c_fs_block_size(fs));
	lua_pushboolean(L, after);
	lua_setfield(L, -2, "after");
	lua_createtable(L, (int)n, 0);			/* [res, cells] */
	for (i = 0; i < n; i++) {
		const struct e2c_bm_cell *c = &cells[i];

		lua_createtable(L, 0, 12);		/* [.., cell] */
		SETINT("start", c->start);
		SETINT("count", c->count);
		lua_pushstring(L, kind_names[c->kind]);
		lua_setfield(L, -2, "kind");
		push_counts(L, c->n, after);
		SETINT("files", c->nfiles);
		lua_createtable(L, (int)c->nfiles, 0);	/* [.., cell, names] */
		for (j = 0; j < c->nfiles && j < E2C_BM_NAMES; j++) {
			push_name(L, bm, c->files[j]);
			lua_rawseti(L, -2, (lua_Integer)j + 1);
		}
		lua_setfield(L, -2, "names");
		lua_createtable(L, (int)c->nfiles, 0);
		for (j = 0; j < c->nfiles && j < E2C_BM_NAMES; j++) {
			lua_pushinteger(L, c->files[j]);
			lua_rawseti(L, -2, (lua_Integer)j + 1);
		}
		lua_setfield(L, -2, "inodes");
		lua_rawseti(L, -2, (lua_Integer)i + 1);
		for (k = 0; k < E2C_BK_KINDS; k++)
			totals[k] += c->n[k];
	}
	lua_setfield(L, -2, "cells");
	lua_createtable(L, 0, E2C_BK_KINDS);
	push_counts(L, totals, after);
	lua_setfield(L, -2, "totals");
	lua_newtable(L);				/* [res, legend] */
	for (i = 0, j = 0; i < sizeof(legend) / sizeof(legend[0]); i++) {
		if (legend[i].after && !after)
			continue;
		lua_createtable(L, 0, 2);
		lua_pushstring(L, kind_names[legend[i].kind]);
		lua_setfield(L, -2, "kind");
		lua_pushstring(L, legend[i].label);
		lua_setfield(L, -2, "label");
		lua_rawseti(L, -2, (lua_Integer)++j);
	}
	lua_setfield(L, -2, "legend");
	errs = e2c_blockmap_errors(bm, &nerr, &total);
	lua_createtable(L, (int)nerr, 0);
	for (i = 0; i < nerr; i++) {
		const char *name = e2c_blockmap_name(bm, errs[i].ino);

		lua_createtable(L, 0, 4);
		SETINT("ino", errs[i].ino);
		if (name) {
			lua_pushstring(L, name);
			lua_setfield(L, -2, "name");
		}
		SETINT("code", errs[i].err);
		lua_pushstring(L, error_message(errs[i].err));
		lua_setfield(L, -2, "message");
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	lua_setfield(L, -2, "errors");
	SETINT("errors_total", total);
}

/* The files of opts.files (an array of inode arguments), chosen. */
static void choose_files(lua_State *L, int fsidx, e2c_blockmap *bm)
{
	lua_Integer i, n;
	errcode_t retval;

	if (lua_getfield(L, 2, "files") == LUA_TNIL) {
		lua_pop(L, 1);
		return;
	}
	if (!lua_istable(L, -1))
		luaL_error(L, "option 'files' must be an array of inodes "
			   "(numbers, \"<n>\", paths or e2.inode)");
	n = (lua_Integer)lua_rawlen(L, -1);
	for (i = 1; i <= n; i++) {
		ext2_ino_t ino;
		int arg;

		lua_rawgeti(L, -1, i);			/* [.., files, x] */
		arg = lua_gettop(L);
		ino = e2l_checkino(L, fsidx, arg, "blockmap");
		retval = e2c_blockmap_choose(bm, ino,
				lua_type(L, arg) == LUA_TSTRING ?
				lua_tostring(L, arg) : NULL);
		if (retval)
			e2l_error(L, retval, "blockmap",
				  lua_type(L, arg) == LUA_TSTRING ?
				  lua_tostring(L, arg) : NULL);
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
}

/* The inodes staged in the fs's open transaction, chosen. */
static void choose_staged(lua_State *L, e2c_fs *fs, e2c_blockmap *bm)
{
	struct e2c_plan plan;
	size_t i, n = e2c_tx_count(e2c_fs_tx(fs));
	errcode_t retval;

	for (i = 0; i < n; i++) {
		retval = e2c_tx_entry(e2c_fs_tx(fs), i, &plan);
		if (!retval)
			retval = e2c_blockmap_choose(bm, plan.ino, NULL);
		if (retval)
			e2l_error(L, retval, "blockmap", e2c_fs_path(fs));
	}
}

/*
 * fs:blockmap{files=, dir=, all=, staged=, after=, start=, count=, cells=,
 * per_cell=, names=} -> the picture's table (doc/lua-api.md)
 */
int e2l_fs_blockmap(lua_State *L)
{
	static const char *const keys[] = { "files", "dir", "all", "staged",
		"after", "start", "count", "cells", "per_cell", "names", NULL };
	e2c_fs *fs = e2l_checkfs(L, 1);
	ext2_filsys h = e2c_fs_handle(fs);
	blk64_t first = h->super->s_first_data_block;
	blk64_t total = ext2fs_blocks_count(h->super);
	lua_Integer start, count, cells, per_cell;
	int staged, after, names = 1;
	struct holder *hold;
	errcode_t retval;

	e2l_checknargs(L, 2);
	if (lua_isnoneornil(L, 2)) {
		lua_settop(L, 1);
		lua_newtable(L);
	}
	e2l_checkopts(L, 2, keys, "fs:blockmap");
	if (!h->block_map)
		return e2l_error(L, E2C_ERR_NO_BITMAPS, "blockmap", e2c_fs_path(fs));
	start = e2l_optint(L, 2, "start", 0, LUA_MAXINTEGER);
	if (lua_getfield(L, 2, "start") == LUA_TNIL)
		start = (lua_Integer)first;
	lua_pop(L, 1);
	if ((blk64_t)start < first || (blk64_t)start >= total)
		luaL_error(L, "fs:blockmap: start %I outside the filesystem "
			   "(%I to %I)", start, (lua_Integer)first,
			   (lua_Integer)total - 1);
	count = e2l_optint(L, 2, "count", 1, LUA_MAXINTEGER);
	if (!count)
		count = (lua_Integer)(total - (blk64_t)start);
	if ((blk64_t)count > total - (blk64_t)start)
		luaL_error(L, "fs:blockmap: blocks %I to %I go past the end "
			   "of the filesystem (%I blocks)", start,
			   start + count - 1, (lua_Integer)total);
	cells = e2l_optint(L, 2, "cells", 1, E2C_BM_MAX_CELLS);
	per_cell = e2l_optint(L, 2, "per_cell", 1, LUA_MAXINTEGER);
	if (cells && per_cell)
		luaL_error(L, "fs:blockmap: give 'cells' or 'per_cell', not "
			   "both");
	if (!per_cell) {
		if (!cells)
			cells = 1024;
		per_cell = count / cells + (count % cells != 0);
	}
	if (count / per_cell + (count % per_cell != 0) > E2C_BM_MAX_CELLS)
		luaL_error(L, "fs:blockmap: %I blocks at %I a cell is more "
			   "than %d cells", count, per_cell, E2C_BM_MAX_CELLS);
	staged = e2l_optbool(L, 2, "staged");
	after = e2l_optbool(L, 2, "after");
	if (lua_getfield(L, 2, "names") != LUA_TNIL)
		names = e2l_optbool(L, 2, "names");
	lua_pop(L, 1);
	if ((staged || after) && !e2c_fs_tx(fs))
		luaL_error(L, "fs:blockmap: no open transaction (for '%s')",
			   staged ? "staged" : "after");

	hold = lua_newuserdatauv(L, sizeof(*hold), 0);	/* [fs, opts, h] */
	hold->bm = NULL;
	luaL_setmetatable(L, E2L_BLOCKMAP);
	lua_toclose(L, 3);
	retval = e2c_blockmap_open(fs, (blk64_t)start, (blk64_t)count,
				   (blk64_t)per_cell, &hold->bm);
	if (retval)
		return e2l_error(L, retval, "blockmap", e2c_fs_path(fs));
	choose_files(L, 1, hold->bm);
	if (lua_getfield(L, 2, "dir") != LUA_TNIL) {	/* [.., dir] */
		ext2_ino_t dir = e2l_checkino(L, 1, 4, "blockmap");
		char name[E2L_INOBUF];
		const char *path = lua_type(L, 4) == LUA_TSTRING ?
				   lua_tostring(L, 4) : e2l_inoname(name, dir);

		retval = e2c_blockmap_choose_tree(hold->bm, dir, path);
		if (retval)
			return e2l_error(L, retval, "blockmap", path);
	}
	lua_pop(L, 1);
	if (e2l_optbool(L, 2, "all")) {
		retval = e2c_blockmap_choose_all(hold->bm);
		if (retval)
			return e2l_error(L, retval, "blockmap", e2c_fs_path(fs));
	}
	if (staged)
		choose_staged(L, fs, hold->bm);
	if (after) {
		retval = e2c_blockmap_after(hold->bm, e2c_fs_tx(fs));
		if (retval)
			return e2l_error(L, retval, "blockmap", e2c_fs_path(fs));
	}
	retval = e2c_blockmap_finish(hold->bm);
	/* Names are a courtesy: a tree that cannot be walked leaves
	 * inode numbers, but Ctrl-C and memory are still errors. */
	if (!retval && names) {
		retval = e2c_blockmap_name_cells(hold->bm);
		if (retval != ENOMEM && retval != E2C_ERR_INTERRUPTED)
			retval = 0;
	}
	if (retval)
		return e2l_error(L, retval, "blockmap", e2c_fs_path(fs));
	push_result(L, fs, hold->bm, after);		/* [fs, opts, h, res] */
	lua_closeslot(L, 3);
	return 1;
}

void e2l_blockmap_open(lua_State *L)
{
	static const luaL_Reg meta[] = {
		{ "__index", NULL },
		{ "__gc", holder_close },
		{ "__close", holder_close },
		{ NULL, NULL }
	};
	static const luaL_Reg methods[] = {
		{ NULL, NULL }
	};

	e2l_newmeta(L, E2L_BLOCKMAP, meta, methods, NULL);
}
