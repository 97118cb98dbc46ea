/*
 * test_server_auth.c - bearer tokens: format, BLAKE2b-256 keyed hashing
 * against vectors computed independently (Python's hashlib.blake2b with
 * digest_size=32, key=salt), verification, the Authorization header, and
 * the storage round trip: lookup, rotation, no raw token in the file.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "domain/auth.h"
#include "storage/storage.h"

static void hex(const unsigned char *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
}

START_TEST(hash_matches_reference_vectors)
{
    ck_assert_int_eq(auth_init(), 0);
    unsigned char salt[ST_SALT_BYTES], h[ST_HASH_BYTES];
    char out[2 * ST_HASH_BYTES + 1];
    for (int i = 0; i < ST_SALT_BYTES; i++)
        salt[i] = (unsigned char)i;
    char token[AUTH_TOKEN_LEN + 1] = "mlpd_0123456789abcdef_";
    for (int i = 0; i < 32; i++)
        strcat(token, "ab");
    ck_assert_uint_eq(strlen(token), AUTH_TOKEN_LEN);
    auth_hash(salt, token, strlen(token), h);
    hex(h, sizeof h, out);
    ck_assert_str_eq(out, "bd2f04b1544d75c75c9d187c106aa00242aa0cf0c9c9d58b140180a5335416c7");
    auth_hash(salt, "", 0, h);
    hex(h, sizeof h, out);
    ck_assert_str_eq(out, "037c7d740ea795902b5aebe210fafffff1f627f74010f8dc79c0d5b8a9fb5847");
}
END_TEST

START_TEST(issue_and_verify)
{
    ck_assert_int_eq(auth_init(), 0);
    char t1[AUTH_TOKEN_LEN + 1], t2[AUTH_TOKEN_LEN + 1], id1[17], id2[17], parsed[17];
    unsigned char s1[ST_SALT_BYTES], h1[ST_HASH_BYTES], s2[ST_SALT_BYTES], h2[ST_HASH_BYTES];
    ck_assert_int_eq(auth_issue(t1, id1, s1, h1), 0);
    ck_assert_int_eq(auth_issue(t2, id2, s2, h2), 0);
    ck_assert_uint_eq(strlen(t1), AUTH_TOKEN_LEN);
    ck_assert(strncmp(t1, "mlpd_", 5) == 0);
    ck_assert_str_ne(t1, t2);
    ck_assert_str_ne(id1, id2);
    ck_assert(memcmp(s1, s2, sizeof s1) != 0);
    ck_assert_int_eq(auth_token_id(t1, strlen(t1), parsed), 0);
    ck_assert_str_eq(parsed, id1);
    ck_assert_int_eq(auth_verify(s1, h1, t1, strlen(t1)), 1);
    ck_assert_int_eq(auth_verify(s2, h2, t2, strlen(t2)), 1);
    ck_assert_int_eq(auth_verify(s1, h1, t2, strlen(t2)), 0); /* another's token */
    ck_assert_int_eq(auth_verify(s2, h1, t1, strlen(t1)), 0); /* another salt */
    for (size_t i = 0; i < AUTH_TOKEN_LEN; i += 7) {            /* one byte off */
        char bad[AUTH_TOKEN_LEN + 1];
        memcpy(bad, t1, sizeof bad);
        bad[i] = bad[i] == 'a' ? 'b' : 'a';
        ck_assert_int_eq(auth_verify(s1, h1, bad, AUTH_TOKEN_LEN), 0);
    }
    ck_assert_int_eq(auth_verify(s1, h1, t1, AUTH_TOKEN_LEN - 1), 0); /* truncated */
}
END_TEST

START_TEST(token_format_and_header)
{
    char id[17];
    char good[AUTH_TOKEN_LEN + 1] = "mlpd_0123456789abcdef_";
    for (int i = 0; i < 32; i++)
        strcat(good, "0f");
    ck_assert_int_eq(auth_token_id(good, strlen(good), id), 0);
    ck_assert_str_eq(id, "0123456789abcdef");
    char bad[AUTH_TOKEN_LEN + 1];
    memcpy(bad, good, sizeof bad);
    bad[5] = 'A'; /* upper case hex */
    ck_assert_int_eq(auth_token_id(bad, strlen(bad), id), -1);
    memcpy(bad, good, sizeof bad);
    bad[21] = '-';
    ck_assert_int_eq(auth_token_id(bad, strlen(bad), id), -1);
    memcpy(bad, good, sizeof bad);
    bad[0] = 'x';
    ck_assert_int_eq(auth_token_id(bad, strlen(bad), id), -1);
    ck_assert_int_eq(auth_token_id(good, strlen(good) - 1, id), -1);
    ck_assert_int_eq(auth_token_id("", 0, id), -1);

    const char *t;
    size_t n;
    ck_assert_int_eq(auth_bearer("Bearer abc", &t, &n), 0);
    ck_assert(n == 3 && memcmp(t, "abc", 3) == 0);
    ck_assert_int_eq(auth_bearer("bearer   abc  ", &t, &n), 0);
    ck_assert(n == 3 && memcmp(t, "abc", 3) == 0);
    ck_assert_int_eq(auth_bearer("Basic abc", &t, &n), -1);
    ck_assert_int_eq(auth_bearer("Bearer ", &t, &n), -1);
    ck_assert_int_eq(auth_bearer("Bearerabc", &t, &n), -1);
    ck_assert_int_eq(auth_bearer(NULL, &t, &n), -1);

    ck_assert(auth_valid_name("alice"));
    ck_assert(auth_valid_name("a.b_c-9"));
    ck_assert(!auth_valid_name(""));
    ck_assert(!auth_valid_name("-x"));
    ck_assert(!auth_valid_name("a b"));
    ck_assert(!auth_valid_name("a\"b"));
    char long_name[80];
    memset(long_name, 'a', 65);
    long_name[65] = '\0';
    ck_assert(!auth_valid_name(long_name));
}
END_TEST

/* Does the file at path contain the bytes s? */
static int file_has(const char *path, const char *s)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    static char buf[1 << 22];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    return memmem(buf, n, s, strlen(s)) != NULL;
}

START_TEST(storage_lookup_rotate_remove)
{
    ck_assert_int_eq(auth_init(), 0);
    char dir[] = "/tmp/mlpd-auth-XXXXXX", db[128], err[256];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(db, sizeof db, "%s/t.db", dir);
    storage *st = NULL;
    ck_assert_int_eq(storage_open(db, &st, err, sizeof err), ST_OK);

    st_user u;
    memset(&u, 0, sizeof u);
    char token[AUTH_TOKEN_LEN + 1];
    ck_assert_int_eq(storage_new_id(u.id), 0);
    strcpy(u.name, "alice");
    ck_assert_int_eq(auth_issue(token, u.token_id, u.salt, u.hash), 0);
    ck_assert_int_eq(storage_user_create(st, &u), ST_OK);
    ck_assert_int_eq(storage_user_create(st, &u), ST_CONFLICT);

    char header[AUTH_TOKEN_LEN + 16];
    snprintf(header, sizeof header, "Bearer %s", token);
    auth_user who;
    st_status se;
    ck_assert_int_eq(auth_lookup(st, header, &who, &se), AUTH_OK);
    ck_assert_str_eq(who.name, "alice");
    ck_assert_str_eq(who.id, u.id);
    ck_assert_int_eq(who.admin, 0);
    ck_assert_int_eq(auth_lookup(st, NULL, &who, &se), AUTH_ANONYMOUS);
    ck_assert_int_eq(auth_lookup(st, "Bearer nonsense", &who, &se), AUTH_INVALID);
    /* right id, wrong secret */
    char forged[sizeof header];
    memcpy(forged, header, sizeof forged);
    forged[strlen(forged) - 1] = forged[strlen(forged) - 1] == '0' ? '1' : '0';
    ck_assert_int_eq(auth_lookup(st, forged, &who, &se), AUTH_INVALID);
    ck_assert_str_eq(who.name, "");

    /* rotation: the old token stops working, the new one works */
    char t2[AUTH_TOKEN_LEN + 1], id2[17];
    unsigned char s2[ST_SALT_BYTES], h2[ST_HASH_BYTES];
    ck_assert_int_eq(auth_issue(t2, id2, s2, h2), 0);
    ck_assert_int_eq(storage_user_set_token(st, "alice", id2, s2, h2), ST_OK);
    ck_assert_int_eq(auth_lookup(st, header, &who, &se), AUTH_INVALID);
    char header2[sizeof header];
    snprintf(header2, sizeof header2, "Bearer %s", t2);
    ck_assert_int_eq(auth_lookup(st, header2, &who, &se), AUTH_OK);
    ck_assert_int_eq(storage_user_set_token(st, "local", id2, s2, h2), ST_NOT_FOUND);

    /* only hashes on disk: neither token, nor its secret half */
    storage_close(st);
    char wal[160];
    snprintf(wal, sizeof wal, "%s-wal", db);
    ck_assert(!file_has(db, token + 22) && !file_has(wal, token + 22));
    ck_assert(!file_has(db, t2 + 22) && !file_has(wal, t2 + 22));
    ck_assert(file_has(db, id2) || file_has(wal, id2)); /* the id is there */

    ck_assert_int_eq(storage_open(db, &st, err, sizeof err), ST_OK);
    int64_t models = -1;
    ck_assert_int_eq(storage_user_delete(st, "local", &models), ST_CONFLICT);
    ck_assert_int_eq(storage_user_delete(st, "alice", &models), ST_OK);
    ck_assert_int_eq(models, 0);
    ck_assert_int_eq(auth_lookup(st, header2, &who, &se), AUTH_INVALID);
    ck_assert_int_eq(storage_user_delete(st, "alice", &models), ST_NOT_FOUND);
    storage_close(st);
    const char *suffix[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        char p[160];
        snprintf(p, sizeof p, "%s%s", db, suffix[i]);
        unlink(p);
    }
    rmdir(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("auth");
    TCase *tc = tcase_create("tokens");
    tcase_add_test(tc, hash_matches_reference_vectors);
    tcase_add_test(tc, issue_and_verify);
    tcase_add_test(tc, token_format_and_header);
    tcase_add_test(tc, storage_lookup_rotate_remove);
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
