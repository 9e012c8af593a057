/* SPDX-License-Identifier: Apache-2.0 */
/* /etc/os-release and the init system. */
#include "osinfo.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"

/* Copies a value, without the quotes os-release may put around it. */
static void copy_value(const char *v, size_t len, char *out, size_t outlen)
{
    if (len >= 2 && (v[0] == '"' || v[0] == '\'') && v[len - 1] == v[0]) {
        v++;
        len -= 2;
    }
    snprintf(out, outlen, "%.*s", (int)len, v);
}

static bool has_word(const char *list, const char *word)
{
    size_t wlen = strlen(word);

    for (const char *p = list; *p;) {
        size_t n = strcspn(p, " ");
        if (n == wlen && strncmp(p, word, n) == 0)
            return true;
        p += n;
        p += strspn(p, " ");
    }
    return false;
}

void oa_osinfo_parse(const char *text, struct oa_osinfo *ret)
{
    static const struct {
        const char *key;
        size_t off, size;
    } keys[] = {
        {"ID=", offsetof(struct oa_osinfo, id), sizeof(ret->id)},
        {"ID_LIKE=", offsetof(struct oa_osinfo, id_like), sizeof(ret->id_like)},
        {"VERSION_ID=", offsetof(struct oa_osinfo, version_id), sizeof(ret->version_id)},
        {"PRETTY_NAME=", offsetof(struct oa_osinfo, pretty), sizeof(ret->pretty)},
        {"VERSION_CODENAME=", offsetof(struct oa_osinfo, codename), sizeof(ret->codename)},
    };
    char ubuntu[sizeof(ret->codename)] = "";

    for (const char *line = text; *line;) {
        size_t len = strcspn(line, "\n");
        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
            size_t klen = strlen(keys[i].key);
            if (len > klen && strncmp(line, keys[i].key, klen) == 0)
                copy_value(line + klen, len - klen, (char *)ret + keys[i].off, keys[i].size);
        }
        if (len > 16 && strncmp(line, "UBUNTU_CODENAME=", 16) == 0)
            copy_value(line + 16, len - 16, ubuntu, sizeof(ubuntu));
        line += len;
        if (*line)
            line++;
    }
    if (ubuntu[0]) /* a derivative's own VERSION_CODENAME is not Ubuntu's */
        snprintf(ret->codename, sizeof(ret->codename), "%s", ubuntu);
    if (!strcmp(ret->id, "debian") || !strcmp(ret->id, "ubuntu") ||
        has_word(ret->id_like, "debian"))
        ret->family = OA_OS_DEBIAN;
    else if (!strcmp(ret->id, "rhel") || !strcmp(ret->id, "centos") || !strcmp(ret->id, "amzn") ||
             !strcmp(ret->id, "amazon") || !strcmp(ret->id, "fedora") ||
             has_word(ret->id_like, "rhel") || has_word(ret->id_like, "fedora"))
        ret->family = OA_OS_RHEL;
    else
        ret->family = OA_OS_UNKNOWN;
    if (!ret->pretty[0])
        snprintf(ret->pretty, sizeof(ret->pretty), "%s", ret->id[0] ? ret->id : "this OS");
}

void oa_osinfo_read(struct oa_osinfo *ret)
{
    char text[4096] = "";
    FILE *f = fopen("/etc/os-release", "re");
    size_t n;

    memset(ret, 0, sizeof(*ret));
    if (!f)
        f = fopen("/usr/lib/os-release", "re");
    if (f) {
        n = fread(text, 1, sizeof(text) - 1, f);
        text[n] = '\0';
        fclose(f);
    }
    oa_osinfo_parse(text, ret);
    if (oa_fs_exists("/run/systemd/system"))
        ret->init = OA_INIT_SYSTEMD;
    else if (access("/sbin/initctl", X_OK) == 0 && oa_fs_exists("/etc/init"))
        ret->init = OA_INIT_UPSTART;
    else
        ret->init = OA_INIT_SYSV;
}

bool oa_osinfo_allows(const struct oa_osinfo *os, enum oa_os_family needed, const char *module,
                      char *buf, size_t len)
{
    if (os->family == needed)
        return true;
    snprintf(buf, len, "module %s is not available on %s", module, os->pretty);
    return false;
}
