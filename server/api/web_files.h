/*
 * web_files.h - the lab page's static files, compiled into the binary
 * (scripts/embed-web.sh writes the table from server/web/ at build time).
 */
#ifndef MLPD_SERVER_WEB_FILES_H
#define MLPD_SERVER_WEB_FILES_H

#include <stddef.h>

typedef struct web_file {
    const char *name;         /* base name, "app.js" */
    const char *type;         /* Content-Type */
    const unsigned char *data;
    size_t len;
    const char *etag;         /* quoted, "\"0123456789abcdef\"" */
} web_file;

extern const web_file web_files[]; /* ends with a zeroed entry */
extern const size_t web_files_count;

#endif
