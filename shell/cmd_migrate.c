/* cmd_migrate.c -- being written. */
#include "commands.h"

const struct e2l_cmd e2sh_migrate_cmds[] = {
	{ NULL, NULL, NULL, NULL, 0, 0, NULL, NULL, NULL }
};
