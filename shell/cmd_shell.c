/*
 * cmd_shell.c -- the commands of the shell itself: open, close, source,
 * run, help, quit, lua; and leaving a filesystem with staged migration
 * work.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "shell.h"

#define OPEN_USAGE "[-w] [-c] [-b blocksize] [-s superblock] [-z undo_file] [-P partition] [IMAGE]"

static int cmd_close(lua_State *L);

/* Whether a and b name the same file. */
static int same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	if (strcmp(a, b) == 0)
		return 1;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 &&
	       sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/*
 * The open image again with other options (open -w to write what was
 * opened read-only), in the same directory.  Nothing may be staged.  A
 * read-only one stays open until the new open succeeded; a writable one
 * is closed first (it holds the writer's lock).
 */
static int reopen(lua_State *L, int fsi, const char *image,
		  const struct e2c_open_opts *opts)
{
	e2c_fs *old = e2l_checkfs(L, fsi), *fs;
	ext2_ino_t cwd = e2l_getcwd(L, fsi);
	size_t n = e2c_fs_tx(old) ? e2c_tx_count(e2c_fs_tx(old)) : 0;
	errcode_t retval;

	if (n)
		return luaL_error(L, "open: %d inode%s staged on %s: commit "
				  "or rollback first", (int)n,
				  n == 1 ? " is" : "s are", e2c_fs_path(old));
	image = lua_pushstring(L, image);		/* old->path goes */
	if (e2c_fs_writable(old)) {
		lua_pushcfunction(L, cmd_close);
		lua_call(L, 0, 0);
	}
	retval = e2l_open_fs(L, image, opts, &fs);
	if (retval)
		return lua_error(L);
	e2sh_undo_note(opts, image);
	e2l_pushfs(L, fs);				/* [.., new] */
	if (e2sh_fs(L)) {
		lua_pushcfunction(L, cmd_close);
		lua_call(L, 0, 0);
	}
	lua_pushvalue(L, -1);
	lua_setglobal(L, "fs");
	lua_getfield(L, -1, "cd");		/* the same directory */
	lua_insert(L, -2);
	lua_pushinteger(L, cwd);
	if (lua_pcall(L, 2, 0, 0) != LUA_OK)
		lua_pop(L, 1);			/* then the root, as opened */
	return 0;
}

/* open [-w] [-c] [-b blocksize] [-s superblock] [-z undo_file]
 * [-P partition] [IMAGE]: IMAGE, or the open image again with these
 * options (in the same partition unless -P: -P 0 is the whole image). */
static int cmd_open(lua_State *L)
{
	struct e2c_open_opts opts = { 0 };
	int n = lua_gettop(L), c, fsi, part = -1;
	char scheme[16];
	const char *image = NULL, *why;
	struct e2sh_opt o;
	e2c_fs *fs;
	errcode_t retval;

	for (c = 1; c <= n; c++)	/* file names: no NUL bytes */
		e2l_checkpath(L, c);
	e2sh_opt_begin(L, &o, n, "open", OPEN_USAGE);
	while ((c = e2sh_opt_next(&o, "wcb:s:z:P:")) != -1) {
		if (c == 'P' && !strcmp(o.arg, "0"))
			part = 0;
		else if (c == 'P' && e2sh_parse_partition(o.arg, &part))
			return luaL_error(L, "open: bad partition number '%s' "
					  "(1 or more, 0: the whole image)",
					  o.arg);
		else if (c == 'w')
			opts.write = 1;
		else if (c == 'c')
			opts.catastrophic = 1;
		else if (c == 'z')
			opts.undo_file = o.arg;
		else if (c == 'b' && e2sh_parse_blocksize(o.arg, &opts.blocksize))
			return luaL_error(L, "open: bad block size '%s' (a "
					  "power of two from 1024 to 65536)",
					  o.arg);
		else if (c == 's' &&
			 e2sh_parse_superblock(o.arg, &opts.superblock))
			return luaL_error(L, "open: bad superblock '%s' (a "
					  "block number > 0)", o.arg);
	}
	if (o.ind < n)
		return luaL_error(L, "open: unexpected argument '%s' after "
				  "the image", lua_tostring(L, o.ind + 1));
	if (o.ind == n)
		image = lua_tostring(L, o.ind);
	why = e2sh_check_open_opts(&opts);
	if (why)
		return luaL_error(L, "open: %s", why);
	fs = e2sh_pushfs(L);
	fsi = lua_gettop(L);
	opts.partition = part > 0 ? part : 0;
	if (fs && (!image || same_file(image, e2c_fs_path(fs)))) {
		if (part < 0)
			opts.partition = e2c_fs_partition(fs, NULL, NULL);
		return reopen(L, fsi, image ? image : e2c_fs_path(fs), &opts);
	}
	if (fs)
		return luaL_error(L, "open: %s is still open (close it first)",
				  e2c_fs_path(fs));
	if (!image)
		return luaL_error(L, "open: no image given (and none is open)");
	retval = e2l_open_fs(L, image, &opts, &fs);
	if (retval == EXT2_ET_BAD_MAGIC && !opts.partition &&
	    e2sh_parttable(image, scheme, sizeof(scheme)))
		return luaL_error(L, "open %s: %s (it holds a %s partition "
				  "table: open -P N %s; partitions %s lists "
				  "them)", image, error_message(retval), scheme,
				  image, image);
	if (retval)
		return lua_error(L);
	e2sh_undo_note(&opts, image);
	e2l_pushfs(L, fs);
	lua_setglobal(L, "fs");
	return 0;
}

void e2sh_undo_note(const struct e2c_open_opts *opts, const char *image)
{
	/* As tune2fs and e2fsck say it (on stderr: never in the output of
	 * the commands), once the open succeeded. */
	if (opts->undo_file)
		fprintf(stderr, "Overwriting existing filesystem; this can be "
			"undone using the command:\n    e2undo %s %s\n\n",
			opts->undo_file, image);
}

/* Work staged in a transaction must not vanish silently: ask at a
 * terminal, otherwise roll back and say so.  Raises if the commit fails. */
static void settle(lua_State *L, e2c_fs *fs)
{
	struct e2sh *sh = e2sh_get(L);
	size_t n = e2c_fs_tx(fs) ? e2c_tx_count(e2c_fs_tx(fs)) : 0;
	const char *s = n == 1 ? "" : "s";
	struct e2c_effects ef = { 0 };
	char *answer = NULL;
	int yes = 0;

	/* A feature to turn off (unmigrate --clear-feature) is staged work
	 * too, even with no inode. */
	if (e2c_fs_tx(fs))
		e2c_tx_effects(e2c_fs_tx(fs), &ef);
	if (n == 0 && !ef.features_off)
		return;
	if (sh->interactive) {
		const char *q = lua_pushfstring(L, "Commit %d staged inode%s? "
						"[y/N] ", (int)n, s);

		/* What the answer decides besides the inodes. */
		e2sh_print_effects(sh->out, &ef, E2C_WILL);
		fflush(sh->out);

		if (e2sh_rl_read(q, &answer) > 0)
			yes = answer[0] == 'y' || answer[0] == 'Y';
		free(answer);
		lua_pop(L, 1);
	}
	if (yes) {
		lua_pushcfunction(L, e2sh_commit);
		lua_call(L, 0, 0);
		return;
	}
	e2c_tx_rollback(e2c_fs_tx(fs));
	fflush(sh->out);
	fprintf(stderr, "%s: rolled back %zu staged inode%s%s (not committed)\n",
		E2SH_PROGNAME, n, s, ef.features_off ?
		" and the feature change" : "");
}

/* close: settle staged work, then fs:close() and fs = nil. */
static int cmd_close(lua_State *L)
{
	e2c_fs *fs = e2sh_pushfs(L);

	if (!fs)
		return 0;
	settle(L, fs);
	lua_pushnil(L);
	lua_setglobal(L, "fs");
	lua_getfield(L, -1, "close");
	lua_insert(L, -2);
	lua_call(L, 1, 0);
	return 0;
}

int e2sh_close_fs(struct e2sh *sh)
{
	lua_pushcfunction(sh->L, cmd_close);
	if (e2sh_docall(sh, 0, 0, E2SH_COMMAND) == LUA_OK)
		return 0;
	e2sh_fail(sh, lua_tostring(sh->L, -1));
	lua_pop(sh->L, 1);
	return 1;
}

static int cmd_source(lua_State *L)
{
	struct e2sh *sh = e2sh_get(L);
	const char *path = e2l_checkpath(L, 1);
	int err;

	if (sh->depth >= E2SH_MAX_NESTING)
		return luaL_error(L, "source %s: nested more than %d deep",
				  path, E2SH_MAX_NESTING);
	err = e2sh_source(sh, path);
	if (err)
		return e2l_error(L, err, "source", path);
	return 0;
}

static int cmd_run(lua_State *L)
{
	const char *script = luaL_checkstring(L, 1);

	if (e2sh_run_script(e2sh_get(L), script, lua_gettop(L) - 1) != LUA_OK)
		return lua_error(L);
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Push "name, alias, alias" for the declaration at idx. */
static const char *push_names(lua_State *L, int idx)
{
	lua_Integer i;

	idx = lua_absindex(L, idx);
	lua_getfield(L, idx, "name");
	lua_getfield(L, idx, "aliases");		/* [s, aliases] */
	for (i = 1; lua_istable(L, -1); i++) {
		if (lua_geti(L, -1, i) != LUA_TSTRING) {
			lua_pop(L, 1);
			break;
		}
		lua_pushvalue(L, -3);
		lua_pushliteral(L, ", ");
		lua_pushvalue(L, -3);
		lua_concat(L, 3);			/* [s, al, a, s'] */
		lua_replace(L, -4);
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	return lua_tostring(L, -1);
}

/* "Example:" and each line of ex, indented. */
static void print_example(FILE *out, const char *ex)
{
	size_t n;

	fputs("Example:\n", out);
	for (; *ex; ex += n + (ex[n] == '\n')) {
		n = strcspn(ex, "\n");
		fprintf(out, "  %.*s\n", (int)n, ex);
	}
}

/* help: every command, sorted; help NAME: its usage, description, names,
 * whether -j gives JSON, and its example. */
static int cmd_help(lua_State *L)
{
	FILE *out = e2sh_out(L);
	const char **names, *list, *usage, *help;
	size_t n = 0, i;

	if (lua_gettop(L) == 1) {
		const char *name = lua_tostring(L, 1);

		if (!e2sh_pushcmd(L, name, strlen(name)))
			return luaL_error(L, "help: no such command: %s", name);
		lua_getfield(L, -1, "usage");
		lua_getfield(L, -2, "help");		/* [decl, usage, help] */
		list = push_names(L, -3);
		usage = luaL_optstring(L, -3, "");
		fprintf(out, "Usage: %s%s%s\n%s\n", name, *usage ? " " : "", usage,
			luaL_optstring(L, -2, ""));
		if (strchr(list, ','))
			fprintf(out, "Names: %s\n", list);
		if (lua_getfield(L, -4, "json") != LUA_TNIL)
			fprintf(out, "With -j: its data as JSON (doc/json.md)\n");
		lua_getfield(L, -5, "example");
		print_example(out, luaL_optstring(L, -1, ""));
		return 0;
	}
	e2sh_pushcommands(L);				/* [.., cmds] */
	lua_pushnil(L);
	while (lua_next(L, -2)) {
		n++;
		lua_pop(L, 1);
	}
	names = lua_newuserdatauv(L, n * sizeof(*names) + 1, 0);
	n = 0;
	lua_pushnil(L);
	while (lua_next(L, -3)) {			/* [cmds, buf, k, decl] */
		/* canonical entries only; aliases point at the same table */
		if (lua_istable(L, -1) && lua_type(L, -2) == LUA_TSTRING &&
		    lua_getfield(L, -1, "name") == LUA_TSTRING &&
		    lua_rawequal(L, -1, -3))
			names[n++] = lua_tostring(L, -3);
		lua_pop(L, 2);
	}
	qsort(names, n, sizeof(*names), cmp_names);
	fprintf(out, "Commands (help NAME shows its usage and an example):\n");
	for (i = 0; i < n; i++) {
		e2sh_pushcmd(L, names[i], strlen(names[i]));
		lua_getfield(L, -1, "help");
		help = luaL_optstring(L, -1, "");
		list = push_names(L, -2);
		if (strlen(list) < 24)
			fprintf(out, "  %-24s %s\n", list, help);
		else
			fprintf(out, "  %s\n  %-24s %s\n", list, "", help);
		lua_pop(L, 3);
	}
	fprintf(out, "Other lines are Lua: bare expressions print their values, "
		"=EXPR prints,\nlua CHUNK runs CHUNK as Lua even if it starts "
		"with a command name.\n");
	return 0;
}

static int cmd_quit(lua_State *L)
{
	e2sh_get(L)->quit = 1;
	return 0;
}

/* lua CHUNK: the input loop hands the raw rest of the line to Lua; this
 * runs when the command is called as a function (arguments joined). */
static int cmd_lua(lua_State *L)
{
	int i, n = lua_gettop(L);
	luaL_Buffer b;

	luaL_buffinit(L, &b);
	for (i = 1; i <= n; i++) {
		if (i > 1)
			luaL_addchar(&b, ' ');
		lua_pushvalue(L, i);
		luaL_addvalue(&b);
	}
	luaL_pushresult(&b);
	if (luaL_loadbuffer(L, lua_tostring(L, -1), lua_rawlen(L, -1),
			    "=lua") != LUA_OK)
		return lua_error(L);
	lua_call(L, 0, 0);
	return 0;
}

const struct e2sh_cmd e2sh_shell_cmds[] = {
	{ "open", NULL, OPEN_USAGE,
	  "Open an image or device (read-only unless -w), or reopen the open one",
	  0, -1, "", "", cmd_open,
	  "open -w disk.img", NULL },
	{ "close", NULL, "", "Close the filesystem (staged work: see quit)",
	  0, 0, "fs", "", cmd_close,
	  "close", NULL },
	{ "source", NULL, "FILE", "Run the lines of FILE, echoing them",
	  1, 1, "", "", cmd_source,
	  "source cmds.txt", NULL },
	{ "run", NULL, "SCRIPT [ARGS...]",
	  "Run a Lua script with arg set (NAME: scripts/NAME.lua)",
	  1, -1, "", "", cmd_run,
	  "run report.lua --verbose", NULL },
	{ "help", "?", "[COMMAND]",
	  "List the commands, or show one's usage and an example",
	  0, 1, "", "", cmd_help,
	  "help stat", NULL },
	{ "quit", "q", "", "Leave e2lua (asks before dropping staged work)",
	  0, 0, "", "", cmd_quit,
	  "quit", NULL },
	{ "lua", NULL, "CHUNK", "Run the rest of the line as Lua",
	  1, -1, "", "", cmd_lua,
	  "lua print(fs.super.blocks_count)", NULL },
	{ NULL, NULL, NULL, NULL, 0, 0, NULL, NULL, NULL, NULL, NULL }
};
