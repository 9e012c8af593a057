/* SPDX-License-Identifier: Apache-2.0 */
/*
 * common.virtualenv (modules.md §6.4): the pure parts of the module,
 * exported for the unit tests. The module itself is
 * oa_mod_common_virtualenv (modules.h).
 */
#ifndef OA_COMMON_VIRTUALENV_H
#define OA_COMMON_VIRTUALENV_H

#include <stdbool.h>
#include <stddef.h>

#include "linux_pkg.h"

/* The arguments after "virtualenv" that create path: [-p python]
 * [--system-site-packages] [--extra-search-dir D...] -- path. */
void oa_common_virtualenv_args(struct oa_pkg_argv *a, const char *path, const char *python,
                               bool system_site_packages, char *const *search_dirs, size_t n_dirs);

/* Compares two `pip freeze` outputs ("name==version" lines). Returns
 * whether they differ, with what changed in buf: "installed a 1.0, b 1.0 →
 * 2.0, removed c 3.0" (cut to fit; "" when nothing did). */
bool oa_common_virtualenv_freeze_diff(const char *before, const char *after, char *buf, size_t len);

/* What `pip install --dry-run` would install ("a-1.0 b-2.0", from its
 * "Would install" line) into buf, or "". Returns buf. */
const char *oa_common_virtualenv_would_install(const char *pip_out, char *buf, size_t len);

#endif
