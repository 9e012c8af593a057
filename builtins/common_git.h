/* SPDX-License-Identifier: Apache-2.0 */
/*
 * common.git (modules.md §9.1): the pure parts of the module, exported for
 * the unit tests. The module itself is oa_mod_common_git (modules.h).
 */
#ifndef OA_COMMON_GIT_H
#define OA_COMMON_GIT_H

#include <stdbool.h>
#include <stddef.h>

/* GIT_SSH_COMMAND's value for ssh-key-file key: "ssh -i '<key>' -o
 * StrictHostKeyChecking=no -o PasswordAuthentication=no -o
 * KbdInteractiveAuthentication=no -o BatchMode=yes". git hands the value to
 * the shell, so the key is single-quoted (a ' inside becomes '\'') and the
 * shell gives ssh exactly one argument, whatever the path holds. Returns 0,
 * or -ENAMETOOLONG when it does not fit len, or -EINVAL for a key holding a
 * newline or a NUL-less control character. */
int oa_common_git_ssh_command(const char *key, char *buf, size_t len);

/* Whether rev can be given to git as a revision without being taken for an
 * option or a path: not empty, no leading '-', no blank or control
 * character, no "..". */
bool oa_common_git_revision_ok(const char *rev);

/* The object name at the start of `git ls-remote` output (40 or 64 hex
 * digits followed by a tab), copied into buf; "" when there is none.
 * Returns buf. */
const char *oa_common_git_ls_remote_sha(const char *out, char *buf, size_t len);

#endif
