/*
 * pretty.c -- e2.pretty(value [, opts]): a value as readable text, for
 * the prompt (=expr) and for scripts.  Tables are written as Lua table
 * constructors: the array part first, then the other keys sorted
 * (numbers, strings, booleans, the rest), on one line when they fit in
 * the width, else one entry a line (arrays of short scalars filled).
 * Nesting deeper than opts.depth shows as {...}; arrays longer than
 * opts.items and maps with more than opts.keys other keys are cut with a
 * count of what was left out.  A table met twice (a cycle, or shared) is
 * numbered where it is first written, <1>{...}, and referred to after
 * that as <table 1>.  A userdata whose metatable lists __fields (e2.fs,
 * e2.inode) is its tostring() followed by the table of those fields.
 */
#include <stdlib.h>
#include <string.h>

#include "aux.h"

struct pp {
	lua_State *L;
	lua_Integer depth, items, keys, width, indent;
	int counts;		/* stack index: table -> times met */
	int ids;		/* stack index: table -> its number */
	int nextid;
};

/* ---- the pre-pass: which tables are met more than once -------------- */

static void count(struct pp *p, int idx, lua_Integer level)
{
	lua_State *L = p->L;
	lua_Integer n;

	lua_pushvalue(L, idx);
	n = lua_rawget(L, p->counts) == LUA_TNIL ? 0 : lua_tointeger(L, -1);
	lua_pop(L, 1);
	lua_pushvalue(L, idx);
	lua_pushinteger(L, n + 1);
	lua_rawset(L, p->counts);
	if (n || level >= p->depth)
		return;
	luaL_checkstack(L, 4, "e2.pretty");
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		if (lua_type(L, -1) == LUA_TTABLE)
			count(p, lua_gettop(L), level + 1);
		if (lua_type(L, -2) == LUA_TTABLE)
			count(p, lua_gettop(L) - 1, level + 1);
		lua_pop(L, 1);
	}
}

/* ---- scalars ------------------------------------------------------------ */

/* Push s quoted as a Lua string literal (bytes >= 0x80 as they are: the
 * terminal shows UTF-8). */
static void push_quoted(lua_State *L, const char *s, size_t len)
{
	luaL_Buffer b;
	size_t i;

	luaL_buffinit(L, &b);
	luaL_addchar(&b, '"');
	for (i = 0; i < len; i++) {
		unsigned char c = s[i];
		const char *esc = strchr("\"\\\n\t\r", c);

		if (c && esc) {
			luaL_addchar(&b, '\\');
			luaL_addchar(&b, "\"\\ntr"[esc - "\"\\\n\t\r"]);
		} else if (c < 32 || c == 127) {
			char num[8];

			/* three digits: a digit after it must not join */
			snprintf(num, sizeof(num), "\\%03u", c);
			luaL_addstring(&b, num);
		} else {
			luaL_addchar(&b, (char)c);
		}
	}
	luaL_addchar(&b, '"');
	luaL_pushresult(&b);
}

static int is_name(const char *s, size_t len)
{
	static const char *const keywords[] = {
		"and", "break", "do", "else", "elseif", "end", "false", "for",
		"function", "goto", "if", "in", "local", "nil", "not", "or",
		"repeat", "return", "then", "true", "until", "while", NULL
	};
	size_t i;

	if (!len || (s[0] >= '0' && s[0] <= '9'))
		return 0;
	for (i = 0; i < len; i++)
		if (!(s[i] == '_' || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9')))
			return 0;
	for (i = 0; keywords[i]; i++)
		if (strlen(keywords[i]) == len && !memcmp(keywords[i], s, len))
			return 0;
	return 1;
}

/* ---- keys in order ------------------------------------------------------- */

struct key {
	int rank;		/* 0 number, 1 string, 2 boolean, 3 other */
	lua_Number n;
	const char *s;		/* strings: anchored in the keys array */
	size_t len;
	const void *ptr;	/* others: some order, stable in a run */
	int pos;		/* index in the keys array */
};

static int key_cmp(const void *a, const void *b)
{
	const struct key *x = a, *y = b;
	size_t n;
	int c;

	if (x->rank != y->rank)
		return x->rank - y->rank;
	switch (x->rank) {
	case 0:
	case 2:
		return (x->n > y->n) - (x->n < y->n);
	case 1:
		n = x->len < y->len ? x->len : y->len;
		c = memcmp(x->s, y->s, n);
		return c ? c : (x->len > y->len) - (x->len < y->len);
	default:
		return (x->ptr > y->ptr) - (x->ptr < y->ptr);
	}
}

/* ---- tables ----------------------------------------------------------- */

static void render(struct pp *p, int idx, lua_Integer level, size_t col);

/* Push the key at idx as written before " = ". */
static void push_key(struct pp *p, int idx, lua_Integer level)
{
	lua_State *L = p->L;
	size_t len;
	const char *s;

	if (lua_type(L, idx) == LUA_TSTRING) {
		s = lua_tolstring(L, idx, &len);
		if (is_name(s, len)) {
			lua_pushvalue(L, idx);
			return;
		}
	}
	lua_pushliteral(L, "[");
	render(p, idx, level, 0);
	lua_pushliteral(L, "]");
	lua_concat(L, 3);
}

/* Add n blanks. */
static void add_blanks(luaL_Buffer *b, size_t n)
{
	while (n--)
		luaL_addchar(b, ' ');
}

/*
 * Push the table constructor of the parts (strings in the array at
 * parts; the first nscalar of them short scalars of an array part) after
 * the string at prefix: on one line if it fits from column col, else one
 * part a line, the short scalars filling lines.
 */
static void layout(struct pp *p, int prefix, int parts, int nscalar,
		   lua_Integer level, size_t col)
{
	lua_State *L = p->L;
	int i, n = (int)lua_rawlen(L, parts), multi = 0;
	size_t total = 4, len, pad = (size_t)((level + 1) * p->indent), at;
	size_t width = (size_t)p->width;
	luaL_Buffer b;

	total += lua_rawlen(L, prefix);
	for (i = 1; i <= n; i++) {
		lua_rawgeti(L, parts, i);
		multi |= strchr(lua_tolstring(L, -1, &len), '\n') != NULL;
		total += len + 2;
		lua_pop(L, 1);
	}
	luaL_buffinit(L, &b);
	lua_pushvalue(L, prefix);
	luaL_addvalue(&b);
	if (n == 0) {
		luaL_addstring(&b, "{}");
	} else if (!multi && col + total <= width) {
		luaL_addstring(&b, "{ ");
		for (i = 1; i <= n; i++) {
			lua_rawgeti(L, parts, i);
			luaL_addvalue(&b);
			if (i < n)
				luaL_addstring(&b, ", ");
		}
		luaL_addstring(&b, " }");
	} else {
		luaL_addchar(&b, '{');
		at = width;			/* the first part: a new line */
		for (i = 1; i <= n; i++) {
			/* nothing may sit above the buffer while it grows */
			lua_rawgeti(L, parts, i);
			len = lua_rawlen(L, -1);
			lua_pop(L, 1);
			if (i > nscalar || at + len + 2 > width) {
				luaL_addchar(&b, '\n');
				add_blanks(&b, pad);
				at = pad;
			} else {
				luaL_addchar(&b, ' ');
				at++;
			}
			lua_rawgeti(L, parts, i);
			luaL_addvalue(&b);
			luaL_addchar(&b, ',');
			at += len + 1;
		}
		luaL_addchar(&b, '\n');
		add_blanks(&b, (size_t)(level * p->indent));
		luaL_addchar(&b, '}');
	}
	luaL_pushresult(&b);
}

/* Whether the value at idx is written short, on its own: a number, a
 * boolean or a short string. */
static int short_scalar(lua_State *L, int idx)
{
	int t = lua_type(L, idx);

	return t == LUA_TNUMBER || t == LUA_TBOOLEAN ||
	       (t == LUA_TSTRING && lua_rawlen(L, idx) <= 16);
}

/* The entries of the table at idx, laid out after the prefix on top. */
static void render_entries(struct pp *p, int idx, lua_Integer level,
			   size_t col)
{
	lua_State *L = p->L;
	lua_Integer n, i, shown, nkeys = 0;
	int parts, keys, nscalar = 0, allscalar = 1;
	size_t pad = (size_t)((level + 1) * p->indent), klen;
	struct key *k;
	int prefix = lua_gettop(L);

	luaL_checkstack(L, 10, "e2.pretty");
	lua_newtable(L);
	parts = lua_gettop(L);
	/* the array part: 1..n without a hole */
	for (n = 0; lua_rawgeti(L, idx, n + 1) != LUA_TNIL; n++)
		lua_pop(L, 1);
	lua_pop(L, 1);
	shown = n < p->items ? n : p->items;
	for (i = 1; i <= shown; i++) {
		lua_rawgeti(L, idx, i);
		allscalar &= short_scalar(L, -1);
		render(p, lua_gettop(L), level + 1, pad);
		lua_rawseti(L, parts, i);
		lua_pop(L, 1);
	}
	if (allscalar)
		nscalar = (int)shown;
	if (shown < n) {
		lua_pushfstring(L, "... %I more", n - shown);
		lua_rawseti(L, parts, shown + 1);
	}
	/* the other keys, sorted */
	lua_newtable(L);
	keys = lua_gettop(L);
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		lua_pop(L, 1);
		if (lua_isinteger(L, -1) && lua_tointeger(L, -1) >= 1 &&
		    lua_tointeger(L, -1) <= n)
			continue;
		lua_pushvalue(L, -1);
		lua_rawseti(L, keys, ++nkeys);
	}
	if (!nkeys)
		goto done;
	k = lua_newuserdatauv(L, (size_t)nkeys * sizeof(*k), 0);
	for (i = 0; i < nkeys; i++) {
		lua_rawgeti(L, keys, i + 1);
		memset(&k[i], 0, sizeof(k[i]));
		k[i].pos = (int)i + 1;
		switch (lua_type(L, -1)) {
		case LUA_TNUMBER:
			k[i].n = lua_tonumber(L, -1);
			break;
		case LUA_TSTRING:
			k[i].rank = 1;
			k[i].s = lua_tolstring(L, -1, &k[i].len);
			break;
		case LUA_TBOOLEAN:
			k[i].rank = 2;
			k[i].n = lua_toboolean(L, -1);
			break;
		default:
			k[i].rank = 3;
			k[i].ptr = lua_topointer(L, -1);
		}
		lua_pop(L, 1);
	}
	qsort(k, (size_t)nkeys, sizeof(*k), key_cmp);
	shown = nkeys < p->keys ? nkeys : p->keys;
	for (i = 0; i < shown; i++) {
		lua_rawgeti(L, keys, k[i].pos);		/* [.., key] */
		push_key(p, lua_gettop(L), level + 1);
		lua_pushliteral(L, " = ");
		lua_pushvalue(L, -3);
		lua_rawget(L, idx);
		lua_tolstring(L, -3, &klen);
		render(p, lua_gettop(L), level + 1, pad + klen + 3);
		lua_remove(L, -2);			/* the value */
		lua_concat(L, 3);
		lua_rawseti(L, parts, lua_rawlen(L, parts) + 1);
		lua_pop(L, 1);				/* the key */
	}
	if (shown < nkeys) {
		lua_pushfstring(L, "... %I more key%s", nkeys - shown,
				nkeys - shown == 1 ? "" : "s");
		lua_rawseti(L, parts, lua_rawlen(L, parts) + 1);
	}
done:
	layout(p, prefix, parts, nscalar, level, col);
	lua_replace(L, prefix);
	lua_settop(L, prefix);
}

static void render_table(struct pp *p, int idx, lua_Integer level,
			 size_t col)
{
	lua_State *L = p->L;
	int shared;

	lua_pushvalue(L, idx);
	if (lua_rawget(L, p->ids) != LUA_TNIL) {
		lua_pushfstring(L, "<table %d>", (int)lua_tointeger(L, -1));
		lua_remove(L, -2);
		return;
	}
	lua_pop(L, 1);
	lua_pushvalue(L, idx);
	shared = lua_rawget(L, p->counts) == LUA_TNUMBER &&
		 lua_tointeger(L, -1) > 1;
	lua_pop(L, 1);
	if (shared) {
		lua_pushvalue(L, idx);
		lua_pushinteger(L, ++p->nextid);
		lua_rawset(L, p->ids);
		lua_pushfstring(L, "<%d>", p->nextid);
	} else {
		lua_pushliteral(L, "");
	}
	if (level >= p->depth) {
		lua_pushnil(L);
		if (lua_next(L, idx)) {			/* not empty */
			lua_pop(L, 2);
			lua_pushliteral(L, "{...}");
			lua_concat(L, 2);
			return;
		}
	}
	render_entries(p, idx, level, col);
}

/* t[k] for pcall: the fields of a closed object raise. */
static int get_field(lua_State *L)
{
	lua_gettable(L, 1);
	return 1;
}

/* A userdata listing __fields: "tostring { field = value, ... }". */
static void render_fields(struct pp *p, int idx, lua_Integer level,
			  size_t col)
{
	lua_State *L = p->L;
	int names, fields, i, n, got = 0;
	size_t len;

	luaL_tolstring(L, idx, &len);			/* [.., header] */
	if (level >= p->depth ||
	    luaL_getmetafield(L, idx, "__fields") != LUA_TTABLE)
		return;
	names = lua_gettop(L);
	lua_newtable(L);
	fields = lua_gettop(L);
	n = (int)lua_rawlen(L, names);
	for (i = 1; i <= n; i++) {
		lua_pushcfunction(L, get_field);
		lua_pushvalue(L, idx);
		lua_rawgeti(L, names, i);
		if (lua_pcall(L, 2, 1, 0) == LUA_OK && !lua_isnil(L, -1)) {
			lua_rawgeti(L, names, i);
			lua_insert(L, -2);
			lua_rawset(L, fields);
			got++;
		} else {
			lua_pop(L, 1);
		}
	}
	if (!got) {
		lua_settop(L, names - 1);		/* the header alone */
		return;
	}
	lua_pushvalue(L, names - 1);
	lua_pushliteral(L, " ");
	lua_concat(L, 2);				/* [h, names, f, h_] */
	render_entries(p, fields, level, col + len + 1);
	lua_replace(L, names - 1);
	lua_settop(L, names - 1);
}

static void render(struct pp *p, int idx, lua_Integer level, size_t col)
{
	lua_State *L = p->L;
	size_t len;
	const char *s;

	luaL_checkstack(L, 8, "e2.pretty");
	switch (lua_type(L, idx)) {
	case LUA_TSTRING:
		s = lua_tolstring(L, idx, &len);
		push_quoted(L, s, len);
		break;
	case LUA_TTABLE:
		render_table(p, idx, level, col);
		break;
	case LUA_TUSERDATA:
		render_fields(p, idx, level, col);
		break;
	default:
		luaL_tolstring(L, idx, &len);
	}
}

/* e2.pretty(value [, {depth=, items=, keys=, width=, indent=}]) -> text */
static int e2_pretty(lua_State *L)
{
	static const char *const keys[] = { "depth", "items", "keys", "width",
		"indent", NULL };
	static const struct { const char *key; lua_Integer def, max; } lim[] = {
		{ "depth", 4, 1000 }, { "items", 100, LUA_MAXINTEGER },
		{ "keys", 1000, LUA_MAXINTEGER }, { "width", 80, 100000 },
		{ "indent", 2, 16 },
	};
	lua_Integer v[5];
	struct pp p = { .L = L };
	size_t i;

	luaL_checkany(L, 1);
	e2l_checknargs(L, 2);
	if (!lua_isnoneornil(L, 2))
		e2l_checkopts(L, 2, keys, "e2.pretty");
	for (i = 0; i < 5; i++) {
		v[i] = lim[i].def;
		if (lua_isnoneornil(L, 2) ||
		    lua_getfield(L, 2, lim[i].key) == LUA_TNIL) {
			if (!lua_isnoneornil(L, 2))
				lua_pop(L, 1);
			continue;
		}
		lua_pop(L, 1);
		v[i] = e2l_optint(L, 2, lim[i].key, 0, lim[i].max);
	}
	p.depth = v[0];
	p.items = v[1];
	p.keys = v[2];
	p.width = v[3];
	p.indent = v[4];
	lua_settop(L, 1);
	lua_newtable(L);
	p.counts = lua_gettop(L);
	lua_newtable(L);
	p.ids = lua_gettop(L);
	if (lua_type(L, 1) == LUA_TTABLE)
		count(&p, 1, 0);
	render(&p, 1, 0, 0);
	return 1;
}

void e2l_pretty_open(lua_State *L)
{
	lua_pushcfunction(L, e2_pretty);
	lua_setfield(L, -2, "pretty");
}
