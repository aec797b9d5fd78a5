/*
 * commands.h -- the C command declarations, one array per area.  main.c
 * registers every array (e2sh_register, shell.h), into the single table
 * behind dispatch, usage, help and completion.
 */
#ifndef COMMANDS_H
#define COMMANDS_H

#include "shell.h"

extern const struct e2sh_cmd e2sh_shell_cmds[];	 /* shell/cmd_shell.c */
extern const struct e2sh_cmd e2sh_inode_cmds[];	 /* shell/cmd_inode.c */
extern const struct e2sh_cmd e2sh_dir_cmds[];	 /* shell/cmd_dir.c */
extern const struct e2sh_cmd e2sh_fs_cmds[];	 /* shell/cmd_fs.c */
extern const struct e2sh_cmd e2sh_migrate_cmds[]; /* shell/cmd_migrate.c */

/* The partition table of image and the filesystems in it, as
 * --list-partitions and the partitions command print it (cmd_fs.c). */
errcode_t e2sh_print_partitions(FILE *out, const char *image);
/* The kind of partition table image has ("dos", "gpt") in buf, or NULL:
 * a whole disk that did not open as a filesystem says so. */
const char *e2sh_parttable(const char *image, char *buf, size_t len);

/* The commit command (also run by close and quit when asked to). */
int e2sh_commit(lua_State *L);
/* What a commit does besides converting inodes, a line each
 * (e2c_effects_line). */
void e2sh_print_effects(FILE *out, const struct e2c_effects *ef,
			enum e2c_tense tense);

#endif
