/*
 * registry.c -- the command registry: name (and each alias) ->
 * declaration, the one table behind dispatch, usage errors, help and
 * completion.  C commands come in arrays of struct e2sh_cmd
 * (e2sh_register), Lua ones through e2.command{...}; both become the same
 * declaration tables.  The table is the shell's (a stock Lua has no
 * commands: there e2.command raises); e2sh_registry_open publishes it as
 * e2.commands and puts the real e2.command in the module.
 */
#include <ctype.h>
#include <string.h>

#include "shell.h"

static const char commands_key;	/* registry key of the table */

void e2sh_pushcommands(lua_State *L)
{
	lua_rawgetp(L, LUA_REGISTRYINDEX, &commands_key);
}

static const char *const needs_values[] = { "", "fs", "write", "bitmaps",
					    NULL };
static const char *const args_values[] = { "", "inode", "file", "block",
					   NULL };

/* Index of s in the NULL-terminated list, or raise naming the field. */
static void check_enum(lua_State *L, const char *cmd, const char *field,
		       const char *s, const char *const *values)
{
	int i;

	for (i = 0; values[i]; i++)
		if (strcmp(values[i], s) == 0)
			return;
	luaL_error(L, "command '%s': bad %s '%s' (one of \"\", \"%s\", "
		   "\"%s\", \"%s\")", cmd, field, s, values[1], values[2],
		   values[3]);
}

/* A command name: non-empty, no blanks (the shell splits on them). */
static void check_name(lua_State *L, const char *name)
{
	const char *p;

	if (!*name)
		luaL_error(L, "command name must not be empty");
	for (p = name; *p; p++)
		if (isspace((unsigned char)*p))
			luaL_error(L, "command name '%s' contains blanks",
				   name);
}

static void check_counts(lua_State *L, const char *cmd, lua_Integer min,
			 lua_Integer max)
{
	if (min < 0 || min > 255 || max < -1 || max > 255 ||
	    (max != -1 && max < min))
		luaL_error(L, "command '%s': bad argument counts min=%I "
			   "max=%I (0 <= min <= max, or max = -1)", cmd, min,
			   max);
}

/* Push name i of the declaration at idx: 0 the name, then the aliases. */
static void push_declname(lua_State *L, int idx, int i)
{
	if (i == 0) {
		lua_getfield(L, idx, "name");
	} else {
		lua_getfield(L, idx, "aliases");
		lua_rawgeti(L, -1, i);
		lua_remove(L, -2);
	}
}

/*
 * Insert the declaration at idx (fields already checked) under its name
 * and every alias.  All names are checked first, so a duplicate leaves
 * the registry as it was.
 */
static void register_decl(lua_State *L, int idx)
{
	int cmds, n, i, j;

	idx = lua_absindex(L, idx);
	e2sh_pushcommands(L);				/* [cmds] */
	cmds = lua_gettop(L);
	lua_getfield(L, idx, "aliases");
	n = (int)lua_rawlen(L, -1);
	lua_pop(L, 1);
	for (i = 0; i <= n; i++) {
		push_declname(L, idx, i);		/* [cmds, name_i] */
		check_name(L, lua_tostring(L, -1));
		for (j = 0; j < i; j++) {
			push_declname(L, idx, j);
			if (lua_rawequal(L, -1, -2))
				luaL_error(L, "command '%s': name '%s' given "
					   "twice", lua_tostring(L, -1),
					   lua_tostring(L, -2));
			lua_pop(L, 1);
		}
		lua_pushvalue(L, -1);
		if (lua_rawget(L, cmds) != LUA_TNIL) {	/* [.., name, old] */
			lua_getfield(L, -1, "source");
			luaL_error(L, "command '%s' is already defined (by %s)",
				   lua_tostring(L, -3),
				   luaL_optstring(L, -1, "?"));
		}
		lua_pop(L, 2);
	}
	for (i = 0; i <= n; i++) {
		push_declname(L, idx, i);
		lua_pushvalue(L, idx);
		lua_rawset(L, cmds);
	}
	lua_settop(L, cmds - 1);
}

/* A string field of the declaration at 1: required, or default def. */
static const char *decl_string(lua_State *L, const char *key,
			       const char *def)
{
	int t = lua_getfield(L, 1, key);

	if (t == LUA_TNIL && def) {
		lua_pop(L, 1);
		lua_pushstring(L, def);
	} else if (t != LUA_TSTRING) {
		luaL_error(L, "e2.command: field '%s' must be a string, got %s",
			   key, lua_typename(L, t));
	}
	lua_setfield(L, 2, key);			/* copy into the decl */
	lua_getfield(L, 2, key);
	return lua_tostring(L, -1);	/* anchored in the decl */
}

static lua_Integer decl_int(lua_State *L, const char *key, lua_Integer def)
{
	int isint, t = lua_getfield(L, 1, key);
	lua_Integer v = lua_tointegerx(L, -1, &isint);

	if (t == LUA_TNIL)
		v = def;
	else if (t != LUA_TNUMBER || !isint)
		luaL_error(L, "e2.command: field '%s' must be an integer", key);
	lua_pop(L, 1);
	lua_pushinteger(L, v);
	lua_setfield(L, 2, key);
	return v;
}

/* Where the declaring chunk came from: its chunk name without '@'. */
static void push_source(lua_State *L)
{
	lua_Debug ar;

	if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "S", &ar) &&
	    ar.source && *ar.source)
		lua_pushstring(L, ar.source[0] == '@' || ar.source[0] == '=' ?
			       ar.source + 1 : ar.source);
	else
		lua_pushliteral(L, "?");
}

/* An example is required: every command shows one in help. */
static void check_example(lua_State *L, const char *cmd, const char *ex)
{
	if (!ex || !*ex)
		luaL_error(L, "command '%s': field 'example' must be a "
			   "non-empty string (a command line help shows)", cmd);
}

/*
 * e2.command{name=, aliases=, usage=, help=, example=, min=, max=, needs=,
 * args=, run=, json=} -> the stored declaration.  Unknown keys are
 * rejected; max defaults to min, -1 means unlimited.
 */
static int e2_command(lua_State *L)
{
	static const char *const keys[] = { "name", "aliases", "usage",
		"help", "example", "min", "max", "needs", "args", "run",
		"json", NULL };
	const char *name;
	lua_Integer min, max;
	int i, n;

	luaL_checktype(L, 1, LUA_TTABLE);
	e2l_checknargs(L, 1);
	e2l_checkopts(L, 1, keys, "e2.command");
	lua_createtable(L, 0, 10);			/* [spec, decl] */
	name = decl_string(L, "name", NULL);
	check_name(L, name);
	decl_string(L, "usage", "");
	decl_string(L, "help", "");
	lua_getfield(L, 1, "example");
	check_example(L, name, lua_tostring(L, -1));
	decl_string(L, "example", NULL);
	check_enum(L, name, "needs", decl_string(L, "needs", ""),
		   needs_values);
	check_enum(L, name, "args", decl_string(L, "args", ""), args_values);
	lua_settop(L, 2);
	min = decl_int(L, "min", 0);
	max = decl_int(L, "max", min);
	check_counts(L, name, min, max);
	if (lua_getfield(L, 1, "run") != LUA_TFUNCTION)
		luaL_error(L, "command '%s': field 'run' must be a function",
			   name);
	lua_setfield(L, 2, "run");
	switch (lua_getfield(L, 1, "json")) {
	case LUA_TNIL:
		lua_pop(L, 1);
		break;
	case LUA_TBOOLEAN:
	case LUA_TFUNCTION:
		if (lua_toboolean(L, -1)) {
			lua_setfield(L, 2, "json");
			break;
		}
		lua_pop(L, 1);
		break;
	default:
		luaL_error(L, "command '%s': field 'json' must be true or a "
			   "function", name);
	}
	lua_newtable(L);				/* [spec, decl, al] */
	switch (lua_getfield(L, 1, "aliases")) {
	case LUA_TNIL:
		break;
	case LUA_TTABLE:
		n = (int)lua_rawlen(L, -1);
		for (i = 1; i <= n; i++) {
			if (lua_rawgeti(L, -1, i) != LUA_TSTRING)
				luaL_error(L, "command '%s': aliases must be "
					   "strings", name);
			lua_rawseti(L, -3, i);
		}
		break;
	default:
		luaL_error(L, "command '%s': field 'aliases' must be an array "
			   "of strings", name);
	}
	lua_pop(L, 1);
	lua_setfield(L, 2, "aliases");
	push_source(L);
	lua_setfield(L, 2, "source");
	register_decl(L, 2);
	return 1;
}

void e2sh_register(lua_State *L, const struct e2sh_cmd *cmds)
{
	const struct e2sh_cmd *c;
	const char *p, *e;
	int n;

	for (c = cmds; c->name; c++) {
		check_name(L, c->name);
		check_enum(L, c->name, "needs", c->needs ? c->needs : "",
			   needs_values);
		check_enum(L, c->name, "args", c->args ? c->args : "",
			   args_values);
		check_counts(L, c->name, c->min_args, c->max_args);
		check_example(L, c->name, c->example);
		lua_createtable(L, 0, 12);		/* [decl] */
		lua_pushstring(L, c->name);
		lua_setfield(L, -2, "name");
		lua_newtable(L);			/* [decl, aliases] */
		for (n = 0, p = c->aliases; p && *p; p = e) {
			while (*p == ' ')
				p++;
			for (e = p; *e && *e != ' '; e++)
				;
			if (e > p) {
				lua_pushlstring(L, p, (size_t)(e - p));
				lua_rawseti(L, -2, ++n);
			}
		}
		lua_setfield(L, -2, "aliases");
		lua_pushstring(L, c->usage ? c->usage : "");
		lua_setfield(L, -2, "usage");
		lua_pushstring(L, c->help ? c->help : "");
		lua_setfield(L, -2, "help");
		lua_pushinteger(L, c->min_args);
		lua_setfield(L, -2, "min");
		lua_pushinteger(L, c->max_args);
		lua_setfield(L, -2, "max");
		lua_pushstring(L, c->needs ? c->needs : "");
		lua_setfield(L, -2, "needs");
		lua_pushstring(L, c->args ? c->args : "");
		lua_setfield(L, -2, "args");
		lua_pushcfunction(L, c->run);
		lua_setfield(L, -2, "run");
		lua_pushstring(L, c->example);
		lua_setfield(L, -2, "example");
		if (c->json) {
			lua_pushcfunction(L, c->json);
			lua_setfield(L, -2, "json");
		}
		lua_pushliteral(L, "C");
		lua_setfield(L, -2, "source");
		register_decl(L, -1);
		lua_pop(L, 1);
	}
}

int e2sh_pushcmd(lua_State *L, const char *name, size_t len)
{
	e2sh_pushcommands(L);
	lua_pushlstring(L, name, len);
	lua_rawget(L, -2);
	lua_remove(L, -2);
	if (lua_istable(L, -1))
		return 1;
	lua_pop(L, 1);
	return 0;
}

void e2sh_registry_open(lua_State *L)
{
	lua_newtable(L);
	lua_rawsetp(L, LUA_REGISTRYINDEX, &commands_key);
	lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
	lua_getfield(L, -1, "e2");			/* [loaded, e2] */
	e2sh_pushcommands(L);
	lua_setfield(L, -2, "commands");
	lua_pushcfunction(L, e2_command);
	lua_setfield(L, -2, "command");
	lua_pop(L, 2);
}
