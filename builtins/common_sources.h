/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers shared by the modules that fetch sources and packages
 * (common.git, common.archive, common.pip.package; modules.md §6.1, §9):
 * URLs shown without their password, and tools run so that their stderr
 * still reaches the state's output while the line that says why they failed
 * is kept for the comment. They run in the `exec-state` child and may block;
 * nothing here logs.
 */
#ifndef OA_COMMON_SOURCES_H
#define OA_COMMON_SOURCES_H

#include <stdbool.h>
#include <stddef.h>

#include "tool.h"

/* url as comments and output show it: the password of its user info
 * replaced with *** ("https://me:***@host/x"); other URLs unchanged. Cut to
 * fit len. Returns buf. */
const char *oa_common_sources_mask_url(const char *url, char *buf, size_t len);

/* The password of url's user info ("https://me:pw@host" → "pw") copied into
 * buf, or "" when there is none (or it does not fit). Returns buf. */
const char *oa_common_sources_url_secret(const char *url, char *buf, size_t len);

/* Copies line into out (of size len), every occurrence of secret (when
 * non-empty) replaced with ***, cut to fit. Returns out. */
const char *oa_common_sources_mask(const char *line, const char *secret, char *out, size_t len);

/* Keeps, of the lines a failing tool wrote on stderr, the one a comment
 * should quote: the first "fatal:"/"error:"/"ERROR:"/"abort:" (any case) or
 * "svn: E<digits>" line, else
 * the first other non-blank line that is not a warning or a hint. Feed every
 * line in order; reason starts as "" and is cut to fit len. */
struct oa_common_sources_reason {
    char *reason;
    size_t len;
    bool strong; /* an error line was found */
};
void oa_common_sources_reason_feed(struct oa_common_sources_reason *r, const char *line);

/* Runs t (oa_tool_run) with its stderr (and its stdout too when t does not
 * capture it, so that their order is kept) sent to a private file: once
 * the tool ended, every line of it is copied to the state's output with
 * secret masked, and the telling line (see above) is left in reason.
 * Returns 0 with the wait status in *ret_status, or a negative errno when
 * the tool could not start, with why in reason. */
int oa_common_sources_run(const struct oa_tool *t, const char *secret, int *ret_status,
                          char *reason, size_t len);

/* "what exited with status 128: fatal: …" (or without the reason when
 * there is none) into buf, for a comment. Returns buf. */
const char *oa_common_sources_failure(const char *what, int status, const char *reason, char *buf,
                                      size_t len);

#endif
