/*
 * readline.c -- the terminal: line editing with GNU readline (its
 * callback interface, so that Ctrl-C at the prompt only discards the
 * line), the persistent history file, and tab completion from the
 * command registry, the open image's directories and Lua's tables.
 *
 * The library is loaded when a session turns interactive (e2sh_rl_open),
 * not linked: with libtinfo it is 0.3 MiB resident that -R, -f, scripts
 * and pipes never use (doc/bench.md, issue 12).  Its functions and
 * variables are reached through the table rl, typed by its headers.
 */
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <readline/readline.h>
#include <readline/history.h>

#include "shell.h"

/* The soname of the readline whose headers this was built with. */
#define RL_STR_(x) #x
#define RL_STR(x) RL_STR_(x)
#define RL_SONAME "libreadline.so." RL_STR(RL_VERSION_MAJOR)

#define RL_SYMS(X) X(add_history) X(clear_history) X(history_get) \
	X(read_history) X(write_history) X(stifle_history) \
	X(rl_callback_handler_install) X(rl_callback_handler_remove) \
	X(rl_callback_read_char) X(rl_callback_sigcleanup) \
	X(rl_cleanup_after_signal) X(rl_completion_matches) \
	X(rl_free_line_state) X(history_base) X(history_length) \
	X(history_comment_char) X(history_multiline_entries) \
	X(history_write_timestamps) X(rl_attempted_completion_function) \
	X(rl_attempted_completion_over) X(rl_catch_signals) \
	X(rl_completion_suppress_append) X(rl_instream) X(rl_outstream) \
	X(rl_line_buffer) X(rl_readline_name)
/* A function's address or a variable's (used as *rl.name). */
static struct {
#define X(s) __typeof__(s) *s;
	RL_SYMS(X)
#undef X
} rl;

#define HISTORY_MAX	2000
#define CHAIN_MAX	8	/* __index tables followed in completion */

static lua_State *rl_L;		/* the state completion looks into */
static char *history_file;	/* NULL: history is not saved */
static int active;		/* between e2sh_rl_open and _close */

/* ---- history ------------------------------------------------------------ */

/* $E2LUA_HISTORY (empty: none), else $XDG_STATE_HOME/e2lua_history, else
 * ~/.local/state/e2lua_history; the directory is created if missing. */
static char *history_path(void)
{
	const char *env = getenv("E2LUA_HISTORY");
	const char *state = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	char *dir, *p, *path;

	if (env)
		return *env ? strdup(env) : NULL;
	if (state && *state == '/')
		dir = strdup(state);
	else if (!home || !*home)
		return NULL;
	else if (asprintf(&dir, "%s/.local/state", home) < 0)
		dir = NULL;
	if (!dir)
		return NULL;
	for (p = dir + 1; *p; p++) {		/* mkdir -p */
		if (*p == '/') {
			*p = '\0';
			mkdir(dir, 0700);
			*p = '/';
		}
	}
	mkdir(dir, 0700);
	if (asprintf(&path, "%s/e2lua_history", dir) < 0)
		path = NULL;
	free(dir);
	return path;
}

void e2sh_rl_remember(const char *entry)
{
	HIST_ENTRY *last;

	if (!active || !*entry)
		return;
	last = *rl.history_length ?
		rl.history_get(*rl.history_base + *rl.history_length - 1) : NULL;
	if (!last || strcmp(last->line, entry) != 0)
		rl.add_history(entry);
}

/* ---- reading a line ------------------------------------------------------- */

static char *got_line;			/* what the line handler got */
static int got;				/* the handler ran */
static volatile sig_atomic_t got_sigint;

static void on_line(char *line)
{
	got_line = line;
	got = 1;
	rl.rl_callback_handler_remove();
}

static void on_prompt_sigint(int sig)
{
	(void)sig;
	got_sigint = 1;
}

int e2sh_rl_read(const char *prompt, char **line)
{
	struct sigaction sa, old;
	int fd = fileno(*rl.rl_instream ? *rl.rl_instream : stdin);
	fd_set fds;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_prompt_sigint;	/* no SA_RESTART: wake select */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old);
	got = 0;
	got_line = NULL;
	got_sigint = 0;
	fflush(stdout);
	rl.rl_callback_handler_install(prompt, on_line);
	while (!got && !got_sigint) {
		FD_ZERO(&fds);
		FD_SET(fd, &fds);
		if (select(fd + 1, &fds, NULL, NULL, NULL) < 0) {
			if (errno == EINTR)
				continue;
			rl.rl_callback_handler_remove();
			got = 1;			/* as end of input */
			break;
		}
		rl.rl_callback_read_char();
	}
	if (!got) {			/* Ctrl-C: drop the line, new prompt */
		rl.rl_free_line_state();
		rl.rl_callback_sigcleanup();
		rl.rl_cleanup_after_signal();
		rl.rl_callback_handler_remove();
		fputc('\n', *rl.rl_outstream ? *rl.rl_outstream : stdout);
	}
	sigaction(SIGINT, &old, NULL);
	if (!got)
		return -1;
	if (!got_line)
		return 0;
	*line = got_line;
	return 1;
}

/* ---- completion ------------------------------------------------------------ */

/* Candidates of the completion in progress: whole words, each starting
 * with the text being completed. */
static struct {
	char **v;
	size_t n, cap;
} cands;

static void cand_add(const char *head, size_t headlen, const char *name,
		     const char *tail)
{
	char *s;

	if (cands.n == cands.cap) {
		size_t cap = cands.cap ? 2 * cands.cap : 64;
		char **v = realloc(cands.v, cap * sizeof(*v));

		if (!v)
			return;
		cands.v = v;
		cands.cap = cap;
	}
	if (asprintf(&s, "%.*s%s%s", (int)headlen, head, name, tail) >= 0)
		cands.v[cands.n++] = s;
}

static void cand_clear(void)
{
	while (cands.n)
		free(cands.v[--cands.n]);
}

static int cand_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort and drop duplicates (a field found in a table and its __index). */
static void cand_sort(void)
{
	size_t i, n = 0;

	qsort(cands.v, cands.n, sizeof(*cands.v), cand_cmp);
	for (i = 0; i < cands.n; i++) {
		if (n && strcmp(cands.v[n - 1], cands.v[i]) == 0)
			free(cands.v[i]);
		else
			cands.v[n++] = cands.v[i];
	}
	cands.n = n;
}

static char *generator(const char *text, int state)
{
	static size_t i;

	(void)text;
	if (!state)
		i = 0;
	return i < cands.n ? strdup(cands.v[i++]) : NULL;
}

/* Command names and aliases starting with text. */
static void complete_commands(lua_State *L, const char *text)
{
	size_t len = strlen(text);

	e2sh_pushcommands(L);
	lua_pushnil(L);
	while (lua_next(L, -2)) {
		const char *k = lua_type(L, -2) == LUA_TSTRING ?
				lua_tostring(L, -2) : NULL;

		if (k && strncmp(k, text, len) == 0)
			cand_add("", 0, k, "");
		lua_pop(L, 1);
	}
}

/* [v] -> [the table v's lookups fall back to, or nil]: its metatable's
 * __index when that is a table, or the table a C __index function keeps
 * as its first upvalue (the methods of e2.fs and friends). */
static void next_index(lua_State *L)
{
	if (!lua_getmetatable(L, -1)) {
		lua_pop(L, 1);
		lua_pushnil(L);
		return;
	}
	lua_pushliteral(L, "__index");
	lua_rawget(L, -2);				/* [v, mt, idx] */
	if (lua_iscfunction(L, -1) && lua_getupvalue(L, -1, 1))
		lua_replace(L, -2);
	if (!lua_istable(L, -1)) {
		lua_pop(L, 1);
		lua_pushnil(L);
	}
	lua_replace(L, -3);
	lua_pop(L, 1);					/* [idx] */
}

static int is_ident(const char *s)
{
	if (!isalpha((unsigned char)*s) && *s != '_')
		return 0;
	while (isalnum((unsigned char)*s) || *s == '_')
		s++;
	return *s == '\0';
}

/* Keys of the value on top (popped) and of its __index chain starting
 * with partial; methods: functions only (after ':'). */
static void complete_keys(lua_State *L, const char *head, size_t headlen,
			  const char *partial, int methods)
{
	size_t len = strlen(partial);
	int depth, t;

	/* Fields computed by a C __index (e2.fs, e2.inode) are named by the
	 * metatable's __fields. */
	t = methods ? LUA_TNIL : luaL_getmetafield(L, -1, "__fields");
	if (t != LUA_TNIL) {
		lua_Integer i, n = t == LUA_TTABLE ? (lua_Integer)lua_rawlen(L, -1)
						   : 0;

		for (i = 1; i <= n; i++) {
			const char *k;

			lua_rawgeti(L, -1, i);
			k = lua_tostring(L, -1);
			if (k && strncmp(k, partial, len) == 0)
				cand_add(head, headlen, k, "");
			lua_pop(L, 1);
		}
		lua_pop(L, 1);
	}
	for (depth = 0; depth < CHAIN_MAX && !lua_isnil(L, -1); depth++) {
		if (lua_istable(L, -1)) {
			lua_pushnil(L);
			while (lua_next(L, -2)) {	/* [t, k, v] */
				const char *k = lua_type(L, -2) == LUA_TSTRING ?
						lua_tostring(L, -2) : NULL;

				if (k && is_ident(k) &&
				    strncmp(k, partial, len) == 0 &&
				    (!methods || lua_isfunction(L, -1)))
					cand_add(head, headlen, k, "");
				lua_pop(L, 1);
			}
		}
		next_index(L);
	}
	lua_pop(L, 1);
}

/* Globals, or fields after "." and methods after ":", for the name
 * chain (a.b.c:d) at the end of text. */
static void complete_lua(lua_State *L, const char *text)
{
	const char *chain = text + strlen(text), *sep = NULL, *s, *e;

	while (chain > text && (isalnum((unsigned char)chain[-1]) ||
				strchr("_.:", chain[-1])))
		chain--;
	for (s = chain; *s; s++)
		if (*s == '.' || *s == ':')
			sep = s;
	lua_pushglobaltable(L);
	if (!sep) {
		complete_keys(L, text, chain - text, chain, 0);
		return;
	}
	for (s = chain; s < sep; s = e + 1) {
		e = s + strcspn(s, ".:");
		if (*e == ':' && e != sep)		/* a:b.c is not a name */
			return;
		/* evaluate the prefix as Lua would (fs.super is computed
		 * by __index); this runs protected */
		lua_pushlstring(L, s, e - s);
		lua_gettable(L, -2);
		lua_remove(L, -2);
	}
	complete_keys(L, text, sep + 1 - text, sep + 1, *sep == ':');
}

/* Whether entry names a directory (file type, else the inode's mode). */
static int is_dir(e2c_fs *fs, const struct e2c_dirent *d)
{
	struct ext2_inode *inode;
	int yes = 0;

	if (d->ftype != EXT2_FT_UNKNOWN)
		return d->ftype == EXT2_FT_DIR;
	inode = malloc(e2c_inode_buf_size(fs));
	if (inode && e2c_read_inode(fs, d->ino, inode) == 0)
		yes = LINUX_S_ISDIR(inode->i_mode);
	free(inode);
	return yes;
}

/* Paths inside the open image: entries of text's directory part
 * (relative to the fs's cwd), directories with a trailing "/". */
static void complete_paths(lua_State *L, const char *text)
{
	const char *slash = strrchr(text, '/');
	const char *base = slash ? slash + 1 : text;
	size_t dlen = base - text, blen = strlen(base), i, n;
	struct e2c_dirent *ents;
	ext2_ino_t dir;
	e2c_fs *fs;

	fs = e2sh_pushfs(L);
	if (!fs)
		return;
	dir = e2l_getcwd(L, -1);
	if (dlen) {
		/* "/" itself, else the directory without its trailing "/" */
		lua_pushlstring(L, text, dlen > 1 ? dlen - 1 : 1);
		if (e2c_lookup(fs, dir, lua_tostring(L, -1), &dir))
			return;
	}
	if (e2c_dir_list(fs, dir, &ents, &n))
		return;
	for (i = 0; i < n; i++) {
		const char *name = ents[i].name;

		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
		    strncmp(name, base, blen) != 0)
			continue;
		cand_add(text, dlen, name, is_dir(fs, &ents[i]) ? "/" : "");
	}
	e2c_dir_free(ents, n);
}

struct request {
	const char *text;	/* the word being completed */
	int start;		/* its offset in rl_line_buffer */
	int host_files;		/* leave it to readline's file names */
};

/* Fill cands for the request (light userdata 1); runs protected. */
static int collect(lua_State *L)
{
	struct request *r = lua_touserdata(L, 1);
	const char *line = *rl.rl_line_buffer;
	const char *p = line + strspn(line, " \t");
	const char *args, *name;

	if (p - line >= r->start) {	/* the first word: command or Lua */
		complete_commands(L, r->text);
		complete_lua(L, r->text);
		return 0;
	}
	if (!e2sh_pushcmd(L, p, strcspn(p, " \t"))) {
		complete_lua(L, r->text);
		return 0;
	}
	lua_getfield(L, -1, "args");
	lua_getfield(L, -2, "name");
	args = luaL_optstring(L, -2, "");
	name = luaL_optstring(L, -1, "");
	if (strcmp(args, "inode") == 0 || strcmp(args, "file") == 0)
		complete_paths(L, r->text);
	else if (strcmp(name, "help") == 0)
		complete_commands(L, r->text);
	else if (strcmp(name, "lua") == 0)
		complete_lua(L, r->text);
	else if (!*args)	/* open, source, run: files of the host */
		r->host_files = 1;
	return 0;
}

static char **complete(const char *text, int start, int end)
{
	struct request r = { text, start, 0 };

	(void)end;
	cand_clear();
	lua_pushcfunction(rl_L, collect);
	lua_pushlightuserdata(rl_L, &r);
	if (lua_pcall(rl_L, 1, 0, 0) != LUA_OK)
		lua_pop(rl_L, 1);
	if (r.host_files)
		return NULL;
	*rl.rl_attempted_completion_over = 1;
	cand_sort();
	if (cands.n == 0)
		return NULL;
	if (cands.n == 1 && cands.v[0][strlen(cands.v[0]) - 1] == '/')
		*rl.rl_completion_suppress_append = 1;
	return rl.rl_completion_matches(text, generator);
}

/* ---- set-up ----------------------------------------------------------------- */

/* 0, or -1 with the message pushed on L. */
static int rl_load(lua_State *L)
{
	void *lib = dlopen(RL_SONAME, RTLD_NOW | RTLD_LOCAL);

	if (!lib)
		goto fail;
#define X(s) if (!(rl.s = (__typeof__(s) *)dlsym(lib, #s))) \
		goto fail;
	RL_SYMS(X)
#undef X
	return 0;
fail:
	lua_pushfstring(L, "cannot load " RL_SONAME " (GNU readline), which "
			"the interactive shell needs: %s", dlerror());
	memset(&rl, 0, sizeof(rl));
	if (lib)
		dlclose(lib);
	return -1;
}

int e2sh_rl_open(struct e2sh *sh)
{
	if (rl_load(sh->L))
		return -1;
	rl_L = sh->L;
	active = 1;
	*rl.rl_readline_name = "e2lua";
	*rl.rl_catch_signals = 0;		/* Ctrl-C is handled here */
	*rl.rl_attempted_completion_function = complete;
	rl.stifle_history(HISTORY_MAX);
	/* a Lua chunk of several lines is one entry: timestamps separate
	 * entries in the file, so newlines inside them survive a reload */
	*rl.history_comment_char = '#';
	*rl.history_write_timestamps = 1;
	*rl.history_multiline_entries = 1;
	history_file = history_path();
	if (history_file)
		rl.read_history(history_file);
	return 0;
}

void e2sh_rl_close(void)
{
	int err;

	if (!active)
		return;
	err = history_file ? rl.write_history(history_file) : 0;
	if (err)
		fprintf(stderr, "%s: cannot write history file %s: %s\n",
			E2SH_PROGNAME, history_file, strerror(err));
	free(history_file);
	history_file = NULL;
	rl.clear_history();
	cand_clear();
	free(cands.v);
	cands.v = NULL;
	cands.cap = 0;
	active = 0;
}
