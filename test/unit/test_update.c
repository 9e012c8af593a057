/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The self-update's helpers (agent/update_files.c): the signature check with
 * an ECDSA P-256 and an RSA key made by the openssl command line at test
 * time (exactly what signs a release: `openssl dgst -sha256 -sign`), the
 * --version check, the marker, the rollback-check attempt logic and the
 * atomic copy.
 */
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "digest.h"
#include "err.h"
#include "update.h"

struct keys {
    char dir[64];
};

static void path_of(const struct keys *k, const char *name, char *out, size_t len)
{
    int n = snprintf(out, len, "%s/%s", k->dir, name);
    assert_true(n > 0 && (size_t)n < len);
}

/* Runs openssl with argv in the keys' directory (no shell). */
static int openssl(const struct keys *k, char *const argv[])
{
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int status, r;

    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addchdir_np(&fa, k->dir);
    posix_spawn_file_actions_addopen(&fa, 1, "openssl.log", O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    r = posix_spawnp(&pid, "openssl", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (r != 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "openssl %s failed, see %s/openssl.log\n", argv[1], k->dir);
        return -1;
    }
    return 0;
}

static int write_file(const struct keys *k, const char *name, const void *data, size_t len)
{
    char path[128];
    FILE *f;

    path_of(k, name, path, sizeof(path));
    f = fopen(path, "we");
    if (!f)
        return -1;
    if (len && fwrite(data, 1, len, f) != len) {
        fclose(f);
        return -1;
    }
    return fclose(f) == 0 ? 0 : -1;
}

/* name.pem (private) and name.pub for algorithm "ec" or "rsa". */
static int make_key(const struct keys *k, const char *name, const char *alg)
{
    char key[64], pub[64];
    bool ec = strcmp(alg, "ec") == 0;
    char *gen[] = {"openssl",    "genpkey",
                   "-algorithm", ec ? "EC" : "RSA",
                   "-pkeyopt",   ec ? "ec_paramgen_curve:P-256" : "rsa_keygen_bits:2048",
                   "-out",       key,
                   NULL};
    char *out[] = {"openssl", "pkey", "-in", key, "-pubout", "-out", pub, NULL};

    snprintf(key, sizeof(key), "%s.pem", name);
    snprintf(pub, sizeof(pub), "%s.pub", name);
    return openssl(k, gen) == 0 && openssl(k, out) == 0 ? 0 : -1;
}

static int sign(const struct keys *k, const char *key, const char *file, const char *sig)
{
    char *argv[] = {"openssl", "dgst",      "-sha256",    "-sign", (char *)key,
                    "-out",    (char *)sig, (char *)file, NULL};
    return openssl(k, argv);
}

static int group_setup(void **state)
{
    static const char payload[] = "\x7f"
                                  "ELF pretend this is opsagent 1.3\n";
    struct keys *k = calloc(1, sizeof(*k));

    if (!k)
        return -1;
    *state = k;
    snprintf(k->dir, sizeof(k->dir), "/tmp/oa-test-update-XXXXXX");
    if (!mkdtemp(k->dir))
        return -1;
    if (write_file(k, "payload", payload, sizeof(payload) - 1) < 0 ||
        write_file(k, "tampered",
                   "\x7f"
                   "ELF pretend this is opsagent 1.4\n",
                   sizeof(payload) - 1) < 0 ||
        make_key(k, "ec", "ec") < 0 || make_key(k, "rsa", "rsa") < 0 ||
        make_key(k, "other", "ec") < 0 || sign(k, "ec.pem", "payload", "payload.ec.sig") < 0 ||
        sign(k, "rsa.pem", "payload", "payload.rsa.sig") < 0 ||
        sign(k, "other.pem", "payload", "payload.other.sig") < 0)
        return -1;
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

static int group_teardown(void **state)
{
    struct keys *k = *state;

    if (k && k->dir[0] && strcmp(k->dir, "/tmp/oa-test-update-XXXXXX") != 0)
        nftw(k->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(k);
    return 0;
}

static void hash_of(const struct keys *k, const char *name, unsigned char hash[32])
{
    char path[128];
    int fd;

    path_of(k, name, path, sizeof(path));
    fd = open(path, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(oa_digest_fd(fd, MBEDTLS_MD_SHA256, hash), 0);
    close(fd);
}

/* Returns what oa_update_verify says about file signed by sig under key. */
static int verify(const struct keys *k, const char *file, const char *sig, const char *key,
                  char *why, size_t len)
{
    unsigned char hash[32], bytes[4096];
    char path[128];
    ssize_t n = 0;
    int fd;

    hash_of(k, file, hash);
    if (sig) {
        path_of(k, sig, path, sizeof(path));
        fd = open(path, O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        n = read(fd, bytes, sizeof(bytes));
        assert_true(n > 0);
        close(fd);
    }
    path_of(k, key, path, sizeof(path));
    why[0] = '\0';
    return oa_update_verify(path, hash, bytes, (size_t)n, why, len);
}

static void good_signatures_verify(void **state)
{
    char why[256];

    assert_int_equal(verify(*state, "payload", "payload.ec.sig", "ec.pub", why, sizeof(why)), 0);
    assert_int_equal(verify(*state, "payload", "payload.rsa.sig", "rsa.pub", why, sizeof(why)), 0);
}

static void bad_signatures_are_refused(void **state)
{
    static const struct {
        const char *file, *sig, *key;
    } cases[] = {
        {"tampered", "payload.ec.sig", "ec.pub"},   /* the payload changed */
        {"tampered", "payload.rsa.sig", "rsa.pub"}, /* the same, RSA */
        {"payload", "payload.other.sig", "ec.pub"}, /* signed by another key */
        {"payload", "payload.rsa.sig", "ec.pub"},   /* an RSA signature, an EC key */
        {"payload", "payload.ec.sig", "rsa.pub"},   /* and the other way round */
        {"payload", "payload", "ec.pub"},           /* garbage as the signature */
        {"payload", "payload", "rsa.pub"},          /* the same, RSA */
    };
    char why[256];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(
            verify(*state, cases[i].file, cases[i].sig, cases[i].key, why, sizeof(why)), -EBADMSG);
        assert_string_equal(why, "signature does not match the pinned key");
    }
}

static void empty_signature_and_bad_keys(void **state)
{
    char why[256];

    assert_int_equal(verify(*state, "payload", NULL, "ec.pub", why, sizeof(why)), -EBADMSG);
    assert_string_equal(why, "the signature is empty");
    /* A missing key file, and a file that is no key. */
    assert_int_equal(verify(*state, "payload", "payload.ec.sig", "nokey", why, sizeof(why)), -EIO);
    assert_non_null(strstr(why, "cannot use the update key"));
    assert_int_equal(verify(*state, "payload", "payload.ec.sig", "payload", why, sizeof(why)),
                     -EINVAL);
    assert_non_null(strstr(why, "cannot use the update key"));
}

static void version_output(void **unused)
{
    char why[256];

    assert_int_equal(oa_update_check_version("opsagent 1.3\n", 13, "1.3", why, sizeof(why)), 0);
    assert_int_equal(oa_update_check_version("opsagent 1.3", 12, "1.3", why, sizeof(why)), 0);
    assert_int_equal(oa_update_check_version("opsagent 1.2\n", 13, "1.3", why, sizeof(why)),
                     -EBADMSG);
    assert_string_equal(why, "the new binary says 'opsagent 1.2' instead of 'opsagent 1.3'");
    /* Nothing else may be printed, and the bytes are shown safely. */
    assert_int_equal(oa_update_check_version("opsagent 1.3\n\n", 14, "1.3", why, sizeof(why)),
                     -EBADMSG);
    assert_int_equal(oa_update_check_version("opsagent 1.3.1\n", 15, "1.3", why, sizeof(why)),
                     -EBADMSG);
    assert_int_equal(oa_update_check_version("", 0, "1.3", why, sizeof(why)), -EBADMSG);
    assert_string_equal(why, "the new binary says '' instead of 'opsagent 1.3'");
    assert_int_equal(oa_update_check_version("a\tb\x01\n", 5, "1.3", why, sizeof(why)), -EBADMSG);
    assert_string_equal(why, "the new binary says 'a?b?' instead of 'opsagent 1.3'");
    assert_int_equal(oa_update_check_version("opsagent 1.3\0x", 14, "1.3", why, sizeof(why)),
                     -EBADMSG);
}

/* ---- the marker ---- */

struct files {
    char dir[64], marker[128], exe[128], prev[128];
};

static void files_make(struct files *f)
{
    FILE *fp;

    snprintf(f->dir, sizeof(f->dir), "/tmp/oa-test-marker-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->marker, sizeof(f->marker), "%s/update.json", f->dir);
    snprintf(f->exe, sizeof(f->exe), "%s/opsagent", f->dir);
    snprintf(f->prev, sizeof(f->prev), "%s/opsagent.prev", f->dir);
    assert_non_null(fp = fopen(f->exe, "we"));
    fputs("new binary", fp);
    fclose(fp);
    assert_non_null(fp = fopen(f->prev, "we"));
    fputs("old binary", fp);
    fclose(fp);
    assert_int_equal(chmod(f->exe, 0755), 0);
    assert_int_equal(chmod(f->prev, 0751), 0);
}

static void files_done(struct files *f)
{
    nftw(f->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void content_is(const char *path, const char *want)
{
    char buf[256] = {0};
    FILE *fp = fopen(path, "re");

    assert_non_null(fp);
    assert_true(fread(buf, 1, sizeof(buf) - 1, fp) > 0);
    fclose(fp);
    assert_string_equal(buf, want);
}

static void write_marker(const struct files *f, int64_t deadline, uint64_t attempts)
{
    struct oa_update_marker m = {"1.3", "1.2", deadline, attempts, 120};
    char why[256];

    assert_int_equal(oa_update_marker_write(f->marker, &m, why, sizeof(why)), 0);
}

static void marker_round_trip(void **unused)
{
    struct oa_update_marker m;
    struct files f;
    struct stat st;
    char why[256];

    files_make(&f);
    assert_int_equal(oa_update_marker_read(f.marker, &m, why, sizeof(why)), -ENOENT);
    write_marker(&f, 1700000000, 2);
    assert_int_equal(stat(f.marker, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    content_is(f.marker,
               "{\"version\":\"1.3\",\"previous_version\":\"1.2\",\"deadline\":1700000000,"
               "\"attempts\":2,\"window\":120}");
    assert_int_equal(oa_update_marker_read(f.marker, &m, why, sizeof(why)), 0);
    assert_string_equal(m.version, "1.3");
    assert_string_equal(m.previous_version, "1.2");
    assert_int_equal(m.deadline, 1700000000);
    assert_int_equal(m.attempts, 2);
    assert_int_equal(m.window, 120);
    /* The remaining time, in milliseconds, and none once the deadline passed. */
    assert_int_equal(oa_update_remaining_ms(&m, 1699999998500), 1500);
    assert_int_equal(oa_update_remaining_ms(&m, 1700000000000), 0);
    assert_int_equal(oa_update_remaining_ms(&m, 1700000009000), 0);
    oa_update_marker_done(&m);
    files_done(&f);
}

static void marker_invalid(void **unused)
{
    static const char *const bad[] = {
        "",
        "not json",
        "[]",
        "{\"version\":\"1.3\",\"previous_version\":\"1.2\",\"deadline\":1}",
        "{\"version\":\"\",\"previous_version\":\"1.2\",\"deadline\":1,\"attempts\":0,\"window\":"
        "1}",
        "{\"version\":\"1.3\",\"previous_version\":\"1.2\",\"deadline\":-1,\"attempts\":0,"
        "\"window\":1}",
        "{\"version\":\"1.3\",\"previous_version\":\"1.2\",\"deadline\":\"1\",\"attempts\":0,"
        "\"window\":1}",
        "{\"version\":\"1.3\",\"previous_version\":\"1.2\",\"deadline\":1,\"attempts\":1.5,"
        "\"window\":1}",
        /* Without a window, or an empty one. */
        "{\"version\":\"1.3\",\"previous_version\":\"1.2\",\"deadline\":1,\"attempts\":0}",
        "{\"version\":\"1.3\",\"previous_version\":\"1.2\",\"deadline\":1,\"attempts\":0,"
        "\"window\":0}",
    };
    struct oa_update_marker m;
    struct files f;
    char why[256];

    files_make(&f);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        FILE *fp = fopen(f.marker, "we");
        assert_non_null(fp);
        fputs(bad[i], fp);
        fclose(fp);
        int r = oa_update_marker_read(f.marker, &m, why, sizeof(why));
        assert_true(r == OA_ESYNTAX || r == OA_ESCHEMA);
        assert_non_null(strstr(why, "is invalid"));
    }
    files_done(&f);
}

static void attempts_then_rollback(void **unused)
{
    struct oa_update_marker m;
    struct files f;
    struct stat st;
    char msg[1024], why[256];
    time_t now = 1700000000;

    files_make(&f);
    assert_int_equal(oa_update_check_attempt(f.marker, f.exe, f.prev, now, msg, sizeof(msg)),
                     OA_UPDATE_NONE);
    write_marker(&f, now + 100, 0);
    for (uint64_t i = 1; i <= OA_UPDATE_MAX_ATTEMPTS; i++) {
        assert_int_equal(oa_update_check_attempt(f.marker, f.exe, f.prev, now, msg, sizeof(msg)),
                         OA_UPDATE_COUNTED);
        assert_int_equal(oa_update_marker_read(f.marker, &m, why, sizeof(why)), 0);
        assert_int_equal(m.attempts, i);
        oa_update_marker_done(&m);
        content_is(f.exe, "new binary");
    }
    assert_string_equal(msg, "update to 1.3: start 3 of at most 3, 100 s left to reach READY");
    /* The fourth start restores the previous binary, with its mode. */
    assert_int_equal(oa_update_check_attempt(f.marker, f.exe, f.prev, now, msg, sizeof(msg)),
                     OA_UPDATE_ROLLED_BACK);
    content_is(f.exe, "old binary");
    content_is(f.prev, "old binary");
    assert_int_equal(stat(f.exe, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0751);
    assert_false(access(f.marker, F_OK) == 0);
    assert_non_null(strstr(msg, "update to 1.3 did not reach READY (start 4 of at most 3)"));
    files_done(&f);
}

static void deadline_passed_rolls_back(void **unused)
{
    struct files f;
    char msg[1024];
    time_t now = 1700000000;

    files_make(&f);
    write_marker(&f, now - 5, 0);
    assert_int_equal(oa_update_check_attempt(f.marker, f.exe, f.prev, now, msg, sizeof(msg)),
                     OA_UPDATE_ROLLED_BACK);
    assert_non_null(strstr(msg, "its deadline passed 5 s ago"));
    content_is(f.exe, "old binary");
    assert_false(access(f.marker, F_OK) == 0);
    files_done(&f);
}

/* The deadline counts from the new binary's first start, not from the
 * install: the old binary's graceful stop may take longer than the window. */
static void deadline_starts_at_the_first_start(void **unused)
{
    struct oa_update_marker m;
    struct files f;
    char msg[1024], why[256];
    time_t installed = 1700000000, started = installed + 3600;

    files_make(&f);
    write_marker(&f, 0, 0);
    assert_int_equal(oa_update_check_attempt(f.marker, f.exe, f.prev, started, msg, sizeof(msg)),
                     OA_UPDATE_COUNTED);
    assert_string_equal(msg, "update to 1.3: start 1 of at most 3, 120 s left to reach READY");
    assert_int_equal(oa_update_marker_read(f.marker, &m, why, sizeof(why)), 0);
    assert_int_equal(m.deadline, started + 120);
    /* A later start keeps the deadline of the first. */
    assert_false(oa_update_marker_start(&m, started + 60));
    assert_int_equal(m.deadline, started + 120);
    oa_update_marker_done(&m);
    assert_int_equal(
        oa_update_check_attempt(f.marker, f.exe, f.prev, started + 121, msg, sizeof(msg)),
        OA_UPDATE_ROLLED_BACK);
    assert_non_null(strstr(msg, "its deadline passed 1 s ago"));
    content_is(f.exe, "old binary");
    files_done(&f);
}

static void rollback_without_prev_keeps_the_marker(void **unused)
{
    struct files f;
    char msg[1024];
    time_t now = 1700000000;

    files_make(&f);
    write_marker(&f, now - 5, 0);
    assert_int_equal(unlink(f.prev), 0);
    assert_true(oa_update_check_attempt(f.marker, f.exe, f.prev, now, msg, sizeof(msg)) < 0);
    assert_non_null(strstr(msg, "restoring"));
    content_is(f.exe, "new binary");
    assert_true(access(f.marker, F_OK) == 0);
    files_done(&f);
}

static void invalid_marker_is_removed(void **unused)
{
    struct files f;
    char msg[1024];
    FILE *fp;

    files_make(&f);
    assert_non_null(fp = fopen(f.marker, "we"));
    fputs("{", fp);
    fclose(fp);
    assert_true(oa_update_check_attempt(f.marker, f.exe, f.prev, 1, msg, sizeof(msg)) < 0);
    assert_non_null(strstr(msg, "removing it"));
    assert_false(access(f.marker, F_OK) == 0);
    content_is(f.exe, "new binary");
    files_done(&f);
}

static void copy_is_atomic_and_keeps_the_mode(void **unused)
{
    struct files f;
    struct stat st;
    char why[512], other[160];

    files_make(&f);
    assert_int_equal(oa_update_copy_atomic(f.exe, f.prev, why, sizeof(why)), 0);
    content_is(f.prev, "new binary");
    assert_int_equal(stat(f.prev, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0755);
    /* A failure names the target and leaves nothing behind. */
    snprintf(other, sizeof(other), "%s/missing", f.dir);
    assert_true(oa_update_copy_atomic(other, f.prev, why, sizeof(why)) < 0);
    assert_non_null(strstr(why, "cannot read the source"));
    snprintf(other, sizeof(other), "%s/no/such/dir", f.dir);
    assert_true(oa_update_copy_atomic(f.exe, other, why, sizeof(why)) < 0);
    assert_non_null(strstr(why, "cannot create a temporary file"));
    content_is(f.prev, "new binary");
    files_done(&f);
}

int main(void)
{
    const struct CMUnitTest signatures[] = {
        cmocka_unit_test(good_signatures_verify),
        cmocka_unit_test(bad_signatures_are_refused),
        cmocka_unit_test(empty_signature_and_bad_keys),
    };
    const struct CMUnitTest others[] = {
        cmocka_unit_test(version_output),
        cmocka_unit_test(marker_round_trip),
        cmocka_unit_test(marker_invalid),
        cmocka_unit_test(attempts_then_rollback),
        cmocka_unit_test(deadline_passed_rolls_back),
        cmocka_unit_test(deadline_starts_at_the_first_start),
        cmocka_unit_test(rollback_without_prev_keeps_the_marker),
        cmocka_unit_test(invalid_marker_is_removed),
        cmocka_unit_test(copy_is_atomic_and_keeps_the_mode),
    };
    int failed = cmocka_run_group_tests(signatures, group_setup, group_teardown);

    return failed + cmocka_run_group_tests(others, NULL, NULL);
}
