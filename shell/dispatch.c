/*
 * dispatch.c -- command lines: shell-like tokenizing, the argument-count
 * and "needs" checks of the declaration (registry.c), and the protected
 * call of the command's run function.
 */
#include <stdlib.h>
#include <string.h>

#include "shell.h"

char **e2sh_tokenize(const char *line, int *argc, const char **err)
{
	size_t len = strlen(line);
	/* Words are separated by blanks, so there are at most (len+1)/2 of
	 * them, and their text with a NUL each fits in len+1 bytes. */
	size_t maxw = len / 2 + 2;
	char **argv = malloc(maxw * sizeof(char *) + len + 1);
	char *out;
	const char *p = line;
	int n = 0;

	if (!argv) {
		*err = "out of memory";
		return NULL;
	}
	out = (char *)(argv + maxw);
	for (;;) {
		p += strspn(p, " \t");
		if (!*p)
			break;
		argv[n++] = out;
		while (*p && *p != ' ' && *p != '\t') {
			if (*p == '\'') {		/* '...' is literal */
				for (p++; *p && *p != '\''; )
					*out++ = *p++;
				if (!*p++)
					goto unterminated;
			} else if (*p == '"') {	/* "..." with \" and \\ */
				for (p++; *p && *p != '"'; ) {
					if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
						p++;
					*out++ = *p++;
				}
				if (!*p++)
					goto unterminated;
			} else {
				if (*p == '\\' && p[1])
					p++;
				*out++ = *p++;
			}
		}
		*out++ = '\0';
	}
	argv[n] = NULL;
	*argc = n;
	return argv;

unterminated:
	free(argv);
	*err = "unterminated quote";
	return NULL;
}

/* Push t[key] for the table at idx without metamethods (nil if idx is not
 * a table); returns the type pushed. */
static int rawfield(lua_State *L, int idx, const char *key)
{
	idx = lua_absindex(L, idx);
	if (!lua_istable(L, idx)) {
		lua_pushnil(L);
		return LUA_TNIL;
	}
	lua_pushstring(L, key);
	return lua_rawget(L, idx);
}

/* A string field of the declaration at idx ("" when absent); the string
 * stays valid while the declaration is on the stack. */
static const char *strfield(lua_State *L, int idx, const char *key)
{
	const char *s = "";

	if (rawfield(L, idx, key) == LUA_TSTRING)
		s = lua_tostring(L, -1);
	lua_pop(L, 1);
	return s;
}

static lua_Integer intfield(lua_State *L, int idx, const char *key)
{
	lua_Integer n;

	rawfield(L, idx, key);
	n = lua_tointeger(L, -1);
	lua_pop(L, 1);
	return n;
}

e2c_fs *e2sh_pushfs(lua_State *L)
{
	lua_pushglobaltable(L);
	rawfield(L, -1, "fs");
	lua_remove(L, -2);
	return e2l_tofs(L, -1);
}

e2c_fs *e2sh_checkfs(lua_State *L, int *idx)
{
	e2sh_pushfs(L);
	*idx = lua_gettop(L);
	return e2l_checkfs(L, *idx);
}

e2c_fs *e2sh_fs(lua_State *L)
{
	e2c_fs *fs = e2sh_pushfs(L);

	lua_pop(L, 1);
	return fs;
}

/* Why the declaration's needs are not met now, or NULL. */
static const char *unmet(lua_State *L, const char *needs)
{
	e2c_fs *fs;

	if (!*needs)
		return NULL;
	fs = e2sh_fs(L);
	if (!fs)
		return "no filesystem is open (use: open IMAGE)";
	if (strcmp(needs, "write") == 0 && !fs->writable)
		return "filesystem is open read-only (use: open -w IMAGE)";
	if (strcmp(needs, "bitmaps") == 0 && fs->catastrophic)
		return "bitmaps not loaded (filesystem opened with -c)";
	return NULL;
}

int e2sh_dispatch(struct e2sh *sh, int argc, char **argv)
{
	lua_State *L = sh->L;
	int decl = lua_gettop(L);
	lua_Integer min = intfield(L, decl, "min");
	lua_Integer max = intfield(L, decl, "max");
	int nargs = argc - 1, i, status = 1;
	const char *usage, *why;

	if (nargs < min || (max >= 0 && nargs > max)) {
		usage = strfield(L, decl, "usage");
		e2sh_fail(sh, lua_pushfstring(L, "Usage: %s%s%s", argv[0],
					      *usage ? " " : "", usage));
		goto out;
	}
	why = unmet(L, strfield(L, decl, "needs"));
	if (why) {
		e2sh_fail(sh, lua_pushfstring(L, "%s: %s", argv[0], why));
		goto out;
	}
	rawfield(L, decl, "run");
	luaL_checkstack(L, nargs, "too many arguments");
	for (i = 1; i < argc; i++)
		lua_pushstring(L, argv[i]);
	if (e2sh_docall(sh, nargs, 0, E2SH_COMMAND) != LUA_OK)
		e2sh_fail(sh, lua_tostring(L, -1));
	else
		status = 0;
out:
	lua_settop(L, decl - 1);
	return status;
}
