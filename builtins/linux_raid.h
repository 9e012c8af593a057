/* SPDX-License-Identifier: Apache-2.0 */
/*
 * linux.raid (modules.md §10.6): the pure parts, exported for the unit
 * tests. The md device name, the `mdadm --create` command line, what
 * `mdadm --detail` says about an array, and the edit that puts the array's
 * ARRAY line into mdadm.conf. The module itself is oa_mod_linux_raid
 * (modules.h); its file is linux_raid.c.
 */
#ifndef OA_LINUX_RAID_H
#define OA_LINUX_RAID_H

#include <stdbool.h>
#include <stddef.h>

#include "argv.h"
#include "buf.h"
#include "params.h"

/* Whether dev names an md array: /dev/mdN or /dev/md/NAME (NAME of
 * letters, digits, '_', '-', '.', not starting with '.'). */
bool oa_raid_device_ok(const char *dev);

/* mdadm --create DEV --run --force -l LEVEL -n COUNT [--k=v | --k]…
 * DEVICE… (§10.6). COUNT is the number of devices, less the value of a
 * spare-devices argument. Returns 0, -ENOMEM, or OA_ESCHEMA with a comment
 * in err (a device that is not an absolute path or is given twice, an
 * argument key that is not an mdadm option word or sets what the module
 * sets itself: create, level, raid-devices). */
int oa_raid_create_argv(const char *dev, const char *level, const struct oa_pvalue *devices,
                        const struct oa_pvalue *arguments, struct oa_argv *a, char *err,
                        size_t errlen);

/* What `mdadm --detail DEV` says ("" / 0 when it does not say). */
struct oa_raid_detail {
    char level[32];   /* Raid Level: raid1 */
    char state[64];   /* State: clean, degraded */
    char uuid[64];    /* UUID: 4b4ac6b3:1b2e7e8f:2b7a2a48:6c1b9f9d */
    unsigned devices; /* Raid Devices */
};

void oa_raid_parse_detail(const char *text, struct oa_raid_detail *ret);

enum oa_raid_conf_change {
    OA_RAID_CONF_UNCHANGED, /* an ARRAY line with the array's UUID is there */
    OA_RAID_CONF_ADDED,     /* appended */
    OA_RAID_CONF_REPLACED,  /* the ARRAY line for the same device had another UUID */
};

/* Computes mdadm.conf text holding line (mdadm --detail --brief output, an
 * "ARRAY DEV … UUID=…" line): unchanged when an ARRAY line has its UUID;
 * else an ARRAY line for the same device (with its continuation lines) is
 * replaced; else line is appended. Every other byte is kept. The whole new
 * text goes to out. Returns 0, OA_ESCHEMA when line is not an ARRAY line,
 * or what oa_buf_append returns. */
int oa_raid_conf_edit(const char *text, size_t len, const char *line, struct oa_buf *out,
                      enum oa_raid_conf_change *ret);

#endif
