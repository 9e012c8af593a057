/* SPDX-License-Identifier: Apache-2.0 */
/*
 * linux.apt.ppa (modules.md §5.4): the pure parts of the module, exported
 * for the unit tests. The module itself is oa_mod_linux_apt_ppa
 * (modules.h).
 */
#ifndef OA_LINUX_PPA_H
#define OA_LINUX_PPA_H

#include <stdbool.h>
#include <stddef.h>

#include "osinfo.h"

/* Launchpad's hosts: the private-PPA host serves subscribers. */
#define OA_PPA_HOST "ppa.launchpadcontent.net"
#define OA_PPA_PRIVATE_HOST "private-ppa.launchpadcontent.net"

/* Splits "owner/archive" (a leading "ppa:" is tolerated). Both parts are
 * Launchpad names: lower-case letters, digits, '+', '-' and '.', starting
 * with a letter or a digit. Returns 0, or -EINVAL. */
int oa_ppa_parse_name(const char *name, char *owner, size_t olen, char *archive, size_t alen);

/* Whether the host may have PPAs: Ubuntu, or an OS whose ID_LIKE names
 * ubuntu. */
bool oa_ppa_os_ok(const struct oa_osinfo *os);

/* Whether the text of one apt sources file has an enabled entry for the PPA
 * on Launchpad's public hosts (private false: ppa.launchpad.net or
 * ppa.launchpadcontent.net) or its private ones. deb822 tells a
 * ".sources" file (stanzas with Types:, URIs:, Enabled:) from a one-line
 * ".list" file ("deb URL suite components", '#' comments). */
bool oa_ppa_sources_have(const char *text, bool deb822, const char *owner, const char *archive,
                         bool private_ppa);

/* The files of a private PPA: the sources line ("deb
 * https://private-ppa.launchpadcontent.net/OWNER/ARCHIVE/ubuntu CODENAME
 * main") in /etc/apt/sources.list.d/OWNER-ubuntu-ARCHIVE-CODENAME.list,
 * and the credentials ("machine HOST/OWNER/ARCHIVE/ubuntu login USER
 * password PASS") in /etc/apt/auth.conf.d/OWNER-ubuntu-ARCHIVE.conf, so
 * that they are never in a URL. Returns 0, or -ENAMETOOLONG. */
struct oa_ppa_files {
    char list_path[512], list[512];
    char auth_path[512], auth[1024];
};
int oa_ppa_private_files(const char *owner, const char *archive, const char *codename,
                         const char *user, const char *password, struct oa_ppa_files *ret);

/* The key id apt names in "NO_PUBKEY 0123456789ABCDEF" (the first one) into
 * buf. Returns whether there is one. */
bool oa_ppa_no_pubkey(const char *text, char *buf, size_t len);

#endif
