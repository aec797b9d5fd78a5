/*
 * dispatch.c -- command lines: shell-like tokenizing, the argument-count
 * and "needs" checks of the declaration (registry.c), and the protected
 * call of the command's run function; -j, which prints a command's data
 * as JSON; e2.run, which captures what a command writes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shell.h"

/* Append c to the word and to its pattern: escaped there when it was
 * quoted and means something to fnmatch. */
static void put(char **lit, char **pat, char c, int quoted)
{
	*(*lit)++ = c;
	if (quoted && strchr("*?[]\\", c))
		*(*pat)++ = '\\';
	*(*pat)++ = c;
}

struct e2sh_words *e2sh_tokenize(lua_State *L, const char *line,
				 const char **err)
{
	size_t len = strlen(line);
	/* Words are separated by blanks, so there are at most (len+1)/2 of
	 * them; their text with a NUL each fits in len+1 bytes, their
	 * patterns (every character escaped at worst) in 2*len+1. */
	size_t maxw = len / 2 + 2;
	struct e2sh_words *w = lua_newuserdatauv(L, sizeof(*w) +
		2 * maxw * sizeof(char *) + 3 * len + 2, 0);
	char *out, *pat;
	const char *p = line;
	int n = 0, meta;

	w->argv = (char **)(w + 1);
	w->pat = w->argv + maxw;
	out = (char *)(w->pat + maxw);
	pat = out + len + 1;
	for (;;) {
		p += strspn(p, " \t");
		if (!*p)
			break;
		w->argv[n] = out;
		w->pat[n] = pat;
		meta = 0;
		while (*p && *p != ' ' && *p != '\t') {
			if (*p == '\'') {		/* '...' is literal */
				for (p++; *p && *p != '\''; )
					put(&out, &pat, *p++, 1);
				if (!*p++)
					goto unterminated;
			} else if (*p == '"') {	/* "..." with \" and \\ */
				for (p++; *p && *p != '"'; ) {
					if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
						p++;
					put(&out, &pat, *p++, 1);
				}
				if (!*p++)
					goto unterminated;
			} else if (*p == '\\' && p[1]) {
				put(&out, &pat, p[1], 1);
				p += 2;
			} else {
				meta |= strchr("*?[", *p) != NULL;
				put(&out, &pat, *p++, 0);
			}
		}
		*out++ = '\0';
		*pat++ = '\0';
		if (!meta)
			w->pat[n] = NULL;
		n++;
	}
	w->argv[n] = NULL;
	w->argc = n;
	return w;

unterminated:
	lua_pop(L, 1);
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
	if (strcmp(needs, "write") == 0 && !e2c_fs_writable(fs))
		return "filesystem is open read-only (use: open -w, to "
		       "reopen it for write)";
	if (strcmp(needs, "bitmaps") == 0 && e2c_fs_catastrophic(fs))
		return "bitmaps not loaded (filesystem opened with -c)";
	return NULL;
}

/* ---- -j: a command's data as JSON ------------------------------------ */

#define DISCARD "e2sh.discard"

/* While a json = true command runs under -j, what it writes goes
 * nowhere: the shell's stream and io.output point at a sink.  The state
 * is a to-be-closed userdata, so an error on the way puts them back. */
struct discard {
	struct e2sh *sh;
	FILE *saved;		/* the shell's stream before */
	FILE *sink;		/* NULL once put back */
};

static ssize_t sink_write(void *cookie, const char *buf, size_t size)
{
	(void)cookie;
	(void)buf;
	return (ssize_t)size;
}

/* Call io.output with the value on top (popped); the previous output is
 * pushed. */
static void swap_output(lua_State *L)
{
	lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
	lua_getfield(L, -1, "io");
	lua_getfield(L, -1, "output");			/* [new, loaded, io, f] */
	lua_replace(L, -3);
	lua_pop(L, 1);					/* [new, f] */
	lua_pushvalue(L, -1);
	lua_call(L, 0, 1);				/* [new, f, old] */
	lua_rotate(L, -3, 1);				/* [old, new, f] */
	lua_insert(L, -2);				/* [old, f, new] */
	lua_call(L, 1, 0);				/* [old] */
}

/* The capture as a Lua file, for io.write: closing it from Lua only marks
 * it closed (the shell closes the stream). */
static int capture_close(lua_State *L)
{
	return luaL_fileresult(L, 1, NULL);
}

static int discard_close(lua_State *L)
{
	struct discard *d = luaL_checkudata(L, 1, DISCARD);
	luaL_Stream *stream;

	if (!d->sink)
		return 0;
	d->sh->out = d->saved;
	lua_getiuservalue(L, 1, 2);
	stream = lua_touserdata(L, -1);
	stream->closef = NULL;		/* a kept reference sees it closed */
	lua_getiuservalue(L, 1, 1);			/* the old io.output */
	swap_output(L);
	fclose(d->sink);
	d->sink = NULL;
	return 0;
}

/* Push the to-be-closed state of a discard (marked by the caller). */
static void discard_begin(lua_State *L)
{
	static const cookie_io_functions_t io = { .write = sink_write };
	struct e2sh *sh = e2sh_get(L);
	struct discard *d;
	luaL_Stream *stream;

	if (luaL_newmetatable(L, DISCARD)) {
		lua_pushcfunction(L, discard_close);
		lua_setfield(L, -2, "__close");
		lua_pushcfunction(L, discard_close);
		lua_setfield(L, -2, "__gc");
	}
	lua_pop(L, 1);
	d = lua_newuserdatauv(L, sizeof(*d), 2);	/* [d] */
	d->sink = NULL;
	luaL_setmetatable(L, DISCARD);
	stream = lua_newuserdatauv(L, sizeof(*stream), 0);
	stream->closef = NULL;
	luaL_setmetatable(L, LUA_FILEHANDLE);		/* [d, stream] */
	d->sink = fopencookie(NULL, "w", io);
	if (!d->sink)
		luaL_error(L, "cannot discard the text output");
	d->sh = sh;
	d->saved = sh->out;
	stream->f = d->sink;
	stream->closef = capture_close;
	lua_pushvalue(L, -1);
	lua_setiuservalue(L, -3, 2);
	swap_output(L);					/* [d, old] */
	lua_setiuservalue(L, -2, 1);
	sh->out = d->sink;
}

/* Whether word is the -j of a command that has JSON. */
static int is_json_flag(const char *word)
{
	return strcmp(word, "-j") == 0 || strcmp(word, "--json") == 0;
}

/*
 * -j: call the command's json function (or its run, text discarded, when
 * json is true) with the nargs arguments on top, below them the function
 * slot at fn; print the data it returns as JSON, then raise the error it
 * returned second, if any.
 */
static void run_json(lua_State *L, int decl, int fn, int nargs)
{
	const char *name = strfield(L, decl, "name");
	int top, discard = lua_isboolean(L, fn);

	if (discard) {
		rawfield(L, decl, "run");
		lua_replace(L, fn);
		discard_begin(L);
		lua_insert(L, fn);		/* below the function */
		lua_toclose(L, fn);
		fn++;
	}
	lua_call(L, nargs, 2);				/* [.., data, err] */
	if (discard)
		lua_closeslot(L, fn - 1);
	top = lua_gettop(L);
	if (!lua_istable(L, top - 1))
		luaL_error(L, "%s -j: the command gave no data (got %s)", name,
			   luaL_typename(L, top - 1));
	lua_pushcfunction(L, e2l_json);
	lua_pushvalue(L, top - 1);
	lua_call(L, 1, 1);
	fprintf(e2sh_out(L), "%s\n", lua_tostring(L, -1));
	fflush(e2sh_out(L));
	lua_pop(L, 1);
	if (!lua_isnil(L, top))
		lua_error(L);
}

/* The command of the words at 1 (light userdata), checked and run; raises
 * as the command does.  The shell's current command is set for messages
 * (restored by whoever called this protected). */
static int call_command(lua_State *L)
{
	struct e2sh_words *w = lua_touserdata(L, 1);
	struct e2sh *sh = e2sh_get(L);
	const char *name = w->argv[0];
	lua_Integer min, max;
	int decl, fsi, i, paths, nargs, json, want = 0, ended = 0;
	const char *usage, *why, *args;
	e2c_fs *fs;

	if (!e2sh_pushcmd(L, name, strlen(name)))
		return luaL_error(L, "%s: no such command (help lists them)",
				  name);
	decl = lua_gettop(L);
	sh->cmd = w;
	sh->cmd_lua = strcmp(strfield(L, decl, "source"), "C") != 0;
	json = rawfield(L, decl, "json");		/* LUA_TNIL: none */
	lua_pop(L, 1);
	/* -j and --json are the registry's: the command never sees them */
	for (i = 1; json != LUA_TNIL && i < w->argc && !ended; i++) {
		ended = strcmp(w->argv[i], "--") == 0;
		want |= is_json_flag(w->argv[i]);
	}
	nargs = w->argc - 1;
	for (i = 1, ended = 0; want && i < w->argc && !ended; i++) {
		ended = strcmp(w->argv[i], "--") == 0;
		nargs -= is_json_flag(w->argv[i]);
	}
	min = intfield(L, decl, "min");
	max = intfield(L, decl, "max");
	if (nargs < min || (max >= 0 && nargs > max)) {
		usage = strfield(L, decl, "usage");
		return luaL_error(L, "Usage: %s%s%s", name, *usage ? " " : "",
				  usage);
	}
	why = unmet(L, strfield(L, decl, "needs"));
	if (why)
		return luaL_error(L, "%s: %s", name, why);
	args = strfield(L, decl, "args");
	paths = strcmp(args, "inode") == 0 || strcmp(args, "file") == 0;
	fs = paths ? e2sh_pushfs(L) : NULL;
	fsi = lua_gettop(L);
	rawfield(L, decl, want ? "json" : "run");
	luaL_checkstack(L, w->argc, "too many arguments");
	for (i = 1, ended = 0; i < w->argc; i++) {
		if (want && !ended && is_json_flag(w->argv[i]))
			continue;
		ended |= strcmp(w->argv[i], "--") == 0;
		if (!fs || !w->pat[i])
			lua_pushstring(L, w->argv[i]);
		else if (!e2sh_glob(L, fs, e2l_getcwd(L, fsi), w->pat[i]))
			return luaL_error(L, "%s %s: no such file (nothing "
					  "matches the pattern)", name,
					  w->argv[i]);
	}
	nargs = lua_gettop(L) - fsi - 1;
	if (max >= 0 && nargs > max) {
		usage = strfield(L, decl, "usage");
		return luaL_error(L, "%s: %d files match, at most %d allowed "
				  "here\nUsage: %s%s%s", name, nargs,
				  (int)max, name, *usage ? " " : "", usage);
	}
	if (want) {
		run_json(L, decl, fsi + 1, nargs);
	} else if (json == LUA_TBOOLEAN) {
		/* json = true: run returns its data, and may return an error
		 * after it, raised now that the text is out */
		lua_call(L, nargs, 2);
		if (!lua_isnil(L, -1))
			lua_error(L);
	} else {
		lua_call(L, nargs, 0);
	}
	return 0;
}

int e2sh_command(struct e2sh *sh, const char *line)
{
	lua_State *L = sh->L;
	int top = lua_gettop(L), status = 0;
	struct e2sh_words *w;
	const char *err;

	w = e2sh_tokenize(L, line, &err);
	if (!w) {
		e2sh_fail(sh, err);
		return 1;
	}
	lua_pushcfunction(L, call_command);
	lua_pushlightuserdata(L, w);
	if (e2sh_docall(sh, 1, 0, E2SH_COMMAND) != LUA_OK) {
		e2sh_fail(sh, lua_tostring(L, -1));
		status = 1;
	}
	sh->cmd = NULL;
	lua_settop(L, top);
	return status;
}

/* ---- e2.run: a command's output as a string --------------------------- */

/* e2.run(line) -> what the command wrote (its output stream, print and
 * io.write).  Its error is raised as it was raised. */
static int e2_run(lua_State *L)
{
	const char *line = luaL_checkstring(L, 1);
	struct e2sh *sh = e2sh_get(L);
	struct e2sh_words *w, *saved_cmd = sh->cmd;
	int saved_lua = sh->cmd_lua, status;
	FILE *saved_out = sh->out, *f;
	luaL_Stream *stream;
	char *buf = NULL;
	size_t len = 0;
	const char *err;

	e2l_checknargs(L, 1);
	w = e2sh_tokenize(L, line, &err);		/* [line, w] */
	if (!w)
		return luaL_error(L, "e2.run: %s", err);
	if (w->argc == 0)
		return luaL_error(L, "e2.run: no command given");
	stream = lua_newuserdatauv(L, sizeof(*stream), 0);
	stream->closef = NULL;				/* closed until set */
	luaL_setmetatable(L, LUA_FILEHANDLE);
	f = open_memstream(&buf, &len);
	if (!f)
		return luaL_fileresult(L, 0, "e2.run");
	stream->f = f;
	stream->closef = capture_close;
	lua_pushvalue(L, -1);
	swap_output(L);				/* [line, w, stream, old] */
	sh->out = f;
	lua_pushcfunction(L, call_command);
	lua_pushlightuserdata(L, w);
	status = lua_pcall(L, 1, 0, 0);			/* [.., old, err?] */
	sh->out = saved_out;
	sh->cmd = saved_cmd;
	sh->cmd_lua = saved_lua;
	stream->closef = NULL;		/* a kept reference sees it closed */
	fclose(f);
	lua_pushvalue(L, 4);
	swap_output(L);
	lua_pop(L, 1);
	if (status != LUA_OK) {
		free(buf);
		return lua_error(L);
	}
	lua_pushlstring(L, buf, len);
	free(buf);
	return 1;
}

/* print(...): Lua's, to the shell's output stream (so e2.run gets it). */
static int sh_print(lua_State *L)
{
	FILE *out = e2sh_out(L);
	int i, n = lua_gettop(L);
	const char *s;
	size_t len;

	for (i = 1; i <= n; i++) {
		s = luaL_tolstring(L, i, &len);
		if (i > 1)
			fputc('\t', out);
		fwrite(s, 1, len, out);
		lua_pop(L, 1);
	}
	fputc('\n', out);
	fflush(out);
	return 0;
}

void e2sh_run_open(lua_State *L)
{
	lua_pushcfunction(L, sh_print);
	lua_setglobal(L, "print");
	lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
	lua_getfield(L, -1, "e2");
	lua_pushcfunction(L, e2_run);
	lua_setfield(L, -2, "run");
	lua_pop(L, 2);
}
