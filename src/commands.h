/* commands.h - the top-level commands of the wattmux tool, one cmd_<name>.c each (like git's
 * builtin/). Each takes argv with argv[0] = its own name and returns a cli.h exit code. */
#ifndef WM_COMMANDS_H
#define WM_COMMANDS_H

int cmd_btc(int argc, char **argv);
int cmd_ai(int argc, char **argv);
int cmd_dispatch(int argc, char **argv);
int cmd_calibrate(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_miner(int argc, char **argv);

#endif
