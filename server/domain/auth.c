/*
 * auth.c - bearer tokens (see auth.h for the format and the reasoning).
 */
#include "domain/auth.h"

#include <errno.h>
#include <sodium.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

int auth_init(void)
{
    return sodium_init() < 0 ? -1 : 0;
}

int auth_random(void *buf, size_t n)
{
    unsigned char *p = buf;
    size_t got = 0;
    while (got < n) {
        ssize_t r = getrandom(p + got, n - got, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        got += (size_t)r;
    }
    return 0;
}

static const char hexdigits[] = "0123456789abcdef";

static void to_hex(const unsigned char *in, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hexdigits[in[i] >> 4];
        out[2 * i + 1] = hexdigits[in[i] & 15];
    }
}

static int is_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

void auth_hash(const unsigned char salt[ST_SALT_BYTES], const char *token, size_t len,
               unsigned char out[ST_HASH_BYTES])
{
    crypto_generichash(out, ST_HASH_BYTES, (const unsigned char *)token, len, salt,
                       ST_SALT_BYTES);
}

int auth_issue(char token[AUTH_TOKEN_LEN + 1], char token_id[AUTH_TOKEN_ID_HEX + 1],
               unsigned char salt[ST_SALT_BYTES], unsigned char hash[ST_HASH_BYTES])
{
    unsigned char id[AUTH_TOKEN_ID_HEX / 2], secret[AUTH_SECRET_HEX / 2];
    if (auth_random(id, sizeof id) != 0 || auth_random(secret, sizeof secret) != 0 ||
        auth_random(salt, ST_SALT_BYTES) != 0)
        return -1;
    char *p = token;
    memcpy(p, AUTH_TOKEN_PREFIX, 5);
    p += 5;
    to_hex(id, sizeof id, p);
    p += AUTH_TOKEN_ID_HEX;
    *p++ = '_';
    to_hex(secret, sizeof secret, p);
    p += AUTH_SECRET_HEX;
    *p = '\0';
    memcpy(token_id, token + 5, AUTH_TOKEN_ID_HEX);
    token_id[AUTH_TOKEN_ID_HEX] = '\0';
    auth_hash(salt, token, AUTH_TOKEN_LEN, hash);
    sodium_memzero(secret, sizeof secret);
    return 0;
}

int auth_token_id(const char *token, size_t len, char token_id[AUTH_TOKEN_ID_HEX + 1])
{
    token_id[0] = '\0';
    if (len != AUTH_TOKEN_LEN || memcmp(token, AUTH_TOKEN_PREFIX, 5) != 0 ||
        token[5 + AUTH_TOKEN_ID_HEX] != '_' || !is_hex(token + 5, AUTH_TOKEN_ID_HEX) ||
        !is_hex(token + 6 + AUTH_TOKEN_ID_HEX, AUTH_SECRET_HEX))
        return -1;
    memcpy(token_id, token + 5, AUTH_TOKEN_ID_HEX);
    token_id[AUTH_TOKEN_ID_HEX] = '\0';
    return 0;
}

int auth_verify(const unsigned char salt[ST_SALT_BYTES], const unsigned char hash[ST_HASH_BYTES],
                const char *token, size_t len)
{
    unsigned char got[ST_HASH_BYTES];
    auth_hash(salt, token, len, got);
    int same = sodium_memcmp(got, hash, ST_HASH_BYTES) == 0;
    sodium_memzero(got, sizeof got);
    return same;
}

int auth_bearer(const char *header, const char **token, size_t *len)
{
    *token = NULL;
    *len = 0;
    if (!header || strncasecmp(header, "Bearer ", 7) != 0)
        return -1;
    const char *t = header + 7;
    while (*t == ' ')
        t++;
    size_t n = strlen(t);
    while (n && (t[n - 1] == ' ' || t[n - 1] == '\t'))
        n--;
    if (n == 0)
        return -1;
    *token = t;
    *len = n;
    return 0;
}

auth_result auth_lookup(storage *st, const char *authorization, auth_user *out,
                        st_status *st_err)
{
    memset(out, 0, sizeof *out);
    *st_err = ST_OK;
    if (!authorization)
        return AUTH_ANONYMOUS;
    const char *token;
    size_t len;
    char token_id[AUTH_TOKEN_ID_HEX + 1];
    if (auth_bearer(authorization, &token, &len) != 0 || auth_token_id(token, len, token_id) != 0)
        return AUTH_INVALID;
    st_user u;
    st_status s = storage_user_by_token(st, token_id, &u);
    if (s == ST_NOT_FOUND)
        return AUTH_INVALID;
    if (s != ST_OK) {
        *st_err = s;
        return AUTH_ERROR;
    }
    int ok = u.has_token && auth_verify(u.salt, u.hash, token, len);
    if (ok) {
        memcpy(out->id, u.id, sizeof out->id);
        memcpy(out->name, u.name, sizeof out->name);
        out->admin = u.admin;
    }
    sodium_memzero(&u, sizeof u);
    return ok ? AUTH_OK : AUTH_INVALID;
}

int auth_valid_name(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > 64 || name[0] == '-')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}
