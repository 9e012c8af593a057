/* SPDX-License-Identifier: Apache-2.0 */
/*
 * linux.mkfs and linux.mount (modules.md §10.1, §10.2). mkfs formats a block
 * device, or an image file, with mke2fs or mkfs.xfs; mount mounts a device,
 * a UUID=/LABEL= tag or a directory (bind mount) and can keep the mount in
 * /etc/fstab. Both drive util-linux and the filesystems' tools through argv
 * arrays and read the kernel's view from /proc/self/mountinfo and sysfs.
 * Both converge: a device that already holds the wanted filesystem, a mount
 * point already mounted from the wanted device, an fstab line already right
 * are left alone. mkfs never formats a device that is mounted or in use
 * (itself, one of its partitions, the loop device of an image file), nor
 * one that holds anything but a filesystem (a partition table, an LVM or
 * RAID member, swap). The mount-table text is handled in mnttab.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "blockdev.h"
#include "childio.h"
#include "devprobe.h"
#include "err.h"
#include "fsutil.h"
#include "mnttab.h"
#include "modules.h"
#include "osinfo.h"
#include "prereq.h"
#include "tool.h"

#define FSTAB_MAX (1u << 20)
#define FSTAB_PATH "/etc/fstab"

/* The parts of a comment, joined with "; ", and whether anything changed. */
struct notes {
    char text[1536];
    bool changed;
};

__attribute__((format(printf, 2, 3))) static void note(struct notes *nt, const char *fmt, ...)
{
    size_t used = strlen(nt->text);
    va_list ap;

    if (used && used + 2 < sizeof(nt->text)) {
        memcpy(nt->text + used, "; ", 3);
        used += 2;
    }
    va_start(ap, fmt);
    vsnprintf(nt->text + used, sizeof(nt->text) - used, fmt, ap);
    va_end(ap);
}

/* Fails the state; the comment keeps what was already done. */
__attribute__((format(printf, 3, 4))) static void fail(struct oa_outcome *out,
                                                       const struct notes *nt, const char *fmt, ...)
{
    char why[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    oa_outcome_set(out, false, nt->changed, "%s%s%s", nt->text, nt->text[0] ? "; " : "", why);
}

/* Makes sure a tool exists (modules.md §1.6); an install is a change. */
static int ensure(const struct oa_run_ctx *ctx, const struct oa_osinfo *os, const char *tool,
                  const char *deb_pkg, const char *rpm_pkg, struct notes *nt,
                  struct oa_outcome *out)
{
    bool installed;
    int r = oa_prereq_ensure(ctx, os, tool, deb_pkg, rpm_pkg, &installed, out);

    if (r < 0)
        return r;
    if (installed) {
        note(nt, "%s the package %s", ctx->dry_run ? "would install" : "installed",
             os->family == OA_OS_RHEL ? rpm_pkg : deb_pkg);
        nt->changed = true;
    }
    return 0;
}

/* An absolute path parameter without its trailing '/' (modules.md §1.2). */
static bool copy_path(const char *name, const char *in, char *buf, size_t len,
                      struct oa_outcome *out)
{
    size_t n = strlen(in);

    if (!oa_fs_is_absolute(in)) {
        oa_outcome_set(out, false, false, "parameter '%s': '%s' is not an absolute path", name, in);
        return false;
    }
    while (n > 1 && in[n - 1] == '/')
        n--;
    if (n >= len) {
        oa_outcome_set(out, false, false, "parameter '%s': the path is too long", name);
        return false;
    }
    memcpy(buf, in, n);
    buf[n] = '\0';
    return true;
}

/* The whole of /proc/self/mountinfo, for a failing state a comment. */
static int load_mountinfo(struct oa_buf *b, struct oa_outcome *out)
{
    int r = oa_blockdev_read_mountinfo(b);

    if (r < 0)
        oa_outcome_set(out, false, false, "cannot read /proc/self/mountinfo: %s", oa_strerror(r));
    return r;
}

/* Runs a tool; a failure to start it or a non-zero exit is described in
 * why ("mount exited with status 32"). */
static int run_tool(char *const argv[], char *why, size_t len)
{
    char st[64];
    int status, r = oa_tool_exec(argv, NULL, NULL, &status, why, len);

    if (r == 0 && !oa_tool_ok(status)) {
        snprintf(why, len, "%s %s", argv[0], oa_tool_status_text(status, st, sizeof(st)));
        r = -EIO;
    }
    return r;
}

/* ---- linux.mkfs ---------------------------------------------------------- */

static const struct oa_param_spec mkfs_params[] = {
    {"device", OA_PT_LINE, OA_PF_REQUIRED},
    {"fstype", OA_PT_LINE, OA_PF_REQUIRED},
    {"label", OA_PT_LINE, 0},
};

/* Reads the device's signatures (devprobe.h); fails the state when blkid
 * cannot tell or finds several. */
static int probe_device(const char *dev, struct oa_devprobe *pr, struct oa_outcome *out)
{
    char why[512];
    int r = oa_devprobe_read(dev, pr, why, sizeof(why));

    if (r == -EEXIST)
        oa_outcome_set(out, false, false, "refusing to format %s: %s", dev, why);
    else if (r < 0)
        oa_outcome_set(out, false, false, "cannot probe %s: %s", dev, why);
    return r;
}

static bool mkfs_validate(const struct oa_params *p, char *dev, size_t len, struct oa_outcome *out)
{
    static const char *const types[] = {"ext2", "ext3", "ext4", "xfs"};
    const char *fstype = oa_params_str(p, "fstype");

    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(fstype, types[i]) == 0)
            return copy_path("device", oa_params_str(p, "device"), dev, len, out);
    oa_outcome_set(out, false, false,
                   "parameter 'fstype': '%s' is not one of ext2, ext3, ext4, xfs", fstype);
    return false;
}

/* The device must be a block device, or a regular file (an image). */
static bool device_usable(const char *dev, struct stat *st, char *real, size_t len,
                          struct oa_outcome *out)
{
    char buf[PATH_MAX];

    if (stat(dev, st) < 0 || !realpath(dev, buf)) {
        oa_outcome_set(out, false, false, "device %s: %s", dev, strerror(errno));
        return false;
    }
    if (!S_ISBLK(st->st_mode) && !S_ISREG(st->st_mode)) {
        oa_outcome_set(out, false, false, "device %s is neither a block device nor a file", dev);
        return false;
    }
    snprintf(real, len, "%s", buf);
    return true;
}

/* Formats only over nothing or over a filesystem of another type (the
 * original reformatted those, and a fixture does so on purpose). */
static bool formattable(const char *dev, const struct oa_devprobe *pr, struct oa_outcome *out)
{
    if (pr->pttype[0]) {
        oa_outcome_set(out, false, false,
                       "refusing to format %s: it holds a %s partition table; format one of its "
                       "partitions instead",
                       dev, pr->pttype);
        return false;
    }
    if (pr->type[0] && strcmp(pr->usage, "filesystem") != 0) {
        oa_outcome_set(out, false, false,
                       "refusing to format %s: it holds %s (%s), not a filesystem", dev, pr->type,
                       pr->usage[0] ? pr->usage : "unknown use");
        return false;
    }
    return true;
}

static bool not_busy(const char *dev, const char *real, const struct stat *st,
                     struct oa_outcome *out)
{
    char why[PATH_MAX + 128];
    int r = oa_blockdev_busy(real, st, why, sizeof(why));

    if (r < 0)
        oa_outcome_set(out, false, false, "cannot read /proc/self/mountinfo: %s", oa_strerror(r));
    else if (r > 0)
        oa_outcome_set(out, false, false, "refusing to format %s: %s", dev, why);
    return r == 0;
}

static int format_device(const char *dev, const char *fstype, const char *label, char *why,
                         size_t len)
{
    bool xfs = strcmp(fstype, "xfs") == 0;
    char *argv[8];
    size_t n = 0;

    argv[n++] = xfs ? "mkfs.xfs" : "mke2fs";
    argv[n++] = xfs ? "-f" : "-F";
    if (!xfs) {
        argv[n++] = "-t";
        argv[n++] = (char *)fstype;
    }
    if (label) {
        argv[n++] = "-L";
        argv[n++] = (char *)label;
    }
    argv[n++] = (char *)dev;
    argv[n] = NULL;
    return run_tool(argv, why, len);
}

/* Formats and checks the result with a second probe. */
static void mkfs_apply(const char *dev, const char *fstype, const char *label, const char *old,
                       struct notes *nt, struct oa_outcome *out)
{
    struct oa_devprobe pr;
    char why[512];

    printf("formatting %s as %s (it holds %s)\n", dev, fstype, old[0] ? old : "no filesystem");
    if (format_device(dev, fstype, label, why, sizeof(why)) < 0) {
        /* Changed unless the old signature is still there as it was. */
        nt->changed = nt->changed || probe_device(dev, &pr, out) < 0 || strcmp(pr.type, old) != 0;
        fail(out, nt, "cannot format %s as %s: %s", dev, fstype, why);
        return;
    }
    nt->changed = true;
    if (probe_device(dev, &pr, out) < 0)
        return;
    if (strcmp(pr.type, fstype) != 0) {
        fail(out, nt, "%s was formatted, but blkid reports %s instead of %s", dev,
             pr.type[0] ? pr.type : "no filesystem", fstype);
        return;
    }
    note(nt, "formatted %s as %s%s%s%s%s", dev, fstype, label ? " with label " : "",
         label ? label : "", old[0] ? ", replacing " : " (it held no filesystem)", old);
    oa_outcome_set(out, true, true, "%s", nt->text);
}

static int mkfs_run(const struct oa_run_ctx *ctx, const struct oa_params *p, struct oa_outcome *out)
{
    const char *fstype = oa_params_str(p, "fstype"), *label = oa_params_str(p, "label");
    bool xfs = strcmp(fstype, "xfs") == 0;
    char dev[PATH_MAX], real[PATH_MAX], old[96];
    struct notes nt = {"", false};
    struct oa_osinfo os;
    struct oa_devprobe pr;
    struct stat st;

    if (!mkfs_validate(p, dev, sizeof(dev), out) ||
        !device_usable(dev, &st, real, sizeof(real), out))
        return 0;
    oa_osinfo_read(&os);
    if (ensure(ctx, &os, "blkid", "util-linux", "util-linux", &nt, out) < 0)
        return 0;
    if (nt.changed && ctx->dry_run) {
        oa_outcome_set(out, true, true, "%s, then format %s as %s unless it holds %s already",
                       nt.text, dev, fstype, fstype);
        return 0;
    }
    if (probe_device(dev, &pr, out) < 0)
        return 0;
    if (strcmp(pr.type, fstype) == 0) {
        /* The label is not compared, as in the original. */
        note(&nt, "%s already holds %s, no changes", dev, fstype);
        oa_outcome_set(out, true, nt.changed, "%s", nt.text);
        return 0;
    }
    if (!not_busy(dev, real, &st, out) || !formattable(dev, &pr, out) ||
        ensure(ctx, &os, xfs ? "mkfs.xfs" : "mke2fs", xfs ? "xfsprogs" : "e2fsprogs",
               xfs ? "xfsprogs" : "e2fsprogs", &nt, out) < 0)
        return 0;
    snprintf(old, sizeof(old), "%s", pr.type);
    if (ctx->dry_run) {
        note(&nt, "would format %s as %s%s%s%s%s", dev, fstype, label ? " with label " : "",
             label ? label : "", old[0] ? ", replacing " : " (it holds no filesystem)", old);
        oa_outcome_set(out, true, true, "%s", nt.text);
        return 0;
    }
    mkfs_apply(dev, fstype, label, old, &nt, out);
    return 0;
}

const struct oa_module oa_mod_linux_mkfs = {
    .name = "linux.mkfs",
    .params = mkfs_params,
    .n_params = sizeof(mkfs_params) / sizeof(mkfs_params[0]),
    .run = mkfs_run,
};

/* ---- linux.mount --------------------------------------------------------- */

static const struct oa_param_spec mount_params[] = {
    {"path", OA_PT_LINE, OA_PF_REQUIRED},
    {"device", OA_PT_LINE, OA_PF_REQUIRED},
    {"filesystem", OA_PT_LINE, OA_PF_REQUIRED},
    {"opts", OA_PT_ARRAY, 0},
    {"fstab", OA_PT_BOOL, 0},
    {"dump", OA_PT_LINE, 0},
    {"pass", OA_PT_LINE, 0},
};

struct mount_req {
    char path[PATH_MAX]; /* as given, without a trailing '/' */
    char real[PATH_MAX]; /* its real path, as mountinfo shows it */
    const char *device;
    char resolved[PATH_MAX]; /* the device with UUID=/LABEL= looked up */
    const char *fstype;
    char opts[2048];
    uint64_t dump, pass;
    bool fstab, bind;
};

/* opts as one comma-separated list; an array is joined (modules.md §I). */
static bool join_opts(const struct oa_pvalue *v, struct mount_req *req, struct oa_outcome *out)
{
    size_t used = 0;

    req->opts[0] = '\0';
    for (size_t i = 0; v->present && i < v->n; i++) {
        const char *s = v->items[i];
        while (*s) {
            size_t n = strcspn(s, ",");
            int w = n ? snprintf(req->opts + used, sizeof(req->opts) - used, "%s%.*s",
                                 used ? "," : "", (int)n, s)
                      : 0;
            if (w < 0 || (size_t)w >= sizeof(req->opts) - used) {
                oa_outcome_set(out, false, false, "parameter 'opts': the list is too long");
                return false;
            }
            used += (size_t)w;
            req->bind = req->bind || (n == 4 && strncmp(s, "bind", 4) == 0) ||
                        (n == 5 && strncmp(s, "rbind", 5) == 0);
            s += n + (s[n] == ',');
        }
    }
    if (!used)
        snprintf(req->opts, sizeof(req->opts), "defaults");
    return true;
}

static bool mount_validate(const struct oa_params *p, struct mount_req *req, struct oa_outcome *out)
{
    char *err = out->comment;
    size_t errlen = sizeof(out->comment);

    req->device = oa_params_str(p, "device");
    req->fstype = oa_params_str(p, "filesystem");
    req->fstab = oa_params_bool(p, "fstab", false);
    if (!copy_path("path", oa_params_str(p, "path"), req->path, sizeof(req->path), out) ||
        !join_opts(oa_params_get(p, "opts"), req, out))
        return false;
    /* A leading '-' would read as an option of mount(8). */
    if (req->device[0] == '-' || req->fstype[0] == '-') {
        oa_outcome_set(out, false, false, "parameter '%s': '%s' may not start with '-'",
                       req->device[0] == '-' ? "device" : "filesystem",
                       req->device[0] == '-' ? req->device : req->fstype);
        return false;
    }
    if (oa_params_uint(p, "dump", 0, INT32_MAX, 0, &req->dump, err, errlen) < 0 ||
        oa_params_uint(p, "pass", 0, INT32_MAX, 0, &req->pass, err, errlen) < 0) {
        out->result = false;
        return false;
    }
    if (!realpath(req->path, req->real)) {
        if (errno == ENOENT)
            oa_outcome_set(out, false, false, "mount point %s does not exist", req->path);
        else
            oa_outcome_set(out, false, false, "mount point %s: %s", req->path, strerror(errno));
        return false;
    }
    /* Checked before anything is unmounted for it. */
    if (req->device[0] == '/' && !oa_fs_exists(req->device)) {
        oa_outcome_set(out, false, false, "device %s does not exist", req->device);
        return false;
    }
    return true;
}

/* Looks UUID=, LABEL=, PARTUUID= and PARTLABEL= up with blkid; other
 * devices are used as they are. */
static bool resolve_device(struct mount_req *req, struct oa_outcome *out)
{
    static const char *const tags[] = {"UUID=", "LABEL=", "PARTUUID=", "PARTLABEL="};
    /* No cache (-c /dev/null): a fresh probe, and nothing written. */
    char *argv[] = {"blkid", "-c", "/dev/null",         "-o", "device",
                    "-l",    "-t", (char *)req->device, NULL};
    char why[512];
    struct oa_buf cap;
    int status, r;
    bool tag = false;

    for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
        tag = tag || strncmp(req->device, tags[i], strlen(tags[i])) == 0;
    if (!tag) {
        snprintf(req->resolved, sizeof(req->resolved), "%s", req->device);
        return true;
    }
    oa_buf_init(&cap, 64 * 1024);
    r = oa_tool_exec(argv, NULL, &cap, &status, why, sizeof(why));
    if (r == 0 && oa_tool_ok(status) && cap.data && cap.data[0] == '/')
        snprintf(req->resolved, sizeof(req->resolved), "%.*s", (int)strcspn(cap.data, "\n"),
                 cap.data);
    else if (r == 0)
        snprintf(why, sizeof(why), "blkid finds no such device");
    oa_buf_done(&cap);
    if (r < 0 || !req->resolved[0]) {
        oa_outcome_set(out, false, false, "cannot find the device %s: %s", req->device, why);
        return false;
    }
    return true;
}

/* The topmost mount on the mount point; cur->m points into text. */
struct current {
    struct oa_buf text;
    struct oa_mountinfo m;
    bool found;
};

static int find_current(const struct mount_req *req, struct current *cur, struct oa_outcome *out)
{
    struct oa_mountinfo m;
    char *cursor;

    cur->found = false;
    if (load_mountinfo(&cur->text, out) < 0)
        return -EIO;
    cursor = cur->text.data;
    while (oa_mnttab_next_mountinfo(&cursor, &m))
        if (strcmp(m.target, req->real) == 0) {
            cur->m = m;
            cur->found = true;
        }
    return 0;
}

static bool same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

/* Whether the mount found is of the wanted device: the same directory for
 * a bind mount, the same device number for a block device, the loop
 * device of the same image file, else the same source text. */
static bool same_device(const struct mount_req *req, const struct oa_mountinfo *m)
{
    const char *want = req->resolved;
    char a[PATH_MAX], b[PATH_MAX];
    struct stat st;

    if (want[0] != '/')
        return strcmp(m->source, want) == 0;
    if (stat(want, &st) < 0)
        return false;
    if (req->bind || S_ISDIR(st.st_mode))
        return same_file(req->real, want);
    if (S_ISBLK(st.st_mode) && st.st_rdev == makedev(m->major, m->minor))
        return true;
    if (S_ISREG(st.st_mode) && realpath(want, a) &&
        oa_blockdev_loop_file(m->major, m->minor, b, sizeof(b)) == 0 && strcmp(a, b) == 0)
        return true;
    return realpath(want, a) && realpath(m->source, b) && strcmp(a, b) == 0;
}

static int do_mount(const struct mount_req *req, struct notes *nt, struct oa_outcome *out)
{
    char *argv[] = {
        "mount",           "-t", (char *)req->fstype, "-o", (char *)req->opts, (char *)req->device,
        (char *)req->path, NULL};
    struct current cur = {.found = false};
    char why[512];
    int r;

    if (run_tool(argv, why, sizeof(why)) < 0) {
        fail(out, nt, "cannot mount %s on %s: %s", req->device, req->path, why);
        return -EIO;
    }
    nt->changed = true;
    r = find_current(req, &cur, out);
    if (r == 0 && !(cur.found && same_device(req, &cur.m))) {
        fail(out, nt, "mount exited with status 0, but %s is not mounted from %s", req->path,
             req->device);
        r = -EIO;
    }
    oa_buf_done(&cur.text);
    if (r == 0)
        note(nt, "mounted %s on %s (%s, %s)", req->device, req->path, req->fstype, req->opts);
    return r;
}

/* What is mounted, as findmnt shows it: "/dev/vda[/srv/data]" for a bind
 * mount of a directory of /dev/vda. */
static const char *mount_source(const struct oa_mountinfo *m, char *buf, size_t len)
{
    if (strcmp(m->root, "/") == 0)
        snprintf(buf, len, "%s", m->source);
    else
        snprintf(buf, len, "%s[%s]", m->source, m->root);
    return buf;
}

/* Unmounts what is on the mount point when it is another device, then
 * mounts (§10.2 steps 1, 2). */
static int converge_mount(const struct oa_run_ctx *ctx, const struct mount_req *req,
                          const struct current *cur, struct notes *nt, struct oa_outcome *out)
{
    char *umount_argv[] = {"umount", (char *)req->real, NULL};
    char why[512], src[PATH_MAX + 256];

    if (cur->found)
        mount_source(&cur->m, src, sizeof(src));
    if (cur->found && ctx->dry_run) {
        note(nt, "would unmount %s from %s", src, req->path);
    } else if (cur->found) {
        if (run_tool(umount_argv, why, sizeof(why)) < 0) {
            fail(out, nt, "cannot unmount %s from %s: %s", src, req->path, why);
            return -EIO;
        }
        note(nt, "unmounted %s from %s", src, req->path);
    }
    nt->changed = nt->changed || cur->found;
    if (ctx->dry_run) {
        note(nt, "would mount %s on %s (%s, %s)", req->device, req->path, req->fstype, req->opts);
        nt->changed = true;
        return 0;
    }
    return do_mount(req, nt, out);
}

/* Already mounted: changed options are not applied (no remount, §10.2
 * step 4), but the report says which ones are not in effect. */
static void report_mounted(const struct mount_req *req, const struct oa_mountinfo *m,
                           struct notes *nt)
{
    char missing[512];

    note(nt, "%s is already mounted from %s", req->path, req->device);
    /* A bind mount shows the type of the filesystem it comes from. */
    if (!req->bind && strcmp(req->fstype, "auto") != 0 && strcmp(req->fstype, "none") != 0 &&
        strcmp(req->fstype, m->fstype) != 0)
        note(nt, "it is mounted as %s, not %s", m->fstype, req->fstype);
    if (oa_mnttab_opts_missing(req->opts, m->opts, m->super_opts, missing, sizeof(missing)))
        note(nt,
             "options %s not in effect (mounted with %s); a mounted filesystem is not remounted",
             missing, m->opts);
}

/* The fstab file itself when /etc/fstab is a symlink, and its mode. */
static void fstab_target(char *path, size_t len, struct stat *st)
{
    char real[PATH_MAX];

    snprintf(path, len, "%s", realpath(FSTAB_PATH, real) ? real : FSTAB_PATH);
    if (stat(path, st) < 0) {
        memset(st, 0, sizeof(*st));
        st->st_mode = 0644;
        st->st_uid = (uid_t)-1;
        st->st_gid = (gid_t)-1;
    }
}

static void describe_edit(const struct oa_run_ctx *ctx, const struct oa_fstab_edit *ed,
                          struct notes *nt)
{
    const char *would = ctx->dry_run ? "would be " : "";

    if (ed->change == OA_FSTAB_UNCHANGED && !ed->removed) {
        note(nt, "%s up to date", FSTAB_PATH);
        return;
    }
    if (ed->change == OA_FSTAB_ADDED)
        note(nt, "%s: line %sadded", FSTAB_PATH, would);
    else if (ed->change == OA_FSTAB_REPLACED)
        note(nt, "%s: line %supdated (was: %s)", FSTAB_PATH, would, ed->before);
    if (ed->removed)
        note(nt, "%s: %zu other line%s for the mount point %sremoved", FSTAB_PATH, ed->removed,
             ed->removed == 1 ? "" : "s", would);
    nt->changed = true;
}

/* Reads the fstab text (a missing file is empty) and computes the edit. */
static int edit_fstab(const char *path, const struct mount_req *req, struct oa_buf *text,
                      struct oa_fstab_edit *ed, char *why, size_t len)
{
    const struct oa_fstab_entry want = {req->device, req->path, req->fstype,
                                        req->opts,   req->dump, req->pass};
    struct oa_buf old;
    int r;

    oa_buf_init(&old, FSTAB_MAX);
    r = oa_fs_read_file(path, &old);
    if (r == -ENOENT)
        r = 0;
    if (r < 0)
        snprintf(why, len, "cannot read %s: %s", path,
                 r == OA_ETOOBIG ? "larger than 1 MiB" : strerror(-r));
    else if ((r = oa_mnttab_fstab_edit(old.data ? old.data : "", old.len, &want, req->real, text,
                                       ed)) < 0)
        snprintf(why, len, "cannot edit %s: %s", path,
                 r == -ENOMEM ? "out of memory" : "the result is too large");
    oa_buf_done(&old);
    return r;
}

/* §10.2 step 3: exactly one line for the mount point, written atomically. */
static int sync_fstab(const struct oa_run_ctx *ctx, const struct mount_req *req, struct notes *nt,
                      struct oa_outcome *out)
{
    char path[PATH_MAX], why[PATH_MAX + 128];
    struct oa_fstab_edit ed;
    struct oa_buf text;
    struct stat st;
    int r;

    fstab_target(path, sizeof(path), &st);
    oa_buf_init(&text, FSTAB_MAX + 4096);
    r = edit_fstab(path, req, &text, &ed, why, sizeof(why));
    if (r == 0)
        describe_edit(ctx, &ed, nt);
    if (r == 0 && !ctx->dry_run && (ed.change != OA_FSTAB_UNCHANGED || ed.removed))
        r = oa_fs_write_atomic(path, text.data, text.len, st.st_mode & 07777, st.st_uid, st.st_gid,
                               why, sizeof(why));
    if (r < 0)
        fail(out, nt, "%s", why);
    oa_buf_done(&text);
    return r;
}

static int mount_run(const struct oa_run_ctx *ctx, const struct oa_params *p,
                     struct oa_outcome *out)
{
    struct mount_req req = {.bind = false};
    struct notes nt = {"", false};
    struct current cur = {.found = false};
    struct oa_osinfo os;
    int r;

    if (!mount_validate(p, &req, out))
        return 0;
    oa_osinfo_read(&os);
    if (ensure(ctx, &os, "mount", "mount", "util-linux", &nt, out) < 0 ||
        !resolve_device(&req, out) || find_current(&req, &cur, out) < 0) {
        oa_buf_done(&cur.text);
        return 0;
    }
    if (cur.found && same_device(&req, &cur.m)) {
        report_mounted(&req, &cur.m, &nt);
        r = 0;
    } else {
        r = converge_mount(ctx, &req, &cur, &nt, out);
    }
    oa_buf_done(&cur.text);
    if (r < 0 || (req.fstab && sync_fstab(ctx, &req, &nt, out) < 0))
        return 0;
    if (!nt.changed)
        note(&nt, "no changes");
    oa_outcome_set(out, true, nt.changed, "%s", nt.text);
    return 0;
}

const struct oa_module oa_mod_linux_mount = {
    .name = "linux.mount",
    .params = mount_params,
    .n_params = sizeof(mount_params) / sizeof(mount_params[0]),
    .run = mount_run,
};
