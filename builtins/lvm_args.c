/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The command lines of pvcreate, vgcreate and lvcreate (modules.md
 * §10.3-10.5), LVM names, and the rows of LVM's reports. Every option
 * comes from a table: the parameter (and the other spelling module.json or
 * the adaptor used), the tool's option, and how the value is given. Values
 * are separate words of argv, never parsed by a shell.
 */
#include "linux_lvm.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

enum opt_kind {
    OPT_VALUE,  /* LINE: --flag VALUE */
    OPT_YN,     /* BOOL: --flag y|n */
    OPT_FLAG,   /* BOOL: --flag when true, nothing when false */
    OPT_ONLY_Y, /* BOOL: --flag y when true, nothing when false */
    OPT_EACH,   /* ARRAY: --flag VALUE for every entry */
};

struct lvm_opt {
    const char *param;
    const char *alt; /* another spelling of the same parameter, or NULL */
    const char *flag;
    enum opt_kind kind;
};

/* §10.3; `force` is handled on its own (-ff -y). */
static const struct lvm_opt pv_opts[] = {
    {"uuid", NULL, "--uuid", OPT_VALUE},
    {"zero", NULL, "--zero", OPT_YN},
    {"data-alignment", NULL, "--dataalignment", OPT_VALUE},
    {"data-alignment-offset", NULL, "--dataalignmentoffset", OPT_VALUE},
    {"metadata-size", NULL, "--metadatasize", OPT_VALUE},
    {"metadata-type", NULL, "--metadatatype", OPT_VALUE},
    {"metadata-copies", NULL, "--pvmetadatacopies", OPT_VALUE},
    {"metadata-ignore", NULL, "--metadataignore", OPT_YN},
    {"restore-file", NULL, "--restorefile", OPT_VALUE},
    {"no-restore-file", NULL, "--norestorefile", OPT_FLAG},
    {"label-sector", NULL, "--labelsector", OPT_VALUE},
    /* The adaptor only knew "PV-size" (§10.3): both are accepted. */
    {"pv-size", "PV-size", "--setphysicalvolumesize", OPT_VALUE},
};

/* §10.4. clustered needs clvmd, which modern LVM dropped: only an explicit
 * true is passed on (module.json's default of true is not applied). */
static const struct lvm_opt vg_opts[] = {
    {"clustered", NULL, "--clustered", OPT_ONLY_Y},
    {"max-lv-number", NULL, "--maxlogicalvolumes", OPT_VALUE},
    {"max-pv-number", NULL, "--maxphysicalvolumes", OPT_VALUE},
    {"metadata-type", NULL, "--metadatatype", OPT_VALUE},
    {"metadata-copies", NULL, "--vgmetadatacopies", OPT_VALUE},
    {"pe-size", NULL, "--physicalextentsize", OPT_VALUE},
    {"autobackup", NULL, "--autobackup", OPT_YN},
    {"tag", NULL, "--addtag", OPT_EACH},
    {"allocation-policy", NULL, "--alloc", OPT_VALUE},
};

/* §10.5; name, vg-name, le-size, le-number, snapshot and path are the
 * frame of the command and handled on their own. */
static const struct lvm_opt lv_opts[] = {
    {"chunk-size", NULL, "--chunksize", OPT_VALUE},
    {"contiguous", NULL, "--contiguous", OPT_YN},
    {"discards", NULL, "--discards", OPT_VALUE},
    {"stripe-number", NULL, "-i", OPT_VALUE},
    {"stripe-size", NULL, "-I", OPT_VALUE},
    {"minor-number", NULL, "--minor", OPT_VALUE},
    {"persistent", NULL, "--persistent", OPT_YN},
    {"mirror-number", NULL, "-m", OPT_VALUE},
    {"no-udev-sync", NULL, "--noudevsync", OPT_FLAG},
    {"monitor", NULL, "--monitor", OPT_YN},
    {"ignore-monitoring", NULL, "--ignoremonitoring", OPT_FLAG},
    {"permission", NULL, "--permission", OPT_VALUE},
    /* module.json spells it with blanks, the adaptor with dashes. */
    {"pool-metadata-size", "pool metadata size", "--poolmetadatasize", OPT_VALUE},
    {"region-size", NULL, "--regionsize", OPT_VALUE},
    {"readahead", NULL, "--readahead", OPT_VALUE},
    {"thinpool", NULL, "--thinpool", OPT_VALUE},
    {"type", NULL, "--type", OPT_VALUE},
    {"virtual-size", NULL, "--virtualsize", OPT_VALUE},
    {"zero", NULL, "--zero", OPT_YN},
    {"available", NULL, "-a", OPT_VALUE},
    {"autobackup", NULL, "--autobackup", OPT_YN},
    {"tag", NULL, "--addtag", OPT_EACH},
    {"allocation-policy", NULL, "--alloc", OPT_VALUE},
};

bool oa_lvm_name_ok(const char *name)
{
    static const char *const reserved[] = {"_cdata", "_cmeta", "_mimage", "_mlog",   "_rimage",
                                           "_rmeta", "_tdata", "_tmeta",  "_vorigin"};
    size_t n = strlen(name);

    if (n == 0 || n > 127 || name[0] == '-' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
        strncmp(name, "snapshot", 8) == 0 || strncmp(name, "pvmove", 6) == 0)
        return false;
    if (strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+_.-") != n)
        return false;
    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
        if (strstr(name, reserved[i]))
            return false;
    return true;
}

static char *trim(char *s)
{
    char *end;

    s += strspn(s, " \t");
    end = s + strlen(s);
    while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
        *--end = '\0';
    return s;
}

size_t oa_lvm_next_row(char **cursor, char *fields[], size_t max)
{
    while (**cursor && max) {
        char *line = *cursor, *nl = strchr(line, '\n');
        size_t n = 0;

        *cursor = nl ? nl + 1 : line + strlen(line);
        if (nl)
            *nl = '\0';
        line = trim(line);
        if (!*line)
            continue;
        while (n + 1 < max && strchr(line, OA_LVM_SEP[0])) {
            char *sep = strchr(line, OA_LVM_SEP[0]);
            *sep = '\0';
            fields[n++] = trim(line);
            line = sep + 1;
        }
        fields[n++] = trim(line);
        return n;
    }
    return 0;
}

/* The value of a parameter under either of its spellings. */
static const struct oa_pvalue *value_of(const struct oa_params *p, const struct lvm_opt *o)
{
    const struct oa_pvalue *v = oa_params_get(p, o->param);

    if (!v->present && o->alt)
        v = oa_params_get(p, o->alt);
    return v;
}

/* An empty value counts as absent (params.h), so every value here is a
 * word of its own, never "". */
static int add_opts(const struct oa_params *p, const struct lvm_opt *opts, size_t n,
                    struct oa_argv *a)
{
    for (size_t i = 0; i < n; i++) {
        const struct lvm_opt *o = &opts[i];
        const struct oa_pvalue *v = value_of(p, o);

        if (!v->present)
            continue;
        switch (o->kind) {
        case OPT_VALUE:
            oa_argv_add(a, o->flag);
            oa_argv_add(a, v->str);
            break;
        case OPT_YN:
            oa_argv_add(a, o->flag);
            oa_argv_add(a, v->boolean ? "y" : "n");
            break;
        case OPT_FLAG:
            if (v->boolean)
                oa_argv_add(a, o->flag);
            break;
        case OPT_ONLY_Y:
            if (v->boolean) {
                oa_argv_add(a, o->flag);
                oa_argv_add(a, "y");
            }
            break;
        case OPT_EACH:
            for (size_t k = 0; k < v->n; k++) {
                oa_argv_add(a, o->flag);
                oa_argv_add(a, v->items[k]);
            }
            break;
        }
    }
    return oa_argv_status(a);
}

int oa_lvm_check_paths(const struct oa_pvalue *paths, char *err, size_t errlen)
{
    if (!paths->present || paths->n == 0) {
        snprintf(err, errlen, "missing required parameter 'path'");
        return OA_ESCHEMA;
    }
    for (size_t i = 0; i < paths->n; i++) {
        if (paths->items[i][0] != '/') {
            snprintf(err, errlen, "parameter 'path': '%s' is not an absolute path",
                     paths->items[i]);
            return OA_ESCHEMA;
        }
        for (size_t k = 0; k < i; k++) {
            if (strcmp(paths->items[i], paths->items[k]) == 0) {
                snprintf(err, errlen, "parameter 'path': %s is given twice", paths->items[i]);
                return OA_ESCHEMA;
            }
        }
    }
    return 0;
}

int oa_lvm_pvcreate_argv(const struct oa_params *p, const char *device, struct oa_argv *a,
                         char *err, size_t errlen)
{
    int r;

    oa_argv_add(a, "pvcreate");
    /* -ff -y: create over anything, asking nothing (the original's
     * "--force y" made pvcreate take "y" for a device). */
    if (oa_params_bool(p, "force", false)) {
        oa_argv_add(a, "-ff");
        oa_argv_add(a, "-y");
    }
    r = add_opts(p, pv_opts, sizeof(pv_opts) / sizeof(pv_opts[0]), a);
    if (r < 0)
        return r;
    oa_argv_add(a, device);
    return oa_argv_status(a);
}

/* A name parameter that must be an LVM name. */
static int check_name(const char *param, const char *value, char *err, size_t errlen)
{
    if (oa_lvm_name_ok(value))
        return 0;
    snprintf(err, errlen,
             "parameter '%s': '%s' is not a valid LVM name (letters, digits, + _ . -; not "
             "starting with '-')",
             param, value);
    return OA_ESCHEMA;
}

int oa_lvm_vgcreate_argv(const struct oa_params *p, struct oa_argv *a, char *err, size_t errlen)
{
    const char *name = oa_params_str(p, "name");
    const struct oa_pvalue *paths = oa_params_get(p, "path");
    int r;

    if ((r = check_name("name", name, err, errlen)) < 0 ||
        (r = oa_lvm_check_paths(paths, err, errlen)) < 0)
        return r;
    oa_argv_add(a, "vgcreate");
    r = add_opts(p, vg_opts, sizeof(vg_opts) / sizeof(vg_opts[0]), a);
    if (r < 0)
        return r;
    oa_argv_add(a, name);
    for (size_t i = 0; i < paths->n; i++)
        oa_argv_add(a, paths->items[i]);
    return oa_argv_status(a);
}

/* -L SIZE or -l EXTENTS: exactly one, or neither for a volume with a
 * virtual size (thin or sparse), whose size is -V's. */
static int add_size(const struct oa_params *p, struct oa_argv *a, char *err, size_t errlen)
{
    const char *size = oa_params_str(p, "le-size"), *number = oa_params_str(p, "le-number");
    bool virtual = oa_params_get(p, "virtual-size")->present;

    if (size && number) {
        snprintf(err, errlen, "parameters 'le-size' and 'le-number' exclude each other");
        return OA_ESCHEMA;
    }
    if (!size && !number && !virtual) {
        snprintf(err, errlen, "missing required parameter 'le-size' or 'le-number'");
        return OA_ESCHEMA;
    }
    if (size || number) {
        oa_argv_add(a, size ? "-L" : "-l");
        oa_argv_add(a, size ? size : number);
    }
    return 0;
}

int oa_lvm_lvcreate_argv(const struct oa_params *p, struct oa_argv *a, char *err, size_t errlen)
{
    const char *name = oa_params_str(p, "name"), *vg = oa_params_str(p, "vg-name");
    const char *origin = oa_params_str(p, "snapshot");
    const struct oa_pvalue *paths = oa_params_get(p, "path");
    int r;

    if ((r = check_name("name", name, err, errlen)) < 0 ||
        (r = check_name("vg-name", vg, err, errlen)) < 0 ||
        (origin && (r = check_name("snapshot", origin, err, errlen)) < 0) ||
        (paths->present && paths->n && (r = oa_lvm_check_paths(paths, err, errlen)) < 0))
        return r;
    oa_argv_add(a, "lvcreate");
    oa_argv_add(a, "-n");
    oa_argv_add(a, name);
    if ((r = add_size(p, a, err, errlen)) < 0 ||
        (r = add_opts(p, lv_opts, sizeof(lv_opts) / sizeof(lv_opts[0]), a)) < 0)
        return r;
    if (origin) {
        oa_argv_add(a, "-s");
        oa_argv_addf(a, "%s/%s", vg, origin);
    } else {
        oa_argv_add(a, vg);
    }
    for (size_t i = 0; paths->present && i < paths->n; i++)
        oa_argv_add(a, paths->items[i]);
    return oa_argv_status(a);
}
