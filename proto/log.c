/* SPDX-License-Identifier: Apache-2.0 */
/*
 * stderr logger. Each call formats into one bounded buffer and writes it with
 * a single write(2), so lines of concurrent processes (the agent and its
 * children) do not interleave inside a line. Under journald, lines about a
 * state go through the native journal protocol (libsystemd) instead, with
 * their fields.
 */
/* Journal entries without CODE_FILE/CODE_LINE: they would always name
 * send_native() below, which tells a reader nothing. */
#define SD_JOURNAL_SUPPRESS_LOCATION
#include "log.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>
#include <time.h>
#include <unistd.h>

#include "parse.h"

enum log_form { FORM_PLAIN, FORM_TTY, FORM_JOURNAL };

static enum log_form form = FORM_PLAIN;
static int max_level = OA_LOG_INFO;

static const char *const level_names[8] = {
    [OA_LOG_CRIT] = "CRIT",     [OA_LOG_ERR] = "ERROR", [OA_LOG_WARNING] = "WARNING",
    [OA_LOG_NOTICE] = "NOTICE", [OA_LOG_INFO] = "INFO", [OA_LOG_DEBUG] = "DEBUG",
};

static const char *const level_colours[8] = {
    [OA_LOG_CRIT] = "\033[1;31m", [OA_LOG_ERR] = "\033[31m", [OA_LOG_WARNING] = "\033[33m",
    [OA_LOG_NOTICE] = "\033[1m",  [OA_LOG_INFO] = "",        [OA_LOG_DEBUG] = "\033[2m",
};

/* systemd sets JOURNAL_STREAM to "DEV:INODE" of the stream it connected to
 * stderr; only when they match is stderr really the journal (a child of the
 * service may have redirected it). */
static bool stderr_is_journal(void)
{
    const char *js = getenv("JOURNAL_STREAM"), *colon = js ? strchr(js, ':') : NULL;
    char dev_text[24];
    uint64_t dev, ino;
    struct stat st;

    if (!colon || (size_t)(colon - js) >= sizeof(dev_text))
        return false;
    memcpy(dev_text, js, (size_t)(colon - js));
    dev_text[colon - js] = '\0';
    if (oa_parse_u64(dev_text, UINT64_MAX, &dev) < 0 ||
        oa_parse_u64(colon + 1, UINT64_MAX, &ino) < 0)
        return false;
    if (fstat(STDERR_FILENO, &st) < 0)
        return false;
    return (uint64_t)st.st_dev == dev && (uint64_t)st.st_ino == ino;
}

void oa_log_init(void)
{
    if (stderr_is_journal())
        form = FORM_JOURNAL;
    else if (isatty(STDERR_FILENO))
        form = FORM_TTY;
    else
        form = FORM_PLAIN;
}

void oa_log_set_level(int level)
{
    max_level = level;
}

int oa_log_get_level(void)
{
    return max_level;
}

bool oa_log_enabled(int level)
{
    return level <= max_level;
}

int oa_log_level_parse(const char *name)
{
    static const struct {
        const char *name;
        int level;
    } names[] = {
        {"debug", OA_LOG_DEBUG},     {"info", OA_LOG_INFO},    {"notice", OA_LOG_NOTICE},
        {"warning", OA_LOG_WARNING}, {"warn", OA_LOG_WARNING}, {"error", OA_LOG_ERR},
        {"critical", OA_LOG_CRIT},   {"crit", OA_LOG_CRIT},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcasecmp(name, names[i].name) == 0)
            return names[i].level;
    return -1;
}

const char *oa_log_level_name(int level)
{
    if (level < OA_LOG_CRIT || level > OA_LOG_DEBUG)
        return "?";
    return level_names[level];
}

static size_t put_prefix(char *out, size_t cap, int level)
{
    struct timeval tv;
    struct tm tm;
    char stamp[32];

    if (form == FORM_JOURNAL)
        return (size_t)snprintf(out, cap, "<%d>", level);

    gettimeofday(&tv, NULL);
    localtime_r(&tv.tv_sec, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
    if (form == FORM_TTY)
        return (size_t)snprintf(out, cap, "%s.%03ld %s%-7s\033[0m ", stamp, (long)tv.tv_usec / 1000,
                                level_colours[level], level_names[level]);
    return (size_t)snprintf(out, cap, "%s.%03ld %-7s ", stamp, (long)tv.tv_usec / 1000,
                            level_names[level]);
}

/* A line about a state goes to the journal through its native protocol, so
 * that its fields can be matched (journalctl STATE_ID=…). Returns false when
 * the journal did not take it, and the caller writes it to stderr. */
static bool send_native(int level, const struct oa_log_fields *f, const char *msg)
{
    char prio[32], version[40], id[300], module[160], message[4096 + 16];
    struct iovec iov[6];
    int n = 0;

    snprintf(prio, sizeof(prio), "PRIORITY=%d", level);
    iov[n++] = (struct iovec){(void *)"SYSLOG_IDENTIFIER=opsagent", 26};
    iov[n++] = (struct iovec){prio, strlen(prio)};
    if (f->recipe_version) {
        snprintf(version, sizeof(version), "RECIPE_VERSION=%lld", (long long)f->recipe_version);
        iov[n++] = (struct iovec){version, strlen(version)};
    }
    if (f->state_id) {
        snprintf(id, sizeof(id), "STATE_ID=%.280s", f->state_id);
        iov[n++] = (struct iovec){id, strlen(id)};
    }
    if (f->module) {
        snprintf(module, sizeof(module), "MODULE=%.140s", f->module);
        iov[n++] = (struct iovec){module, strlen(module)};
    }
    /* MESSAGE may hold newlines: the native protocol carries them. */
    snprintf(message, sizeof(message), "MESSAGE=%s", msg);
    iov[n++] = (struct iovec){message, strlen(message)};
    return sd_journal_sendv(iov, n) >= 0;
}

void oa_logv(int level, const struct oa_log_fields *fields, const char *fmt, va_list ap)
{
    char msg[4096], line[4096 + 64];
    const char *p, *nl;
    int saved_errno = errno;
    int n;

    if (level > max_level)
        return;
    if (level < OA_LOG_CRIT)
        level = OA_LOG_CRIT;

    n = vsnprintf(msg, sizeof(msg), fmt, ap);
    if (n >= (int)sizeof(msg))
        memcpy(msg + sizeof(msg) - 5, "...", 4);
    if (form == FORM_JOURNAL && fields && send_native(level, fields, msg)) {
        errno = saved_errno;
        return;
    }

    for (p = msg;; p = nl + 1) {
        size_t len, plen;
        nl = strchr(p, '\n');
        len = nl ? (size_t)(nl - p) : strlen(p);
        plen = put_prefix(line, sizeof(line), level);
        if (plen + len + 1 > sizeof(line))
            len = sizeof(line) - plen - 1;
        memcpy(line + plen, p, len);
        line[plen + len] = '\n';
        (void)!write(STDERR_FILENO, line, plen + len + 1);
        if (!nl || nl[1] == '\0')
            break;
    }
    errno = saved_errno;
}

void oa_logf(int level, const struct oa_log_fields *fields, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    oa_logv(level, fields, fmt, ap);
    va_end(ap);
}
