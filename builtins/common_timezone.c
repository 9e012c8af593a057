/* SPDX-License-Identifier: Apache-2.0 */
/*
 * common.timezone (modules.md §8.1): the system time zone and, when asked,
 * whether the hardware clock keeps UTC or local time. Where systemd runs,
 * timedatectl does both; elsewhere /etc/localtime becomes a symlink to the
 * zoneinfo file (replaced atomically), the zone's name goes to
 * /etc/timezone (Debian) or ZONE= of /etc/sysconfig/clock (RHEL 6), and the
 * clock mode to the third line of /etc/adjtime (or UTC= of the old files
 * where there is no adjtime). The hardware clock itself is never touched.
 * The pure helpers are in common_timezone.h for the unit tests.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common_timezone.h"
#include "fsutil.h"
#include "modules.h"
#include "osinfo.h"
#include "parse.h"
#include "tool.h"

#define ZONEINFO "/usr/share/zoneinfo"
#define LOCALTIME "/etc/localtime"
#define TIMEZONE_FILE "/etc/timezone"
#define ADJTIME "/etc/adjtime"
#define RCS_FILE "/etc/default/rcS"
#define CLOCK_FILE "/etc/sysconfig/clock"
#define TZ_FILE_MAX (1u << 20)
#define ZONE_MAX 256

bool oa_tz_name_ok(const char *name)
{
    size_t n = strlen(name);

    if (n == 0 || n >= ZONE_MAX || name[0] == '/')
        return false;
    if (strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._+-/") != n)
        return false;
    for (const char *c = name;; c++) {
        size_t len = strcspn(c, "/");
        if (len == 0 || strncmp(c, ".", len) == 0 || strncmp(c, "..", len) == 0)
            return false;
        c += len;
        if (!*c)
            return true;
    }
}

static bool blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* The line at *p without its end and surrounding blanks; *p moves on. */
static const char *next_line(const char **p, size_t *ret_len)
{
    const char *s = *p, *end;
    size_t len = strcspn(s, "\n");

    *p = s + len + (s[len] == '\n');
    end = s + len;
    while (s < end && blank(*s))
        s++;
    while (end > s && blank(end[-1]))
        end--;
    *ret_len = (size_t)(end - s);
    return s;
}

int oa_tz_adjtime_utc(const char *text)
{
    const char *p = text, *line = NULL;
    size_t len = 0;

    for (int i = 0; i < 3; i++) {
        if (!*p)
            return -1;
        line = next_line(&p, &len);
    }
    if (len == 3 && memcmp(line, "UTC", 3) == 0)
        return 1;
    if (len == 5 && memcmp(line, "LOCAL", 5) == 0)
        return 0;
    return -1;
}

int oa_tz_adjtime_set(const char *text, bool utc, struct oa_buf *ret)
{
    static const char *const neutral[2] = {"0.0 0 0.0", "0"};
    const char *p = text;
    int r = 0;

    for (int i = 0; i < 2 && r == 0; i++) {
        size_t len = strcspn(p, "\n");
        if (*p) {
            r = oa_buf_append(ret, p, len);
            p += len + (p[len] == '\n');
        } else {
            r = oa_buf_puts(ret, neutral[i]);
        }
        if (r == 0)
            r = oa_buf_puts(ret, "\n");
    }
    return r ? r : oa_buf_puts(ret, utc ? "UTC\n" : "LOCAL\n");
}

/* Whether line (already trimmed) sets key; *value gets what follows '='. */
static bool sets_key(const char *line, size_t len, const char *key, const char **value)
{
    size_t klen = strlen(key);

    if (len < klen + 1 || memcmp(line, key, klen) != 0 || line[klen] != '=')
        return false;
    *value = line + klen + 1;
    return true;
}

bool oa_tz_shell_get(const char *text, const char *key, char *buf, size_t len)
{
    bool found = false;

    for (const char *p = text; *p;) {
        size_t n;
        const char *line = next_line(&p, &n), *v;
        if (!sets_key(line, n, key, &v))
            continue;
        size_t vlen = n - (size_t)(v - line);
        if (vlen >= 2 && (v[0] == '"' || v[0] == '\'') && v[vlen - 1] == v[0]) {
            v++;
            vlen -= 2;
        }
        if (vlen >= len)
            continue;
        memcpy(buf, v, vlen);
        buf[vlen] = '\0';
        found = true;
    }
    return found;
}

int oa_tz_shell_set(const char *text, const char *key, const char *value, struct oa_buf *ret)
{
    bool done = false;
    int r = 0;

    for (const char *p = text; *p && r == 0;) {
        const char *start = p, *v;
        size_t n, raw = strcspn(p, "\n");
        const char *line = next_line(&p, &n);
        if (sets_key(line, n, key, &v)) {
            r = oa_buf_printf(ret, "%s=%s\n", key, value);
            done = true;
        } else {
            r = oa_buf_append(ret, start, raw);
            if (r == 0)
                r = oa_buf_puts(ret, "\n");
        }
    }
    if (r == 0 && !done)
        r = oa_buf_printf(ret, "%s=%s\n", key, value);
    return r;
}

void oa_tz_timedatectl_argv(const char *name, bool utc, const char *argv[4])
{
    argv[0] = "timedatectl";
    argv[1] = name ? "set-timezone" : "set-local-rtc";
    argv[2] = name ? name : (utc ? "0" : "1");
    argv[3] = NULL;
}

static const struct oa_param_spec tz_params[] = {
    {"name", OA_PT_LINE, OA_PF_REQUIRED},
    /* Absent → the hardware clock is left alone (module.json says true). */
    {"use-utc", OA_PT_BOOL, 0},
};

/* Where the hardware clock mode is read from and written to. */
enum clock_src { SRC_ADJTIME, SRC_RCS, SRC_SYSCLOCK, SRC_NONE };

struct tz_state {
    char zone[ZONE_MAX]; /* the zone the host names, "" when it names none */
    bool zone_ok;        /* /etc/localtime and the names say the wanted zone */
    enum clock_src src;
    bool utc; /* the hardware clock keeps UTC */
};

static int read_file(const char *path, struct oa_buf *b)
{
    char chunk[4096];
    int fd = open(path, O_RDONLY | O_CLOEXEC), r = 0;
    ssize_t n;

    oa_buf_reset(b);
    if (fd < 0)
        return -errno;
    while (r == 0 && (n = read(fd, chunk, sizeof(chunk))) != 0) {
        if (n < 0)
            r = errno == EINTR ? 0 : -errno;
        else
            r = oa_buf_append(b, chunk, (size_t)n);
    }
    close(fd);
    return r;
}

static const char *text_of(const struct oa_buf *b)
{
    return b->data ? b->data : "";
}

static bool same_content(const char *a, const char *b)
{
    struct oa_buf x, y;
    bool same;

    oa_buf_init(&x, TZ_FILE_MAX);
    oa_buf_init(&y, TZ_FILE_MAX);
    same = read_file(a, &x) == 0 && read_file(b, &y) == 0 && x.len == y.len &&
           memcmp(text_of(&x), text_of(&y), x.len) == 0;
    oa_buf_done(&x);
    oa_buf_done(&y);
    return same;
}

/* The first line of a file, trimmed, into buf ("" when unreadable). */
static bool first_line(const char *path, char *buf, size_t len)
{
    struct oa_buf b;
    const char *p, *line;
    size_t n;
    bool ok;

    oa_buf_init(&b, TZ_FILE_MAX);
    ok = read_file(path, &b) == 0;
    p = text_of(&b);
    line = next_line(&p, &n);
    ok = ok && n < len;
    snprintf(buf, len, "%.*s", ok ? (int)n : 0, line);
    oa_buf_done(&b);
    return ok;
}

static bool shell_value(const char *path, const char *key, char *buf, size_t len)
{
    struct oa_buf b;
    bool ok;

    oa_buf_init(&b, TZ_FILE_MAX);
    ok = read_file(path, &b) == 0 && oa_tz_shell_get(text_of(&b), key, buf, len);
    oa_buf_done(&b);
    return ok;
}

/* Takes a name the host records: it must be the wanted one, and the
 * comment shows it when it is not (or when the link named none). */
static void note_name(struct tz_state *st, const char *name, const char *recorded, bool linked)
{
    if (!linked || strcmp(recorded, name) != 0)
        snprintf(st->zone, sizeof(st->zone), "%s", recorded);
    st->zone_ok = st->zone_ok && strcmp(recorded, name) == 0;
}

/* The zone: its content must be the wanted file's (the original compared
 * content), and where the host records a name (the symlink, /etc/timezone,
 * ZONE=), that name must be the wanted one, or links of one zone to
 * another (Asia/Chongqing → Asia/Shanghai) could never be chosen. */
static void zone_read(const char *name, const char *zonefile, const struct oa_osinfo *os,
                      struct tz_state *st)
{
    char link[PATH_MAX], recorded[ZONE_MAX];
    ssize_t n = readlink(LOCALTIME, link, sizeof(link) - 1);
    const char *z = NULL;

    st->zone[0] = '\0';
    st->zone_ok = same_content(LOCALTIME, zonefile);
    if (n > 0) {
        link[n] = '\0';
        if ((z = strstr(link, "zoneinfo/")))
            snprintf(st->zone, sizeof(st->zone), "%s", z + strlen("zoneinfo/"));
        st->zone_ok = st->zone_ok && (!z || strcmp(st->zone, name) == 0);
    }
    if (os->family == OA_OS_DEBIAN && first_line(TIMEZONE_FILE, recorded, sizeof(recorded)))
        note_name(st, name, recorded, z != NULL);
    if (os->family == OA_OS_RHEL && shell_value(CLOCK_FILE, "ZONE", recorded, sizeof(recorded)))
        note_name(st, name, recorded, z != NULL);
}

static void clock_read(struct tz_state *st)
{
    struct oa_buf b;
    char value[32];
    bool v;

    oa_buf_init(&b, TZ_FILE_MAX);
    st->src = SRC_NONE;
    st->utc = true; /* hwclock's assumption without /etc/adjtime */
    if (read_file(ADJTIME, &b) == 0) {
        st->src = SRC_ADJTIME;
        st->utc = oa_tz_adjtime_utc(text_of(&b)) != 0;
    } else if (shell_value(RCS_FILE, "UTC", value, sizeof(value))) {
        st->src = SRC_RCS;
        st->utc = oa_parse_bool(value, &v) < 0 || v;
    } else if (shell_value(CLOCK_FILE, "UTC", value, sizeof(value))) {
        st->src = SRC_SYSCLOCK;
        st->utc = oa_parse_bool(value, &v) < 0 || v;
    }
    oa_buf_done(&b);
}

/* Writes text over path atomically, keeping the mode of the file it
 * replaces (0644 for a new one). */
static bool put_file(const char *path, const char *text, struct oa_outcome *out)
{
    struct stat st;
    char why[512];

    printf("writing %s\n", path);
    if (oa_fs_write_atomic(path, text, strlen(text),
                           stat(path, &st) == 0 ? st.st_mode & 07777 : 0644, 0, 0, why,
                           sizeof(why)) < 0) {
        oa_outcome_set(out, false, false, "%s", why);
        return false;
    }
    return true;
}

static bool run_timedatectl(const char *name, bool utc, struct oa_outcome *out)
{
    const char *argv[4];
    char why[256], status_text[128];
    int status;

    oa_tz_timedatectl_argv(name, utc, argv);
    printf("running: %s %s %s\n", argv[0], argv[1], argv[2]);
    if (oa_tool_exec((char *const *)argv, NULL, NULL, &status, why, sizeof(why)) < 0) {
        oa_outcome_set(out, false, false, "cannot run timedatectl: %s", why);
        return false;
    }
    if (!oa_tool_ok(status)) {
        oa_outcome_set(out, false, false, "timedatectl %s %s: %s", argv[1], argv[2],
                       oa_tool_status_text(status, status_text, sizeof(status_text)));
        return false;
    }
    return true;
}

static bool zone_names_write(const char *name, const struct oa_osinfo *os, struct oa_outcome *out)
{
    struct oa_buf b;
    char quoted[ZONE_MAX + 2];
    bool ok = true;

    oa_buf_init(&b, TZ_FILE_MAX + ZONE_MAX);
    if (os->family == OA_OS_DEBIAN && oa_buf_printf(&b, "%s\n", name) == 0)
        ok = put_file(TIMEZONE_FILE, text_of(&b), out);
    if (ok && os->family == OA_OS_RHEL && read_file(CLOCK_FILE, &b) == 0) {
        struct oa_buf text;
        oa_buf_init(&text, TZ_FILE_MAX + ZONE_MAX);
        snprintf(quoted, sizeof(quoted), "\"%s\"", name);
        ok = oa_tz_shell_set(text_of(&b), "ZONE", quoted, &text) == 0 &&
             put_file(CLOCK_FILE, text_of(&text), out);
        oa_buf_done(&text);
    }
    oa_buf_done(&b);
    return ok;
}

static bool zone_write(const char *name, const char *zonefile, const struct oa_osinfo *os,
                       bool systemd, struct oa_outcome *out)
{
    char tmp[64];

    if (systemd)
        return run_timedatectl(name, false, out) && zone_names_write(name, os, out);
    snprintf(tmp, sizeof(tmp), "%s.oa-%ld", LOCALTIME, (long)getpid());
    (void)unlink(tmp);
    printf("linking %s to %s\n", LOCALTIME, zonefile);
    if (symlink(zonefile, tmp) < 0 || rename(tmp, LOCALTIME) < 0) {
        int err = errno;
        (void)unlink(tmp);
        oa_outcome_set(out, false, false, "cannot link %s to %s: %s", LOCALTIME, zonefile,
                       strerror(err));
        return false;
    }
    return zone_names_write(name, os, out);
}

static bool clock_write(const struct tz_state *st, bool utc, bool systemd, struct oa_outcome *out)
{
    static const char *const paths[] = {ADJTIME, RCS_FILE, CLOCK_FILE, ADJTIME};
    const char *path = paths[st->src];
    struct oa_buf old, text;
    bool ok;
    int r;

    if (systemd)
        return run_timedatectl(NULL, utc, out);
    oa_buf_init(&old, TZ_FILE_MAX);
    oa_buf_init(&text, TZ_FILE_MAX + 64);
    (void)read_file(path, &old); /* SRC_NONE: no file yet */
    if (st->src == SRC_ADJTIME || st->src == SRC_NONE)
        r = oa_tz_adjtime_set(text_of(&old), utc, &text);
    else
        r = oa_tz_shell_set(text_of(&old), "UTC",
                            st->src == SRC_RCS ? (utc ? "yes" : "no") : (utc ? "true" : "false"),
                            &text);
    ok = r == 0 && put_file(path, text_of(&text), out);
    if (r != 0)
        oa_outcome_set(out, false, false, "%s: too large to edit", path);
    oa_buf_done(&old);
    oa_buf_done(&text);
    return ok;
}

/* What changes (or would): "Time zone set to Asia/Shanghai (was Etc/UTC);
 * hardware clock set to local time (was UTC)", "would set the time zone to
 * … (now …)". */
static const char *describe(const char *name, const struct tz_state *st, bool zone, bool clock,
                            bool utc, bool dry, char *buf, size_t len)
{
    const char *was = dry ? "now" : "was";
    size_t o = 0;

    buf[0] = '\0';
    if (zone)
        o = (size_t)snprintf(buf, len, "%s %s (%s %s)",
                             dry ? "would set the time zone to" : "Time zone set to", name, was,
                             st->zone[0] ? st->zone : "unknown");
    if (clock && o < len)
        snprintf(buf + o, len - o, "%s%s %s (%s %s)", zone ? "; " : "",
                 dry    ? "would set the hardware clock to"
                 : zone ? "hardware clock set to"
                        : "Hardware clock set to",
                 utc ? "UTC" : "local time", was, st->utc ? "UTC" : "local time");
    return buf;
}

static void apply(const struct oa_run_ctx *ctx, const char *name, const char *zonefile,
                  const struct oa_pvalue *use_utc, struct oa_outcome *out)
{
    bool systemd, zone, clock;
    struct tz_state st, after;
    struct oa_osinfo os;
    char what[ZONE_MAX * 2 + 128];

    oa_osinfo_read(&os);
    systemd = os.init == OA_INIT_SYSTEMD && oa_tool_which("timedatectl", what, sizeof(what));
    zone_read(name, zonefile, &os, &st);
    clock_read(&st);
    zone = !st.zone_ok;
    clock = use_utc->present && st.utc != use_utc->boolean;
    if (!zone && !clock) {
        oa_outcome_set(out, true, false, "Time zone is %s%s: no changes", name,
                       !use_utc->present ? ""
                       : st.utc          ? ", hardware clock in UTC"
                                         : ", hardware clock in local time");
        return;
    }
    describe(name, &st, zone, clock, use_utc->boolean, ctx->dry_run, what, sizeof(what));
    if (ctx->dry_run) {
        oa_outcome_set(out, true, true, "%s", what);
        return;
    }
    if ((zone && !zone_write(name, zonefile, &os, systemd, out)) ||
        (clock && !clock_write(&st, use_utc->boolean, systemd, out)))
        return;
    zone_read(name, zonefile, &os, &after);
    clock_read(&after);
    if (!after.zone_ok || (use_utc->present && after.utc != use_utc->boolean))
        oa_outcome_set(out, false, true, "could not change: %s",
                       !after.zone_ok ? "the time zone" : "the hardware clock mode");
    else
        oa_outcome_set(out, true, true, "%s", what);
}

static int tz_run(const struct oa_run_ctx *ctx, const struct oa_params *p, struct oa_outcome *out)
{
    const char *name = oa_params_str(p, "name");
    char zonefile[PATH_MAX];
    struct stat st;
    int r;

    if (!oa_tz_name_ok(name)) {
        oa_outcome_set(out, false, false, "parameter 'name': '%.64s' is not a time zone name",
                       name);
        return 0;
    }
    snprintf(zonefile, sizeof(zonefile), "%s/%s", ZONEINFO, name);
    r = stat(zonefile, &st) < 0 ? -errno : 0;
    if (r < 0 || !S_ISREG(st.st_mode)) {
        oa_outcome_set(out, false, false, "unknown time zone '%s': %s: %s", name, zonefile,
                       r == 0                          ? "not a zone file"
                       : r == -ENOENT || r == -ENOTDIR ? "does not exist"
                                                       : strerror(-r));
        return 0;
    }
    apply(ctx, name, zonefile, oa_params_get(p, "use-utc"), out);
    return 0;
}

const struct oa_module oa_mod_common_timezone = {
    .name = "common.timezone",
    .params = tz_params,
    .n_params = sizeof(tz_params) / sizeof(tz_params[0]),
    .run = tz_run,
};
