/*
 * status.h - what a domain service answers instead of a reply: DOM_OK, or
 * why not, with the field it names and a sentence. The API's
 * "..._or_reply" wrappers turn it into the HTTP error (reply_dom_error);
 * the job worker writes the sentence into the job's error.
 */
#ifndef MLPD_DOMAIN_STATUS_H
#define MLPD_DOMAIN_STATUS_H

#include "storage/storage.h"

typedef enum dom_code {
    DOM_OK = 0,
    DOM_STORAGE,   /* storage refused: .st says why */
    DOM_NOT_FOUND, /* no such thing (.field names it when it is a parameter) */
    DOM_INVALID,   /* a value is not acceptable */
    DOM_CORRUPT,   /* what is stored is damaged */
    DOM_NOMEM,
    DOM_INTERNAL
} dom_code;

typedef struct dom_status {
    dom_code code;
    st_status st;        /* with DOM_STORAGE */
    const char *field;   /* static text or NULL */
    char reason[160];    /* "" for the error's default sentence */
} dom_status;

dom_status dom_ok(void);
dom_status dom_storage(st_status s);
dom_status dom_fail(dom_code code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
