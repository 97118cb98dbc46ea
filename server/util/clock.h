/*
 * clock.h - the two clocks the daemon reads, in seconds as doubles.
 */
#ifndef MLPD_UTIL_CLOCK_H
#define MLPD_UTIL_CLOCK_H

/* CLOCK_MONOTONIC: for durations, deadlines and timeouts. */
double clock_mono(void);
/* CLOCK_REALTIME: for timestamps that are shown or stored. */
double clock_unix(void);

#endif
