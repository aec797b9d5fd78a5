/*
 * cmd_migrate.c -- the migration commands: plan, migrate, pending, commit,
 * rollback.  They drive the core's transaction of the current filesystem
 * (fs->tx, begun by the first migrate), the same one e2.tx wraps, so work
 * staged here or from Lua is one transaction.
 *
 * As in cmd_inspect.c, nothing raises while it holds memory: each command
 * prints as it goes and raises only at the end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

static const char *plural(unsigned long long n)
{
	return n == 1 ? "" : "s";
}

/* "1234 data blocks, 56 extents, 7 index blocks, 20 indirect blocks
 * freed, used blocks -13": the figures every command reports. */
static void print_figures(FILE *out, const struct e2c_tx_totals *t)
{
	fprintf(out, "%llu data block%s, %llu extent%s, %llu index block%s, "
		"%llu indirect block%s freed, used blocks %+lld\n",
		(unsigned long long)t->data_blocks, plural(t->data_blocks),
		(unsigned long long)t->extents, plural(t->extents),
		(unsigned long long)t->index_blocks, plural(t->index_blocks),
		(unsigned long long)t->meta_freed, plural(t->meta_freed),
		t->used_delta);
}

static void add_plan(struct e2c_tx_totals *t, const struct e2c_plan *p)
{
	t->inodes++;
	t->data_blocks += p->data_blocks;
	t->extents += p->extents;
	t->index_blocks += p->index_blocks;
	t->meta_freed += p->meta_freed;
	t->used_delta += p->used_delta;
}

#define TABLE_HEAD "    INO STATUS       DATA  EXTENTS DEPTH  INDEX  FREED PATH\n"

/* One table row; the path last, with the reason after it if skipped. */
static void print_row(FILE *out, const struct e2c_plan *p,
		      const char *status, const char *path)
{
	if (p->skip) {
		fprintf(out, "%7u %-7s %9s %8s %5s %6s %6s %s: %s\n", p->ino,
			status, "-", "-", "-", "-", "-", path,
			error_message(p->skip));
		return;
	}
	fprintf(out, "%7u %-7s %9llu %8llu %5d %6llu %6llu %s\n", p->ino,
		status, (unsigned long long)p->data_blocks,
		(unsigned long long)p->extents, p->depth,
		(unsigned long long)p->index_blocks,
		(unsigned long long)p->meta_freed, path);
}

/* Resolve argument i of n (a path or <ino>); failures are reported. */
static int resolve(lua_State *L, e2c_fs *fs, int fsi, int i, int n,
		   const char *op, ext2_ino_t *ino, errcode_t *err)
{
	*err = e2c_lookup(fs, e2l_getcwd(L, fsi), luaL_checkstring(L, i),
			  ino);
	if (*err)
		e2sh_file_failed(L, op, i, n, *err);
	return *err == 0;
}

/* plan <file>...: what migrating each would take; writes nothing. */
static int cmd_plan(lua_State *L)
{
	FILE *out = e2sh_out(L);
	int n = lua_gettop(L), i, fsi, failed = 0;
	e2c_fs *fs = e2sh_checkfs(L, &fsi);
	struct e2c_tx_totals ok = { 0 };
	errcode_t err = 0;
	size_t skipped = 0, corrupt = 0;

	fprintf(out, TABLE_HEAD);
	for (i = 1; i <= n; i++) {
		struct e2c_plan p;
		ext2_ino_t ino;

		if (!resolve(L, fs, fsi, i, n, "plan", &ino, &err)) {
			failed++;
			continue;
		}
		err = e2c_plan_inode(fs, ino, &p);
		if (err) {
			e2sh_file_failed(L, "plan", i, n, err);
			failed++;
			continue;
		}
		/* A corrupt map is a problem, not a file to pass over. */
		if (e2c_skip_is_corruption(p.skip))
			corrupt++;
		else if (p.skip)
			skipped++;
		else
			add_plan(&ok, &p);
		print_row(out, &p, e2c_skip_is_corruption(p.skip) ?
			  "CORRUPT" : p.skip ? "skip" : "ok",
			  lua_tostring(L, i));
	}
	fprintf(out, "total: %zu inode%s, %zu migratable, %zu skipped: ",
		ok.inodes + skipped + corrupt,
		plural(ok.inodes + skipped + corrupt), ok.inodes, skipped);
	print_figures(out, &ok);
	if (corrupt)
		fprintf(out, "corrupt: %zu inode%s with a corrupt map or "
			"inode, not migrated: run e2fsck -f\n", corrupt,
			plural(corrupt));
	if (failed)
		return e2sh_files_fail(L, "plan", failed, n, err);
	return 0;
}

/* The shell's transaction: the fs's open one, or a new one. */
static e2c_tx *shell_tx(lua_State *L, e2c_fs *fs, const char *op)
{
	e2c_tx *tx = fs->tx;
	errcode_t err;

	if (tx)
		return tx;
	err = e2c_tx_begin(fs, &tx);
	if (err)
		e2l_error(L, err, op, fs->path);
	return tx;
}

/* migrate <file>...: stage each; what cannot be staged is reported and
 * makes the command fail, the others stay staged. */
static int cmd_migrate(lua_State *L)
{
	FILE *out = e2sh_out(L);
	int n = lua_gettop(L), i, fsi, failed = 0;
	e2c_fs *fs = e2sh_checkfs(L, &fsi);
	e2c_tx *tx = shell_tx(L, fs, "migrate");
	struct e2c_tx_totals t;
	errcode_t err = 0;

	for (i = 1; i <= n; i++) {
		struct e2c_plan p;
		ext2_ino_t ino;

		if (!resolve(L, fs, fsi, i, n, "migrate", &ino, &err)) {
			failed++;
			continue;
		}
		err = e2c_tx_migrate(tx, ino, &p);
		if (err) {
			e2sh_file_failed(L, "migrate", i, n, err);
			failed++;
			continue;
		}
		fprintf(out, "staged %u %s: %llu extent%s, depth %d, %llu index "
			"block%s, %llu indirect block%s freed\n", p.ino,
			lua_tostring(L, i), (unsigned long long)p.extents,
			plural(p.extents), p.depth,
			(unsigned long long)p.index_blocks,
			plural(p.index_blocks),
			(unsigned long long)p.meta_freed, plural(p.meta_freed));
	}
	e2c_tx_totals(tx, &t);
	fprintf(out, "pending: %zu inode%s, ", t.inodes, plural(t.inodes));
	print_figures(out, &t);
	if (failed)
		return e2sh_files_fail(L, "migrate", failed, n, err);
	return 0;
}

/* pending: what is staged, in staging order, with totals. */
static int cmd_pending(lua_State *L)
{
	FILE *out = e2sh_out(L);
	int fsi;
	e2c_fs *fs = e2sh_checkfs(L, &fsi);
	struct e2c_tx_totals t;
	size_t i, n = fs->tx ? e2c_tx_count(fs->tx) : 0;

	if (!n) {
		fprintf(out, "nothing staged\n");
		return 0;
	}
	fprintf(out, TABLE_HEAD);
	for (i = 0; i < n; i++) {
		struct e2c_plan p;
		char *path = NULL, num[16];

		if (e2c_tx_entry(fs->tx, i, &p))
			continue;
		snprintf(num, sizeof(num), "<%u>", p.ino);
		/* A path is a courtesy: the inode number is what counts. */
		if (ext2fs_get_pathname(fs->fs, p.ino, 0, &path))
			path = NULL;
		print_row(out, &p, "staged", path ? path : num);
		free(path);
	}
	e2c_tx_totals(fs->tx, &t);
	fprintf(out, "total: %zu inode%s, ", t.inodes, plural(t.inodes));
	print_figures(out, &t);
	return 0;
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
	struct e2c_tx_totals t;
	size_t written;
	errcode_t err;

	if (!fs->tx || !e2c_tx_count(fs->tx)) {
		fprintf(out, "nothing to commit\n");
		return 0;
	}
	e2c_tx_totals(fs->tx, &t);
	err = e2c_tx_commit(fs->tx);
	if (err == E2C_ERR_COMMIT_PARTIAL) {
		e2c_tx_progress(fs->tx, &step, &written);
		fflush(out);
		fprintf(stderr, "commit: failed at step %d of 5 (%s): %zu of "
			"%zu inodes were converted.\nNo file data is lost, "
			"but the filesystem is marked not clean: run\n"
			"  e2fsck -f %s\nbefore using it.  (rollback drops "
			"what is left of this transaction.)\n", step,
			done[step > 3], written, t.inodes,
			fs->path);
		return e2l_error(L, err, "commit", fs->path);
	}
	if (err) {
		fflush(out);
		fprintf(stderr, "commit: nothing was changed on disk; %zu "
			"inode%s still staged (commit again or rollback)\n",
			t.inodes, plural(t.inodes));
		return e2l_error(L, err, "commit", fs->path);
	}
	fprintf(out, "committed %zu inode%s: ", t.inodes, plural(t.inodes));
	print_figures(out, &t);
	return 0;
}

/* rollback: drop what is staged; nothing was written. */
static int cmd_rollback(lua_State *L)
{
	FILE *out = e2sh_out(L);
	int fsi;
	e2c_fs *fs = e2sh_checkfs(L, &fsi);
	size_t n = fs->tx ? e2c_tx_count(fs->tx) : 0;

	if (fs->tx)
		e2c_tx_rollback(fs->tx);
	if (n)
		fprintf(out, "rolled back %zu staged inode%s\n", n, plural(n));
	else
		fprintf(out, "nothing staged\n");
	return 0;
}

const struct e2sh_cmd e2sh_migrate_cmds[] = {
	{ "plan", NULL, "<file>...",
	  "What migrating files to extents would take (writes nothing)",
	  1, -1, "fs", "file", cmd_plan },
	{ "migrate", NULL, "<file>...",
	  "Stage files for migration to extents (commit writes them)",
	  1, -1, "write", "file", cmd_migrate },
	{ "pending", NULL, "", "List the staged migrations, with totals",
	  0, 0, "fs", "", cmd_pending },
	{ "commit", NULL, "", "Write the staged migrations",
	  0, 0, "write", "", e2sh_commit },
	{ "rollback", NULL, "", "Drop the staged migrations (nothing written)",
	  0, 0, "write", "", cmd_rollback },
	{ NULL, NULL, NULL, NULL, 0, 0, NULL, NULL, NULL }
};
