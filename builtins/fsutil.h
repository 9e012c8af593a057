/* SPDX-License-Identifier: Apache-2.0 */
/* File-system helpers shared by the modules (they run in the child). */
#ifndef OA_FSUTIL_H
#define OA_FSUTIL_H

#include <stdbool.h>
#include <sys/types.h>

/* Creates path and its missing parents with mode (like mkdir -p). Returns 0,
 * or a negative errno for the first component that could not be made. */
int oa_fs_mkdir_p(const char *path, mode_t mode);

/* Whether path exists, following symlinks (stat(2) succeeds). */
bool oa_fs_exists(const char *path);

/* Whether path is absolute ("/…"). */
bool oa_fs_is_absolute(const char *path);

#endif
