/* SPDX-License-Identifier: Apache-2.0 */
#include "digest.h"

#include <errno.h>
#include <sys/types.h>
#include <unistd.h>

int oa_digest_fd(int fd, mbedtls_md_type_t type, unsigned char *ret)
{
    const mbedtls_md_info_t *info = mbedtls_md_info_from_type(type);
    mbedtls_md_context_t md;
    unsigned char chunk[65536];
    off_t off = 0;
    int r;

    mbedtls_md_init(&md);
    r = info && mbedtls_md_setup(&md, info, 0) == 0 && mbedtls_md_starts(&md) == 0 ? 0 : -EIO;
    while (r == 0) {
        ssize_t n = pread(fd, chunk, sizeof(chunk), off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            r = -errno;
        else if (n == 0)
            break;
        else if (mbedtls_md_update(&md, chunk, (size_t)n) != 0)
            r = -EIO;
        off += n > 0 ? n : 0;
    }
    if (r == 0 && mbedtls_md_finish(&md, ret) != 0)
        r = -EIO;
    mbedtls_md_free(&md);
    return r;
}

void oa_digest_hex(const unsigned char *in, size_t n, char *hex)
{
    static const char digits[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        hex[2 * i] = digits[in[i] >> 4];
        hex[2 * i + 1] = digits[in[i] & 0xf];
    }
    hex[2 * n] = '\0';
}

int oa_digest_md5_hex_fd(int fd, char hex[33])
{
    unsigned char md5[16];
    int r = oa_digest_fd(fd, MBEDTLS_MD_MD5, md5);

    if (r == 0)
        oa_digest_hex(md5, sizeof(md5), hex);
    return r;
}
