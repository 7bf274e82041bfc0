/* LOCAL TEMP - not committed (sim helper owns cli/bench.c) */
#include "cli.h"
int cli_sim_bench(const struct scenario *sc, long long d) { (void)sc; (void)d; cli_error("bench: not in this tree"); return 1; }
