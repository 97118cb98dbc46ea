/*
 * config.c - flags and MLPD_* environment variables from one table.
 */
#include "util/config.h"

#include "util/netaddr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef enum opt_kind { OPT_LONG, OPT_STR, OPT_BOOL } opt_kind;

typedef struct opt_def {
    const char *name; /* flag without "--" */
    opt_kind kind;
    size_t offset;
    size_t size;      /* for strings: buffer size */
    long min, max;    /* for numbers */
    const char *help;
} opt_def;

#define L(field, lo, hi, help) \
    {#field, OPT_LONG, offsetof(mlpd_config, field), 0, lo, hi, help}
#define B(field, help) \
    {#field, OPT_BOOL, offsetof(mlpd_config, field), 0, 0, 1, help}
#define S(field, help) \
    {#field, OPT_STR, offsetof(mlpd_config, field), sizeof(((mlpd_config *)0)->field), 0, 0, help}

static const opt_def opts[] = {
    L(port, 1, 65535, "TCP port to listen on"),
    S(bind, "IPv4 or IPv6 address to listen on"),
    S(db, "SQLite database file (created if missing), or PostgreSQL: postgresql://... or a libpq conninfo"),
    L(workers, 1, 256, "training worker threads"),
    L(worker_nice, 0, 19, "training worker threads run this much nicer than the daemon (requests go first)"),
    L(checkpoint_epochs, 0, 1L << 30, "a job publishes a checkpoint every N epochs (0: off)"),
    L(checkpoint_seconds, 0, 1L << 30, "... and every S seconds (0: off)"),
    L(threads, 1, 1024, "HTTP thread pool size"),
    L(max_body, 1024, 1L << 30, "largest request body in bytes"),
    L(max_import_body, 1024, 1L << 30, "largest body of POST /v1/models/import in bytes"),
    L(max_inputs, 1, 1 << 20, "most inputs of a model"),
    L(max_layers, 1, 32, "most layers of a model (hidden + output)"),
    L(max_units, 1, 1 << 20, "most units in one layer"),
    L(max_params, 1, 1L << 30, "most weights + biases of a model"),
    L(max_samples, 1, 1L << 30, "most samples stored per model"),
    L(max_batch, 1, 1 << 20, "most rows in one predict request"),
    L(max_epochs, 1, 1L << 30, "most epochs of one training job"),
    L(max_train_seconds, 1, 1L << 30, "longest training job in seconds"),
    L(cache_mb, 0, 1L << 20, "memory for cached models in MiB"),
    L(conn_timeout, 1, 3600, "idle connection timeout in seconds"),
    L(max_conns, 1, 1 << 20, "most open connections"),
    L(per_ip_conns, 1, 1 << 20, "most open connections from one address"),
    L(max_streams, 1, 1 << 20, "most open job event streams (past it: 503)"),
    S(auth, "none (one built-in user) or token (Authorization: Bearer per user)"),
    B(insecure_no_auth, "allow --auth none on a non-loopback --bind"),
    S(cors_origin, "origins allowed to call from a browser: a comma list, or *"),
    S(trust_proxy, "proxies (addresses, ADDR/BITS prefixes, or loopback; a comma list) whose "
                   "X-Forwarded-For names the client of a request (rate limits per address)"),
    L(quota_models, 0, 1L << 30, "models per user (0 = no cap)"),
    L(quota_samples, 0, 1L << 40, "samples per user, all models together (0 = no cap)"),
    L(rate_limit, 0, 1L << 20, "requests per second per user (0 = no limit)"),
    L(rate_burst, 1, 1L << 20, "requests a user may send at once"),
    L(anon_rate_limit, 0, 1L << 20, "requests per second per address without a token"),
    L(anon_burst, 1, 1L << 20, "requests an address may send at once without a token"),
    L(quota_running_jobs, 0, 1L << 20, "running training jobs per user (0 = no cap)"),
    L(quota_queued_jobs, 0, 1L << 20, "queued training jobs per user, beyond the running ones"),
    L(quota_train_seconds_day, 0, 1L << 30, "training seconds per user and UTC day (0 = no cap)"),
    L(lease_ms, 1000, 3600000, "PostgreSQL: a claimed job is this node's for this long unless "
                               "renewed; past it another node resumes it from its last heartbeat"),
    L(heartbeat_ms, 0, 3600000, "PostgreSQL: a running job renews its lease (with its trainer "
                                "state) this often (0: lease-ms / 4)"),
    S(node_id, "the name this node gives the jobs it runs (default HOST:PORT:PID)"),
};
#define N_OPTS (sizeof opts / sizeof opts[0])

static long online_cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? n : 1;
}

void config_db_display(const char *db, char *out, size_t n)
{
    /* postgresql://user:SECRET@host/... and password=SECRET (conninfo) */
    size_t o = 0;
    const char *p = db;
    const char *scheme = strstr(db, "://");
    const char *at = scheme ? strchr(scheme + 3, '@') : NULL;
    const char *colon = scheme && at ? memchr(scheme + 3, ':', (size_t)(at - scheme - 3)) : NULL;
    while (*p && o + 1 < n) {
        if (colon && p == colon + 1) {
            for (const char *m = "***"; *m && o + 1 < n; m++)
                out[o++] = *m;
            p = at;
            continue;
        }
        if (!scheme && !strncmp(p, "password", 8) && (p == db || p[-1] == ' ')) {
            const char *eq = p + 8;
            while (*eq == ' ')
                eq++;
            if (*eq == '=') {
                for (const char *m = "password=***"; *m && o + 1 < n; m++)
                    out[o++] = *m;
                eq++;
                while (*eq == ' ')
                    eq++;
                if (*eq == '\'') { /* a quoted value: up to the closing quote */
                    for (eq++; *eq && *eq != '\''; eq++)
                        if (*eq == '\\' && eq[1])
                            eq++;
                    if (*eq)
                        eq++;
                } else {
                    while (*eq && *eq != ' ')
                        eq++;
                }
                p = eq;
                continue;
            }
        }
        out[o++] = *p++;
    }
    out[n ? o : 0] = '\0';
}

void config_defaults(mlpd_config *c)
{
    memset(c, 0, sizeof *c);
    c->port = 8080;
    strcpy(c->bind, "127.0.0.1");
    strcpy(c->db, "./mlpd.db");
    /* Measured (make bench-class, 2 cores, idle): 30 jobs drain in 2.21 s
     * with 2 workers at nice +10 against 4.12 s with 1, predict p99
     * 3.7 ms; the nice keeps requests ahead of training. */
    c->workers = online_cores();
    c->worker_nice = 10;
    c->checkpoint_epochs = 0; /* by time: a checkpoint is a durable write */
    c->checkpoint_seconds = 10;
    c->threads = 2 * online_cores();
    c->max_body = 1L << 20;
    c->max_import_body = 16L << 20;
    c->max_inputs = 1024;
    c->max_layers = 8;
    c->max_units = 1024;
    c->max_params = 1000000;
    c->max_samples = 100000;
    c->max_batch = 1024;
    c->max_epochs = 10000;
    c->max_train_seconds = 300;
    c->cache_mb = 64;
    c->conn_timeout = 10;
    c->max_conns = 1000;
    c->per_ip_conns = 64;
    c->max_streams = 256;
    strcpy(c->auth, "none");
    c->quota_models = 20;
    c->quota_samples = 1000000;
    c->rate_limit = 50;
    c->rate_burst = 100;
    c->anon_rate_limit = 10;
    c->anon_burst = 20;
    c->quota_running_jobs = 1;
    c->quota_queued_jobs = 4;
    c->quota_train_seconds_day = 3600;
    c->lease_ms = 10000;
}

/* "max_body" -> "max-body" (flag) or "MLPD_MAX_BODY" (env). */
static void flag_name(const char *name, char *out, size_t n)
{
    snprintf(out, n, "%s", name);
    for (char *p = out; *p; p++)
        if (*p == '_')
            *p = '-';
}

static void env_name(const char *name, char *out, size_t n)
{
    snprintf(out, n, "MLPD_%s", name);
    for (char *p = out; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
}

static int set_value(mlpd_config *c, const opt_def *o, const char *value,
                     const char *from, FILE *err)
{
    char *dst = (char *)c + o->offset;
    if (o->kind == OPT_STR) {
        if (strlen(value) >= o->size || value[0] == '\0') {
            fprintf(err, "mlpd: %s: value empty or too long\n", from);
            return -1;
        }
        memcpy(dst, value, strlen(value) + 1);
        return 0;
    }
    if (o->kind == OPT_BOOL) {
        long b;
        if (strcmp(value, "1") == 0 || strcmp(value, "true") == 0)
            b = 1;
        else if (strcmp(value, "0") == 0 || strcmp(value, "false") == 0)
            b = 0;
        else {
            fprintf(err, "mlpd: %s: '%s' is not 1/true or 0/false\n", from, value);
            return -1;
        }
        memcpy(dst, &b, sizeof b);
        return 0;
    }
    char *end;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (errno || end == value || *end != '\0' || v < o->min || v > o->max) {
        fprintf(err, "mlpd: %s: '%s' is not an integer in [%ld, %ld]\n", from, value,
                o->min, o->max);
        return -1;
    }
    memcpy(dst, &v, sizeof v);
    return 0;
}

static const opt_def *find_flag(const char *arg)
{
    char flag[64];
    for (size_t i = 0; i < N_OPTS; i++) {
        flag_name(opts[i].name, flag, sizeof flag);
        if (strcmp(arg, flag) == 0)
            return &opts[i];
    }
    return NULL;
}

void config_usage(FILE *out)
{
    mlpd_config d;
    config_defaults(&d);
    fprintf(out, "usage: mlpd [options]\n\noptions (each also as an environment variable):\n");
    for (size_t i = 0; i < N_OPTS; i++) {
        char flag[64], env[64], def[1100];
        flag_name(opts[i].name, flag, sizeof flag);
        env_name(opts[i].name, env, sizeof env);
        const char *p = (const char *)&d + opts[i].offset;
        if (opts[i].kind == OPT_STR) {
            snprintf(def, sizeof def, "%s", *p ? p : "none");
        } else {
            long v;
            memcpy(&v, p, sizeof v);
            snprintf(def, sizeof def, "%ld", v);
        }
        if (opts[i].kind == OPT_BOOL)
            fprintf(out, "  --%-18s %s (env %s=1)\n", flag, opts[i].help, env);
        else
            fprintf(out, "  --%-18s %s (default %s, env %s)\n", flag, opts[i].help, def, env);
    }
    fprintf(out, "  --%-18s print this help\n", "help");
    fprintf(out, "\nusers (with --auth token), run beside or without the daemon:\n"
                 "  mlpd --db PATH user add NAME [--admin]   prints the new token, last\n"
                 "  mlpd --db PATH user list\n"
                 "  mlpd --db PATH user remove NAME          with every model of NAME\n"
                 "  mlpd --db PATH user token NAME           a new token; the old one stops\n");
}

int config_is_loopback(const char *addr)
{
    struct in_addr v4;
    struct in6_addr v6;
    if (inet_pton(AF_INET, addr, &v4) == 1)
        return (ntohl(v4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, addr, &v6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&v6);
    return 0;
}

/* --auth is none or token; none only on loopback unless forced. */
static int check_auth(const mlpd_config *c, FILE *err)
{
    if (strcmp(c->auth, "none") != 0 && strcmp(c->auth, "token") != 0) {
        fprintf(err, "mlpd: --auth must be none or token, not '%s'\n", c->auth);
        return -1;
    }
    if (strcmp(c->auth, "none") == 0 && !c->insecure_no_auth && !config_is_loopback(c->bind)) {
        fprintf(err, "mlpd: refusing --auth none on %s, which is not a loopback address: "
                     "anyone who reaches it could use and delete every model. Use --auth token "
                     "(and `mlpd --db PATH user add NAME`), or --insecure-no-auth to force it.\n",
                c->bind);
        return -1;
    }
    return 0;
}

int config_parse(mlpd_config *c, int argc, char **argv, FILE *out, FILE *err)
{
    for (size_t i = 0; i < N_OPTS; i++) {
        char env[64];
        env_name(opts[i].name, env, sizeof env);
        const char *v = getenv(env);
        if (v && set_value(c, &opts[i], v, env, err) != 0)
            return -1;
    }
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            config_usage(out);
            return 1;
        }
        if (strncmp(arg, "--", 2) != 0) {
            if (strcmp(arg, "user") == 0) { /* a subcommand: the rest is its own */
                c->command = i;
                break;
            }
            fprintf(err, "mlpd: unexpected argument '%s' (try --help)\n", arg);
            return -1;
        }
        char name[64];
        const char *eq = strchr(arg + 2, '=');
        size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
        if (len >= sizeof name) {
            fprintf(err, "mlpd: unknown flag '%s' (try --help)\n", arg);
            return -1;
        }
        memcpy(name, arg + 2, len);
        name[len] = '\0';
        const opt_def *o = find_flag(name);
        if (!o) {
            fprintf(err, "mlpd: unknown flag '--%s' (try --help)\n", name);
            return -1;
        }
        if (o->kind == OPT_BOOL && !eq) {
            long one = 1;
            memcpy((char *)c + o->offset, &one, sizeof one);
            continue;
        }
        const char *value = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (!value) {
            fprintf(err, "mlpd: --%s needs a value\n", name);
            return -1;
        }
        char from[80];
        snprintf(from, sizeof from, "--%s", name);
        if (set_value(c, o, value, from, err) != 0)
            return -1;
    }
    net_trust t;
    char msg[160];
    if (net_trust_parse(&t, c->trust_proxy, msg, sizeof msg) != 0) {
        fprintf(err, "mlpd: %s\n", msg);
        return -1;
    }
    if (c->heartbeat_ms >= c->lease_ms) {
        fprintf(err, "mlpd: --heartbeat-ms (%ld) must be below --lease-ms (%ld)\n",
                c->heartbeat_ms, c->lease_ms);
        return -1;
    }
    return check_auth(c, err);
}
