/*
 * datasets_api.h - what the dataset handlers (api/datasets.c,
 * api/dataset_use.c) share with the samples and evaluate handlers.
 */
#ifndef MLPD_API_DATASETS_API_H
#define MLPD_API_DATASETS_API_H

#include "api/api.h"
#include "api/routes.h"
#include "storage/datasets.h"

/* The caller owns the dataset (or is an admin). */
int dataset_is_owner(const api_request *req, const st_dataset *d);
/* The dataset the caller may read (theirs, or a "class" one; another
 * user's private one is 404 "No such dataset."); need_owner: 403 for a
 * reader who is not its owner. 0 (*d filled: st_dataset_clear it), or -1
 * after replying. */
int dataset_or_reply(app *a, const api_request *req, api_response *resp, const char *id,
                     int need_owner, st_dataset *d);

/* POST /v1/models/{id}/samples or /evaluate with {"dataset": "ID", ...}:
 * 1 when the body is such a request (JSON naming "dataset", no
 * ?generate=). */
int body_names_dataset(const api_request *req);
/* Copy the dataset's training rows into the model (one statement in
 * storage), against the model owner's sample quota; 201 {"added",
 * "total", "dataset"}. */
void samples_from_dataset(app *a, const api_request *req, const route_params *p,
                          api_response *resp);

/* POST /v1/models/{id}/evaluate with {"dataset": "ID", "split":
 * "test"|"train"} (the default test): checks the body, then
 * dataset_evaluate_reply with ?version=n. */
void evaluate_on_dataset(app *a, const api_request *req, const route_params *p,
                         api_response *resp);

/* Score the model (version 0: current) on a dataset's rows of one side
 * (test 1: the held-back rows) and answer {"version", "n", "loss",
 * "metrics", "dataset", "split", and for the test side "score": the
 * caller's best}. Nothing of a row is in the answer. */
void dataset_evaluate_reply(app *a, const api_request *req, api_response *resp,
                            const char *model_id, const char *dataset_id, int test,
                            int64_t version);

#endif
