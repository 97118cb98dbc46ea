/*
 * handlers.h - one function per endpoint (see the route table in routes.c)
 * and the helpers they share (model_reply.c).
 *
 * A handler fills the response through reply.h and returns; request
 * bodies have already passed the Content-Type check for the route.
 */
#ifndef MLPD_SERVER_HANDLERS_H
#define MLPD_SERVER_HANDLERS_H

#include <cJSON.h>

#include "api/api.h"
#include "domain/cache.h"
#include "domain/model.h"
#include "domain/model_meta.h"
#include "api/routes.h"
#include "util/states.h"

#define H(name) void name(app *a, const api_request *req, const route_params *p, api_response *resp)
H(h_model_create);
H(h_model_list);
H(h_model_get);
H(h_model_delete);
H(h_weights_get);
H(h_weights_put);
H(h_samples_add);
H(h_samples_list);
H(h_samples_clear);
H(h_train);
H(h_job_get);
H(h_job_cancel);
H(h_job_events);
H(h_jobs_list);
H(h_history);
H(h_versions_list);
H(h_version_restore);
H(h_predict);
H(h_predict_v1);
H(h_activations);
H(h_evaluate);
H(h_step);
H(h_model_export);
H(h_model_import);
H(h_health);
H(h_metrics);
H(h_openapi);
H(h_web_index);
H(h_web_file);
H(h_model_patch);
H(h_me);
H(h_v2_server);
H(h_v2_model);
H(h_v2_ready);
H(h_v2_infer);
H(h_tfs_metadata);
H(h_exercise_create);
H(h_exercise_list);
H(h_exercise_get);
H(h_exercise_delete);
H(h_attempt_post);
H(h_attempts_list);
H(h_exercise_results);
H(h_exercise_solution);
H(h_dataset_create);
H(h_dataset_list);
H(h_dataset_get);
H(h_dataset_patch);
H(h_dataset_delete);
H(h_dataset_rows);
H(h_dataset_scores);
#undef H

/* api/exercises.c, shared with api/exercise_results.c: the exercise's
 * row and definition (0, or -1 after replying 404/500; on success the
 * caller clears *row), and one attempt's JSON object. */
struct ex_def;
int exercise_or_reply(app *a, api_response *resp, const char *id, st_exercise *row,
                      struct ex_def *def);
void exercise_write_attempt(sbuf *b, const st_attempt *t);
/* Whose variant or attempts: the caller, or ?user=NAME (the teacher may
 * name anyone; a student only themselves, anyone else is 404). Fills
 * id and name; 0, or -1 after replying. */
int exercise_subject_or_reply(app *a, const api_request *req, api_response *resp, char id[17],
                              char name[65]);

/* Per-user series of /metrics (users.c). */
void metrics_users_write(app *a, sbuf *b);

/* ---- model_reply.c: shared by the handlers -------------------------- */

/* The model's row and architecture: 0, or -1 after replying (404, 500...).
 * On success the caller clears *m (st_model_clear). */
int model_get_or_reply(app *a, api_response *resp, const char *id, st_model *m,
                       mlp_spec *spec, model_init *init);

/* The model's meta (classes, feature names, scaling methods) read now;
 * 0, or -1 after replying. The caller clears *meta either way. */
int model_meta_fresh_or_reply(app *a, api_response *resp, const char *id, model_meta *meta);

/* 0 if the model exists, else -1 after replying (404...). */
int model_exists_or_reply(app *a, api_response *resp, const char *id);

/* A reference to the model's network at version (0 = current, served from
 * the cache; n > 0 read from storage, not cached). NULL after replying. */
snapshot *model_net_or_reply(app *a, api_response *resp, const char *id, int64_t version);

/* Store net with its scalers (prep, NULL: none; the caller's) as a new
 * version (source "put", "step", "train") and publish
 * it in the cache. Caller holds the model's write lock. net stays the
 * caller's. 0, or -1 after replying. */
int model_store_or_reply(app *a, api_response *resp, const char *id, const mlp_t *net,
                         const model_prep *prep, version_source source, double loss,
                         int64_t *version);

/* api/predict.c, shared with the KServe v2 infer (api/v2.c) so that
 * both compute alike: the float copy of a float32 model's snapshot
 * (*f32 NULL for float64 models; 0, or -1 after replying), and y = the
 * model on n rows of x in raw units (the version's scalers prep, may be
 * NULL, applied; work: mlp_work_size doubles). */
int predict_f32_or_reply(app *a, api_response *resp, const char *id, snapshot *snap,
                         const mlp_f32_t **f32);
mlp_status predict_forward_rows(const mlp_t *net, const mlp_f32_t *f32, const model_prep *prep,
                                size_t n, const double *x, double *y, double *work);
/* The model's classes through the snapshot (read from storage once per
 * snapshot); 0, or -1 after replying. */
int predict_meta_or_reply(app *a, api_response *resp, const char *id, snapshot *snap,
                          const model_meta **meta);
/* "labels":[...] (the most probable class of each of n rows of y). */
void predict_write_labels(sbuf *b, const model_meta *meta, const double *y, size_t n,
                          size_t width);

/* api/tfserving.c: TF Serving's "model_version_status" (the
 * current version, AVAILABLE) added to a model's JSON. */
void tfs_add_version_status(cJSON *model, int64_t version);

/* api/export_onnx.c: GET export with ?format=onnx (h_model_export hands
 * it over). */
void model_export_onnx(app *a, const api_request *req, const route_params *p,
                       api_response *resp);

/* The export document's format marker (export.c writes it,
 * import.c reads it). */
#define EXPORT_FORMAT "mlpd-model"
#define EXPORT_FORMAT_VERSION 1

/* Check a create body ({"name", "inputs", "layers", "loss", "init"}) into
 * name (points into body), spec and init; -1 after replying
 * (models.c; import reuses it). */
int model_create_body_or_reply(app *a, api_response *resp, const cJSON *body,
                               const char **name, mlp_spec *spec, model_init *init);

/* "preprocessing", "classes", "feature_names" of a create body against
 * spec into *meta (models.c; import reuses it); -1 after replying (the
 * caller clears *meta either way). */
int model_meta_or_reply(api_response *resp, const cJSON *body, const mlp_spec *spec,
                        model_meta *meta);

/* [{"weights": [[..]], "biases": [..]}, ...] of net, as GET weights shows
 * it (weights.c). */
void weights_write_layers(sbuf *b, const mlp_t *net);
/* Copy body's "layers" (that shape, checked: sizes, finite numbers) into
 * net; prefix names body in messages ("" at top level). -1 after replying. */
int weights_layers_or_reply(api_response *resp, const cJSON *body, const char *prefix,
                            mlp_t *net);

/* The scalers as GET weights shows them (the object after
 * "preprocessing":), prep NULL as the identity (weights.c). */
void weights_write_prep(sbuf *b, const model_prep *prep, const mlp_t *net);
/* 1 if prep has a scaling method (then GET weights and export show it). */
int weights_have_prep(const model_prep *prep);
/* body's optional "preprocessing" into *out (NULL when absent: keep
 * current); -1 after replying. */
int weights_prep_or_reply(api_response *resp, const cJSON *body, const char *prefix,
                          const mlp_t *net, model_prep **out);

/* The model's JSON object (for create, get, list). NULL if out of memory. */
cJSON *model_to_json(const st_model *m, const mlp_spec *spec, const model_init *init);

/* Striped per-model write lock (step, PUT weights, restore, train publish). */
pthread_mutex_t *model_lock(app *a, const char *id);

/* ?version=n (>= 1) into *version (0 when absent); -1 after replying. */
int query_version_or_reply(const api_request *req, api_response *resp, int64_t *version);
/* An unsigned integer query parameter in [min, max]; absent keeps *out. */
int query_uint_or_reply(const api_request *req, api_response *resp, const char *key,
                        uint64_t min, uint64_t max, uint64_t *out);

/* Job JSON (for train, get, list). reason NULL: the stored one, or
 * for rows from before schema 0002 derived from the row: cancelled,
 * diverged (failed with "diverged..."), target_loss, epochs, timeout,
 * early_stopping, else stopped. */
cJSON *job_to_json(const st_job *j, const char *reason);

/* jobs.c: the job's JSON with live values while it runs (epoch,
 * losses from the worker's memory) and elapsed_seconds, eta_seconds; a NULL
 * app (event streams) gives what storage holds. */
cJSON *job_to_json_live(app *a, st_job *j);
/* jobs.c: answer with the job once it has ended (200) or at
 * deadline (clock_mono(); 202 with the job as it is then). When the caller
 * can defer (resp->can_defer) the connection is parked and polled, so no
 * HTTP thread waits; otherwise this call blocks. */
void job_wait_reply(app *a, const char *job_id, double deadline, api_response *resp);

#endif
