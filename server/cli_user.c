/*
 * cli_user.c - the `user` subcommand (see cli_user.h). A new token is
 * printed once, as the last word of the output, and never stored.
 */
#include "cli_user.h"

#include <stdlib.h>
#include <string.h>

#include "domain/auth.h"
#include "api/reply.h"
#include "storage/storage.h"

static void usage(FILE *err)
{
    fprintf(err, "usage: mlpd --db PATH user add NAME [--admin]\n"
                 "       mlpd --db PATH user list\n"
                 "       mlpd --db PATH user remove NAME\n"
                 "       mlpd --db PATH user token NAME\n");
}

static int fail(FILE *err, const char *what, const char *name, st_status s)
{
    fprintf(err, "mlpd: %s %s: %s\n", what, name, st_status_name(s));
    return 1;
}

static int user_add(storage *st, const char *name, int admin, FILE *out, FILE *err)
{
    if (!auth_valid_name(name)) {
        fprintf(err, "mlpd: user names are 1 to 64 of A-Z a-z 0-9 . _ - (not starting "
                     "with -): '%s'\n", name);
        return 2;
    }
    st_user u;
    memset(&u, 0, sizeof u);
    char token[AUTH_TOKEN_LEN + 1];
    if (storage_new_id(u.id) != 0 || auth_issue(token, u.token_id, u.salt, u.hash) != 0) {
        fprintf(err, "mlpd: no randomness for a token\n");
        return 1;
    }
    snprintf(u.name, sizeof u.name, "%s", name);
    u.admin = admin;
    st_status s = storage_user_create(st, &u);
    if (s == ST_CONFLICT) {
        fprintf(err, "mlpd: a user named %s exists already (`user token %s` gives a new "
                     "token)\n", name, name);
        return 1;
    }
    if (s != ST_OK)
        return fail(err, "cannot add user", name, s);
    fprintf(out, "added %s %s; keep this token, it is shown only once: %s\n",
            admin ? "admin" : "user", name, token);
    return 0;
}

static int user_token(storage *st, const char *name, FILE *out, FILE *err)
{
    char token[AUTH_TOKEN_LEN + 1], token_id[AUTH_TOKEN_ID_HEX + 1];
    unsigned char salt[ST_SALT_BYTES], hash[ST_HASH_BYTES];
    if (auth_issue(token, token_id, salt, hash) != 0) {
        fprintf(err, "mlpd: no randomness for a token\n");
        return 1;
    }
    st_status s = storage_user_set_token(st, name, token_id, salt, hash);
    if (s == ST_NOT_FOUND) {
        fprintf(err, "mlpd: no user %s%s\n", name,
                strcmp(name, ST_USER_LOCAL) == 0 ? " with a token (local is the built-in "
                                                   "user of --auth none)" : "");
        return 1;
    }
    if (s != ST_OK)
        return fail(err, "cannot set a token for", name, s);
    fprintf(out, "new token for %s (the old one no longer works): %s\n", name, token);
    return 0;
}

static int user_remove(storage *st, const char *name, FILE *out, FILE *err)
{
    int64_t models = 0;
    st_status s = storage_user_delete(st, name, &models);
    if (s == ST_NOT_FOUND) {
        fprintf(err, "mlpd: no user %s\n", name);
        return 1;
    }
    if (s == ST_CONFLICT) {
        fprintf(err, "mlpd: %s is the built-in user of --auth none and stays\n", name);
        return 1;
    }
    if (s != ST_OK)
        return fail(err, "cannot remove user", name, s);
    fprintf(out, "removed user %s and %lld model(s)\n", name, (long long)models);
    return 0;
}

static int user_list(storage *st, FILE *out, FILE *err)
{
    st_user *us = NULL;
    size_t n = 0;
    st_status s = storage_users_list(st, &us, &n);
    if (s != ST_OK)
        return fail(err, "cannot list", "users", s);
    fprintf(out, "%-24s %-6s %7s %9s %12s  %s\n", "name", "role", "models", "samples",
            "train_s", "token issued");
    for (size_t i = 0; i < n; i++) {
        char t[32] = "-";
        if (us[i].has_token)
            format_time(t, us[i].token_at);
        fprintf(out, "%-24s %-6s %7lld %9lld %12.1f  %s\n", us[i].name,
                us[i].admin ? "admin" : "user", (long long)us[i].models,
                (long long)us[i].samples, us[i].train_seconds, t);
    }
    free(us);
    return 0;
}

int cli_user_main(const mlpd_config *cfg, int argc, char **argv, FILE *out, FILE *err)
{
    if (argc < 2) {
        usage(err);
        return 2;
    }
    const char *cmd = argv[1];
    int admin = argc == 4 && strcmp(argv[3], "--admin") == 0;
    int ok_args = (strcmp(cmd, "list") == 0 && argc == 2) ||
                  (strcmp(cmd, "add") == 0 && (argc == 3 || admin)) ||
                  ((strcmp(cmd, "remove") == 0 || strcmp(cmd, "token") == 0) && argc == 3);
    if (!ok_args) {
        usage(err);
        return 2;
    }
    if (auth_init() != 0) {
        fprintf(err, "mlpd: libsodium failed to start\n");
        return 1;
    }
    char e[256] = "";
    storage *st = NULL;
    if (storage_open(cfg->db, &st, e, sizeof e) != ST_OK) {
        fprintf(err, "mlpd: cannot open database %s: %s\n", cfg->db, e);
        return 1;
    }
    int rc;
    if (strcmp(cmd, "list") == 0)
        rc = user_list(st, out, err);
    else if (strcmp(cmd, "add") == 0)
        rc = user_add(st, argv[2], admin, out, err);
    else if (strcmp(cmd, "remove") == 0)
        rc = user_remove(st, argv[2], out, err);
    else
        rc = user_token(st, argv[2], out, err);
    storage_close(st);
    return rc;
}
