/* SPDX-License-Identifier: Apache-2.0 */
/*
 * File digests with mbedTLS: the MD5 sums of watched files and archives
 * (the original agent's format, lowercase hex) and the SHA-256 that an
 * update's signature covers. Blocking reads: for children and start-up.
 */
#ifndef OA_DIGEST_H
#define OA_DIGEST_H

#include <mbedtls/md.h>
#include <stddef.h>

/* The digest of type of everything fd holds, from offset 0, read with
 * pread (fd's offset does not move) into ret, which has room for the
 * type's size (16 for MD5, 32 for SHA-256). Returns 0 or a negative errno
 * (-EIO when mbedTLS fails). */
int oa_digest_fd(int fd, mbedtls_md_type_t type, unsigned char *ret);

/* n bytes as 2n lowercase hex digits and a NUL in hex. */
void oa_digest_hex(const unsigned char *in, size_t n, char *hex);

/* The MD5 of everything fd holds as 32 hex digits. Returns as oa_digest_fd. */
int oa_digest_md5_hex_fd(int fd, char hex[33]);

#endif
