/*
 * json.c -- e2.json(value [, opts]): a Lua value as JSON text.  Jansson
 * does the encoding (escapes, numbers); this file only maps Lua values to
 * its values, with the rules doc/json.md states:
 *
 *  - keys sorted (jansson's JSON_SORT_KEYS), so the same data gives the
 *    same text; integers exact over the full 64 bits;
 *  - a table whose keys are exactly 1..n is an array, any other an object
 *    (integer keys written as decimal strings); an empty table is [] unless
 *    its metatable says __json = "object";
 *  - a userdata whose metatable lists __fields (e2.fs, e2.inode) is the
 *    object of those fields;
 *  - a string that is not UTF-8 (a file name is any bytes) is written with
 *    U+FFFD for each byte that is not part of a valid sequence (glibc's
 *    iconv decides), and as an object field "K" also gets "K_base64", the
 *    exact bytes (OpenSSL's base64, e2c_base64: libcrypto is loaded then);
 *  - functions, threads, NaN, infinities, cycles and nesting deeper than
 *    E2L_JSON_DEPTH are errors naming where they are.
 *
 * Every jansson value is attached to its parent before it is filled, and
 * the root lives in a userdata (freed by its __gc), so a Lua error raised
 * halfway (a bad value, an __index that fails, out of memory) leaks
 * nothing.
 */
#include <errno.h>
#include <iconv.h>
#include <math.h>
#include <string.h>

#include <jansson.h>

#include "aux.h"

#define E2L_JSON_DEPTH	100
#define JSON_BOX	"e2.json.box"

/* What the garbage collector frees if the conversion raises. */
struct box {
	json_t *root;		/* an array holding the value being built */
	iconv_t cd;		/* (iconv_t)-1: not open */
};

struct conv {
	lua_State *L;
	struct box *box;
	int seen;		/* stack index: tables on the current path */
	int path;		/* stack index: the path's parts, for messages */
	int depth;
};

static void box_free(struct box *b)
{
	json_decref(b->root);
	b->root = NULL;
	if (b->cd != (iconv_t)-1)
		iconv_close(b->cd);
	b->cd = (iconv_t)-1;
}

static int box_gc(lua_State *L)
{
	box_free(luaL_checkudata(L, 1, JSON_BOX));
	return 0;
}

/* Raise "e2.json: what (at PATH)"; the path is "" at the top. */
static void conv_error(struct conv *c, const char *what)
{
	lua_State *L = c->L;
	int i, n = (int)lua_rawlen(L, c->path);
	luaL_Buffer b;

	luaL_buffinit(L, &b);
	for (i = 1; i <= n; i++) {
		lua_rawgeti(L, c->path, i);
		luaL_addvalue(&b);
	}
	luaL_pushresult(&b);
	if (n)
		luaL_error(L, "e2.json: %s (at %s)", what, lua_tostring(L, -1));
	luaL_error(L, "e2.json: %s", what);
}

static void oom(struct conv *c)
{
	conv_error(c, "not enough memory");
}

/*
 * Push s (len bytes) as UTF-8: itself when valid (returns 1), else with
 * each byte that starts no valid sequence replaced by U+FFFD (returns 0).
 * iconv from UTF-8 to UTF-8 copies what is valid and stops at the rest
 * (overlong forms and surrogates included).
 */
static int push_utf8(struct conv *c, const char *s, size_t len)
{
	lua_State *L = c->L;
	char *in = (char *)s, *out, *o;
	size_t inleft = len, outleft = 3 * len, r;
	luaL_Buffer b;
	int valid = 1;

	if (c->box->cd == (iconv_t)-1) {
		c->box->cd = iconv_open("UTF-8", "UTF-8");
		if (c->box->cd == (iconv_t)-1)
			conv_error(c, "iconv cannot check UTF-8");
	}
	iconv(c->box->cd, NULL, NULL, NULL, NULL);	/* initial state */
	/* At worst every byte becomes the 3 bytes of U+FFFD. */
	out = o = luaL_buffinitsize(L, &b, outleft + 1);
	while (inleft) {
		r = iconv(c->box->cd, &in, &inleft, &o, &outleft);
		if (r != (size_t)-1)
			break;
		if (errno != EILSEQ && errno != EINVAL)
			conv_error(c, "iconv failed");
		memcpy(o, "\xef\xbf\xbd", 3);		/* U+FFFD */
		o += 3;
		outleft -= 3;
		in++;
		inleft--;
		valid = 0;
	}
	luaL_pushresultsize(&b, (size_t)(o - out));
	return valid;
}

/* Push the base64 of s. */
static void push_base64(struct conv *c, const char *s, size_t len)
{
	luaL_Buffer b;
	char *out = luaL_buffinitsize(c->L, &b, 4 * ((len + 2) / 3) + 1);
	size_t n;
	errcode_t retval = e2c_base64(s, len, out, &n);

	if (retval)
		conv_error(c, error_message(retval));
	luaL_pushresultsize(&b, n);
}

/* Attach v (a new reference, stolen) to parent: appended when key is
 * NULL, else under key, which must not be taken yet. */
static void attach(struct conv *c, json_t *parent, const char *key,
		   size_t keylen, json_t *v)
{
	if (!v)
		oom(c);
	if (!key) {
		if (json_array_append_new(parent, v))
			oom(c);
		return;
	}
	if (json_object_getn(parent, key, keylen)) {
		json_decref(v);
		lua_pushfstring(c->L, "key '%s' given twice (a number and a "
				"string, or two names made the same by U+FFFD)",
				key);
		conv_error(c, lua_tostring(c->L, -1));
	}
	if (json_object_setn_new_nocheck(parent, key, keylen, v))
		oom(c);
}

static void convert(struct conv *c, int idx, json_t *parent,
		    const char *key, size_t keylen);

/* A string value: under key, also key_base64 when it is not UTF-8. */
static void convert_string(struct conv *c, int idx, json_t *parent,
			   const char *key, size_t keylen)
{
	lua_State *L = c->L;
	size_t len;
	const char *s = lua_tolstring(L, idx, &len);
	int valid = push_utf8(c, s, len);
	const char *u = lua_tolstring(L, -1, &len);

	attach(c, parent, key, keylen, json_stringn_nocheck(u, len));
	lua_pop(L, 1);
	if (valid || !key)
		return;
	s = lua_tolstring(L, idx, &len);
	push_base64(c, s, len);
	lua_pushlstring(L, key, keylen);
	lua_pushliteral(L, "_base64");
	lua_concat(L, 2);				/* [b64, key_base64] */
	u = lua_tolstring(L, -1, &keylen);
	attach(c, parent, u, keylen,
	       json_string_nocheck(lua_tostring(L, -2)));
	lua_pop(L, 2);
}

/* Push a path part for messages: ".name", "[3]" or "[\"a b\"]". */
static void push_part(lua_State *L, int keyidx)
{
	int name = lua_type(L, keyidx) == LUA_TSTRING;

	/* luaL_tolstring: lua_tostring would turn a key lua_next needs
	 * into a string */
	luaL_tolstring(L, keyidx, NULL);
	lua_pushfstring(L, name ? ".%s" : "[%s]", lua_tostring(L, -1));
	lua_remove(L, -2);
}

/* Enter the table or userdata at idx: cycle and depth checks. */
static void enter(struct conv *c, int idx)
{
	lua_State *L = c->L;

	if (++c->depth > E2L_JSON_DEPTH)
		conv_error(c, "nested too deep (more than 100 levels)");
	lua_pushvalue(L, idx);
	if (lua_rawget(L, c->seen) != LUA_TNIL)
		conv_error(c, "a table contains itself (a cycle)");
	lua_pop(L, 1);
	lua_pushvalue(L, idx);
	lua_pushboolean(L, 1);
	lua_rawset(L, c->seen);
}

static void leave(struct conv *c, int idx)
{
	lua_State *L = c->L;

	lua_pushvalue(L, idx);
	lua_pushnil(L);
	lua_rawset(L, c->seen);
	c->depth--;
}

/* The element key at keyidx as an object key: strings as UTF-8 (lossy),
 * integers in decimal; anything else raises.  Pushes it. */
static const char *push_key(struct conv *c, int keyidx, size_t *len)
{
	lua_State *L = c->L;
	const char *s;

	switch (lua_type(L, keyidx)) {
	case LUA_TSTRING:
		s = lua_tolstring(L, keyidx, len);
		push_utf8(c, s, *len);
		break;
	case LUA_TNUMBER:
		if (lua_isinteger(L, keyidx)) {
			lua_pushfstring(L, "%I", lua_tointeger(L, keyidx));
			break;
		}
		/* fall through */
	default:
		lua_pushfstring(L, "a key of type %s (object keys are strings "
				"or integers)", luaL_typename(L, keyidx));
		conv_error(c, lua_tostring(L, -1));
	}
	return lua_tolstring(L, -1, len);
}

/* Whether the table at idx is an array: its keys exactly 1..n (n > 0),
 * or empty and not marked __json = "object". */
static int is_array(lua_State *L, int idx, lua_Integer *n)
{
	lua_Integer count = 0, max = 0;
	int ints = 1, array;

	lua_pushnil(L);
	while (lua_next(L, idx)) {
		lua_pop(L, 1);
		count++;
		if (lua_isinteger(L, -1) && lua_tointeger(L, -1) >= 1) {
			if (lua_tointeger(L, -1) > max)
				max = lua_tointeger(L, -1);
		} else {
			ints = 0;
		}
	}
	*n = count;
	if (count)
		return ints && max == count;
	array = 1;
	if (luaL_getmetafield(L, idx, "__json") != LUA_TNIL) {
		array = strcmp(lua_tostring(L, -1) ? lua_tostring(L, -1) : "",
			       "object") != 0;
		lua_pop(L, 1);
	}
	return array;
}

static void convert_table(struct conv *c, int idx, json_t *parent,
			  const char *key, size_t keylen)
{
	lua_State *L = c->L;
	lua_Integer i, n;
	json_t *t;
	const char *k;
	size_t klen;

	enter(c, idx);
	if (is_array(L, idx, &n)) {
		t = json_array();
		attach(c, parent, key, keylen, t);
		for (i = 1; i <= n; i++) {
			lua_pushfstring(L, "[%I]", i);
			lua_rawseti(L, c->path, c->depth);
			lua_rawgeti(L, idx, i);
			convert(c, lua_gettop(L), t, NULL, 0);
			lua_pop(L, 1);
		}
	} else {
		t = json_object();
		attach(c, parent, key, keylen, t);
		lua_pushnil(L);
		while (lua_next(L, idx)) {		/* [.., k, v] */
			push_part(L, -2);
			lua_rawseti(L, c->path, c->depth);
			k = push_key(c, -2, &klen);	/* [.., k, v, ks] */
			convert(c, lua_gettop(L) - 1, t, k, klen);
			lua_pop(L, 2);
		}
	}
	lua_pushnil(L);
	lua_rawseti(L, c->path, c->depth);
	leave(c, idx);
}

/* A userdata with __fields: the object of those fields. */
static void convert_fields(struct conv *c, int idx, json_t *parent,
			   const char *key, size_t keylen)
{
	lua_State *L = c->L;
	int names, i, n;
	json_t *t;
	size_t klen;
	const char *k;

	if (luaL_getmetafield(L, idx, "__fields") != LUA_TTABLE) {
		lua_pushfstring(L, "cannot encode a %s", luaL_typename(L, idx));
		conv_error(c, lua_tostring(L, -1));
	}
	names = lua_gettop(L);
	enter(c, idx);
	t = json_object();
	attach(c, parent, key, keylen, t);
	n = (int)lua_rawlen(L, names);
	for (i = 1; i <= n; i++) {
		lua_rawgeti(L, names, i);		/* [.., name] */
		push_part(L, -1);
		lua_rawseti(L, c->path, c->depth);
		lua_pushvalue(L, -1);
		lua_gettable(L, idx);			/* [.., name, v] */
		if (!lua_isnil(L, -1)) {
			k = push_key(c, -2, &klen);
			convert(c, lua_gettop(L) - 1, t, k, klen);
			lua_pop(L, 1);
		}
		lua_pop(L, 2);
	}
	lua_pushnil(L);
	lua_rawseti(L, c->path, c->depth);
	leave(c, idx);
	lua_pop(L, 1);					/* names */
}

/* Convert the value at idx and attach it to parent (under key). */
static void convert(struct conv *c, int idx, json_t *parent,
		    const char *key, size_t keylen)
{
	lua_State *L = c->L;
	lua_Number d;

	luaL_checkstack(L, 8, "e2.json");
	switch (lua_type(L, idx)) {
	case LUA_TNIL:
		attach(c, parent, key, keylen, json_null());
		break;
	case LUA_TBOOLEAN:
		attach(c, parent, key, keylen,
		       json_boolean(lua_toboolean(L, idx)));
		break;
	case LUA_TNUMBER:
		if (lua_isinteger(L, idx)) {
			attach(c, parent, key, keylen,
			       json_integer(lua_tointeger(L, idx)));
			break;
		}
		d = lua_tonumber(L, idx);
		if (isnan(d) || isinf(d))
			conv_error(c, "cannot encode NaN or an infinity");
		attach(c, parent, key, keylen, json_real(d));
		break;
	case LUA_TSTRING:
		convert_string(c, idx, parent, key, keylen);
		break;
	case LUA_TTABLE:
		convert_table(c, idx, parent, key, keylen);
		break;
	case LUA_TUSERDATA:
		convert_fields(c, idx, parent, key, keylen);
		break;
	default:
		lua_pushfstring(L, "cannot encode a %s", luaL_typename(L, idx));
		conv_error(c, lua_tostring(L, -1));
	}
}

/* e2.json(value [, {indent = n}]) -> JSON text (no newline at the end). */
int e2l_json(lua_State *L)
{
	static const char *const keys[] = { "indent", NULL };
	struct conv c = { .L = L };
	size_t flags = JSON_SORT_KEYS | JSON_ENCODE_ANY;
	lua_Integer indent = 0;
	char *text;

	luaL_checkany(L, 1);
	e2l_checknargs(L, 2);
	if (!lua_isnoneornil(L, 2)) {
		e2l_checkopts(L, 2, keys, "e2.json");
		indent = e2l_optint(L, 2, "indent", 0, JSON_MAX_INDENT);
	}
	flags |= indent ? JSON_INDENT(indent) : JSON_COMPACT;
	lua_settop(L, 1);
	c.box = lua_newuserdatauv(L, sizeof(*c.box), 0);	/* 2 */
	c.box->root = NULL;
	c.box->cd = (iconv_t)-1;
	luaL_setmetatable(L, JSON_BOX);
	lua_newtable(L);
	c.seen = lua_gettop(L);				/* 3 */
	lua_newtable(L);
	c.path = lua_gettop(L);				/* 4 */
	c.box->root = json_array();
	if (!c.box->root)
		oom(&c);
	convert(&c, 1, c.box->root, NULL, 0);
	text = json_dumps(json_array_get(c.box->root, 0), flags);
	if (!text)
		oom(&c);
	lua_pushstring(L, text);
	free(text);
	box_free(c.box);	/* now rather than at the next collection */
	return 1;
}

void e2l_json_open(lua_State *L)
{
	static const luaL_Reg meta[] = {
		{ "__gc", box_gc },
		{ NULL, NULL }
	};

	luaL_newmetatable(L, JSON_BOX);
	luaL_setfuncs(L, meta, 0);
	lua_pop(L, 1);
	luaL_newmetatable(L, E2L_JSON_OBJECT);
	lua_pushliteral(L, "object");
	lua_setfield(L, -2, "__json");
	lua_pop(L, 1);
	lua_pushcfunction(L, e2l_json);
	lua_setfield(L, -2, "json");
}
