/*
 * sse.h - server-sent events of a training job (GET /v1/jobs/{id}/events):
 * the text of each event and the per-client stream state that polls
 * storage for what is new.
 *
 * Events, in order:
 *   event: state   the job (as GET /v1/jobs/{id}) at connect and whenever
 *                  its status changes while it has not ended;
 *   id: <epoch>    one per epoch: {"epoch", "loss", "val_loss", "time"};
 *   event: epoch
 *   event: progress  the job (as state) after SSE_PROGRESS seconds in which
 *                  a running job sent nothing else: a long epoch shows its
 *                  elapsed time once a second, not only when it ends;
 *   event: end     the final job, after its last epoch; the stream closes;
 *   event: error   {"error": {...}} if the job disappears (its model was
 *                  deleted) or storage keeps failing; the stream closes.
 * A ": keep-alive" comment goes out when nothing else was sent for a while.
 *
 * The end is sent when the job row is final and every epoch stored up to
 * then has been sent: the job is read before its epochs, so a writer that
 * stores the history before the final status loses nothing.
 */
#ifndef MLPD_SERVER_SSE_H
#define MLPD_SERVER_SSE_H

#include <stdatomic.h>
#include <stdint.h>

#include "api/api.h"
#include "util/sbuf.h"
#include "storage/storage.h"

/* Epochs read from storage per call at most (bounds memory per call). */
#define SSE_BATCH 256
/* Seconds without an event of a running job before a progress event. */
#define SSE_PROGRESS 1.0
/* Seconds of silence before a keep-alive comment. */
#define SSE_KEEPALIVE 15.0
/* Consecutive failed storage reads (one per call) before giving up. */
#define SSE_MAX_ERRORS 40

/* One event: "id: ...\n" (when id is not NULL), "event: ...\n", one
 * "data: " line per line of data, then a blank line. CR and LF in id or
 * event are dropped (they would end the field). */
void sse_event(sbuf *out, const char *event, const char *id, const char *data);
/* ": text\n\n" - a comment, ignored by clients; keeps proxies from
 * closing an idle stream. */
void sse_comment(sbuf *out, const char *text);
/* The epoch event: id = epoch number, data = {"epoch","loss","val_loss","time"}. */
void sse_epoch_event(sbuf *out, const st_epoch *e);

/* Count an open stream in *count unless max are open; 0 if admitted. */
int sse_admit(atomic_long *count, long max);

typedef struct sse_stream sse_stream;

/* A stream of job_id's events resuming after epoch `after` (-1: from the
 * start); count (may be NULL) is released when the stream is closed.
 * NULL if out of memory (count is then not released: the caller does). */
sse_stream *sse_open(storage *st, const char *job_id, int64_t after, atomic_long *count,
                     double now);
/* Append what is new since the last call, at time now (monotonic seconds).
 * 1 while the stream goes on (possibly with nothing appended), 0 when it
 * ended (its last bytes appended). */
int sse_produce(sse_stream *s, sbuf *out, double now);
/* Free the stream and release its count. Accepts NULL. */
void sse_close(sse_stream *s);
/* s as an api_stream (produce on the monotonic clock, free = sse_close). */
api_stream sse_api_stream(sse_stream *s);

/* Monotonic seconds. */
double sse_now(void);

#endif
