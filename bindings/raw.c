/*
 * raw.c -- structures as stored: fs:imap, fs:read_block, fs:htree (the
 * index of a hash-indexed directory as nested tables) and ino:raw.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aux.h"

#define SETINT(name, v) \
	(lua_pushinteger(L, (lua_Integer)(v)), lua_setfield(L, -2, (name)))
#define SETBOOL(name, v) \
	(lua_pushboolean(L, (v)), lua_setfield(L, -2, (name)))

/* The inode argument as errors name it: the string given, else "<n>". */
static const char *argname(lua_State *L, int arg, ext2_ino_t ino, char *buf)
{
	if (lua_type(L, arg) == LUA_TSTRING)
		return lua_tostring(L, arg);
	return e2l_inoname(buf, ino);
}

/* fs:imap(x) -> {group=, block=, offset=} */
int e2l_fs_imap(lua_State *L)
{
	e2c_fs *fs = e2l_checkfs(L, 1);
	ext2_ino_t ino = e2l_checkino(L, 1, 2, "imap");
	char name[E2L_INOBUF];
	unsigned int offset;
	errcode_t retval;
	dgrp_t group;
	blk64_t blk;

	e2l_checknargs(L, 2);
	retval = e2c_imap(fs, ino, &group, &blk, &offset);
	if (retval)
		return e2l_error(L, retval, "imap", argname(L, 2, ino, name));
	lua_createtable(L, 0, 3);
	SETINT("group", group);
	SETINT("block", blk);
	SETINT("offset", offset);
	return 1;
}

/* fs:read_block(blk) -> the block's bytes, as stored */
int e2l_fs_read_block(lua_State *L)
{
	e2c_fs *fs = e2l_checkfs(L, 1);
	lua_Integer b = luaL_checkinteger(L, 2);
	luaL_Buffer lb;
	errcode_t retval;
	char *buf;

	e2l_checknargs(L, 2);
	luaL_argcheck(L, b >= 0 &&
		      (blk64_t)b < ext2fs_blocks_count(e2c_fs_handle(fs)->super), 2,
		      "block number outside the filesystem");
	buf = luaL_buffinitsize(L, &lb, e2c_fs_block_size(fs));
	retval = e2c_read_block(fs, (blk64_t)b, buf);
	if (retval) {
		lua_pushfstring(L, "%I", b);
		return e2l_error(L, retval, "read_block", lua_tostring(L, -1));
	}
	luaL_pushresultsize(&lb, e2c_fs_block_size(fs));
	return 1;
}

/*
 * Call the function below the nargs arguments on top with data (a core
 * result) as one more, light, argument, protected, so that data is
 * released whatever the function raises; push what it returns.
 */
static int push_protected(lua_State *L, int nargs, void *data,
			  void (*release)(void *))
{
	int status;

	lua_pushlightuserdata(L, data);
	status = lua_pcall(L, nargs + 1, 1, 0);
	release(data);
	if (status != LUA_OK)
		return lua_error(L);
	return 1;
}

/* ---------------------------------------------------------------- */
/* fs:htree                                                          */
/* ---------------------------------------------------------------- */

/* A failure inside the index: an e2.error as field err. */
static void set_err(lua_State *L, errcode_t err, const char *dir)
{
	e2l_pusherror(L, err, "htree", dir);
	lua_setfield(L, -2, "err");
}

static void push_leaf(lua_State *L, const struct e2c_dx_leaf *leaf,
		      const char *dir)
{
	size_t i;

	lua_createtable(L, 0, 6);
	SETINT("lblk", leaf->lblk);
	SETINT("pblk", leaf->pblk);
	if (leaf->err)
		set_err(L, leaf->err, dir);
	SETBOOL("corrupt", leaf->corrupt);
	lua_createtable(L, (int)leaf->count, 0);
	for (i = 0; i < leaf->count; i++) {
		const struct e2c_dx_dirent *e = &leaf->ents[i];

		lua_createtable(L, 0, 7);
		SETINT("offset", e->offset);
		SETINT("rec_len", e->rec_len);
		if (e->tail) {
			SETBOOL("tail", 1);
			SETINT("checksum", e->checksum);
		} else {
			SETINT("ino", e->ino);
			lua_pushlstring(L, e->name, e->name_len);
			lua_setfield(L, -2, "name");
			if (!e->hash_err) {
				SETINT("hash", e->hash);
				SETINT("minor_hash", e->minor_hash);
			}
		}
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	lua_setfield(L, -2, "entries");
}

static void push_node(lua_State *L, const struct e2c_dx_node *node,
		      const char *dir)
{
	unsigned int i;

	luaL_checkstack(L, 6, "htree too deep");
	lua_createtable(L, 0, 10);
	SETINT("level", node->level);
	SETINT("lblk", node->lblk);
	SETINT("pblk", node->pblk);
	SETINT("count", node->count);
	SETINT("limit", node->limit);
	if (node->has_tail) {
		SETINT("checksum", node->checksum);
		if (!node->csum_err)
			SETINT("expected", node->expected);
	}
	if (node->err)
		set_err(L, node->err, dir);
	lua_createtable(L, node->ents ? (int)node->count : 0, 0);
	for (i = 0; node->ents && i < node->count; i++) {
		const struct e2c_dx_entry *e = &node->ents[i];

		lua_createtable(L, 0, 3);
		SETINT("hash", e->hash);
		SETINT("block", e->block);
		if (e->node) {
			push_node(L, e->node, dir);
			lua_setfield(L, -2, "node");
		} else if (e->leaf) {
			push_leaf(L, e->leaf, dir);
			lua_setfield(L, -2, "leaf");
		}
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	lua_setfield(L, -2, "entries");
}

/* Build the table (protected: the caller frees the tree whatever
 * happens).  [dir name, tree (light)] */
static int push_htree(lua_State *L)
{
	const char *dir = lua_tostring(L, 1);
	const struct e2c_htree *t = lua_touserdata(L, 2);

	lua_createtable(L, 0, 9);
	SETINT("ino", t->ino);
	SETINT("reserved_zero", t->reserved_zero);
	SETINT("hash_version", t->hash_version);
	SETINT("hash_alg", t->hash_alg);
	SETINT("info_length", t->info_length);
	SETINT("indirect_levels", t->indirect_levels);
	SETINT("flags", t->flags);
	push_node(L, &t->root, dir);
	lua_setfield(L, -2, "root");
	return 1;
}

static void free_htree(void *t)
{
	e2c_htree_free(t);
}

/* fs:htree(dir) -> the index as a table (doc/lua-api.md) */
int e2l_fs_htree(lua_State *L)
{
	e2c_fs *fs = e2l_checkfs(L, 1);
	ext2_ino_t ino = e2l_checkino(L, 1, 2, "htree");
	char name[E2L_INOBUF];
	const char *dir = argname(L, 2, ino, name);
	struct e2c_htree *t;
	errcode_t retval;

	e2l_checknargs(L, 2);
	/* Everything that may raise is pushed before the tree exists. */
	lua_pushcfunction(L, push_htree);
	lua_pushstring(L, dir);
	retval = e2c_htree_read(fs, ino, &t);
	if (retval)
		return e2l_error(L, retval, "htree", dir);
	return push_protected(L, 1, t, free_htree);
}

/* ino:raw() -> the inode as stored when the object was made (all of
 * its EXT2_INODE_SIZE bytes) */
int e2l_inode_raw(lua_State *L)
{
	e2c_fs *fs;

	e2l_checkinode(L, 1, &fs);
	e2l_checknargs(L, 1);
	lua_pushlstring(L, (const char *)e2l_inodebuf(L, 1),
			EXT2_INODE_SIZE(e2c_fs_handle(fs)->super));
	return 1;
}

/* A string field unless empty. */
static void setstr(lua_State *L, const char *name, const char *v)
{
	if (!*v)
		return;
	lua_pushstring(L, v);
	lua_setfield(L, -2, name);
}

/* The table of e2.partitions (protected: the caller frees t). */
static int push_parts(lua_State *L)
{
	const struct e2c_parttable *t = lua_touserdata(L, 1);
	size_t i;

	lua_createtable(L, (int)t->count, 2);
	setstr(L, "scheme", t->scheme);
	setstr(L, "id", t->id);
	for (i = 0; i < t->count; i++) {
		const struct e2c_part *p = &t->parts[i];

		lua_createtable(L, 0, 10);
		SETINT("number", p->number);
		SETINT("start", p->start);
		SETINT("size", p->size);
		if (p->type_guid[0]) {
			setstr(L, "type", p->type_guid);
		} else {
			char type[8];

			snprintf(type, sizeof(type), "0x%02x", p->mbr_type);
			setstr(L, "type", type);
		}
		setstr(L, "name", p->name);
		setstr(L, "uuid", p->part_uuid);
		SETBOOL("extended", p->extended);
		SETBOOL("logical", p->logical);
		if (p->fstype[0]) {
			lua_createtable(L, 0, 3);
			setstr(L, "type", p->fstype);
			setstr(L, "label", p->label);
			setstr(L, "uuid", p->uuid);
			lua_setfield(L, -2, "fs");
		}
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	return 1;
}

/* e2.partitions(path) -> {scheme=, id=, {number=, start=, size=, type=,
 * name=, uuid=, extended=, logical=, fs={type=, label=, uuid=} or
 * nil}...} */
int e2l_partitions(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	struct e2c_parttable *t;
	errcode_t retval;

	e2l_checknargs(L, 1);
	lua_pushcfunction(L, push_parts);
	retval = e2c_part_list(path, &t);
	if (retval)
		return e2l_error(L, retval, "partitions", path);
	return push_protected(L, 0, t, free);
}
