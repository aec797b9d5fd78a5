/*
 * shell.h -- private to the e2lua program (shell/): its state, the
 * command registry, the input loop, dispatch and readline.  The commands
 * themselves are declared in the cmd_*.c files (commands.h) and by Lua
 * scripts (e2.command).
 */
#ifndef SHELL_H
#define SHELL_H

#include <getopt.h>
#include <stdio.h>

#include "e2lua.h"

#define E2SH_PROGNAME	"e2lua"
#define E2SH_PROMPT	"e2lua: "	/* also the -f transcript echo */
#define E2SH_PROMPT2	"...> "		/* continuation of a Lua chunk */
#define E2SH_MAX_NESTING 25		/* source inside source ... */

/* One source of input lines: a file, stdin, a -R request or readline. */
struct e2sh_input {
	const char *name;	/* for messages: "cmds.txt", "stdin" */
	FILE *fp;		/* read with getline, or NULL */
	const char *str;	/* -R request: the rest still to read */
	int tty;		/* readline with prompts; no positions */
	int echo;		/* -f/source: echo lines as a transcript */
	int oneshot;		/* -R: messages say "e2lua: " not name:line */
	unsigned long lineno;	/* number of the last line read */
	unsigned long start;	/* first line of the entry being run */
	char *buf;		/* the last line read */
	size_t cap;		/* allocated size of buf (getline) */
};

/* The program's state, one per process; C commands reach it with
 * e2sh_get(L). */
struct e2sh {
	lua_State *L;
	int interactive;	/* terminal session: prompts, questions */
	int bail;		/* --bail: stop at the first error */
	int traceback;		/* --traceback: with every Lua error */
	int failed;		/* the exit status: 1 something failed,
				 * or the highest an e2.error asked for */
	int status;		/* ... that the error being raised asks */
	int stop;		/* bail or Ctrl-C: leave non-tty inputs */
	int quit;		/* quit/q: leave every input */
	int depth;		/* nesting of inputs being read */
	char *scripts;		/* the scripts directory, or NULL */
	struct e2sh_input *in;	/* input being read; NULL: -e, script */
	FILE *out;		/* where commands write: stdout, or what
				 * e2.run captures */
	struct e2sh_words *cmd;	/* the command line being run, or NULL */
	int cmd_lua;		/* ... and its command is written in Lua */
};

/* main.c: option checks shared with the open command (0 or -1). */
int e2sh_parse_blocksize(const char *s, unsigned int *blocksize);
int e2sh_parse_superblock(const char *s, blk64_t *superblock);
int e2sh_parse_partition(const char *s, int *partition);
/* Why this combination of open options is refused, or NULL. */
const char *e2sh_check_open_opts(const struct e2c_open_opts *opts);
/* After an open with an undo file: the e2undo command that undoes it. */
void e2sh_undo_note(const struct e2c_open_opts *opts, const char *image);

/* repl.c */
enum e2sh_how { E2SH_CHUNK, E2SH_COMMAND };
void e2sh_set(lua_State *L, struct e2sh *sh);
struct e2sh *e2sh_get(lua_State *L);
/* Where commands write their output (stderr is for messages). */
FILE *e2sh_out(lua_State *L);
/* lua_pcall with the message handler for how, Ctrl-C turned into an
 * "interrupted!" error; on failure the message is a string on top. */
int e2sh_docall(struct e2sh *sh, int narg, int nres, enum e2sh_how how);
/* Print msg on stderr with the position of the current input ("e2lua: "
 * outside input files); e2sh_fail also counts it as a failure. */
void e2sh_report(struct e2sh *sh, const char *msg);
void e2sh_fail(struct e2sh *sh, const char *msg);
/* Read and run every entry of in (nesting checked by the caller). */
void e2sh_run_input(struct e2sh *sh, struct e2sh_input *in);
/* Run a command file with echo, as -f and source do; 0 or an errno. */
int e2sh_source(struct e2sh *sh, const char *path);
/* Load and run a script with arg set (arg[0] = its path, args at stack
 * top-nargs+1..top, popped); LUA_OK, or an error message pushed. */
int e2sh_run_script(struct e2sh *sh, const char *script, int nargs);

/*
 * registry.c: the command registry, name (and each alias) -> declaration.
 * It is the one declaration of every shell command, C or Lua, and drives
 * dispatch, usage errors, help and completion.  A declaration is a table:
 *   name     canonical name (string)
 *   aliases  array of other names (may be empty)
 *   usage    argument synopsis, e.g. "[-l] <file>"
 *   help     one-line description
 *   min,max  argument counts (max = -1: unlimited)
 *   needs    "" | "fs" | "write" | "bitmaps" (what must be open)
 *   args     "" | "inode" | "file" | "block": completion of arguments
 *   example  one or more command lines ("\n" between them), shown by
 *            help and run by the tests (required)
 *   run      function(argv...) -> true/nil; raise an error to fail
 *   json     nil; true: run returns the command's data, which -j (or
 *            --json) prints as JSON (text discarded); or a function(argv...)
 *            called instead of run under -j that returns the data.  The
 *            second result of either, if any, is an error raised after the
 *            JSON is printed.
 *   source   "C" or the chunk name of the Lua file that declared it
 * Aliases are also keys of the table (pointing at the same declaration).
 * Lua registers with e2.command{...}; C with e2sh_register.
 */
struct e2sh_cmd {
	const char *name;
	const char *aliases;	/* space-separated, or NULL */
	const char *usage;
	const char *help;
	int min_args, max_args;	/* max -1: unlimited */
	const char *needs;	/* "", "fs", "write", "bitmaps" */
	const char *args;	/* "", "inode", "file", "block" */
	lua_CFunction run;	/* gets the arguments as strings */
	const char *example;	/* required */
	lua_CFunction json;	/* -j: returns the data table; or NULL */
};
/* Make the table, publish it as e2.commands with e2.command (after
 * require "e2"). */
void e2sh_registry_open(lua_State *L);
/* Register a { NULL }-terminated array. */
void e2sh_register(lua_State *L, const struct e2sh_cmd *cmds);
/* Push the table. */
void e2sh_pushcommands(lua_State *L);
/* Push the declaration of name (len bytes) and return 1, or push nothing
 * and return 0. */
int e2sh_pushcmd(lua_State *L, const char *name, size_t len);

/* dispatch.c */
/* A command line split into words. */
struct e2sh_words {
	int argc;
	char **argv;		/* NULL-terminated */
	char **pat;		/* for a word with an unquoted *, ? or [: its
				 * fnmatch pattern (quoted metas escaped);
				 * otherwise NULL */
};
/* Split a command line with shell-like quoting into a userdata (pushed),
 * or return NULL (nothing pushed) with *err set. */
struct e2sh_words *e2sh_tokenize(lua_State *L, const char *line,
				 const char **err);
/* Run a command line whose first word is a command (checked against its
 * declaration); failures are reported: 0 ok, 1 failed. */
int e2sh_command(struct e2sh *sh, const char *line);
/* Put e2.run in the module (e2lua only), and a global print that writes
 * to the shell's output stream. */
void e2sh_run_open(lua_State *L);
/* The current filesystem, the global fs: e2sh_pushfs pushes the global
 * (whatever it is) and returns its open filesystem or NULL; e2sh_checkfs
 * raises unless it is an open e2.fs (*idx: its stack slot); e2sh_fs
 * pushes nothing. */
e2c_fs *e2sh_pushfs(lua_State *L);
e2c_fs *e2sh_checkfs(lua_State *L, int *idx);
e2c_fs *e2sh_fs(lua_State *L);

/* args.c */
/* A number in C notation (decimal, 0x hex, 0 octal), as debugfs reads
 * block numbers: the len bytes of s must all be part of it; 0 or -1. */
int e2sh_parse_num(const char *s, size_t len, unsigned long long *v);
/* The number at stack index arg; raises "cmd str: invalid what". */
unsigned long long e2sh_checknum(lua_State *L, int arg, const char *cmd,
				 const char *what);
/* Commands over several files: e2sh_file_failed says on stderr that file
 * failed, when there are many (the command goes on with the others);
 * e2sh_files_fail raises at the end: the error itself ("op file:
 * message") for one failure not said yet (said: whether they were), else
 * "op: N of M files failed (see above)". */
void e2sh_file_failed(lua_State *L, const char *op, const char *file,
		      int many, errcode_t err);
int e2sh_files_fail(lua_State *L, const char *op, const char *file,
		    int failed, int total, int said, errcode_t last);
/* The same error pushed rather than raised: what a -j data function
 * returns after its data. */
void e2sh_push_files_fail(lua_State *L, const char *op, const char *file,
			  int failed, int total, int said, errcode_t last);
/* obj:name(args): the nargs values on top are the arguments (popped),
 * nres results are pushed.  -j data functions get their data from the
 * methods of the Lua API this way, so the two cannot differ. */
void e2sh_method(lua_State *L, int obj, const char *name, int nargs,
		 int nres);
/* -j data helpers.  e2sh_push_file pushes {file = the argument at arg,
 * ino = ino.ino} (ino: an e2.inode's slot).  e2sh_collect pushes an array
 * of what obj:method() iterates: the val-th of the nres values of each
 * step, those keep (NULL: all) accepts with the value on top.
 * e2sh_search_json ends the -j of a search (ncheck, icheck): the list and
 * the errors on top become {key = list}, each error said on stderr as "op
 * object: message"; returns 1, or 2 with fail's error (given the count)
 * pushed after the data. */
void e2sh_push_file(lua_State *L, int arg, int ino);
void e2sh_collect(lua_State *L, int obj, const char *method, int nres,
		  int val, int (*keep)(lua_State *L, void *arg), void *arg);
int e2sh_search_json(lua_State *L, const char *op, const char *key,
		     void (*fail)(lua_State *L, int n));
/* lua_call of the function below the nargs values on top, except that an
 * e2.error it raises is raised again as "op object: message": what the
 * text command says for the same failure. */
void e2sh_call_as(lua_State *L, int nargs, int nres, const char *op,
		  const char *object);
/*
 * Options of a command, with getopt (reset for every parse) over its n
 * string arguments at stack 1..n; the usage goes into the messages:
 * "ls: unknown option '-z'", "open: option '-b' needs an argument", each
 * followed by "Usage: CMD USAGE".  e2sh_opt_begin pushes the argv it
 * builds; e2sh_opt_next returns the next letter (its value in o->arg) or
 * -1 at the first operand, whose stack index is then o->ind.  e2sh_flags
 * does all of it for options without values: a mask with bit i set for
 * letters[i], *first the first operand (nothing left pushed).
 */
struct e2sh_opt {
	lua_State *L;
	const char *cmd, *usage;
	int argc;
	char **argv;
	int ind;
	const char *arg;
	/* long options (NULL: none), each given as its letter (val) */
	const struct option *longs;
};
void e2sh_opt_begin(lua_State *L, struct e2sh_opt *o, int n,
		    const char *cmd, const char *usage);
int e2sh_opt_next(struct e2sh_opt *o, const char *optstring);
int e2sh_flags(lua_State *L, int n, const char *letters, const char *cmd,
	       const char *usage, int *first);

/* glob.c: push the paths in the image that pattern (as in e2sh_words)
 * matches, relative ones from directory cwd, sorted; returns how many
 * (0: none matched, nothing pushed). */
int e2sh_glob(lua_State *L, e2c_fs *fs, ext2_ino_t cwd, const char *pattern);

/* rawdump.c: bytes as debugfs shows them.  e2sh_hexdump: offsets in
 * octal, 16 bytes a line in hex and ASCII, repeated lines as "*";
 * e2sh_xattr_dump: the extended attribute structures of a block, or of
 * an inode's extra space after i_extra_isize (in_inode). */
void e2sh_hexdump(FILE *out, const unsigned char *buf, size_t len);
void e2sh_xattr_dump(FILE *out, const unsigned char *buf, size_t len,
		     int in_inode);

/* pager.c: what a command typed at the terminal writes goes to a pager
 * when it would scroll.  begin returns whether it took the output (a
 * terminal, a pager to run); end writes out or waits for the pager.
 * flush, before the command's error is said: what is held is written
 * out, or the pager waited for (what comes after is dropped). */
int e2sh_pager_begin(struct e2sh *sh);
void e2sh_pager_end(struct e2sh *sh);
void e2sh_pager_flush(void);

/* readline.c */
/* Loads GNU readline: 0, or -1 with the message pushed. */
int e2sh_rl_open(struct e2sh *sh);
void e2sh_rl_close(void);
/* 1: *line (malloc()ed) read; 0: end of input; -1: Ctrl-C. */
int e2sh_rl_read(const char *prompt, char **line);
void e2sh_rl_remember(const char *entry);

/* cmd_shell.c */
/* Close the global fs through its close method, first committing or
 * rolling back staged migrations (asks when interactive); 0 ok, 1 failed
 * (reported). */
int e2sh_close_fs(struct e2sh *sh);

#endif /* SHELL_H */
