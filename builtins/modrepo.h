/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The module repository (design.md, the StatesWorker's PREPARE and "External
 * modules"): the child side of its sync, `opsagent exec-prepare`, plus the
 * pure checks it needs and the lookup of external module executables.
 *
 * exec-prepare reads one JSON request on stdin,
 *   {"repo": URL, "tag": tag-or-branch, "root": dir, "name": folder,
 *    "bootstrap": script path relative to the repository (optional),
 *    "agent_version": "x.y.z"},
 * brings <root>/<name> to <tag> of <repo> with git (clone, or fetch and
 * check out; a branch is re-pulled every round), runs the bootstrap script
 * when the repository has it, checks the repository's compat.txt against
 * agent_version, and writes {"result","comment","changed"} on fd 3 like
 * exec-state. What it does (the git commands and their output) goes to
 * stdout and stderr, which the agent captures. It blocks and runs in the
 * agent's child, never on the loop; git is always run with an argv array and
 * a clean environment, never through a shell.
 */
#ifndef OA_MODREPO_H
#define OA_MODREPO_H

#include <stddef.h>

/* The body of `opsagent exec-prepare`. Returns the process exit status: 0
 * the repository is ready, 1 the sync, bootstrap or compatibility check
 * failed (the comment on fd 3 says which and why), 2 the request was
 * unusable (not JSON, a field missing or of the wrong type). */
int oa_modrepo_exec_prepare(void);

/* Compares two version strings: the leading numeric components (digits
 * separated by '.') compare as numbers, component by component, a missing
 * component counting as 0 (so "1.10" > "1.9" and "1.2" == "1.2.0"); what
 * follows the numbers compares as text with strcmp ("1.2-rc1" > "1.2",
 * which is deliberately not semver). Numbers of any length are compared
 * without overflow. Returns <0, 0 or >0. */
int oa_modrepo_version_cmp(const char *a, const char *b);

/* Checks the text of a compat.txt (NUL-terminated) against agent_version.
 * Every line that is neither blank nor a comment (first non-blank character
 * '#') is a constraint "OP VERSION", OP one of > >= < <= == != with optional
 * blanks around it; VERSION starts with a digit and holds at most 64
 * letters, digits and . + - _ ~. All constraints must hold.
 * Returns 0 when they do; OA_ESYNTAX for a malformed line, with
 * "compat.txt line N is malformed: ..." in why; OA_ESCHEMA for the first
 * unmet constraint, with "the module repository needs agent version >= 2.0
 * (this agent is 0.1.0)" in why. why may be NULL. */
int oa_modrepo_compat_check(const char *text, const char *agent_version, char *why, size_t len);

/* Looks for an external module: an executable regular file named exactly
 * module in one of the n directories (NULL or empty entries are skipped),
 * the first match winning. A module name that is empty, contains '/' or
 * starts with '.' is never looked up. Returns buf holding the file's path
 * ("<dir>/<module>"), or NULL when there is none (or the path does not fit
 * in len bytes). */
const char *oa_modrepo_find_module(const char *modules_dirs[], size_t n, const char *module,
                                   char *buf, size_t len);

#endif
