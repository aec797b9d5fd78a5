/*
 * commands.h -- the C command declarations, one array per area.  main.c
 * registers every array (e2sh_register, shell.h), into the single table
 * behind dispatch, usage, help and completion.
 */
#ifndef COMMANDS_H
#define COMMANDS_H

#include "shell.h"

extern const struct e2sh_cmd e2sh_shell_cmds[];	 /* shell/cmd_shell.c */
extern const struct e2sh_cmd e2sh_inspect_cmds[]; /* shell/cmd_inspect.c */
extern const struct e2sh_cmd e2sh_migrate_cmds[]; /* shell/cmd_migrate.c */

/* The commit command (also run by close and quit when asked to). */
int e2sh_commit(lua_State *L);

#endif
