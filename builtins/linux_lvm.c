/* SPDX-License-Identifier: Apache-2.0 */
/*
 * linux.lvm.pv, linux.lvm.vg and linux.lvm.lv (modules.md §10.3-10.5):
 * physical volumes, volume groups and logical volumes, made with pvcreate,
 * vgcreate and lvcreate when the pvs, vgs or lvs report does not list them
 * yet. Nothing is ever reconciled or removed: an existing PV, VG or LV is
 * left as it is (its size, members and options are not compared), as in
 * the original. A device becomes a PV only when it is free: not mounted,
 * not held by device-mapper or md, and holding no signature (filesystem,
 * partition table, RAID member), unless `force` of linux.lvm.pv says to
 * wipe it; vgcreate, which makes PVs of the devices it is given, gets the
 * same check. The command lines are built in lvm_args.c.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "argv.h"
#include "devprobe.h"
#include "err.h"
#include "linux_lvm.h"
#include "mem.h"
#include "modules.h"
#include "osinfo.h"
#include "prereq.h"
#include "tool.h"

#define REPORT_MAX (4u << 20)

/* One row of a report: up to three columns, pointing into the text. */
struct row {
    char *f[3];
    size_t n;
};

/* A report's rows (pvs, vgs or lvs), kept with the text they point into. */
struct report {
    struct oa_buf text;
    struct row *rows;
    size_t n;
};

static void report_done(struct report *rep)
{
    oa_buf_done(&rep->text);
    oa_free(rep->rows);
    rep->rows = NULL;
    rep->n = 0;
}

/* Runs `TOOL --noheadings --separator | -o COLUMNS` and splits its rows.
 * Returns 0, or a negative code with why set. */
static int report(const char *tool, const char *columns, struct report *rep, char *why, size_t len)
{
    char *argv[] = {(char *)tool, "--noheadings",  "--separator", OA_LVM_SEP,
                    "-o",         (char *)columns, NULL};
    char st[64], *cursor;
    struct row r;
    size_t cap = 0;
    int status, rc;

    memset(rep, 0, sizeof(*rep));
    oa_buf_init(&rep->text, REPORT_MAX);
    rc = oa_tool_exec(argv, NULL, &rep->text, &status, why, len);
    if (rc == 0 && !oa_tool_ok(status)) {
        snprintf(why, len, "%s %s", tool, oa_tool_status_text(status, st, sizeof(st)));
        rc = -EIO;
    }
    if (rc < 0 || !rep->text.data)
        return rc;
    cursor = rep->text.data;
    while ((r.n = oa_lvm_next_row(&cursor, r.f, 3)) > 0) {
        if (rep->n == cap) {
            struct row *rows = oa_realloc(rep->rows, (cap = cap ? cap * 2 : 16) * sizeof(*rows));
            if (!rows) {
                snprintf(why, len, "out of memory");
                return -ENOMEM;
            }
            rep->rows = rows;
        }
        for (size_t i = r.n; i < 3; i++)
            r.f[i] = "";
        rep->rows[rep->n++] = r;
    }
    return 0;
}

/* The row of the PV that is dev (the same device number, else the same
 * name), or NULL. */
static const struct row *find_pv(const struct report *pvs, const char *dev)
{
    struct stat want, st;
    bool by_number = stat(dev, &want) == 0 && S_ISBLK(want.st_mode);

    for (size_t i = 0; i < pvs->n; i++) {
        const struct row *r = &pvs->rows[i];
        if (strcmp(r->f[0], dev) == 0 || (by_number && stat(r->f[0], &st) == 0 &&
                                          S_ISBLK(st.st_mode) && st.st_rdev == want.st_rdev))
            return r;
    }
    return NULL;
}

/* The row whose first columns are a (and b, when not NULL), or NULL. */
static const struct row *find_row(const struct report *rep, const char *a, const char *b)
{
    for (size_t i = 0; i < rep->n; i++)
        if (strcmp(rep->rows[i].f[0], a) == 0 && (!b || strcmp(rep->rows[i].f[1], b) == 0))
            return &rep->rows[i];
    return NULL;
}

static int list_pvs(struct report *pvs, struct oa_outcome *out)
{
    char why[512];
    int r = report("pvs", "pv_name,vg_name", pvs, why, sizeof(why));

    if (r < 0)
        oa_outcome_set(out, false, false, "cannot list the physical volumes: %s", why);
    return r;
}

/* Makes sure LVM's tools are there (modules.md §1.6: package lvm2). In dry
 * run, when they would be installed, the outcome is final: nothing can be
 * asked of tools that are not there. Returns 1 when the run goes on. */
static int ensure_lvm(const struct oa_run_ctx *ctx, const char *then, bool *installed,
                      struct oa_outcome *out)
{
    struct oa_osinfo os;

    oa_osinfo_read(&os);
    if (oa_prereq_ensure(ctx, &os, "lvm", "lvm2", "lvm2", installed, out) < 0)
        return 0;
    if (*installed && ctx->dry_run) {
        oa_outcome_set(out, true, true, "would install the package lvm2, then %s", then);
        return 0;
    }
    return 1;
}

/* Puts the install of lvm2 in front of the comment: it was a change. */
static void say_installed(struct oa_outcome *out)
{
    char text[sizeof(out->comment)];

    memcpy(text, out->comment, sizeof(text));
    if (snprintf(out->comment, sizeof(out->comment), "installed the package lvm2; %s", text) < 0)
        out->comment[0] = '\0';
    out->changed = true;
}

/* Runs a command line built by lvm_args.c, saying so in the output. */
static int run_argv(const struct oa_run_ctx *ctx, const struct oa_argv *a, char *why, size_t len)
{
    char text[2048], st[64];
    int status, r;

    printf("%s: %s\n", ctx->dry_run ? "would run" : "running", oa_argv_text(a, text, sizeof(text)));
    if (ctx->dry_run)
        return 0;
    r = oa_tool_exec(a->v, NULL, NULL, &status, why, len);
    if (r == 0 && !oa_tool_ok(status)) {
        snprintf(why, len, "%s %s", a->v[0], oa_tool_status_text(status, st, sizeof(st)));
        r = -EIO;
    }
    return r;
}

/* Appends "a, b, c" to b. */
static void join_paths(struct oa_buf *b, const struct oa_pvalue *paths)
{
    for (size_t i = 0; i < paths->n; i++)
        (void)oa_buf_printf(b, "%s%s", i ? ", " : "", paths->items[i]);
}

/* ---- linux.lvm.pv -------------------------------------------------------- */

static const struct oa_param_spec pv_params[] = {
    {"path", OA_PT_ARRAY, OA_PF_REQUIRED},
    {"force", OA_PT_BOOL, 0},
    {"uuid", OA_PT_LINE, 0},
    {"zero", OA_PT_BOOL, 0},
    {"data-alignment", OA_PT_LINE, 0},
    {"data-alignment-offset", OA_PT_LINE, 0},
    {"metadata-size", OA_PT_LINE, 0},
    {"metadata-type", OA_PT_LINE, 0},
    {"metadata-copies", OA_PT_LINE, 0},
    {"metadata-ignore", OA_PT_BOOL, 0},
    {"restore-file", OA_PT_LINE, 0},
    {"no-restore-file", OA_PT_BOOL, 0},
    {"label-sector", OA_PT_LINE, 0},
    {"pv-size", OA_PT_LINE, 0},
    {"PV-size", OA_PT_LINE, 0},
};

/* Creates one PV (§10.3) unless pvs lists it already. */
static void pv_one(const struct oa_run_ctx *ctx, const struct oa_params *p, const char *dev,
                   const struct report *pvs, struct oa_item *it)
{
    bool force = oa_params_bool(p, "force", false);
    const struct row *row = find_pv(pvs, dev);
    struct oa_devprobe pr = {{0}, {0}, {0}};
    char why[PATH_MAX + 256], old[160], over[200] = "";
    struct report after;
    struct oa_argv a;
    int r;

    if (row) {
        oa_item_set(it, true, false, "%s is already a physical volume (%s%s)", dev,
                    row->f[1][0] ? "in volume group " : "in no volume group", row->f[1]);
        return;
    }
    r = oa_devprobe_check_free(dev, force, &pr, why, sizeof(why));
    if (r != 0) {
        bool signature = r > 0 && !force && (pr.type[0] || pr.pttype[0]);
        oa_item_set(it, false, false, "%s %s: %s%s",
                    r > 0 ? "refusing to make a physical volume of" : "cannot check", dev, why,
                    signature ? ", and force is not set" : "");
        return;
    }
    if (oa_devprobe_describe(&pr, old, sizeof(old))[0])
        snprintf(over, sizeof(over), ", wiping %s", old);
    oa_argv_init(&a);
    r = oa_lvm_pvcreate_argv(p, dev, &a, why, sizeof(why));
    if (r == 0)
        r = run_argv(ctx, &a, why, sizeof(why));
    oa_argv_done(&a);
    if (r < 0) {
        oa_item_set(it, false, false, "cannot create physical volume %s: %s", dev,
                    r == -ENOMEM ? "out of memory" : why);
        return;
    }
    if (ctx->dry_run) {
        oa_item_set(it, true, true, "would create physical volume %s%s", dev, over);
        return;
    }
    /* The post-check (§1.3): pvs must list it now. */
    r = report("pvs", "pv_name,vg_name", &after, why, sizeof(why));
    if (r < 0)
        oa_item_set(it, false, true, "created physical volume %s, but cannot list it: %s", dev,
                    why);
    else if (!find_pv(&after, dev))
        oa_item_set(it, false, true, "pvcreate exited with status 0, but pvs does not list %s",
                    dev);
    else
        oa_item_set(it, true, true, "created physical volume %s%s", dev, over);
    report_done(&after);
}

static int pv_run(const struct oa_run_ctx *ctx, const struct oa_params *p, struct oa_outcome *out)
{
    const struct oa_pvalue *paths = oa_params_get(p, "path");
    struct oa_buf comment, then;
    struct report pvs;
    struct oa_argv probe;
    bool installed, ok = true, changed;
    int r;

    /* The options are checked once, before anything is done. */
    oa_argv_init(&probe);
    r = oa_lvm_check_paths(paths, out->comment, sizeof(out->comment));
    if (r == 0)
        r = oa_lvm_pvcreate_argv(p, paths->items[0], &probe, out->comment, sizeof(out->comment));
    oa_argv_done(&probe);
    if (r < 0) {
        out->result = false;
        return 0;
    }
    oa_buf_init(&then, 4096);
    (void)oa_buf_puts(&then, "create physical volumes on ");
    join_paths(&then, paths);
    (void)oa_buf_puts(&then, " where there are none");
    r = ensure_lvm(ctx, then.data ? then.data : "", &installed, out);
    oa_buf_done(&then);
    if (r == 0 || list_pvs(&pvs, out) < 0)
        return 0;
    changed = installed;
    oa_buf_init(&comment, 8192);
    if (installed)
        (void)oa_buf_puts(&comment, "installed the package lvm2; ");
    for (size_t i = 0; i < paths->n; i++) {
        struct oa_item it;
        pv_one(ctx, p, paths->items[i], &pvs, &it);
        ok = ok && it.ok;
        changed = changed || it.changed;
        (void)oa_buf_printf(&comment, "%s%s", i ? "; " : "", it.text);
    }
    if (ok && !changed)
        (void)oa_buf_puts(&comment, ", no changes");
    oa_outcome_set(out, ok, changed, "%s", comment.data ? comment.data : "");
    oa_buf_done(&comment);
    report_done(&pvs);
    return 0;
}

const struct oa_module oa_mod_linux_lvm_pv = {
    .name = "linux.lvm.pv",
    .params = pv_params,
    .n_params = sizeof(pv_params) / sizeof(pv_params[0]),
    .run = pv_run,
};

/* ---- linux.lvm.vg -------------------------------------------------------- */

static const struct oa_param_spec vg_params[] = {
    {"name", OA_PT_LINE, OA_PF_REQUIRED}, {"path", OA_PT_ARRAY, OA_PF_REQUIRED},
    {"clustered", OA_PT_BOOL, 0},         {"max-lv-number", OA_PT_LINE, 0},
    {"max-pv-number", OA_PT_LINE, 0},     {"metadata-type", OA_PT_LINE, 0},
    {"metadata-copies", OA_PT_LINE, 0},   {"pe-size", OA_PT_LINE, 0},
    {"autobackup", OA_PT_BOOL, 0},        {"tag", OA_PT_ARRAY, 0},
    {"allocation-policy", OA_PT_LINE, 0},
};

/* The VG exists: no changes (membership is not reconciled, §10.4), but
 * the comment says which of the wanted devices are not in it. */
static void vg_exists(const char *name, const struct oa_pvalue *paths, const struct report *pvs,
                      struct oa_outcome *out)
{
    struct oa_buf b;
    size_t members = 0, missing = 0;

    oa_buf_init(&b, sizeof(out->comment));
    (void)oa_buf_printf(&b, "volume group %s exists (on ", name);
    for (size_t i = 0; i < pvs->n; i++)
        if (strcmp(pvs->rows[i].f[1], name) == 0)
            (void)oa_buf_printf(&b, "%s%s", members++ ? ", " : "", pvs->rows[i].f[0]);
    (void)oa_buf_puts(&b, members ? ")" : "no physical volume)");
    for (size_t i = 0; i < paths->n; i++) {
        const struct row *r = find_pv(pvs, paths->items[i]);
        if (r && strcmp(r->f[1], name) == 0)
            continue;
        (void)oa_buf_printf(&b, "%s%s", missing++ ? ", " : "; not in it: ", paths->items[i]);
    }
    if (missing)
        (void)oa_buf_puts(&b, " (members are not changed)");
    oa_outcome_set(out, true, false, "%s, no changes", b.data ? b.data : "");
    oa_buf_done(&b);
}

/* Every device must be a PV of no VG yet, or free to become one. */
static bool vg_devices_usable(const char *name, const struct oa_pvalue *paths,
                              const struct report *pvs, struct oa_outcome *out)
{
    char why[PATH_MAX + 256];

    for (size_t i = 0; i < paths->n; i++) {
        const char *dev = paths->items[i];
        const struct row *r = find_pv(pvs, dev);
        int rc;

        if (r && r->f[1][0]) {
            oa_outcome_set(out, false, false,
                           "refusing to create volume group %s: %s belongs to volume group %s",
                           name, dev, r->f[1]);
            return false;
        }
        if (r)
            continue;
        rc = oa_devprobe_check_free(dev, false, NULL, why, sizeof(why));
        if (rc != 0) {
            oa_outcome_set(out, false, false, "%s %s for volume group %s: %s",
                           rc > 0 ? "refusing to use" : "cannot check", dev, name, why);
            return false;
        }
    }
    return true;
}

static void vg_create(const struct oa_run_ctx *ctx, const struct oa_params *p,
                      const struct oa_argv *a, struct oa_outcome *out)
{
    const char *name = oa_params_str(p, "name");
    struct report vgs = {.n = 0};
    struct oa_buf on;
    char why[512];
    int r = run_argv(ctx, a, why, sizeof(why));

    oa_buf_init(&on, 1024);
    join_paths(&on, oa_params_get(p, "path"));
    if (r < 0) {
        oa_outcome_set(out, false, false, "cannot create volume group %s: %s", name, why);
    } else if (ctx->dry_run) {
        oa_outcome_set(out, true, true, "would create volume group %s on %s", name, on.data);
    } else if (report("vgs", "vg_name", &vgs, why, sizeof(why)) < 0) {
        oa_outcome_set(out, false, true, "created volume group %s, but cannot list it: %s", name,
                       why);
    } else if (!find_row(&vgs, name, NULL)) {
        oa_outcome_set(out, false, true, "vgcreate exited with status 0, but vgs does not list %s",
                       name);
    } else {
        oa_outcome_set(out, true, true, "created volume group %s on %s", name, on.data);
    }
    report_done(&vgs);
    oa_buf_done(&on);
}

static int vg_run(const struct oa_run_ctx *ctx, const struct oa_params *p, struct oa_outcome *out)
{
    const char *name = oa_params_str(p, "name");
    const struct oa_pvalue *paths = oa_params_get(p, "path");
    struct report vgs = {.n = 0}, pvs = {.n = 0};
    char then[512], why[512];
    struct oa_argv a;
    bool installed;

    oa_argv_init(&a);
    if (oa_lvm_vgcreate_argv(p, &a, out->comment, sizeof(out->comment)) < 0) {
        out->result = false;
        goto done;
    }
    snprintf(then, sizeof(then), "create volume group %s unless it exists", name);
    if (!ensure_lvm(ctx, then, &installed, out))
        goto done;
    if (report("vgs", "vg_name", &vgs, why, sizeof(why)) < 0) {
        oa_outcome_set(out, false, installed, "cannot list the volume groups: %s", why);
        goto done;
    }
    if (list_pvs(&pvs, out) < 0)
        goto done;
    if (find_row(&vgs, name, NULL))
        vg_exists(name, paths, &pvs, out);
    else if (vg_devices_usable(name, paths, &pvs, out))
        vg_create(ctx, p, &a, out);
    if (installed)
        say_installed(out);
done:
    report_done(&vgs);
    report_done(&pvs);
    oa_argv_done(&a);
    return 0;
}

const struct oa_module oa_mod_linux_lvm_vg = {
    .name = "linux.lvm.vg",
    .params = vg_params,
    .n_params = sizeof(vg_params) / sizeof(vg_params[0]),
    .run = vg_run,
};

/* ---- linux.lvm.lv -------------------------------------------------------- */

static const struct oa_param_spec lv_params[] = {
    {"name", OA_PT_LINE, OA_PF_REQUIRED},
    {"vg-name", OA_PT_LINE, OA_PF_REQUIRED},
    {"le-size", OA_PT_LINE, 0},
    {"le-number", OA_PT_LINE, 0},
    {"path", OA_PT_ARRAY, 0},
    {"snapshot", OA_PT_LINE, 0},
    {"chunk-size", OA_PT_LINE, 0},
    {"contiguous", OA_PT_BOOL, 0},
    {"discards", OA_PT_LINE, 0},
    {"stripe-number", OA_PT_LINE, 0},
    {"stripe-size", OA_PT_LINE, 0},
    {"minor-number", OA_PT_LINE, 0},
    {"persistent", OA_PT_BOOL, 0},
    {"mirror-number", OA_PT_LINE, 0},
    {"no-udev-sync", OA_PT_BOOL, 0},
    {"monitor", OA_PT_BOOL, 0},
    {"ignore-monitoring", OA_PT_BOOL, 0},
    {"permission", OA_PT_LINE, 0},
    {"pool-metadata-size", OA_PT_LINE, 0},
    {"pool metadata size", OA_PT_LINE, 0},
    {"region-size", OA_PT_LINE, 0},
    {"readahead", OA_PT_LINE, 0},
    {"thinpool", OA_PT_LINE, 0},
    {"type", OA_PT_LINE, 0},
    {"virtual-size", OA_PT_LINE, 0},
    {"zero", OA_PT_BOOL, 0},
    {"available", OA_PT_LINE, 0},
    {"autobackup", OA_PT_BOOL, 0},
    {"tag", OA_PT_ARRAY, 0},
    {"allocation-policy", OA_PT_LINE, 0},
};

/* What is missing for lvcreate to work: the VG, or a snapshot's origin
 * ("" when nothing). */
static void lv_missing(const struct oa_params *p, const struct report *vgs,
                       const struct report *lvs, char *buf, size_t len)
{
    const char *vg = oa_params_str(p, "vg-name"), *origin = oa_params_str(p, "snapshot");

    buf[0] = '\0';
    if (!find_row(vgs, vg, NULL))
        snprintf(buf, len, "volume group %s does not exist", vg);
    else if (origin && !find_row(lvs, vg, origin))
        snprintf(buf, len, "the origin %s/%s of the snapshot does not exist", vg, origin);
}

static void lv_create(const struct oa_run_ctx *ctx, const struct oa_params *p,
                      const struct oa_argv *a, const char *missing, struct oa_outcome *out)
{
    const char *name = oa_params_str(p, "name"), *vg = oa_params_str(p, "vg-name");
    const char *origin = oa_params_str(p, "snapshot");
    char why[512], of[300] = "";
    const struct row *row;
    struct report lvs;

    if (origin)
        snprintf(of, sizeof(of), ", a snapshot of %s/%s", vg, origin);
    if (missing[0] && !ctx->dry_run) {
        oa_outcome_set(out, false, false, "cannot create logical volume %s/%s: %s", vg, name,
                       missing);
        return;
    }
    if (run_argv(ctx, a, why, sizeof(why)) < 0) {
        oa_outcome_set(out, false, false, "cannot create logical volume %s/%s: %s", vg, name, why);
        return;
    }
    if (ctx->dry_run) {
        /* A VG made by an earlier state of the same dry run is not there. */
        if (missing[0])
            oa_outcome_set(out, true, true, "would create logical volume %s/%s%s; %s (yet)", vg,
                           name, of, missing);
        else
            oa_outcome_set(out, true, true, "would create logical volume %s/%s%s", vg, name, of);
        return;
    }
    if (report("lvs", "vg_name,lv_name,lv_size", &lvs, why, sizeof(why)) < 0) {
        oa_outcome_set(out, false, true, "created logical volume %s/%s, but cannot list it: %s", vg,
                       name, why);
        return;
    }
    if (!(row = find_row(&lvs, vg, name)))
        oa_outcome_set(out, false, true,
                       "lvcreate exited with status 0, but lvs does not list %s/%s", vg, name);
    else
        oa_outcome_set(out, true, true, "created logical volume %s/%s (%s)%s", vg, name, row->f[2],
                       of);
    report_done(&lvs);
}

static int lv_run(const struct oa_run_ctx *ctx, const struct oa_params *p, struct oa_outcome *out)
{
    const char *name = oa_params_str(p, "name"), *vg = oa_params_str(p, "vg-name");
    struct report vgs = {.n = 0}, lvs = {.n = 0};
    char then[512], why[512], missing[512];
    const struct row *row;
    struct oa_argv a;
    bool installed;

    oa_argv_init(&a);
    if (oa_lvm_lvcreate_argv(p, &a, out->comment, sizeof(out->comment)) < 0) {
        out->result = false;
        goto done;
    }
    snprintf(then, sizeof(then), "create logical volume %s/%s unless it exists", vg, name);
    if (!ensure_lvm(ctx, then, &installed, out))
        goto done;
    if (report("vgs", "vg_name", &vgs, why, sizeof(why)) < 0 ||
        report("lvs", "vg_name,lv_name,lv_size", &lvs, why, sizeof(why)) < 0) {
        oa_outcome_set(out, false, installed, "cannot list the volume groups and volumes: %s", why);
        goto done;
    }
    if ((row = find_row(&lvs, vg, name))) {
        /* The size is not compared (§10.5). */
        oa_outcome_set(out, true, false, "logical volume %s/%s exists (%s), no changes", vg, name,
                       row->f[2]);
    } else {
        lv_missing(p, &vgs, &lvs, missing, sizeof(missing));
        lv_create(ctx, p, &a, missing, out);
    }
    if (installed)
        say_installed(out);
done:
    report_done(&vgs);
    report_done(&lvs);
    oa_argv_done(&a);
    return 0;
}

const struct oa_module oa_mod_linux_lvm_lv = {
    .name = "linux.lvm.lv",
    .params = lv_params,
    .n_params = sizeof(lv_params) / sizeof(lv_params[0]),
    .run = lv_run,
};
