/*
 * free.c -- free space: fs:free_ranges([where]) iterates the free extents
 * of the block bitmap, fs:freefrag([where [, chunk_kb]]) gives their
 * histogram as e2freefrag counts it.  "where" is nil (the whole
 * filesystem), a group number (0-based, as dumpe2fs numbers them) or a
 * range {start, count} of blocks.
 */
#include "aux.h"

/* The range "where" at arg names: [*start, *start + *count). */
static void check_where(lua_State *L, e2c_fs *fs, int arg, blk64_t *start,
			blk64_t *count)
{
	ext2_filsys h = e2c_fs_handle(fs);
	lua_Integer total = (lua_Integer)ext2fs_blocks_count(h->super);
	lua_Integer g, s, c;

	switch (lua_type(L, arg)) {
	case LUA_TNONE:
	case LUA_TNIL:
		*start = 0;
		*count = (blk64_t)total;
		return;
	case LUA_TNUMBER:
		g = luaL_checkinteger(L, arg);
		if (g < 0 || g >= (lua_Integer)h->group_desc_count)
			luaL_argerror(L, arg, lua_pushfstring(L, "no group %I "
				      "(groups 0 to %I)", g,
				      (lua_Integer)h->group_desc_count - 1));
		*start = ext2fs_group_first_block2(h, (dgrp_t)g);
		*count = ext2fs_group_last_block2(h, (dgrp_t)g) + 1 - *start;
		return;
	case LUA_TTABLE:
		lua_pushnil(L);
		while (lua_next(L, arg)) {
			lua_pop(L, 1);
			if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 ||
			    lua_tointeger(L, -1) > 2)
				luaL_argerror(L, arg, "a range is {start, count}: "
					      "no other keys");
		}
		lua_geti(L, arg, 1);
		lua_geti(L, arg, 2);
		if (!lua_isinteger(L, -2) || !lua_isinteger(L, -1))
			luaL_argerror(L, arg, "a range is {start, count}, two "
				      "integers");
		s = lua_tointeger(L, -2);
		c = lua_tointeger(L, -1);
		lua_pop(L, 2);
		if (s < 0 || c < 0 || s > total || c > total - s)
			luaL_argerror(L, arg, lua_pushfstring(L, "range {%I, "
				      "%I} outside the filesystem's %I blocks",
				      s, c, total));
		*start = (blk64_t)s;
		*count = (blk64_t)c;
		return;
	}
	luaL_typeerror(L, arg, "group number or {start, count}");
}

/* fs:free_ranges([where]) -> iterator of start, length */
int e2l_fs_free_ranges(lua_State *L)
{
	blk64_t start, count;

	check_where(L, e2l_checkfs(L, 1), 2, &start, &count);
	e2l_checknargs(L, 2);
	return e2l_free_cursor(L, 1, start, count);
}

#define SETINT(name, v) \
	(lua_pushinteger(L, (lua_Integer)(v)), lua_setfield(L, -2, (name)))

/* fs:freefrag([where [, chunk_kb]]) -> table (doc/lua-api.md) */
int e2l_fs_freefrag(lua_State *L)
{
	e2c_fs *fs = e2l_checkfs(L, 1);
	struct e2c_freefrag ff;
	blk64_t start, count, chunk = 0;
	lua_Integer kb = 0;
	errcode_t retval;
	int b;

	check_where(L, fs, 2, &start, &count);
	if (!lua_isnoneornil(L, 3)) {
		kb = luaL_checkinteger(L, 3);
		/* e2freefrag's rules: a power of 2, at least a block. */
		luaL_argcheck(L, kb > 0 && !(kb & (kb - 1)) &&
			      kb <= ((lua_Integer)1 << 40), 3,
			      "chunk size must be a power of 2 (KiB)");
		luaL_argcheck(L, kb * 1024 >= e2c_fs_block_size(fs), 3,
			      "chunk size must be at least the block size");
		chunk = (blk64_t)kb * 1024 / e2c_fs_block_size(fs);
	}
	e2l_checknargs(L, 3);
	retval = e2c_freefrag(fs, start, count, chunk, &ff);
	if (retval)
		return e2l_error(L, retval, "freefrag", e2c_fs_path(fs));
	lua_createtable(L, 0, 12);
	SETINT("start", ff.start);
	SETINT("count", ff.count);
	SETINT("free_blocks", ff.free_blocks);
	SETINT("extents", ff.extents);
	SETINT("min", ff.min);
	SETINT("max", ff.max);
	if (chunk) {
		SETINT("chunk_kb", kb);
		SETINT("chunk_blocks", chunk);
		SETINT("chunks", ff.chunks);
		SETINT("free_chunks", ff.free_chunks);
	}
	/* histogram[b]: extents of 2^(b-1) to 2^b - 1 blocks, b = 1..31
	 * (the last open-ended), as e2freefrag's buckets. */
	lua_createtable(L, E2C_FREEFRAG_BUCKETS - 1, 0);
	for (b = 1; b < E2C_FREEFRAG_BUCKETS; b++) {
		lua_createtable(L, 0, 4);
		SETINT("min", (blk64_t)1 << (b - 1));
		if (b < E2C_FREEFRAG_BUCKETS - 1)
			SETINT("max", ((blk64_t)1 << b) - 1);
		SETINT("extents", ff.hist_extents[b]);
		SETINT("blocks", ff.hist_blocks[b]);
		lua_rawseti(L, -2, b);
	}
	lua_setfield(L, -2, "histogram");
	return 1;
}
