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
	c = getopt_long(o->argc, o->argv, spec, none, NULL);
	o->arg = optarg;
	o->ind = optind;
	if (c == '?' && optopt)
		luaL_error(o->L, "%s: unknown option '-%c'\nUsage: %s %s",
			   o->cmd, optopt, o->cmd, o->usage);
	if (c == '?')		/* "--word": getopt_long moved past it */
		luaL_error(o->L, "%s: unknown option '%s'\nUsage: %s %s",
			   o->cmd, o->argv[optind - 1], o->cmd, o->usage);
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
