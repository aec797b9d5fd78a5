/*
 * error.c -- the e2.error object and the module's small shared helpers.
 *
 * An error is a table {code=, message=, op=, object=} with the e2.error
 * metatable, so pcall callers can read its fields and anything that prints
 * errors with tostring() (lua.c's message handler, the shell) shows
 * "op object: message".
 */
#include <stdio.h>
#include <string.h>

#include "aux.h"

void e2l_pusherror_msg(lua_State *L, errcode_t code, const char *op,
		       const char *object, const char *message)
{
	lua_createtable(L, 0, 4);			/* [err] */
	lua_pushinteger(L, (lua_Integer)code);
	lua_setfield(L, -2, "code");
	lua_pushstring(L, message);
	lua_setfield(L, -2, "message");
	lua_pushstring(L, op);
	lua_setfield(L, -2, "op");
	if (object) {
		lua_pushstring(L, object);
		lua_setfield(L, -2, "object");
	}
	luaL_setmetatable(L, E2L_ERROR);
}

void e2l_pusherror(lua_State *L, errcode_t code, const char *op,
		   const char *object)
{
	e2c_init();	/* error_message() must know our codes */
	e2l_pusherror_msg(L, code, op, object, error_message(code));
}

int e2l_error(lua_State *L, errcode_t code, const char *op,
	      const char *object)
{
	e2l_pusherror(L, code, op, object);
	return lua_error(L);
}

/* __tostring: "op object: message" (the object part only when set). */
static int error_tostring(lua_State *L)
{
	const char *op, *object, *message;

	luaL_checktype(L, 1, LUA_TTABLE);
	lua_getfield(L, 1, "op");
	lua_getfield(L, 1, "object");
	lua_getfield(L, 1, "message");			/* [err, op, obj, msg] */
	op = lua_tostring(L, 2);
	object = lua_tostring(L, 3);
	message = lua_tostring(L, 4);
	if (!message)
		message = "(no message)";
	if (op && object)
		lua_pushfstring(L, "%s %s: %s", op, object, message);
	else if (op)
		lua_pushfstring(L, "%s: %s", op, message);
	else
		lua_pushstring(L, message);
	return 1;
}

/*
 * e2.error(code, op [, object]) -> a new error object (not raised), so Lua
 * code can fail the way C does: error(e2.error(code, "stat", path)).  A
 * string instead of a code gives an error with code 0 and that message.
 */
static int error_new(lua_State *L)
{
	const char *op = luaL_checkstring(L, 2);
	const char *object = luaL_optstring(L, 3, NULL);

	e2l_checknargs(L, 3);
	if (lua_type(L, 1) == LUA_TSTRING)
		e2l_pusherror_msg(L, 0, op, object, lua_tostring(L, 1));
	else
		e2l_pusherror(L, (errcode_t)luaL_checkinteger(L, 1), op,
			      object);
	return 1;
}

void e2l_error_open(lua_State *L)
{
	static const luaL_Reg meta[] = {
		{ "__tostring", error_tostring },
		{ NULL, NULL }
	};

	luaL_newmetatable(L, E2L_ERROR);
	luaL_setfuncs(L, meta, 0);
	lua_pop(L, 1);
	lua_pushcfunction(L, error_new);		/* [e2, fn] */
	lua_setfield(L, -2, "error");
}

const char *e2l_inoname(char *buf, ext2_ino_t ino)
{
	snprintf(buf, E2L_INOBUF, "<%u>", ino);
	return buf;
}

const char *e2l_checkpath(lua_State *L, int arg)
{
	size_t len;
	const char *s = luaL_checklstring(L, arg, &len);

	if (strlen(s) != len)
		luaL_argerror(L, arg, "path contains a NUL byte");
	return s;
}

void e2l_deprecated(lua_State *L, const char *old, const char *new)
{
	static const char key = 0;	/* registry: the names warned of */

	if (lua_rawgetp(L, LUA_REGISTRYINDEX, &key) != LUA_TTABLE) {
		lua_pop(L, 1);
		lua_newtable(L);
		lua_pushvalue(L, -1);
		lua_rawsetp(L, LUA_REGISTRYINDEX, &key);
	}
	if (lua_getfield(L, -1, old) == LUA_TNIL) {
		lua_pushboolean(L, 1);
		lua_setfield(L, -3, old);
		lua_pushfstring(L, "e2: '%s' is deprecated: use '%s' (it goes "
				"in the next release)", old, new);
		lua_warning(L, lua_tostring(L, -1), 0);
		lua_pop(L, 1);
	}
	lua_pop(L, 2);
}

void e2l_checknargs(lua_State *L, int n)
{
	if (lua_gettop(L) > n)
		luaL_argerror(L, n + 1, "no value expected");
}

void e2l_checkopts(lua_State *L, int idx, const char *const *known,
		   const char *what)
{
	int i;

	luaL_checktype(L, idx, LUA_TTABLE);
	lua_pushnil(L);
	while (lua_next(L, idx)) {			/* [.., key, value] */
		lua_pop(L, 1);
		if (lua_type(L, -1) != LUA_TSTRING)
			luaL_error(L, "%s: keys must be strings, got %s", what,
				   luaL_typename(L, -1));
		for (i = 0; known[i]; i++)
			if (strcmp(known[i], lua_tostring(L, -1)) == 0)
				break;
		if (!known[i])
			luaL_error(L, "%s: unknown option '%s'", what,
				   lua_tostring(L, -1));
	}
}

int e2l_optbool(lua_State *L, int idx, const char *key)
{
	int t = lua_getfield(L, idx, key);
	int v = lua_toboolean(L, -1);

	if (t != LUA_TNIL && t != LUA_TBOOLEAN)
		luaL_error(L, "option '%s' must be a boolean, got %s", key,
			   lua_typename(L, t));
	lua_pop(L, 1);
	return v;
}

lua_Integer e2l_optint(lua_State *L, int idx, const char *key,
		       lua_Integer min, lua_Integer max)
{
	int t = lua_getfield(L, idx, key), isint = 0;
	lua_Integer v = lua_tointegerx(L, -1, &isint);

	if (t == LUA_TNIL)
		v = 0;
	else if (t != LUA_TNUMBER || !isint || v < min || v > max)
		luaL_error(L, "option '%s' must be an integer from %I to %I",
			   key, min, max);
	lua_pop(L, 1);
	return v;
}

void e2l_newmeta(lua_State *L, const char *name, const luaL_Reg *meta,
		 const luaL_Reg *methods, lua_CFunction index_fn)
{
	luaL_newmetatable(L, name);			/* [mt] */
	luaL_setfuncs(L, meta, 0);
	lua_newtable(L);				/* [mt, methods] */
	luaL_setfuncs(L, methods, 0);
	if (index_fn)
		lua_pushcclosure(L, index_fn, 1);	/* [mt, index_fn] */
	lua_setfield(L, -2, "__index");
	lua_pop(L, 1);
}

void e2l_setfields(lua_State *L, const char *name, const char *const *fields)
{
	int i;

	luaL_getmetatable(L, name);			/* [mt] */
	lua_newtable(L);				/* [mt, names] */
	for (i = 0; fields[i]; i++) {
		lua_pushstring(L, fields[i]);
		lua_rawseti(L, -2, i + 1);
	}
	lua_setfield(L, -2, "__fields");
	lua_pop(L, 1);
}
