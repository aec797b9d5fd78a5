/*
 * tx.c -- e2.tx, a migration transaction (core/tx.c), and the plan tables
 * shared with fs:plan and ino:plan.
 *
 * local tx <close> = fs:begin() stages with tx:migrate(), writes with
 * tx:commit(); leaving the scope without a commit, by an error, tx:close()
 * or fs:close() rolls everything staged back.  Like a cursor, the tx is a
 * child of its fs: it keeps the fs userdata alive and is closed first when
 * the fs closes.
 */
#include <string.h>

#include "aux.h"

struct e2l_tx {
	struct e2l_child child;	/* first: the fs's list */
	e2c_tx *tx;		/* NULL once closed */
	e2c_fs *fs;		/* valid while tx is set */
};

#define SETINT(name, v) \
	(lua_pushinteger(L, (lua_Integer)(v)), lua_setfield(L, -2, (name)))

const char *e2l_skip_class_name(errcode_t code)
{
	static const char *const names[] = {
		[E2C_SKIP_NONE] = NULL,
		[E2C_SKIP_RESERVED] = "reserved",
		[E2C_SKIP_PLAIN] = "skip",
		[E2C_SKIP_NO_SPACE] = "no_space",
		[E2C_SKIP_CORRUPT] = "corrupt",
	};

	return names[e2c_skip_class(code)];
}

/* e2.skip_class(code) -> "skip", "reserved", "no_space", "corrupt", or
 * nil for 0 (core/e2c.h: e2c_skip_class) */
static int e2_skip_class(lua_State *L)
{
	lua_Integer code = luaL_checkinteger(L, 1);

	e2l_checknargs(L, 1);
	lua_pushstring(L, e2l_skip_class_name((errcode_t)code));
	return 1;
}

/* An array of the names of the features set in bits. */
static void push_features(lua_State *L, unsigned bits)
{
	int f, n = 0;

	lua_newtable(L);
	for (f = 0; f < E2C_FEATURES_; f++)
		if (bits & (1u << f)) {
			lua_pushstring(L, e2c_feature_name(f));
			lua_rawseti(L, -2, ++n);
		}
}

void e2l_seteffects(lua_State *L, const struct e2c_effects *ef)
{
	push_features(L, ef->features_on);
	lua_setfield(L, -2, "features_on");
	push_features(L, ef->features_off);
	lua_setfield(L, -2, "features_off");
	SETINT("backups_rewritten", ef->backups);
	SETINT("blocks_moved", ef->moved);
	lua_pushboolean(L, ef->not_clean);
	lua_setfield(L, -2, "marks_not_clean");
}

/* The bits of the feature names in the array at idx (field key of an
 * effects table). */
static unsigned check_features(lua_State *L, int idx, const char *key)
{
	unsigned bits = 0;
	lua_Integer i;
	int f;

	if (lua_getfield(L, idx, key) == LUA_TNIL) {
		lua_pop(L, 1);
		return 0;
	}
	if (!lua_istable(L, -1))
		luaL_error(L, "effects: %s must be an array of feature names",
			   key);
	for (i = 1; lua_rawgeti(L, -1, i) != LUA_TNIL; i++) {
		f = lua_type(L, -1) == LUA_TSTRING ?
		    e2c_feature_by_name(lua_tostring(L, -1)) : -1;
		if (f < 0)
			luaL_error(L, "effects: %s: unknown feature '%s'", key,
				   luaL_tolstring(L, -1, NULL));
		bits |= 1u << f;
		lua_pop(L, 1);
	}
	lua_pop(L, 2);
	return bits;
}

/* e2.effect_lines(effects [, tense]) -> {line...}: what an effects table
 * (of a plan, pending totals, a commit, a selection's totals) says, one
 * line per effect; tense "will" (default), "would" (a dry run) or
 * "done" (a commit) */
static int e2_effect_lines(lua_State *L)
{
	static const char *const tenses[] = { "will", "would", "done", NULL };
	static const enum e2c_tense tense_of[] = {
		E2C_WILL, E2C_WOULD, E2C_DONE
	};
	struct e2c_effects ef;
	enum e2c_tense tense;
	char line[256];
	lua_Integer backups;
	size_t i;
	int ok;

	luaL_checktype(L, 1, LUA_TTABLE);
	tense = tense_of[luaL_checkoption(L, 2, "will", tenses)];
	e2l_checknargs(L, 2);
	memset(&ef, 0, sizeof(ef));
	ef.features_on = check_features(L, 1, "features_on");
	ef.features_off = check_features(L, 1, "features_off");
	lua_getfield(L, 1, "backups_rewritten");
	backups = lua_tointegerx(L, -1, &ok);
	if (!lua_isnil(L, -1) && (!ok || backups < 0 || backups > UINT32_MAX))
		luaL_error(L, "effects: backups_rewritten must be an integer "
			   ">= 0");
	ef.backups = ok ? (dgrp_t)backups : 0;
	lua_pop(L, 1);
	lua_getfield(L, 1, "blocks_moved");
	backups = lua_tointegerx(L, -1, &ok);
	if (!lua_isnil(L, -1) && (!ok || backups < 0))
		luaL_error(L, "effects: blocks_moved must be an integer >= 0");
	ef.moved = ok ? (blk64_t)backups : 0;
	lua_pop(L, 1);
	lua_newtable(L);
	for (i = 0; e2c_effects_line(&ef, tense, i, line, sizeof(line)); i++) {
		lua_pushstring(L, line);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	return 1;
}

/* A relocating plan's own fields. */
static void set_relocation(lua_State *L, const struct e2c_plan *p)
{
	size_t i;

	lua_pushboolean(L, 1);
	lua_setfield(L, -2, "relocate");
	lua_pushboolean(L, p->was_extent);
	lua_setfield(L, -2, "was_extent");
	SETINT("goal", p->goal);
	if (p->skip)
		return;
	SETINT("extents_before", p->extents_before);
	SETINT("ideal", p->ideal);
	SETINT("copy_blocks", p->copy_blocks);
	lua_pushboolean(L, p->fragmented_free);
	lua_setfield(L, -2, "fragmented_free");
	SETINT("free_runs", p->free_runs);
	lua_createtable(L, E2C_PLAN_FROM, 0);
	for (i = 0; i < p->free_runs && i < E2C_PLAN_FROM; i++) {
		lua_createtable(L, 0, 2);
		SETINT("start", p->from[i].start);
		SETINT("count", p->from[i].len);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	lua_setfield(L, -2, "from");
}

void e2l_pushplan(lua_State *L, e2c_fs *fs, const struct e2c_plan *p)
{
	struct e2c_effects ef;

	lua_createtable(L, 0, 19);
	SETINT("ino", p->ino);
	lua_pushstring(L, p->unmigrate ? "unmigrate" : "migrate");
	lua_setfield(L, -2, "operation");
	lua_pushboolean(L, p->skip == 0);
	lua_setfield(L, -2, "ok");
	if (p->skip) {
		char detail[128];

		e2c_init();
		e2c_plan_detail(p, detail, sizeof(detail));
		lua_pushstring(L, *detail ? detail : error_message(p->skip));
		lua_setfield(L, -2, "reason");
		SETINT("code", p->skip);
		lua_pushstring(L, e2l_skip_class_name(p->skip));
		lua_setfield(L, -2, "skip_class");
		if (p->skip == E2C_ERR_SKIP_NO_SPACE)
			SETINT("free_blocks", p->free_blocks);
	}
	SETINT("data_blocks", p->data_blocks);
	SETINT("runs", p->runs);
	SETINT("extents", p->extents);
	SETINT("depth", p->depth);
	SETINT("index_blocks", p->index_blocks);
	SETINT("meta_freed", p->meta_freed);
	SETINT("uninit_freed", p->uninit_freed);
	SETINT("used_delta", p->used_delta);
	SETINT("sectors_before", p->iblocks_before);
	SETINT("sectors_after", p->iblocks_after);
	/* The old names (deprecated: doc/lua-api.md). */
	SETINT("iblocks_before", p->iblocks_before);
	SETINT("iblocks_after", p->iblocks_after);
	if (p->relocate)
		set_relocation(L, p);
	/* Only a migration turns a feature on. */
	e2c_effects_of(fs, p->skip == 0 && !p->unmigrate, &ef);
	ef.not_clean = p->skip == 0;
	ef.moved = p->skip || !p->relocate ? 0 : p->data_blocks;
	e2l_seteffects(L, &ef);
}

void e2l_checkmigopts(lua_State *L, int idx, struct e2c_migrate_opts *o,
		      const char *op)
{
	static const char *const keys[] = {
		"relocate", "goal", "min_gain", "verify", NULL
	};
	/* A plan may be of the reverse migration (tx:unmigrate stages it). */
	static const char *const plan_keys[] = {
		"relocate", "goal", "min_gain", "verify", "unmigrate", NULL
	};
	int plan = !strcmp(op, "plan");

	memset(o, 0, sizeof(*o));
	if (lua_isnoneornil(L, idx))
		return;
	e2l_checkopts(L, idx, plan ? plan_keys : keys, op);
	o->relocate = e2l_optbool(L, idx, "relocate");
	o->goal = (blk64_t)e2l_optint(L, idx, "goal", 0, LUA_MAXINTEGER);
	o->min_gain = (long long)e2l_optint(L, idx, "min_gain",
					    LUA_MININTEGER, LUA_MAXINTEGER);
	o->verify = e2l_optbool(L, idx, "verify");
	o->unmigrate = plan && e2l_optbool(L, idx, "unmigrate");
	if (!o->relocate && (o->goal || o->min_gain || o->verify))
		luaL_error(L, "%s: goal, min_gain and verify need "
			   "relocate = true", op);
	if (o->unmigrate && o->relocate)
		luaL_error(L, "%s: unmigrate and relocate do not go together",
			   op);
}

int e2l_pushplanof(lua_State *L, e2c_fs *fs, ext2_ino_t ino,
		   const struct e2c_migrate_opts *o, const char *object)
{
	struct e2c_plan plan;
	errcode_t retval;

	retval = e2c_plan_inode2(fs, ino, o, &plan);
	if (retval)
		return e2l_error(L, retval, "plan", object);
	e2l_pushplan(L, fs, &plan);
	return 1;
}

/* Totals, with the effects of committing them (ef). */
void e2l_pushtotals(lua_State *L, const struct e2c_tx_totals *t,
		    const struct e2c_effects *ef)
{
	lua_createtable(L, 0, 10);
	SETINT("inodes", t->inodes);
	SETINT("data_blocks", t->data_blocks);
	SETINT("extents", t->extents);
	SETINT("index_blocks", t->index_blocks);
	SETINT("meta_freed", t->meta_freed);
	SETINT("uninit_freed", t->uninit_freed);
	SETINT("unmigrated", t->unmigrated);
	SETINT("used_delta", t->used_delta);
	SETINT("relocated", t->relocated);
	SETINT("moved_blocks", t->moved_blocks);
	SETINT("copied_blocks", t->copied_blocks);
	e2l_seteffects(L, ef);
}

/* The one close: roll back and free; idempotent. */
static void tx_release(struct e2l_child *c)
{
	struct e2l_tx *t = (struct e2l_tx *)c;

	if (!t->tx)
		return;
	e2l_child_unlink(&t->child);
	e2c_tx_free(t->tx);
	t->tx = NULL;
	t->fs = NULL;
}

static struct e2l_tx *totx(lua_State *L, int idx)
{
	return luaL_checkudata(L, idx, E2L_TX);
}

static struct e2l_tx *checktx(lua_State *L, int idx)
{
	struct e2l_tx *t = totx(L, idx);

	e2l_parentfs(L, idx, "an " E2L_TX);
	if (!t->tx)
		luaL_error(L, "attempt to use a closed " E2L_TX);
	return t;
}

e2c_tx *e2l_checktx(lua_State *L, int idx)
{
	return checktx(L, idx)->tx;
}

int e2l_tx_begin(lua_State *L, int fsidx)
{
	struct e2l_fs *f = e2l_checkfsud(L, fsidx);
	struct e2l_tx *t;
	errcode_t retval;

	fsidx = lua_absindex(L, fsidx);
	t = lua_newuserdatauv(L, sizeof(*t), 1);	/* closed until begun */
	memset(t, 0, sizeof(*t));
	t->child.close = tx_release;
	luaL_setmetatable(L, E2L_TX);
	lua_pushvalue(L, fsidx);
	lua_setiuservalue(L, -2, 1);
	retval = e2c_tx_begin(f->fs, &t->tx);
	if (retval) {
		t->tx = NULL;
		return e2l_error(L, retval, "begin", e2c_fs_path(f->fs));
	}
	t->fs = f->fs;
	e2l_child_link(f, &t->child);
	return 1;
}

/* Stage x (unmigrate: its reverse migration); 1 pushed: its plan
 * table.  An inode that cannot be staged raises with the reason, or,
 * with skips set, is pushed as a plan table with ok false. */
static int stage(lua_State *L, int skips, int unmigrate)
{
	const char *op = unmigrate ? "unmigrate" : "migrate";
	struct e2l_tx *t = checktx(L, 1);
	struct e2c_migrate_opts o;
	struct e2c_plan plan;
	char name[E2L_INOBUF];
	ext2_ino_t ino;
	errcode_t retval;

	if (unmigrate) {
		e2l_checknargs(L, 2);
		lua_settop(L, 2);
		memset(&o, 0, sizeof(o));
	} else {
		e2l_checknargs(L, 3);
		lua_settop(L, 3);
		e2l_checkmigopts(L, 3, &o, op);
	}
	lua_getiuservalue(L, 1, 1);		/* [tx, x, (opts,) fs] */
	ino = e2l_checkino(L, lua_gettop(L), 2, op);
	memset(&plan, 0, sizeof(plan));
	retval = unmigrate ? e2c_tx_unmigrate(t->tx, ino, &plan) :
		 e2c_tx_migrate2(t->tx, ino, &o, &plan);
	if (!retval && plan.skip)
		retval = plan.skip;
	if (retval && !(skips && retval == plan.skip))
		return e2l_error(L, retval, op,
				 lua_type(L, 2) == LUA_TSTRING ?
				 lua_tostring(L, 2) : e2l_inoname(name, ino));
	e2l_pushplan(L, t->fs, &plan);
	return 1;
}

/* tx:migrate(x [, {relocate=, goal=, min_gain=, verify=}]) -> plan table;
 * raises with the reason if it cannot be */
static int tx_migrate(lua_State *L)
{
	return stage(L, 0, 0);
}

/* tx:try(x [, opts]) -> plan table, ok false (nothing staged) if it
 * cannot be */
static int tx_try(lua_State *L)
{
	return stage(L, 1, 0);
}

/* tx:unmigrate(x) -> plan table: back to a block map; raises with the
 * reason if it cannot be */
static int tx_unmigrate(lua_State *L)
{
	return stage(L, 0, 1);
}

/* tx:try_unmigrate(x) -> plan table, ok false if it cannot be */
static int tx_try_unmigrate(lua_State *L)
{
	return stage(L, 1, 1);
}

/* tx:clear_feature(name): the commit turns the feature off (only
 * "extent"), once no inode uses it (checked by a scan at commit) */
static int tx_clear_feature(lua_State *L)
{
	struct e2l_tx *t = checktx(L, 1);
	const char *name = luaL_checkstring(L, 2);
	int f = e2c_feature_by_name(name);
	errcode_t retval;

	e2l_checknargs(L, 2);
	if (f < 0)
		return luaL_error(L, "clear_feature: unknown feature '%s'",
				  name);
	retval = e2c_tx_clear_feature(t->tx, f);
	if (retval)
		return e2l_error(L, retval, "clear_feature", name);
	return 0;
}

/* tx:stage(sel [, max]) -> inodes staged: the selection's next inodes,
 * until the tx holds max (0 or nil: no limit) or is full (as much as one
 * commit should hold: E2C_TX_MAX_*).  An inode that cannot be staged
 * raises, as tx:migrate does. */
static int tx_stage(lua_State *L)
{
	struct e2l_tx *t = checktx(L, 1);
	e2c_select *sel = e2l_checkselect(L, 2);
	lua_Integer max = luaL_optinteger(L, 3, 0);
	char name[E2L_INOBUF];
	ext2_ino_t failed;
	size_t n;
	errcode_t retval;

	e2l_checknargs(L, 3);
	luaL_argcheck(L, max >= 0, 3, "must be >= 0");
	e2l_checksamefs(L, 1, 2);
	retval = e2c_select_stage(sel, t->tx, (size_t)max, &n, &failed);
	if (retval)
		return e2l_error(L, retval, "migrate", failed ?
				 e2l_inoname(name, failed) : e2c_fs_path(t->fs));
	lua_pushinteger(L, (lua_Integer)n);
	return 1;
}

/* tx:full() -> whether the tx holds what one commit should at most */
static int tx_full(lua_State *L)
{
	struct e2l_tx *t = checktx(L, 1);

	e2l_checknargs(L, 1);
	lua_pushboolean(L, e2c_tx_full(t->tx));
	return 1;
}

/* #tx: the inodes staged */
static int tx_len(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)e2c_tx_count(checktx(L, 1)->tx));
	return 1;
}

/* tx:pending() -> {plan...}, totals (with the effects of the commit) */
static int tx_pending(lua_State *L)
{
	struct e2l_tx *t = checktx(L, 1);
	struct e2c_effects ef;
	struct e2c_tx_totals tot;
	struct e2c_plan plan;
	size_t i, n;
	errcode_t retval;

	e2l_checknargs(L, 1);
	n = e2c_tx_count(t->tx);
	lua_createtable(L, (int)n, 0);
	for (i = 0; i < n; i++) {
		retval = e2c_tx_entry(t->tx, i, &plan);
		if (retval)
			return e2l_error(L, retval, "pending", e2c_fs_path(t->fs));
		e2l_pushplan(L, t->fs, &plan);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	e2c_tx_totals(t->tx, &tot);
	e2c_tx_effects(t->tx, &ef);
	e2l_pushtotals(L, &tot, &ef);
	return 2;
}

int e2l_commiterror(lua_State *L, e2c_tx *tx, errcode_t code,
		    const char *object, const char *msg)
{
	errcode_t cause, flush;
	size_t written;
	int step;

	e2c_tx_progress(tx, &step, &written);
	e2c_tx_failure(tx, &cause, &flush);
	e2l_pusherror_msg(L, code, "commit", object,
			  msg ? msg : error_message(code));
	lua_pushinteger(L, step);
	lua_setfield(L, -2, "step");
	lua_pushinteger(L, (lua_Integer)written);
	lua_setfield(L, -2, "written");
	lua_pushinteger(L, (lua_Integer)cause);
	lua_setfield(L, -2, "cause");
	if (flush) {
		lua_pushinteger(L, (lua_Integer)flush);
		lua_setfield(L, -2, "flush");
	}
	return lua_error(L);
}

/* tx:commit() -> totals of what was written, with its effects */
static int tx_commit(lua_State *L)
{
	struct e2l_tx *t = checktx(L, 1);
	struct e2c_effects ef;
	struct e2c_tx_totals tot;
	errcode_t retval, cause, flush;
	size_t written;
	int step;

	e2l_checknargs(L, 1);
	e2c_tx_totals(t->tx, &tot);
	e2c_tx_effects(t->tx, &ef);
	retval = e2c_tx_commit(t->tx);
	if (retval == E2C_ERR_COMMIT_PARTIAL ||
	    retval == E2C_ERR_RESTORE_FAILED) {
		/* Say how far it got: the user has to run e2fsck. */
		e2c_tx_progress(t->tx, &step, &written);
		e2c_tx_failure(t->tx, &cause, &flush);
		if (retval == E2C_ERR_COMMIT_PARTIAL)
			lua_pushfstring(L, "%s (%I of %I inodes written, "
					"stopped at step %d)",
					error_message(retval),
					(lua_Integer)written,
					(lua_Integer)tot.inodes, step);
		else
			lua_pushfstring(L, "%s (step %d failed: %s; the "
					"restore: %s)", error_message(retval),
					step, error_message(cause),
					error_message(flush));
		return e2l_commiterror(L, t->tx, retval, e2c_fs_path(t->fs),
				       lua_tostring(L, -1));
	}
	if (retval == E2C_ERR_EXTENTS_LEFT) {
		ext2_ino_t first;
		size_t left;

		e2c_tx_extents_left(t->tx, &first, &left);
		lua_pushfstring(L, "%s (%I inode%s, the first <%I>)",
				error_message(retval), (lua_Integer)left,
				left == 1 ? "" : "s", (lua_Integer)first);
		e2l_pusherror_msg(L, retval, "commit", e2c_fs_path(t->fs),
				  lua_tostring(L, -1));
		return lua_error(L);
	}
	if (retval)
		return e2l_fserror(L, t->fs, retval, "commit");
	e2l_pushtotals(L, &tot, &ef);
	return 1;
}

/* tx:rollback(): drop everything staged; the tx stays usable */
static int tx_rollback(lua_State *L)
{
	struct e2l_tx *t = checktx(L, 1);

	e2l_checknargs(L, 1);
	e2c_tx_rollback(t->tx);
	return 0;
}

/* tx:close(), __close, __gc: roll back what is staged, end the tx */
static int tx_close(lua_State *L)
{
	tx_release(&totx(L, 1)->child);
	return 0;
}

static int tx_tostring(lua_State *L)
{
	struct e2l_tx *t = totx(L, 1);

	if (!t->tx)
		lua_pushliteral(L, E2L_TX " (closed)");
	else
		lua_pushfstring(L, E2L_TX " (%s, %I staged)", e2c_fs_path(t->fs),
				(lua_Integer)e2c_tx_count(t->tx));
	return 1;
}

void e2l_tx_open(lua_State *L)
{
	static const luaL_Reg meta[] = {
		{ "__index", NULL },
		{ "__gc", tx_close },
		{ "__close", tx_close },
		{ "__tostring", tx_tostring },
		{ "__len", tx_len },
		{ NULL, NULL }
	};
	static const luaL_Reg methods[] = {
		{ "clear_feature", tx_clear_feature },
		{ "close", tx_close },
		{ "commit", tx_commit },
		{ "full", tx_full },
		{ "migrate", tx_migrate },
		{ "pending", tx_pending },
		{ "rollback", tx_rollback },
		{ "stage", tx_stage },
		{ "try", tx_try },
		{ "try_unmigrate", tx_try_unmigrate },
		{ "unmigrate", tx_unmigrate },
		{ NULL, NULL }
	};

	e2l_newmeta(L, E2L_TX, meta, methods, NULL);
	lua_pushcfunction(L, e2_skip_class);		/* [e2, fn] */
	lua_setfield(L, -2, "skip_class");
	lua_pushcfunction(L, e2_effect_lines);
	lua_setfield(L, -2, "effect_lines");
}
