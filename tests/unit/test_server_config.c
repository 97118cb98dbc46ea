/*
 * test_server_config.c - flags, MLPD_* environment variables and --help.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/config.h"

static int parse(mlpd_config *c, char **argv, int argc, char *out, size_t n)
{
    FILE *o = fmemopen(out, n, "w");
    FILE *e = fopen("/dev/null", "w");
    config_defaults(c);
    int rc = config_parse(c, argc, argv, o, e);
    fclose(o);
    fclose(e);
    return rc;
}

/* The database as the log shows it: a PostgreSQL password never. */
START_TEST(db_display_hides_passwords)
{
    static const char *const cases[][2] = {
        {"./mlpd.db", "./mlpd.db"},
        {"postgresql://alice:s3cret@db.example/mlpd", "postgresql://alice:***@db.example/mlpd"},
        {"postgresql://alice@db/mlpd", "postgresql://alice@db/mlpd"},
        {"postgres://db/mlpd?sslmode=require", "postgres://db/mlpd?sslmode=require"},
        {"host=/tmp/x password=hunter2 dbname=mlpd", "host=/tmp/x password=*** dbname=mlpd"},
        {"password = 'a b\\' c' user=u", "password=*** user=u"},
        {"host=h dbname=mlpd", "host=h dbname=mlpd"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[128];
        config_db_display(cases[i][0], out, sizeof out);
        ck_assert_str_eq(out, cases[i][1]);
    }
    char tiny[4];
    config_db_display("postgresql://a:b@c/d", tiny, sizeof tiny);
    ck_assert_str_eq(tiny, "pos");
}
END_TEST

START_TEST(defaults_env_then_flags)
{
    mlpd_config c;
    char out[64];
    char *none[] = {"mlpd"};
    unsetenv("MLPD_MAX_BODY");
    unsetenv("MLPD_PORT");
    ck_assert_int_eq(parse(&c, none, 1, out, sizeof out), 0);
    ck_assert_int_eq(c.port, 8080);
    ck_assert_str_eq(c.bind, "127.0.0.1");
    ck_assert_int_eq(c.max_body, 1048576);
    ck_assert_int_eq(c.max_batch, 1024);
    ck_assert_int_eq(c.max_train_seconds, 300);
    setenv("MLPD_MAX_BODY", "4096", 1);
    setenv("MLPD_PORT", "9000", 1);
    char *flags[] = {"mlpd", "--port", "9100", "--db=/tmp/x.db", "--per-ip-conns", "3"};
    ck_assert_int_eq(parse(&c, flags, 6, out, sizeof out), 0);
    ck_assert_int_eq(c.max_body, 4096); /* from the environment */
    ck_assert_int_eq(c.port, 9100);     /* the flag wins */
    ck_assert_str_eq(c.db, "/tmp/x.db");
    ck_assert_int_eq(c.per_ip_conns, 3);
    unsetenv("MLPD_MAX_BODY");
    unsetenv("MLPD_PORT");
}
END_TEST

START_TEST(bad_values_are_refused)
{
    mlpd_config c;
    char out[64];
    char *a[] = {"mlpd", "--port", "70000"};
    ck_assert_int_eq(parse(&c, a, 3, out, sizeof out), -1);
    char *b[] = {"mlpd", "--max-layers", "3.5"};
    ck_assert_int_eq(parse(&c, b, 3, out, sizeof out), -1);
    char *d[] = {"mlpd", "--nope", "1"};
    ck_assert_int_eq(parse(&c, d, 3, out, sizeof out), -1);
    char *e[] = {"mlpd", "--port"};
    ck_assert_int_eq(parse(&c, e, 2, out, sizeof out), -1);
    char *f[] = {"mlpd", "--trust-proxy", "10.0.0.0/33"};
    ck_assert_int_eq(parse(&c, f, 3, out, sizeof out), -1);
    char *g[] = {"mlpd", "--trust-proxy", "loopback, 10.0.0.0/8"};
    ck_assert_int_eq(parse(&c, g, 3, out, sizeof out), 0);
    ck_assert_str_eq(c.trust_proxy, "loopback, 10.0.0.0/8");
    setenv("MLPD_TRUST_PROXY", "proxy.example", 1);
    char *h[] = {"mlpd"};
    ck_assert_int_eq(parse(&c, h, 1, out, sizeof out), -1);
    unsetenv("MLPD_TRUST_PROXY");
    setenv("MLPD_THREADS", "many", 1);
    char *none[] = {"mlpd"};
    ck_assert_int_eq(parse(&c, none, 1, out, sizeof out), -1);
    unsetenv("MLPD_THREADS");
}
END_TEST

START_TEST(help_lists_every_flag_and_env_name)
{
    mlpd_config c;
    static char out[8192];
    char *h[] = {"mlpd", "--help"};
    ck_assert_int_eq(parse(&c, h, 2, out, sizeof out), 1);
    const char *want[] = {"--port", "MLPD_PORT", "--bind", "--db", "--workers", "--threads",
                          "--max-body", "MLPD_MAX_BODY", "--max-inputs", "--max-layers",
                          "--max-units", "--max-params", "--max-samples", "--max-batch",
                          "--max-epochs", "--max-train-seconds", "MLPD_MAX_TRAIN_SECONDS",
                          "--cache-mb", "--conn-timeout", "--max-conns", "--per-ip-conns",
                          "MLPD_PER_IP_CONNS", "--max-streams", "MLPD_MAX_STREAMS",
                          "default 1048576"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        ck_assert_msg(strstr(out, want[i]) != NULL, "--help lacks %s", want[i]);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("server_config");
    TCase *tc = tcase_create("config");
    tcase_add_test(tc, defaults_env_then_flags);
    tcase_add_test(tc, db_display_hides_passwords);
    tcase_add_test(tc, bad_values_are_refused);
    tcase_add_test(tc, help_lists_every_flag_and_env_name);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
