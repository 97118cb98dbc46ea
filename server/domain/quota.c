/*
 * quota.c - what a user has used of the day's training time (see quota.h).
 */
#include "domain/quota.h"

#include <time.h>

void quota_today(char day[11], double *to_midnight)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(day, 11, "%Y-%m-%d", &tm);
    if (to_midnight)
        *to_midnight = 86400.0 - (double)(tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec);
}

double quota_used_today(storage *st, const char *owner, double *to_midnight)
{
    char day[11];
    double used = 0;
    quota_today(day, to_midnight);
    storage_usage_get(st, owner, day, &used);
    return used;
}

void quota_charge_training(storage *st, const char *owner, double seconds)
{
    if (!owner || !owner[0] || !(seconds > 0))
        return;
    char day[11];
    quota_today(day, NULL);
    storage_usage_add(st, owner, day, seconds);
}
