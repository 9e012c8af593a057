/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the kernel says about block devices and mounts, for linux.mkfs and
 * linux.mount (modules.md §10.1, §10.2): the mount table of this process
 * (/proc/self/mountinfo), the loop device behind an image file, and whether
 * a device is busy, that is mounted or held by device-mapper or md, itself
 * or through one of its partitions. Read-only: sysfs and procfs only, no
 * tools, no changes. Runs in the exec-state child.
 */
#ifndef OA_BLOCKDEV_H
#define OA_BLOCKDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "buf.h"

/* Reads /proc/self/mountinfo whole into b, which this initialises (cap
 * 16 MiB; free with oa_buf_done, also on failure). b->data is a string
 * afterwards, "" for an empty table. Returns 0, OA_ETOOBIG, -ENOMEM or the
 * negative errno of open/read. */
int oa_blockdev_read_mountinfo(struct oa_buf *b);

/* The file behind loop device major:minor (its sysfs backing_file), into
 * buf. Returns 0, or a negative errno when it is not a bound loop device. */
int oa_blockdev_loop_file(unsigned major, unsigned minor, char *buf, size_t len);

/* Whether the device `real` (a real path; st its stat) is busy: for a block
 * device, the device or one of its partitions is mounted or has holders;
 * for an image file, the same for every loop device bound to it, or just
 * being bound to one; and for either, a mount whose source is `real`. Returns 1 with why set ("
 * /dev/loop0p1 is mounted on /mnt/x"), 0 when free, or the negative code of
 * oa_blockdev_read_mountinfo. */
int oa_blockdev_busy(const char *real, const struct stat *st, char *why, size_t len);

#endif
