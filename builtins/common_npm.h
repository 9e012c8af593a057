/* SPDX-License-Identifier: Apache-2.0 */
/*
 * common.npm.package (modules.md §6.2): the pure parts of the module,
 * exported for the unit tests. The module itself is
 * oa_mod_common_npm_package (modules.h).
 */
#ifndef OA_COMMON_NPM_H
#define OA_COMMON_NPM_H

#include <stdbool.h>
#include <stddef.h>

#include "linux_pkg.h"

/* Whether name is an npm package name: an optional "@scope/", then
 * letters, digits, '-', '.', '_' and '~', not starting with '.', '_' or
 * '-' (an option to npm), at most 214 bytes. */
bool oa_common_npm_name_ok(const char *name);

/* Whether value is one exact version ("1.2.3", "1.2.3-rc.1+b2", with an
 * optional leading 'v' or '='), as opposed to a range or a tag. */
bool oa_common_npm_is_version(const char *value);

/* Whether version (as npm ls shows it) satisfies range, npm's semver
 * syntax: exact versions, comparators (<, <=, >, >=, =), x-ranges ("1.x",
 * "1.2", "*"), "~", "^", hyphen ranges, blanks for "and", "||" for "or".
 * 1 yes, 0 no, -1 when this cannot tell (a tag such as "next", a URL, a
 * pre-release installed): npm decides. */
int oa_common_npm_satisfies(const char *version, const char *range);

/* The version of name in `npm ls --depth=0 --json` output (missing
 * dependencies do not count). */
bool oa_common_npm_ls_find(const char *json, const char *name, char *ver, size_t len);

/* `npm outdated --json NAME` output: 1 with the latest version in ver when
 * it differs from the installed one, 0 when name is not listed or is at the
 * latest, -1 with npm's error summary in why. */
int oa_common_npm_outdated(const char *json, const char *name, char *ver, size_t len, char *why,
                           size_t wlen);

enum oa_npm_call {
    OA_NPM_LS,        /* npm ls … --depth=0 --json */
    OA_NPM_OUTDATED,  /* npm outdated … --json NAME */
    OA_NPM_INSTALL,   /* npm install … SPEC */
    OA_NPM_UNINSTALL, /* npm uninstall … NAME */
};

/* The arguments after "npm" for a call: global (-g) when path is NULL,
 * else --prefix PATH (npm would otherwise look for a package.json in the
 * folders above). arg is the spec or name (NULL for LS). */
void oa_common_npm_args(struct oa_pkg_argv *a, enum oa_npm_call call, const char *path,
                        const char *arg);

#endif
