/* SPDX-License-Identifier: Apache-2.0 */
/*
 * linux.raid (modules.md §10.6): a Linux software RAID array made with
 * mdadm when `mdadm --detail` does not know it yet, and its ARRAY line kept
 * in mdadm.conf (/etc/mdadm/mdadm.conf on the Debian family, /etc/mdadm.conf
 * elsewhere) so that it is assembled again at boot. An existing array is
 * left as it is (level and members are not compared). mdadm --create runs
 * with --run --force, as in the original, which makes mdadm overwrite what
 * its members hold without asking: so the module refuses, before it runs
 * mdadm, a member that is mounted, held (device-mapper, md) or holds any
 * signature (filesystem, partition table, LVM or RAID member). The text
 * side is in raid_conf.c.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "argv.h"
#include "devprobe.h"
#include "err.h"
#include "fsutil.h"
#include "linux_raid.h"
#include "modules.h"
#include "osinfo.h"
#include "prereq.h"
#include "tool.h"

#define CONF_MAX (1u << 20)

static const struct oa_param_spec raid_params[] = {
    {"device-name", OA_PT_LINE, OA_PF_REQUIRED},
    {"level", OA_PT_LINE, OA_PF_REQUIRED},
    {"devices", OA_PT_ARRAY, OA_PF_REQUIRED},
    {"arguments", OA_PT_DICT, 0},
};

struct raid_req {
    const char *dev;
    const char *level;
    const struct oa_pvalue *devices;
    const char *conf;    /* mdadm.conf of this distribution */
    struct oa_buf notes; /* the comment so far, parts joined with "; " */
    bool changed;
};

__attribute__((format(printf, 2, 3))) static void note(struct raid_req *rq, const char *fmt, ...)
{
    char text[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    (void)oa_buf_printf(&rq->notes, "%s%s", rq->notes.len ? "; " : "", text);
}

/* Ends the state with the notes and a last part. */
__attribute__((format(printf, 4, 5))) static void
finish(struct raid_req *rq, bool ok, struct oa_outcome *out, const char *fmt, ...)
{
    char text[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if (text[0])
        note(rq, "%s", text);
    oa_outcome_set(out, ok, rq->changed, "%s", rq->notes.data ? rq->notes.data : "");
}

/* Runs mdadm with argv, its stdout kept in cap when not NULL. Returns 0,
 * -EIO for a non-zero exit, or a negative code; why says it. */
static int mdadm(char *const argv[], struct oa_buf *cap, char *why, size_t len)
{
    char st[64];
    int status, r = oa_tool_exec(argv, NULL, cap, &status, why, len);

    if (r == 0 && !oa_tool_ok(status)) {
        snprintf(why, len, "mdadm %s %s", argv[1], oa_tool_status_text(status, st, sizeof(st)));
        r = -EIO;
    }
    return r;
}

/* mdadm --detail DEV: 0 when the array exists, with *d filled. */
static int detail(const char *dev, struct oa_raid_detail *d, char *why, size_t len)
{
    char *argv[] = {"mdadm", "--detail", (char *)dev, NULL};
    struct oa_buf cap;
    int r;

    oa_buf_init(&cap, 256 * 1024);
    r = mdadm(argv, &cap, why, len);
    /* Its report also belongs in the state's output. */
    if (r == 0 && cap.data)
        fputs(cap.data, stdout);
    oa_raid_parse_detail(r == 0 ? cap.data : NULL, d);
    oa_buf_done(&cap);
    return r;
}

/* "raid1, 2 devices, clean" */
static const char *describe(const struct oa_raid_detail *d, char *buf, size_t len)
{
    snprintf(buf, len, "%s, %u device%s%s%s", d->level[0] ? d->level : "unknown level", d->devices,
             d->devices == 1 ? "" : "s", d->state[0] ? ", " : "", d->state);
    return buf;
}

/* Reads mdadm.conf (missing: empty) and computes the edit. */
static int conf_edit(const struct raid_req *rq, const char *line, struct oa_buf *text,
                     enum oa_raid_conf_change *change, char *why, size_t len)
{
    struct oa_buf old;
    int r;

    oa_buf_init(&old, CONF_MAX);
    r = oa_fs_read_file(rq->conf, &old);
    if (r == -ENOENT)
        r = 0;
    if (r < 0)
        snprintf(why, len, "cannot read %s: %s", rq->conf,
                 r == OA_ETOOBIG ? "larger than 1 MiB" : strerror(-r));
    else if ((r = oa_raid_conf_edit(old.data ? old.data : "", old.len, line, text, change)) < 0)
        snprintf(why, len, "cannot edit %s: %s", rq->conf,
                 r == OA_ESCHEMA ? "mdadm --detail --brief gave no ARRAY line"
                                 : "out of memory or too large");
    oa_buf_done(&old);
    return r;
}

/* The array's ARRAY line (mdadm --detail --brief, the line --detail --scan
 * prints for it) in mdadm.conf, written atomically. */
static int sync_conf(const struct oa_run_ctx *ctx, struct raid_req *rq, char *why, size_t len)
{
    char *argv[] = {"mdadm", "--detail", "--brief", (char *)rq->dev, NULL};
    char dir[PATH_MAX], *slash;
    enum oa_raid_conf_change change = OA_RAID_CONF_UNCHANGED;
    struct oa_buf line, text;
    int r;

    oa_buf_init(&line, 64 * 1024);
    oa_buf_init(&text, CONF_MAX + 64 * 1024);
    r = mdadm(argv, &line, why, len);
    if (r == 0)
        r = conf_edit(rq, line.data ? line.data : "", &text, &change, why, len);
    snprintf(dir, sizeof(dir), "%s", rq->conf);
    if ((slash = strrchr(dir, '/')))
        *slash = '\0';
    if (r == 0 && change != OA_RAID_CONF_UNCHANGED && !ctx->dry_run) {
        r = oa_fs_mkdir_p(dir, 0755);
        if (r < 0 && snprintf(why, len, "cannot create %s: %s", dir, strerror(-r)) < 0)
            why[0] = '\0';
        else
            r = oa_fs_write_atomic(rq->conf, text.data, text.len, 0644, (uid_t)-1, (gid_t)-1, why,
                                   len);
    }
    if (r == 0 && change != OA_RAID_CONF_UNCHANGED) {
        bool added = change == OA_RAID_CONF_ADDED;
        note(rq, "%s%s %s", ctx->dry_run ? "would " : "",
             added ? (ctx->dry_run ? "add its ARRAY line to" : "added its ARRAY line to")
                   : (ctx->dry_run ? "replace its stale ARRAY line in"
                                   : "replaced its stale ARRAY line in"),
             rq->conf);
        rq->changed = true;
    }
    oa_buf_done(&line);
    oa_buf_done(&text);
    return r;
}

/* Every member must be free: mdadm --run would overwrite it unasked. */
static bool members_free(struct raid_req *rq, struct oa_outcome *out)
{
    char why[PATH_MAX + 256];

    for (size_t i = 0; i < rq->devices->n; i++) {
        const char *m = rq->devices->items[i];
        int r = oa_devprobe_check_free(m, false, NULL, why, sizeof(why));
        if (r != 0) {
            finish(rq, false, out, "%s %s for RAID array %s: %s",
                   r > 0 ? "refusing to use" : "cannot check", m, rq->dev, why);
            return false;
        }
    }
    return true;
}

static void join_devices(const struct raid_req *rq, char *buf, size_t len)
{
    size_t used = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < rq->devices->n && used < len; i++) {
        int k = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", rq->devices->items[i]);
        if (k < 0)
            break;
        used += (size_t)k;
    }
}

static void create(const struct oa_run_ctx *ctx, struct raid_req *rq, const struct oa_argv *a,
                   struct oa_outcome *out)
{
    char members[1024], text[2048], why[512], what[160];
    struct oa_raid_detail d;

    if (!members_free(rq, out))
        return;
    join_devices(rq, members, sizeof(members));
    printf("%s: %s\n", ctx->dry_run ? "would run" : "running", oa_argv_text(a, text, sizeof(text)));
    if (ctx->dry_run) {
        rq->changed = true;
        finish(rq, true, out, "would create RAID array %s (level %s) from %s; would add it to %s",
               rq->dev, rq->level, members, rq->conf);
        return;
    }
    if (mdadm(a->v, NULL, why, sizeof(why)) < 0) {
        /* A failed create may still have written superblocks. */
        finish(rq, false, out, "cannot create RAID array %s: %s", rq->dev, why);
        return;
    }
    rq->changed = true;
    if (detail(rq->dev, &d, why, sizeof(why)) < 0) {
        finish(rq, false, out, "mdadm --create exited with status 0, but %s", why);
        return;
    }
    note(rq, "created RAID array %s (%s) from %s", rq->dev, describe(&d, what, sizeof(what)),
         members);
    if (sync_conf(ctx, rq, why, sizeof(why)) < 0)
        finish(rq, false, out, "%s", why);
    else
        finish(rq, true, out, "%s", "");
}

static void exists(const struct oa_run_ctx *ctx, struct raid_req *rq,
                   const struct oa_raid_detail *d, struct oa_outcome *out)
{
    char what[160], why[512];

    note(rq, "RAID array %s exists (%s)", rq->dev, describe(d, what, sizeof(what)));
    if (sync_conf(ctx, rq, why, sizeof(why)) < 0) {
        finish(rq, false, out, "%s", why);
        return;
    }
    if (!rq->changed)
        (void)oa_buf_puts(&rq->notes, ", no changes");
    finish(rq, true, out, "%s", "");
}

static int raid_run(const struct oa_run_ctx *ctx, const struct oa_params *p, struct oa_outcome *out)
{
    struct raid_req rq = {.dev = oa_params_str(p, "device-name"),
                          .level = oa_params_str(p, "level"),
                          .devices = oa_params_get(p, "devices")};
    struct oa_raid_detail d;
    struct oa_osinfo os;
    struct oa_argv a;
    bool installed;
    char why[512];

    oa_argv_init(&a);
    oa_buf_init(&rq.notes, sizeof(out->comment));
    if (oa_raid_create_argv(rq.dev, rq.level, rq.devices, oa_params_get(p, "arguments"), &a,
                            out->comment, sizeof(out->comment)) < 0) {
        out->result = false;
        goto done;
    }
    oa_osinfo_read(&os);
    rq.conf = os.family == OA_OS_DEBIAN ? "/etc/mdadm/mdadm.conf" : "/etc/mdadm.conf";
    if (oa_prereq_ensure(ctx, &os, "mdadm", "mdadm", "mdadm", &installed, out) < 0)
        goto done;
    if (installed && ctx->dry_run) {
        oa_outcome_set(out, true, true,
                       "would install the package mdadm, then create RAID array %s unless it "
                       "exists",
                       rq.dev);
        goto done;
    }
    if (installed) {
        rq.changed = true;
        note(&rq, "installed the package mdadm");
    }
    if (detail(rq.dev, &d, why, sizeof(why)) == 0)
        exists(ctx, &rq, &d, out);
    else
        create(ctx, &rq, &a, out);
done:
    oa_buf_done(&rq.notes);
    oa_argv_done(&a);
    return 0;
}

const struct oa_module oa_mod_linux_raid = {
    .name = "linux.raid",
    .params = raid_params,
    .n_params = sizeof(raid_params) / sizeof(raid_params[0]),
    /* §1.11: raid create, 600 s. */
    .default_timeout_ms = 600 * 1000,
    .run = raid_run,
};
