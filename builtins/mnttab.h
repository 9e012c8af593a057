/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The text of Linux's mount tables, for linux.mount and linux.mkfs
 * (modules.md §10.1, §10.2): lines of /proc/self/mountinfo, lines of
 * /etc/fstab, the edit that leaves exactly one fstab line for a mount point,
 * and the comparison of wanted mount options with what a mounted filesystem
 * shows. Text in, text out: nothing here touches a file or runs a tool, so
 * all of it is unit-tested (test/unit/test_linux_storage.c).
 */
#ifndef OA_MNTTAB_H
#define OA_MNTTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Decodes the octal escapes the kernel and fstab(5) use for blanks and
 * backslashes ("\040" → ' ') in place; other text is left as it is. */
void oa_mnttab_unescape(char *s);

/* One line of /proc/<pid>/mountinfo (proc(5)), split in place: every
 * pointer points into the line. root, target and source are unescaped. */
struct oa_mountinfo {
    unsigned major, minor; /* st_dev of the mounted filesystem */
    char *root;            /* the directory of that filesystem mounted here (bind mounts) */
    char *target;          /* the mount point */
    char *opts;            /* per-mount options: "rw,nosuid,relatime" */
    char *fstype;
    char *source; /* "/dev/sda1", "tmpfs", "server:/export" */
    char *super_opts;
};

/* Splits line (without its newline). Returns 0, or -EINVAL when it is not
 * a mountinfo line (*ret is then unspecified). */
int oa_mnttab_parse_mountinfo(char *line, struct oa_mountinfo *ret);

/* The next well-formed line of mountinfo text at *cursor (a string), split
 * in place; *cursor moves past it. Malformed lines are skipped. Returns
 * false at the end of the text. */
bool oa_mnttab_next_mountinfo(char **cursor, struct oa_mountinfo *ret);

/* What linux.mount wants in /etc/fstab. */
struct oa_fstab_entry {
    const char *device;
    const char *path;
    const char *fstype;
    const char *opts;
    uint64_t dump, pass;
};

#define OA_FSTAB_FIELDS 6

/* Splits one fstab line (without its newline) in place into at most six
 * unescaped fields. Returns the number of fields: 0 for a blank line or a
 * comment; fields past the sixth are ignored. */
size_t oa_mnttab_split_fstab(char *line, char *fields[OA_FSTAB_FIELDS]);

/* Whether the fields of an fstab line say what want says: the same
 * device, mount point (a trailing '/' ignored), type and options, and the
 * same dump and pass numbers (missing ones are 0, as for mount(8)). */
bool oa_mnttab_fstab_matches(char *const fields[OA_FSTAB_FIELDS], size_t n,
                             const struct oa_fstab_entry *want);

/* Appends want as one fstab line ending in '\n', with blanks, backslashes
 * and a leading '#' escaped. Returns what oa_buf_append returns. */
int oa_mnttab_format_fstab(const struct oa_fstab_entry *want, struct oa_buf *out);

enum oa_fstab_change {
    OA_FSTAB_UNCHANGED, /* the line was there as wanted */
    OA_FSTAB_ADDED,     /* no line for the mount point: one appended */
    OA_FSTAB_REPLACED,  /* the first line for the mount point rewritten */
};

struct oa_fstab_edit {
    enum oa_fstab_change change;
    size_t removed;   /* further lines for the same mount point, dropped */
    char before[512]; /* the replaced line as it was (cut to fit), for the report */
};

/* Computes the fstab text that holds exactly one line for want->path (or
 * for alt_path, its real path, when not NULL): the first line for that
 * mount point is kept when it matches, rewritten otherwise; later lines for
 * it are dropped; a missing line is appended. Every other line, comments
 * included, is kept byte for byte. The whole new text is appended to out
 * (also when nothing changed). Returns 0, OA_ETOOBIG or -ENOMEM. */
int oa_mnttab_fstab_edit(const char *text, size_t len, const struct oa_fstab_entry *want,
                         const char *alt_path, struct oa_buf *out, struct oa_fstab_edit *ret);

/* Which of the comma-separated wanted options a mounted filesystem does not
 * show, judging by its per-mount and superblock options from mountinfo.
 * Options that never appear there (defaults, bind, nofail, noauto, user,
 * x-*, …) count as in effect; "exec"-style options are in effect when their
 * "no" form is absent. Writes the missing ones comma-separated into buf
 * (cut to fit) and returns how many there are. */
size_t oa_mnttab_opts_missing(const char *wanted, const char *mnt_opts, const char *super_opts,
                              char *buf, size_t len);

#endif
