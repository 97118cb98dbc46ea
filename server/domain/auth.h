/*
 * auth.h - bearer tokens: making them, hashing them, checking them.
 *
 * A token is "mlpd_<id>_<secret>": <id> is 16 hex digits (8 random bytes,
 * not secret: it finds the user's row, so lookups leak nothing about the
 * secret through timing), <secret> 64 hex digits (32 random bytes from
 * getrandom). Storage keeps per user a random 16-byte salt and
 * BLAKE2b-256(key = salt, message = the whole token) (libsodium's
 * crypto_generichash); the token itself is never stored. A token is
 * accepted when its hash equals the stored one, compared in constant time
 * (sodium_memcmp). A fast hash is right here: the secret is 256 random
 * bits, so there is nothing to slow down a guesser for (password hashes
 * like Argon2 exist for low-entropy secrets).
 */
#ifndef MLPD_SERVER_AUTH_H
#define MLPD_SERVER_AUTH_H

#include <stddef.h>

#include "storage/storage.h"

#define AUTH_TOKEN_PREFIX "mlpd_"
#define AUTH_TOKEN_ID_HEX 16
#define AUTH_SECRET_HEX 64
#define AUTH_TOKEN_LEN (5 + AUTH_TOKEN_ID_HEX + 1 + AUTH_SECRET_HEX)

/* The caller of a request, once authenticated. */
typedef struct auth_user {
    char id[17];
    char name[65];
    int admin;
} auth_user;

/* Once per process before anything below (libsodium's init); 0 or -1. */
int auth_init(void);

/* n bytes from getrandom (retrying on EINTR); 0 or -1. */
int auth_random(void *buf, size_t n);

/* A new token and what storage keeps of it: its id, a fresh salt and the
 * hash. 0, or -1 if no randomness could be had. */
int auth_issue(char token[AUTH_TOKEN_LEN + 1], char token_id[AUTH_TOKEN_ID_HEX + 1],
               unsigned char salt[ST_SALT_BYTES], unsigned char hash[ST_HASH_BYTES]);

/* The id part of a well-formed token of len bytes; -1 if malformed. */
int auth_token_id(const char *token, size_t len, char token_id[AUTH_TOKEN_ID_HEX + 1]);

/* BLAKE2b-256 keyed with salt over token[0..len). */
void auth_hash(const unsigned char salt[ST_SALT_BYTES], const char *token, size_t len,
               unsigned char out[ST_HASH_BYTES]);

/* 1 if token hashes to hash under salt (constant-time compare), else 0. */
int auth_verify(const unsigned char salt[ST_SALT_BYTES], const unsigned char hash[ST_HASH_BYTES],
                const char *token, size_t len);

/* The token of an "Authorization: Bearer <token>" value (scheme case
 * ignored, one or more spaces); -1 if it is not of that form. */
int auth_bearer(const char *header, const char **token, size_t *len);

typedef enum auth_result {
    AUTH_ANONYMOUS = 0, /* no Authorization header */
    AUTH_OK = 1,        /* *out is the caller */
    AUTH_INVALID = 2,   /* malformed, unknown or wrong token */
    AUTH_ERROR = 3      /* storage failed (busy...): *st_err says how */
} auth_result;

/* Who sent this Authorization header value (NULL = none). */
auth_result auth_lookup(storage *st, const char *authorization, auth_user *out,
                        st_status *st_err);

/* Names of users: 1..64 bytes of [A-Za-z0-9._-], not starting with '-'. */
int auth_valid_name(const char *name);

#endif
