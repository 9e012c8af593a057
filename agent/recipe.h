/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Recipe files for `opsagent once` (design.md, Command line). Four shapes
 * are accepted:
 *   - a bare array of states;
 *   - {"state": [...]};
 *   - a RecipeMetadata message ({"code":"RecipeMetadata", ...});
 *   - {"component": {NAME: {"state": [...]}, ...}}, the files of the
 *     original tests, whose components run in file order.
 * States are validated as protocol.md says, except that a state without an
 * id gets "state-N" from its position.
 */
#ifndef OA_RECIPE_H
#define OA_RECIPE_H

#include <stddef.h>

#include "msg.h"

/* The largest recipe file read (the backend's own message cap is 16 MiB by
 * default; a local file may be larger, within reason). */
#define OA_RECIPE_FILE_MAX (256u << 20)

/* Decodes a recipe from text. Returns 0 with *ret filled (the caller owns
 * it: oa_msg_recipe_done), or OA_ESYNTAX / OA_ESCHEMA / OA_EDEPTH /
 * OA_ETOOBIG / -ENOMEM with one line in reterr saying what and where. */
int oa_recipe_parse(const char *text, size_t len, struct oa_recipe *ret, char *reterr,
                    size_t errlen);

/* Reads and decodes a file; errors start with the path. Same returns, plus a
 * negative errno when the file cannot be read. */
int oa_recipe_load(const char *path, struct oa_recipe *ret, char *reterr, size_t errlen);

#endif
