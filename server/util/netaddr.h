/*
 * netaddr.h - which proxies are trusted, and the client address of a
 * request that came through them (X-Forwarded-For).
 *
 * `--trust-proxy` lists addresses or prefixes ("127.0.0.1", "10.0.0.0/8",
 * "::1", "loopback" for 127.0.0.0/8 and ::1). A request's client is its
 * peer, unless the peer is trusted: then X-Forwarded-For is read from the
 * right (the entry the nearest proxy appended) and the first entry that is
 * not a trusted address is the client; when all are trusted, the leftmost.
 * A malformed entry stops the walk at the address to its right, so what a
 * client writes into the header counts only past the proxies' own entries.
 * With nothing trusted (the default) the header is ignored.
 */
#ifndef MLPD_SERVER_NETADDR_H
#define MLPD_SERVER_NETADDR_H

#include <stddef.h>

#define NET_TRUST_MAX 32
#define NET_ADDR_TEXT 46 /* INET6_ADDRSTRLEN */

typedef struct net_prefix {
    int v6;                 /* 0: IPv4 (addr[0..3]), 1: IPv6 */
    unsigned char addr[16];
    int bits;
} net_prefix;

typedef struct net_trust {
    net_prefix p[NET_TRUST_MAX];
    size_t n;
} net_trust;

/* Parse a comma list (spaces allowed; "" trusts nothing) into t. 0, or -1
 * with a sentence in err naming the bad entry. */
int net_trust_parse(net_trust *t, const char *list, char *err, size_t errlen);

/* 1 if addr (IPv4 or IPv6 text, an IPv4-mapped IPv6 counts as IPv4) is
 * inside one of t's prefixes; 0 otherwise or when addr is malformed. */
int net_trust_has(const net_trust *t, const char *addr);

/* The client address of a request from peer (text) carrying xff (the
 * X-Forwarded-For value, NULL if absent) into out (n >= NET_ADDR_TEXT):
 * the rule above. out is "" when peer is NULL or empty. */
void net_client_addr(const net_trust *t, const char *peer, const char *xff, char *out,
                     size_t n);

#endif
