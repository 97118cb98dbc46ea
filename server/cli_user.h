/*
 * cli_user.h - `mlpd --db PATH user add|list|remove|token ...`: manage
 * users in the database, with or without the daemon running (every change
 * is one transaction; the daemon reads users per request, so a new or
 * rotated token works, and a removed one fails, at once).
 */
#ifndef MLPD_SERVER_CLI_USER_H
#define MLPD_SERVER_CLI_USER_H

#include <stdio.h>

#include "util/config.h"

/* argv[0] is "user". Returns the process exit status: 0 done, 1 failed
 * (message on err), 2 usage error. */
int cli_user_main(const mlpd_config *cfg, int argc, char **argv, FILE *out, FILE *err);

#endif
