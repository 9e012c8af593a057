/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Logging to stderr, the only log output of the agent. Levels are syslog
 * priorities. Under systemd (stderr is the stream named by $JOURNAL_STREAM)
 * each line starts with "<N>" so that journald keeps the level, and a line
 * with fields (about one state) is sent with the native journal protocol,
 * carrying RECIPE_VERSION, STATE_ID and MODULE; on a terminal a line is
 * "time level message", coloured only on a tty.
 *
 * The output form and the level are process-wide settings (the only mutable
 * globals the house style allows besides parsed command-line values). Code in
 * proto/ logs at debug level at most; the agent code that decides logs once.
 * Never pass secrets (the token, passwords) to these functions.
 */
#ifndef OA_LOG_H
#define OA_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

enum oa_log_level {
    OA_LOG_CRIT = 2,    /* we are exiting */
    OA_LOG_ERR = 3,     /* an operation we own failed and we gave up on it */
    OA_LOG_WARNING = 4, /* it failed and we carry on */
    OA_LOG_NOTICE = 5,  /* an important normal event */
    OA_LOG_INFO = 6,    /* a state started or finished; a connection attempt */
    OA_LOG_DEBUG = 7,   /* transitions, messages in and out, child spawns */
};

/* Journal fields of a line about one state (design.md, Logging). Any member
 * may be unset: recipe_version 0, NULL strings. */
struct oa_log_fields {
    int64_t recipe_version;
    const char *state_id;
    const char *module;
};

/* Chooses the output form from stderr: journald when $JOURNAL_STREAM names
 * it, terminal (with colour) when it is a tty, plain otherwise. */
void oa_log_init(void);
void oa_log_set_level(int max_level);
int oa_log_get_level(void);
bool oa_log_enabled(int level);

/* Parses DEBUG, INFO, NOTICE, WARNING (WARN), ERROR, CRITICAL, any case.
 * Returns the level or -1. */
int oa_log_level_parse(const char *name);
const char *oa_log_level_name(int level);

/* Logs one message. A message with newlines becomes one line per line, each
 * with its own prefix, so that journald keeps them together by level. */
void oa_logf(int level, const struct oa_log_fields *fields, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void oa_logv(int level, const struct oa_log_fields *fields, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

#define oa_log(level, ...) oa_logf((level), NULL, __VA_ARGS__)
#define oa_debug(...) oa_logf(OA_LOG_DEBUG, NULL, __VA_ARGS__)

#endif
