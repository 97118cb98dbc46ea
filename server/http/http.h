/*
 * http.h - libmicrohttpd glue: turns connections into api_handle calls.
 */
#ifndef MLPD_SERVER_HTTP_H
#define MLPD_SERVER_HTTP_H

#include <stddef.h>

#include "api/api.h"
#include "util/config.h"

typedef struct http_server http_server;

/* Listen on cfg->bind:cfg->port with a thread pool. NULL on failure with
 * a sentence in err. */
http_server *http_start(app *a, const mlpd_config *cfg, char *err, size_t errlen);
/* Stop accepting new connections (those open are still served). */
void http_quiesce(http_server *h);
/* Stop accepting, finish or close connections, free. Accepts NULL. */
void http_stop(http_server *h);

#endif
