/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Writing values back into the config file (protocol.md: a changed module
 * repo or tag; later the user data): one key at a time, keeping every other
 * line, comment and blank as it was, and replacing the file atomically
 * (temp file in the same directory, same mode, fsync, rename), so that a
 * crash leaves either the old file or the new one.
 */
#ifndef OA_CFGEDIT_H
#define OA_CFGEDIT_H

#include <stddef.h>

#include "buf.h"

struct oa_cfgedit {
    const char *section;
    const char *key;
    const char *value; /* one line: no newline */
};

/* Rewrites text with every edit applied: the last "key = …" line of the
 * section gets the new value; a missing key is added at the end of its
 * section; a missing section is added at the end. Appends the result to
 * out. Returns 0, OA_ESCHEMA (a value that would not read back as written:
 * a newline or carriage return, blanks at either end, a ';' at its start or
 * after a blank, or a "key = value" line too long for inih) or -ENOMEM. */
int oa_cfgedit_apply(const char *text, size_t len, const struct oa_cfgedit *edits, size_t n,
                     struct oa_buf *out);

/* Applies the edits to the file at path, atomically. Blocking: call it
 * off the loop (uv_queue_work). Returns 0 or a negative code with the
 * reason in reterr. */
int oa_cfgedit_file(const char *path, const struct oa_cfgedit *edits, size_t n, char *reterr,
                    size_t errlen);

#endif
