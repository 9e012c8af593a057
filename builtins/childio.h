/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The child side's I/O of the child-process protocol (design.md), shared by
 * the internal sub-commands (`opsagent exec-state`, `opsagent exec-prepare`):
 * the request read from stdin, the result written on file descriptor 3.
 * These helpers block; they run in a child, never on the agent's loop.
 */
#ifndef OA_CHILDIO_H
#define OA_CHILDIO_H

#include <stddef.h>

#include "buf.h"
#include "builtins.h"

/* The descriptor the result is written on (design.md). */
#define OA_CHILDIO_RESULT_FD 3

/* Marks fd 3 close-on-exec, so that tools started by the child do not
 * inherit the result channel, and returns it; returns STDOUT_FILENO when
 * fd 3 is not open (someone running the sub-command by hand). */
int oa_childio_result_fd(void);

/* Reads fd to its end into b, whose cap bounds what is accepted (the
 * request on stdin, a small file). Returns 0, OA_ETOOBIG, -ENOMEM or the
 * negative errno of a failed read. */
int oa_childio_read_all(int fd, struct oa_buf *b);

/* Writes o as one JSON line {"result","comment","changed"} on fd. A comment
 * that is not valid UTF-8 (a cut multi-byte character, a tool's raw bytes)
 * is sanitized first, so that the result is never lost to the encoder.
 * Write errors are ignored: the agent then judges the exit status. */
void oa_childio_write_result(int fd, const struct oa_outcome *o);

#endif
