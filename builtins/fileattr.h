/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Owner, group and mode of paths, shared by linux.file, linux.dir and
 * linux.symlink (modules.md §3.2–§3.4): resolving the user, group and mode
 * parameters, comparing them with what a path has, describing the
 * difference for a comment ("owner root → deploy, mode 0644 → 0600"),
 * applying it, creating missing directories, applying attributes to a whole
 * tree, and removing a tree. All of it runs in the exec-state child and
 * blocks. Nothing here follows a symbolic link below the starting path or
 * removes the root directory.
 */
#ifndef OA_FILEATTR_H
#define OA_FILEATTR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/* What a state asks of a path; an attribute without has_* is left alone. */
struct oa_fileattr {
    bool has_uid, has_gid, has_mode;
    uid_t uid;
    gid_t gid;
    mode_t mode; /* permission bits, 07777 at most */
};

/* Bits naming attributes, as returned by oa_fileattr_diff. */
enum {
    OA_FILEATTR_OWNER = 1u << 0,
    OA_FILEATTR_GROUP = 1u << 1,
    OA_FILEATTR_MODE = 1u << 2,
};

/* Strips trailing slashes of path into buf ("/a/b/" → "/a/b", "/" stays).
 * Returns 0, -EINVAL when path is not absolute or -ENAMETOOLONG. */
int oa_fileattr_clean_path(const char *path, char *buf, size_t len);

/* Resolves the user and group (a name, or a number when no such name
 * exists) and the octal mode; each may be NULL (not managed). Returns 0, or
 * OA_ESCHEMA with "user X does not exist", "group X does not exist" or
 * "parameter 'mode': 'X' is not an octal mode" in reterr. */
int oa_fileattr_resolve(const char *user, const char *group, const char *mode,
                        struct oa_fileattr *ret, char *reterr, size_t errlen);

/* Whether any attribute is managed. */
bool oa_fileattr_any(const struct oa_fileattr *want);

/* The OA_FILEATTR_* bits of the managed attributes st does not have.
 * Mode is never compared for a symbolic link (links have none). */
unsigned oa_fileattr_diff(const struct oa_fileattr *want, const struct stat *st);

/* Writes "owner root → deploy, group root → staff, mode 0644 → 0600" for
 * the bits of diff into buf (user and group names where they have one).
 * Returns buf. */
const char *oa_fileattr_describe(const struct oa_fileattr *want, const struct stat *st,
                                 unsigned diff, char *buf, size_t len);

/* Writes "owner and mode" for the bits of diff into buf. Returns buf. */
const char *oa_fileattr_names(unsigned diff, char *buf, size_t len);

/* Applies the attributes of diff to path: the owner first (chown, or
 * lchown when follow is false), then the mode (never on a link). Returns 0
 * or a negative errno with "PATH: cannot change the owner: why" in why. */
int oa_fileattr_apply(const char *path, const struct oa_fileattr *want, unsigned diff, bool follow,
                      char *why, size_t len);

/* How many leading directories of path's parent chain are missing: 0 when
 * the parent of path exists. Follows links like mkdir would. */
size_t oa_fileattr_missing_parents(const char *path);

/* Creates directory path and its missing parents (mkdir -p). Each directory
 * it creates gets mode (exactly, whatever the umask) and want's owner and
 * group where given; existing directories are left alone. *ret_created is
 * how many it created. Returns 0 or a negative errno with why. */
int oa_fileattr_mkdirs(const char *path, mode_t mode, const struct oa_fileattr *want,
                       size_t *ret_created, char *why, size_t len);

/* Applies want to every directory and regular file below dir (not dir
 * itself), without following symbolic links; links and special files are
 * skipped. With dry_run nothing is changed. *ret_count gets the number of
 * entries that differed (and were changed, unless dry_run) and *ret_diff
 * the union of their differences.
 * Returns 0 or a negative errno with why (the walk stops at the first
 * error). */
int oa_fileattr_apply_tree(const char *dir, const struct oa_fileattr *want, bool dry_run,
                           size_t *ret_count, unsigned *ret_diff, char *why, size_t len);

/* Removes path: anything but a directory is unlinked; a directory is
 * removed with everything below it, without following links or entering
 * other file systems. The root directory is refused (-EPERM). Returns 0,
 * -ENOENT when nothing is there, or a negative errno with why. */
int oa_fileattr_remove(const char *path, char *why, size_t len);

#endif
