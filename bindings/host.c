/*
 * host.c -- e2.user and e2.group: the host's user and group names through
 * getpwnam/getgrnam (so LDAP, sssd and every other NSS source count, as
 * for find -user), for scripts that select by owner.
 *
 *   e2.user("alice") -> 1000, "alice"     e2.user(0) -> 0, "root"
 *   e2.group("nosuch") -> nil
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include "aux.h"

/* A uid or gid as on disk: 32 bits. */
#define MAX_ID 0xFFFFFFFFLL

/* POSIX lets the *_r calls say "not found" with one of these errors
 * instead of 0 and a NULL result. */
static int not_found(int err)
{
	return err == 0 || err == ENOENT || err == ESRCH || err == EBADF ||
	       err == EPERM;
}

/* One getpw/getgr call with buf (len bytes): an errno-style result, and
 * *id, *name when found (name points into buf). */
static int lookup(int group, const char *byname, lua_Integer byid, char *buf,
		  size_t len, lua_Integer *id, const char **name)
{
	struct passwd pw, *pwp = NULL;
	struct group gr, *grp = NULL;
	int err;

	if (!group) {
		err = byname ? getpwnam_r(byname, &pw, buf, len, &pwp) :
			getpwuid_r((uid_t)byid, &pw, buf, len, &pwp);
		if (pwp) {
			*id = pwp->pw_uid;
			*name = pwp->pw_name;
		}
	} else {
		err = byname ? getgrnam_r(byname, &gr, buf, len, &grp) :
			getgrgid_r((gid_t)byid, &gr, buf, len, &grp);
		if (grp) {
			*id = grp->gr_gid;
			*name = grp->gr_name;
		}
	}
	return *name || not_found(err) ? 0 : err;
}

/* e2.user(x) / e2.group(x): x a name (string) or an id (integer) ->
 * id, name; nil when the host knows none */
static int host_lookup(lua_State *L, int group)
{
	long hint = sysconf(group ? _SC_GETGR_R_SIZE_MAX :
			    _SC_GETPW_R_SIZE_MAX);
	size_t len = hint > 0 ? (size_t)hint : 1024;
	const char *byname = NULL, *name = NULL;
	lua_Integer byid = 0, id = 0;
	int err;

	e2l_checknargs(L, 1);
	if (lua_type(L, 1) == LUA_TSTRING) {
		byname = lua_tostring(L, 1);
	} else {
		byid = luaL_checkinteger(L, 1);
		luaL_argcheck(L, byid >= 0 && byid <= MAX_ID, 1,
			      "id out of range (0 to 4294967295)");
	}
	for (;;) {
		/* a userdata: freed by the GC whatever raises */
		char *buf = lua_newuserdatauv(L, len, 0);

		err = lookup(group, byname, byid, buf, len, &id, &name);
		if (err != ERANGE || len >= (1u << 20))
			break;
		lua_pop(L, 1);
		len *= 2;
	}
	if (err)
		return luaL_error(L, "e2.%s: %s", group ? "group" : "user",
				  strerror(err));
	if (!name) {
		lua_pushnil(L);
		return 1;
	}
	lua_pushinteger(L, id);
	lua_pushstring(L, name);
	return 2;
}

static int host_user(lua_State *L)
{
	return host_lookup(L, 0);
}

static int host_group(lua_State *L)
{
	return host_lookup(L, 1);
}

void e2l_host_open(lua_State *L)
{
	static const luaL_Reg funcs[] = {
		{ "group", host_group },
		{ "user", host_user },
		{ NULL, NULL }
	};

	luaL_setfuncs(L, funcs, 0);		/* into the module table */
}
