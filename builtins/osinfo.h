/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The platform, read once per run from /etc/os-release (modules.md §1.5):
 * the Debian family (debian, ubuntu, anything with debian in ID_LIKE) uses
 * apt and dpkg; the RHEL family (rhel, centos, amazon, fedora, anything with
 * rhel or fedora in ID_LIKE) yum and rpm; the init system decides how
 * services are driven.
 */
#ifndef OA_OSINFO_H
#define OA_OSINFO_H

#include <stdbool.h>
#include <stddef.h>

enum oa_os_family { OA_OS_UNKNOWN, OA_OS_DEBIAN, OA_OS_RHEL };
enum oa_init { OA_INIT_SYSV, OA_INIT_SYSTEMD, OA_INIT_UPSTART };

struct oa_osinfo {
    char id[32];
    char id_like[96];
    char version_id[32];
    char codename[32]; /* UBUNTU_CODENAME, else VERSION_CODENAME; "" when neither */
    char pretty[128];  /* PRETTY_NAME, for comments */
    enum oa_os_family family;
    enum oa_init init;
};

/* Reads /etc/os-release (else /usr/lib/os-release) and detects the init
 * system (systemd when /run/systemd/system exists, upstart when
 * /sbin/initctl does and /sbin/init is upstart's, else SysV). A missing file
 * leaves the family unknown; never fails. */
void oa_osinfo_read(struct oa_osinfo *ret);

/* Parses os-release text (for tests); fills id, id_like, version_id,
 * codename, pretty and family. */
void oa_osinfo_parse(const char *text, struct oa_osinfo *ret);

/* "module linux.yum.package is not available on Debian GNU/Linux 12
 * (bookworm)" into buf when the module's family is not this host's.
 * Returns false then, true when it may run. */
bool oa_osinfo_allows(const struct oa_osinfo *os, enum oa_os_family needed, const char *module,
                      char *buf, size_t len);

#endif
