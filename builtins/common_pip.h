/* SPDX-License-Identifier: Apache-2.0 */
/*
 * common.pip.package (modules.md §6.1): the pure parts of the module,
 * exported for the unit tests. The module itself is
 * oa_mod_common_pip_package (modules.h).
 */
#ifndef OA_COMMON_PIP_H
#define OA_COMMON_PIP_H

#include <stdbool.h>
#include <stddef.h>

/* What an entry of `name` asks for, by its value. */
enum oa_pip_want {
    OA_PIP_INSTALLED, /* "": any version */
    OA_PIP_VERSION,   /* "1.2": name==1.2 */
    OA_PIP_SPEC,      /* ">=1.2", "~=1.2", "!=1.3"…: name<value>, pip decides */
    OA_PIP_LATEST,    /* "latest": pip install --upgrade (⚠ §D) */
    OA_PIP_REMOVED,   /* "removed": pip uninstall -y */
    OA_PIP_INVALID,   /* a value pip cannot take (blanks, a leading '-') */
};

enum oa_pip_want oa_common_pip_want(const char *value);

/* Whether name is a distribution name pip can take (letters, digits, '.',
 * '_', '-', starting and ending with a letter or digit), optionally with
 * extras ("name[a,b]"). */
bool oa_common_pip_name_ok(const char *name);

/* Whether two distribution names are the same project: case ignored, runs
 * of '-', '_' and '.' equal (PEP 503). Extras ("[...]") are ignored. */
bool oa_common_pip_name_eq(const char *a, const char *b);

/* Finds name in `pip list --format=freeze` output ("name==version" lines)
 * and copies its version into ver. Returns whether it is there. */
bool oa_common_pip_freeze_find(const char *freeze, const char *name, char *ver, size_t len);

/* Whether two versions are the same release: case ignored, a leading 'v'
 * ignored, trailing ".0" components of the release ignored ("1.0" ==
 * "1.0.0"). */
bool oa_common_pip_version_eq(const char *a, const char *b);

/* Whether the installed version meets spec, a comma-separated list of
 * clauses (">=1.2, !=1.3", "~=2.1", "<3"): 1 yes, 0 no, -1 when this
 * cannot tell (anything but purely numeric releases, "===", wildcards), and
 * pip decides. */
int oa_common_pip_spec_satisfied(const char *version, const char *spec);

/* The Python version in `pip --version` output ("pip 23.0.1 from … (python
 * 3.11)" → "3.11") into buf, or "". Returns buf. */
const char *oa_common_pip_python_version(const char *out, char *buf, size_t len);

/* Whether `pip install --dry-run` output says name would be installed
 * ("Would install a-1.0 name-2.1"); the version goes to ver. */
bool oa_common_pip_would_install(const char *out, const char *name, char *ver, size_t len);

/* The environment pip runs in: the modules' clean one (§1.10), no prompts
 * or self-checks, and PIP_INDEX_URL, PIP_FIND_LINKS and PIP_NO_INDEX from
 * the module's own environment (§6.1). NULL with why when it cannot be
 * made; free with oa_runas_env_free. Also used for common.virtualenv. */
char **oa_common_pip_env(char *why, size_t len);

#endif
