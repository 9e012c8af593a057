/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What a block device holds, as blkid's low-level probe sees it, and
 * whether a device may be given to a tool that overwrites it: linux.mkfs
 * (modules.md §10.1), the LVM modules (§10.3-10.5) and linux.raid (§10.6).
 * A device is free when it is not busy (blockdev.h: mounted, held by
 * device-mapper or md, itself or a partition) and, unless the caller is
 * told to wipe, holds no signature at all: no filesystem, no partition
 * table, no LVM or RAID member, no swap. Runs in the exec-state child.
 */
#ifndef OA_DEVPROBE_H
#define OA_DEVPROBE_H

#include <stdbool.h>
#include <stddef.h>

/* What `blkid -p -o export` finds on a device (empty strings: nothing). */
struct oa_devprobe {
    char type[64];   /* TYPE: ext4, xfs, swap, LVM2_member, linux_raid_member, … */
    char usage[32];  /* USAGE: filesystem, raid, crypto, other */
    char pttype[32]; /* PTTYPE: a partition table (dos, gpt) */
};

/* Fills *ret from blkid's export text ("TYPE=ext4\nUSAGE=filesystem\n"). */
void oa_devprobe_parse(const char *text, struct oa_devprobe *ret);

/* Probes dev with `blkid -p -o export` (no cache). Returns 0 (nothing found
 * is 0 with empty fields), -EEXIST when blkid finds several signatures
 * (exit status 8), or another negative code with why set ("blkid -p exited
 * with status 4", "blkid is not installed"). */
int oa_devprobe_read(const char *dev, struct oa_devprobe *ret, char *why, size_t len);

/* The signature for a comment: "ext4 (filesystem)", "a dos partition
 * table", or "" when there is none. Returns buf. */
const char *oa_devprobe_describe(const struct oa_devprobe *pr, char *buf, size_t len);

/* Whether dev may be overwritten: it must exist and be a block device, not
 * be busy, and (unless wipe) hold no signature; wipe still refuses several
 * signatures at once (blkid cannot say what they are). Returns 0 when free,
 * with the signature a wipe will destroy in *ret (may be NULL); 1 when not,
 * with why set ("/dev/loop3 holds ext4 (filesystem)", "/dev/loop3 is
 * mounted on /mnt"); or a negative code with why set when it could not be
 * told. */
int oa_devprobe_check_free(const char *dev, bool wipe, struct oa_devprobe *ret, char *why,
                           size_t len);

#endif
