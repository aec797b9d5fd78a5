/*
 * content.c -- an inode's data from Lua: ino:read, ino:lines, ino:chunks,
 * ino:checksum, ino:dump, ino:rdump, and e2.reader, the state behind the
 * lines and chunks iterators.
 *
 * A reader is made closed, then gets its core reader (e2c_file); it is a
 * child of its fs (closed before it), closes at the end of the data, and
 * close()/__close/__gc share one idempotent close, as cursors do.
 */
#include <stdlib.h>
#include <string.h>

#include "aux.h"

/* What one step of lines() reads; what chunks() yields by default. */
#define LINE_BUF (64 * 1024)
#define CHUNK_DEFAULT (1024 * 1024)

enum reader_kind { R_LINES, R_LINES_NL, R_CHUNKS };

struct e2l_reader {
	struct e2l_child child;		/* first: the fs's list */
	int open;
	enum reader_kind kind;
	e2c_file *f;
	ext2_ino_t ino;
	__u64 off;			/* next byte to read from f */
	size_t chunk;			/* chunks(): bytes per step */
	char *buf;			/* lines(): bytes read ahead */
	size_t have, pos;		/* ... how many, next to look at */
};

/* Open a core reader on the snapshot held by the e2.inode at idx.  Errors
 * name the inode "<ino>": the path the caller used is not known here. */
static e2c_file *open_file(lua_State *L, int idx, const char *op)
{
	char name[E2L_INOBUF];
	e2c_fs *fs;
	ext2_ino_t ino = e2l_checkinode(L, idx, &fs);
	e2c_file *f;
	errcode_t retval;

	retval = e2c_file_open(fs, ino, e2l_inodebuf(L, idx), &f);
	if (retval)
		e2l_error(L, retval, op, e2l_inoname(name, ino));
	return f;
}

/* ino:read([offset [, length]]) -> string: length bytes (default: to the
 * end) from offset (default 0), fewer at the end, "" past it. */
int e2l_inode_read(lua_State *L)
{
	lua_Integer off = luaL_optinteger(L, 2, 0);
	lua_Integer len = luaL_optinteger(L, 3, -1);
	char name[E2L_INOBUF];
	ext2_ino_t ino = e2l_checkinode(L, 1, NULL);
	__u64 size = EXT2_I_SIZE(e2l_inodebuf(L, 1));
	luaL_Buffer b;
	e2c_file *f;
	size_t got;
	char *p;
	errcode_t retval;

	luaL_argcheck(L, off >= 0, 2, "offset must not be negative");
	luaL_argcheck(L, lua_isnoneornil(L, 3) || len >= 0, 3,
		      "length must not be negative");
	e2l_checknargs(L, 3);
	if ((__u64)off >= size)
		len = 0;
	else if (len < 0 || (__u64)len > size - (__u64)off)
		len = (lua_Integer)(size - (__u64)off);
	if ((__u64)len >= (__u64)LUA_MAXINTEGER / 2)	/* no such memory */
		return e2l_error(L, ENOMEM, "read", e2l_inoname(name, ino));
	/* Lua's memory: an error below cannot leak it. */
	p = luaL_buffinitsize(L, &b, (size_t)len);
	f = open_file(L, 1, "read");
	retval = e2c_file_pread(f, (__u64)off, p, (size_t)len, &got);
	e2c_file_close(f);
	if (retval)
		return e2l_error(L, retval, "read", e2l_inoname(name, ino));
	luaL_pushresultsize(&b, got);
	return 1;
}

/* ---------------------------------------------------------------- */
/* e2.reader: lines() and chunks()                                   */
/* ---------------------------------------------------------------- */

static void reader_release(struct e2l_child *c)
{
	struct e2l_reader *r = (struct e2l_reader *)c;

	if (!r->open)
		return;
	r->open = 0;
	e2l_child_unlink(&r->child);
	e2c_file_close(r->f);
	r->f = NULL;
	free(r->buf);
	r->buf = NULL;
}

static struct e2l_reader *toreader(lua_State *L, int idx)
{
	return luaL_checkudata(L, idx, E2L_READER);
}

/* Close, then raise the core error (the iteration cannot go on). */
static int reader_fail(lua_State *L, struct e2l_reader *r, errcode_t code)
{
	char name[E2L_INOBUF];

	reader_release(&r->child);
	return e2l_error(L, code, r->kind == R_CHUNKS ? "chunks" : "lines",
			 e2l_inoname(name, r->ino));
}

/* The next line (without its newline for "l"), or nothing at the end. */
static int lines_next(lua_State *L, struct e2l_reader *r)
{
	luaL_Buffer b;
	int any = 0;
	errcode_t retval;

	luaL_buffinit(L, &b);
	for (;;) {
		char *p, *nl;
		size_t n;

		if (r->pos == r->have) {
			retval = e2c_file_pread(r->f, r->off, r->buf, LINE_BUF,
						&r->have);
			if (retval)
				return reader_fail(L, r, retval);
			r->off += r->have;
			r->pos = 0;
			if (!r->have)
				break;			/* end of the data */
		}
		p = r->buf + r->pos;
		n = r->have - r->pos;
		nl = memchr(p, '\n', n);
		any = 1;
		if (nl) {
			n = (size_t)(nl - p);
			luaL_addlstring(&b, p, n + (r->kind == R_LINES_NL));
			r->pos += n + 1;
			break;
		}
		luaL_addlstring(&b, p, n);
		r->pos = r->have;
	}
	if (!any)
		return 0;
	luaL_pushresult(&b);
	return 1;
}

static int chunks_next(lua_State *L, struct e2l_reader *r)
{
	luaL_Buffer b;
	char *p = luaL_buffinitsize(L, &b, r->chunk);
	size_t got;
	errcode_t retval;

	retval = e2c_file_pread(r->f, r->off, p, r->chunk, &got);
	if (retval)
		return reader_fail(L, r, retval);
	if (!got)
		return 0;
	r->off += got;
	luaL_pushresultsize(&b, got);
	return 1;
}

/* The iterator: for's state is the reader; at the end it closes it. */
static int reader_iter(lua_State *L)
{
	struct e2l_reader *r = toreader(L, 1);
	int n;

	e2l_parentfs(L, 1, "an " E2L_READER);
	if (!r->open)
		return luaL_error(L, "attempt to use a closed " E2L_READER);
	lua_settop(L, 1);
	n = r->kind == R_CHUNKS ? chunks_next(L, r) : lines_next(L, r);
	if (n == 0)
		reader_release(&r->child);
	return n;
}

/* A reader over the e2.inode at 1, pushed with the 4 values of a generic
 * for: iterator, reader, nil, reader (to-be-closed). */
static int push_reader(lua_State *L, enum reader_kind kind, size_t chunk)
{
	struct e2l_reader *r;
	e2c_fs *fs;
	ext2_ino_t ino = e2l_checkinode(L, 1, &fs);

	r = lua_newuserdatauv(L, sizeof(*r), 1);	/* [.., r] */
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->ino = ino;
	r->chunk = chunk;
	r->child.close = reader_release;
	luaL_setmetatable(L, E2L_READER);
	lua_getiuservalue(L, 1, 1);			/* [.., r, fsud] */
	lua_pushvalue(L, -1);
	lua_setiuservalue(L, -3, 1);			/* keeps the fs alive */
	e2l_child_link(e2l_checkfsud(L, -1), &r->child);
	lua_pop(L, 1);
	r->open = 1;					/* close frees from here */
	if (kind != R_CHUNKS) {
		r->buf = malloc(LINE_BUF);
		if (!r->buf)
			return reader_fail(L, r, ENOMEM);
	}
	r->f = open_file(L, 1, kind == R_CHUNKS ? "chunks" : "lines");
	lua_pushcfunction(L, reader_iter);		/* [.., r, iter] */
	lua_pushvalue(L, -2);
	lua_pushnil(L);
	lua_pushvalue(L, -4);
	return 4;
}

/* ino:lines([fmt]) -> iterator of lines: fmt "l" (default) strips the
 * newline, "L" keeps it, as io.lines. */
int e2l_inode_lines(lua_State *L)
{
	static const char *const fmts[] = { "l", "L", NULL };
	int fmt = luaL_checkoption(L, 2, "l", fmts);

	e2l_checkinode(L, 1, NULL);
	e2l_checknargs(L, 2);
	return push_reader(L, fmt ? R_LINES_NL : R_LINES, 0);
}

/* ino:chunks([size]) -> iterator of strings of size bytes (default 1 MiB),
 * the last one shorter. */
int e2l_inode_chunks(lua_State *L)
{
	lua_Integer size = luaL_optinteger(L, 2, CHUNK_DEFAULT);

	e2l_checkinode(L, 1, NULL);
	luaL_argcheck(L, size > 0 && size <= (1 << 30), 2,
		      "chunk size must be from 1 to 2^30");
	e2l_checknargs(L, 2);
	return push_reader(L, R_CHUNKS, (size_t)size);
}

static int reader_close(lua_State *L)
{
	reader_release(&toreader(L, 1)->child);
	return 0;
}

static int reader_tostring(lua_State *L)
{
	struct e2l_reader *r = toreader(L, 1);

	lua_pushfstring(L, E2L_READER " (%s <%I>, %s)",
			r->kind == R_CHUNKS ? "chunks" : "lines",
			(lua_Integer)r->ino, r->open ? "open" : "closed");
	return 1;
}

/* ---------------------------------------------------------------- */
/* Checksums and dumps                                               */
/* ---------------------------------------------------------------- */

/* Push md as lowercase hex. */
static void pushhex(lua_State *L, const unsigned char *md, size_t len)
{
	char hex[2 * E2C_DIGEST_MAX + 1];
	size_t i;

	for (i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	lua_pushlstring(L, hex, 2 * len);
}

/* ino:checksum([algo]) -> lowercase hex digest of the content (default
 * "sha256") */
int e2l_inode_checksum(lua_State *L)
{
	const char *algo = luaL_optstring(L, 2, "sha256");
	unsigned char md[E2C_DIGEST_MAX];
	char name[E2L_INOBUF];
	ext2_ino_t ino = e2l_checkinode(L, 1, NULL);
	size_t len;
	e2c_file *f;
	errcode_t retval;

	e2l_checknargs(L, 2);
	retval = e2c_digest_size(algo, &len);
	if (retval)
		return e2l_error(L, retval, "checksum", algo);
	f = open_file(L, 1, "checksum");
	retval = e2c_file_checksum(f, algo, md, &len);
	e2c_file_close(f);
	if (retval)
		return e2l_error(L, retval, "checksum",
				 e2l_inoname(name, ino));
	pushhex(L, md, len);
	return 1;
}

/* e2.hash(algo, s) -> lowercase hex digest of the string s */
int e2l_hash(lua_State *L)
{
	const char *algo = luaL_checkstring(L, 1);
	size_t n, len;
	const char *s = luaL_checklstring(L, 2, &n);
	unsigned char md[E2C_DIGEST_MAX];
	errcode_t retval;

	e2l_checknargs(L, 2);
	retval = e2c_checksum_buf(algo, s, n, md, &len);
	if (retval)
		return e2l_error(L, retval, "hash", algo);
	pushhex(L, md, len);
	return 1;
}

/* ino:dump(path [, {preserve=, force=}]): the content into a new host
 * file (see e2c_dump) */
int e2l_inode_dump(lua_State *L)
{
	static const char *const keys[] = { "preserve", "force", NULL };
	const char *out = luaL_checkstring(L, 2);
	char name[E2L_INOBUF];
	e2c_fs *fs;
	ext2_ino_t ino = e2l_checkinode(L, 1, &fs);
	unsigned int flags = 0;
	errcode_t retval;
	int on_host;

	e2l_checknargs(L, 3);
	if (!lua_isnoneornil(L, 3)) {
		e2l_checkopts(L, 3, keys, "dump");
		if (e2l_optbool(L, 3, "preserve"))
			flags |= E2C_DUMP_PRESERVE;
		if (e2l_optbool(L, 3, "force"))
			flags |= E2C_DUMP_FORCE;
	}
	retval = e2c_dump(fs, ino, e2l_inodebuf(L, 1), out, flags, &on_host);
	if (retval)
		return e2l_error(L, retval, "dump", on_host ? out :
				 e2l_inoname(name, ino));
	return 0;
}

/* The failures of one rdump, kept in C until it returns (no Lua runs
 * inside the core). */
struct failures {
	struct failure { char *path; errcode_t code; } *v;
	size_t n, cap;
	int oom;
};

static void note_failure(const char *path, errcode_t code, void *arg)
{
	struct failures *fl = arg;
	char *p;

	if (e2c_grow(&fl->v, &fl->cap, fl->n + 1, sizeof(*fl->v)) ||
	    !(p = strdup(path))) {
		fl->oom = 1;
		return;
	}
	fl->v[fl->n].path = p;
	fl->v[fl->n++].code = code;
}

static void free_failures(struct failures *fl)
{
	size_t i;

	for (i = 0; i < fl->n; i++)
		free(fl->v[i].path);
	free(fl->v);
}

/* The failures as an array of e2.error (arg 1: the list). */
static int push_failures(lua_State *L)
{
	struct failures *fl = lua_touserdata(L, 1);
	size_t i;

	lua_createtable(L, (int)fl->n, 0);
	for (i = 0; i < fl->n; i++) {
		e2l_pusherror(L, fl->v[i].code, "rdump", fl->v[i].path);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	return 1;
}

#define SETINT(name, v) \
	(lua_pushinteger(L, (lua_Integer)(v)), lua_setfield(L, -2, (name)))

/* ino:rdump(dir [, name]) -> {files=, dirs=, symlinks=, skipped=,
 * failed=, errors={e2.error...}}: the tree at ino recreated as dir/name
 * (name "": into dir itself; default: the inode's own name, "" for the
 * root) */
int e2l_inode_rdump(lua_State *L)
{
	const char *dir = luaL_checkstring(L, 2);
	struct failures fl = { NULL, 0, 0, 0 };
	struct e2c_rdump_totals t;
	char iname[E2L_INOBUF];
	const char *name;
	e2c_fs *fs;
	ext2_ino_t ino = e2l_checkinode(L, 1, &fs);
	errcode_t retval;
	int status;

	e2l_checknargs(L, 3);
	if (lua_isnoneornil(L, 3)) {
		e2l_pushpath(L, fs, ino, e2l_inoname(iname, ino));
		name = lua_tostring(L, -1);
		name = name ? strrchr(name, '/') + 1 : e2l_inoname(iname, ino);
	} else {
		name = luaL_checkstring(L, 3);
	}
	retval = e2c_rdump(fs, ino, name, dir, note_failure, &fl, &t);
	if (!retval && fl.oom)
		retval = ENOMEM;
	if (retval) {
		free_failures(&fl);
		return e2l_error(L, retval, "rdump", *name && retval ==
				 E2C_ERR_UNSAFE_NAME ? name : dir);
	}
	/* Into Lua under a protected call, so that the C list is freed
	 * whatever happens. */
	lua_pushcfunction(L, push_failures);
	lua_pushlightuserdata(L, &fl);
	status = lua_pcall(L, 1, 1, 0);			/* [.., errs] */
	free_failures(&fl);
	if (status != LUA_OK)
		return lua_error(L);
	lua_createtable(L, 0, 6);			/* [.., errs, t] */
	SETINT("files", t.files);
	SETINT("dirs", t.dirs);
	SETINT("symlinks", t.symlinks);
	SETINT("skipped", t.skipped);
	SETINT("failed", t.failed);
	lua_insert(L, -2);
	lua_setfield(L, -2, "errors");
	return 1;
}

/* ---------------------------------------------------------------- */
/* Registration                                                      */
/* ---------------------------------------------------------------- */

void e2l_reader_open(lua_State *L)
{
	static const luaL_Reg meta[] = {
		{ "__index", NULL },
		{ "__gc", reader_close },
		{ "__close", reader_close },
		{ "__tostring", reader_tostring },
		{ NULL, NULL }
	};
	static const luaL_Reg methods[] = {
		{ "close", reader_close },
		{ NULL, NULL }
	};

	e2l_newmeta(L, E2L_READER, meta, methods, NULL);
}
