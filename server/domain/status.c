/*
 * status.c - building dom_status values (see status.h).
 */
#include "domain/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

dom_status dom_ok(void)
{
    dom_status s;
    memset(&s, 0, sizeof s);
    return s;
}

dom_status dom_storage(st_status st)
{
    dom_status s = dom_ok();
    s.code = st == ST_OK ? DOM_OK : DOM_STORAGE;
    s.st = st;
    return s;
}

dom_status dom_fail(dom_code code, const char *field, const char *fmt, ...)
{
    dom_status s = dom_ok();
    s.code = code;
    s.field = field;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(s.reason, sizeof s.reason, fmt, ap);
        va_end(ap);
    }
    return s;
}
