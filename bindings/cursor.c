/*
 * cursor.c -- e2.cursor, the state behind every iterator of the module:
 * ino:blocks/runs/holes/extents, fs:inodes, fs:walk and fs:free_ranges.
 *
 * A cursor is made closed, then gets its core resource (map walk, inode
 * scan, directory listings); it closes itself at the end of the walk, and
 * close()/__close/__gc share one idempotent close.  It keeps its fs
 * userdata alive (uservalue 1) and sits on the fs's list of children, so
 * fs:close() closes it first.  The core never calls back into Lua: every
 * step is a pull (e2c_map_next, e2c_scan_next, e2c_walk_next).
 */
#include <stdlib.h>
#include <string.h>

#include "aux.h"

enum cursor_kind {
	C_BLOCKS = E2L_BLOCKS, C_RUNS = E2L_RUNS, C_HOLES = E2L_HOLES,
	C_EXTENTS = E2L_EXTENTS, C_INODES, C_WALK, C_FREE
};

struct e2l_cursor {
	struct e2l_child child;		/* first: the fs's list */
	enum cursor_kind kind;
	int open;
	e2c_fs *fs;			/* valid while open */
	ext2_ino_t ino;			/* map walks: the inode */
	/* map walks */
	e2c_map *map;
	struct e2c_piece piece;		/* blocks(): piece being expanded */
	blk64_t off;			/* blocks of it already yielded */
	/* inode scan (and the walk's inode reads) */
	e2c_scan *scan;
	struct ext2_inode *buf;		/* e2c_inode_buf_size() bytes */
	/* directory walk */
	e2c_walk *walk;
	/* free ranges */
	struct e2c_free_cursor free;
};

static const char *const kind_names[] = {
	"blocks", "runs", "holes", "extents", "inodes", "walk", "free_ranges"
};

/* The one close: idempotent, safe while the fs is still open (the fs
 * closes its children before itself). */
static void cursor_release(struct e2l_child *c)
{
	struct e2l_cursor *cur = (struct e2l_cursor *)c;

	if (!cur->open)
		return;
	cur->open = 0;
	e2l_child_unlink(&cur->child);
	e2c_map_close(cur->map);
	cur->map = NULL;
	e2c_scan_close(cur->scan);
	cur->scan = NULL;
	e2c_walk_close(cur->walk);
	cur->walk = NULL;
	free(cur->buf);
	cur->buf = NULL;
	cur->fs = NULL;
}

static struct e2l_cursor *tocursor(lua_State *L, int idx)
{
	return luaL_checkudata(L, idx, E2L_CURSOR);
}

/* An open cursor whose fs is open. */
static struct e2l_cursor *checkcursor(lua_State *L, int idx)
{
	struct e2l_cursor *cur = tocursor(L, idx);

	e2l_parentfs(L, idx, "an " E2L_CURSOR);
	if (!cur->open)
		luaL_error(L, "attempt to use a closed " E2L_CURSOR);
	return cur;
}

/* Push a new cursor, closed, tied to the fs userdata at fsidx. */
static struct e2l_cursor *newcursor(lua_State *L, int fsidx,
				    enum cursor_kind kind)
{
	struct e2l_cursor *cur;

	fsidx = lua_absindex(L, fsidx);
	cur = lua_newuserdatauv(L, sizeof(*cur), 2);
	memset(cur, 0, sizeof(*cur));
	cur->kind = kind;
	cur->child.close = cursor_release;
	luaL_setmetatable(L, E2L_CURSOR);
	lua_pushvalue(L, fsidx);
	lua_setiuservalue(L, -2, 1);
	return cur;
}

/* Mark open and join the fs's children: from here on, close frees. */
static void cursor_attach(lua_State *L, struct e2l_cursor *cur, int fsidx)
{
	struct e2l_fs *f = e2l_checkfsud(L, fsidx);

	cur->fs = f->fs;
	cur->open = 1;
	e2l_child_link(f, &cur->child);
}

/* Close, then raise the core error (the walk cannot go on). */
static int cursor_fail(lua_State *L, struct e2l_cursor *cur, errcode_t code,
		       const char *object)
{
	char name[E2L_INOBUF];

	if (!object)
		object = e2l_inoname(name, cur->ino);
	lua_pushstring(L, object);	/* object may live in the cursor */
	cursor_release(&cur->child);
	return e2l_error(L, code, kind_names[cur->kind], lua_tostring(L, -1));
}

/* Push the 4 values of a generic for: iter, cursor, nil, cursor. */
static int for_values(lua_State *L, lua_CFunction iter)
{
	lua_pushcfunction(L, iter);			/* [.., cur, iter] */
	lua_pushvalue(L, -2);
	lua_pushnil(L);
	lua_pushvalue(L, -4);				/* [.., cur, it, cur, nil, cur] */
	return 4;
}

static int cursor_iter(lua_State *L);

/* ---------------------------------------------------------------- */
/* Map walks                                                         */
/* ---------------------------------------------------------------- */

static int blocks_next(lua_State *L, struct e2l_cursor *cur)
{
	struct e2c_piece *p = &cur->piece;
	errcode_t retval;
	int got;

	while (cur->off >= p->len) {
		retval = e2c_map_next(cur->map, p, &got);
		if (retval)
			return cursor_fail(L, cur, retval, NULL);
		if (!got)
			return 0;
		cur->off = 0;
	}
	lua_pushinteger(L, (lua_Integer)(p->kind == E2C_DATA ?
					 p->lblk + cur->off : p->lblk));
	lua_pushinteger(L, (lua_Integer)(p->pblk + cur->off));
	lua_pushstring(L, e2l_kind_name(p->kind));
	lua_pushboolean(L, (p->flags & E2C_UNINIT) != 0);
	cur->off++;
	return 4;
}

static int runs_next(lua_State *L, struct e2l_cursor *cur)
{
	struct e2c_piece r;
	errcode_t retval;
	int got;

	retval = e2c_map_next_run(cur->map, &r, &got);
	if (retval)
		return cursor_fail(L, cur, retval, NULL);
	if (!got)
		return 0;
	lua_pushinteger(L, (lua_Integer)r.lblk);
	lua_pushinteger(L, (lua_Integer)r.pblk);
	lua_pushinteger(L, (lua_Integer)r.len);
	lua_pushboolean(L, (r.flags & E2C_UNINIT) != 0);
	return 4;
}

static int holes_next(lua_State *L, struct e2l_cursor *cur)
{
	struct e2c_piece h;
	errcode_t retval;
	int got;

	if (!cur->map)
		return 0;
	retval = e2c_map_next_hole(cur->map, &h, &got);
	if (retval)
		return cursor_fail(L, cur, retval, NULL);
	if (!got)
		return 0;
	lua_pushinteger(L, (lua_Integer)h.lblk);
	lua_pushinteger(L, (lua_Integer)h.len);
	return 2;
}

#define SETINT(name, v) \
	(lua_pushinteger(L, (lua_Integer)(v)), lua_setfield(L, -2, (name)))

static int extents_next(lua_State *L, struct e2l_cursor *cur)
{
	struct e2c_piece p;
	errcode_t retval;
	int got;

	if (!e2c_map_is_extent(cur->map))
		return 0;			/* a block map has no entries */
	retval = e2c_map_next(cur->map, &p, &got);
	if (retval)
		return cursor_fail(L, cur, retval, NULL);
	if (!got)
		return 0;
	lua_createtable(L, 0, 10);
	SETINT("level", p.level);
	SETINT("depth", p.max_depth);
	SETINT("entry", p.entry);
	SETINT("entries", p.entries);
	SETINT("max_entries", p.max_entries);
	lua_pushboolean(L, p.kind == E2C_DATA);
	lua_setfield(L, -2, "leaf");
	SETINT("lblk", p.lblk);
	SETINT("pblk", p.pblk);
	SETINT("len", p.kind == E2C_DATA ? p.len : p.span);
	lua_pushboolean(L, (p.flags & E2C_UNINIT) != 0);
	lua_setfield(L, -2, "uninit");
	return 1;
}

int e2l_map_cursor(lua_State *L, int inoidx, enum e2l_walk_kind kind)
{
	struct e2l_cursor *cur;
	e2c_fs *fs;
	ext2_ino_t ino = e2l_checkinode(L, inoidx, &fs);
	errcode_t retval;

	inoidx = lua_absindex(L, inoidx);
	lua_getiuservalue(L, inoidx, 1);		/* [.., fsud] */
	cur = newcursor(L, -1, (enum cursor_kind)kind);	/* [.., fsud, cur] */
	cursor_attach(L, cur, -2);
	lua_remove(L, -2);				/* [.., cur] */
	cur->ino = ino;
	/* An inode without a map has no holes either (a fast symlink or
	 * inline data is not a file of holes): the cursor just ends. */
	if (kind == E2L_HOLES && !e2c_inode_has_blocks(fs,
			(struct ext2_inode *)e2l_inodebuf(L, inoidx)))
		return for_values(L, cursor_iter);
	/* The snapshot the inode object holds is what gets walked. */
	retval = e2c_map_open(fs, ino, e2l_inodebuf(L, inoidx), &cur->map);
	if (retval)
		return cursor_fail(L, cur, retval, NULL);
	return for_values(L, cursor_iter);
}

/* ---------------------------------------------------------------- */
/* Inode scan                                                        */
/* ---------------------------------------------------------------- */

/* The next in-use inode the filter (uservalue 2) accepts. */
static int inodes_next(lua_State *L, struct e2l_cursor *cur)
{
	ext2_ino_t ino;
	errcode_t retval;

	for (;;) {
		retval = e2c_scan_next(cur->scan, &ino, cur->buf);
		if (retval)
			return cursor_fail(L, cur, retval, e2c_fs_path(cur->fs));
		if (!ino)
			return 0;
		lua_getiuservalue(L, 1, 1);		/* [cur, .., fsud] */
		e2l_pushinode(L, -1, ino, cur->buf);	/* [.., fsud, inode] */
		lua_remove(L, -2);
		if (lua_getiuservalue(L, 1, 2) == LUA_TNIL) {
			lua_pop(L, 1);
			return 1;
		}
		lua_pushvalue(L, -2);			/* [.., inode, f, inode] */
		lua_call(L, 1, 1);			/* [.., inode, keep] */
		/* The filter may have closed the cursor or the fs. */
		checkcursor(L, 1);
		if (lua_toboolean(L, -1)) {
			lua_pop(L, 1);
			return 1;
		}
		lua_pop(L, 2);
	}
}

int e2l_scan_cursor(lua_State *L, int fsidx, int filteridx)
{
	struct e2l_cursor *cur;
	e2c_fs *fs = e2l_checkfs(L, fsidx);
	errcode_t retval;

	cur = newcursor(L, fsidx, C_INODES);
	if (filteridx) {
		lua_pushvalue(L, filteridx);
		lua_setiuservalue(L, -2, 2);
	}
	cursor_attach(L, cur, fsidx);
	cur->buf = malloc(e2c_inode_buf_size(fs));
	if (!cur->buf)
		return cursor_fail(L, cur, ENOMEM, e2c_fs_path(cur->fs));
	retval = e2c_scan_open(fs, &cur->scan);
	if (retval)
		return cursor_fail(L, cur, retval, e2c_fs_path(cur->fs));
	return for_values(L, cursor_iter);
}

/* ---------------------------------------------------------------- */
/* Directory walk                                                    */
/* ---------------------------------------------------------------- */

static int walk_next(lua_State *L, struct e2l_cursor *cur)
{
	const char *path;
	ext2_ino_t ino;
	errcode_t retval;
	int got;

	retval = e2c_walk_next(cur->walk, &ino, &path, cur->buf, &got);
	if (retval == E2C_ERR_DIR_LOOP) {
		/* the code scripts know: a loop is a corrupt directory */
		lua_pushfstring(L, "directory <%I> reached twice (a directory "
				"loop)", (lua_Integer)ino);
		e2l_pusherror_msg(L, EXT2_ET_DIR_CORRUPTED, "walk", path,
				  lua_tostring(L, -1));
		cursor_release(&cur->child);
		return lua_error(L);
	}
	if (retval)
		return cursor_fail(L, cur, retval, path);
	if (!got)
		return 0;
	lua_pushstring(L, path);			/* [.., path] */
	lua_getiuservalue(L, 1, 1);
	e2l_pushinode(L, -1, ino, cur->buf);		/* [.., path, fs, inode] */
	lua_remove(L, -2);
	return 2;
}

int e2l_walk_cursor(lua_State *L, int fsidx, ext2_ino_t ino,
		    const char *path)
{
	struct e2l_cursor *cur;
	e2c_fs *fs = e2l_checkfs(L, fsidx);
	errcode_t retval;

	cur = newcursor(L, fsidx, C_WALK);
	cursor_attach(L, cur, fsidx);
	cur->ino = ino;
	cur->buf = malloc(e2c_inode_buf_size(fs));
	if (!cur->buf)
		return cursor_fail(L, cur, ENOMEM, path);
	retval = e2c_walk_open(fs, ino, path, &cur->walk);
	if (retval)
		return cursor_fail(L, cur, retval, path);
	return for_values(L, cursor_iter);
}

/* ---------------------------------------------------------------- */
/* Free space                                                        */
/* ---------------------------------------------------------------- */

static int free_next(lua_State *L, struct e2l_cursor *cur)
{
	blk64_t blk, len;
	errcode_t retval;
	int got;

	retval = e2c_free_next(&cur->free, &blk, &len, &got);
	if (retval)
		return cursor_fail(L, cur, retval, e2c_fs_path(cur->fs));
	if (!got)
		return 0;
	lua_pushinteger(L, (lua_Integer)blk);
	lua_pushinteger(L, (lua_Integer)len);
	return 2;
}

int e2l_free_cursor(lua_State *L, int fsidx, blk64_t start, blk64_t count)
{
	struct e2l_cursor *cur;
	e2c_fs *fs = e2l_checkfs(L, fsidx);
	errcode_t retval;

	cur = newcursor(L, fsidx, C_FREE);
	cursor_attach(L, cur, fsidx);
	retval = e2c_free_begin(fs, start, count, &cur->free);
	if (retval)
		return cursor_fail(L, cur, retval, e2c_fs_path(fs));
	return for_values(L, cursor_iter);
}

/* ---------------------------------------------------------------- */
/* The object                                                        */
/* ---------------------------------------------------------------- */

/* The iterator of every cursor: for's state is the cursor.  At the end it
 * closes the cursor and returns nothing (nil ends the for). */
static int cursor_iter(lua_State *L)
{
	struct e2l_cursor *cur = checkcursor(L, 1);
	int n;

	lua_settop(L, 1);
	switch (cur->kind) {
	case C_BLOCKS: n = blocks_next(L, cur); break;
	case C_RUNS: n = runs_next(L, cur); break;
	case C_HOLES: n = holes_next(L, cur); break;
	case C_EXTENTS: n = extents_next(L, cur); break;
	case C_INODES: n = inodes_next(L, cur); break;
	case C_FREE: n = free_next(L, cur); break;
	default: n = walk_next(L, cur); break;
	}
	if (n == 0)
		cursor_release(&cur->child);
	return n;
}

/* cursor:close(), __close and __gc: release, whatever state it is in. */
static int cursor_close(lua_State *L)
{
	cursor_release(&tocursor(L, 1)->child);
	return 0;
}

static int cursor_tostring(lua_State *L)
{
	struct e2l_cursor *cur = tocursor(L, 1);

	lua_pushfstring(L, E2L_CURSOR " (%s, %s)", kind_names[cur->kind],
			cur->open ? "open" : "closed");
	return 1;
}

void e2l_cursor_open(lua_State *L)
{
	static const luaL_Reg meta[] = {
		{ "__index", NULL },
		{ "__gc", cursor_close },
		{ "__close", cursor_close },
		{ "__tostring", cursor_tostring },
		{ NULL, NULL }
	};
	static const luaL_Reg methods[] = {
		{ "close", cursor_close },
		{ NULL, NULL }
	};

	e2l_newmeta(L, E2L_CURSOR, meta, methods, NULL);
}
