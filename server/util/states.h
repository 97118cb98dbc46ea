/*
 * states.h - the states a job and a weights version can be in, as enums
 * with one names table each. The names are what JSON shows and what
 * storage keeps as text; everything between uses the enums.
 */
#ifndef MLPD_UTIL_STATES_H
#define MLPD_UTIL_STATES_H

/* X(enum suffix, name) */
#define JOB_STATUSES(X)                                                                  \
    X(QUEUED, "queued") X(RUNNING, "running") X(SUCCEEDED, "succeeded")                  \
    X(FAILED, "failed") X(CANCELLED, "cancelled")

typedef enum job_status {
#define X(e, name) JOB_##e,
    JOB_STATUSES(X)
#undef X
    JOB_STATUS_COUNT_
} job_status;

/* Why an ended job stopped. The first six and plateau (reduce_on_plateau at
 * its floor) are the core's (mlp_stop_name). */
#define STOP_REASONS(X)                                                                  \
    X(EPOCHS, "epochs") X(TARGET_LOSS, "target_loss") X(EARLY_STOPPING, "early_stopping")\
    X(CANCELLED, "cancelled") X(STOPPED, "stopped") X(DIVERGED, "diverged")              \
    X(TIMEOUT, "timeout") X(INTERRUPTED, "interrupted") X(ERROR, "error")              \
    X(PLATEAU, "plateau")

typedef enum stop_reason {
    STOP_NONE = 0, /* still queued or running (stored as '') */
#define X(e, name) STOP_##e,
    STOP_REASONS(X)
#undef X
    STOP_REASON_COUNT_
} stop_reason;

/* Where a weights version came from. */
#define VERSION_SOURCES(X)                                                               \
    X(INIT, "init") X(PUT, "put") X(STEP, "step") X(TRAIN, "train")                      \
    X(RESTORE, "restore") X(CHECKPOINT, "checkpoint")

typedef enum version_source {
#define X(e, name) SOURCE_##e,
    VERSION_SOURCES(X)
#undef X
    VERSION_SOURCE_COUNT_
} version_source;

/* Names; NULL for a value outside the enum (STOP_NONE: ""). */
const char *job_status_name(job_status s);
const char *stop_reason_name(stop_reason r);
const char *version_source_name(version_source s);

/* Name to enum: 0 and *out, or -1 for an unknown name. "" is STOP_NONE. */
int job_status_from_name(const char *name, job_status *out);
int stop_reason_from_name(const char *name, stop_reason *out);
int version_source_from_name(const char *name, version_source *out);

/* Is the stored name that of s? */
int job_status_is(const char *name, job_status s);

/* 1 once a job can change no more: succeeded, failed or cancelled. */
int job_ended(job_status s);
/* The same from a stored name (an unknown name counts as ended: nothing
 * will run it). */
int job_ended_name(const char *status);

#endif
