/* SPDX-License-Identifier: Apache-2.0 */
/*
 * common.archive (modules.md §9.4): the pure parts of the module, exported
 * for the unit tests. The module itself is oa_mod_common_archive
 * (modules.h).
 */
#ifndef OA_COMMON_ARCHIVE_H
#define OA_COMMON_ARCHIVE_H

#include <stdbool.h>
#include <stddef.h>

enum oa_archive_format {
    OA_ARCHIVE_UNSUPPORTED,
    OA_ARCHIVE_ZIP,    /* .zip: unzip -o */
    OA_ARCHIVE_RAR,    /* .rar: unrar x -o+ */
    OA_ARCHIVE_TAR,    /* .tar: tar -x */
    OA_ARCHIVE_TAR_GZ, /* .tgz, .gz (taken as .tar.gz): tar -xz */
    OA_ARCHIVE_TAR_BZ, /* .bz, .bz2, .tbz: tar -xj */
};

/* The format named by the last suffix of url's last path segment (any
 * ?query or #fragment ignored), in any case. */
enum oa_archive_format oa_common_archive_format(const char *url);

/* url's last path segment (the archive's file name), without query or
 * fragment, into buf; "" when the URL ends in '/' or the name does not
 * fit. Returns buf. */
const char *oa_common_archive_name(const char *url, char *buf, size_t len);

/* The `checksum` parameter: "md5:<32 hex>" or "md5=<32 hex>" (any case)
 * fills hex (lower case) and returns 0; an http, https or ftp URL returns 1
 * (fetch it, then oa_common_archive_sum_in_file); anything else returns
 * -EINVAL. */
int oa_common_archive_checksum_param(const char *s, char hex[33]);

/* The md5 sum in the text of a checksum file (len bytes, not necessarily
 * NUL-terminated): the first token of exactly 32 hex digits, taken from a
 * line that mentions name when one does, else from the first line that has
 * one. Returns 0 with hex (lower case), or -ENOENT. */
int oa_common_archive_sum_in_file(const char *text, size_t len, const char *name, char hex[33]);

/* Where the sum of the last successful extraction of the archive called
 * name into dest is kept (modules.md §1.12):
 * <state_dir>/watch/archive-<md5 of dest "\n" name>.md5 (a hash, so that
 * any destination fits in a file name and two never share one). Returns 0
 * or -ENAMETOOLONG. */
int oa_common_archive_sum_path(const char *state_dir, const char *dest, const char *name, char *buf,
                               size_t len);

/* The NULL-terminated argv extracting file into dest (which ends in '/',
 * as unrar wants) for format fmt, into argv of n slots; argv[0] is the
 * tool's name. unrar_free: the unrar command is Debian's unrar-free, which
 * takes GNU options instead of unrar's "x -o+". Returns the number of
 * arguments, or -EINVAL for OA_ARCHIVE_UNSUPPORTED or too few slots. */
int oa_common_archive_argv(enum oa_archive_format fmt, bool unrar_free, const char *file,
                           const char *dest, const char **argv, size_t n);

#endif
