/* SPDX-License-Identifier: Apache-2.0 */
/* File-system helpers shared by the modules (they run in the child). */
#ifndef OA_FSUTIL_H
#define OA_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct oa_buf;

/* Creates path and its missing parents with mode (like mkdir -p). Returns 0,
 * or a negative errno for the first component that could not be made. */
int oa_fs_mkdir_p(const char *path, mode_t mode);

/* Whether path exists, following symlinks (stat(2) succeeds). */
bool oa_fs_exists(const char *path);

/* Whether path is absolute ("/…"). */
bool oa_fs_is_absolute(const char *path);

/* Writes len bytes to path atomically (modules.md §1.12, design.md): a temp
 * file in the same directory, owner uid:gid and mode set on it, fsync,
 * rename. (uid_t)-1 / (gid_t)-1 leave the owner as created. Returns 0, or a
 * negative errno with "path: what failed: why" in why; nothing is left
 * behind on failure. */
int oa_fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode, uid_t uid,
                       gid_t gid, char *why, size_t whylen);

/* Reads the whole file at path into b (initialised by the caller with its
 * size limit). Returns 0, a negative errno, or OA_ETOOBIG. */
int oa_fs_read_file(const char *path, struct oa_buf *b);

/* Parses an octal mode ("644", "0644", "2755"). Returns 0 or -EINVAL. */
int oa_fs_parse_mode(const char *s, mode_t *ret);

#endif
