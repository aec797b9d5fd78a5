/*
 * main.c -- e2lua's command line.  Options are checked first (usage errors
 * exit 2 before anything is opened); then, as lua.c does, everything runs
 * inside one protected call, pmain: the e2 module and the command table,
 * the image, the scripts directory, the user's init file, the -R/-f/-e
 * actions in order, a script, and the terminal or piped input.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <lualib.h>

#include "commands.h"
#include "shell.h"

/* -R, -f and -e, kept in command-line order. */
struct action {
	int opt;		/* 'R', 'f' or 'e' */
	const char *arg;
};

struct options {
	struct e2c_open_opts open;	/* -w -c -b -s -z -P --force */
	const char *image;		/* NULL: no filesystem at start */
	char **script;			/* SCRIPT ARGS..., or NULL */
	int nscript;			/* SCRIPT and its arguments */
	struct action *actions;
	int nactions;
	int interactive;		/* -i */
	int noinit;			/* -n, --noinit */
	int bail;			/* --bail */
	int traceback;			/* --traceback */
	int version;			/* -V, --version */
	int list_parts;			/* --list-partitions */
	int status;			/* 2: the image cannot be opened */
};

static void print_usage(FILE *f)
{
	fprintf(f,
"Usage: %s [options] [IMAGE [SCRIPT [ARGS...]]]\n"
"A debugfs-like shell for ext2/3/4 images with Lua 5.4.  IMAGE (an image\n"
"file or unmounted device) is opened read-only unless -w.  Commands and Lua\n"
"are read from the terminal, or from stdin when it is not one.\n"
"\n"
"  -w             open read-write\n"
"  -c             catastrophic mode: no bitmaps, read-only\n"
"  -b BLOCKSIZE   block size (needed with -s)\n"
"  -s SUPERBLOCK  use the superblock at this block (a backup)\n"
"  -z UNDO_FILE   save the old contents of every block written (e2undo)\n"
"  --force        with -w: write even though the filesystem was mounted\n"
"                 since it was last checked (e2fsck -f is safer)\n"
"  -P, --partition N\n"
"                 the filesystem in partition N of a whole-disk IMAGE\n"
"  --list-partitions\n"
"                 list IMAGE's partitions and their filesystems, and exit\n"
"  -R REQUEST     run one request (a command or Lua)\n"
"  -f CMD_FILE    run the lines of CMD_FILE ('-': stdin), echoing them\n"
"  -e CHUNK       run a chunk of Lua\n"
"  -i             interactive after -R, -f, -e or SCRIPT\n"
"  -n, --noinit   do not run the init file (~/.config/e2lua/init.lua)\n"
"  --bail         stop at the first error\n"
"  --traceback    a Lua traceback with every error (not only Lua bugs)\n"
"  -V, --version  print the version and exit\n"
"  -h, --help     print this help and exit\n"
"  --             end of options\n"
"\n"
"-R, -f and -e may be repeated and run in order; stdin is then not read.\n"
"SCRIPT runs with arg[0] = SCRIPT, arg[1..] = ARGS and the image as the\n"
"global fs.  Exit status: 0 all succeeded, 1 something failed, 2 usage\n"
"error or IMAGE cannot be opened, 3 a policy left inodes (no free space),\n"
"4 a policy found corrupt inodes.  See e2lua(1).\n", E2SH_PROGNAME);
}

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", E2SH_PROGNAME);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help' for more information.\n",
		E2SH_PROGNAME);
	return 2;
}

/* A decimal number from min to max, nothing else: 0 or -1. */
static int parse_decimal(const char *s, unsigned long min, unsigned long max,
			 unsigned long *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*v = strtoul(s, &end, 10);
	return errno || *end || *v < min || *v > max ? -1 : 0;
}

int e2sh_parse_blocksize(const char *s, unsigned int *blocksize)
{
	unsigned long v;

	if (parse_decimal(s, 1024, 65536, &v) || (v & (v - 1)))
		return -1;
	*blocksize = v;
	return 0;
}

int e2sh_parse_partition(const char *s, int *partition)
{
	unsigned long v;

	if (parse_decimal(s, 1, 65535, &v))
		return -1;
	*partition = (int)v;
	return 0;
}

int e2sh_parse_superblock(const char *s, blk64_t *superblock)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v == 0)
		return -1;
	*superblock = v;
	return 0;
}

const char *e2sh_check_open_opts(const struct e2c_open_opts *opts)
{
	if (opts->write && opts->catastrophic)
		return "-c (catastrophic mode) is read-only; it cannot be "
		       "combined with -w";
	if (opts->superblock && !opts->blocksize)
		return "-s needs -b: the block size of a backup superblock "
		       "cannot be probed";
	if (opts->undo_file && !opts->write)
		return "-z needs -w: a read-only open writes nothing to undo";
	if (opts->force && !opts->write)
		return "--force needs -w: it only matters for writing";
	return NULL;
}

/* An option that takes a value. */
static int option_value(struct options *o, int opt, const char *val)
{
	switch (opt) {
	case 'b':
		if (e2sh_parse_blocksize(val, &o->open.blocksize))
			return usage_error("bad block size '%s' (a power of "
					   "two from 1024 to 65536)", val);
		break;
	case 's':
		if (e2sh_parse_superblock(val, &o->open.superblock))
			return usage_error("bad superblock '%s' (a block "
					   "number > 0)", val);
		break;
	case 'z':
		o->open.undo_file = val;
		break;
	case 'P':
		if (e2sh_parse_partition(val, &o->open.partition))
			return usage_error("bad partition number '%s' (1 or "
					   "more)", val);
		break;
	default:				/* R, f, e */
		o->actions[o->nactions].opt = opt;
		o->actions[o->nactions++].arg = val;
	}
	return -1;
}

/* Options may come before and after IMAGE, not after SCRIPT (what
 * follows it is the script's).  Returns -1 to go on, else the exit
 * status (0 after --help). */
static int parse_args(int argc, char **argv, struct options *o)
{
	enum { OPT_BAIL = 256, OPT_TRACEBACK, OPT_FORCE, OPT_LIST_PARTS };
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "bail", no_argument, NULL, OPT_BAIL },
		{ "traceback", no_argument, NULL, OPT_TRACEBACK },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "partition", required_argument, NULL, 'P' },
		{ "list-partitions", no_argument, NULL, OPT_LIST_PARTS },
		{ "noinit", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 }
	};
	int c, rc, before, ended = 0;
	const char *why;

	optind = 0;
	opterr = 0;
	while (!o->script) {
		before = optind ? optind : 1;
		c = ended ? -1 : getopt_long(argc, argv, "+:wcinVhR:f:e:b:s:z:P:",
					     longopts, NULL);
		switch (c) {
		case -1:		/* "--", IMAGE, SCRIPT or the end */
			if (!ended && optind == before + 1 &&
			    strcmp(argv[before], "--") == 0)
				ended = 1;
			if (optind >= argc)
				goto done;
			if (o->image) {
				o->script = argv + optind;
				o->nscript = argc - optind;
			} else {
				o->image = argv[optind++];
			}
			break;
		case 'w': o->open.write = 1; break;
		case 'c': o->open.catastrophic = 1; break;
		case 'i': o->interactive = 1; break;
		case 'n': o->noinit = 1; break;
		case 'V': o->version = 1; break;
		case OPT_BAIL: o->bail = 1; break;
		case OPT_TRACEBACK: o->traceback = 1; break;
		case OPT_FORCE: o->open.force = 1; break;
		case OPT_LIST_PARTS: o->list_parts = 1; break;
		case 'h':
			print_usage(stdout);
			return 0;
		case ':':
			if (optopt == 'P' && argv[optind - 1][1] == '-')
				return usage_error("option '--partition' needs "
						   "an argument");
			return usage_error("option '-%c' needs an argument",
					   optopt);
		case '?':
			if (optopt > 0 && optopt < OPT_BAIL)
				return usage_error("unknown option '-%c'",
						   optopt);
			if (optopt)	/* --bail=x */
				return usage_error("option '%.*s' takes no "
						   "argument", (int)strcspn(
						   argv[optind - 1], "="),
						   argv[optind - 1]);
			return usage_error("unknown option '%s'",
					   argv[optind - 1]);
		default:
			rc = option_value(o, c, optarg);
			if (rc >= 0)
				return rc;
		}
	}
done:
	if (o->version)
		return -1;
	if (o->list_parts && (!o->image || o->script || o->nactions ||
			      o->interactive || o->open.write ||
			      o->open.catastrophic || o->open.blocksize ||
			      o->open.superblock || o->open.undo_file ||
			      o->open.partition || o->open.force))
		return usage_error("--list-partitions takes an IMAGE and "
				   "nothing else");
	if (!o->image && (o->open.write || o->open.catastrophic ||
			  o->open.blocksize || o->open.superblock ||
			  o->open.undo_file || o->open.force ||
			  o->open.partition))
		return usage_error("-w, -c, -b, -s, -z, -P and --force need "
				   "an IMAGE");
	why = e2sh_check_open_opts(&o->open);
	if (why)
		return usage_error("%s", why);
	return -1;
}

/* $E2LUA_SCRIPTS, else <exe dir>/scripts (build tree), else <exe
 * dir>/../share/e2lua/scripts (installed); NULL if none exists. */
static char *scripts_dir(void)
{
	const char *env = getenv("E2LUA_SCRIPTS");
	const char *rel[] = { "scripts", "../share/e2lua/scripts" };
	char exe[PATH_MAX], *dir, *slash;
	struct stat st;
	ssize_t n;
	size_t i;

	if (env && *env)
		return strdup(env);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	for (i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		if (asprintf(&dir, "%s/%s", exe, rel[i]) < 0)
			return NULL;
		if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
			return dir;
		free(dir);
	}
	return NULL;
}

static int is_lua_file(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return d->d_name[0] != '.' && n > 4 &&
	       strcmp(d->d_name + n - 4, ".lua") == 0;
}

/* package.path gets <scripts>/lib and <scripts>; every
 * <scripts>/commands/NAME.lua runs (sorted) to register its commands.  A
 * broken one is reported and skipped. */
static void load_scripts(struct e2sh *sh)
{
	lua_State *L = sh->L;
	struct dirent **ents;
	int i, n, top;

	sh->scripts = scripts_dir();
	if (!sh->scripts)
		return;
	lua_getglobal(L, "package");
	lua_getfield(L, -1, "path");
	lua_pushfstring(L, "%s/lib/?.lua;%s/?.lua;%s", sh->scripts,
			sh->scripts, lua_tostring(L, -1));
	lua_setfield(L, -3, "path");
	lua_pop(L, 2);

	lua_pushfstring(L, "%s/commands", sh->scripts);
	top = lua_gettop(L);
	n = scandir(lua_tostring(L, -1), &ents, is_lua_file, alphasort);
	for (i = 0; i < n; i++) {
		const char *path = lua_pushfstring(L, "%s/%s",
						   lua_tostring(L, top),
						   ents[i]->d_name);

		if (luaL_loadfilex(L, path, "t") != LUA_OK ||
		    e2sh_docall(sh, 0, 0, E2SH_CHUNK) != LUA_OK)
			e2sh_report(sh, lua_tostring(L, -1));
		lua_settop(L, top);
		free(ents[i]);
	}
	if (n >= 0)
		free(ents);
	lua_pop(L, 1);
}

/* The user's init file: $XDG_CONFIG_HOME/e2lua/init.lua, else
 * ~/.config/e2lua/init.lua (pushed), or NULL (nothing pushed). */
static const char *push_init_path(lua_State *L)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");

	if (xdg && *xdg == '/')
		return lua_pushfstring(L, "%s/e2lua/init.lua", xdg);
	if (home && *home)
		return lua_pushfstring(L, "%s/.config/e2lua/init.lua", home);
	return NULL;
}

/*
 * Run the init file, if there is one, as a chunk: commands it declares
 * (e2.command), functions and settings stay for the session.  A failure
 * (it cannot be read, or raises) is said with its name and counts as one
 * (exit status 1; --bail stops there); the session goes on.
 */
static void run_init(struct e2sh *sh)
{
	lua_State *L = sh->L;
	const char *path = push_init_path(L);
	struct stat st;

	if (!path)
		return;
	if (stat(path, &st) != 0 && errno == ENOENT) {
		lua_pop(L, 1);
		return;
	}
	if (luaL_loadfilex(L, path, "t") != LUA_OK ||
	    e2sh_docall(sh, 0, 0, E2SH_CHUNK) != LUA_OK)
		e2sh_fail(sh, lua_tostring(L, -1));
	lua_settop(L, 0);
}

/* Open the image into the global fs; 2 if it cannot be. */
static int open_image(lua_State *L, struct options *o)
{
	char scheme[16];
	e2c_fs *fs;
	errcode_t retval = e2l_open_fs(L, o->image, &o->open, &fs);

	if (retval) {
		const char *object, *message;

		lua_getfield(L, -1, "object");
		lua_getfield(L, -2, "message");
		object = lua_tostring(L, -2);
		message = lua_tostring(L, -1);
		if (o->open.partition && strcmp(object, o->image) == 0)
			fprintf(stderr, "%s: %s partition %d: %s\n",
				E2SH_PROGNAME, o->image, o->open.partition,
				message);
		else
			fprintf(stderr, "%s: %s: %s\n", E2SH_PROGNAME,
				object, message);
		lua_pop(L, 3);
		if (retval == E2C_ERR_PART_RANGE ||
		    retval == E2C_ERR_PART_NOT_EXT)
			fprintf(stderr, "%s: (%s --list-partitions %s lists "
				"them)\n", E2SH_PROGNAME, E2SH_PROGNAME,
				o->image);
		else if (retval == EXT2_ET_BAD_MAGIC && !o->open.partition &&
			 e2sh_parttable(o->image, scheme, sizeof(scheme)))
			fprintf(stderr, "%s: %s holds a %s partition table: "
				"open a partition with -P N (%s "
				"--list-partitions %s lists them)\n",
				E2SH_PROGNAME, o->image, scheme, E2SH_PROGNAME,
				o->image);
		return 2;
	}
	e2sh_undo_note(&o->open, o->image);
	e2l_pushfs(L, fs);
	lua_setglobal(L, "fs");
	return 0;
}

/* -R request, -f file or -e chunk. */
static void run_action(struct e2sh *sh, const struct action *a)
{
	lua_State *L = sh->L;
	struct e2sh_input in = { 0 };
	int err;

	switch (a->opt) {
	case 'R':
		in.name = "(command line)";
		in.str = a->arg;
		in.oneshot = 1;
		e2sh_run_input(sh, &in);
		break;
	case 'f':
		err = e2sh_source(sh, a->arg);
		if (err)
			e2sh_fail(sh, lua_pushfstring(L, "%s: %s", a->arg,
						      strerror(err)));
		break;
	default:
		if (luaL_loadbuffer(L, a->arg, strlen(a->arg),
				    "=(command line)") != LUA_OK ||
		    e2sh_docall(sh, 0, 0, E2SH_CHUNK) != LUA_OK)
			e2sh_fail(sh, lua_tostring(L, -1));
	}
	lua_settop(L, 0);
}

/* "e2lua 0.1 (Lua 5.4.4, libext2fs 1.47.0)" */
static const char *push_version(lua_State *L)
{
	const char *lib;

	ext2fs_get_library_version(&lib, NULL);
	lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
	lua_getfield(L, -1, "e2");
	lua_getfield(L, -1, "version");
	lua_pushfstring(L, "%s %s (%s, libext2fs %s)", E2SH_PROGNAME,
			luaL_optstring(L, -1, "?"), LUA_RELEASE, lib);
	lua_replace(L, -4);
	lua_pop(L, 2);
	return lua_tostring(L, -1);
}

/* The terminal session (or -i). */
static void interact(struct e2sh *sh)
{
	struct e2sh_input in = { 0 };

	in.name = "stdin";
	in.fp = stdin;
	in.tty = 1;
	if (e2sh_rl_open(sh)) {
		e2sh_fail(sh, lua_tostring(sh->L, -1));
		lua_pop(sh->L, 1);
		return;
	}
	sh->interactive = 1;
	fprintf(stderr, "%s\nType help for the commands; other lines are "
		"Lua.%s\n", push_version(sh->L),
		e2sh_fs(sh->L) ? "" : "  No filesystem is open (open IMAGE).");
	lua_pop(sh->L, 1);
	e2sh_run_input(sh, &in);
}

static int pmain(lua_State *L)
{
	struct options *o = lua_touserdata(L, 1);
	struct e2sh *sh = lua_touserdata(L, 2);
	int i, interactive;

	lua_settop(L, 0);
	luaL_checkversion(L);
	luaL_openlibs(L);
	luaL_requiref(L, "e2", luaopen_e2, 1);
	lua_pop(L, 1);
	e2sh_registry_open(L);
	e2sh_run_open(L);
	e2sh_set(L, sh);
	if (o->version) {
		printf("%s\n", push_version(L));
		return 0;
	}
	if (o->image && (o->status = open_image(L, o)) != 0)
		return 0;
	e2sh_register(L, e2sh_shell_cmds);
	e2sh_register(L, e2sh_inode_cmds);
	e2sh_register(L, e2sh_dir_cmds);
	e2sh_register(L, e2sh_fs_cmds);
	e2sh_register(L, e2sh_migrate_cmds);
	load_scripts(sh);
	if (!o->noinit)
		run_init(sh);

	for (i = 0; i < o->nactions && !sh->quit && !sh->stop; i++)
		run_action(sh, &o->actions[i]);
	if (o->script && !sh->quit && !sh->stop) {
		for (i = 1; i < o->nscript; i++)
			lua_pushstring(L, o->script[i]);
		if (e2sh_run_script(sh, o->script[0], o->nscript - 1) != LUA_OK)
			e2sh_fail(sh, lua_tostring(L, -1));
		lua_settop(L, 0);
	}
	interactive = o->interactive ||
		      (!o->nactions && !o->script && isatty(0) && isatty(1));
	if (interactive && !sh->quit && !sh->stop) {
		interact(sh);
	} else if (!o->nactions && !o->script) {
		struct e2sh_input in = { 0 };

		in.name = "stdin";
		in.fp = stdin;
		e2sh_run_input(sh, &in);
	}
	e2sh_close_fs(sh);
	e2sh_rl_close();
	return 0;
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	struct e2sh sh = { 0 };
	int rc;

	/* glibc's malloc with fixed thresholds instead of its dynamic ones
	 * (mmap from 128 KiB, the threshold rising to the size of each
	 * mmapped block freed, trimming at twice that): measured on k200's
	 * migrate-all, 7.4 -> 7.1 MiB peak and 17% fewer page faults
	 * (doc/bench.md, issue 12).  Trimming only past 2 MiB keeps sum's
	 * 1 MiB buffer, freed and taken again for every file, in the heap
	 * (trimmed at 128 KiB it cost six times the page faults). */
	mallopt(M_MMAP_THRESHOLD, 4 << 20);
	mallopt(M_TRIM_THRESHOLD, 2 << 20);
	o.actions = calloc(argc, sizeof(*o.actions));
	if (!o.actions) {
		fprintf(stderr, "%s: out of memory\n", E2SH_PROGNAME);
		return 1;
	}
	rc = parse_args(argc, argv, &o);
	if (rc < 0 && o.list_parts) {
		errcode_t err;

		e2c_init();
		err = e2sh_print_partitions(stdout, o.image);
		if (err)
			fprintf(stderr, "%s: %s: %s\n", E2SH_PROGNAME, o.image,
				error_message(err));
		rc = err ? 2 : fflush(stdout) ? 1 : 0;
	}
	if (rc >= 0) {
		free(o.actions);
		return rc;
	}
	sh.bail = o.bail;
	sh.traceback = o.traceback;
	sh.out = stdout;
	sh.L = luaL_newstate();
	if (!sh.L) {
		fprintf(stderr, "%s: cannot create the Lua state\n",
			E2SH_PROGNAME);
		free(o.actions);
		return 1;
	}
	lua_pushcfunction(sh.L, pmain);
	lua_pushlightuserdata(sh.L, &o);
	lua_pushlightuserdata(sh.L, &sh);
	if (lua_pcall(sh.L, 2, 0, 0) != LUA_OK) {
		const char *msg = lua_tostring(sh.L, -1);

		fprintf(stderr, "%s: %s\n", E2SH_PROGNAME,
			msg ? msg : "(error object is not a string)");
		sh.failed = 1;
	}
	lua_close(sh.L);
	free(o.actions);
	free(sh.scripts);
	return o.status ? o.status : sh.failed;
}
