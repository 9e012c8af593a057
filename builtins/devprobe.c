/* SPDX-License-Identifier: Apache-2.0 */
/* blkid's probe of a device, and the "may this be overwritten" check. */
#include "devprobe.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "blockdev.h"
#include "err.h"
#include "tool.h"

/* Copies the value of KEY=value when line (n bytes) is that key. */
static void take(const char *line, size_t n, const char *key, char *dst, size_t len)
{
    size_t k = strlen(key);

    if (n > k && strncmp(line, key, k) == 0)
        snprintf(dst, len, "%.*s", (int)(n - k), line + k);
}

void oa_devprobe_parse(const char *text, struct oa_devprobe *ret)
{
    memset(ret, 0, sizeof(*ret));
    while (text && *text) {
        size_t n = strcspn(text, "\n");
        take(text, n, "TYPE=", ret->type, sizeof(ret->type));
        take(text, n, "USAGE=", ret->usage, sizeof(ret->usage));
        take(text, n, "PTTYPE=", ret->pttype, sizeof(ret->pttype));
        text += n + (text[n] == '\n');
    }
}

int oa_devprobe_read(const char *dev, struct oa_devprobe *ret, char *why, size_t len)
{
    /* -p: the low-level probe, no cache. Exit status 2 means nothing was
     * found; 8, several signatures that blkid will not choose between. */
    char *argv[] = {"blkid", "-p", "-o", "export", (char *)dev, NULL};
    char st[64];
    struct oa_buf cap;
    int status, r;

    memset(ret, 0, sizeof(*ret));
    oa_buf_init(&cap, 64 * 1024);
    r = oa_tool_exec(argv, NULL, &cap, &status, why, len);
    if (r < 0) {
        /* why says it */
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == 8) {
        snprintf(why, len, "blkid finds several signatures on it (see wipefs %s)", dev);
        r = -EEXIST;
    } else if (!oa_tool_ok(status) && !(WIFEXITED(status) && WEXITSTATUS(status) == 2)) {
        snprintf(why, len, "blkid -p %s", oa_tool_status_text(status, st, sizeof(st)));
        r = -EIO;
    } else {
        oa_devprobe_parse(cap.data, ret);
    }
    oa_buf_done(&cap);
    return r;
}

const char *oa_devprobe_describe(const struct oa_devprobe *pr, char *buf, size_t len)
{
    if (pr->pttype[0])
        snprintf(buf, len, "a %s partition table", pr->pttype);
    else if (pr->type[0])
        snprintf(buf, len, "%s (%s)", pr->type, pr->usage[0] ? pr->usage : "unknown use");
    else if (len)
        buf[0] = '\0';
    return buf;
}

int oa_devprobe_check_free(const char *dev, bool wipe, struct oa_devprobe *ret, char *why,
                           size_t len)
{
    char real[PATH_MAX], busy[PATH_MAX + 128], what[160];
    struct oa_devprobe pr;
    struct stat st;
    int r;

    if (stat(dev, &st) < 0 || !realpath(dev, real)) {
        snprintf(why, len, "%s", errno == ENOENT ? "it does not exist" : strerror(errno));
        return 1;
    }
    if (!S_ISBLK(st.st_mode)) {
        snprintf(why, len, "it is not a block device");
        return 1;
    }
    r = oa_blockdev_busy(real, &st, busy, sizeof(busy));
    if (r < 0) {
        snprintf(why, len, "cannot read /proc/self/mountinfo: %s", oa_strerror(r));
        return r;
    }
    if (r > 0) {
        snprintf(why, len, "%s", busy);
        return 1;
    }
    r = oa_devprobe_read(dev, &pr, busy, sizeof(busy));
    if (r == -EEXIST) {
        snprintf(why, len, "%s", busy);
        return 1;
    }
    if (r < 0) {
        snprintf(why, len, "cannot probe it: %s", busy);
        return r;
    }
    if (ret)
        *ret = pr;
    if (!wipe && (pr.pttype[0] || pr.type[0])) {
        snprintf(why, len, "it holds %s", oa_devprobe_describe(&pr, what, sizeof(what)));
        return 1;
    }
    return 0;
}
