/*
 * states.c - the names tables of states.h.
 */
#include "util/states.h"

#include <stddef.h>
#include <string.h>

static const char *const status_names[] = {
#define X(e, name) name,
    JOB_STATUSES(X)
#undef X
};

static const char *const stop_names[] = {
    "",
#define X(e, name) name,
    STOP_REASONS(X)
#undef X
};

static const char *const source_names[] = {
#define X(e, name) name,
    VERSION_SOURCES(X)
#undef X
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static int index_of(const char *const *names, size_t n, const char *name)
{
    for (size_t i = 0; name && i < n; i++)
        if (strcmp(names[i], name) == 0)
            return (int)i;
    return -1;
}

const char *job_status_name(job_status s)
{
    return (unsigned)s < COUNT(status_names) ? status_names[s] : NULL;
}

const char *stop_reason_name(stop_reason r)
{
    return (unsigned)r < COUNT(stop_names) ? stop_names[r] : NULL;
}

const char *version_source_name(version_source s)
{
    return (unsigned)s < COUNT(source_names) ? source_names[s] : NULL;
}

int job_status_from_name(const char *name, job_status *out)
{
    int i = index_of(status_names, COUNT(status_names), name);
    if (i >= 0)
        *out = (job_status)i;
    return i >= 0 ? 0 : -1;
}

int stop_reason_from_name(const char *name, stop_reason *out)
{
    int i = index_of(stop_names, COUNT(stop_names), name);
    if (i >= 0)
        *out = (stop_reason)i;
    return i >= 0 ? 0 : -1;
}

int version_source_from_name(const char *name, version_source *out)
{
    int i = index_of(source_names, COUNT(source_names), name);
    if (i >= 0)
        *out = (version_source)i;
    return i >= 0 ? 0 : -1;
}

int job_status_is(const char *name, job_status s)
{
    const char *want = job_status_name(s);
    return name && want && strcmp(name, want) == 0;
}

int job_ended(job_status s)
{
    return s == JOB_SUCCEEDED || s == JOB_FAILED || s == JOB_CANCELLED;
}

int job_ended_name(const char *status)
{
    job_status s;
    return job_status_from_name(status, &s) != 0 || job_ended(s);
}
