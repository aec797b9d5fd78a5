/*
 * glob.c -- shell-style patterns (*, ?, [...]) in the file arguments of
 * commands, matched against the directory entries inside the image, as a
 * shell matches them against the host's: part by part along the path,
 * with fnmatch(3), names starting with '.' only when the pattern's part
 * does, "." and ".." never; the matches sorted.
 */
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "shell.h"

struct match {
	char *path;
	ext2_ino_t ino;
};

struct matches {
	struct match *v;
	size_t n, cap;
};

static void matches_free(struct matches *m)
{
	while (m->n)
		free(m->v[--m->n].path);
	free(m->v);
	m->v = NULL;
	m->cap = 0;
}

/* Add dir/name (name: len bytes), or just name when dir is "". */
static errcode_t add(struct matches *m, const char *dir, const char *name,
		     size_t len, ext2_ino_t ino)
{
	errcode_t retval;

	retval = e2c_grow(&m->v, &m->cap, m->n + 1, sizeof(*m->v));
	if (retval)
		return retval;
	m->v[m->n].path = e2c_path_join(dir, name, len);
	if (!m->v[m->n].path)
		return ENOMEM;
	m->v[m->n++].ino = ino;
	return 0;
}

/* Whether the part (len bytes) has an unescaped *, ? or [. */
static int has_meta(const char *part, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (part[i] == '\\')
			i++;
		else if (strchr("*?[", part[i]))
			return 1;
	}
	return 0;
}

/* The part without its escapes, into buf (len + 1 bytes). */
static size_t unescape(const char *part, size_t len, char *buf)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		if (part[i] == '\\' && i + 1 < len)
			i++;
		buf[n++] = part[i];
	}
	buf[n] = '\0';
	return n;
}

/* Extend every match of from by the part (len bytes) into to.  A match
 * that is not a directory, or whose directory cannot be read, extends to
 * nothing, as in a shell. */
static errcode_t step(e2c_fs *fs, const struct matches *from,
		      const char *part, size_t len, struct matches *to)
{
	struct e2c_dirent *ents;
	char *pat = strndup(part, len);
	errcode_t retval = 0;
	size_t i, k, n;
	ext2_ino_t ino;

	if (!pat)
		return ENOMEM;
	for (i = 0; i < from->n && !retval; i++) {
		if (!has_meta(part, len)) {
			n = unescape(part, len, pat);
			if (!ext2fs_lookup(e2c_fs_handle(fs), from->v[i].ino, pat, n, NULL,
					   &ino))
				retval = add(to, from->v[i].path, pat, n, ino);
			continue;
		}
		if (e2c_dir_list(fs, from->v[i].ino, &ents, &n))
			continue;
		for (k = 0; k < n && !retval; k++)
			if (strcmp(ents[k].name, ".") &&
			    strcmp(ents[k].name, "..") &&
			    fnmatch(pat, ents[k].name, FNM_PERIOD) == 0)
				retval = add(to, from->v[i].path,
					     ents[k].name, ents[k].name_len,
					     ents[k].ino);
		e2c_dir_free(ents, n);
	}
	free(pat);
	return retval;
}

static int cmp_path(const void *a, const void *b)
{
	return strcmp(((const struct match *)a)->path,
		      ((const struct match *)b)->path);
}

/* Keep the directories only, with a trailing "/" (a pattern "d*\/"). */
static errcode_t dirs_only(e2c_fs *fs, struct matches *m)
{
	struct ext2_inode inode;
	size_t i, n = 0, len;
	char *p;

	for (i = 0; i < m->n; i++) {
		if (ext2fs_read_inode(e2c_fs_handle(fs), m->v[i].ino, &inode) ||
		    !LINUX_S_ISDIR(inode.i_mode)) {
			free(m->v[i].path);
			continue;
		}
		len = strlen(m->v[i].path);
		p = realloc(m->v[i].path, len + 2);
		if (!p) {
			for (; i < m->n; i++)
				free(m->v[i].path);
			m->n = n;
			return ENOMEM;
		}
		strcpy(p + len, "/");
		m->v[n].path = p;
		m->v[n++].ino = m->v[i].ino;
	}
	m->n = n;
	return 0;
}

static errcode_t expand(e2c_fs *fs, ext2_ino_t cwd, const char *pattern,
			struct matches *out)
{
	struct matches cur = { 0 }, next = { 0 };
	const char *p = pattern, *end;
	errcode_t retval;
	size_t len;

	retval = add(&cur, "", *p == '/' ? "/" : "", *p == '/',
		     *p == '/' ? EXT2_ROOT_INO : cwd);
	while (!retval && *p) {
		p += strspn(p, "/");
		if (!*p)
			break;
		end = p + strcspn(p, "/");
		retval = step(fs, &cur, p, end - p, &next);
		matches_free(&cur);
		cur = next;
		memset(&next, 0, sizeof(next));
		p = end;
	}
	len = strlen(pattern);
	if (!retval && len > 1 && pattern[len - 1] == '/')
		retval = dirs_only(fs, &cur);
	if (retval) {
		matches_free(&cur);
		return retval;
	}
	if (cur.n)		/* qsort's base must not be NULL */
		qsort(cur.v, cur.n, sizeof(*cur.v), cmp_path);
	*out = cur;
	return 0;
}

int e2sh_glob(lua_State *L, e2c_fs *fs, ext2_ino_t cwd, const char *pattern)
{
	struct matches m = { 0 };
	errcode_t retval = expand(fs, cwd, pattern, &m);
	size_t i;
	int n;

	if (retval)
		return e2l_error(L, retval, "glob", pattern);
	if (m.n > INT_MAX - LUA_MINSTACK || !lua_checkstack(L, (int)m.n)) {
		matches_free(&m);
		return luaL_error(L, "%s: too many names match", pattern);
	}
	for (i = 0; i < m.n; i++)
		lua_pushstring(L, m.v[i].path);
	n = (int)m.n;
	matches_free(&m);
	return n;
}
