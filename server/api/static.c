/*
 * static.c - the lab page: GET / (index.html) and GET /web/<file>
 * from the table compiled into the binary (web_files.h).
 *
 * Caching: an ETag per file and "Cache-Control: no-cache", so a browser
 * revalidates (304, no body) and never keeps a page older than the binary.
 * A Content-Security-Policy allows only this origin's own scripts, styles
 * and requests: the page works offline and cannot load anything else
 * (the ONNX demo page may also compile WebAssembly).
 */
#include <string.h>

#include "api/handlers.h"
#include "api/reply.h"
#include "api/web_files.h"

#define WEB_PREFIX "/web/"
#define WEB_CSP_REST                                                                   \
    "style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; "    \
    "form-action 'none'; frame-ancestors 'none'"
#define WEB_CSP "default-src 'none'; script-src 'self'; " WEB_CSP_REST
/* The ONNX demo compiles onnxruntime-web's WebAssembly: that page (only)
 * may, still from this origin alone. */
#define WEB_CSP_WASM "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; " WEB_CSP_REST
#define WEB_WASM_PAGE "onnx.html"

static const web_file *web_find(const char *name)
{
    for (size_t i = 0; i < web_files_count; i++)
        if (strcmp(web_files[i].name, name) == 0)
            return &web_files[i];
    return NULL;
}

/* Does an If-None-Match list ("a", W/"b", or *) name this ETag? */
static int etag_matches(const char *inm, const char *etag)
{
    if (!inm)
        return 0;
    if (strstr(inm, etag))
        return 1;
    while (*inm == ' ')
        inm++;
    return strcmp(inm, "*") == 0;
}

static void serve(const api_request *req, api_response *resp, const char *name)
{
    const web_file *f = web_find(name);
    if (!f) {
        reply_error(resp, API_ERR_NOT_FOUND, NULL, "No such file in the lab page.");
        return;
    }
    if (etag_matches(api_header(req, "If-None-Match"), f->etag))
        reply_text(resp, 304, f->type, "", 0);
    else
        reply_text(resp, 200, f->type, (const char *)f->data, f->len);
    if (resp->status != 200 && resp->status != 304)
        return; /* out of memory: the JSON error stands */
    api_response_header(resp, "ETag", f->etag);
    api_response_header(resp, "Cache-Control", "no-cache");
    api_response_header(resp, "Content-Security-Policy",
                        strcmp(name, WEB_WASM_PAGE) == 0 ? WEB_CSP_WASM : WEB_CSP);
}

void h_web_index(app *a, const api_request *req, const route_params *p, api_response *resp)
{
    (void)a;
    (void)p;
    serve(req, resp, "index.html");
}

/* The route matched /web/{id}.ext, so the rest of the path is one safe
 * file name ([A-Za-z0-9_-] then a known extension). */
void h_web_file(app *a, const api_request *req, const route_params *p, api_response *resp)
{
    (void)a;
    (void)p;
    serve(req, resp, req->path + strlen(WEB_PREFIX));
}
