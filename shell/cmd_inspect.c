/* cmd_inspect.c -- being written. */
#include "commands.h"

const struct e2l_cmd e2sh_inspect_cmds[] = {
	{ NULL, NULL, NULL, NULL, 0, 0, NULL, NULL, NULL }
};
