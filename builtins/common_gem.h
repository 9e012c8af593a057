/* SPDX-License-Identifier: Apache-2.0 */
/*
 * common.gem.package (modules.md §6.3): the pure parts of the module,
 * exported for the unit tests. The module itself is
 * oa_mod_common_gem_package (modules.h).
 */
#ifndef OA_COMMON_GEM_H
#define OA_COMMON_GEM_H

#include <stdbool.h>
#include <stddef.h>

/* Whether name is a gem name: letters, digits, '.', '_' and '-', starting
 * with a letter, a digit or '_'. */
bool oa_common_gem_name_ok(const char *name);

/* Whether value is one version ("1.2", "1.2.3.rc1"), as opposed to a
 * requirement ("~> 1.2", ">= 1.0, < 2"). */
bool oa_common_gem_is_version(const char *value);

/* The installed versions of name in `gem list --local` output ("name
 * (1.1.0, 1.0.0)", "name (default: 2.0.0)", "name (1.13.0 x86_64-linux)"),
 * newest first as gem lists them, joined by ", " into ver. */
bool oa_common_gem_list_find(const char *list, const char *name, char *ver, size_t len);

/* The latest version of name in `gem outdated` output ("name (1.0.0 <
 * 1.1.0)") into ver; false when it is not listed. */
bool oa_common_gem_outdated_find(const char *text, const char *name, char *ver, size_t len);

/* The regular expression that matches exactly name for `gem list`
 * ("^oa\.tiny$"). Returns buf. */
const char *oa_common_gem_name_regex(const char *name, char *buf, size_t len);

#endif
