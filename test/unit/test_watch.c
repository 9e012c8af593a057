/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for builtins/watch.h, the watched-file sums (modules.md §1.7):
 * first sighting with and without tfirst, no change, a change firing once
 * and settling after a store, a file vanishing and reappearing (each once),
 * no store after a failure (fires again), `watch: true`, ids and paths that
 * try to leave the watch dir, the original agent's file names and values,
 * atomic stores leaving no temp files, and the modes of what is created.
 * Each test works in its own temporary directory.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <mbedtls/md5.h>
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

#include "builtins.h"
#include "err.h"
#include "mem.h"
#include "params.h"
#include "watch.h"

#define HELLO_MD5 "b1946ac92492d2347c6235b4d2611184" /* md5sum of "hello\n" */

struct fx {
    char root[64];
    char watch[PATH_MAX]; /* <root>/state/watch: missing at first */
    char a[PATH_MAX];     /* <root>/etc/nginx/nginx.conf */
    char b[PATH_MAX];     /* <root>/etc/b.conf */
    char err[512];
};

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

static char *read_text(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    size_t n;

    assert_non_null(f);
    n = fread(buf, 1, len - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static int setup(void **state)
{
    struct fx *fx = calloc(1, sizeof(*fx));
    char dir[PATH_MAX + 16];

    assert_non_null(fx);
    snprintf(fx->root, sizeof(fx->root), "/tmp/oa-test-watch.XXXXXX");
    assert_non_null(mkdtemp(fx->root));
    snprintf(fx->watch, sizeof(fx->watch), "%s/state/watch", fx->root);
    snprintf(dir, sizeof(dir), "%s/etc", fx->root);
    assert_int_equal(mkdir(dir, 0755), 0);
    snprintf(dir, sizeof(dir), "%s/etc/nginx", fx->root);
    assert_int_equal(mkdir(dir, 0755), 0);
    snprintf(fx->a, sizeof(fx->a), "%s/etc/nginx/nginx.conf", fx->root);
    snprintf(fx->b, sizeof(fx->b), "%s/etc/b.conf", fx->root);
    write_file(fx->a, "hello\n");
    write_file(fx->b, "b\n");
    *state = fx;
    return 0;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

static int teardown(void **state)
{
    struct fx *fx = *state;

    nftw(fx->root, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    free(fx);
    return 0;
}

/* Compares the given files for id; asserts success. */
static void compare(struct fx *fx, const char *id, const char *f1, const char *f2, bool tfirst,
                    struct oa_watch *w)
{
    char *files[] = {(char *)f1, (char *)f2};
    struct oa_watch_list list = {files, f2 ? 2 : 1, false};
    int r = oa_watch_compare(fx->watch, id, &list, tfirst, w, fx->err, sizeof(fx->err));

    if (r != 0)
        print_error("compare: %s\n", fx->err);
    assert_int_equal(r, 0);
}

/* One round as a module runs it: compare, then store when asked (the
 * state succeeded). Returns whether the watch fired; desc gets the text. */
static bool round_trip(struct fx *fx, const char *id, const char *file, bool tfirst, bool store,
                       char *desc, size_t len)
{
    struct oa_watch w;
    bool fired;

    compare(fx, id, file, NULL, tfirst, &w);
    fired = w.fired;
    if (desc)
        oa_watch_describe(&w, desc, len);
    if (store)
        assert_int_equal(oa_watch_store(&w, fx->err, sizeof(fx->err)), 0);
    oa_watch_done(&w);
    return fired;
}

/* The sum file of (id, path) by the original's scheme, built here
 * independently of watch.c. */
static const char *sum_file(const struct fx *fx, const char *id, const char *path, char *buf,
                            size_t len)
{
    int n = snprintf(buf, len, "%s/%s-%s.cksum", fx->watch, id, path);

    assert_true(n > 0 && (size_t)n < len);
    for (char *p = buf + strlen(fx->watch) + 1; *p; p++)
        if (*p == '/')
            *p = '-';
    return buf;
}

static void test_first_sighting_tfirst(void **state)
{
    struct fx *fx = *state;
    char desc[512], want[PATH_MAX + 32], path[2 * PATH_MAX], text[128];
    struct stat st;

    assert_true(round_trip(fx, "svc", fx->a, true, false, desc, sizeof(desc)));
    snprintf(want, sizeof(want), "first sighting of %s", fx->a);
    assert_string_equal(desc, want);
    /* Comparing writes nothing, not even the watch dir. */
    assert_int_equal(stat(fx->watch, &st), -1);
    assert_true(round_trip(fx, "svc", fx->a, true, true, NULL, 0));
    assert_string_equal(
        read_text(sum_file(fx, "svc", fx->a, path, sizeof(path)), text, sizeof(text)), HELLO_MD5);
    assert_false(round_trip(fx, "svc", fx->a, true, true, desc, sizeof(desc)));
    assert_string_equal(desc, "");
}

static void test_first_sighting_baseline(void **state)
{
    struct fx *fx = *state;
    char desc[512], want[PATH_MAX + 32];

    /* Without tfirst the first sighting is a baseline: no action... */
    assert_false(round_trip(fx, "svc", fx->a, false, true, desc, sizeof(desc)));
    assert_string_equal(desc, "");
    /* ...but it is stored, so the next change fires. */
    assert_false(round_trip(fx, "svc", fx->a, false, true, NULL, 0));
    write_file(fx->a, "changed\n");
    assert_true(round_trip(fx, "svc", fx->a, false, true, desc, sizeof(desc)));
    snprintf(want, sizeof(want), "%s changed", fx->a);
    assert_string_equal(desc, want);
    assert_false(round_trip(fx, "svc", fx->a, false, true, NULL, 0));
}

static void test_change_fires_once_failure_retries(void **state)
{
    struct fx *fx = *state;
    struct oa_watch w;

    assert_true(round_trip(fx, "svc", fx->a, true, true, NULL, 0));
    assert_false(round_trip(fx, "svc", fx->a, true, true, NULL, 0));
    write_file(fx->a, "new content\n");
    compare(fx, "svc", fx->a, NULL, true, &w);
    assert_true(w.fired);
    assert_int_equal(w.n, 1);
    assert_int_equal(w.files[0].change, OA_WATCH_CHANGED);
    oa_watch_done(&w);
    /* The state failed (no store): the change fires again next round. */
    assert_true(round_trip(fx, "svc", fx->a, true, false, NULL, 0));
    assert_true(round_trip(fx, "svc", fx->a, true, true, NULL, 0));
    assert_false(round_trip(fx, "svc", fx->a, true, true, NULL, 0));
    assert_false(round_trip(fx, "svc", fx->a, true, true, NULL, 0));
}

static void test_vanish_and_reappear(void **state)
{
    struct fx *fx = *state;
    char desc[512], want[PATH_MAX + 32], path[2 * PATH_MAX], text[128];

    assert_true(round_trip(fx, "svc", fx->a, true, true, NULL, 0));
    assert_int_equal(unlink(fx->a), 0);
    assert_true(round_trip(fx, "svc", fx->a, true, true, desc, sizeof(desc)));
    snprintf(want, sizeof(want), "%s vanished", fx->a);
    assert_string_equal(desc, want);
    assert_string_equal(
        read_text(sum_file(fx, "svc", fx->a, path, sizeof(path)), text, sizeof(text)),
        OA_WATCH_MISSING);
    /* Gone stays quiet (the original fired on every round here). */
    assert_false(round_trip(fx, "svc", fx->a, true, true, NULL, 0));
    assert_false(round_trip(fx, "svc", fx->a, true, true, NULL, 0));
    write_file(fx->a, "hello\n");
    assert_true(round_trip(fx, "svc", fx->a, true, true, desc, sizeof(desc)));
    snprintf(want, sizeof(want), "%s appeared", fx->a);
    assert_string_equal(desc, want);
    assert_false(round_trip(fx, "svc", fx->a, true, true, NULL, 0));
}

static void test_missing_at_first_sighting(void **state)
{
    struct fx *fx = *state;
    char desc[512], want[PATH_MAX + 32];

    assert_int_equal(unlink(fx->a), 0);
    assert_true(round_trip(fx, "svc", fx->a, true, true, desc, sizeof(desc)));
    snprintf(want, sizeof(want), "first sighting of %s (missing)", fx->a);
    assert_string_equal(desc, want);
    assert_false(round_trip(fx, "svc", fx->a, true, true, NULL, 0));
    write_file(fx->a, "now here\n");
    assert_true(round_trip(fx, "svc", fx->a, true, true, NULL, 0));
    assert_false(round_trip(fx, "svc", fx->a, true, true, NULL, 0));
}

static void test_watch_true(void **state)
{
    struct fx *fx = *state;
    struct oa_watch_list list = {NULL, 0, true};
    struct oa_watch w;
    char desc[64];
    struct stat st;

    for (int i = 0; i < 3; i++) {
        assert_int_equal(
            oa_watch_compare(fx->watch, "svc", &list, false, &w, fx->err, sizeof(fx->err)), 0);
        assert_true(w.fired);
        assert_true(w.always);
        assert_string_equal(oa_watch_describe(&w, desc, sizeof(desc)), "watch is true");
        assert_int_equal(oa_watch_store(&w, fx->err, sizeof(fx->err)), 0);
        oa_watch_done(&w);
    }
    /* Nothing to keep: the watch dir is not even created. */
    assert_int_equal(stat(fx->watch, &st), -1);

    /* An empty list never fires. */
    list.always = false;
    assert_int_equal(oa_watch_compare(NULL, "svc", &list, true, &w, fx->err, sizeof(fx->err)), 0);
    assert_false(w.fired);
    oa_watch_done(&w);
}

static void expect_refused(struct fx *fx, const char *id, const char *file, int code,
                           const char *err_start)
{
    char *files[] = {(char *)file};
    struct oa_watch_list list = {files, 1, false};
    struct oa_watch w = {0};

    assert_int_equal(oa_watch_compare(fx->watch, id, &list, true, &w, fx->err, sizeof(fx->err)),
                     code);
    if (strncmp(fx->err, err_start, strlen(err_start)) != 0)
        print_error("id %s file %s: %s\n", id, file, fx->err);
    assert_int_equal(strncmp(fx->err, err_start, strlen(err_start)), 0);
    assert_int_equal(w.n, 0);
}

static void test_escapes_rejected(void **state)
{
    struct fx *fx = *state;
    char long_path[400], path[2 * PATH_MAX];
    struct oa_watch w;

    expect_refused(fx, "../evil", fx->a, OA_ESCHEMA, "state id '../evil' cannot name");
    expect_refused(fx, "a/b", fx->a, OA_ESCHEMA, "state id 'a/b' cannot name");
    expect_refused(fx, "..", fx->a, OA_ESCHEMA, "state id '..' cannot name");
    expect_refused(fx, "x..y", fx->a, OA_ESCHEMA, "state id 'x..y' cannot name");
    expect_refused(fx, "", fx->a, OA_ESCHEMA, "state id '' cannot name");
    expect_refused(fx, "svc", "etc/passwd", OA_ESCHEMA,
                   "watched file 'etc/passwd' is not an absolute path");
    memset(long_path, 'x', sizeof(long_path) - 1);
    long_path[0] = '/';
    long_path[sizeof(long_path) - 1] = '\0';
    expect_refused(fx, "svc", long_path, -ENAMETOOLONG, "watch sum name for /xxx");

    /* ".." inside a watched path stays inside the name: one plain file in
     * the watch dir. */
    snprintf(path, sizeof(path), "%s/etc/nginx/../b.conf", fx->root);
    compare(fx, "svc", path, NULL, true, &w);
    char *slash = strrchr(w.files[0].sum_path, '/');
    assert_int_equal((size_t)(slash - w.files[0].sum_path), strlen(fx->watch));
    assert_int_equal(strncmp(w.files[0].sum_path, fx->watch, strlen(fx->watch)), 0);
    assert_null(strstr(slash, "/.."));
    assert_int_equal(oa_watch_store(&w, fx->err, sizeof(fx->err)), 0);
    oa_watch_done(&w);
}

static void make_watch_dir(const struct fx *fx)
{
    char parent[PATH_MAX + 16];

    snprintf(parent, sizeof(parent), "%s/state", fx->root);
    assert_int_equal(mkdir(parent, 0700), 0);
    assert_int_equal(mkdir(fx->watch, 0700), 0);
}

/* The original's names and values: sums an old agent left are honoured. */
static void test_original_scheme(void **state)
{
    struct fx *fx = *state;
    char path[2 * PATH_MAX], want[2 * PATH_MAX];
    struct oa_watch w;

    make_watch_dir(fx);
    /* As the old agent wrote it (no newline), and edited by hand (newline). */
    write_file(sum_file(fx, "web-1", fx->a, path, sizeof(path)), HELLO_MD5);
    write_file(sum_file(fx, "web-2", fx->a, path, sizeof(path)), HELLO_MD5 "\n");
    assert_false(round_trip(fx, "web-1", fx->a, true, true, NULL, 0));
    assert_false(round_trip(fx, "web-2", fx->a, true, true, NULL, 0));
    /* An empty sum file is "no sum" (the original's reset()). */
    write_file(sum_file(fx, "web-3", fx->a, path, sizeof(path)), "");
    assert_true(round_trip(fx, "web-3", fx->a, true, false, NULL, 0));
    /* Garbage compares as a change. */
    write_file(sum_file(fx, "web-4", fx->a, path, sizeof(path)), "not a sum");
    assert_true(round_trip(fx, "web-4", fx->a, false, false, NULL, 0));

    /* The name, spelled out once: <dir>/<id>-<path, '/' as '-'>.cksum, so
     * "/tmp/x/etc/nginx/nginx.conf" of "web-1" is "web-1--tmp-x-etc-nginx-nginx.conf.cksum". */
    compare(fx, "web-1", fx->a, NULL, true, &w);
    snprintf(want, sizeof(want), "%s/web-1-%s/etc/nginx/nginx.conf.cksum", fx->watch, fx->root);
    for (char *p = want + strlen(fx->watch) + 1; *p; p++)
        if (*p == '/')
            *p = '-';
    assert_non_null(strstr(want, "/web-1--tmp-oa-test-watch."));
    assert_non_null(strstr(want, "-etc-nginx-nginx.conf.cksum"));
    assert_string_equal(w.files[0].sum_path, want);
    oa_watch_done(&w);
}

/* MD5 of a file larger than one read, against mbedTLS in one call. */
static void test_large_file_sum(void **state)
{
    struct fx *fx = *state;
    size_t len = 200000;
    unsigned char *data = malloc(len), digest[16];
    char want[33], path[2 * PATH_MAX], text[128];
    FILE *f;

    assert_non_null(data);
    for (size_t i = 0; i < len; i++)
        data[i] = (unsigned char)(i * 7 + 3);
    assert_non_null(f = fopen(fx->b, "w"));
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(mbedtls_md5_ret(data, len, digest), 0);
    for (size_t i = 0; i < 16; i++)
        snprintf(want + 2 * i, 3, "%02x", digest[i]);
    free(data);
    assert_true(round_trip(fx, "big", fx->b, true, true, NULL, 0));
    assert_string_equal(
        read_text(sum_file(fx, "big", fx->b, path, sizeof(path)), text, sizeof(text)), want);
}

static void test_modes_and_no_temp_files(void **state)
{
    struct fx *fx = *state;
    char path[2 * PATH_MAX];
    struct oa_watch w;
    struct dirent *e;
    struct stat st;
    size_t count = 0;
    DIR *d;

    /* Two rounds with a change in between: each store replaces the file. */
    compare(fx, "svc", fx->a, fx->b, true, &w);
    assert_int_equal(oa_watch_store(&w, fx->err, sizeof(fx->err)), 0);
    oa_watch_done(&w);
    write_file(fx->b, "other\n");
    compare(fx, "svc", fx->a, fx->b, true, &w);
    assert_true(w.fired);
    assert_int_equal(w.files[0].change, OA_WATCH_SAME);
    assert_int_equal(w.files[1].change, OA_WATCH_CHANGED);
    assert_int_equal(oa_watch_store(&w, fx->err, sizeof(fx->err)), 0);
    oa_watch_done(&w);

    assert_int_equal(stat(fx->watch, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0700);
    snprintf(path, sizeof(path), "%s/state", fx->root);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0700);
    assert_non_null(d = opendir(fx->watch));
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        size_t n = strlen(e->d_name);
        if (n < 6 || strcmp(e->d_name + n - 6, ".cksum") != 0 || e->d_name[0] == '.')
            print_error("stray file in the watch dir: %s\n", e->d_name);
        assert_true(n >= 6 && strcmp(e->d_name + n - 6, ".cksum") == 0 && e->d_name[0] != '.');
        snprintf(path, sizeof(path), "%s/%s", fx->watch, e->d_name);
        assert_int_equal(lstat(path, &st), 0);
        assert_true(S_ISREG(st.st_mode));
        assert_int_equal(st.st_mode & 07777, 0600);
        count++;
    }
    closedir(d);
    assert_int_equal(count, 2);
}

/* Two states watching the same file keep separate sums. */
static void test_separate_ids(void **state)
{
    struct fx *fx = *state;

    assert_true(round_trip(fx, "one", fx->a, true, true, NULL, 0));
    assert_false(round_trip(fx, "one", fx->a, true, true, NULL, 0));
    assert_true(round_trip(fx, "two", fx->a, true, true, NULL, 0));
    write_file(fx->a, "edit\n");
    assert_true(round_trip(fx, "one", fx->a, true, true, NULL, 0));
    assert_false(round_trip(fx, "one", fx->a, true, true, NULL, 0));
    assert_true(round_trip(fx, "two", fx->a, true, true, NULL, 0));
}

/* The same file twice (once with a trailing '/') is watched once. */
static void test_duplicates(void **state)
{
    struct fx *fx = *state;
    char slashed[PATH_MAX + 2];
    struct oa_watch w;

    snprintf(slashed, sizeof(slashed), "%s/", fx->a);
    compare(fx, "svc", fx->a, slashed, true, &w);
    assert_int_equal(w.n, 1);
    assert_string_equal(w.files[0].path, fx->a);
    assert_int_equal(w.files[0].change, OA_WATCH_FIRST);
    oa_watch_done(&w);
}

static void test_errors(void **state)
{
    struct fx *fx = *state;
    char *files[] = {fx->a};
    struct oa_watch_list list = {files, 1, false};
    char dir[PATH_MAX + 16];
    struct oa_watch w;

    /* No watch dir configured. */
    assert_int_equal(oa_watch_compare(NULL, "svc", &list, true, &w, fx->err, sizeof(fx->err)),
                     OA_ESCHEMA);
    assert_string_equal(fx->err, "no watch directory is configured for the watched files");

    /* A watched directory is not a file. */
    snprintf(dir, sizeof(dir), "%s/etc", fx->root);
    files[0] = dir;
    assert_int_equal(oa_watch_compare(fx->watch, "svc", &list, true, &w, fx->err, sizeof(fx->err)),
                     OA_ESCHEMA);
    assert_non_null(strstr(fx->err, "is not a regular file"));

    /* A watch dir that is a file cannot be read, nor stored into. */
    files[0] = fx->a;
    snprintf(dir, sizeof(dir), "%s/state", fx->root);
    write_file(dir, "I am a file\n");
    assert_int_equal(oa_watch_compare(fx->watch, "svc", &list, true, &w, fx->err, sizeof(fx->err)),
                     -ENOTDIR);
    assert_int_equal(strncmp(fx->err, "cannot read watch sum ", 22), 0);
    assert_int_equal(unlink(dir), 0);
    compare(fx, "svc", fx->a, NULL, true, &w);
    write_file(dir, "I am a file\n");
    assert_true(oa_watch_store(&w, fx->err, sizeof(fx->err)) < 0);
    assert_int_equal(strncmp(fx->err, "cannot use watch directory ", 27), 0);
    oa_watch_done(&w);
}

/* A failed store fails the state and keeps what the action did, then why;
 * a long action comment is cut, never the reason. */
static void test_store_outcome(void **state)
{
    struct fx *fx = *state;
    struct oa_outcome out;
    char dir[PATH_MAX + 16], want[PATH_MAX + 64];
    struct oa_watch w;

    compare(fx, "svc", fx->a, NULL, true, &w);
    snprintf(dir, sizeof(dir), "%s/state", fx->root);
    write_file(dir, "I am a file\n");
    oa_outcome_set(&out, true, true, "restarted: first sighting of %s", fx->a);
    assert_true(oa_watch_store_outcome(&w, &out) < 0);
    assert_false(out.result);
    assert_true(out.changed);
    snprintf(want, sizeof(want), "restarted: first sighting of %s; cannot use watch directory ",
             fx->a);
    assert_int_equal(strncmp(out.comment, want, strlen(want)), 0);

    memset(out.comment, 'x', sizeof(out.comment) - 1);
    out.comment[sizeof(out.comment) - 1] = '\0';
    assert_true(oa_watch_store_outcome(&w, &out) < 0);
    assert_false(out.result);
    assert_non_null(strstr(out.comment, "x; cannot use watch directory "));
    assert_string_equal(out.comment + strlen(out.comment) - strlen("Not a directory"),
                        "Not a directory");

    assert_int_equal(unlink(dir), 0);
    oa_outcome_set(&out, true, true, "restarted");
    assert_int_equal(oa_watch_store_outcome(&w, &out), 0);
    assert_true(out.result);
    assert_string_equal(out.comment, "restarted");
    oa_watch_done(&w);
}

static void test_describe_cut(void **state)
{
    struct fx *fx = *state;
    char desc[512], small[80];
    struct oa_watch w;

    compare(fx, "svc", fx->a, fx->b, true, &w);
    assert_true(strlen(oa_watch_describe(&w, desc, sizeof(desc))) > sizeof(small));
    assert_non_null(strstr(desc, ", first sighting of "));
    oa_watch_describe(&w, small, sizeof(small));
    assert_true(strlen(small) < sizeof(small));
    assert_string_equal(small + strlen(small) - 3, "...");
    assert_int_equal(strncmp(small, "first sighting of /", 19), 0);
    oa_watch_describe(&w, small, 3);
    oa_watch_done(&w);
}

/* The `watch` parameter through the shared validation. */
static void parse_watch(const char *json, int want_r, struct oa_watch_list *list,
                        const char *want_err)
{
    static const struct oa_param_spec spec[] = {{"watch", OA_PT_ARRAY_OR_BOOL, 0}};
    struct oa_json *obj;
    struct oa_params p;
    char err[256] = "";
    int r;

    assert_int_equal(oa_json_parse(json, strlen(json), NULL, &obj, NULL, 0), 0);
    r = oa_params_parse(spec, 1, obj, &p, NULL, err, sizeof(err));
    if (r == 0) {
        r = oa_watch_list_from_param(oa_params_get(&p, "watch"), "watch", list, err, sizeof(err));
        oa_params_done(&p);
    }
    oa_json_free(obj);
    if (r != want_r)
        print_error("%s: %s\n", json, err);
    assert_int_equal(r, want_r);
    if (want_err)
        assert_string_equal(err, want_err);
}

static void test_watch_parameter(void **state)
{
    struct oa_watch_list l;

    parse_watch("{\"watch\": [\"/a\", \"/b\"]}", 0, &l, NULL);
    assert_int_equal(l.n, 2);
    assert_false(l.always);
    parse_watch("{\"watch\": \"/a\"}", 0, &l, NULL);
    assert_int_equal(l.n, 1);
    parse_watch("{\"watch\": true}", 0, &l, NULL);
    assert_int_equal(l.n, 0);
    assert_true(l.always);
    parse_watch("{\"watch\": \"True\"}", 0, &l, NULL);
    assert_true(l.always);
    parse_watch("{\"watch\": false}", 0, &l, NULL);
    assert_int_equal(l.n, 0);
    assert_false(l.always);
    parse_watch("{}", 0, &l, NULL);
    assert_int_equal(l.n, 0);
    assert_false(l.always);
    parse_watch("{\"watch\": [\"/a\", \"b\"]}", OA_ESCHEMA, &l,
                "parameter 'watch': 'b' is not an absolute path");
    parse_watch("{\"watch\": {\"a\": 1}}", OA_ESCHEMA, &l,
                "parameter 'watch': expected an array of strings (or one string) or a boolean, "
                "got object");
    parse_watch("{\"watch\": [true]}", OA_ESCHEMA, &l,
                "parameter 'watch': expected an array of strings (or one string) or a boolean, "
                "got array");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_first_sighting_tfirst, setup, teardown),
        cmocka_unit_test_setup_teardown(test_first_sighting_baseline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_change_fires_once_failure_retries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vanish_and_reappear, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_at_first_sighting, setup, teardown),
        cmocka_unit_test_setup_teardown(test_watch_true, setup, teardown),
        cmocka_unit_test_setup_teardown(test_escapes_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_original_scheme, setup, teardown),
        cmocka_unit_test_setup_teardown(test_large_file_sum, setup, teardown),
        cmocka_unit_test_setup_teardown(test_modes_and_no_temp_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_separate_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_outcome, setup, teardown),
        cmocka_unit_test_setup_teardown(test_describe_cut, setup, teardown),
        cmocka_unit_test(test_watch_parameter),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
