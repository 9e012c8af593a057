/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Watched files (modules.md §1.7, design.md "Watch files"): the checksums
 * that turn "ensure running" into "restart" when a configuration file
 * changed. Used in the `exec-state` child by linux.service,
 * linux.supervisord and the docker modules; it may block (it reads files).
 *
 * One stored MD5 (hex) per (state id, watched file), in the original
 * agent's file so that its sums still count:
 *   <watch_dir>/<state id>-<path with every '/' turned into '-'>.cksum
 * A watched file that does not exist has a value of its own, "missing", so
 * a file appearing or vanishing fires once (⚠ modules.md §D; the original
 * fired on every round once a file had gone).
 *
 * Use: oa_watch_compare() before acting (reads only), act, then
 * oa_watch_store() only when the state succeeded and it is not a dry run,
 * so that a failed restart is retried next round. Nothing here logs; errors
 * come back as codes with a sentence for the state's comment.
 */
#ifndef OA_WATCH_H
#define OA_WATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "params.h"

/* What is stored for a watched file that does not exist. */
#define OA_WATCH_MISSING "missing"

/* Which files to watch. The strings are borrowed from the caller. */
struct oa_watch_list {
    char *const *files; /* absolute paths; n of them */
    size_t n;
    bool always; /* `watch: true`: the action runs on every round */
};

/* How a watched file compares with its stored sum. */
enum oa_watch_change {
    OA_WATCH_SAME,     /* the stored value is the current one */
    OA_WATCH_FIRST,    /* nothing stored yet: first sighting */
    OA_WATCH_CHANGED,  /* the file exists and its content changed */
    OA_WATCH_APPEARED, /* stored "missing", the file exists now */
    OA_WATCH_VANISHED, /* a sum was stored, the file is missing now */
};

struct oa_watch_file {
    char *path;     /* as given, without trailing '/' */
    char *sum_path; /* the .cksum file under the watch dir */
    char now[33];   /* MD5 hex of the content, or OA_WATCH_MISSING */
    enum oa_watch_change change;
    bool fires; /* this file triggers the action */
};

/* The result of a comparison; owns everything it points to. */
struct oa_watch {
    char *dir;   /* the watch dir (NULL when nothing is to be stored) */
    bool fired;  /* the watch action must run */
    bool always; /* fired because of `watch: true` */
    size_t n;    /* files, duplicates removed, in the given order */
    struct oa_watch_file *files;
};

/* Reads a module's `watch` parameter, declared OA_PT_ARRAY_OR_BOOL: a list
 * of files, `true` (always) or `false`/absent (an empty list). *ret
 * borrows pv's strings. Every path must be absolute (modules.md §1.2).
 * Returns 0, or OA_ESCHEMA with "parameter 'NAME': 'x' is not an absolute
 * path" in reterr. */
int oa_watch_list_from_param(const struct oa_pvalue *pv, const char *name,
                             struct oa_watch_list *ret, char *reterr, size_t errlen);

/* Compares every file of list with the sum stored for state id under
 * watch_dir, without writing anything. A file fires when it changed,
 * appeared or vanished, and on its first sighting only when tfirst is set
 * (otherwise the first sighting is a baseline, stored by oa_watch_store).
 * list->always fires every round and prints a warning line to stdout (the
 * state's output). An empty list fires nothing.
 *
 * id must not contain '/' or "..", and each file must be an absolute path;
 * watch_dir may be missing (nothing stored yet) but must be set when the
 * list has files. On success *ret is filled (free with oa_watch_done).
 * Returns 0; OA_ESCHEMA (a bad id or path, a watched file that is not a
 * regular file, no watch_dir); -ENAMETOOLONG (the sum file name would pass
 * NAME_MAX); a negative errno when a watched file or a stored sum cannot be
 * read (EACCES, ENOTDIR for a watch_dir that is a file, EIO, …); -ENOMEM.
 * Every failure puts a sentence for the comment in reterr. */
int oa_watch_compare(const char *watch_dir, const char *id, const struct oa_watch_list *list,
                     bool tfirst, struct oa_watch *ret, char *reterr, size_t errlen);

/* Writes the files that fired, for a comment: "/etc/nginx/nginx.conf
 * changed, first sighting of /x, first sighting of /w (missing), /y
 * vanished, /z appeared", or "watch is true" when always; "" when nothing
 * fired. Cut to fit len with "..." (never inside a UTF-8 character).
 * Returns buf. */
const char *oa_watch_describe(const struct oa_watch *w, char *buf, size_t len);

/* Stores, for every file of w whose value differs from the stored one
 * (fired or baseline), the value oa_watch_compare read: files are not read
 * again, so an edit made while the action ran fires on the next round. Each
 * sum is written atomically: a temp file in the watch dir (mode 0600),
 * fsync, rename, then fsync of the dir; the watch dir is created 0700 when
 * missing. Call it only after the state succeeded, and never in a dry run.
 * Stops at the first failure (sums already written stay: they are true).
 * Returns 0 or a negative errno with a sentence in reterr: the module fails
 * the state with it. */
int oa_watch_store(const struct oa_watch *w, char *reterr, size_t errlen);

struct oa_outcome;

/* oa_watch_store for a module whose action succeeded, with its outcome in
 * out. When the sums cannot be stored the state fails, and its comment
 * keeps what the action did, then "; " and why (the action runs again next
 * round): "restarted: /etc/app.conf changed; cannot store watch sum
 * <file>: No space left on device". Returns what oa_watch_store returns. */
int oa_watch_store_outcome(const struct oa_watch *w, struct oa_outcome *out);

/* Frees the contents of w; accepts a zeroed or half-built w. */
void oa_watch_done(struct oa_watch *w);

#endif
