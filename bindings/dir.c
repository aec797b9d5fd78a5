/*
 * dir.c -- ino:entries([opts]): a directory's entries in on-disk order,
 * as debugfs's ls walks them (the data of ls -j).
 */
#include <stdlib.h>
#include <string.h>

#include "aux.h"

enum ent_kind { ENT_LIVE, ENT_DELETED, ENT_CSUM };

struct ent {
	enum ent_kind kind;
	ext2_ino_t ino;
	int ftype, rec_len;
	unsigned int name_len;
	__u32 csum;		/* ENT_CSUM: the block's checksum */
	char *name;
};

struct ents {
	struct ent *v;
	size_t n, cap;
	errcode_t err;
};

/* ext2fs_dir_iterate2 callback: copy the entry (no Lua in a libext2fs
 * callback). */
static int collect(ext2_ino_t dir, int entry, struct ext2_dir_entry *d,
		   int offset, int blocksize, char *buf, void *priv)
{
	struct ents *e = priv;
	struct ent *v;
	unsigned int len = ext2fs_dirent_name_len(d);

	(void)dir;
	(void)offset;
	(void)blocksize;
	(void)buf;
	if (e2c_grow(&e->v, &e->cap, e->n + 1, sizeof(*e->v)))
		goto oom;
	v = &e->v[e->n];
	memset(v, 0, sizeof(*v));
	v->kind = entry == DIRENT_DELETED_FILE ? ENT_DELETED :
		  entry == DIRENT_CHECKSUM ? ENT_CSUM : ENT_LIVE;
	v->ino = d->inode;
	v->rec_len = d->rec_len;
	if (v->kind == ENT_CSUM) {
		v->ino = 0;
		v->csum = ((struct ext2_dir_entry_tail *)d)->det_checksum;
	} else {
		v->ftype = ext2fs_dirent_file_type(d);
		v->name_len = len;
		v->name = malloc(len + 1);
		if (!v->name)
			goto oom;
		memcpy(v->name, d->name, len);
	}
	e->n++;
	return 0;
oom:
	e->err = ENOMEM;
	return DIRENT_ABORT;
}

#define SETINT(name, v) \
	(lua_pushinteger(L, (lua_Integer)(v)), lua_setfield(L, -2, (name)))

/* Push the entry's table; its inode (a live entry's) read into buf. */
static errcode_t push_entry(lua_State *L, e2c_fs *fs, const struct ent *v,
			    struct ext2_inode *buf)
{
	errcode_t retval;

	lua_createtable(L, 0, 10);
	SETINT("ino", v->ino);
	SETINT("rec_len", v->rec_len);
	lua_pushboolean(L, v->kind == ENT_DELETED);
	lua_setfield(L, -2, "deleted");
	if (v->kind == ENT_CSUM) {
		SETINT("checksum", v->csum);
		return 0;
	}
	lua_pushlstring(L, v->name, v->name_len);
	lua_setfield(L, -2, "name");
	SETINT("file_type", v->ftype);
	if (v->kind != ENT_LIVE || !v->ino)
		return 0;
	retval = e2c_read_inode(fs, v->ino, buf);
	if (retval)
		return retval;
	SETINT("mode", buf->i_mode);
	SETINT("uid", inode_uid(*buf));
	SETINT("gid", inode_gid(*buf));
	SETINT("size", EXT2_I_SIZE(buf));
	SETINT("mtime", E2C_XTIME(fs, buf, mtime));
	return 0;
}

/*
 * ino:entries([{deleted=, checksums=}]) -> array of {ino=, name=,
 * rec_len=, file_type=, deleted=, and for a live entry with an inode
 * mode=, uid=, gid=, size=, mtime=}; with checksums, each directory
 * block's checksum tail as {ino=0, rec_len=, deleted=false, checksum=}.
 * Empty entries (inode 0) are listed too, as debugfs's ls does.
 */
int e2l_inode_entries(lua_State *L)
{
	static const char *const keys[] = { "deleted", "checksums", NULL };
	int flags = DIRENT_FLAG_INCLUDE_EMPTY;
	char name[E2L_INOBUF];
	struct ents e = { 0 };
	struct ext2_inode *buf = NULL;
	e2c_fs *fs;
	ext2_ino_t ino = e2l_checkinode(L, 1, &fs);
	errcode_t retval;
	size_t k;

	e2l_checknargs(L, 2);
	if (!lua_isnoneornil(L, 2)) {
		e2l_checkopts(L, 2, keys, "entries");
		if (e2l_optbool(L, 2, "deleted"))
			flags |= DIRENT_FLAG_INCLUDE_REMOVED;
		if (e2l_optbool(L, 2, "checksums"))
			flags |= DIRENT_FLAG_INCLUDE_CSUM;
	}
	retval = ext2fs_check_directory(e2c_fs_handle(fs), ino);
	if (!retval)
		retval = ext2fs_dir_iterate2(e2c_fs_handle(fs), ino, flags, NULL, collect,
					     &e);
	if (!retval)
		retval = e.err;
	if (!retval) {
		buf = malloc(e2c_inode_buf_size(fs));
		if (!buf)
			retval = ENOMEM;
	}
	if (!retval)
		lua_createtable(L, (int)e.n, 0);
	for (k = 0; k < e.n; k++) {
		if (!retval) {
			retval = push_entry(L, fs, &e.v[k], buf);
			if (retval)
				ino = e.v[k].ino;	/* name it */
			else
				lua_rawseti(L, -2, (lua_Integer)k + 1);
		}
		free(e.v[k].name);
	}
	free(e.v);
	free(buf);
	if (retval)
		return e2l_error(L, retval, "entries", e2l_inoname(name, ino));
	return 1;
}
