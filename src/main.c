/* main.c - the wattmux command-line tool: dispatches to one cmd_<name>.c per command. */
#include "cli.h"
#include "commands.h"

#include <gsl/gsl_errno.h>
#include <string.h>

static int cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("wattmux %s\n", WM_VERSION);
    return CLI_OK;
}

static const cli_sub commands[] = {
    {"btc", "Bitcoin mining economics: subsidy, targets, retarget, hashprice, break-even, cost", cmd_btc},
    {"ai", "AI compute economics: GPUs, training, serving, colocation, GPU cloud, compare with mining", cmd_ai},
    {"dispatch", "optimal interval-by-interval split of a site's power against real electricity prices", cmd_dispatch},
    {"calibrate", "fit the Monte Carlo market models on history CSVs (prints the fit periods)", cmd_calibrate},
    {"plan", "stay mining vs convert X MW to AI colocation: Monte Carlo NPV, IRR, risk, recommended split", cmd_plan},
    {"serve", "live operation: poll and command miners, decide, record to SQLite, serve API, metrics, dashboard", cmd_serve},
    {"miner", "one driver verb on one miner: read, stop, resume, power-limit W (LuxOS, Braiins gRPC)", cmd_miner},
    {"version", "print the version", cmd_version},
    {NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
    /* GSL's default error handler aborts; the library reports errors as status codes instead. */
    gsl_set_error_handler_off();
    return cli_dispatch("wattmux", commands, argc, argv);
}
