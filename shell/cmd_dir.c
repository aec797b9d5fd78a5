/*
 * cmd_dir.c -- directories and names: ls, cd, pwd, ncheck, htree_dump,
 * dx_hash.
 *
 * Output follows debugfs 1.47.0 byte for byte where debugfs has the command
 * (the tests compare them).  Every command does its work in a helper that
 * returns an errcode_t and frees what it allocated; only then does the
 * lua_CFunction raise, so no Lua error ever jumps over a malloc()ed buffer
 * or a libext2fs frame.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <e2p/e2p.h>
#include <uuid/uuid.h>

#include "commands.h"

#define LS_USAGE	"[-c] [-d] [-j] [-l] [-p] [-r] [dir]"
#define NCHECK_USAGE	"[-c] [-j] <ino> ..."
#define DXHASH_USAGE	"[-j] [-cv] [-h hash_alg] [-s hash_seed] [-e encoding] <name>"

/* ------------------------------------------------------------------ */
/* cd, pwd                                                             */
/* ------------------------------------------------------------------ */

/* cd DIR: fs:cd, the one implementation */
static int cmd_cd(lua_State *L)
{
	int fsidx;

	e2sh_checkfs(L, &fsidx);
	lua_getfield(L, fsidx, "cd");
	lua_pushvalue(L, fsidx);
	lua_pushvalue(L, 1);
	lua_call(L, 2, 0);
	return 0;
}

/* pwd: debugfs's two lines, the current directory and the root. */
static int cmd_pwd(lua_State *L)
{
	FILE *out = e2sh_out(L);
	int fsidx;
	e2c_fs *fs = e2sh_checkfs(L, &fsidx);
	ext2_ino_t dirs[2] = { e2l_getcwd(L, fsidx), EXT2_ROOT_INO };
	const char *tags[2] = { "[pwd] ", "[root]" };
	char *path;
	int i;

	for (i = 0; i < 2; i++) {
		if (ext2fs_get_pathname(e2c_fs_handle(fs), dirs[i], 0, &path))
			path = NULL;
		fprintf(out, "%s  INODE: %6u  PATH: %s\n", tags[i], dirs[i],
			path ? path : "NULL");
		free(path);
	}
	return 0;
}

/* {ino=, path=} of directory ino (path absent if it has none). */
static void push_dir(lua_State *L, int fsi, ext2_ino_t ino)
{
	lua_createtable(L, 0, 2);
	lua_pushinteger(L, ino);
	lua_setfield(L, -2, "ino");
	lua_pushinteger(L, ino);
	e2sh_method(L, fsi, "path", 1, 1);
	lua_setfield(L, -2, "path");
}

/* pwd -j: {cwd = {ino=, path=}, root = {ino=, path=}} from fs:cwd(),
 * fs:path() */
static int json_pwd(lua_State *L)
{
	int fsi;

	e2sh_checkfs(L, &fsi);
	lua_createtable(L, 0, 2);
	e2sh_method(L, fsi, "cwd", 0, 1);
	push_dir(L, fsi, (ext2_ino_t)lua_tointeger(L, -1));
	lua_setfield(L, -3, "cwd");
	lua_pop(L, 1);
	push_dir(L, fsi, EXT2_ROOT_INO);
	lua_setfield(L, -2, "root");
	return 1;
}

/* ------------------------------------------------------------------ */
/* ls                                                                  */
/* ------------------------------------------------------------------ */

#define LS_CSUM		0x01	/* -c */
#define LS_DELETED	0x02	/* -d */
#define LS_LONG		0x04	/* -l */
#define LS_PARSE	0x08	/* -p */
#define LS_RAW		0x10	/* -r */
#define LS_ENCRYPT	0x20	/* the directory is encrypted */

struct ls {
	e2c_fs *fs;
	FILE *out;
	int opts;
	int col;		/* output column (short format) */
	int seen;		/* entries so far ("." and ".." show raw) */
	errcode_t err;		/* first inode that could not be read */
};

/* The name, non-printable bytes as \xNN; returns the printed width.
 * Prints nothing when out is NULL (measuring). */
static int ls_name(FILE *out, const struct ext2_dir_entry *d, int opts)
{
	int len = ext2fs_dirent_name_len(d), w = 0, i;

	if ((opts & LS_ENCRYPT) && !(opts & LS_RAW))
		return out ? fprintf(out, "<encrypted (%d)>", len) :
			     snprintf(NULL, 0, "<encrypted (%d)>", len);
	for (i = 0; i < len; i++) {
		unsigned char ch = d->name[i];

		if (ch < 32 || ch >= 127 || ch == '\\') {
			if (out)
				fprintf(out, "\\x%02x", ch);
			w += 4;
		} else {
			if (out)
				fputc(ch, out);
			w++;
		}
	}
	return w;
}

/* An entry's inode, or zeros for a deleted entry. */
static int ls_inode(struct ls *ls, ext2_ino_t ino, struct ext2_inode *in)
{
	errcode_t retval;

	memset(in, 0, sizeof(*in));
	if (!ino)
		return 0;
	retval = ext2fs_read_inode(e2c_fs_handle(ls->fs), ino, in);
	if (retval && !ls->err)
		ls->err = retval;
	return retval ? -1 : 0;
}

static void ls_long(struct ls *ls, int entry, struct ext2_dir_entry *d,
		    ext2_ino_t ino, char lbr, char rbr, int opts)
{
	FILE *out = ls->out;
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May",
		"Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct ext2_inode in;
	char date[80] = "                 ";

	if (ls_inode(ls, ino, &in))
		return;
	if (ino) {
		time_t t = in.i_mtime;
		struct tm tm;

		if (localtime_r(&t, &tm))
			snprintf(date, sizeof(date), "%2d-%s-%4d %02d:%02d",
				 tm.tm_mday, mon[tm.tm_mon], 1900 + tm.tm_year,
				 tm.tm_hour, tm.tm_min);
	}
	fprintf(out, "%c%6u%c %6o ", lbr, ino, rbr, in.i_mode);
	if (entry == DIRENT_CHECKSUM) {
		fprintf(out, "(dirblock checksum: 0x%08x)\n",
			((struct ext2_dir_entry_tail *)d)->det_checksum);
		return;
	}
	fprintf(out, "(%d)  %5d  %5d   %5llu %s ", ext2fs_dirent_file_type(d),
		inode_uid(in), inode_gid(in),
		(unsigned long long)EXT2_I_SIZE(&in), date);
	ls_name(out, d, opts);
	fputc('\n', out);
}

static int ls_cb(ext2_ino_t dir, int entry, struct ext2_dir_entry *d,
		 int offset, int blocksize, char *buf, void *priv)
{
	struct ls *ls = priv;
	FILE *out = ls->out;
	ext2_ino_t ino = d->inode;
	char lbr = ' ', rbr = ' ', tmp[EXT2_NAME_LEN + 64];
	int opts = ls->opts, len;
	struct ext2_inode in;

	(void)dir;
	(void)offset;
	(void)blocksize;
	(void)buf;
	if (ls->seen < 2) {
		ls->seen++;
		opts |= LS_RAW;
	}
	if (entry == DIRENT_DELETED_FILE) {
		lbr = '<';
		rbr = '>';
		ino = 0;
	}
	if (opts & LS_PARSE) {
		if (ls_inode(ls, ino, &in))
			return 0;
		fprintf(out, "/%u/%06o/%d/%d/%.*s/", ino, in.i_mode,
			inode_uid(in), inode_gid(in),
			ext2fs_dirent_name_len(d), d->name);
		if (LINUX_S_ISDIR(in.i_mode))
			fputs("/\n", out);
		else
			fprintf(out, "%llu/\n",
				(unsigned long long)EXT2_I_SIZE(&in));
	} else if (opts & LS_LONG) {
		ls_long(ls, entry, d, ino, lbr, rbr, opts);
	} else {
		if (entry == DIRENT_CHECKSUM) {
			len = snprintf(tmp, sizeof(tmp),
				       "%c%u%c (dirblock checksum: 0x%08x)   ",
				       lbr, d->inode, rbr,
				       ((struct ext2_dir_entry_tail *)d)->
				       det_checksum);
		} else {
			snprintf(tmp, sizeof(tmp), "%c%u%c (%d) ", lbr,
				 d->inode, rbr, d->rec_len);
			len = strlen(tmp) + 3 + ls_name(NULL, d, opts);
		}
		if (ls->col + len > 80) {
			fputc('\n', out);
			ls->col = 0;
		}
		fputs(tmp, out);
		if (entry != DIRENT_CHECKSUM) {
			ls_name(out, d, opts);
			fputs("   ", out);
		}
		ls->col += len;
	}
	return 0;
}

static errcode_t list_dir(struct ls *ls, ext2_ino_t dir)
{
	int flags = DIRENT_FLAG_INCLUDE_EMPTY;
	struct ext2_inode in;
	errcode_t retval;

	retval = ext2fs_read_inode(e2c_fs_handle(ls->fs), dir, &in);
	if (!retval)
		retval = ext2fs_check_directory(e2c_fs_handle(ls->fs), dir);
	if (retval)
		return retval;
	if (in.i_flags & EXT4_ENCRYPT_FL)
		ls->opts |= LS_ENCRYPT;
	if (ls->opts & LS_CSUM)
		flags |= DIRENT_FLAG_INCLUDE_CSUM;
	if (ls->opts & LS_DELETED)
		flags |= DIRENT_FLAG_INCLUDE_REMOVED;
	retval = ext2fs_dir_iterate2(e2c_fs_handle(ls->fs), dir, flags, NULL, ls_cb, ls);
	fputc('\n', ls->out);
	return retval ? retval : ls->err;
}

static int cmd_ls(lua_State *L)
{
	int fsi, first;
	e2c_fs *fs = e2sh_checkfs(L, &fsi);
	struct ls ls = { .fs = fs, .out = e2sh_out(L) };
	const char *arg = NULL;
	ext2_ino_t dir;
	errcode_t retval;

	ls.opts = e2sh_flags(L, fsi - 1, "cdlpr", "ls", LS_USAGE, &first);
	if (first < fsi - 1)
		return luaL_error(L, "Usage: ls " LS_USAGE);
	if (first == fsi - 1) {
		arg = lua_tostring(L, first);
		dir = e2l_checkino(L, fsi, first, "ls");
	} else {
		dir = e2l_getcwd(L, fsi);
	}
	retval = list_dir(&ls, dir);
	if (retval)
		e2l_error(L, retval, "ls", arg);
	return 0;
}

/* ls -j [-c] [-d] [dir]: {dir=, ino=, entries = ino:entries{...}}; -l,
 * -p and -r shape text only. */
static int json_ls(lua_State *L)
{
	int fsi, first, opts;

	e2sh_checkfs(L, &fsi);
	opts = e2sh_flags(L, fsi - 1, "cdlpr", "ls", LS_USAGE, &first);
	if (first < fsi - 1)
		return luaL_error(L, "Usage: ls " LS_USAGE);
	if (first == fsi - 1)
		lua_pushvalue(L, first);
	else
		e2sh_method(L, fsi, "cwd", 0, 1);
	e2sh_method(L, fsi, "inode", 1, 1);		/* [.., ino] */
	lua_createtable(L, 0, 3);
	if (first == fsi - 1)
		lua_pushvalue(L, first);
	else
		lua_pushliteral(L, ".");
	lua_setfield(L, -2, "dir");
	lua_getfield(L, -2, "ino");
	lua_setfield(L, -2, "ino");
	lua_getfield(L, -2, "entries");
	lua_pushvalue(L, -3);
	lua_createtable(L, 0, 2);
	lua_pushboolean(L, opts & LS_DELETED);
	lua_setfield(L, -2, "deleted");
	lua_pushboolean(L, opts & LS_CSUM);
	lua_setfield(L, -2, "checksums");
	e2sh_call_as(L, 2, 1, "ls", first == fsi - 1 ? lua_tostring(L, first)
						   : NULL);
	lua_setfield(L, -2, "entries");
	return 1;
}

/* ------------------------------------------------------------------ */
/* ncheck                                                              */
/* ------------------------------------------------------------------ */

struct ncheck {
	e2c_fs *fs;
	FILE *out;
	int check;		/* -c: compare the entry's file type */
	int bad_dirs;		/* directories that could not be read */
	ext2_ino_t dir;		/* the directory parent names */
	char *parent;		/* its path, NULL: none */
};

/* e2c_find_names callback: print one name, as debugfs does (its parent's
 * path from ext2fs_get_pathname, partial or not, else "<dir>"). */
static errcode_t ncheck_found(ext2_ino_t ino, ext2_ino_t dir,
			      const struct e2c_dirent *d, void *priv)
{
	struct ncheck *c = priv;
	FILE *out = c->out;
	struct ext2_inode inode;

	if (dir != c->dir) {
		ext2fs_free_mem(&c->parent);
		c->dir = dir;
		if (ext2fs_get_pathname(e2c_fs_handle(c->fs), dir, 0, &c->parent))
			c->parent = NULL;
	}
	if (c->parent)
		fprintf(out, "%u\t%s/%s", ino, c->parent, d->name);
	else
		fprintf(out, "%u\t<%u>/%s", ino, dir, d->name);
	if (c->check && d->ftype &&
	    !ext2fs_read_inode(e2c_fs_handle(c->fs), d->ino, &inode) &&
	    d->ftype != e2c_mode_ftype(inode.i_mode))
		fputs("  <--- BAD FILETYPE", out);
	fputc('\n', out);
	return 0;
}

/* e2c_find_names callback: report a directory that could not be read,
 * and count it. */
static void ncheck_bad_dir(ext2_ino_t dir, errcode_t err, void *priv)
{
	struct ncheck *c = priv;

	fprintf(stderr, "ncheck <%u>: %s\n", dir, error_message(err));
	c->bad_dirs++;
}

/* ncheck's options and arguments: -c, then the inodes ("12" or "<12>",
 * as debugfs accepts), checked, into a userdata (pushed) of *n. */
static ext2_ino_t *ncheck_args(lua_State *L, e2c_fs *fs, int fsi, int *check,
			       int *n)
{
	ext2_ino_t *inos;
	int first, i;

	*check = e2sh_flags(L, fsi - 1, "c", "ncheck", NCHECK_USAGE, &first);
	*n = fsi - first;
	if (*n < 1)
		luaL_error(L, "Usage: ncheck " NCHECK_USAGE);
	inos = lua_newuserdatauv(L, *n * sizeof(*inos), 0);
	for (i = 0; i < *n; i++) {
		size_t len;
		const char *a = lua_tolstring(L, first + i, &len);
		unsigned long long v;

		if (len > 2 && a[0] == '<' && a[len - 1] == '>' ?
		    e2sh_parse_num(a + 1, len - 2, &v) : e2sh_parse_num(a, len, &v))
			luaL_error(L, "ncheck %s: invalid inode number", a);
		if (v < 1 || v > e2c_fs_inodes_count(fs))
			e2l_error(L, E2C_ERR_BAD_INODE, "ncheck", a);
		inos[i] = (ext2_ino_t)v;
	}
	return inos;
}

/* "ncheck: N directories could not be read (see above)" */
static void push_bad_dirs(lua_State *L, int n)
{
	lua_pushfstring(L, "ncheck: %d director%s could not be read (see "
			"above)", n, n == 1 ? "y" : "ies");
}

static int cmd_ncheck(lua_State *L)
{
	int fsi, i, n;
	e2c_fs *fs = e2sh_checkfs(L, &fsi);
	struct ncheck c = { fs, e2sh_out(L), 0, 0, 0, NULL };
	struct ext2_inode inode;
	ext2_ino_t *inos = ncheck_args(L, fs, fsi, &c.check, &n);
	errcode_t retval;

	/* Read here first so an unreadable argument is named in the error. */
	for (i = 0; i < n; i++) {
		retval = ext2fs_read_inode(e2c_fs_handle(fs), inos[i], &inode);
		if (retval) {
			lua_pushfstring(L, "<%d>", (int)inos[i]);
			e2l_error(L, retval, "ncheck", lua_tostring(L, -1));
		}
	}
	fprintf(c.out, "Inode\tPathname\n");
	retval = e2c_find_names(fs, inos, n, ncheck_found, ncheck_bad_dir, &c);
	ext2fs_free_mem(&c.parent);
	if (retval)
		e2l_error(L, retval, "ncheck", NULL);
	if (c.bad_dirs) {
		push_bad_dirs(L, c.bad_dirs);
		return lua_error(L);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* htree_dump                                                          */
/* ------------------------------------------------------------------ */

struct htree_out {
	FILE *out;
	const char *cmd;	/* the command as typed, for messages */
	const char *dir;	/* as given */
	int failed;		/* blocks that could not be shown */
};

/* A node or leaf that could not be read: said on stderr, counted. */
static void htree_failed(struct htree_out *h, const char *what, __u32 lblk,
			 errcode_t err)
{
	fflush(h->out);
	fprintf(stderr, "%s %s: %s %u: %s\n", h->cmd, h->dir, what, lblk,
		error_message(err));
	h->failed++;
}

/* A leaf's records, debugfs's way: 80-column lines, then "\n". */
static void htree_leaf(struct htree_out *h, const struct e2c_dx_leaf *leaf)
{
	char tmp[EXT2_NAME_LEN + 64];
	int col = 0, len;
	size_t i;

	if (leaf->pblk)
		fprintf(h->out, "Reading directory block %llu, phys %llu\n",
			(unsigned long long)leaf->lblk,
			(unsigned long long)leaf->pblk);
	if (leaf->err) {
		htree_failed(h, "leaf block", (__u32)leaf->lblk, leaf->err);
		return;
	}
	for (i = 0; i < leaf->count; i++) {
		const struct e2c_dx_dirent *e = &leaf->ents[i];

		if (e->tail)
			len = snprintf(tmp, sizeof(tmp),
				       "leaf block checksum: 0x%08x  ",
				       e->checksum);
		else	/* the name up to a NUL, as debugfs prints it */
			len = snprintf(tmp, sizeof(tmp),
				       "%u 0x%08x-%08x (%u) %.*s   ", e->ino,
				       e->hash, e->minor_hash, e->rec_len,
				       (int)strnlen(e->name, e->name_len),
				       e->name);
		if (col + len > 80) {
			fputc('\n', h->out);
			col = 0;
		}
		fputs(tmp, h->out);
		col += len;
	}
	if (leaf->corrupt)
		fprintf(h->out, "Corrupted directory block (%llu)!\n",
			(unsigned long long)leaf->lblk);
	fputc('\n', h->out);
}

static void htree_node(struct htree_out *h, const struct e2c_dx_node *node)
{
	FILE *out = h->out;
	unsigned int i;

	if (node->err && !node->count && !node->limit) {
		htree_failed(h, "index block", (__u32)node->lblk, node->err);
		return;
	}
	fprintf(out, "Number of entries (count): %u\n", node->count);
	fprintf(out, "Number of entries (limit): %u\n", node->limit);
	if (node->has_tail) {
		fprintf(out, "Checksum: 0x%08x", node->checksum);
		if (node->checksum != node->expected)
			fprintf(out, " --- EXPECTED: 0x%08x", node->expected);
		fputc('\n', out);
	}
	if (node->err) {
		htree_failed(h, "index block", (__u32)node->lblk, node->err);
		return;
	}
	for (i = 0; i < node->count; i++)
		fprintf(out, "Entry #%u: Hash 0x%08x%s, block %u\n", i,
			node->ents[i].hash,
			node->ents[i].hash & 1 ? " (**)" : "",
			node->ents[i].block);
	fputc('\n', out);
	for (i = 0; i < node->count; i++) {
		const struct e2c_dx_entry *e = &node->ents[i];

		fprintf(out, "Entry #%u: Hash 0x%08x, block %u\n", i, e->hash,
			e->block);
		if (e->node)
			htree_node(h, e->node);
		else
			htree_leaf(h, e->leaf);
	}
	fputs("---------------------\n", out);
}

static errcode_t print_htree(struct htree_out *h, e2c_fs *fs, ext2_ino_t ino)
{
	FILE *out = h->out;
	struct e2c_htree *t;
	errcode_t retval;

	retval = e2c_htree_read(fs, ino, &t);
	if (retval)
		return retval;
	fprintf(out, "Root node dump:\n");
	fprintf(out, "\t Reserved zero: %u\n", t->reserved_zero);
	fprintf(out, "\t Hash Version: %d\n", t->hash_version);
	fprintf(out, "\t Info length: %d\n", t->info_length);
	fprintf(out, "\t Indirect levels: %d\n", t->indirect_levels);
	fprintf(out, "\t Flags: %#x\n", t->flags);
	htree_node(h, &t->root);
	e2c_htree_free(t);
	return 0;
}

static int cmd_htree(lua_State *L)
{
	struct e2sh *sh = e2sh_get(L);
	struct htree_out h = { e2sh_out(L), sh->cmd ? sh->cmd->argv[0] :
			       "htree_dump", lua_tostring(L, 1), 0 };
	int fsi;
	e2c_fs *fs = e2sh_checkfs(L, &fsi);
	ext2_ino_t ino = e2l_checkino(L, fsi, 1, "htree_dump");
	errcode_t retval;

	retval = print_htree(&h, fs, ino);
	if (retval)
		e2l_error(L, retval, "htree_dump", h.dir);
	if (h.failed)
		return luaL_error(L, "%s %s: %d block%s could not be shown "
				  "(see above)", h.cmd, h.dir, h.failed,
				  h.failed == 1 ? "" : "s");
	return 0;
}

/* ------------------------------------------------------------------ */
/* dx_hash                                                             */
/* ------------------------------------------------------------------ */

/* dx_hash [-cv] [-h hash_alg] [-s hash_seed] [-e encoding] <name>: the
 * directory hash of a name; by default with the open filesystem's hash
 * algorithm and seed (as debugfs 1.47.1 does; 1.47.0 used legacy and a
 * zero seed), else legacy and zeros. */
struct dxhash {
	const char *name;
	int alg, verbose;
	__u32 seed[4];
	ext2_dirhash_t hash, minor;
};

/* The arguments parsed and the hash computed, for the text and -j. */
static void dxhash_run(lua_State *L, struct dxhash *d)
{
	const struct ext2fs_nls_table *encoding = NULL;
	int n = lua_gettop(L), c, flags = 0, enc;
	unsigned long long v;
	struct e2sh_opt o;
	errcode_t retval;
	e2c_fs *fs = e2sh_fs(L);

	memset(d, 0, sizeof(*d));
	if (fs) {
		memcpy(d->seed, e2c_fs_handle(fs)->super->s_hash_seed,
		       sizeof(d->seed));
		d->alg = e2c_fs_handle(fs)->super->s_def_hash_version;
		if (d->alg <= EXT2_HASH_TEA &&
		    (e2c_fs_handle(fs)->super->s_flags & EXT2_FLAGS_UNSIGNED_HASH))
			d->alg += 3;
		encoding = e2c_fs_handle(fs)->encoding;
	}
	e2sh_opt_begin(L, &o, n, "dx_hash", DXHASH_USAGE);
	while ((c = e2sh_opt_next(&o, "cvh:s:e:")) != -1) {
		switch (c) {
		case 'c':
			flags |= EXT4_CASEFOLD_FL;
			break;
		case 'v':
			d->verbose = 1;
			break;
		case 'h':
			d->alg = e2p_string2hash((char *)o.arg);
			if (d->alg < 0 &&
			    !e2sh_parse_num(o.arg, strlen(o.arg), &v) && v < 256)
				d->alg = (int)v;
			if (d->alg < 0)
				luaL_error(L, "dx_hash: unknown hash algorithm "
					   "'%s' (legacy, half_md4, tea or a "
					   "number)", o.arg);
			break;
		case 's':
			if (uuid_parse(o.arg, (unsigned char *)d->seed))
				luaL_error(L, "dx_hash: invalid hash seed '%s' "
					   "(a UUID)", o.arg);
			break;
		case 'e':
			enc = e2p_str2encoding(o.arg);
			encoding = enc < 0 ? NULL :
				   ext2fs_load_nls_table(enc);
			if (!encoding)
				luaL_error(L, "dx_hash: unknown encoding '%s'",
					   o.arg);
			break;
		}
	}
	if (o.ind != n)
		luaL_error(L, "Usage: dx_hash " DXHASH_USAGE);
	d->name = lua_tostring(L, n);
	retval = ext2fs_dirhash2(d->alg, d->name, (int)strlen(d->name),
				 encoding, flags, d->seed, &d->hash, &d->minor);
	if (retval)
		e2l_error(L, retval, "dx_hash", d->name);
}

static int cmd_dxhash(lua_State *L)
{
	struct dxhash d;
	char uuid[37];

	dxhash_run(L, &d);
	fprintf(e2sh_out(L), "Hash of %s is 0x%0x (minor 0x%0x)\n", d.name,
		d.hash, d.minor);
	if (d.verbose) {
		uuid_unparse((unsigned char *)d.seed, uuid);
		fprintf(e2sh_out(L), "  using hash algorithm %d and hash_seed "
			"%s\n", d.alg, uuid);
	}
	return 0;
}

/* dx_hash -j ...: {name=, hash=, minor_hash=, hash_alg=, hash_seed=}
 * (-v only shapes the text: the algorithm and seed are always there). */
static int json_dxhash(lua_State *L)
{
	struct dxhash d;
	char uuid[37];

	dxhash_run(L, &d);
	uuid_unparse((unsigned char *)d.seed, uuid);
	lua_createtable(L, 0, 5);
	lua_pushstring(L, d.name);
	lua_setfield(L, -2, "name");
	lua_pushinteger(L, d.hash);
	lua_setfield(L, -2, "hash");
	lua_pushinteger(L, d.minor);
	lua_setfield(L, -2, "minor_hash");
	lua_pushinteger(L, d.alg);
	lua_setfield(L, -2, "hash_alg");
	lua_pushstring(L, uuid);
	lua_setfield(L, -2, "hash_seed");
	return 1;
}

/* ncheck -j [-c] <ino>...: {names = fs:names(...)}; the directories that
 * could not be read are said on stderr and fail the command after. */
static int json_ncheck(lua_State *L)
{
	int fsi, i, n, check;
	e2c_fs *fs = e2sh_checkfs(L, &fsi);
	ext2_ino_t *inos = ncheck_args(L, fs, fsi, &check, &n);

	lua_createtable(L, n, 0);
	for (i = 0; i < n; i++) {
		lua_pushinteger(L, inos[i]);
		lua_rawseti(L, -2, i + 1);
	}
	lua_createtable(L, 0, 1);
	lua_pushboolean(L, check);
	lua_setfield(L, -2, "check");
	e2sh_method(L, fsi, "names", 2, 2);		/* [.., names, errs] */
	return e2sh_search_json(L, "ncheck", "names", push_bad_dirs);
}

const struct e2sh_cmd e2sh_dir_cmds[] = {
	{ "ls", "list_directory", LS_USAGE,
	  "List a directory (-l long, -p parseable, -d deleted entries)",
	  0, 6, "fs", "inode", cmd_ls,
	  "ls -l /etc\nls -j /var/log", json_ls },
	{ "cd", NULL, "<dir>", "Change the current directory",
	  1, 1, "fs", "inode", cmd_cd,
	  "cd /var/log", NULL },
	{ "pwd", NULL, "[-j]", "Print the current and root directories",
	  0, 0, "fs", "", cmd_pwd,
	  "pwd\npwd -j", json_pwd },
	{ "ncheck", NULL, NCHECK_USAGE,
	  "Find the path names of inodes (-c: check entry file types)",
	  1, -1, "fs", "", cmd_ncheck,
	  "ncheck 11\nncheck -j 2 11", json_ncheck },
	{ "htree_dump", "htree", "<dir>",
	  "Dump the hash index of a directory: index nodes, leaf blocks, "
	  "every name with its hash", 1, 1, "fs", "inode", cmd_htree,
	  "htree /var/spool/mail", NULL },
	{ "dx_hash", "hash", DXHASH_USAGE,
	  "The directory hash of a name (by default the open filesystem's "
	  "algorithm and seed)", 1, 9, "", "", cmd_dxhash,
	  "dx_hash -v mbox\ndx_hash -j mbox", json_dxhash },
	{ NULL, NULL, NULL, NULL, 0, 0, NULL, NULL, NULL, NULL, NULL }
};
