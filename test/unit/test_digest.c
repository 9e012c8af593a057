/* SPDX-License-Identifier: Apache-2.0 */
/*
 * proto/digest.c: MD5 and SHA-256 of a file's whole content, known answers
 * (RFC 1321 and FIPS 180-2 test vectors), from offset 0 whatever the fd's
 * offset, which stays where it was; an unreadable fd's errno.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "digest.h"

/* A temporary file holding text, unlinked at once. */
static int file_with(const char *text)
{
    char path[] = "/tmp/oa-test-digest-XXXXXX";
    int fd = mkstemp(path);

    assert_true(fd >= 0);
    unlink(path);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    return fd;
}

static void md5_known_answers(void **unused)
{
    static const struct {
        const char *text, *md5;
    } cases[] = {
        {"", "d41d8cd98f00b204e9800998ecf8427e"},
        {"abc", "900150983cd24fb0d6963f7d28e17f72"},
        {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
    };
    char hex[33];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int fd = file_with(cases[i].text);
        /* The offset is at the end after the write: the sum still covers it all. */
        assert_int_equal(oa_digest_md5_hex_fd(fd, hex), 0);
        assert_string_equal(hex, cases[i].md5);
        assert_int_equal(lseek(fd, 0, SEEK_CUR), (off_t)strlen(cases[i].text));
        close(fd);
    }
}

static void sha256_known_answer_and_hex(void **unused)
{
    unsigned char sum[32];
    char hex[65];
    int fd = file_with("abc");

    assert_int_equal(oa_digest_fd(fd, MBEDTLS_MD_SHA256, sum), 0);
    oa_digest_hex(sum, sizeof(sum), hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    close(fd);
}

static void unreadable_fd(void **unused)
{
    char hex[33] = "unchanged";
    int fds[2];

    /* The write end of a pipe cannot be read, and a pipe cannot be pread. */
    assert_int_equal(pipe(fds), 0);
    assert_true(oa_digest_md5_hex_fd(fds[1], hex) < 0);
    assert_string_equal(hex, "unchanged");
    close(fds[0]);
    close(fds[1]);
    assert_int_equal(oa_digest_md5_hex_fd(-1, hex), -EBADF);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(md5_known_answers),
        cmocka_unit_test(sha256_known_answer_and_hex),
        cmocka_unit_test(unreadable_fd),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
