/*
 * pager.c -- long output at the terminal goes through a pager, as
 * debugfs's ls and stat do.  Only what a command typed at the prompt
 * writes (and the values =expr shows) is paged, and only when stdout is a
 * terminal: never -R, -f, source, scripts, pipes or e2.run's captures.
 *
 * The output is held while it fits on the screen; once it would scroll,
 * the pager ($E2LUA_PAGER, else $PAGER, else less -FRX or more) is started
 * with what was held and gets the rest as it comes.  Short output is
 * written to the terminal at the end, so it never flashes a pager.  If
 * the pager is quit early, the rest is dropped (SIGPIPE is ignored
 * meanwhile).  The command's error at its end is said after what was
 * held (or after the pager was quit), so the order on the screen is kept;
 * a message it writes to stderr on the way (a file of several that
 * failed) comes out at once, before the output held.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shell.h"

enum mode { HOLD, PASS, PIPE, DEAD };

static struct {
	int active;		/* between begin and end */
	enum mode mode;
	struct e2sh *sh;
	FILE *stream;		/* the shell's output meanwhile */
	FILE *saved;		/* ... and before */
	int out_ref;		/* io.output before (registry ref) */
	FILE *pipe;		/* the pager, once started */
	const char *cmd;	/* its command line */
	char *hold;		/* output not written yet */
	size_t len, cap;
	unsigned long lines;	/* screen lines it takes */
	unsigned int col;	/* column where the next byte lands */
	unsigned int rows, cols;
	struct sigaction sigpipe;
} pg;

/* The pager's command line, or NULL for none: $E2LUA_PAGER, else $PAGER
 * (either empty or "__none__": none), else less -FRX or more if one is
 * on the PATH. */
static const char *pager_cmd(void)
{
	static const char *const dflt[][2] = { { "less", "less -FRX" },
					       { "more", "more" } };
	static char found[PATH_MAX];
	const char *env = getenv("E2LUA_PAGER"), *path = getenv("PATH");
	const char *p, *e;
	size_t i;

	if (!env)
		env = getenv("PAGER");
	if (env)
		return *env && strcmp(env, "__none__") ? env : NULL;
	for (i = 0; i < sizeof(dflt) / sizeof(dflt[0]); i++) {
		for (p = path ? path : ""; *p; p = *e ? e + 1 : e) {
			e = p + strcspn(p, ":");
			snprintf(found, sizeof(found), "%.*s/%s", (int)(e - p), p,
				 dflt[i][0]);
			if (e > p && access(found, X_OK) == 0)
				return dflt[i][1];
		}
	}
	return NULL;
}

/* Rows and columns of the terminal: the tty's, else $LINES and $COLUMNS,
 * else 24 by 80. */
static void screen_size(void)
{
	struct winsize ws = { 0 };
	const char *l = getenv("LINES"), *c = getenv("COLUMNS");

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0)
		memset(&ws, 0, sizeof(ws));
	pg.rows = ws.ws_row ? ws.ws_row : l && atoi(l) > 0 ? atoi(l) : 24;
	pg.cols = ws.ws_col ? ws.ws_col : c && atoi(c) > 0 ? atoi(c) : 80;
}

/* Count the screen lines of n bytes (tabs every 8 columns, UTF-8
 * continuation bytes take none, long lines wrap). */
static void count(const char *buf, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = buf[i];

		if (c == '\n') {
			pg.lines++;
			pg.col = 0;
			continue;
		}
		if ((c & 0xc0) == 0x80)
			continue;
		pg.col = c == '\t' ? (pg.col + 8) & ~7U : pg.col + 1;
		if (pg.col >= pg.cols) {
			pg.lines++;
			pg.col = 0;
		}
	}
}

/* Write what is held to the terminal and pass the rest through. */
static void release(void)
{
	if (pg.len)		/* hold is NULL until something was held */
		fwrite(pg.hold, 1, pg.len, pg.saved);
	fflush(pg.saved);
	pg.len = 0;
	pg.mode = PASS;
}

/* The output would scroll: start the pager with what is held. */
static void start(void)
{
	struct sigaction ign;

	fflush(pg.saved);
	pg.pipe = popen(pg.cmd, "w");
	if (!pg.pipe) {
		release();
		return;
	}
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &ign, &pg.sigpipe);
	pg.mode = PIPE;
	if (fwrite(pg.hold, 1, pg.len, pg.pipe) != pg.len)
		pg.mode = DEAD;
	pg.len = 0;
}

static ssize_t pager_write(void *cookie, const char *buf, size_t n)
{
	char *h;

	(void)cookie;
	switch (pg.mode) {
	case PASS:
		return fwrite(buf, 1, n, pg.saved) == n ? (ssize_t)n : -1;
	case PIPE:
		/* the user may quit the pager before the end: drop the rest */
		if (fwrite(buf, 1, n, pg.pipe) != n || fflush(pg.pipe))
			pg.mode = DEAD;
		return (ssize_t)n;
	case DEAD:
		return (ssize_t)n;
	case HOLD:
		break;
	}
	if (pg.len + n > pg.cap) {
		size_t cap = pg.cap ? pg.cap : 4096;

		while (cap < pg.len + n)
			cap *= 2;
		h = realloc(pg.hold, cap);
		if (!h) {
			release();
			return pager_write(cookie, buf, n);
		}
		pg.hold = h;
		pg.cap = cap;
	}
	memcpy(pg.hold + pg.len, buf, n);
	pg.len += n;
	count(buf, n);
	if (pg.lines + 1 >= pg.rows)	/* the prompt needs a line too */
		start();
	return (ssize_t)n;
}

/* The stream as a Lua file for io.output; closing it from Lua only marks
 * it closed (e2sh_pager_end closes the stream). */
static int stream_close(lua_State *L)
{
	return luaL_fileresult(L, 1, NULL);
}

/* Set io.output to the file on top (popped). */
static void set_output(lua_State *L)
{
	lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
	lua_getfield(L, -1, "io");
	lua_getfield(L, -1, "output");
	lua_rotate(L, -4, -1);				/* [loaded, io, f, v] */
	lua_call(L, 1, 0);
	lua_pop(L, 2);
}

/* Under pcall: io.output() kept in the registry, the stream's Lua file
 * (light userdata at 1) made io.output. */
static int swap_in(lua_State *L)
{
	luaL_Stream *s;

	lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
	lua_getfield(L, -1, "io");
	lua_getfield(L, -1, "output");
	lua_call(L, 0, 1);
	pg.out_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	s = lua_newuserdatauv(L, sizeof(*s), 0);
	s->closef = NULL;
	luaL_setmetatable(L, LUA_FILEHANDLE);
	s->f = pg.stream;
	s->closef = stream_close;
	lua_pushvalue(L, -1);
	lua_rawsetp(L, LUA_REGISTRYINDEX, &pg);	/* to mark it closed */
	set_output(L);
	return 0;
}

/* Under pcall: io.output as it was, the stream's Lua file closed. */
static int swap_out(lua_State *L)
{
	luaL_Stream *s;

	lua_rawgetp(L, LUA_REGISTRYINDEX, &pg);
	s = lua_touserdata(L, -1);
	if (s)
		s->closef = NULL;		/* a kept reference sees it closed */
	lua_pushnil(L);
	lua_rawsetp(L, LUA_REGISTRYINDEX, &pg);
	lua_rawgeti(L, LUA_REGISTRYINDEX, pg.out_ref);
	luaL_unref(L, LUA_REGISTRYINDEX, pg.out_ref);
	pg.out_ref = LUA_NOREF;
	set_output(L);
	return 0;
}

int e2sh_pager_begin(struct e2sh *sh)
{
	static const cookie_io_functions_t io = { .write = pager_write };
	lua_State *L = sh->L;

	if (pg.active || sh->out != stdout || !isatty(STDOUT_FILENO))
		return 0;
	pg.cmd = pager_cmd();
	if (!pg.cmd)
		return 0;
	screen_size();
	pg.stream = fopencookie(NULL, "w", io);
	if (!pg.stream)
		return 0;
	setvbuf(pg.stream, NULL, _IOLBF, 0);
	pg.mode = HOLD;
	pg.len = pg.lines = pg.col = 0;
	pg.pipe = NULL;
	pg.sh = sh;
	pg.saved = sh->out;
	pg.out_ref = LUA_NOREF;
	fflush(stdout);
	lua_pushcfunction(L, swap_in);
	if (lua_pcall(L, 0, 0, 0) != LUA_OK) {
		lua_pop(L, 1);
		fclose(pg.stream);
		return 0;
	}
	sh->out = pg.stream;
	pg.active = 1;
	return 1;
}

/* The pager is done with: wait for it, drop what would still come. */
static void stop(void)
{
	if (!pg.pipe)
		return;
	pclose(pg.pipe);			/* until the user quits it */
	pg.pipe = NULL;
	sigaction(SIGPIPE, &pg.sigpipe, NULL);
	pg.mode = DEAD;
}

void e2sh_pager_flush(void)
{
	if (!pg.active)
		return;
	fflush(pg.stream);
	if (pg.mode == HOLD)
		release();
	else
		stop();
}

void e2sh_pager_end(struct e2sh *sh)
{
	lua_State *L = sh->L;

	if (!pg.active)
		return;
	fflush(pg.stream);
	lua_pushcfunction(L, swap_out);
	if (lua_pcall(L, 0, 0, 0) != LUA_OK)
		lua_pop(L, 1);
	sh->out = pg.saved;
	fclose(pg.stream);
	pg.stream = NULL;
	if (pg.mode == HOLD)
		release();
	stop();
	free(pg.hold);
	pg.hold = NULL;
	pg.cap = pg.len = 0;
	pg.active = 0;
}
