/*
 * args.c -- the arguments of commands: options (getopt, reset for every
 * parse) and numbers as debugfs reads them.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "shell.h"

int e2sh_parse_num(const char *s, size_t len, unsigned long long *v)
{
	char *end;

	if (!len || *s == '-' || *s == '+' || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || end != s + len ? -1 : 0;
}

unsigned long long e2sh_checknum(lua_State *L, int arg, const char *cmd,
				 const char *what)
{
	size_t len;
	const char *s = luaL_checklstring(L, arg, &len);
	unsigned long long v;

	if (e2sh_parse_num(s, len, &v))
		luaL_error(L, "%s %s: invalid %s", cmd, s, what);
	return v;
}

void e2sh_file_failed(lua_State *L, const char *op, const char *file,
		      int many, errcode_t err)
{
	if (!many)
		return;
	fflush(e2sh_out(L));
	fprintf(stderr, "%s %s: %s\n", op, file, error_message(err));
}

int e2sh_files_fail(lua_State *L, const char *op, const char *file,
		    int failed, int total, int said, errcode_t last)
{
	if (failed == 1 && !said)
		return e2l_error(L, last, op, file);
	return luaL_error(L, "%s: %d of %d file%s failed (see above)", op,
			  failed, total, total == 1 ? "" : "s");
}

/* e2sh_files_fail under pcall: its arguments on the stack. */
static int files_fail(lua_State *L)
{
	return e2sh_files_fail(L, lua_tostring(L, 1), lua_tostring(L, 2),
			       (int)lua_tointeger(L, 3), (int)lua_tointeger(L, 4),
			       lua_toboolean(L, 5),
			       (errcode_t)lua_tointeger(L, 6));
}

void e2sh_push_files_fail(lua_State *L, const char *op, const char *file,
			  int failed, int total, int said, errcode_t last)
{
	lua_pushcfunction(L, files_fail);
	lua_pushstring(L, op);
	lua_pushstring(L, file);
	lua_pushinteger(L, failed);
	lua_pushinteger(L, total);
	lua_pushboolean(L, said);
	lua_pushinteger(L, (lua_Integer)last);
	lua_pcall(L, 6, 1, 0);				/* [err] */
}

void e2sh_call_as(lua_State *L, int nargs, int nres, const char *op,
		  const char *object)
{
	int is_e2err = 0;

	if (lua_pcall(L, nargs, nres, 0) == LUA_OK)
		return;
	if (lua_getmetatable(L, -1)) {
		luaL_getmetatable(L, E2L_ERROR);
		is_e2err = lua_rawequal(L, -1, -2);
		lua_pop(L, 2);
	}
	if (is_e2err) {
		lua_pushstring(L, op);
		lua_setfield(L, -2, "op");
		lua_pushstring(L, object);
		lua_setfield(L, -2, "object");
	}
	lua_error(L);
}

void e2sh_method(lua_State *L, int obj, const char *name, int nargs,
		 int nres)
{
	obj = lua_absindex(L, obj);
	lua_getfield(L, obj, name);
	lua_insert(L, -nargs - 1);
	lua_pushvalue(L, obj);
	lua_insert(L, -nargs - 1);
	lua_call(L, nargs + 1, nres);
}

void e2sh_push_file(lua_State *L, int arg, int ino)
{
	ino = lua_absindex(L, ino);
	lua_createtable(L, 0, 3);
	lua_pushvalue(L, arg);
	lua_setfield(L, -2, "file");
	lua_getfield(L, ino, "ino");
	lua_setfield(L, -2, "ino");
}

void e2sh_collect(lua_State *L, int obj, const char *method, int nres,
		  int val, int (*keep)(lua_State *L, void *arg), void *arg)
{
	lua_Integer n = 0;
	int list, it;

	obj = lua_absindex(L, obj);
	lua_newtable(L);
	list = lua_gettop(L);
	e2sh_method(L, obj, method, 0, 4);		/* [.., f, s, c, tbc] */
	it = list + 1;
	lua_toclose(L, it + 3);
	luaL_checkstack(L, nres + 3, method);
	for (;;) {
		lua_pushvalue(L, it);
		lua_pushvalue(L, it + 1);
		lua_pushvalue(L, it + 2);
		lua_call(L, 2, nres);
		if (lua_isnil(L, -nres))
			break;
		lua_pushvalue(L, -nres);
		lua_replace(L, it + 2);			/* the control value */
		lua_pushvalue(L, -nres - 1 + val);
		if (!keep || keep(L, arg))
			lua_rawseti(L, list, ++n);
		lua_settop(L, it + 3);
	}
	lua_closeslot(L, it + 3);
	lua_settop(L, list);
}

int e2sh_search_json(lua_State *L, const char *op, const char *key,
		     void (*fail)(lua_State *L, int n))
{
	int i, bad = (int)lua_rawlen(L, -1);

	for (i = 1; i <= bad; i++) {
		lua_rawgeti(L, -1, i);
		lua_getfield(L, -1, "object");
		lua_getfield(L, -2, "message");
		fprintf(stderr, "%s %s: %s\n", op, lua_tostring(L, -2),
			lua_tostring(L, -1));
		lua_pop(L, 3);
	}
	lua_pop(L, 1);					/* [.., list] */
	lua_createtable(L, 0, 1);
	lua_insert(L, -2);
	lua_setfield(L, -2, key);
	if (!bad)
		return 1;
	fail(L, bad);
	return 2;
}

void e2sh_opt_begin(lua_State *L, struct e2sh_opt *o, int n,
		    const char *cmd, const char *usage)
{
	int i;

	o->L = L;
	o->cmd = cmd;
	o->usage = usage;
	o->argc = n + 1;
	/* a userdata: the GC frees it whatever raises later */
	o->argv = lua_newuserdatauv(L, (n + 2) * sizeof(char *), 0);
	o->argv[0] = (char *)cmd;
	for (i = 1; i <= n; i++)		/* anchored on the stack */
		o->argv[i] = (char *)luaL_checkstring(L, i);
	o->argv[n + 1] = NULL;
	o->ind = 1;
	o->arg = NULL;
	o->longs = NULL;
	/* glibc's full reset: optind = 1 would keep a word left half read
	 * by an earlier parse that raised (debugfs's reset_getopt) */
	optind = 0;
	opterr = 0;
}

int e2sh_opt_next(struct e2sh_opt *o, const char *optstring)
{
	static const struct option none[] = { { NULL, 0, NULL, 0 } };
	char spec[32];
	int c;

	/* "+": stop at the first operand; ":": a missing value is ':' */
	snprintf(spec, sizeof(spec), "+:%s", optstring);
	c = getopt_long(o->argc, o->argv, spec, o->longs ? o->longs : none,
			NULL);
	o->arg = optarg;
	o->ind = optind;
	if (c == '?' && optopt)
		luaL_error(o->L, "%s: unknown option '-%c'\nUsage: %s %s",
			   o->cmd, optopt, o->cmd, o->usage);
	if (c == '?')		/* "--word": getopt_long moved past it */
		luaL_error(o->L, "%s: unknown option '%s'\nUsage: %s %s",
			   o->cmd, o->argv[optind - 1], o->cmd, o->usage);
	if (c == ':' && !strncmp(o->argv[optind - 1], "--", 2))
		luaL_error(o->L, "%s: option '%s' needs an argument\n"
			   "Usage: %s %s", o->cmd, o->argv[optind - 1],
			   o->cmd, o->usage);
	if (c == ':')
		luaL_error(o->L, "%s: option '-%c' needs an argument\n"
			   "Usage: %s %s", o->cmd, optopt, o->cmd, o->usage);
	return c;
}

int e2sh_flags(lua_State *L, int n, const char *letters, const char *cmd,
	       const char *usage, int *first)
{
	struct e2sh_opt o;
	int mask = 0, c;

	e2sh_opt_begin(L, &o, n, cmd, usage);
	while ((c = e2sh_opt_next(&o, letters)) != -1)
		mask |= 1 << (strchr(letters, c) - letters);
	lua_pop(L, 1);					/* o.argv */
	*first = o.ind;
	return mask;
}
