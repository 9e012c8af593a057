/* SPDX-License-Identifier: Apache-2.0 */
/*
 * linux.lvm.pv, linux.lvm.vg and linux.lvm.lv (modules.md §10.3-10.5): the
 * pure parts, exported for the unit tests. LVM names, the rows of the
 * pvs/vgs/lvs reports the modules read (--noheadings --separator '|'), and
 * the command lines of pvcreate, vgcreate and lvcreate built from a
 * state's parameters. The modules themselves are oa_mod_linux_lvm_* in
 * modules.h; their file is linux_lvm.c.
 */
#ifndef OA_LINUX_LVM_H
#define OA_LINUX_LVM_H

#include <stdbool.h>
#include <stddef.h>

#include "argv.h"
#include "params.h"

/* The separator of the reports' columns: no LVM name, tag or size holds
 * it, and device paths practically never do. */
#define OA_LVM_SEP "|"

/* Whether name is a VG or LV name LVM accepts (lvm(8) "VALID NAMES"):
 * 1 to 127 characters of a-z A-Z 0-9 + _ . -, not starting with '-', not
 * "." or "..", and not starting with "snapshot"/"pvmove" or holding
 * "_mlog", "_mimage", "_rimage", "_rmeta", "_tdata", "_tmeta", "_vorigin",
 * "_cdata", "_cmeta" (reserved for LVM's own sub-volumes). */
bool oa_lvm_name_ok(const char *name);

/* The next row of a report at *cursor (a string, split in place): leading
 * blanks dropped, then up to max fields separated by OA_LVM_SEP, each
 * without surrounding blanks. Blank lines are skipped. Returns the number
 * of fields (extra ones are left in the last), 0 at the end of the text. */
size_t oa_lvm_next_row(char **cursor, char *fields[], size_t max);

/* The command lines (argv[0] is the tool's name). Each returns 0, -ENOMEM,
 * or OA_ESCHEMA with a comment in err naming the parameter at fault. */

/* pvcreate [-ff -y] [options] DEVICE (§10.3). */
int oa_lvm_pvcreate_argv(const struct oa_params *p, const char *device, struct oa_argv *a,
                         char *err, size_t errlen);

/* vgcreate [options] NAME PV… (§10.4). */
int oa_lvm_vgcreate_argv(const struct oa_params *p, struct oa_argv *a, char *err, size_t errlen);

/* lvcreate -n NAME (-L SIZE | -l EXTENTS) [options] (VG | -s VG/ORIGIN)
 * [PV…] (§10.5). Exactly one of le-size and le-number is required, except
 * that a thin or sparse volume (virtual-size) may have neither. */
int oa_lvm_lvcreate_argv(const struct oa_params *p, struct oa_argv *a, char *err, size_t errlen);

/* Checks the `path` list of a state: non-empty, every entry an absolute
 * path (a PV of lvcreate may end in ":PE-PE" ranges), no entry twice.
 * Returns 0 or OA_ESCHEMA with err set. */
int oa_lvm_check_paths(const struct oa_pvalue *paths, char *err, size_t errlen);

#endif
