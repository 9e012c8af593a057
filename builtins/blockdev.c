/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Block devices as sysfs shows them: partitions (a "partition" file in the
 * device's directory), holders (device-mapper, md), loop devices and their
 * backing files; and the mount table of this process.
 */
#include "blockdev.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "childio.h"
#include "fsutil.h"
#include "mnttab.h"
#include "parse.h"

#define MOUNTINFO_MAX (16u << 20)
#define MAX_DEVS 256
#define DEV_NAME_MAX (NAME_MAX + 8) /* "/dev/" and a sysfs name */

/* A one-line sysfs file, without its newline. */
static int read_line(const char *path, char *buf, size_t len)
{
    struct oa_buf b;
    int r;

    oa_buf_init(&b, 4096);
    r = oa_fs_read_file(path, &b);
    if (r == 0)
        snprintf(buf, len, "%.*s", (int)strcspn(b.data ? b.data : "", "\n"), b.data ? b.data : "");
    oa_buf_done(&b);
    return r;
}

/* "/dev/loop0p1" for a device number, from its sysfs link. */
static const char *dev_name(dev_t d, char *buf, size_t len)
{
    char link[64], target[PATH_MAX];
    ssize_t n;

    snprintf(link, sizeof(link), "/sys/dev/block/%u:%u", major(d), minor(d));
    n = readlink(link, target, sizeof(target) - 1);
    if (n > 0) {
        target[n] = '\0';
        const char *base = strrchr(target, '/');
        snprintf(buf, len, "/dev/%.*s", NAME_MAX, base ? base + 1 : target);
    } else {
        snprintf(buf, len, "device %u:%u", major(d), minor(d));
    }
    return buf;
}

static int read_devno(const char *path, dev_t *ret)
{
    char text[32], *colon;
    uint64_t ma, mi;

    if (read_line(path, text, sizeof(text)) < 0 || !(colon = strchr(text, ':')))
        return -EINVAL;
    *colon = '\0';
    if (oa_parse_u64(text, UINT32_MAX, &ma) < 0 || oa_parse_u64(colon + 1, UINT32_MAX, &mi) < 0)
        return -EINVAL;
    *ret = makedev(ma, mi);
    return 0;
}

/* The device numbers that make a device busy: itself and its partitions. */
struct devset {
    dev_t d[MAX_DEVS];
    size_t n;
};

static void add_whole(dev_t whole, struct devset *s)
{
    char dir[64], path[PATH_MAX];
    struct dirent *e;
    DIR *d;
    dev_t part;

    if (s->n < MAX_DEVS)
        s->d[s->n++] = whole;
    snprintf(dir, sizeof(dir), "/sys/dev/block/%u:%u", major(whole), minor(whole));
    if (!(d = opendir(dir)))
        return;
    while ((e = readdir(d)) && s->n < MAX_DEVS) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s/partition", dir, e->d_name);
        if (!oa_fs_exists(path))
            continue;
        snprintf(path, sizeof(path), "%s/%s/dev", dir, e->d_name);
        if (read_devno(path, &part) == 0)
            s->d[s->n++] = part;
    }
    closedir(d);
}

/* The loop devices whose backing file is the image file `real`. */
static void add_loops_of(const char *real, struct devset *s)
{
    char path[PATH_MAX], backing[PATH_MAX];
    struct dirent *e;
    DIR *d = opendir("/sys/block");
    dev_t loop;

    if (!d)
        return;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, "loop", 4) != 0)
            continue;
        snprintf(path, sizeof(path), "/sys/block/%s/loop/backing_file", e->d_name);
        if (read_line(path, backing, sizeof(backing)) < 0 || strcmp(backing, real) != 0)
            continue;
        snprintf(path, sizeof(path), "/sys/block/%s/dev", e->d_name);
        if (read_devno(path, &loop) == 0)
            add_whole(loop, s);
    }
    closedir(d);
}

/* Whether a device of the set is held by another (device-mapper, md). */
static bool held(const struct devset *s, char *why, size_t len)
{
    char dir[80], name[DEV_NAME_MAX];
    struct dirent *e = NULL;
    DIR *d;

    for (size_t i = 0; i < s->n; i++) {
        snprintf(dir, sizeof(dir), "/sys/dev/block/%u:%u/holders", major(s->d[i]), minor(s->d[i]));
        if (!(d = opendir(dir)))
            continue;
        while ((e = readdir(d)) && e->d_name[0] == '.')
            ;
        bool found = e != NULL;
        if (found)
            snprintf(why, len, "%s is in use by /dev/%s", dev_name(s->d[i], name, sizeof(name)),
                     e->d_name);
        closedir(d);
        if (found)
            return true;
    }
    return false;
}

int oa_blockdev_read_mountinfo(struct oa_buf *b)
{
    int r;

    oa_buf_init(b, MOUNTINFO_MAX);
    r = oa_fs_read_file("/proc/self/mountinfo", b);
    if (r == 0 && !b->data)
        r = oa_buf_puts(b, "");
    return r;
}

int oa_blockdev_loop_file(unsigned major, unsigned minor, char *buf, size_t len)
{
    char path[96];

    snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/loop/backing_file", major, minor);
    return read_line(path, buf, len);
}

/* A mount of one of the set's devices, or of `real` itself. */
static bool mounted(const struct devset *s, const char *real, char *text, char *why, size_t len)
{
    struct oa_mountinfo m;
    char name[DEV_NAME_MAX];

    while (oa_mnttab_next_mountinfo(&text, &m)) {
        dev_t d = makedev(m.major, m.minor);
        for (size_t i = 0; i < s->n; i++) {
            if (s->d[i] == d) {
                snprintf(why, len, "%s is mounted on %s", dev_name(d, name, sizeof(name)),
                         m.target);
                return true;
            }
        }
        if (strcmp(m.source, real) == 0) {
            snprintf(why, len, "%s is mounted on %s", real, m.target);
            return true;
        }
    }
    return false;
}

int oa_blockdev_busy(const char *real, const struct stat *st, char *why, size_t len)
{
    struct devset s = {.n = 0};
    char name[DEV_NAME_MAX];
    struct oa_buf text;
    int r;

    if (S_ISBLK(st->st_mode))
        add_whole(st->st_rdev, &s);
    else
        add_loops_of(real, &s);
    if (held(&s, why, len))
        return 1;
    r = oa_blockdev_read_mountinfo(&text);
    if (r == 0)
        r = mounted(&s, real, text.data, why, len) ? 1 : 0;
    oa_buf_done(&text);
    /* An image bound to a loop device may be in use through it, maybe in
     * another mount namespace, which our mount table does not show. */
    if (r == 0 && !S_ISBLK(st->st_mode) && s.n > 0) {
        snprintf(why, len, "it is attached to %s", dev_name(s.d[0], name, sizeof(name)));
        r = 1;
    }
    return r;
}
