/*
 * repl.c -- the one input loop behind every source of lines (-R, -f,
 * source, piped stdin, the terminal), the protected call that every chunk
 * and command runs under, and error messages with positions.
 *
 * A line is a comment (#), a command (its first word is in e2.commands),
 * an expression to print (=expr) or Lua, compiled the way lua.c does:
 * first as "return <line>;" so bare expressions print (tables through
 * e2.pretty), then as a statement, reading continuation lines while the
 * chunk is incomplete.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "shell.h"

static const char state_key;	/* registry key of the struct e2sh */

static lua_CFunction error_fn;	/* Lua's error(), to know what it raised */

void e2sh_set(lua_State *L, struct e2sh *sh)
{
	lua_pushlightuserdata(L, sh);
	lua_rawsetp(L, LUA_REGISTRYINDEX, &state_key);
	lua_getglobal(L, "error");
	error_fn = lua_tocfunction(L, -1);
	lua_pop(L, 1);
}

struct e2sh *e2sh_get(lua_State *L)
{
	struct e2sh *sh;

	lua_rawgetp(L, LUA_REGISTRYINDEX, &state_key);
	sh = lua_touserdata(L, -1);
	lua_pop(L, 1);
	return sh;
}

FILE *e2sh_out(lua_State *L)
{
	return e2sh_get(L)->out;
}

/* ---- protected calls and Ctrl-C (lua.c's scheme) ---------------------- */

static lua_State *signal_L;	/* where the SIGINT handler sets its hook */

/* Raise the interruption from inside Lua, where unwinding is safe. */
static void stop_hook(lua_State *L, lua_Debug *ar)
{
	(void)ar;
	lua_sethook(L, NULL, 0, 0);
	luaL_error(L, "interrupted!");
}

/* First Ctrl-C: stop at the next Lua step (and tell the core's loops);
 * a second one kills, in case nothing reaches Lua again. */
static void on_sigint(int sig)
{
	signal(sig, SIG_DFL);
	e2c_interrupted = 1;
	lua_sethook(signal_L, stop_hook,
		    LUA_MASKCALL | LUA_MASKRET | LUA_MASKLINE | LUA_MASKCOUNT, 1);
}

/* Whether the value at idx is an e2.error object. */
static int is_e2error(lua_State *L, int idx)
{
	int yes;

	if (!lua_getmetatable(L, idx))
		return 0;
	luaL_getmetatable(L, E2L_ERROR);
	yes = lua_rawequal(L, -1, -2);
	lua_pop(L, 2);
	return yes;
}

/*
 * An e2.error with a status field (1 to 125) is a message for the user,
 * not a bug (a policy's usage error, its "files were left" ending): it is
 * printed as it is, without the script's line, and e2lua exits with that
 * status (e2sh_fail).  Whether the error at idx is one.
 */
static int user_status(lua_State *L, int idx)
{
	lua_Integer st;
	int isint;

	lua_getfield(L, idx, "status");
	st = lua_tointegerx(L, -1, &isint);
	lua_pop(L, 1);
	if (!isint || st < 1 || st > 125)
		return 0;
	e2sh_get(L)->status = (int)st;
	return 1;
}

/* Push "src:line: " for the innermost Lua function running, or "". */
static const char *push_where(lua_State *L)
{
	lua_Debug ar;
	int level;

	for (level = 1; lua_getstack(L, level, &ar); level++) {
		lua_getinfo(L, "Sl", &ar);
		if (ar.currentline > 0)
			return lua_pushfstring(L, "%s:%d: ", ar.short_src,
					       ar.currentline);
	}
	lua_pushliteral(L, "");
	return "";
}

static int starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Whether s is one of the names of the command named cmd. */
static int is_cmd_name(lua_State *L, const char *cmd, const char *s)
{
	int yes = strcmp(cmd, s) == 0;
	lua_Integer i;

	if (yes || !e2sh_pushcmd(L, cmd, strlen(cmd)))
		return yes;
	lua_getfield(L, -1, "name");
	yes = lua_type(L, -1) == LUA_TSTRING &&
	      strcmp(lua_tostring(L, -1), s) == 0;
	lua_getfield(L, -2, "aliases");
	for (i = 1; !yes && lua_istable(L, -1); i++) {
		if (lua_geti(L, -1, i) != LUA_TSTRING) {
			lua_pop(L, 1);
			break;
		}
		yes = strcmp(lua_tostring(L, -1), s) == 0;
		lua_pop(L, 1);
	}
	lua_pop(L, 3);
	return yes;
}

/*
 * An e2.error (at idx) of the command line w, named after the command
 * the user typed: "survey /home: ...", not "walk /home: ...".  Its own
 * operation (under any of the command's names) and an operation on one
 * of the arguments take the command's place; anything else is said
 * after it ("survey: walk /home/x: ...").
 */
static const char *push_cmd_e2error(lua_State *L, int idx,
				    const struct e2sh_words *w)
{
	const char *cmd = w->argv[0], *op, *obj;
	int i, own = 0, base = lua_gettop(L);

	lua_getfield(L, idx, "op");
	lua_getfield(L, idx, "object");
	lua_getfield(L, idx, "message");		/* [op, obj, msg] */
	op = lua_tostring(L, -3);
	obj = lua_tostring(L, -2);
	if (op && is_cmd_name(L, cmd, op))
		own = 1;
	/* The command with one of its options ("sum -a"): said as it is. */
	if (!own && op && strchr(op, ' ') && starts(op, cmd) &&
	    op[strlen(cmd)] == ' ') {
		if (obj)
			lua_pushfstring(L, "%s %s: %s", op, obj,
					lua_tostring(L, -1));
		else
			lua_pushfstring(L, "%s: %s", op, lua_tostring(L, -1));
		lua_replace(L, base + 1);
		lua_settop(L, base + 1);
		return lua_tostring(L, -1);
	}
	for (i = 1; !own && obj && i < w->argc; i++)
		own = strcmp(w->argv[i], obj) == 0;
	if (own && obj)
		lua_pushfstring(L, "%s %s: %s", cmd, obj, lua_tostring(L, -1));
	else if (own)
		lua_pushfstring(L, "%s: %s", cmd, lua_tostring(L, -1));
	else
		lua_pushfstring(L, "%s: %s", cmd, luaL_tolstring(L, idx, NULL));
	lua_replace(L, base + 1);
	lua_settop(L, base + 1);
	return lua_tostring(L, -1);
}

/*
 * Turn the error object into the message to print.  Errors raised on
 * purpose -- error(), assert(), a failing filesystem operation (an
 * e2.error), a command's refusal -- print their message; from Lua chunks
 * positioned at the line of Lua that got them.  A Lua bug -- an error the
 * Lua VM raised running Lua code (indexing nil, ...) or a bad argument to
 * a function -- also gets a traceback, as lua.c prints; --traceback gives
 * every error one.  An e2.error with a status (user_status) is printed as
 * it is.  Errors of commands name the command as typed (upvalue 1
 * false); those of Lua commands lose the position inside the command's
 * script unless they are bugs.
 */
static int msghandler(lua_State *L)
{
	int chunk = lua_toboolean(L, lua_upvalueindex(1));
	struct e2sh *sh = e2sh_get(L);
	const struct e2sh_words *w = chunk ? NULL : sh->cmd;
	int vm = 0, by_error = 0, e2err = is_e2error(L, 1), bug;
	int plain = e2err && user_status(L, 1);
	const char *msg, *where, *nofs;
	lua_Debug ar;

	/* Who raised it: level 1 is the function that was running. */
	if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "Sf", &ar)) {
		vm = ar.what[0] != 'C';
		by_error = lua_tocfunction(L, -1) == error_fn;
		lua_pop(L, 1);
	}
	if (e2err && w && !plain)
		msg = push_cmd_e2error(L, 1, w);
	else if (e2err || lua_type(L, 1) == LUA_TSTRING ||
		 luaL_getmetafield(L, 1, "__tostring") != LUA_TNIL)
		msg = luaL_tolstring(L, 1, NULL);
	else
		msg = lua_pushfstring(L, "(error object is a %s value)",
				      luaL_typename(L, 1));
	lua_replace(L, 1);
	lua_settop(L, 1);
	where = push_where(L);				/* [msg, where] */
	bug = !e2c_interrupted && !e2err &&
	      (vm || starts(starts(msg, where) ? msg + strlen(where) : msg,
			    "bad argument #"));
	/* fs.super with no image open: say so rather than "index nil" */
	nofs = strstr(msg, "attempt to index a nil value (global 'fs')");
	if (vm && nofs && !e2sh_fs(L)) {
		lua_pushlstring(L, msg, nofs - msg);
		lua_pushliteral(L, "no filesystem is open (use: open IMAGE)");
		lua_concat(L, 2);
		lua_replace(L, 1);
		bug = 0;
	}
	msg = lua_tostring(L, 1);
	if (chunk && !plain && !vm && !by_error && !starts(msg, where)) {
		lua_rotate(L, 1, 1);
		lua_concat(L, 2);			/* where .. msg */
	} else if (w && sh->cmd_lua && !e2err) {
		const char *cmd = w->argv[0];
		size_t n = strlen(cmd);

		if (!bug && *where && starts(msg, where))
			msg += strlen(where);
		if (strncmp(msg, cmd, n) == 0 && (msg[n] == ' ' ||
						  msg[n] == ':'))
			lua_pushstring(L, msg);
		else if (starts(msg, "Usage: "))
			lua_pushstring(L, msg);
		else
			lua_pushfstring(L, "%s: %s", cmd, msg);
		lua_replace(L, 1);
	}
	lua_settop(L, 1);
	if (bug || sh->traceback)
		luaL_traceback(L, L, lua_tostring(L, 1), 1);
	return 1;
}

int e2sh_docall(struct e2sh *sh, int narg, int nres, enum e2sh_how how)
{
	lua_State *L = sh->L;
	int base = lua_gettop(L) - narg;	/* the function's index */
	struct sigaction sa, old;
	int status;

	lua_pushboolean(L, how == E2SH_CHUNK);
	lua_pushcclosure(L, msghandler, 1);
	lua_insert(L, base);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	signal_L = L;
	sigaction(SIGINT, &sa, &old);
	status = lua_pcall(L, narg, nres, base);
	sigaction(SIGINT, &old, NULL);
	lua_sethook(L, NULL, 0, 0);	/* a Ctrl-C that came too late */
	lua_remove(L, base);
	if (status == LUA_OK)
		sh->status = 0;		/* an inner failure was caught */
	if (e2c_interrupted)
		sh->stop = 1;
	return status;
}

/* ---- messages ---------------------------------------------------------- */

/* Whether msg starts with "name:<line>:" (Lua positioned it already). */
static int has_position(const char *msg, const char *name)
{
	size_t n = strlen(name);

	if (strncmp(msg, name, n) != 0 || msg[n] != ':')
		return 0;
	msg += n + 1;
	if (*msg < '0' || *msg > '9')
		return 0;
	msg += strspn(msg, "0123456789");
	return *msg == ':';
}

void e2sh_report(struct e2sh *sh, const char *msg)
{
	struct e2sh_input *in = sh->in;

	sh->status = 0;		/* reported, not failed: no exit status */
	e2sh_pager_flush();
	fflush(stdout);		/* keep transcripts in order with 2>&1 */
	if (in == NULL || in->oneshot)
		fprintf(stderr, "%s: %s\n", E2SH_PROGNAME, msg);
	else if (in->tty || has_position(msg, in->name))
		fprintf(stderr, "%s\n", msg);
	else
		fprintf(stderr, "%s:%lu: %s\n", in->name, in->start, msg);
	fflush(stderr);
}

void e2sh_fail(struct e2sh *sh, const char *msg)
{
	int status = sh->status ? sh->status : 1;

	e2sh_report(sh, msg);
	if (status > sh->failed)
		sh->failed = status;
	if (sh->bail)
		sh->stop = 1;
}

/* ---- reading ----------------------------------------------------------- */

/* Next line of in, newline stripped, into in->buf: 1, or 0 at the end of
 * the input, or -1 when Ctrl-C discarded the line at the prompt. */
static int next_line(struct e2sh_input *in, int cont, char **line)
{
	if (in->tty) {
		char *l;
		int r = e2sh_rl_read(cont ? E2SH_PROMPT2 : E2SH_PROMPT, &l);

		if (r <= 0)
			return r;
		free(in->buf);
		in->buf = l;
		in->cap = strlen(l) + 1;
	} else if (in->fp) {
		ssize_t n = getline(&in->buf, &in->cap, in->fp);

		if (n < 0)
			return 0;
		in->buf[strcspn(in->buf, "\r\n")] = '\0';
	} else {
		const char *nl;
		size_t n;

		if (in->str == NULL)
			return 0;
		nl = strchr(in->str, '\n');
		n = nl ? (size_t)(nl - in->str) : strlen(in->str);
		if (n + 1 > in->cap) {
			char *b = realloc(in->buf, n + 1);

			if (!b)
				return 0;
			in->buf = b;
			in->cap = n + 1;
		}
		memcpy(in->buf, in->str, n);
		in->buf[n] = '\0';
		in->str = nl ? nl + 1 : NULL;
	}
	in->lineno++;
	*line = in->buf;
	return 1;
}

/* ---- Lua lines ----------------------------------------------------------- */

/* Reader that puts start-1 newlines before the code, so the chunk's line
 * numbers are the input's: "cmds.txt:7: ..." in messages and tracebacks. */
struct chunk_src {
	const char *code;	/* NULL once handed out */
	size_t len;
	unsigned long pad;	/* newlines still to emit */
	char nl[512];
};

static const char *chunk_reader(lua_State *L, void *ud, size_t *size)
{
	struct chunk_src *c = ud;
	const char *p;

	(void)L;
	if (c->pad) {
		*size = c->pad < sizeof(c->nl) ? c->pad : sizeof(c->nl);
		c->pad -= *size;
		return c->nl;
	}
	p = c->code;
	*size = c->len;
	c->code = NULL;
	return p;
}

/* Compile code (a Lua string at the top, kept) as an entry of the current
 * input; pushes the function or the error message. */
static int load_entry(struct e2sh *sh)
{
	lua_State *L = sh->L;
	struct e2sh_input *in = sh->in;
	struct chunk_src c;
	int status;

	c.code = lua_tolstring(L, -1, &c.len);
	c.pad = (in->tty || in->oneshot) ? 0 : in->start - 1;
	memset(c.nl, '\n', sizeof(c.nl));
	lua_pushfstring(L, "=%s", in->name);
	status = lua_load(L, chunk_reader, &c, lua_tostring(L, -1), "t");
	lua_remove(L, -2);				/* the chunk name */
	return status;
}

/* lua.c's test: a syntax error at <eof> means "read more". */
static int incomplete(lua_State *L)
{
	size_t len;
	const char *msg = lua_tolstring(L, -1, &len);

	return len >= 5 && strcmp(msg + len - 5, "<eof>") == 0;
}

/* History gets what was typed at the terminal, not lines of files. */
static void remember(struct e2sh_input *in, const char *entry)
{
	if (in->tty)
		e2sh_rl_remember(entry);
}

/*
 * The values on the stack as the REPL shows results: tables and userdata
 * through e2.pretty (the module's field, so a script may replace it),
 * the rest as print shows them; tab-separated, on the shell's output.
 */
static int show_results(lua_State *L)
{
	int i, n = lua_gettop(L);
	luaL_Buffer b;

	luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
	lua_getfield(L, -1, "e2");
	lua_getfield(L, -1, "pretty");			/* [vals, loaded, e2, f] */
	luaL_buffinit(L, &b);
	for (i = 1; i <= n; i++) {
		if (i > 1)
			luaL_addchar(&b, '\t');
		if ((lua_istable(L, i) || lua_isuserdata(L, i)) &&
		    lua_isfunction(L, n + 3)) {
			lua_pushvalue(L, n + 3);
			lua_pushvalue(L, i);
			lua_call(L, 1, 1);
			if (!lua_isstring(L, -1))
				luaL_error(L, "e2.pretty returned a %s",
					   luaL_typename(L, -1));
		} else {
			luaL_tolstring(L, i, NULL);
		}
		luaL_addvalue(&b);
	}
	luaL_addchar(&b, '\n');
	luaL_pushresult(&b);
	fwrite(lua_tostring(L, -1), 1, lua_rawlen(L, -1), e2sh_out(L));
	fflush(e2sh_out(L));
	return 0;
}

static void fail_lua(struct e2sh *sh, const char *word);

/* Run the function on top; print what it returns. */
static void run_chunk(struct e2sh *sh, int base, const char *word)
{
	lua_State *L = sh->L;
	int n, paged;

	if (e2sh_docall(sh, 0, LUA_MULTRET, E2SH_CHUNK) != LUA_OK) {
		fail_lua(sh, word);
		return;
	}
	n = lua_gettop(L) - base;
	if (n == 0)
		return;
	luaL_checkstack(L, LUA_MINSTACK, "too many results to print");
	lua_pushcfunction(L, show_results);
	lua_insert(L, base + 1);
	paged = sh->in && sh->in->tty && e2sh_pager_begin(sh);
	if (e2sh_docall(sh, n, 0, E2SH_CHUNK) != LUA_OK)
		e2sh_fail(sh, lua_pushfstring(L, "error showing the results "
					      "(%s)", lua_tostring(L, -1)));
	if (paged)
		e2sh_pager_end(sh);
}

/* A Lua failure of an entry whose first word is neither a command nor a
 * Lua name: most likely a mistyped command, so say that too. */
static void fail_lua(struct e2sh *sh, const char *word)
{
	lua_State *L = sh->L;

	if (word) {
		const char *msg = lua_tostring(L, -1);

		lua_pushfstring(L, "%s: no such command (help lists them); as "
				"Lua: ", word);
		lua_pushlstring(L, msg, strcspn(msg, "\n"));
		lua_concat(L, 2);
	}
	e2sh_fail(sh, lua_tostring(L, -1));
}

/*
 * A Lua entry starting with text (which lives in in->buf: copied before
 * the next read).  expr: text is an expression to print (=expr).  word:
 * the first word when it may be a mistyped command, else NULL.
 */
static void run_lua(struct e2sh *sh, struct e2sh_input *in, const char *text,
		    int expr, const char *word)
{
	lua_State *L = sh->L;
	int base = lua_gettop(L);
	char *line;
	int status, r;

	if (!expr) {
		lua_pushfstring(L, "return %s;", text);
		status = load_entry(sh);		/* [code, fn|msg] */
		if (status == LUA_OK) {
			remember(in, text);
			lua_remove(L, -2);
			run_chunk(sh, base, word);
			lua_settop(L, base);
			return;
		}
		lua_settop(L, base);
	}
	lua_pushstring(L, expr ? "return " : "");
	lua_pushstring(L, text);
	lua_concat(L, 2);				/* [code] */
	for (;;) {
		status = load_entry(sh);		/* [code, fn|msg] */
		if (status != LUA_ERRSYNTAX || !incomplete(L))
			break;
		r = next_line(in, 1, &line);
		if (r < 0) {				/* Ctrl-C: drop it */
			lua_settop(L, base);
			return;
		}
		if (r == 0)		/* the input ended inside the chunk */
			break;
		if (in->echo)
			printf("%s%s\n", E2SH_PROMPT2, line);
		lua_pop(L, 1);
		lua_pushliteral(L, "\n");
		lua_pushstring(L, line);
		lua_concat(L, 3);			/* [code] */
	}
	if (in->tty) {
		const char *code = lua_tostring(L, -2);

		if (expr)
			code = lua_pushfstring(L, "=%s", code + 7);
		remember(in, code);
		if (expr)
			lua_pop(L, 1);
	}
	lua_remove(L, -2);				/* [fn|msg] */
	if (status == LUA_OK)
		run_chunk(sh, base, word);
	else
		fail_lua(sh, word);
	lua_settop(L, base);
}

/* ---- entries ------------------------------------------------------------ */

/* The first word (len bytes) if it could be a mistyped command: a name
 * that is not a Lua keyword nor a global; pushed, or NULL. */
static const char *push_unknown_word(lua_State *L, const char *p, size_t len)
{
	static const char *const keywords[] = {
		"and", "break", "do", "else", "elseif", "end", "false", "for",
		"function", "goto", "if", "in", "local", "nil", "not", "or",
		"repeat", "return", "then", "true", "until", "while", NULL
	};
	const char *word;
	int i;

	if (len == 0 || strspn(p, "abcdefghijklmnopqrstuvwxyz"
			   "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != len ||
	    (*p >= '0' && *p <= '9'))
		return NULL;
	word = lua_pushlstring(L, p, len);
	for (i = 0; keywords[i]; i++)
		if (strcmp(word, keywords[i]) == 0)
			goto no;
	lua_pushglobaltable(L);
	lua_pushvalue(L, -2);
	if (lua_rawget(L, -2) == LUA_TNIL) {
		lua_pop(L, 2);
		return word;
	}
	lua_pop(L, 2);
no:
	lua_pop(L, 1);
	return NULL;
}

/* Whether the declaration on top is the one of the "lua" command. */
static int is_lua_cmd(lua_State *L)
{
	int yes;

	lua_pushliteral(L, "name");
	lua_rawget(L, -2);
	yes = lua_type(L, -1) == LUA_TSTRING &&
	      strcmp(lua_tostring(L, -1), "lua") == 0;
	lua_pop(L, 1);
	return yes;
}

static void run_entry(struct e2sh *sh, struct e2sh_input *in, char *line)
{
	lua_State *L = sh->L;
	const char *p = line + strspn(line, " \t");
	size_t wlen = strcspn(p, " \t");
	int top = lua_gettop(L), paged;

	in->start = in->lineno;
	if (*p == '#') {
		if (in->echo)
			printf("%s\n", line);
		return;
	}
	if (in->echo)
		printf("%s%s\n", E2SH_PROMPT, line);
	if (*p == '\0')
		return;
	if (*p == '=') {
		run_lua(sh, in, p + 1, 1, NULL);
		return;
	}
	if (!e2sh_pushcmd(L, p, wlen)) {
		const char *word = push_unknown_word(L, p, wlen);

		if (word && p[wlen + strspn(p + wlen, " \t")] == '\0')
			e2sh_fail(sh, lua_pushfstring(L, "%s: no such command "
						      "(help lists them)", word));
		else
			run_lua(sh, in, p, 0, word);
		lua_settop(L, top);
		return;
	}
	if (is_lua_cmd(L)) {
		const char *rest = p + wlen + strspn(p + wlen, " \t");

		if (*rest) {
			lua_pop(L, 1);
			run_lua(sh, in, rest, 0, NULL);
			return;
		}
	}
	lua_settop(L, top);
	remember(in, line);
	paged = in->tty && e2sh_pager_begin(sh);
	e2sh_command(sh, p);
	if (paged)
		e2sh_pager_end(sh);
}

void e2sh_run_input(struct e2sh *sh, struct e2sh_input *in)
{
	struct e2sh_input *outer = sh->in;
	char *line;
	int r = 1;

	sh->in = in;
	sh->depth++;
	while (!sh->quit) {
		if (in->tty) {		/* a new prompt forgets the past */
			sh->stop = 0;
			e2c_interrupted = 0;
		} else if (sh->stop) {
			break;
		}
		r = next_line(in, 0, &line);
		if (r == 0)
			break;
		if (r > 0)
			run_entry(sh, in, line);
	}
	if (in->tty && r == 0)
		fputc('\n', stdout);	/* Ctrl-D leaves the cursor mid-line */
	fflush(stdout);
	free(in->buf);
	in->buf = NULL;
	in->cap = 0;
	sh->in = outer;
	sh->depth--;
}

int e2sh_source(struct e2sh *sh, const char *path)
{
	struct e2sh_input in = { 0 };
	int std = strcmp(path, "-") == 0;

	struct stat st;
	int err = 0;

	in.name = std ? "stdin" : path;
	in.echo = 1;
	in.fp = std ? stdin : fopen(path, "r");
	if (!in.fp)
		return errno;
	/* fopen takes a directory; reading it fails, which looks like an
	 * empty file. */
	if (!std && fstat(fileno(in.fp), &st) == 0 && S_ISDIR(st.st_mode))
		err = EISDIR;
	if (!err) {
		e2sh_run_input(sh, &in);
		if (ferror(in.fp))
			err = EIO;
	}
	if (!std)
		fclose(in.fp);
	return err;
}

/* ---- scripts -------------------------------------------------------------- */

/* Push the file to run for script: itself, or for a bare NAME that is not
 * a file, <scripts>/NAME.lua if that exists. */
static const char *push_script_path(struct e2sh *sh, const char *script)
{
	struct stat st;

	if (!strchr(script, '/') && sh->scripts && stat(script, &st) != 0) {
		const char *path = lua_pushfstring(sh->L, "%s/%s.lua",
						   sh->scripts, script);

		if (stat(path, &st) == 0)
			return path;
		lua_pop(sh->L, 1);
	}
	return lua_pushstring(sh->L, script);
}

int e2sh_run_script(struct e2sh *sh, const char *script, int nargs)
{
	lua_State *L = sh->L;
	int first = lua_gettop(L) - nargs + 1;	/* first argument */
	int i, status;
	const char *path;

	lua_getglobal(L, "arg");			/* [args, oldarg] */
	path = push_script_path(sh, script);		/* [args, oldarg, path] */
	lua_createtable(L, nargs, 1);
	lua_pushvalue(L, -2);
	lua_rawseti(L, -2, 0);
	for (i = 0; i < nargs; i++) {
		lua_pushvalue(L, first + i);
		lua_rawseti(L, -2, i + 1);
	}
	lua_setglobal(L, "arg");			/* [args, oldarg, path] */
	status = luaL_loadfilex(L, path, NULL);
	if (status == LUA_OK) {
		for (i = 0; i < nargs; i++)
			lua_pushvalue(L, first + i);
		status = e2sh_docall(sh, nargs, 0, E2SH_CHUNK);
	}
	lua_pushvalue(L, first + nargs);
	lua_setglobal(L, "arg");			/* put the old one back */
	if (status == LUA_OK) {
		lua_settop(L, first - 1);
	} else {
		lua_replace(L, first);
		lua_settop(L, first);			/* [msg] */
	}
	return status;
}
