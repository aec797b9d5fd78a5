/*
 * e2lua.h -- what the bindings (the Lua module "e2") offer the C side of
 * the shell.  Everything else in bindings/ is private to the module.
 */
#ifndef E2LUA_H
#define E2LUA_H

#include <lua.h>
#include <lauxlib.h>

#include "e2c.h"

/* e2.version (and the shell's -V). */
#ifndef E2LUA_VERSION
#define E2LUA_VERSION "0.1.0"
#endif

/* Metatable names: they appear in messages ("e2.fs expected, got nil"). */
#define E2L_FS      "e2.fs"
#define E2L_INODE   "e2.inode"
#define E2L_CURSOR  "e2.cursor"
#define E2L_READER  "e2.reader"
#define E2L_TX      "e2.tx"
#define E2L_SELECTION "e2.selection"
#define E2L_ERROR   "e2.error"

/* The module: require "e2" (also linked into the e2lua binary).  The
 * only symbol e2.so exports: everything is built -fvisibility=hidden. */
__attribute__((visibility("default"))) int luaopen_e2(lua_State *L);

/*
 * Errors.  One convention for the whole module: a failing libext2fs or
 * core call raises an e2.error object with fields code (number), message
 * (error_message(code)), op (what was being done, e.g. "stat") and object
 * (what it was done to, e.g. "/a/b", may be nil); tostring() gives
 * "op object: message", e.g. "stat /a/b: File not found by ext2_lookup".
 */
void e2l_pusherror(lua_State *L, errcode_t code, const char *op,
		   const char *object);
int e2l_error(lua_State *L, errcode_t code, const char *op,
	      const char *object);		/* raises; never returns */

/* The string argument arg as a path (or file name): raises a bad argument
 * error when it holds a NUL byte, where C would cut it short ("/\0/x"
 * would name "/"). */
const char *e2l_checkpath(lua_State *L, int arg);

/* An error of a write to fs (op "commit", ...), raised: e2l_error's, but
 * naming the undo file when a write of it failed (e2c_fs_undo_error). */
int e2l_fserror(lua_State *L, e2c_fs *fs, errcode_t code, const char *op);

/* The error of a commit of tx that failed past changing the disk
 * (E2C_ERR_COMMIT_PARTIAL, E2C_ERR_RESTORE_FAILED), raised: msg (NULL:
 * error_message(code)), with how far it got as fields: step (0-5),
 * written (inodes converted), cause (the step's error code) and flush
 * (the code of the flush after it that failed, or nil). */
int e2l_commiterror(lua_State *L, e2c_tx *tx, errcode_t code,
		    const char *object, const char *msg);

/* e2c_fs_open2; on failure an e2.error is pushed (op "open", object the
 * file at fault: the image or the undo file, with what to do about an
 * undo file that exists but cannot be used) and the code returned. */
errcode_t e2l_open_fs(lua_State *L, const char *path,
		      const struct e2c_open_opts *opts, e2c_fs **fs);

/* e2.fs userdata.  e2l_pushfs takes ownership of an opened fs (closed by
 * close()/__gc/__close).  e2l_checkfs raises unless idx is an open e2.fs;
 * e2l_tofs returns NULL instead. */
void e2l_pushfs(lua_State *L, e2c_fs *fs);
e2c_fs *e2l_checkfs(lua_State *L, int idx);
e2c_fs *e2l_tofs(lua_State *L, int idx);

/* The fs's current directory (fs:cd: the "cd" of the shell and of
 * relative paths given to fs:inode() and friends). */
ext2_ino_t e2l_getcwd(lua_State *L, int idx);

/* Resolve an inode argument ("<12>", 12, or a path relative to the fs's
 * cwd) at stack index arg; raises an e2.error naming op and the argument. */
ext2_ino_t e2l_checkino(lua_State *L, int fsidx, int arg, const char *op);

/* e2.json(value [, opts]) -> JSON text (bindings/json.c, doc/json.md). */
int e2l_json(lua_State *L);

/* A plan table (fs:plan, tx:migrate, ...) and the totals table of
 * tx:pending and tx:commit, as the Lua API gives them (lua-api.md), with
 * the effects of committing them on fs (e2c_effects: features_on, ...). */
void e2l_pushplan(lua_State *L, e2c_fs *fs, const struct e2c_plan *p);
void e2l_pushtotals(lua_State *L, const struct e2c_tx_totals *t,
		    const struct e2c_effects *ef);

/* Raise luaL_argerror when the call has more than n arguments. */
void e2l_checknargs(lua_State *L, int n);

/* Reject keys of the options table at idx not in the NULL-terminated
 * list; what names the table in the message. */
void e2l_checkopts(lua_State *L, int idx, const char *const *known,
		   const char *what);

#endif /* E2LUA_H */
