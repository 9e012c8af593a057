/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The text side of linux.raid (modules.md §10.6): the md device name, the
 * mdadm --create command line, `mdadm --detail` output and mdadm.conf
 * (mdadm.conf(5): words separated by blanks, '#' starts a comment, a line
 * starting with a blank continues the one before).
 */
#include "linux_raid.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "parse.h"

bool oa_raid_device_ok(const char *dev)
{
    const char *name;

    if (strncmp(dev, "/dev/md/", 8) == 0) {
        name = dev + 8;
        return name[0] && name[0] != '.' && strlen(name) <= 32 &&
               strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") ==
                   strlen(name);
    }
    if (strncmp(dev, "/dev/md", 7) != 0)
        return false;
    name = dev + 7;
    return name[0] && strlen(name) <= 6 && strspn(name, "0123456789") == strlen(name);
}

/* An argument key: an mdadm long option without its dashes. */
static bool key_ok(const char *k)
{
    return isalnum((unsigned char)k[0]) &&
           strspn(k, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") ==
               strlen(k);
}

static int check_devices(const struct oa_pvalue *devices, char *err, size_t errlen)
{
    for (size_t i = 0; i < devices->n; i++) {
        if (devices->items[i][0] != '/') {
            snprintf(err, errlen, "parameter 'devices': '%s' is not an absolute path",
                     devices->items[i]);
            return OA_ESCHEMA;
        }
        for (size_t k = 0; k < i; k++)
            if (strcmp(devices->items[i], devices->items[k]) == 0) {
                snprintf(err, errlen, "parameter 'devices': %s is given twice", devices->items[i]);
                return OA_ESCHEMA;
            }
    }
    return 0;
}

/* Checks the arguments and counts the spares among the devices. */
static int check_arguments(const struct oa_pvalue *args, size_t n_devices, uint64_t *spares,
                           char *err, size_t errlen)
{
    static const char *const owned[] = {"create", "level", "raid-devices"};

    *spares = 0;
    for (size_t i = 0; args->present && i < args->n; i++) {
        const char *k = args->kv[i].key;
        if (!key_ok(k)) {
            snprintf(err, errlen, "parameter 'arguments': '%s' is not an mdadm option name", k);
            return OA_ESCHEMA;
        }
        for (size_t j = 0; j < sizeof(owned) / sizeof(owned[0]); j++)
            if (strcmp(k, owned[j]) == 0) {
                snprintf(err, errlen,
                         "parameter 'arguments': --%s is set by the module itself (from "
                         "'device-name', 'level' and 'devices')",
                         k);
                return OA_ESCHEMA;
            }
        if (strcmp(k, "spare-devices") == 0 &&
            (oa_parse_u64(args->kv[i].value, n_devices, spares) < 0 || *spares >= n_devices)) {
            snprintf(err, errlen,
                     "parameter 'arguments': spare-devices '%s' is not a number of spares "
                     "smaller than the %zu devices",
                     args->kv[i].value, n_devices);
            return OA_ESCHEMA;
        }
    }
    return 0;
}

int oa_raid_create_argv(const char *dev, const char *level, const struct oa_pvalue *devices,
                        const struct oa_pvalue *arguments, struct oa_argv *a, char *err,
                        size_t errlen)
{
    uint64_t spares;
    int r;

    if (!oa_raid_device_ok(dev)) {
        snprintf(err, errlen, "parameter 'device-name': '%s' is not an md device (/dev/mdN)", dev);
        return OA_ESCHEMA;
    }
    if (!level[0] || level[0] == '-') {
        snprintf(err, errlen, "parameter 'level': '%s' is not a RAID level", level);
        return OA_ESCHEMA;
    }
    if (!devices->present || devices->n == 0) {
        snprintf(err, errlen, "missing required parameter 'devices'");
        return OA_ESCHEMA;
    }
    if ((r = check_devices(devices, err, errlen)) < 0 ||
        (r = check_arguments(arguments, devices->n, &spares, err, errlen)) < 0)
        return r;
    oa_argv_add(a, "mdadm");
    oa_argv_add(a, "--create");
    oa_argv_add(a, dev);
    oa_argv_add(a, "--run");
    oa_argv_add(a, "--force");
    oa_argv_add(a, "-l");
    oa_argv_add(a, level);
    oa_argv_add(a, "-n");
    oa_argv_addf(a, "%zu", devices->n - (size_t)spares);
    for (size_t i = 0; arguments->present && i < arguments->n; i++) {
        if (arguments->kv[i].value[0])
            oa_argv_addf(a, "--%s=%s", arguments->kv[i].key, arguments->kv[i].value);
        else
            oa_argv_addf(a, "--%s", arguments->kv[i].key);
    }
    for (size_t i = 0; i < devices->n; i++)
        oa_argv_add(a, devices->items[i]);
    return oa_argv_status(a);
}

/* The value after "KEY :" on a line of --detail output, cut to len. */
static bool detail_value(const char *line, size_t n, const char *key, char *buf, size_t len)
{
    size_t k = strlen(key), skip = strspn(line, " ");

    if (n < skip + k || strncmp(line + skip, key, k) != 0)
        return false;
    line += skip + k;
    n -= skip + k;
    skip = strspn(line, " ");
    if (n <= skip || line[skip] != ':')
        return false;
    line += skip + 1;
    n -= skip + 1;
    skip = strspn(line, " ");
    line += skip;
    n -= skip;
    while (n && line[n - 1] == ' ')
        n--;
    snprintf(buf, len, "%.*s", (int)n, line);
    return true;
}

void oa_raid_parse_detail(const char *text, struct oa_raid_detail *ret)
{
    char num[32];
    uint64_t v;

    memset(ret, 0, sizeof(*ret));
    while (text && *text) {
        size_t n = strcspn(text, "\n");
        detail_value(text, n, "Raid Level", ret->level, sizeof(ret->level));
        detail_value(text, n, "State", ret->state, sizeof(ret->state));
        detail_value(text, n, "UUID", ret->uuid, sizeof(ret->uuid));
        if (detail_value(text, n, "Raid Devices", num, sizeof(num)) &&
            oa_parse_u64(num, 1u << 20, &v) == 0)
            ret->devices = (unsigned)v;
        text += n + (text[n] == '\n');
    }
}

/* The device and UUID of an ARRAY record (its words up to a '#'). */
struct record {
    size_t start, end; /* bytes of the record, continuation lines included */
    bool array;
    char dev[256];
    char uuid[80];
};

/* Reads the words of text[from, to) into r (dev: the second word of an
 * ARRAY line; uuid: a UUID= word anywhere). */
static void record_words(const char *text, size_t from, size_t to, struct record *r)
{
    size_t i = from, word = 0;

    while (i < to) {
        size_t n;
        while (i < to && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n'))
            i++;
        if (i >= to)
            break;
        if (text[i] == '#') {
            while (i < to && text[i] != '\n')
                i++;
            continue;
        }
        for (n = 0; i + n < to && !strchr(" \t\n", text[i + n]); n++)
            ;
        if (word == 0)
            r->array = n == 5 && strncasecmp(text + i, "ARRAY", 5) == 0;
        else if (word == 1 && r->array)
            snprintf(r->dev, sizeof(r->dev), "%.*s", (int)n, text + i);
        else if (n > 5 && strncasecmp(text + i, "UUID=", 5) == 0)
            snprintf(r->uuid, sizeof(r->uuid), "%.*s", (int)(n - 5), text + i + 5);
        word++;
        i += n;
    }
}

/* The record starting at pos: a line and the lines that continue it. */
static void next_record(const char *text, size_t len, size_t pos, struct record *r)
{
    size_t end = pos;

    memset(r, 0, sizeof(*r));
    r->start = pos;
    do {
        const char *nl = memchr(text + end, '\n', len - end);
        end = nl ? (size_t)(nl - text) + 1 : len;
    } while (end < len && (text[end] == ' ' || text[end] == '\t'));
    r->end = end;
    record_words(text, pos, end, r);
}

int oa_raid_conf_edit(const char *text, size_t len, const char *line, struct oa_buf *out,
                      enum oa_raid_conf_change *ret)
{
    struct record want, r, same_dev = {.array = false};
    size_t pos = 0, n = strcspn(line, "\n");
    int rc;

    memset(&want, 0, sizeof(want));
    record_words(line, 0, n, &want);
    if (!want.array || !want.dev[0])
        return OA_ESCHEMA;
    *ret = OA_RAID_CONF_ADDED;
    while (pos < len) {
        next_record(text, len, pos, &r);
        pos = r.end;
        if (!r.array)
            continue;
        if (want.uuid[0] ? strcasecmp(r.uuid, want.uuid) == 0 : strcmp(r.dev, want.dev) == 0) {
            *ret = OA_RAID_CONF_UNCHANGED;
            return oa_buf_append(out, text, len);
        }
        if (!same_dev.array && strcmp(r.dev, want.dev) == 0)
            same_dev = r;
    }
    if (same_dev.array) {
        *ret = OA_RAID_CONF_REPLACED;
        if ((rc = oa_buf_append(out, text, same_dev.start)) < 0 ||
            (rc = oa_buf_printf(out, "%.*s\n", (int)n, line)) < 0)
            return rc;
        return oa_buf_append(out, text + same_dev.end, len - same_dev.end);
    }
    if ((rc = oa_buf_append(out, text, len)) < 0)
        return rc;
    if (len && text[len - 1] != '\n' && (rc = oa_buf_puts(out, "\n")) < 0)
        return rc;
    return oa_buf_printf(out, "%.*s\n", (int)n, line);
}
