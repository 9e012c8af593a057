/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pure parts of common.timezone (modules.md §8.1), shared by
 * builtins/common_timezone.c and its unit tests: zone names, the hardware
 * clock line of /etc/adjtime, KEY=value settings of shell-style files
 * (/etc/default/rcS, /etc/sysconfig/clock) and the timedatectl argv used
 * where systemd runs.
 */
#ifndef OA_COMMON_TIMEZONE_H
#define OA_COMMON_TIMEZONE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* Whether name may name a file under /usr/share/zoneinfo: relative, no
 * empty, "." or ".." component, only letters, digits and "._+-/". */
bool oa_tz_name_ok(const char *name);

/* The hardware clock of /etc/adjtime text: its third line says "UTC" (1)
 * or "LOCAL" (0); -1 when there is no third line or it says something
 * else (hwclock then assumes UTC). */
int oa_tz_adjtime_utc(const char *text);

/* Appends to ret the adjtime text with its third line set to "UTC" or
 * "LOCAL", the first two lines kept (hwclock's neutral "0.0 0 0.0" and "0"
 * when missing), later lines dropped. Returns 0, -ENOMEM or OA_ETOOBIG. */
int oa_tz_adjtime_set(const char *text, bool utc, struct oa_buf *ret);

/* The value of the last `KEY=value` line of shell-style text, quotes
 * removed, into buf. Returns false when there is none (or it does not fit). */
bool oa_tz_shell_get(const char *text, const char *key, char *buf, size_t len);

/* Appends to ret the text with every `KEY=…` line replaced by `KEY=value`
 * (value written as given, quotes included), or the line appended when
 * there was none. Returns 0, -ENOMEM or OA_ETOOBIG. */
int oa_tz_shell_set(const char *text, const char *key, const char *value, struct oa_buf *ret);

/* argv (4 entries) for `timedatectl set-timezone NAME`, or for
 * `timedatectl set-local-rtc 0|1` when name is NULL (0: UTC). */
void oa_tz_timedatectl_argv(const char *name, bool utc, const char *argv[4]);

#endif
