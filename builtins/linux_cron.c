/* SPDX-License-Identifier: Apache-2.0 */
/*
 * linux.cronjob (modules.md §7.3): make each command of the recipe an entry
 * of a user's crontab with the given schedule. The crontab is read with
 * `crontab -u USER -l`, merged (linux_cron.h), and written back in one go
 * with `crontab -u USER FILE` from a private temporary file (the tools run
 * with /dev/null as stdin, so not `-`). Entries are never removed. The cron
 * lines are shell commands by definition; everything else is an argv array.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "linux_cron.h"
#include "mem.h"
#include "modules.h"
#include "osinfo.h"
#include "prereq.h"
#include "tool.h"
#include "utf8.h"

/* A crontab bigger than this is refused rather than risk cutting it. */
#define CRON_TEXT_MAX (1u << 20)
/* Bytes the tool runner may drop at once when the buffer is full. */
#define CRON_CHUNK 8192
#define CRON_FIELD_MAX 64

struct span {
    const char *p;
    size_t n;
};

static bool blank(char c)
{
    return c == ' ' || c == '\t';
}

bool oa_cron_field_ok(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > CRON_FIELD_MAX)
        return false;
    return strspn(s, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ*,/-") == n;
}

/* Splits a crontab line into its schedule and command. False for blank
 * lines, comments, variable settings and anything else that is no job. */
static bool parse_entry(const char *line, size_t len, struct span when[5], size_t *n_when,
                        struct span *cmd)
{
    const char *p = line, *end = line + len;
    size_t want;

    while (end > p && (blank(end[-1]) || end[-1] == '\r'))
        end--;
    while (p < end && blank(*p))
        p++;
    if (p == end || *p == '#')
        return false;
    want = *p == '@' ? 1 : 5; /* "@daily cmd" */
    for (size_t i = 0; i < want; i++) {
        const char *s = p;
        while (p < end && !blank(*p))
            p++;
        if (p == s || memchr(s, '=', (size_t)(p - s)))
            return false;
        when[i] = (struct span){s, (size_t)(p - s)};
        while (p < end && blank(*p))
            p++;
    }
    if (p == end)
        return false;
    *n_when = want;
    *cmd = (struct span){p, (size_t)(end - p)};
    return true;
}

static bool span_is(struct span s, const char *str)
{
    return strlen(str) == s.n && memcmp(s.p, str, s.n) == 0;
}

static bool is_marker(const char *line, size_t len)
{
    while (len > 0 && (blank(line[len - 1]) || line[len - 1] == '\r'))
        len--;
    return span_is((struct span){line, len}, OA_CRON_MARKER) ||
           span_is((struct span){line, len}, OA_CRON_SALT_MARKER);
}

static int find_job(const struct oa_cron_job *jobs, size_t n, struct span cmd)
{
    for (size_t i = 0; i < n; i++)
        if (span_is(cmd, jobs[i].cmd))
            return (int)i;
    return -1;
}

static bool same_when(const struct oa_cron_job *j, const struct span *when, size_t n_when)
{
    if (n_when != 5)
        return false;
    for (size_t i = 0; i < 5; i++)
        if (!span_is(when[i], j->when[i]))
            return false;
    return true;
}

static int put_job(struct oa_buf *b, const struct oa_cron_job *j)
{
    return oa_buf_printf(b, "%s %s %s %s %s %s\n", j->when[0], j->when[1], j->when[2], j->when[3],
                         j->when[4], j->cmd);
}

/* Copies current line by line, rewriting the entries of known commands
 * whose schedule differs. Sets *marker when a marker line was seen. */
static int merge_lines(const char *current, const struct oa_cron_job *jobs, size_t n,
                       struct oa_buf *ret, enum oa_cron_outcome *outcomes, bool *marker)
{
    int r = 0;

    for (const char *line = current; *line && r == 0;) {
        size_t len = strcspn(line, "\n"), n_when;
        struct span when[5], cmd;
        int j = -1;

        if (parse_entry(line, len, when, &n_when, &cmd))
            j = find_job(jobs, n, cmd);
        if (j >= 0 && !same_when(&jobs[j], when, n_when)) {
            outcomes[j] = OA_CRON_UPDATED;
            r = put_job(ret, &jobs[j]);
        } else {
            if (j >= 0 && outcomes[j] == OA_CRON_ADDED)
                outcomes[j] = OA_CRON_PRESENT;
            *marker = *marker || is_marker(line, len);
            r = oa_buf_append(ret, line, len);
            if (r == 0)
                r = oa_buf_append(ret, "\n", 1);
        }
        line += len + (line[len] == '\n');
    }
    return r;
}

int oa_cron_merge(const char *current, const struct oa_cron_job *jobs, size_t n, struct oa_buf *ret,
                  enum oa_cron_outcome *outcomes)
{
    bool marker = false;
    int r, changed = 0;

    /* ADDED until an entry is found. */
    for (size_t i = 0; i < n; i++)
        outcomes[i] = OA_CRON_ADDED;
    r = merge_lines(current, jobs, n, ret, outcomes, &marker);
    for (size_t i = 0; i < n && r == 0; i++) {
        int first = find_job(jobs, i, (struct span){jobs[i].cmd, strlen(jobs[i].cmd)});
        if (first >= 0) {
            /* The same command twice in the recipe: the first one decides. */
            outcomes[i] = outcomes[first];
            continue;
        }
        if (outcomes[i] == OA_CRON_UPDATED)
            changed++;
        if (outcomes[i] != OA_CRON_ADDED)
            continue;
        if (!marker && (r = oa_buf_printf(ret, "%s\n", OA_CRON_MARKER)) < 0)
            break;
        marker = true;
        r = put_job(ret, &jobs[i]);
        changed++;
    }
    return r < 0 ? r : changed;
}

static const struct oa_param_spec cron_params[] = {
    /* Absent → root (§1.2, the original's behaviour). */
    {"user", OA_PT_LINE, 0},        {"cmd", OA_PT_ARRAY, OA_PF_REQUIRED}, {"minute", OA_PT_LINE, 0},
    {"hour", OA_PT_LINE, 0},        {"day-of-month", OA_PT_LINE, 0},      {"month", OA_PT_LINE, 0},
    {"day-of-week", OA_PT_LINE, 0},
};

static const char *const when_names[5] = {"minute", "hour", "day-of-month", "month", "day-of-week"};

/* The jobs of the recipe: commands trimmed, each non-empty and one line. */
static bool read_jobs(const struct oa_params *p, struct oa_cron_job *jobs, struct oa_outcome *out)
{
    const struct oa_pvalue *cmd = oa_params_get(p, "cmd");
    const char *when[5];

    for (size_t i = 0; i < 5; i++) {
        when[i] = oa_params_str(p, when_names[i]);
        if (!when[i])
            when[i] = "*";
        else if (!oa_cron_field_ok(when[i])) {
            oa_outcome_set(out, false, false, "parameter '%s': '%.64s' is not a cron time field",
                           when_names[i], when[i]);
            return false;
        }
    }
    for (size_t i = 0; i < cmd->n; i++) {
        const char *c = cmd->items[i] + strspn(cmd->items[i], " \t");
        size_t len = strlen(c);
        while (len > 0 && blank(c[len - 1]))
            len--;
        if (len == 0 || memchr(c, '\r', len) || memchr(c, '\n', len)) {
            oa_outcome_set(out, false, false, "parameter 'cmd': command %zu is %s", i + 1,
                           len ? "not a single line" : "empty");
            return false;
        }
        memcpy(jobs[i].when, when, sizeof(when));
        if (!(jobs[i].cmd = oa_strndup(c, len))) {
            oa_outcome_set(out, false, false, "out of memory");
            return false;
        }
    }
    return true;
}

/* Whether the user has a crontab in the spool (Debian, then RHEL). */
static bool has_spool(const char *user)
{
    static const char *const dirs[] = {"/var/spool/cron/crontabs", "/var/spool/cron"};
    char path[512];
    struct stat st;

    for (size_t i = 0; i < 2; i++)
        if ((size_t)snprintf(path, sizeof(path), "%s/%s", dirs[i], user) < sizeof(path) &&
            stat(path, &st) == 0 && S_ISREG(st.st_mode))
            return true;
    return false;
}

/* Reads the crontab into text; none is empty. */
static bool read_crontab(const char *user, struct oa_buf *text, struct oa_outcome *out)
{
    char *argv[] = {"crontab", "-u", (char *)user, "-l", NULL};
    char why[256], status_text[128];
    int status;

    oa_buf_reset(text);
    if (oa_tool_exec(argv, NULL, text, &status, why, sizeof(why)) < 0) {
        oa_outcome_set(out, false, false, "cannot read the crontab of %s: %s", user, why);
        return false;
    }
    if (oa_tool_ok(status) && text->len > CRON_TEXT_MAX - CRON_CHUNK) {
        oa_outcome_set(out, false, false, "the crontab of %s is too large (over %u KiB)", user,
                       (CRON_TEXT_MAX - CRON_CHUNK) / 1024);
        return false;
    }
    if (oa_tool_ok(status))
        return true;
    /* `crontab -l` fails when there is no crontab: never take another
     * failure for "empty", it would wipe the user's jobs. */
    if (has_spool(user)) {
        oa_outcome_set(out, false, false, "cannot read the crontab of %s: crontab -l %s", user,
                       oa_tool_status_text(status, status_text, sizeof(status_text)));
        return false;
    }
    oa_buf_reset(text);
    return true;
}

static bool write_crontab(const char *user, const struct oa_buf *text, struct oa_outcome *out)
{
    char path[] = "/tmp/opsagent-crontab.XXXXXX", why[256], status_text[128];
    char *argv[] = {"crontab", "-u", (char *)user, path, NULL};
    int fd = mkostemp(path, O_CLOEXEC), status, r = 0;

    if (fd < 0) {
        oa_outcome_set(out, false, false, "cannot write the crontab of %s: %s: %s", user, path,
                       strerror(errno));
        return false;
    }
    for (size_t off = 0; r == 0 && off < text->len;) {
        ssize_t n = write(fd, text->data + off, text->len - off);
        if (n < 0 && errno != EINTR)
            r = -errno;
        else if (n > 0)
            off += (size_t)n;
    }
    close(fd);
    if (r == 0 && (r = oa_tool_exec(argv, NULL, NULL, &status, why, sizeof(why))) < 0)
        oa_outcome_set(out, false, false, "cannot write the crontab of %s: %s", user, why);
    else if (r != 0)
        oa_outcome_set(out, false, false, "cannot write the crontab of %s: %s: %s", user, path,
                       strerror(-r));
    else if (!oa_tool_ok(status))
        oa_outcome_set(out, false, false, "cannot write the crontab of %s: crontab %s", user,
                       oa_tool_status_text(status, status_text, sizeof(status_text)));
    unlink(path);
    return r == 0 && oa_tool_ok(status);
}

/* "added 'cmd'; 'cmd2' present" into buf. */
static const char *describe(const struct oa_cron_job *jobs, const enum oa_cron_outcome *outcomes,
                            size_t n, bool dry, char *buf, size_t len)
{
    static const char *const done[] = {"present", "schedule updated", "added"};
    static const char *const would[] = {"present", "would update the schedule", "would add"};
    size_t o = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < n && o < len; i++) {
        const char *c = jobs[i].cmd;
        size_t keep = oa_utf8_prefix(c, strlen(c), 60);
        const char *verb = (dry ? would : done)[outcomes[i]];
        int w = outcomes[i] == OA_CRON_PRESENT
                    ? snprintf(buf + o, len - o, "%s'%.*s%s' %s", i ? "; " : "", (int)keep, c,
                               c[keep] ? "..." : "", verb)
                    : snprintf(buf + o, len - o, "%s%s '%.*s%s'", i ? "; " : "", verb, (int)keep, c,
                               c[keep] ? "..." : "");
        if (w < 0)
            break;
        o += (size_t)w;
    }
    return buf;
}

/* Reads the crontab back after writing it: every job must be there as
 * asked. */
static void verify(const char *user, const struct oa_cron_job *jobs, size_t n, const char *list,
                   struct oa_outcome *out)
{
    enum oa_cron_outcome *outcomes = oa_calloc(n, sizeof(*outcomes));
    struct oa_buf current, merged;

    oa_buf_init(&current, CRON_TEXT_MAX);
    oa_buf_init(&merged, CRON_TEXT_MAX + 64 * 1024);
    if (!outcomes)
        oa_outcome_set(out, false, true, "out of memory");
    else if (!read_crontab(user, &current, out))
        out->changed = true;
    else if (oa_cron_merge(current.data ? current.data : "", jobs, n, &merged, outcomes) != 0)
        oa_outcome_set(out, false, true, "could not change the crontab of %s", user);
    else
        oa_outcome_set(out, true, true, "Cron jobs of %s: %s", user, list);
    oa_buf_done(&current);
    oa_buf_done(&merged);
    oa_free(outcomes);
}

/* Reads, merges and (unless dry) writes; fills out. */
static void apply(const struct oa_run_ctx *ctx, const char *user, const struct oa_cron_job *jobs,
                  size_t n, bool installed, struct oa_outcome *out)
{
    enum oa_cron_outcome *outcomes = oa_calloc(n, sizeof(*outcomes));
    struct oa_buf current, merged;
    char list[1500];
    int changed;

    oa_buf_init(&current, CRON_TEXT_MAX);
    oa_buf_init(&merged, CRON_TEXT_MAX + 64 * 1024);
    if (!outcomes) {
        oa_outcome_set(out, false, false, "out of memory");
        goto done;
    }
    /* In a dry run a missing crontab tool is only "would install": no
     * crontab to read. */
    if (!(installed && ctx->dry_run) && !read_crontab(user, &current, out))
        goto done;
    changed = oa_cron_merge(current.data ? current.data : "", jobs, n, &merged, outcomes);
    if (changed < 0) {
        oa_outcome_set(out, false, false, "cannot merge the crontab of %s: %s", user,
                       oa_strerror(changed));
        goto done;
    }
    describe(jobs, outcomes, n, ctx->dry_run, list, sizeof(list));
    if (changed == 0)
        oa_outcome_set(out, true, installed, "Cron jobs of %s are up to date: %s", user, list);
    else if (ctx->dry_run)
        oa_outcome_set(out, true, true, "crontab of %s: %s", user, list);
    else if (write_crontab(user, &merged, out))
        verify(user, jobs, n, list, out);
done:
    oa_buf_done(&current);
    oa_buf_done(&merged);
    oa_free(outcomes);
}

static int cron_run(const struct oa_run_ctx *ctx, const struct oa_params *p, struct oa_outcome *out)
{
    const char *user = oa_params_str(p, "user");
    size_t n = oa_params_get(p, "cmd")->n;
    struct oa_cron_job *jobs;
    struct oa_osinfo os;
    bool installed = false;

    if (!user)
        user = "root";
    if (!getpwnam(user)) {
        oa_outcome_set(out, false, false, "user %.64s does not exist", user);
        return 0;
    }
    if (!(jobs = oa_calloc(n, sizeof(*jobs)))) {
        oa_outcome_set(out, false, false, "out of memory");
        return -ENOMEM;
    }
    if (read_jobs(p, jobs, out)) {
        oa_osinfo_read(&os);
        if (oa_prereq_ensure(ctx, &os, "crontab", "cron", "cronie", &installed, out) == 0)
            apply(ctx, user, jobs, n, installed, out);
    }
    for (size_t i = 0; i < n; i++)
        oa_free((void *)jobs[i].cmd);
    oa_free(jobs);
    return 0;
}

const struct oa_module oa_mod_linux_cronjob = {
    .name = "linux.cronjob",
    .params = cron_params,
    .n_params = sizeof(cron_params) / sizeof(cron_params[0]),
    .run = cron_run,
};
