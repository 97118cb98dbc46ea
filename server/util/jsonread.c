/*
 * jsonread.c - strict JSON input on top of cJSON (see jsonread.h for the
 * traps). Every refusal fills a json_err; api/jsonin.c turns it into the
 * 400 reply.
 */
#include "util/jsonread.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/sbuf.h"

void json_fail(json_err *e, json_err_code code, const char *field, const char *fmt, ...)
{
    e->code = code;
    e->has_field = field != NULL;
    snprintf(e->field, sizeof e->field, "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
}

void json_path_key(char *out, size_t n, const char *path, const char *key)
{
    if (path && path[0])
        snprintf(out, n, "%s.%s", path, key);
    else
        snprintf(out, n, "%s", key);
}

void json_path_index(char *out, size_t n, const char *path, size_t i)
{
    snprintf(out, n, "%s[%zu]", path ? path : "", i);
}

/* Length of the UTF-8 sequence at p (RFC 3629: no overlongs, no
 * surrogates, <= U+10FFFF), or 0 if invalid. */
static size_t utf8_seq(const unsigned char *p, size_t left)
{
    unsigned c = p[0];
    size_t n;
    unsigned min;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) { n = 2; min = 0x80; }
    else if (c >= 0xE0 && c <= 0xEF) { n = 3; min = 0x800; }
    else if (c >= 0xF0 && c <= 0xF4) { n = 4; min = 0x10000; }
    else return 0;
    if (left < n)
        return 0;
    unsigned cp = c & (0x3F >> (n - 1));
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* Length of the RFC 8259 number at p, or 0 if the token that starts there
 * is not one. cJSON 1.7.15 hands any run of [0-9+-.eE] to strtod, so it
 * takes "01", "-01", "1." and "1.e5", none of them JSON (found by the
 * hostile-client test); the token must also end where the grammar does. */
static size_t json_number_len(const unsigned char *p, size_t left)
{
    size_t i = 0;
    if (i < left && p[i] == '-')
        i++;
    if (i >= left || !is_digit(p[i]))
        return 0;
    if (p[i] == '0')
        i++;
    else
        while (i < left && is_digit(p[i]))
            i++;
    if (i < left && p[i] == '.') {
        if (++i >= left || !is_digit(p[i]))
            return 0;
        while (i < left && is_digit(p[i]))
            i++;
    }
    if (i < left && (p[i] == 'e' || p[i] == 'E')) {
        i++;
        if (i < left && (p[i] == '+' || p[i] == '-'))
            i++;
        if (i >= left || !is_digit(p[i]))
            return 0;
        while (i < left && is_digit(p[i]))
            i++;
    }
    if (i < left && (is_digit(p[i]) || (p[i] && strchr("+-.eE", p[i]))))
        return 0;
    return i;
}

/* Raw-text checks cJSON does not make: valid UTF-8, no NUL byte, no
 * "\u0000" escape (which cJSON would silently cut the string at), no raw
 * control bytes, and numbers outside strings in strict JSON grammar. */
static int raw_text_ok(json_err *e, const char *buf, size_t len)
{
    const unsigned char *p = (const unsigned char *)buf;
    size_t backslashes = 0;
    int in_string = 0;
    for (size_t i = 0; i < len;) {
        if (!in_string && (p[i] == '-' || is_digit(p[i]))) {
            size_t n = json_number_len(p + i, len - i);
            if (n == 0) {
                json_fail(e, JSON_ERR_INVALID_JSON, NULL,
                          "The body has a malformed number (JSON allows no leading "
                          "zeros, bare '.', '+' or hex).");
                return -1;
            }
            i += n;
            backslashes = 0;
            continue;
        }
        if (p[i] == '"' && backslashes % 2 == 0)
            in_string = !in_string;
        if (p[i] == 0) {
            json_fail(e, JSON_ERR_INVALID_JSON, NULL, "The body contains a NUL byte.");
            return -1;
        }
        /* cJSON skips every byte <= 0x20 as whitespace and keeps raw control
         * bytes in strings; JSON allows only tab, LF and CR between tokens
         * and none unescaped in a string (found by the hostile-client test). */
        if (p[i] < 0x20 && (in_string || (p[i] != '\t' && p[i] != '\n' && p[i] != '\r'))) {
            json_fail(e, JSON_ERR_INVALID_JSON, NULL,
                      "The body contains a control character (byte 0x%02x) %s.", p[i],
                      in_string ? "inside a string; escape it" : "between tokens");
            return -1;
        }
        size_t n = utf8_seq(p + i, len - i);
        if (n == 0) {
            json_fail(e, JSON_ERR_INVALID_JSON, NULL, "The body is not valid UTF-8.");
            return -1;
        }
        if (p[i] == 'u' && backslashes % 2 == 1 && len - i >= 5 &&
            memcmp(p + i + 1, "0000", 4) == 0) {
            json_fail(e, JSON_ERR_INVALID_JSON, NULL,
                      "Strings may not contain \\u0000.");
            return -1;
        }
        backslashes = p[i] == '\\' ? backslashes + 1 : 0;
        i += n;
    }
    return 0;
}

/* Depth and duplicate keys, walking the parsed tree. */
static int tree_ok(json_err *e, const cJSON *item, int depth, const char *path)
{
    if (!cJSON_IsArray(item) && !cJSON_IsObject(item))
        return 0;
    if (depth > JSONIN_MAX_DEPTH) {
        json_fail(e, JSON_ERR_TOO_DEEP, path[0] ? path : NULL,
                  "JSON may nest at most %d levels.", JSONIN_MAX_DEPTH);
        return -1;
    }
    size_t i = 0;
    for (const cJSON *c = item->child; c; c = c->next, i++) {
        char sub[256];
        /* The duplicate check is quadratic: bound the object size first. */
        if (cJSON_IsObject(item) && i >= JSONIN_MAX_KEYS) {
            json_fail(e, JSON_ERR_INVALID_JSON, path[0] ? path : NULL,
                      "An object may have at most %d fields.", JSONIN_MAX_KEYS);
            return -1;
        }
        if (cJSON_IsObject(item)) {
            for (const cJSON *d = item->child; d != c; d = d->next) {
                if (strcmp(d->string, c->string) == 0) {
                    json_path_key(sub, sizeof sub, path, c->string);
                    json_fail(e, JSON_ERR_INVALID_JSON, sub, "Duplicate key '%s'.",
                              c->string);
                    return -1;
                }
            }
            json_path_key(sub, sizeof sub, path, c->string);
        } else {
            json_path_index(sub, sizeof sub, path, i);
        }
        if (tree_ok(e, c, depth + 1, sub) != 0)
            return -1;
    }
    return 0;
}

int json_read_parse(json_err *e, const char *buf, size_t len, cJSON **out)
{
    *out = NULL;
    if (len == 0 || buf == NULL) {
        json_fail(e, JSON_ERR_INVALID_JSON, NULL, "The body is empty.");
        return -1;
    }
    if (raw_text_ok(e, buf, len) != 0)
        return -1;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
    if (!root) {
        json_fail(e, JSON_ERR_INVALID_JSON, NULL, "The body is not valid JSON.");
        return -1;
    }
    while (end && end < buf + len && (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r'))
        end++;
    if (end != buf + len) {
        cJSON_Delete(root);
        json_fail(e, JSON_ERR_INVALID_JSON, NULL,
                  "The body has trailing characters after the JSON value.");
        return -1;
    }
    if (tree_ok(e, root, 1, "") != 0) {
        cJSON_Delete(root);
        return -1;
    }
    *out = root;
    return 0;
}

int json_read_object(json_err *e, const cJSON *obj, const char *path,
                     const char *const *allowed)
{
    if (!cJSON_IsObject(obj)) {
        json_fail(e, path[0] ? JSON_ERR_INVALID_FIELD : JSON_ERR_INVALID_JSON,
                  path[0] ? path : NULL, "%s must be a JSON object.",
                  path[0] ? path : "The body");
        return -1;
    }
    sbuf names;
    sbuf_init(&names);
    size_t unknown = 0;
    char first[256] = "";
    for (const cJSON *c = obj->child; c; c = c->next) {
        int ok = 0;
        for (size_t i = 0; allowed[i]; i++)
            if (strcmp(allowed[i], c->string) == 0)
                ok = 1;
        if (ok)
            continue;
        if (unknown++ == 0)
            json_path_key(first, sizeof first, path, c->string);
        else
            sbuf_puts(&names, ", ");
        char full[256];
        json_path_key(full, sizeof full, path, c->string);
        sbuf_puts(&names, full);
    }
    if (unknown) {
        json_fail(e, JSON_ERR_UNKNOWN_FIELD, unknown == 1 ? first : NULL,
                  "Unknown field%s: %s.", unknown == 1 ? "" : "s",
                  names.data ? names.data : "");
        sbuf_free(&names);
        return -1;
    }
    sbuf_free(&names);
    return 0;
}

/* Look up key; 1 found, 0 absent (and not required), -1 refused (*e set). */
static int field(json_err *e, const cJSON *obj, const char *key, const char *path,
                 int required, const cJSON **item, char *full, size_t n)
{
    json_path_key(full, n, path, key);
    *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (*item && !cJSON_IsNull(*item))
        return 1;
    if (required) {
        json_fail(e, JSON_ERR_MISSING_FIELD, full, "The field %s is required.", full);
        return -1;
    }
    return 0;
}

int json_number_is_int(double v, int64_t min, int64_t max)
{
    return isfinite(v) && v == floor(v) && v >= (double)min && v <= (double)max;
}

int json_read_number(json_err *e, const cJSON *obj, const char *key,
                     const char *path, int required, double *out)
{
    const cJSON *item;
    char full[256];
    int f = field(e, obj, key, path, required, &item, full, sizeof full);
    if (f <= 0)
        return f;
    if (!cJSON_IsNumber(item) || !isfinite(item->valuedouble)) {
        json_fail(e, JSON_ERR_INVALID_FIELD, full, "%s must be a finite number.", full);
        return -1;
    }
    *out = item->valuedouble;
    return 0;
}

int json_read_int(json_err *e, const cJSON *obj, const char *key,
                  const char *path, int required, int64_t min, int64_t max,
                  int64_t *out)
{
    const cJSON *item;
    char full[256];
    int f = field(e, obj, key, path, required, &item, full, sizeof full);
    if (f <= 0)
        return f;
    if (!cJSON_IsNumber(item) || !json_number_is_int(item->valuedouble, min, max)) {
        if (max == JSONIN_NO_MAX)
            json_fail(e, JSON_ERR_INVALID_FIELD, full, "%s must be an integer of at least %lld.",
                      full, (long long)min);
        else
            json_fail(e, JSON_ERR_INVALID_FIELD, full, "%s must be an integer from %lld to %lld.",
                      full, (long long)min, (long long)max);
        return -1;
    }
    *out = (int64_t)item->valuedouble;
    return 0;
}

int json_read_bool(json_err *e, const cJSON *obj, const char *key,
                   const char *path, int required, int *out)
{
    const cJSON *item;
    char full[256];
    int f = field(e, obj, key, path, required, &item, full, sizeof full);
    if (f <= 0)
        return f;
    if (!cJSON_IsBool(item)) {
        json_fail(e, JSON_ERR_INVALID_FIELD, full, "%s must be true or false.", full);
        return -1;
    }
    *out = cJSON_IsTrue(item);
    return 0;
}

int json_read_string(json_err *e, const cJSON *obj, const char *key,
                     const char *path, int required, size_t min_len,
                     size_t max_len, const char **out)
{
    const cJSON *item;
    char full[256];
    int f = field(e, obj, key, path, required, &item, full, sizeof full);
    if (f <= 0)
        return f;
    if (!cJSON_IsString(item) || !item->valuestring) {
        json_fail(e, JSON_ERR_INVALID_FIELD, full, "%s must be a string.", full);
        return -1;
    }
    size_t len = strlen(item->valuestring);
    if (len < min_len || len > max_len) {
        json_fail(e, JSON_ERR_INVALID_FIELD, full,
                  "%s must be %zu to %zu bytes long.", full, min_len, max_len);
        return -1;
    }
    *out = item->valuestring;
    return 0;
}

int json_read_vector(json_err *e, const cJSON *item, const char *path,
                     size_t n, double *out)
{
    if (!cJSON_IsArray(item)) {
        json_fail(e, JSON_ERR_INVALID_FIELD, path, "%s must be an array of numbers.", path);
        return -1;
    }
    size_t i = 0;
    for (const cJSON *c = item->child; c; c = c->next, i++) {
        if (i >= n)
            break;
        if (!cJSON_IsNumber(c) || !isfinite(c->valuedouble)) {
            char sub[256];
            json_path_index(sub, sizeof sub, path, i);
            json_fail(e, JSON_ERR_INVALID_FIELD, sub, "%s must be a finite number.", sub);
            return -1;
        }
        out[i] = c->valuedouble;
    }
    size_t count = (size_t)cJSON_GetArraySize(item);
    if (count != n) {
        json_fail(e, JSON_ERR_INVALID_DIMENSIONS, path,
                  "%s has %zu values; expected %zu.", path, count, n);
        return -1;
    }
    return 0;
}

int json_read_rows(json_err *e, const cJSON *item, const char *path,
                   size_t max_rows, size_t *rows)
{
    if (!cJSON_IsArray(item)) {
        json_fail(e, JSON_ERR_INVALID_FIELD, path, "%s must be an array of arrays.", path);
        return -1;
    }
    size_t n = 0;
    for (const cJSON *c = item->child; c; c = c->next)
        n++;
    if (n == 0) {
        json_fail(e, JSON_ERR_INVALID_DIMENSIONS, path, "%s is empty.", path);
        return -1;
    }
    if (n > max_rows) {
        json_fail(e, JSON_ERR_TOO_MANY, path, "%s has %zu rows; at most %zu allowed.",
                  path, n, max_rows);
        return -1;
    }
    *rows = n;
    return 0;
}

int json_read_matrix(json_err *e, const cJSON *item, const char *path,
                     size_t rows, size_t cols, double *out)
{
    size_t i = 0;
    for (const cJSON *c = item->child; c && i < rows; c = c->next, i++) {
        char sub[256];
        json_path_index(sub, sizeof sub, path, i);
        if (json_read_vector(e, c, sub, cols, out + i * cols) != 0)
            return -1;
    }
    return 0;
}
