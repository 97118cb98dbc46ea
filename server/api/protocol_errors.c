/*
 * protocol_errors.c - {"error": "text"} on KServe v2 and TF Serving
 * routes (see protocol_errors.h).
 */
#include "api/protocol_errors.h"

#include <cJSON.h>
#include <string.h>

#include "api/reply.h"

int protocol_plain_errors(const char *path)
{
    size_t n = strlen(path), m = strlen(":predict");
    if (strcmp(path, "/v2") == 0 || strncmp(path, "/v2/", 4) == 0)
        return 1;
    return strncmp(path, "/v1/models/", 11) == 0 && n > m && strcmp(path + n - m, ":predict") == 0;
}

void protocol_errors_reshape(const api_request *req, api_response *resp)
{
    if (resp->status < 400 || !req->path || !protocol_plain_errors(req->path) ||
        !resp->content_type || strcmp(resp->content_type, CT_JSON) != 0)
        return;
    cJSON *root = cJSON_ParseWithLength(resp->body.data ? resp->body.data : "", resp->body.len);
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(root, "error");
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(err, "message");
    if (cJSON_IsString(msg) && msg->valuestring) {
        cJSON *plain = cJSON_CreateObject();
        if (plain && cJSON_AddStringToObject(plain, "error", msg->valuestring))
            reply_json(resp, resp->status, plain);
        else
            cJSON_Delete(plain);
    }
    cJSON_Delete(root);
}
