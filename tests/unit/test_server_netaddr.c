/*
 * test_server_netaddr.c - --trust-proxy lists and the client address
 * taken from X-Forwarded-For only through trusted proxies.
 */
#include <check.h>
#include <string.h>

#include "util/netaddr.h"

static const char *client(const char *trust, const char *peer, const char *xff)
{
    static char out[NET_ADDR_TEXT];
    net_trust t;
    char err[160];
    ck_assert_int_eq(net_trust_parse(&t, trust, err, sizeof err), 0);
    net_client_addr(&t, peer, xff, out, sizeof out);
    return out;
}

START_TEST(parse_lists)
{
    net_trust t;
    char err[160] = "";
    ck_assert_int_eq(net_trust_parse(&t, "", err, sizeof err), 0);
    ck_assert_uint_eq(t.n, 0);
    ck_assert_int_eq(net_trust_parse(&t, NULL, err, sizeof err), 0);
    ck_assert_int_eq(net_trust_parse(&t, "loopback", err, sizeof err), 0);
    ck_assert_uint_eq(t.n, 2);
    ck_assert_int_eq(net_trust_parse(&t, " 10.0.0.0/8, fd00::/8 ,192.168.1.7", err, sizeof err), 0);
    ck_assert_uint_eq(t.n, 3);
    ck_assert(net_trust_has(&t, "10.200.3.4"));
    ck_assert(!net_trust_has(&t, "11.0.0.1"));
    ck_assert(net_trust_has(&t, "fd12::1"));
    ck_assert(!net_trust_has(&t, "fe80::1"));
    ck_assert(net_trust_has(&t, "192.168.1.7"));
    ck_assert(!net_trust_has(&t, "192.168.1.8"));
    ck_assert(net_trust_has(&t, "::ffff:10.1.1.1")); /* mapped counts as IPv4 */
    ck_assert(!net_trust_has(&t, "not an address"));
    ck_assert(!net_trust_has(&t, NULL));
    /* odd prefix lengths: /20 keeps 4 bits of the third byte */
    ck_assert_int_eq(net_trust_parse(&t, "172.16.0.0/12,10.1.16.0/20", err, sizeof err), 0);
    ck_assert(net_trust_has(&t, "172.31.255.255"));
    ck_assert(!net_trust_has(&t, "172.32.0.0"));
    ck_assert(net_trust_has(&t, "10.1.31.1"));
    ck_assert(!net_trust_has(&t, "10.1.32.1"));
    ck_assert_int_eq(net_trust_parse(&t, "0.0.0.0/0", err, sizeof err), 0);
    ck_assert(net_trust_has(&t, "8.8.8.8"));
    const char *bad[] = {"10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/x", "example.org",
                         "10.0.0.0/8,nope", "1.2.3.4/0008"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        ck_assert_msg(net_trust_parse(&t, bad[i], err, sizeof err) == -1, "%s", bad[i]);
        ck_assert(strstr(err, "--trust-proxy") != NULL);
    }
    char many[33 * 10] = "";
    for (int i = 0; i < NET_TRUST_MAX + 1; i++)
        strcat(many, "10.0.0.1,");
    ck_assert_int_eq(net_trust_parse(&t, many, err, sizeof err), -1);
}
END_TEST

START_TEST(client_address)
{
    /* nothing trusted: the header is ignored */
    ck_assert_str_eq(client("", "127.0.0.1", "1.2.3.4"), "127.0.0.1");
    /* an untrusted peer: ignored too */
    ck_assert_str_eq(client("10.0.0.0/8", "192.0.2.9", "1.2.3.4"), "192.0.2.9");
    /* a trusted peer: the rightmost untrusted entry */
    ck_assert_str_eq(client("loopback", "127.0.0.1", "1.2.3.4"), "1.2.3.4");
    ck_assert_str_eq(client("loopback", "127.0.0.1", "6.6.6.6, 1.2.3.4"), "1.2.3.4");
    /* chained proxies, all trusted, are skipped */
    ck_assert_str_eq(client("loopback,10.0.0.0/8", "127.0.0.1", "6.6.6.6, 1.2.3.4, 10.0.0.5"),
                     "1.2.3.4");
    /* all trusted: the leftmost */
    ck_assert_str_eq(client("loopback", "127.0.0.1", "127.0.0.1"), "127.0.0.1");
    ck_assert_str_eq(client("loopback", "127.0.0.1", "127.0.0.2,127.0.0.1"), "127.0.0.2");
    /* a malformed entry: the address to its right stands */
    ck_assert_str_eq(client("loopback,10.0.0.0/8", "127.0.0.1", "1.2.3.4, junk, 10.0.0.5"),
                     "10.0.0.5");
    ck_assert_str_eq(client("loopback", "127.0.0.1", "junk"), "127.0.0.1");
    ck_assert_str_eq(client("loopback", "127.0.0.1", ""), "127.0.0.1");
    ck_assert_str_eq(client("loopback", "127.0.0.1", " , ,"), "127.0.0.1");
    ck_assert_str_eq(client("loopback", "127.0.0.1", NULL), "127.0.0.1");
    /* IPv6, and mapped IPv4 written as IPv4 */
    ck_assert_str_eq(client("loopback", "::1", "2001:db8::7"), "2001:db8::7");
    ck_assert_str_eq(client("loopback", "::ffff:127.0.0.1", "::ffff:1.2.3.4"), "1.2.3.4");
    ck_assert_str_eq(client("", "::ffff:1.2.3.4", NULL), "1.2.3.4");
    /* a too long entry is malformed, not cut */
    ck_assert_str_eq(client("loopback", "127.0.0.1",
                            "1111:2222:3333:4444:5555:6666:7777:8888:9999:0000"),
                     "127.0.0.1");
    ck_assert_str_eq(client("loopback", NULL, "1.2.3.4"), "");
    ck_assert_str_eq(client("loopback", "", "1.2.3.4"), "");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("netaddr");
    TCase *tc = tcase_create("trust");
    tcase_add_test(tc, parse_lists);
    tcase_add_test(tc, client_address);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
