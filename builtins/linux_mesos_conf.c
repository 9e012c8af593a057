/* SPDX-License-Identifier: Apache-2.0 */
/* The configuration files of the mesos modules (linux_mesos.h). */
#include "linux_mesos.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

bool oa_mesos_token_ok(const char *s)
{
    if (!s || !*s)
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr(".-_:", *s))
            return false;
    return true;
}

int oa_mesos_zk_url(const struct oa_kv *masters, size_t n, bool names, const char *suffix,
                    struct oa_buf *out)
{
    int r = oa_buf_puts(out, "zk://");

    for (size_t i = 0; i < n && r == 0; i++) {
        const char *host = names && masters[i].value[0] ? masters[i].value : masters[i].key;
        r = oa_buf_printf(out, "%s%s:2181", i ? "," : "", host);
    }
    return r ? r : oa_buf_printf(out, "/%s\n", suffix);
}

int oa_mesos_zoo_cfg(const struct oa_kv *masters, size_t n, struct oa_buf *out)
{
    int r = oa_buf_puts(out, "tickTime=2000\ninitLimit=10\nsyncLimit=5\n"
                             "dataDir=/var/lib/zookeeper\nclientPort=2181\n");

    for (size_t i = 0; i < n && r == 0; i++)
        r = oa_buf_printf(out, "server.%zu=%s:2888:3888\n", i + 1, masters[i].key);
    return r;
}

unsigned oa_mesos_quorum(size_t n)
{
    return (unsigned)(n / 2 + 1);
}

int oa_mesos_attributes(const struct oa_kv *attrs, size_t n, const char *zone, struct oa_buf *out)
{
    int r = 0;

    for (size_t i = 0; i < n && r == 0; i++)
        r = oa_buf_printf(out, "%s%s:%s", i ? ";" : "", attrs[i].key, attrs[i].value);
    if (r == 0 && zone && zone[0])
        r = oa_buf_printf(out, "%saz:%s", n ? ";" : "", zone);
    return r ? r : oa_buf_puts(out, "\n");
}

const char *oa_mesos_zone_of(const char *attributes, char *buf, size_t len)
{
    const char *p = attributes;

    buf[0] = '\0';
    while (p && *p) {
        size_t n = strcspn(p, ";\n");
        if (n > 3 && strncmp(p, "az:", 3) == 0) {
            snprintf(buf, len, "%.*s", (int)(n - 3), p + 3);
            break;
        }
        p += n;
        p += *p != '\0';
    }
    return buf;
}

/* Whether the blank-separated fields of line [s, s+n) after the first
 * include name. */
static bool line_names(const char *s, size_t n, const char *name, size_t *addr_len)
{
    size_t i = strcspn(s, " \t"), k = strlen(name);

    *addr_len = i < n ? i : n;
    while (i < n) {
        i += strspn(s + i, " \t");
        size_t f = strcspn(s + i, " \t\n");
        if (f > n - i)
            f = n - i;
        if (s[i] == '#')
            return false;
        if (f == k && strncmp(s + i, name, k) == 0)
            return true;
        i += f;
    }
    return false;
}

/* The line without name (its other names kept), or nothing when no name is
 * left. */
static int drop_name(const char *s, size_t n, size_t alen, const char *name, struct oa_buf *out)
{
    struct oa_buf kept;
    size_t i = alen, k = strlen(name);
    int r = 0;

    oa_buf_init(&kept, 65536);
    while (i < n && r == 0) {
        i += strspn(s + i, " \t");
        size_t f = strcspn(s + i, " \t\n");
        if (f > n - i)
            f = n - i;
        if (f && !(f == k && strncmp(s + i, name, k) == 0))
            r = oa_buf_printf(&kept, "\t%.*s", (int)f, s + i);
        i += f;
    }
    if (r == 0 && kept.len)
        r = oa_buf_printf(out, "%.*s%s\n", (int)alen, s, kept.data);
    oa_buf_done(&kept);
    return r;
}

int oa_mesos_hosts_with(const char *current, const char *ip, const char *name, struct oa_buf *out)
{
    const char *s = current ? current : "";
    size_t alen, iplen = strlen(ip);
    int r = 0;

    for (const char *p = s; *p;) {
        size_t n = strcspn(p, "\n");
        if (line_names(p, n, name, &alen) && alen == iplen && strncmp(p, ip, iplen) == 0) {
            oa_buf_reset(out);
            return oa_buf_puts(out, s) < 0 ? -ENOMEM : 0;
        }
        p += n + (p[n] == '\n');
    }
    for (const char *p = s; *p && r == 0;) {
        size_t n = strcspn(p, "\n");
        if (p[0] != '#' && line_names(p, n, name, &alen))
            r = drop_name(p, n, alen, name, out);
        else
            r = oa_buf_printf(out, "%.*s\n", (int)n, p);
        p += n + (p[n] == '\n');
    }
    if (r == 0)
        r = oa_buf_printf(out, "%s\t%s\n", ip, name);
    return r < 0 ? -ENOMEM : 1;
}
