/*
 * aux.h -- private helpers shared by the files of the Lua module "e2".
 * Nothing here is part of the C-facing contract (that is e2lua.h).
 */
#ifndef E2L_AUX_H
#define E2L_AUX_H

#include "e2lua.h"

/*
 * Lifetime.  An e2.fs userdata owns the e2c_fs.  Everything that holds a
 * core resource tied to it (cursors, the transaction) is a "child": it
 * keeps the fs userdata alive through its first uservalue and sits on the
 * fs's list of open children, so that closing the fs closes the children
 * first, while the e2c_fs they point into is still valid.  A child closes
 * itself (and leaves the list) through its close function, which must be
 * idempotent.
 */
struct e2l_child {
	struct e2l_child *next, **pprev;	/* on the fs's list while open */
	void (*close)(struct e2l_child *c);	/* release the resource */
};

struct e2l_fs {
	e2c_fs *fs;			/* NULL once closed */
	ext2_ino_t cwd;			/* current directory (root at open) */
	struct e2l_child *children;	/* open cursors and transaction */
	/* fs.super is built once (its uservalue 1) and again only when the
	 * superblock changed (a commit, whatever wrote it): the superblock
	 * it was built from. */
	int super_cached;
	struct ext2_super_block super_seen;
};

/* Add to / remove from an fs's list of open children. */
void e2l_child_link(struct e2l_fs *f, struct e2l_child *c);
void e2l_child_unlink(struct e2l_child *c);

/* The e2.fs userdata at idx, which must be open (raises otherwise). */
struct e2l_fs *e2l_checkfsud(lua_State *L, int idx);

/* Check that the fs a child was made from (its uservalue 1) is still
 * open; raises "attempt to use <what> of a closed e2.fs" otherwise. */
e2c_fs *e2l_parentfs(lua_State *L, int idx, const char *what);

/* Raise a bad argument error for b unless the children at a and b (tx,
 * selection, ... : their uservalue 1 is their fs) belong to the same
 * open e2.fs: joining objects of two filesystems would write one's block
 * maps into the other. */
void e2l_checksamefs(lua_State *L, int a, int b);

/* Push an e2.error with a message of our own (not error_message(code)),
 * for conditions libext2fs has no text for. */
void e2l_pusherror_msg(lua_State *L, errcode_t code, const char *op,
		       const char *object, const char *message);

/* A deprecated name was used (doc/lua-api.md, "Deprecated names"): it
 * works as the new one does; the first use of each per Lua state sends
 * a warning through lua_warning, which prints only when warnings are on
 * (warn("@on"), lua5.4 -W): nothing else is printed at run time. */
void e2l_deprecated(lua_State *L, const char *old, const char *new);

/* "<12>" for messages; buf must hold E2L_INOBUF bytes. */
#define E2L_INOBUF 16
const char *e2l_inoname(char *buf, ext2_ino_t ino);

/* Optional fields of an options table at idx: a boolean (nil: false) and
 * an integer in [min, max] (nil: 0); anything else raises. */
int e2l_optbool(lua_State *L, int idx, const char *key);
lua_Integer e2l_optint(lua_State *L, int idx, const char *key,
		       lua_Integer min, lua_Integer max);

/* Build a metatable the liolib way: metamethods in meta (its "__index"
 * entry a placeholder), methods as __index unless index_fn is set (then
 * __index is index_fn with the method table as upvalue 1).  Pops it. */
void e2l_newmeta(lua_State *L, const char *name, const luaL_Reg *meta,
		 const luaL_Reg *methods, lua_CFunction index_fn);
/* Publish the names of the fields an __index function computes as the
 * metatable's __fields array, for introspection (the shell's completion). */
void e2l_setfields(lua_State *L, const char *name, const char *const *fields);

/* e2.open (fs.c). */
int e2l_open(lua_State *L);

/* "data", "ind", "dind", "tind", "node". */
const char *e2l_kind_name(enum e2c_kind k);

/* Per-type set-up, called by luaopen_e2. */
void e2l_error_open(lua_State *L);
void e2l_fs_open(lua_State *L);
void e2l_inode_open(lua_State *L);
void e2l_cursor_open(lua_State *L);
void e2l_tx_open(lua_State *L);
void e2l_select_open(lua_State *L);
void e2l_blockmap_open(lua_State *L);
/* fs:blockmap{...} (blockmap.c). */
int e2l_fs_blockmap(lua_State *L);
/* e2.json (json.c), e2.pretty (pretty.c): into the module table on top.
 * A table with the E2L_JSON_OBJECT metatable is a JSON object even when
 * empty (luaL_setmetatable). */
#define E2L_JSON_OBJECT "e2.json.object"
void e2l_json_open(lua_State *L);
void e2l_pretty_open(lua_State *L);
/* e2.user, e2.group (host.c): into the module table on top. */
void e2l_host_open(lua_State *L);

/* Inode objects: a snapshot of the inode taken when pushed, tied to the
 * fs userdata at fsidx.  buf may be NULL: the inode is then read. */
void e2l_pushinode(lua_State *L, int fsidx, ext2_ino_t ino,
		   const struct ext2_inode *buf);
/* Inode number and the fs of the e2.inode at idx (checks the fs is open). */
ext2_ino_t e2l_checkinode(lua_State *L, int idx, e2c_fs **fs);
/* The inode snapshot held by the e2.inode at idx. */
const struct ext2_inode *e2l_inodebuf(lua_State *L, int idx);

/* Contents (content.c): the e2.inode methods read, lines, chunks,
 * checksum, dump and rdump, and the e2.reader type behind lines and
 * chunks. */
int e2l_inode_read(lua_State *L);
int e2l_inode_lines(lua_State *L);
int e2l_inode_chunks(lua_State *L);
int e2l_inode_checksum(lua_State *L);
int e2l_inode_dump(lua_State *L);
int e2l_inode_rdump(lua_State *L);
void e2l_reader_open(lua_State *L);
/* ino:entries([opts]) (dir.c): a directory's entries. */
int e2l_inode_entries(lua_State *L);
/* e2.hash(algo, s). */
int e2l_hash(lua_State *L);

/* Raw structures (raw.c): fs:imap, fs:read_block, fs:htree, ino:raw. */
int e2l_fs_imap(lua_State *L);
int e2l_fs_read_block(lua_State *L);
int e2l_fs_htree(lua_State *L);
int e2l_inode_raw(lua_State *L);
/* e2.partitions(path). */
int e2l_partitions(lua_State *L);

/* Cursors.  Each returns the 4 values of a generic for: the iterator, the
 * cursor as state, nil, and the cursor again as the to-be-closed value. */
enum e2l_walk_kind {
	E2L_BLOCKS, E2L_RUNS, E2L_HOLES, E2L_EXTENTS
};
int e2l_map_cursor(lua_State *L, int inoidx, enum e2l_walk_kind kind);
/* fs:inodes([filter]): filter at stack index filteridx (0: none). */
int e2l_scan_cursor(lua_State *L, int fsidx, int filteridx);
/* fs:walk(path): start at ino, reported as path. */
int e2l_walk_cursor(lua_State *L, int fsidx, ext2_ino_t ino,
		    const char *path);

/* The name of a skip code's class (e2c_skip_class): "skip", "reserved",
 * "no_space", "corrupt"; NULL for 0. */
const char *e2l_skip_class_name(errcode_t code);

/* fs:free_ranges: the free extents of [start, start+count). */
int e2l_free_cursor(lua_State *L, int fsidx, blk64_t start, blk64_t count);

/* Free space and fragmentation (free.c, frag.c): fs and inode methods. */
int e2l_fs_free_ranges(lua_State *L);
int e2l_fs_freefrag(lua_State *L);
int e2l_fs_frag_survey(lua_State *L);
int e2l_inode_frag(lua_State *L);

/* Set the fields of ef (features_on, features_off, backups_rewritten,
 * marks_not_clean) in the table on top of the stack. */
void e2l_seteffects(lua_State *L, const struct e2c_effects *ef);
/* fs:begin(): the fs userdata at fsidx. */
int e2l_tx_begin(lua_State *L, int fsidx);
/* The core transaction of the open e2.tx at idx (raises otherwise). */
e2c_tx *e2l_checktx(lua_State *L, int idx);
/* fs:select([criteria]): the fs userdata at fsidx, criteria after it. */
int e2l_select_new(lua_State *L, int fsidx);
/* The core selection of the open e2.selection at idx (raises otherwise). */
e2c_select *e2l_checkselect(lua_State *L, int idx);

/* Push the path of ino, or nil when it has no name (1); errors
 * raise with op "path" and object. */
int e2l_pushpath(lua_State *L, e2c_fs *fs, ext2_ino_t ino,
		 const char *object);
/* Push the plan of ino (1; o: options, may be NULL; o->unmigrate: of
 * its reverse migration); errors raise with op "plan" and object. */
int e2l_pushplanof(lua_State *L, e2c_fs *fs, ext2_ino_t ino,
		   const struct e2c_migrate_opts *o, const char *object);
/* The migration options table at idx (nil or none: in place), checked:
 * relocate, goal, min_gain, verify; for op "plan" unmigrate too. */
void e2l_checkmigopts(lua_State *L, int idx, struct e2c_migrate_opts *o,
		      const char *op);

#endif /* E2L_AUX_H */
