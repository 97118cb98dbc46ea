/*
 * fuzz_common.h - shared by the libFuzzer targets tests/fuzz/fuzz_*.c and
 * by their replay driver (replay_main.c).
 *
 * guarded_copy: the input copied so that its last byte sits right before
 * an unmapped page. libFuzzer's own buffer is a heap block that ASan
 * watches only for instrumented code; Debian's libcjson is not
 * instrumented, so a read past the body inside cJSON (RELIABILITY.md
 * finding 9) would go unseen. With the guard page it faults.
 *
 * fuzz_env: a daemon's app over a fresh SQLite file in a temp directory
 * (on /dev/shm when there is one, so fsync costs nothing), with one model
 * (the lecture's 2-3-1), a few samples, one finished job and one exercise,
 * and one class dataset, created once per process and recreated by fuzz_env_reset when the
 * fuzzer has changed too much.
 */
#ifndef MLPD_FUZZ_COMMON_H
#define MLPD_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "app.h"

#define FUZZ_MAX_INPUT (1u << 20)

/* Copy data into the guarded region; returns its start (valid for len
 * bytes; the next byte is unmapped). len <= FUZZ_MAX_INPUT. */
const char *guarded_copy(const uint8_t *data, size_t len);

typedef struct fuzz_env {
    char dir[64];
    char db[128];
    storage *st;
    mlpd_config cfg;
    app a;
    char model_id[17];
    char job_id[17];
    char exercise_id[17]; /* the lecture's 2-3-1, two steps */
    char dataset_id[17];  /* 5 rows, classes a and b, 2 held back */
    unsigned long runs; /* since the last reset */
} fuzz_env;

/* The process's environment, set up on first use (aborts if it cannot). */
fuzz_env *fuzz_env_get(void);
/* Drop the database and start again (model, samples and job anew). */
void fuzz_env_reset(fuzz_env *e);

/* Call api_handle and check what every response must satisfy: a status
 * from 200 to 499 or 503 (an explicit "try again"), and a
 * JSON body that parses for application/json responses. Aborts otherwise
 * (so the fuzzer reports it). Returns the status. */
int fuzz_call(fuzz_env *e, const api_request *req);

#endif
