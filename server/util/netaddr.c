/*
 * netaddr.c - trusted proxies and X-Forwarded-For (see netaddr.h).
 */
#include "util/netaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parse text (len bytes, no NUL needed) as an address; 0 or -1. An
 * IPv4-mapped IPv6 address becomes IPv4. */
static int parse_addr(const char *text, size_t len, net_prefix *out)
{
    char buf[NET_ADDR_TEXT + 1];
    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy(buf, text, len);
    buf[len] = '\0';
    memset(out, 0, sizeof *out);
    if (inet_pton(AF_INET, buf, out->addr) == 1) {
        out->bits = 32;
        return 0;
    }
    if (inet_pton(AF_INET6, buf, out->addr) != 1)
        return -1;
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (!memcmp(out->addr, mapped, sizeof mapped)) {
        memmove(out->addr, out->addr + 12, 4);
        memset(out->addr + 4, 0, 12);
        out->bits = 32;
        return 0;
    }
    out->v6 = 1;
    out->bits = 128;
    return 0;
}

static int add(net_trust *t, const net_prefix *p)
{
    if (t->n >= NET_TRUST_MAX)
        return -1;
    net_prefix q = *p;
    /* clear the host bits: matching compares whole bytes then a mask */
    int total = q.v6 ? 128 : 32;
    for (int b = q.bits; b < total; b++)
        q.addr[b / 8] &= (unsigned char)~(0x80u >> (b % 8));
    t->p[t->n++] = q;
    return 0;
}

/* One entry "ADDR" or "ADDR/BITS" or "loopback" (len bytes). */
static int parse_entry(net_trust *t, const char *s, size_t len)
{
    if (len == 8 && !memcmp(s, "loopback", 8)) {
        net_prefix v4, v6;
        parse_addr("127.0.0.0", 9, &v4);
        v4.bits = 8;
        parse_addr("::1", 3, &v6);
        return add(t, &v4) == 0 && add(t, &v6) == 0 ? 0 : -1;
    }
    const char *slash = memchr(s, '/', len);
    net_prefix p;
    if (parse_addr(s, slash ? (size_t)(slash - s) : len, &p) != 0)
        return -1;
    if (slash) {
        size_t dl = len - (size_t)(slash - s) - 1;
        if (dl == 0 || dl > 3)
            return -1;
        int bits = 0;
        for (size_t i = 0; i < dl; i++) {
            char c = slash[1 + i];
            if (c < '0' || c > '9')
                return -1;
            bits = bits * 10 + (c - '0');
        }
        if (bits > (p.v6 ? 128 : 32))
            return -1;
        p.bits = bits;
    }
    return add(t, &p);
}

static int is_space(char c)
{
    return c == ' ' || c == '\t';
}

int net_trust_parse(net_trust *t, const char *list, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    const char *p = list ? list : "";
    while (*p) {
        while (is_space(*p) || *p == ',')
            p++;
        if (!*p)
            break;
        const char *e = p;
        while (*e && *e != ',' && !is_space(*e))
            e++;
        if (parse_entry(t, p, (size_t)(e - p)) != 0) {
            if (err && errlen)
                snprintf(err, errlen,
                         "--trust-proxy: '%.*s' is not an address, a prefix (ADDR/BITS) or "
                         "'loopback' (or more than %d entries)",
                         (int)(e - p > 64 ? 64 : e - p), p, NET_TRUST_MAX);
            return -1;
        }
        p = e;
    }
    return 0;
}

static int inside(const net_prefix *pre, const net_prefix *a)
{
    if (pre->v6 != a->v6)
        return 0;
    int full = pre->bits / 8, rest = pre->bits % 8;
    if (memcmp(pre->addr, a->addr, (size_t)full) != 0)
        return 0;
    if (!rest)
        return 1;
    unsigned char mask = (unsigned char)(0xffu << (8 - rest));
    return (a->addr[full] & mask) == pre->addr[full];
}

static int trusted(const net_trust *t, const net_prefix *a)
{
    for (size_t i = 0; i < t->n; i++)
        if (inside(&t->p[i], a))
            return 1;
    return 0;
}

int net_trust_has(const net_trust *t, const char *addr)
{
    net_prefix a;
    if (!t || !addr || parse_addr(addr, strlen(addr), &a) != 0)
        return 0;
    return trusted(t, &a);
}

/* a in its canonical text (an IPv4-mapped address as IPv4). */
static void format(const net_prefix *a, char *out, size_t n)
{
    char buf[NET_ADDR_TEXT];
    if (!inet_ntop(a->v6 ? AF_INET6 : AF_INET, a->addr, buf, sizeof buf))
        buf[0] = '\0';
    snprintf(out, n, "%s", buf);
}

void net_client_addr(const net_trust *t, const char *peer, const char *xff, char *out,
                     size_t n)
{
    if (!n)
        return;
    out[0] = '\0';
    if (!peer || !*peer)
        return;
    net_prefix p;
    if (parse_addr(peer, strlen(peer), &p) != 0) {
        snprintf(out, n, "%s", peer);
        return;
    }
    format(&p, out, n);
    if (!t || !t->n || !xff || !trusted(t, &p))
        return;
    /* from the right: each entry, until one is not trusted */
    const char *end = xff + strlen(xff);
    while (end > xff) {
        const char *e = end;
        while (e > xff && (is_space(e[-1]) || e[-1] == ','))
            e--;
        const char *b = e;
        while (b > xff && b[-1] != ',' && !is_space(b[-1]))
            b--;
        if (b == e)
            break;
        net_prefix a;
        if (parse_addr(b, (size_t)(e - b), &a) != 0)
            return; /* malformed: the address to its right stands */
        format(&a, out, n);
        if (!trusted(t, &a))
            return;
        end = b;
    }
}
