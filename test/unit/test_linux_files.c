/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for builtins/fileattr.h, the logic under linux.file, linux.dir
 * and linux.symlink: cleaning paths, resolving user/group/mode (names,
 * numbers, unknown ones, bad modes), comparing and describing attributes
 * (links have no mode), counting missing parents, mkdir -p with an exact
 * mode whatever the umask, the recursive walk (dry run counts, links not
 * followed, the root left to the caller) and removal (links not followed,
 * the root directory refused). Each test works in its own temporary
 * directory; nothing needs root (owners are only compared, never changed).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "err.h"
#include "fileattr.h"

struct fx {
    char root[64];
    char err[PATH_MAX + 256];
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    snprintf(f->root, sizeof(f->root), "/tmp/oa-unit-files.XXXXXX");
    assert_non_null(mkdtemp(f->root));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    char why[PATH_MAX + 256];

    chmod(f->root, 0700);
    oa_fileattr_remove(f->root, why, sizeof(why));
    free(f);
    return 0;
}

/* "<root>/<rel>" in a static-free buffer owned by the caller. */
static const char *at(const struct fx *f, const char *rel, char *buf)
{
    snprintf(buf, PATH_MAX, "%s/%s", f->root, rel);
    return buf;
}

static void make_file(const char *path, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "x\n", 2), 2);
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
}

static mode_t mode_of(const char *path)
{
    struct stat st;
    assert_int_equal(lstat(path, &st), 0);
    return st.st_mode & 07777;
}

static void test_clean_path(void **state)
{
    char buf[32], big[PATH_MAX + 8];

    assert_int_equal(oa_fileattr_clean_path("/a/b/", buf, sizeof(buf)), 0);
    assert_string_equal(buf, "/a/b");
    assert_int_equal(oa_fileattr_clean_path("/a//b///", buf, sizeof(buf)), 0);
    assert_string_equal(buf, "/a//b");
    assert_int_equal(oa_fileattr_clean_path("/", buf, sizeof(buf)), 0);
    assert_string_equal(buf, "/");
    assert_int_equal(oa_fileattr_clean_path("///", buf, sizeof(buf)), 0);
    assert_string_equal(buf, "/");
    assert_int_equal(oa_fileattr_clean_path("a/b", buf, sizeof(buf)), -EINVAL);
    assert_int_equal(oa_fileattr_clean_path("", buf, sizeof(buf)), -EINVAL);
    assert_int_equal(oa_fileattr_clean_path(NULL, buf, sizeof(buf)), -EINVAL);
    memset(big, 'x', sizeof(big) - 1);
    big[0] = '/';
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(oa_fileattr_clean_path(big, buf, sizeof(buf)), -ENAMETOOLONG);
}

static void test_resolve(void **state)
{
    struct fx *f = *state;
    struct oa_fileattr a;

    assert_int_equal(oa_fileattr_resolve(NULL, NULL, NULL, &a, f->err, sizeof(f->err)), 0);
    assert_false(oa_fileattr_any(&a));
    assert_int_equal(oa_fileattr_resolve("root", "root", "644", &a, f->err, sizeof(f->err)), 0);
    assert_true(a.has_uid && a.has_gid && a.has_mode);
    assert_int_equal(a.uid, 0);
    assert_int_equal(a.gid, 0);
    assert_int_equal(a.mode, 0644);
    assert_int_equal(oa_fileattr_resolve(NULL, NULL, "0644", &a, f->err, sizeof(f->err)), 0);
    assert_int_equal(a.mode, 0644);
    assert_false(a.has_uid || a.has_gid);
    assert_int_equal(oa_fileattr_resolve(NULL, NULL, "2755", &a, f->err, sizeof(f->err)), 0);
    assert_int_equal(a.mode, 02755);
    /* A number that names nobody is still a valid owner (chown accepts it). */
    assert_int_equal(oa_fileattr_resolve("47114711", "47114712", NULL, &a, f->err, sizeof(f->err)),
                     0);
    assert_int_equal(a.uid, 47114711);
    assert_int_equal(a.gid, 47114712);
}

static void test_resolve_errors(void **state)
{
    struct fx *f = *state;
    struct oa_fileattr a;

    assert_int_equal(oa_fileattr_resolve("no-such-user-oa", NULL, NULL, &a, f->err, sizeof(f->err)),
                     OA_ESCHEMA);
    assert_string_equal(f->err, "user no-such-user-oa does not exist");
    assert_int_equal(
        oa_fileattr_resolve("root", "no-such-group-oa", NULL, &a, f->err, sizeof(f->err)),
        OA_ESCHEMA);
    assert_string_equal(f->err, "group no-such-group-oa does not exist");
    const char *bad[] = {"abc", "0648", "-644", "12345", "077777", "+644"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char want[128];
        snprintf(want, sizeof(want), "parameter 'mode': '%s' is not an octal mode", bad[i]);
        assert_int_equal(oa_fileattr_resolve(NULL, NULL, bad[i], &a, f->err, sizeof(f->err)),
                         OA_ESCHEMA);
        assert_string_equal(f->err, want);
    }
}

static void test_diff_describe(void **state)
{
    struct stat st = {.st_uid = 0, .st_gid = 0, .st_mode = S_IFREG | 0644};
    struct oa_fileattr w = {0};
    char buf[256];

    assert_int_equal(oa_fileattr_diff(&w, &st), 0);
    w = (struct oa_fileattr){.has_uid = true, .uid = 0, .has_mode = true, .mode = 0644};
    assert_int_equal(oa_fileattr_diff(&w, &st), 0);
    w = (struct oa_fileattr){.has_uid = true, .uid = 47114711, .has_gid = true, .gid = 0};
    assert_int_equal(oa_fileattr_diff(&w, &st), OA_FILEATTR_OWNER);
    assert_string_equal(oa_fileattr_describe(&w, &st, OA_FILEATTR_OWNER, buf, sizeof(buf)),
                        "owner root → 47114711");
    w = (struct oa_fileattr){.has_gid = true, .gid = 47114712, .has_mode = true, .mode = 0600};
    assert_int_equal(oa_fileattr_diff(&w, &st), OA_FILEATTR_GROUP | OA_FILEATTR_MODE);
    assert_string_equal(oa_fileattr_describe(&w, &st, oa_fileattr_diff(&w, &st), buf, sizeof(buf)),
                        "group root → 47114712, mode 0644 → 0600");
    w.mode = 04755;
    assert_string_equal(oa_fileattr_describe(&w, &st, OA_FILEATTR_MODE, buf, sizeof(buf)),
                        "mode 0644 → 4755");
    assert_string_equal(oa_fileattr_describe(&w, &st, 0, buf, sizeof(buf)), "");
    /* Links have no mode of their own: never a difference. */
    st.st_mode = S_IFLNK | 0777;
    assert_int_equal(oa_fileattr_diff(&w, &st), OA_FILEATTR_GROUP);
}

static void test_names(void **state)
{
    char buf[64];

    assert_string_equal(oa_fileattr_names(0, buf, sizeof(buf)), "nothing");
    assert_string_equal(oa_fileattr_names(OA_FILEATTR_MODE, buf, sizeof(buf)), "mode");
    assert_string_equal(oa_fileattr_names(OA_FILEATTR_OWNER | OA_FILEATTR_MODE, buf, sizeof(buf)),
                        "owner and mode");
    assert_string_equal(oa_fileattr_names(OA_FILEATTR_OWNER | OA_FILEATTR_GROUP | OA_FILEATTR_MODE,
                                          buf, sizeof(buf)),
                        "owner, group and mode");
}

static void test_mkdirs(void **state)
{
    struct fx *f = *state;
    struct oa_fileattr none = {0};
    char p[PATH_MAX], q[PATH_MAX];
    mode_t old = umask(077);
    size_t made;

    assert_int_equal(oa_fileattr_missing_parents(at(f, "a/b/c/file", p)), 3);
    assert_int_equal(oa_fileattr_missing_parents(at(f, "file", p)), 0);
    assert_int_equal(
        oa_fileattr_mkdirs(at(f, "a/b/c", p), 0755, &none, &made, f->err, sizeof(f->err)), 0);
    umask(old);
    assert_int_equal(made, 3);
    assert_int_equal(mode_of(at(f, "a", q)), 0755);
    assert_int_equal(mode_of(at(f, "a/b/c", q)), 0755);
    assert_int_equal(mode_of(f->root), 0700); /* existing: untouched */
    assert_int_equal(oa_fileattr_missing_parents(at(f, "a/b/c/file", p)), 0);
    /* Again: nothing to make; a trailing slash or doubled slashes are fine. */
    assert_int_equal(
        oa_fileattr_mkdirs(at(f, "a//b/c/", p), 0700, &none, &made, f->err, sizeof(f->err)), 0);
    assert_int_equal(made, 0);
    assert_int_equal(mode_of(at(f, "a/b", q)), 0755);
    /* A file in the way. */
    make_file(at(f, "a/plain", q), 0644);
    assert_int_equal(
        oa_fileattr_mkdirs(at(f, "a/plain/d", p), 0755, &none, &made, f->err, sizeof(f->err)),
        -ENOTDIR);
    assert_non_null(strstr(f->err, "cannot create directory "));
    assert_non_null(strstr(f->err, "/a/plain: Not a directory"));
}

/* <root>/t/{sub/f 0600, f2 0644, link -> <root>/outside 0600}, t and sub 0700. */
static void make_tree(const struct fx *f)
{
    char p[PATH_MAX], q[PATH_MAX];

    assert_int_equal(mkdir(at(f, "t", p), 0700), 0);
    assert_int_equal(mkdir(at(f, "t/sub", p), 0700), 0);
    chmod(at(f, "t", p), 0700);
    chmod(at(f, "t/sub", p), 0700);
    make_file(at(f, "t/sub/f", p), 0600);
    make_file(at(f, "t/f2", p), 0644);
    make_file(at(f, "outside", p), 0600);
    assert_int_equal(symlink(at(f, "outside", q), at(f, "t/link", p)), 0);
}

static void test_apply_tree(void **state)
{
    struct fx *f = *state;
    struct oa_fileattr w = {.has_mode = true, .mode = 0755};
    char p[PATH_MAX];
    unsigned diff;
    size_t n;

    make_tree(f);
    assert_int_equal(
        oa_fileattr_apply_tree(at(f, "t", p), &w, true, &n, &diff, f->err, sizeof(f->err)), 0);
    assert_int_equal(n, 3); /* sub, sub/f, f2; not t itself, not the link */
    assert_int_equal(diff, OA_FILEATTR_MODE);
    assert_int_equal(mode_of(at(f, "t/sub/f", p)), 0600); /* dry run */
    assert_int_equal(
        oa_fileattr_apply_tree(at(f, "t", p), &w, false, &n, &diff, f->err, sizeof(f->err)), 0);
    assert_int_equal(n, 3);
    assert_int_equal(mode_of(at(f, "t/sub", p)), 0755);
    assert_int_equal(mode_of(at(f, "t/sub/f", p)), 0755); /* files get the same mode */
    assert_int_equal(mode_of(at(f, "t/f2", p)), 0755);
    assert_int_equal(mode_of(at(f, "t", p)), 0700);       /* the caller's job */
    assert_int_equal(mode_of(at(f, "outside", p)), 0600); /* the link is not followed */
    assert_int_equal(
        oa_fileattr_apply_tree(at(f, "t", p), &w, false, &n, &diff, f->err, sizeof(f->err)), 0);
    assert_int_equal(n, 0);
    assert_int_equal(diff, 0);
    /* A missing tree is an error naming it. */
    assert_true(oa_fileattr_apply_tree(at(f, "nothing", p), &w, false, &n, &diff, f->err,
                                       sizeof(f->err)) < 0);
    assert_non_null(strstr(f->err, "/nothing: No such file or directory"));
}

static void test_remove(void **state)
{
    struct fx *f = *state;
    char p[PATH_MAX], q[PATH_MAX];

    make_tree(f);
    assert_int_equal(symlink(at(f, "t", q), at(f, "dirlink", p)), 0);
    /* A link to a directory: only the link goes. */
    assert_int_equal(oa_fileattr_remove(at(f, "dirlink", p), f->err, sizeof(f->err)), 0);
    assert_int_equal(access(at(f, "dirlink", p), F_OK), -1);
    assert_int_equal(access(at(f, "t/sub/f", p), F_OK), 0);
    /* The tree, without following the link inside it. */
    assert_int_equal(oa_fileattr_remove(at(f, "t", p), f->err, sizeof(f->err)), 0);
    assert_int_equal(access(at(f, "t", p), F_OK), -1);
    assert_int_equal(access(at(f, "outside", p), F_OK), 0);
    /* A plain file; then nothing there. */
    assert_int_equal(oa_fileattr_remove(at(f, "outside", p), f->err, sizeof(f->err)), 0);
    assert_int_equal(oa_fileattr_remove(at(f, "outside", p), f->err, sizeof(f->err)), -ENOENT);
    /* The root directory, however it is spelled. */
    assert_int_equal(oa_fileattr_remove("/", f->err, sizeof(f->err)), -EPERM);
    assert_string_equal(f->err, "refusing to remove the root directory (/)");
    assert_int_equal(oa_fileattr_remove("/tmp/..", f->err, sizeof(f->err)), -EPERM);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean_path),
        cmocka_unit_test_setup_teardown(test_resolve, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resolve_errors, setup, teardown),
        cmocka_unit_test(test_diff_describe),
        cmocka_unit_test(test_names),
        cmocka_unit_test_setup_teardown(test_mkdirs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_apply_tree, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
