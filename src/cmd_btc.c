/* cmd_btc.c - `wattmux btc ...` (placeholder replaced below in this session) */
#include "cli.h"
#include "commands.h"
int cmd_btc(int argc, char **argv) { (void)argc; (void)argv; return CLI_FAIL; }
