/*
 * e2.c -- the module table: luaopen_e2, e2.open, e2.strerror, e2.version,
 * e2.errors, and e2.command and e2.run, which raise outside the e2lua
 * shell.
 */
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <lauxlib.h>

#include "aux.h"

/* e2.command and e2.run outside e2lua: commands are the shell's (its
 * registry, shell/registry.c, puts the real ones in the module). */
static int shell_only(lua_State *L)
{
	return luaL_error(L, "e2.%s: shell commands need the e2lua shell (a "
			  "stock Lua has no command line to run them)",
			  lua_tostring(L, lua_upvalueindex(1)));
}

/* e2.strerror(code) -> the message error_message() gives */
static int e2_strerror(lua_State *L)
{
	lua_Integer code = luaL_checkinteger(L, 1);

	e2l_checknargs(L, 1);
	lua_pushstring(L, error_message((errcode_t)code));
	return 1;
}

/* e2.isatty(file) -> whether the Lua file (io.stderr, ...) is a terminal:
 * progress lines are drawn only there (cheaper than a test(1) process) */
static int e2_isatty(lua_State *L)
{
	luaL_Stream *f = luaL_checkudata(L, 1, LUA_FILEHANDLE);

	e2l_checknargs(L, 1);
	luaL_argcheck(L, f->closef != NULL, 1, "closed file");
	lua_pushboolean(L, isatty(fileno(f->f)));
	return 1;
}

/* e2.termsize(file) -> columns, rows of the terminal the Lua file is, or
 * nil when it is none (or does not say): pictures fit the window */
static int e2_termsize(lua_State *L)
{
	luaL_Stream *f = luaL_checkudata(L, 1, LUA_FILEHANDLE);
	struct winsize ws;

	e2l_checknargs(L, 1);
	luaL_argcheck(L, f->closef != NULL, 1, "closed file");
	if (ioctl(fileno(f->f), TIOCGWINSZ, &ws) < 0 || !ws.ws_col ||
	    !ws.ws_row)
		return 0;
	lua_pushinteger(L, ws.ws_col);
	lua_pushinteger(L, ws.ws_row);
	return 2;
}

/* e2.errors: the codes scripts compare err.code with, by C name. */
static void push_errors(lua_State *L)
{
	static const struct { const char *name; errcode_t code; } codes[] = {
#define C(x) { #x, x }
		C(E2C_ERR_MOUNTED), C(E2C_ERR_BUSY), C(E2C_ERR_NEEDS_RECOVERY),
		C(E2C_ERR_NOT_CLEAN), C(E2C_ERR_HAS_ERRORS),
		C(E2C_ERR_ORPHANS), C(E2C_ERR_UNSUPP_FEATURE),
		C(E2C_ERR_LOCKED), C(E2C_ERR_QUOTA), C(E2C_ERR_PTR_RANGE),
		C(E2C_ERR_PTR_METADATA), C(E2C_ERR_BAD_INODE),
		C(E2C_ERR_NO_BITMAPS), C(E2C_ERR_NOT_DIR),
		C(E2C_ERR_LBLK_RANGE), C(E2C_ERR_SKIP_NO_BLOCKS),
		C(E2C_ERR_SKIP_INLINE), C(E2C_ERR_SKIP_EXTENTS),
		C(E2C_ERR_SKIP_RESERVED), C(E2C_ERR_SKIP_UNLINKED),
		C(E2C_ERR_SKIP_TYPE), C(E2C_ERR_STAGED),
		C(E2C_ERR_TX_ACTIVE), C(E2C_ERR_TX_DONE),
		C(E2C_ERR_COMMIT_PARTIAL), C(E2C_ERR_INTERRUPTED),
		C(E2C_ERR_NOT_WRITABLE), C(E2C_ERR_PTR_SHARED),
		C(E2C_ERR_EXTENT_DEPTH), C(E2C_ERR_EXTENT_ORDER),
		C(E2C_ERR_SIZE_RANGE), C(E2C_ERR_DESC_CSUM),
		C(E2C_ERR_STAGE_CHANGED), C(E2C_ERR_SCANNING),
		C(E2C_ERR_UNKNOWN_ALGO), C(E2C_ERR_DIGEST), C(E2C_ERR_EXISTS),
		C(E2C_ERR_UNSAFE_NAME), C(E2C_ERR_DIR_LOOP),
		C(E2C_ERR_BLOCK_BITMAP), C(E2C_ERR_INODE_BITMAP),
		C(E2C_ERR_NOT_CHECKED), C(E2C_ERR_BAD_SUPER),
		C(E2C_ERR_OLD_REV), C(E2C_ERR_MMP),
		C(E2C_ERR_SKIP_EXTENT_FL), C(E2C_ERR_SKIP_SIZE),
		C(E2C_ERR_SKIP_DIR_HOLE), C(E2C_ERR_SKIP_SYMLINK),
		C(E2C_ERR_SKIP_IBLOCKS), C(E2C_ERR_SKIP_NO_SPACE),
		C(E2C_ERR_NOT_INDEXED), C(E2C_ERR_HTREE_BAD),
		C(E2C_ERR_HTREE_BLOCK), C(E2C_ERR_BLOCK_RANGE),
		C(E2C_ERR_NO_PARTITIONS), C(E2C_ERR_PART_RANGE),
		C(E2C_ERR_PART_NOT_EXT), C(E2C_ERR_PART_SMALL),
		C(E2C_ERR_UNDO_NOT_FILE), C(E2C_ERR_UNDO_IS_IMAGE),
		C(E2C_ERR_UNDO_BROKEN), C(E2C_ERR_UNDO_INCOMPLETE),
		C(E2C_ERR_OTHER_FS), C(E2C_ERR_SKIP_BLOCKMAP),
		C(E2C_ERR_SKIP_HIGH_BLOCK), C(E2C_ERR_SKIP_TOO_BIG),
		C(E2C_ERR_EXTENTS_LEFT), C(E2C_ERR_FEATURE_NEEDED),
		C(E2C_ERR_FIRST_DATA_BLOCK), C(E2C_ERR_RESTORE_FAILED),
		C(E2C_ERR_SKIP_GAIN), C(E2C_ERR_VERIFY),
		C(E2C_ERR_INODE_COUNT), C(E2C_ERR_NO_CRYPTO),
		C(EXT2_ET_UNDO_FILE_CORRUPT),
		C(EXT2_ET_UNDO_FILE_WRONG),
		C(EXT2_ET_FILE_NOT_FOUND), C(EXT2_ET_BAD_INODE_NUM),
		C(EXT2_ET_NO_DIRECTORY), C(EXT2_ET_BAD_MAGIC),
		C(EXT2_ET_SHORT_READ), C(EXT2_ET_RO_FILSYS),
		C(EXT2_ET_DIR_CORRUPTED), C(EXT2_ET_BLOCK_ALLOC_FAIL),
		C(EXT2_ET_INODE_ALLOC_FAIL), C(EXT2_ET_EXTENT_HEADER_BAD),
		C(EXT2_ET_OP_NOT_SUPPORTED), C(EXT2_ET_INVALID_ARGUMENT),
#undef C
	};
	size_t i;

	lua_createtable(L, 0, (int)(sizeof(codes) / sizeof(codes[0])));
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		lua_pushinteger(L, (lua_Integer)codes[i].code);
		lua_setfield(L, -2, codes[i].name);
	}
}

int luaopen_e2(lua_State *L)
{
	static const luaL_Reg funcs[] = {
		{ "hash", e2l_hash },
		{ "isatty", e2_isatty },
		{ "open", e2l_open },
		{ "partitions", e2l_partitions },
		{ "strerror", e2_strerror },
		{ "termsize", e2_termsize },
		{ NULL, NULL }
	};

	e2c_init();
	luaL_newlib(L, funcs);				/* [e2] */
	e2l_error_open(L);
	e2l_fs_open(L);
	e2l_inode_open(L);
	e2l_cursor_open(L);
	e2l_tx_open(L);
	e2l_select_open(L);
	e2l_blockmap_open(L);
	e2l_host_open(L);
	e2l_json_open(L);
	e2l_pretty_open(L);
	lua_pushliteral(L, "command");
	lua_pushcclosure(L, shell_only, 1);
	lua_setfield(L, -2, "command");
	lua_pushliteral(L, "run");
	lua_pushcclosure(L, shell_only, 1);
	lua_setfield(L, -2, "run");
	push_errors(L);
	lua_setfield(L, -2, "errors");
	lua_pushliteral(L, E2LUA_VERSION);
	lua_setfield(L, -2, "version");
	return 1;
}
