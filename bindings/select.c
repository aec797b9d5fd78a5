/*
 * select.c -- e2.selection, what a migration policy takes (core/select.c):
 *
 *   local sel <close> = fs:select{ types = {regular = true}, min_size = 4096,
 *                                  order = "largest", max_files = 100 }
 *   repeat until sel:scan(4096)      -- every in-use inode, in chunks
 *   sel:finish()                     -- ordered runs: order, budgets
 *   tx:stage(sel)                    -- stage what was selected
 *
 * A child of its fs, like cursors and the tx (see aux.h).
 */
#include <string.h>

#include "aux.h"

struct e2l_sel {
	struct e2l_child child;	/* first: the fs's list */
	e2c_select *sel;	/* NULL once closed */
	e2c_fs *fs;
};

#define SETINT(name, v) \
	(lua_pushinteger(L, (lua_Integer)(v)), lua_setfield(L, -2, (name)))

static void sel_release(struct e2l_child *c)
{
	struct e2l_sel *s = (struct e2l_sel *)c;

	if (!s->sel)
		return;
	e2l_child_unlink(&s->child);
	e2c_select_close(s->sel);
	s->sel = NULL;
	s->fs = NULL;
}

static struct e2l_sel *tosel(lua_State *L, int idx)
{
	return luaL_checkudata(L, idx, E2L_SELECTION);
}

static struct e2l_sel *checksel(lua_State *L, int idx)
{
	struct e2l_sel *s = tosel(L, idx);

	e2l_parentfs(L, idx, "an " E2L_SELECTION);
	if (!s->sel)
		luaL_error(L, "attempt to use a closed " E2L_SELECTION);
	return s;
}

e2c_select *e2l_checkselect(lua_State *L, int idx)
{
	return checksel(L, idx)->sel;
}

/* Whether the criteria table at idx has key; pushes its value if so. */
static int has(lua_State *L, int idx, const char *key)
{
	if (lua_getfield(L, idx, key) != LUA_TNIL)
		return 1;
	lua_pop(L, 1);
	return 0;
}

/* An integer criterion in [min, max] (its value popped). */
static lua_Integer int_of(lua_State *L, const char *key, lua_Integer min,
			  lua_Integer max, const char *what)
{
	int ok;
	lua_Integer v = lua_tointegerx(L, -1, &ok);

	if (lua_type(L, -1) != LUA_TNUMBER || !ok || v < min || v > max)
		luaL_error(L, "criteria: %s must be %s, got %s", key, what,
			   luaL_tolstring(L, -1, NULL));
	lua_pop(L, 1);
	return v;
}

/* An integer criterion >= 0. */
static lua_Integer count_of(lua_State *L, const char *key)
{
	return int_of(L, key, 0, LUA_MAXINTEGER, "an integer >= 0");
}

/* The index of the string at the top of the stack in names (popped). */
static int option_of(lua_State *L, const char *key,
		     const char *const *names, const char *list)
{
	const char *v = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) :
			NULL;
	int i;

	for (i = 0; v && names[i]; i++)
		if (strcmp(names[i], v) == 0) {
			lua_pop(L, 1);
			return i;
		}
	return luaL_error(L, "criteria: %s must be one of %s, got %s", key,
			  list, luaL_tolstring(L, -1, NULL));
}

/* types: a set {regular = true, ...}, an array of names, or one name. */
static unsigned types_of(lua_State *L)
{
	static const char *const names[] = {
		"regular", "directory", "symlink", "other", NULL
	};
	static const char list[] = "regular, directory, symlink, other";
	unsigned bits = 0;

	if (lua_type(L, -1) == LUA_TSTRING)
		return 1u << option_of(L, "types", names, list);
	if (lua_type(L, -1) != LUA_TTABLE)
		luaL_error(L, "criteria: types must be a type name or a table "
			   "of them (%s), got %s", list, luaL_typename(L, -1));
	lua_pushnil(L);
	while (lua_next(L, -2)) {
		/* a set's keys (values booleans), an array's values */
		if (lua_type(L, -2) == LUA_TSTRING) {
			if (lua_type(L, -1) != LUA_TBOOLEAN)
				luaL_error(L, "criteria: types.%s must be a "
					   "boolean, got %s",
					   lua_tostring(L, -2),
					   luaL_typename(L, -1));
			if (lua_toboolean(L, -1)) {
				lua_pushvalue(L, -2);
				bits |= 1u << option_of(L, "types", names,
							list);
			}
		} else {
			lua_pushvalue(L, -1);
			bits |= 1u << option_of(L, "types", names, list);
		}
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	return bits;
}

static void parse_criteria(lua_State *L, int idx, struct e2c_criteria *c)
{
	static const char *const known[] = {
		"types", "uid", "gid", "mtime_before", "mtime_after",
		"min_size", "max_size", "min_runs", "order", "max_files",
		"max_data_blocks", "max_index_blocks", "keep_free", "log",
		"batch", "unmigrate", NULL
	};
	static const char *const orders[] = {
		"none", "largest", "smallest", "fragmented", "custom", NULL
	};

	memset(c, 0, sizeof(*c));
	if (lua_isnoneornil(L, idx))
		return;
	if (lua_type(L, idx) != LUA_TTABLE)
		luaL_error(L, "criteria must be a table, got %s",
			   luaL_typename(L, idx));
	e2l_checkopts(L, idx, known, "criteria");
	if (has(L, idx, "types"))
		c->types = types_of(L);
#define ID(field)							\
	if (has(L, idx, #field)) {					\
		c->use_##field = 1;					\
		c->field = int_of(L, #field, 0, 0xffffffff,		\
				  "an integer from 0 to 4294967295");	\
	}
	ID(uid)
	ID(gid)
#undef ID
#define COUNT(field, flag)						\
	if (has(L, idx, #field)) {					\
		c->flag = 1;						\
		c->field = count_of(L, #field);				\
	}
	COUNT(min_size, use_min_size)
	COUNT(max_size, use_max_size)
	COUNT(max_files, use_max_files)
	COUNT(max_data_blocks, use_max_data_blocks)
	COUNT(max_index_blocks, use_max_index_blocks)
#undef COUNT
	if (has(L, idx, "min_runs"))
		c->min_runs = count_of(L, "min_runs");
	if (has(L, idx, "batch"))
		c->batch = count_of(L, "batch");
	if (has(L, idx, "mtime_before")) {
		c->use_mtime_before = 1;
		c->mtime_before = int_of(L, "mtime_before", LUA_MININTEGER,
					 LUA_MAXINTEGER, "an integer (seconds "
					 "since the epoch)");
	}
	if (has(L, idx, "mtime_after")) {
		c->use_mtime_after = 1;
		c->mtime_after = int_of(L, "mtime_after", LUA_MININTEGER,
					LUA_MAXINTEGER, "an integer (seconds "
					"since the epoch)");
	}
	if (has(L, idx, "keep_free")) {
		c->use_keep_free = 1;
		c->keep_free = lua_tonumber(L, -1);
		if (lua_type(L, -1) != LUA_TNUMBER || !(c->keep_free >= 0) ||
		    c->keep_free > 100)
			luaL_error(L, "criteria: keep_free must be a number "
				   "from 0 to 100, got %s",
				   luaL_tolstring(L, -1, NULL));
		lua_pop(L, 1);
	}
	if (has(L, idx, "order"))
		c->order = option_of(L, "order", orders, "none, largest, "
				     "smallest, fragmented, custom");
	c->unmigrate = e2l_optbool(L, idx, "unmigrate");
	if (has(L, idx, "log")) {
		if (lua_type(L, -1) != LUA_TBOOLEAN)
			luaL_error(L, "criteria: log must be a boolean, got %s",
				   luaL_typename(L, -1));
		c->log = lua_toboolean(L, -1);
		lua_pop(L, 1);
	}
}

/* fs:select([criteria]) -> selection (fs userdata at fsidx) */
int e2l_select_new(lua_State *L, int fsidx)
{
	struct e2l_fs *f = e2l_checkfsud(L, fsidx);
	struct e2c_criteria crit;
	struct e2l_sel *s;
	errcode_t retval;

	fsidx = lua_absindex(L, fsidx);
	parse_criteria(L, fsidx + 1, &crit);
	s = lua_newuserdatauv(L, sizeof(*s), 1);	/* closed until open */
	memset(s, 0, sizeof(*s));
	s->child.close = sel_release;
	luaL_setmetatable(L, E2L_SELECTION);
	lua_pushvalue(L, fsidx);
	lua_setiuservalue(L, -2, 1);
	retval = e2c_select_open(f->fs, &crit, &s->sel);
	if (retval) {
		s->sel = NULL;
		return e2l_error(L, retval, "select", e2c_fs_path(f->fs));
	}
	s->fs = f->fs;
	e2l_child_link(f, &s->child);
	return 1;
}

/* sel:scan([max [, tx [, tx_max]]]) -> true once every inode was
 * considered; with tx (empty, unordered run), selected inodes are staged
 * into it as they come, up to tx_max of them */
static int sel_scan(lua_State *L)
{
	static const char *const keys[] = { "max", "tx", "tx_max", NULL };
	struct e2l_sel *s = checksel(L, 1);
	lua_Integer max, tx_max;
	e2c_tx *tx;
	char name[E2L_INOBUF];
	errcode_t retval;
	int done;

	if (lua_istable(L, 2)) {	/* sel:scan{max=, tx=, tx_max=} */
		e2l_checknargs(L, 2);
		e2l_checkopts(L, 2, keys, "sel:scan");
		max = e2l_optint(L, 2, "max", 0, LUA_MAXINTEGER);
		tx_max = e2l_optint(L, 2, "tx_max", 0, LUA_MAXINTEGER);
		lua_getfield(L, 2, "tx");		/* [sel, opts, tx] */
		lua_replace(L, 2);			/* [sel, tx] */
		tx = lua_isnil(L, 2) ? NULL : e2l_checktx(L, 2);
		if (tx)
			e2l_checksamefs(L, 1, 2);
	} else {	/* the old positional form (max, tx, tx_max) */
		e2l_checknargs(L, 4);
		if (!lua_isnoneornil(L, 2) || !lua_isnoneornil(L, 3) ||
		    !lua_isnoneornil(L, 4))
			e2l_deprecated(L, "sel:scan(max, tx, tx_max)",
				       "sel:scan{max=, tx=, tx_max=}");
		max = luaL_optinteger(L, 2, 0);
		tx = lua_isnoneornil(L, 3) ? NULL : e2l_checktx(L, 3);
		tx_max = luaL_optinteger(L, 4, 0);
		luaL_argcheck(L, max >= 0, 2, "must be >= 0");
		if (tx)
			e2l_checksamefs(L, 1, 3);
		luaL_argcheck(L, tx_max >= 0, 4, "must be >= 0");
	}
	retval = e2c_select_scan(s->sel, (size_t)max, tx, (size_t)tx_max,
				 &done);
	if (retval && e2c_select_stage_failed(s->sel))
		return e2l_error(L, retval, "migrate", e2l_inoname(name,
				 e2c_select_stage_failed(s->sel)));
	if (retval)
		return e2l_error(L, retval, "select", e2c_fs_path(s->fs));
	lua_pushboolean(L, done);
	return 1;
}

/* sel:offer(x) -> false once a budget stopped the run */
static int sel_offer(lua_State *L)
{
	struct e2l_sel *s = checksel(L, 1);
	char name[E2L_INOBUF];
	ext2_ino_t ino;
	errcode_t retval;
	int stopped;

	e2l_checknargs(L, 2);
	lua_settop(L, 2);
	lua_getiuservalue(L, 1, 1);			/* [sel, x, fs] */
	ino = e2l_checkino(L, 3, 2, "select");
	retval = e2c_select_offer(s->sel, ino, &stopped);
	/* Bitmaps that disagree are the filesystem's fault, not ino's. */
	if (retval == E2C_ERR_BLOCK_BITMAP || retval == E2C_ERR_INODE_BITMAP ||
	    retval == E2C_ERR_INODE_COUNT)
		return e2l_error(L, retval, "select", e2c_fs_path(s->fs));
	if (retval)
		return e2l_error(L, retval, "select",
				 e2l_inoname(name, ino));
	lua_pushboolean(L, !stopped);
	return 1;
}

/* sel:candidates() -> {ino...}: what an ordered run keeps, unordered */
static int sel_candidates(lua_State *L)
{
	struct e2l_sel *s = checksel(L, 1);
	ext2_ino_t ino;
	size_t i;

	e2l_checknargs(L, 1);
	lua_newtable(L);
	for (i = 0; (ino = e2c_select_candidate(s->sel, i)); i++) {
		lua_pushinteger(L, ino);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	return 1;
}

/* sel:finish([order]): order the candidates (order = {ino...} for the
 * order "custom") and apply the budgets */
static int sel_finish(lua_State *L)
{
	struct e2l_sel *s = checksel(L, 1);
	ext2_ino_t *order = NULL;
	size_t i, n = 0;
	errcode_t retval;

	e2l_checknargs(L, 2);
	if (!lua_isnoneornil(L, 2)) {
		luaL_checktype(L, 2, LUA_TTABLE);
		n = lua_rawlen(L, 2);
		order = lua_newuserdatauv(L, (n + 1) * sizeof(*order), 0);
		for (i = 0; i < n; i++) {
			lua_rawgeti(L, 2, (lua_Integer)i + 1);
			order[i] = (ext2_ino_t)luaL_checkinteger(L, -1);
			lua_pop(L, 1);
		}
	}
	retval = e2c_select_finish(s->sel, order, n);
	if (retval)
		return e2l_error(L, retval, "select", e2c_fs_path(s->fs));
	return 0;
}

/* sel:totals() -> {examined=, filtered=, skipped=, files=, regular=,
 * directories=, symlinks=, data_blocks=, extents=, index_blocks=,
 * meta_freed=, used_delta=, the effects of committing the selected
 * inodes now (features_on=, ...: e2l_seteffects), reasons = {reason = count}, skips = {{code=,
 * reason=, class=, count=}...}, stopped_by = nil | "max_files" | ...} */
static int sel_totals(lua_State *L)
{
	static const char *const budgets[] = {
		[E2C_BUDGET_MAX_FILES] = "max_files",
		[E2C_BUDGET_MAX_DATA_BLOCKS] = "max_data_blocks",
		[E2C_BUDGET_MAX_INDEX_BLOCKS] = "max_index_blocks",
		[E2C_BUDGET_KEEP_FREE] = "keep_free",
	};
	struct e2l_sel *s = checksel(L, 1);
	const struct e2c_select_totals *t = e2c_select_totals(s->sel);
	const struct e2c_skip_count *k;
	struct e2c_effects ef;
	size_t i, n;

	e2l_checknargs(L, 1);
	lua_createtable(L, 0, 20);
	SETINT("examined", t->examined);
	SETINT("filtered", t->filtered);
	SETINT("skipped", t->skipped);
	SETINT("inodes", t->files);	/* as a tx's totals count them */
	SETINT("files", t->files);	/* the old name (deprecated) */
	SETINT("regular", t->regular);
	SETINT("directories", t->directories);
	SETINT("symlinks", t->symlinks);
	SETINT("data_blocks", t->data_blocks);
	SETINT("extents", t->extents);
	SETINT("index_blocks", t->index_blocks);
	SETINT("meta_freed", t->meta_freed);
	SETINT("used_delta", t->used_delta);
	e2c_effects_of(s->fs, t->files, &ef);
	e2l_seteffects(L, &ef);
	if (t->stopped_by) {
		lua_pushstring(L, budgets[t->stopped_by]);
		lua_setfield(L, -2, "stopped_by");
	}
	k = e2c_select_skips(s->sel, &n);
	lua_createtable(L, 0, (int)n);
	e2c_init();
	for (i = 0; i < n; i++)
		SETINT(error_message(k[i].code), k[i].count);
	lua_setfield(L, -2, "reasons");
	lua_createtable(L, (int)n, 0);
	for (i = 0; i < n; i++) {
		lua_createtable(L, 0, 4);
		SETINT("code", k[i].code);
		lua_pushstring(L, error_message(k[i].code));
		lua_setfield(L, -2, "reason");
		lua_pushstring(L, e2l_skip_class_name(k[i].code));
		lua_setfield(L, -2, "class");
		SETINT("count", k[i].count);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	lua_setfield(L, -2, "skips");
	return 1;
}

/* sel:inodes() -> {ino...}: everything selected so far, in order */
static int sel_inodes(lua_State *L)
{
	struct e2l_sel *s = checksel(L, 1);
	const ext2_ino_t *v;
	size_t i, n;
	errcode_t retval;

	e2l_checknargs(L, 1);
	retval = e2c_select_selected(s->sel, &v, &n);
	if (retval)
		return e2l_error(L, retval, "inodes", NULL);
	lua_createtable(L, (int)n, 0);
	for (i = 0; i < n; i++) {
		lua_pushinteger(L, v[i]);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	return 1;
}

/* sel:pending() -> how many selected inodes are not staged yet */
static int sel_pending(lua_State *L)
{
	struct e2l_sel *s = checksel(L, 1);

	e2l_checknargs(L, 1);
	lua_pushinteger(L, (lua_Integer)e2c_select_pending(s->sel));
	return 1;
}

/* sel:log() -> {plan...} decided since the last call (criteria.log) */
static int sel_log(lua_State *L)
{
	struct e2l_sel *s = checksel(L, 1);
	const struct e2c_plan *p;
	size_t i, n;

	e2l_checknargs(L, 1);
	p = e2c_select_log(s->sel, &n);
	lua_createtable(L, (int)n, 0);
	for (i = 0; i < n; i++) {
		e2l_pushplan(L, s->fs, &p[i]);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	return 1;
}

/* sel:close(), __close, __gc */
static int sel_close(lua_State *L)
{
	sel_release(&tosel(L, 1)->child);
	return 0;
}

static int sel_tostring(lua_State *L)
{
	struct e2l_sel *s = tosel(L, 1);

	if (!s->sel)
		lua_pushliteral(L, E2L_SELECTION " (closed)");
	else
		lua_pushfstring(L, E2L_SELECTION " (%s, %I selected)",
				e2c_fs_path(s->fs), (lua_Integer)
				e2c_select_totals(s->sel)->files);
	return 1;
}

void e2l_select_open(lua_State *L)
{
	static const luaL_Reg meta[] = {
		{ "__index", NULL },
		{ "__gc", sel_close },
		{ "__close", sel_close },
		{ "__tostring", sel_tostring },
		{ NULL, NULL }
	};
	static const luaL_Reg methods[] = {
		{ "candidates", sel_candidates },
		{ "close", sel_close },
		{ "finish", sel_finish },
		{ "inodes", sel_inodes },
		{ "log", sel_log },
		{ "offer", sel_offer },
		{ "pending", sel_pending },
		{ "scan", sel_scan },
		{ "totals", sel_totals },
		{ NULL, NULL }
	};

	e2l_newmeta(L, E2L_SELECTION, meta, methods, NULL);
}
