/*
 * cmd_migrate.c -- the migration commands: plan, migrate, pending, commit,
 * rollback.  They drive the core's transaction of the current filesystem
 * (fs->tx, begun by the first migrate), the same one e2.tx wraps, so work
 * staged here or from Lua is one transaction.
 *
 * As in the inspection commands, nothing raises while it holds memory
 * (but for Lua's own out-of-memory error): each command prints as it goes
 * and raises only at the end.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

static const char *plural(unsigned long long n)
{
	return n == 1 ? "" : "s";
}

/* "1234 data blocks, 56 extents, 7 index blocks, 20 indirect blocks
 * freed, used blocks -13": the figures every command reports.  The new
 * and old map blocks are index (extent tree) and indirect blocks when
 * migrating, the other way round when unmigrating (then with the
 * unwritten blocks freed), both names when a transaction does both;
 * unplan: the totals of plan -u. */
static void print_figures(FILE *out, const struct e2c_tx_totals *t,
			  int unplan)
{
	int un = unplan || (t->unmigrated && t->unmigrated == t->inodes);
	int mixed = t->unmigrated && !un;
	const char *made = mixed ? "index/indirect" : un ? "indirect" : "index";
	const char *gone = mixed ? "indirect/tree" : un ? "tree" : "indirect";

	fprintf(out, "%llu data block%s, %llu extent%s, %llu %s block%s, "
		"%llu %s block%s freed, ",
		(unsigned long long)t->data_blocks, plural(t->data_blocks),
		(unsigned long long)t->extents, plural(t->extents),
		(unsigned long long)t->index_blocks, made,
		plural(t->index_blocks),
		(unsigned long long)t->meta_freed, gone, plural(t->meta_freed));
	if (t->unmigrated)
		fprintf(out, "%llu unwritten block%s freed, ",
			(unsigned long long)t->uninit_freed,
			plural(t->uninit_freed));
	fprintf(out, "used blocks %+lld\n", t->used_delta);
	if (t->relocated)
		fprintf(out, "relocating %zu inode%s: %llu data block%s moved, "
			"%llu copied\n", t->relocated, plural(t->relocated),
			(unsigned long long)t->moved_blocks,
			plural(t->moved_blocks),
			(unsigned long long)t->copied_blocks);
}

void e2sh_print_effects(FILE *out, const struct e2c_effects *ef,
			enum e2c_tense tense)
{
	char line[256];
	size_t i;

	for (i = 0; e2c_effects_line(ef, tense, i, line, sizeof(line)); i++)
		fprintf(out, "%s\n", line);
}

static void add_plan(struct e2c_tx_totals *t, const struct e2c_plan *p)
{
	t->inodes++;
	t->data_blocks += p->data_blocks;
	t->extents += p->extents;
	t->index_blocks += p->index_blocks;
	t->meta_freed += p->meta_freed;
	t->uninit_freed += p->uninit_freed;
	t->unmigrated += p->unmigrate != 0;
	t->used_delta += p->used_delta;
	if (p->relocate) {
		t->relocated++;
		t->moved_blocks += p->data_blocks;
		t->copied_blocks += p->copy_blocks;
	}
}

/* What a relocating plan adds to its row: extents before and after, what
 * is copied, where the free space comes from, and whether free space
 * was too fragmented for the ideal. */
static void print_relocation(FILE *out, const struct e2c_plan *p)
{
	size_t i;

	if (!p->relocate || p->skip)
		return;
	fprintf(out, "  relocate %u: %llu -> %llu extent%s (ideal %llu), "
		"%llu block%s copied, %llu to new blocks from", p->ino,
		(unsigned long long)p->extents_before,
		(unsigned long long)p->extents, plural(p->extents),
		(unsigned long long)p->ideal,
		(unsigned long long)p->copy_blocks, plural(p->copy_blocks),
		(unsigned long long)p->data_blocks);
	for (i = 0; i < p->free_runs && i < E2C_PLAN_FROM; i++)
		fprintf(out, "%s %llu+%llu", i ? "," : "",
			(unsigned long long)p->from[i].start,
			(unsigned long long)p->from[i].len);
	if (p->free_runs > E2C_PLAN_FROM)
		fprintf(out, " and %llu more free range%s",
			(unsigned long long)(p->free_runs - E2C_PLAN_FROM),
			plural(p->free_runs - E2C_PLAN_FROM));
	if (!p->data_blocks)
		fprintf(out, " nowhere (no data)");
	fprintf(out, "\n");
	if (p->fragmented_free)
		fprintf(out, "  free space too fragmented for the ideal: the "
			"best layout found (the longest free ranges first) "
			"takes %llu extent%s instead of %llu\n",
			(unsigned long long)p->extents, plural(p->extents),
			(unsigned long long)p->ideal);
}

/* The effects of doing what the plans of t say. */
static void plan_effects(e2c_fs *fs, const struct e2c_tx_totals *t,
			 struct e2c_effects *ef)
{
	e2c_effects_of(fs, t->inodes - t->unmigrated, ef);
	ef->moved = t->moved_blocks;
	ef->not_clean = t->inodes != 0;
}

#define TABLE_HEAD "    INO STATUS       DATA  EXTENTS DEPTH  INDEX  FREED PATH\n"

/* One table row; the path last, with the reason after it if skipped. */
static void print_row(FILE *out, const struct e2c_plan *p,
		      const char *status, const char *path)
{
	if (p->skip) {
		char detail[128];

		e2c_plan_detail(p, detail, sizeof(detail));
		fprintf(out, "%7u %-7s %9s %8s %5s %6s %6s %s: %s%s%s\n",
			p->ino, status, "-", "-", "-", "-", "-", path,
			error_message(p->skip), *detail ? "; " : "", detail);
		return;
	}
	fprintf(out, "%7u %-7s %9llu %8llu %5d %6llu %6llu %s\n", p->ino,
		status, (unsigned long long)p->data_blocks,
		(unsigned long long)p->extents, p->depth,
		(unsigned long long)p->index_blocks,
		(unsigned long long)p->meta_freed, path);
}

#define RELOC_OPTS	"[-g|--goal BLOCK] [-G|--min-gain N]"
#define PLAN_USAGE	"[-j] [-r] [-u | -m|--relocate " RELOC_OPTS "] <file>..."
#define MIGRATE_USAGE	"[-r] [-m|--relocate [-V|--verify] " RELOC_OPTS \
			"] <file>..."
#define UNMIGRATE_USAGE	"[-r] [--clear-feature] [<file>...]"
#define DEFRAG_USAGE	"[-r] [-V|--verify] " RELOC_OPTS " <file>..."

/* ---- the paths staged files were named by ------------------------------ */

static const char paths_key;	/* registry: fs userdata -> {ino = path} */

/* Push the table of paths of the fs userdata at fsi (made if missing). */
static void push_paths(lua_State *L, int fsi)
{
	fsi = lua_absindex(L, fsi);
	if (lua_rawgetp(L, LUA_REGISTRYINDEX, &paths_key) != LUA_TTABLE) {
		lua_pop(L, 1);
		lua_newtable(L);			/* weak keys: per fs */
		lua_createtable(L, 0, 1);
		lua_pushliteral(L, "k");
		lua_setfield(L, -2, "__mode");
		lua_setmetatable(L, -2);
		lua_pushvalue(L, -1);
		lua_rawsetp(L, LUA_REGISTRYINDEX, &paths_key);
	}
	lua_pushvalue(L, fsi);
	if (lua_rawget(L, -2) != LUA_TTABLE) {
		lua_pop(L, 1);
		lua_newtable(L);
		lua_pushvalue(L, fsi);
		lua_pushvalue(L, -2);
		lua_rawset(L, -4);
	}
	lua_remove(L, -2);
}

/* Forget them (the transaction is empty again). */
static void forget_paths(lua_State *L, int fsi)
{
	if (lua_rawgetp(L, LUA_REGISTRYINDEX, &paths_key) == LUA_TTABLE) {
		lua_pushvalue(L, fsi);
		lua_pushnil(L);
		lua_rawset(L, -3);
	}
	lua_pop(L, 1);
}

/* ---- plan and migrate ---------------------------------------------------- */

/* Why an inode under migrate -r/plan -r is left out without a word: the
 * ordinary reasons (nothing to migrate, reserved, staged already),
 * counted in the summary. */
static int ordinary_skip(errcode_t code)
{
	enum e2c_skip_class c = e2c_skip_class(code);

	return code == E2C_ERR_STAGED || c == E2C_SKIP_PLAIN ||
	       c == E2C_SKIP_RESERVED;
}

/* One plan or migrate command, file by file. */
struct run {
	lua_State *L;
	FILE *out;
	const char *op;
	e2c_fs *fs;
	int fsi;			/* the fs userdata's stack slot */
	e2c_tx *tx;			/* migrate; NULL: plan */
	int recursive;			/* -r */
	struct e2c_migrate_opts mo;	/* -u, -m (defrag), -V, -g, -G */
	char *cwd;			/* the cwd's path, to record paths */
	struct e2c_tx_totals ok;	/* plan: what is migratable */
	size_t skipped;			/* plan: rows of skipped inodes */
	size_t corrupt;			/* plan: ... of corrupt ones */
	struct { errcode_t code; size_t n; } quiet[8];
	size_t nquiet;			/* -r: ordinary skips by reason */
	int files, failed;		/* files looked at, failed */
	int said;			/* failures were said on stderr */
	int many;			/* several operands */
	errcode_t last;			/* the last failure */
	const char *lastname;		/* ... and the file, if not said */
	int full;			/* -r: the transaction filled up */
	int list;			/* -j: stack slot of the plans, or 0 */
};

/* -j: the plan of what was planned or staged, as the Lua API gives it,
 * with the path it was named by, appended to the list. */
static void add_json(struct run *r, const struct e2c_plan *p,
		     const char *file)
{
	lua_State *L = r->L;

	e2l_pushplan(L, r->fs, p);
	lua_pushstring(L, file);
	lua_setfield(L, -2, "file");
	lua_rawseti(L, r->list, (lua_Integer)lua_rawlen(L, r->list) + 1);
}

/* A file failed; said at once when many files are in play. */
static void run_failed(struct run *r, const char *file, errcode_t err,
		       int many)
{
	r->failed++;
	r->said |= many;
	r->last = err;
	r->lastname = many ? NULL : file;	/* a walk's path goes away */
	e2sh_file_failed(r->L, r->op, file, many, err);
}

static void count_quiet(struct run *r, errcode_t code)
{
	size_t i;

	for (i = 0; i < r->nquiet && r->quiet[i].code != code; i++)
		;
	if (i == r->nquiet) {
		if (i == sizeof(r->quiet) / sizeof(r->quiet[0]))
			return;
		r->quiet[r->nquiet].code = code;
		r->quiet[r->nquiet++].n = 0;
	}
	r->quiet[i].n++;
}

/* Record the path file was staged by, absolute ("<n>": none). */
static void remember(struct run *r, ext2_ino_t ino, const char *file)
{
	lua_State *L = r->L;

	if (file[0] == '<')
		return;
	push_paths(L, r->fsi);
	if (file[0] == '/')
		lua_pushstring(L, file);
	else
		lua_pushfstring(L, "%s%s%s", r->cwd ? r->cwd : "",
				r->cwd && strcmp(r->cwd, "/") ? "/" : "",
				file);
	lua_rawseti(L, -2, ino);
	lua_pop(L, 1);
}

/* A skip said in the summary, never a failure: min_gain's refusal is
 * the policy the user asked for, named file or not. */
static int quiet_skip(const struct run *r, errcode_t code)
{
	return code == E2C_ERR_SKIP_GAIN ||
	       (r->recursive && ordinary_skip(code));
}

/* Plan or stage ino, named file. */
static void one(struct run *r, ext2_ino_t ino, const char *file)
{
	struct e2c_plan p;
	errcode_t err;

	r->files++;
	if (!r->tx) {
		err = e2c_plan_inode2(r->fs, ino, &r->mo, &p);
		if (err) {
			run_failed(r, file, err, r->many || r->recursive);
		} else if (p.skip && quiet_skip(r, p.skip)) {
			count_quiet(r, p.skip);
		} else {
			/* A corrupt map is a problem, not a file to pass
			 * over. */
			int bad = e2c_skip_is_corruption(p.skip);

			if (r->list)
				add_json(r, &p, file);
			else
				print_row(r->out, &p, bad ? "CORRUPT" :
					  p.skip ? "skip" : "ok", file);
			if (!r->list)
				print_relocation(r->out, &p);
			if (bad)
				r->corrupt++;
			else if (p.skip)
				r->skipped++;
			else
				add_plan(&r->ok, &p);
		}
		return;
	}
	err = r->mo.unmigrate ? e2c_tx_unmigrate(r->tx, ino, &p) :
	      e2c_tx_migrate2(r->tx, ino, &r->mo, &p);
	if (err && quiet_skip(r, err)) {
		count_quiet(r, err);
		return;
	}
	if (err) {
		run_failed(r, file, err, r->many || r->recursive);
		return;
	}
	if (r->mo.unmigrate)
		fprintf(r->out, "staged %u %s: block map of depth %d, %llu "
			"indirect block%s, %llu tree block%s and %llu "
			"unwritten block%s freed\n", p.ino, file, p.depth,
			(unsigned long long)p.index_blocks,
			plural(p.index_blocks),
			(unsigned long long)p.meta_freed, plural(p.meta_freed),
			(unsigned long long)p.uninit_freed,
			plural(p.uninit_freed));
	else
		fprintf(r->out, "staged %u %s: %llu extent%s, depth %d, %llu index "
		"block%s, %llu indirect block%s freed\n", p.ino, file,
		(unsigned long long)p.extents, plural(p.extents), p.depth,
		(unsigned long long)p.index_blocks, plural(p.index_blocks),
		(unsigned long long)p.meta_freed, plural(p.meta_freed));
	print_relocation(r->out, &p);
	remember(r, ino, file);
}

/* -r: every inode under dir (itself included), each once (hard links),
 * until the transaction is full. */
static errcode_t one_tree(struct run *r, ext2_ino_t dir, const char *file,
			  ext2fs_inode_bitmap seen, struct ext2_inode *buf)
{
	const char *path = file;
	ext2_ino_t ino;
	e2c_walk *w;
	errcode_t err;
	int got;

	err = e2c_walk_open(r->fs, dir, file, &w);
	if (err)
		return err;
	for (;;) {
		if (r->tx && e2c_tx_full(r->tx)) {
			r->full = 1;
			break;
		}
		err = e2c_interrupted ? E2C_ERR_INTERRUPTED :
		      e2c_walk_next(w, &ino, &path, buf, &got);
		if (err) {
			r->files++;
			run_failed(r, path, err, 1);
			break;
		}
		if (!got)
			break;
		if (ext2fs_test_inode_bitmap2(seen, ino))
			continue;
		ext2fs_mark_inode_bitmap2(seen, ino);
		one(r, ino, path);
	}
	e2c_walk_close(w);
	return 0;
}

/* The files (or trees) of stack slots first..n, resources freed before
 * returning (the caller raises). */
static errcode_t run_files(struct run *r, int first, int n)
{
	ext2fs_inode_bitmap seen = NULL;
	struct ext2_inode *buf = NULL;
	ext2_ino_t cwd = e2l_getcwd(r->L, r->fsi), ino;
	errcode_t err = 0;
	int i;

	if (cwd != EXT2_ROOT_INO && ext2fs_get_pathname(e2c_fs_handle(r->fs), cwd, 0,
							&r->cwd))
		r->cwd = NULL;
	if (r->recursive) {
		buf = malloc(e2c_inode_buf_size(r->fs));
		err = buf ? ext2fs_allocate_inode_bitmap(e2c_fs_handle(r->fs), "-r: "
							 "inodes seen", &seen)
			  : ENOMEM;
	}
	for (i = first; !err && i <= n && !r->full; i++) {
		const char *file = e2l_checkpath(r->L, i);

		err = e2c_lookup(r->fs, cwd, file, &ino);
		if (err) {
			r->files++;
			run_failed(r, file, err, r->many);
			err = 0;
		} else if (r->recursive) {
			err = one_tree(r, ino, file, seen, buf);
		} else {
			one(r, ino, file);
		}
	}
	if (seen)
		ext2fs_free_inode_bitmap(seen);
	free(buf);
	ext2fs_free_mem(&r->cwd);
	return err;
}

/* The end of plan/migrate: the ordinary skips of -r, and the failures. */
static int run_end(struct run *r, errcode_t err)
{
	size_t i;

	for (i = 0; i < r->nquiet && !r->list; i++)
		fprintf(r->out, "not %s %zu: %s\n", r->tx ? "staged" : "planned",
			r->quiet[i].n, error_message(r->quiet[i].code));
	if (err)
		return e2l_error(r->L, err, r->op, NULL);
	if (r->full) {
		fflush(r->out);
		fprintf(stderr, "%s: the transaction is full (%zu inodes): "
			"commit, then run the same migrate -r again to stage "
			"the rest\n", r->op, e2c_tx_count(r->tx));
		return luaL_error(r->L, "%s: stopped before the end (the "
				  "transaction is full)", r->op);
	}
	if (r->failed)
		return e2sh_files_fail(r->L, r->op, r->lastname, r->failed,
				       r->files, r->said, r->last);
	return 0;
}

/* The number of option c's value, whole (an error otherwise). */
static long long opt_number(struct e2sh_opt *o, int c, long long min)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(o->arg, &end, 0);
	if (errno || end == o->arg || *end || v < min)
		luaL_error(o->L, "%s: option '-%c': '%s' is not a%s number\n"
			   "Usage: %s %s", o->cmd, c, o->arg,
			   min > 0 ? " positive" : "n integer", o->cmd,
			   o->usage);
	return v;
}

/* Set up a run: options (letters of "rumVg:G:" that the command takes;
 * defrag relocates with min_gain 1 unless told) and the fs; returns the
 * first operand. */
static int run_begin(lua_State *L, struct run *r, const char *op,
		     const char *usage, const char *letters)
{
	static const struct option longs[] = {
		{ "relocate", no_argument, NULL, 'm' },
		{ "verify", no_argument, NULL, 'V' },
		{ "goal", required_argument, NULL, 'g' },
		{ "min-gain", required_argument, NULL, 'G' },
		{ NULL, 0, NULL, 0 }
	};
	int n = lua_gettop(L), first, c, tuned = 0;
	struct e2sh_opt o;

	memset(r, 0, sizeof(*r));
	r->L = L;
	r->op = op;
	r->out = e2sh_out(L);
	if (!strcmp(op, "defrag")) {
		r->mo.relocate = 1;
		r->mo.min_gain = 1;
	}
	e2sh_opt_begin(L, &o, n, op, usage);
	o.longs = longs;
	while ((c = e2sh_opt_next(&o, letters)) != -1) {
		if (!strchr(letters, c))	/* a long one not for op */
			luaL_error(L, "%s: unknown option '%s'\nUsage: %s %s",
				   op, o.argv[o.ind - 1], op, usage);
		switch (c) {
		case 'r': r->recursive = 1; break;
		case 'u': r->mo.unmigrate = 1; break;
		case 'm': r->mo.relocate = 1; break;
		case 'V': r->mo.verify = 1; tuned = 1; break;
		case 'g': r->mo.goal = opt_number(&o, c, 1); tuned = 1; break;
		case 'G': r->mo.min_gain = opt_number(&o, c, LLONG_MIN);
			  tuned = 1; break;
		}
	}
	lua_pop(L, 1);					/* o.argv */
	first = o.ind;
	if (tuned && !r->mo.relocate)
		luaL_error(L, "%s: -V, -g and -G go with -m (--relocate)\n"
			   "Usage: %s %s", op, op, usage);
	if (r->mo.unmigrate && r->mo.relocate)
		luaL_error(L, "%s: -u and -m (--relocate) do not go together\n"
			   "Usage: %s %s", op, op, usage);
	if (first > n)
		luaL_error(L, "Usage: %s %s", op, usage);
	r->many = n > first;
	r->fs = e2sh_checkfs(L, &r->fsi);
	return first;
}

/* run_end under pcall: the run (light userdata) and the error at 1, 2. */
static int run_end_fn(lua_State *L)
{
	return run_end(lua_touserdata(L, 1), (errcode_t)lua_tointeger(L, 2));
}

/* plan -j: {plans = {plan with file=, ...}, migratable = totals,
 * skipped=, corrupt=, not_planned = {{code=, reason=, count=}...}}; a
 * failure is returned after the data. */
static int plan_json(struct run *r, errcode_t err, int data)
{
	lua_State *L = r->L;
	struct e2c_effects ef;
	size_t i;

	lua_pushstring(L, r->mo.unmigrate ? "unmigrate" : "migrate");
	lua_setfield(L, data, "operation");
	lua_pushvalue(L, r->list);
	lua_setfield(L, data, "plans");
	plan_effects(r->fs, &r->ok, &ef);
	e2l_pushtotals(L, &r->ok, &ef);
	lua_setfield(L, data, "migratable");
	lua_pushinteger(L, (lua_Integer)r->skipped);
	lua_setfield(L, data, "skipped");
	lua_pushinteger(L, (lua_Integer)r->corrupt);
	lua_setfield(L, data, "corrupt");
	lua_createtable(L, (int)r->nquiet, 0);
	for (i = 0; i < r->nquiet; i++) {
		lua_createtable(L, 0, 3);
		lua_pushinteger(L, (lua_Integer)r->quiet[i].code);
		lua_setfield(L, -2, "code");
		lua_pushstring(L, error_message(r->quiet[i].code));
		lua_setfield(L, -2, "reason");
		lua_pushinteger(L, (lua_Integer)r->quiet[i].n);
		lua_setfield(L, -2, "count");
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	lua_setfield(L, data, "not_planned");
	lua_pushvalue(L, data);
	lua_pushcfunction(L, run_end_fn);
	lua_pushlightuserdata(L, r);
	lua_pushinteger(L, (lua_Integer)err);
	return lua_pcall(L, 2, 0, 0) == LUA_OK ? 1 : 2;
}

/* plan [-r] <file>...: what migrating each would take; writes nothing.
 * -j (json): the same as data. */
static int plan(lua_State *L, int json)
{
	struct run r;
	int first = run_begin(L, &r, "plan", PLAN_USAGE, "rumg:G:"), data = 0;
	struct e2c_effects ef;
	size_t total;
	errcode_t err;

	if (json) {
		lua_newtable(L);
		data = lua_gettop(L);
		lua_newtable(L);
		r.list = lua_gettop(L);
	} else {
		fprintf(r.out, TABLE_HEAD);
	}
	err = run_files(&r, first, r.fsi - 1);
	if (json)
		return plan_json(&r, err, data);
	total = r.ok.inodes + r.skipped + r.corrupt;
	fprintf(r.out, "total: %zu inode%s, %zu %s, %zu skipped: ",
		total, plural(total), r.ok.inodes,
		r.mo.unmigrate ? "unmigratable" : "migratable", r.skipped);
	print_figures(r.out, &r.ok, r.mo.unmigrate);
	plan_effects(r.fs, &r.ok, &ef);
	e2sh_print_effects(r.out, &ef, E2C_WILL);
	if (r.corrupt)
		fprintf(r.out, "corrupt: %zu inode%s with a corrupt map or "
			"inode, not migrated: run e2fsck -f\n", r.corrupt,
			plural(r.corrupt));
	return run_end(&r, err);
}

static int cmd_plan(lua_State *L)
{
	return plan(L, 0);
}

static int json_plan(lua_State *L)
{
	return plan(L, 1);
}

/* The shell's transaction: the fs's open one, or a new one. */
static e2c_tx *shell_tx(lua_State *L, e2c_fs *fs, const char *op)
{
	e2c_tx *tx = e2c_fs_tx(fs);
	errcode_t err;

	if (tx)
		return tx;
	err = e2c_tx_begin(fs, &tx);
	if (err)
		e2l_error(L, err, op, e2c_fs_path(fs));
	return tx;
}

static int staged_end(struct run *r, errcode_t err);

/* migrate [-r] [-m ...] <file>... (and defrag <file>..., which is
 * migrate -m -G 1): stage each; what cannot be staged is reported and
 * makes the command fail (min_gain's refusals are only counted), the
 * others stay staged. */
static int stage_files(lua_State *L, const char *op, const char *usage,
		       const char *letters)
{
	struct run r;
	int first = run_begin(L, &r, op, usage, letters);
	errcode_t err;

	r.tx = shell_tx(L, r.fs, op);
	err = run_files(&r, first, r.fsi - 1);
	return staged_end(&r, err);
}

/* unmigrate [-r] [--clear-feature] [<file>...]: stage reverse
 * migrations (back to block maps); --clear-feature: the commit turns
 * the extent feature off, once no inode uses it. */
static int cmd_unmigrate(lua_State *L)
{
	static const struct option longopts[] = {
		{ "clear-feature", no_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 }
	};
	struct run r;
	struct e2sh_opt o;
	int n = lua_gettop(L), c, first, clear = 0;
	errcode_t err = 0;

	memset(&r, 0, sizeof(r));
	r.L = L;
	r.op = "unmigrate";
	r.out = e2sh_out(L);
	r.mo.unmigrate = 1;
	e2sh_opt_begin(L, &o, n, r.op, UNMIGRATE_USAGE);
	o.longs = longopts;
	while ((c = e2sh_opt_next(&o, "r")) != -1)
		if (c == 'r')
			r.recursive = 1;
		else
			clear = 1;
	lua_pop(L, 1);					/* o.argv */
	first = o.ind;
	if (first > n && !clear)
		return luaL_error(L, "Usage: %s %s", r.op, UNMIGRATE_USAGE);
	r.many = n > first;
	r.fs = e2sh_checkfs(L, &r.fsi);
	r.tx = shell_tx(L, r.fs, r.op);
	if (clear) {
		err = e2c_tx_clear_feature(r.tx, E2C_FEATURE_EXTENT);
		if (err)
			return e2l_error(L, err, r.op, "--clear-feature");
	}
	if (first <= n)
		err = run_files(&r, first, r.fsi - 1);
	return staged_end(&r, err);
}

/* What is pending after migrate or unmigrate staged, then run_end. */
static int staged_end(struct run *r, errcode_t err)
{
	struct e2c_effects ef;
	struct e2c_tx_totals t;

	e2c_tx_totals(r->tx, &t);
	fprintf(r->out, "pending: %zu inode%s, ", t.inodes, plural(t.inodes));
	print_figures(r->out, &t, 0);
	e2c_tx_effects(r->tx, &ef);
	e2sh_print_effects(r->out, &ef, E2C_WILL);
	return run_end(r, err);
}

static int cmd_migrate(lua_State *L)
{
	return stage_files(L, "migrate", MIGRATE_USAGE, "rmVg:G:");
}

static int cmd_defrag(lua_State *L)
{
	return stage_files(L, "defrag", DEFRAG_USAGE, "rVg:G:");
}

/* The path entry p was staged by, else one found for it, else "<ino>"
 * (pushed); paths is the stack slot of the recorded paths. */
static const char *push_staged_path(lua_State *L, e2c_fs *fs, int paths,
				    const struct e2c_plan *p)
{
	char *path = NULL;

	if (lua_rawgeti(L, paths, p->ino) == LUA_TSTRING)
		return lua_tostring(L, -1);
	lua_pop(L, 1);
	/* A path is a courtesy: the inode number is what counts. */
	if (ext2fs_get_pathname(e2c_fs_handle(fs), p->ino, 0, &path))
		path = NULL;
	if (path)
		lua_pushstring(L, path);
	else
		lua_pushfstring(L, "<%d>", (int)p->ino);
	free(path);
	return lua_tostring(L, -1);
}

/* pending: what is staged, in staging order, with totals; each by the
 * path it was staged by, else one found for it, else "<ino>".  -j (json):
 * {staged = {plan with file=, ...}, totals=}, as tx:pending(). */
static int pending(lua_State *L, int json)
{
	FILE *out = e2sh_out(L);
	int fsi, paths;
	e2c_fs *fs = e2sh_checkfs(L, &fsi);
	struct e2c_effects ef = { 0 };
	struct e2c_tx_totals t = { 0 };
	size_t i, n = e2c_fs_tx(fs) ? e2c_tx_count(e2c_fs_tx(fs)) : 0;
	struct e2c_plan p;

	if (json) {
		lua_createtable(L, 0, 2);
		lua_createtable(L, (int)n, 0);
	} else if (!n) {
		fprintf(out, "nothing staged\n");
		return 0;
	} else {
		fprintf(out, TABLE_HEAD);
	}
	push_paths(L, fsi);
	paths = lua_gettop(L);
	for (i = 0; i < n; i++) {
		if (e2c_tx_entry(e2c_fs_tx(fs), i, &p))
			continue;
		push_staged_path(L, fs, paths, &p);
		if (json) {
			e2l_pushplan(L, fs, &p);
			lua_insert(L, -2);
			lua_setfield(L, -2, "file");
			lua_rawseti(L, paths - 1,
				    (lua_Integer)lua_rawlen(L, paths - 1) + 1);
		} else {
			print_row(out, &p, "staged", lua_tostring(L, -1));
			print_relocation(out, &p);
			lua_pop(L, 1);
		}
	}
	lua_pop(L, 1);					/* paths */
	if (n) {
		e2c_tx_totals(e2c_fs_tx(fs), &t);
		e2c_tx_effects(e2c_fs_tx(fs), &ef);
	}
	if (json) {
		lua_setfield(L, -2, "staged");
		e2l_pushtotals(L, &t, &ef);
		lua_setfield(L, -2, "totals");
		return 1;
	}
	fprintf(out, "total: %zu inode%s, ", t.inodes, plural(t.inodes));
	print_figures(out, &t, 0);
	e2sh_print_effects(out, &ef, E2C_WILL);
	return 0;
}

static int cmd_pending(lua_State *L)
{
	return pending(L, 0);
}

static int json_pending(lua_State *L)
{
	return pending(L, 1);
}

/* commit: write what is staged (core/tx.c, doc/migration.md). */
int e2sh_commit(lua_State *L)
{
	/* What a failure past the point of no return left: step 3, or
	 * steps 4 and 5 (one flush since the commit was sped up). */
	static const char *const done[] = {
		"some inodes were switched to their extent trees",
		("every inode was switched; the old indirect blocks were "
		 "being released and the clean state written"),
	};
	FILE *out = e2sh_out(L);
	int fsi, step;
	e2c_fs *fs = e2sh_checkfs(L, &fsi);
	struct e2c_effects ef;
	struct e2c_tx_totals t;
	size_t written;
	errcode_t err, cause, flush;

	e2c_tx *tx = e2c_fs_tx(fs);

	if (tx)
		e2c_tx_effects(tx, &ef);
	if (!tx || (!e2c_tx_count(tx) && !ef.features_off)) {
		fprintf(out, "nothing to commit\n");
		return 0;
	}
	e2c_tx_totals(tx, &t);
	err = e2c_tx_commit(tx);
	if (err == E2C_ERR_COMMIT_PARTIAL || err == E2C_ERR_RESTORE_FAILED) {
		e2c_tx_progress(e2c_fs_tx(fs), &step, &written);
		e2c_tx_failure(e2c_fs_tx(fs), &cause, &flush);
		fflush(out);
		if (err == E2C_ERR_COMMIT_PARTIAL)
			fprintf(stderr, "commit: failed at step %d of 5 (%s): "
				"%zu of %zu inodes were converted.\nNo file "
				"data is lost, but the filesystem is marked not "
				"clean: run\n  e2fsck -f %s\nbefore using it.  "
				"(rollback drops what is left of this "
				"transaction.)\n", step, done[step > 3],
				written, t.inodes, e2c_fs_path(fs));
		if (err == E2C_ERR_COMMIT_PARTIAL && flush)
			fprintf(stderr, "commit: writing the not clean state "
				"failed too (%s)\n", error_message(flush));
		if (err == E2C_ERR_RESTORE_FAILED)
			fprintf(stderr, "commit: failed at step %d of 5 (%s), "
				"and writing the superblock back as it was "
				"failed too (%s).\nNo inode was converted and "
				"no file data is lost, but the filesystem may be "
				"marked not clean: run\n  e2fsck -f %s\nbefore "
				"using it.  %zu inode%s still staged (rollback "
				"drops them).\n", step, error_message(cause),
				error_message(flush), e2c_fs_path(fs), t.inodes,
				plural(t.inodes));
		return e2l_commiterror(L, e2c_fs_tx(fs), err,
				       e2c_fs_path(fs), NULL);
	}
	if (err == E2C_ERR_EXTENTS_LEFT) {
		ext2_ino_t first;
		size_t left;

		e2c_tx_extents_left(e2c_fs_tx(fs), &first, &left);
		fflush(out);
		fprintf(stderr, "commit: %zu extent-mapped inode%s would be "
			"left (the first: <%u>): unmigrate %s, or roll back "
			"the --clear-feature\n", left, plural(left), first,
			left == 1 ? "it" : "them");
	}
	if (err) {
		fflush(out);
		fprintf(stderr, "commit: nothing was changed on disk; %zu "
			"inode%s still staged (commit again or rollback)\n",
			t.inodes, plural(t.inodes));
		return e2l_fserror(L, fs, err, "commit");
	}
	forget_paths(L, fsi);
	fprintf(out, "committed %zu inode%s: ", t.inodes, plural(t.inodes));
	print_figures(out, &t, 0);
	e2sh_print_effects(out, &ef, E2C_DONE);
	return 0;
}

/* rollback: drop what is staged; nothing was written. */
static int cmd_rollback(lua_State *L)
{
	FILE *out = e2sh_out(L);
	int fsi;
	e2c_fs *fs = e2sh_checkfs(L, &fsi);
	size_t n = e2c_fs_tx(fs) ? e2c_tx_count(e2c_fs_tx(fs)) : 0;

	if (e2c_fs_tx(fs))
		e2c_tx_rollback(e2c_fs_tx(fs));
	forget_paths(L, fsi);
	if (n)
		fprintf(out, "rolled back %zu staged inode%s\n", n, plural(n));
	else
		fprintf(out, "nothing staged\n");
	return 0;
}

const struct e2sh_cmd e2sh_migrate_cmds[] = {
	{ "plan", NULL, PLAN_USAGE,
	  "What migrating files (-r: every inode under directories) would take",
	  1, -1, "fs", "file", cmd_plan,
	  "plan /big /etc/passwd\nplan -j -r /home", json_plan },
	{ "migrate", NULL, MIGRATE_USAGE,
	  "Stage files (-r: every inode under directories) for migration",
	  1, -1, "write", "file", cmd_migrate,
	  "migrate /big\nmigrate -r /home\ncommit", NULL },
	{ "unmigrate", NULL, UNMIGRATE_USAGE,
	  ("Stage extent-mapped files (-r: every inode under directories) "
	   "to go back to block maps"),
	  0, -1, "write", "file", cmd_unmigrate,
	  "unmigrate --clear-feature /var/log/syslog\npending\nrollback",
	  NULL },
	{ "defrag", NULL, DEFRAG_USAGE,
	  ("Stage files (-r: every inode under directories) to be "
	   "relocated into as few extents as free space allows"),
	  1, -1, "write", "file", cmd_defrag,
	  "defrag /big\ncommit", NULL },
	{ "pending", NULL, "[-j]", "List the staged migrations, with totals",
	  0, 0, "fs", "", cmd_pending,
	  "migrate /big\npending\npending -j\nrollback", json_pending },
	{ "commit", NULL, "", "Write the staged migrations",
	  0, 0, "write", "", e2sh_commit,
	  "migrate /var/log/big\ncommit", NULL },
	{ "rollback", NULL, "", "Drop the staged migrations (nothing written)",
	  0, 0, "write", "", cmd_rollback,
	  "migrate /var/log/big\nrollback", NULL },
	{ NULL, NULL, NULL, NULL, 0, 0, NULL, NULL, NULL, NULL, NULL }
};
