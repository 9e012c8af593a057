/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pure part of linux.cronjob (modules.md §7.3), shared by
 * builtins/linux_cron.c and its unit tests: checking cron time fields and
 * merging the recipe's jobs into a user's crontab text. An entry is matched
 * by its command part alone; a match with another schedule is rewritten in
 * place, a missing job is appended below the managed-lines marker (the
 * original's Salt marker is recognised and reused). Nothing is removed.
 */
#ifndef OA_LINUX_CRON_H
#define OA_LINUX_CRON_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

#define OA_CRON_MARKER "# Lines below here are managed by opsagent, do not edit"
#define OA_CRON_SALT_MARKER "# Lines below here are managed by Salt, do not edit"

struct oa_cron_job {
    const char *when[5]; /* minute, hour, day of month, month, day of week */
    const char *cmd;     /* not empty, one line, no leading or trailing blanks */
};

enum oa_cron_outcome {
    OA_CRON_PRESENT, /* there, with the same schedule */
    OA_CRON_UPDATED, /* there with another schedule: rewritten */
    OA_CRON_ADDED,   /* not there: appended */
};

/* Whether s is a usable cron time field: numbers, names, '*', ranges,
 * lists and steps; no blank (which would shift the command). */
bool oa_cron_field_ok(const char *s);

/* Merges the n jobs into the crontab text current ("" for none) and puts
 * the new text in ret (which the caller initialised). outcomes[i] says what
 * happened to jobs[i]. Returns the number of jobs updated or added (0: ret
 * holds current unchanged), or -ENOMEM / OA_ETOOBIG from ret. */
int oa_cron_merge(const char *current, const struct oa_cron_job *jobs, size_t n, struct oa_buf *ret,
                  enum oa_cron_outcome *outcomes);

#endif
