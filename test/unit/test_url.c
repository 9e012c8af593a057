/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for proto/url.h: URLs that parse (schemes, default and explicit
 * ports, IPv6 literals, user info, path and query) and URLs that do not,
 * each with the reason it gives; the no_proxy rules, one row per rule;
 * parsing with the k-th allocation failing; and Location headers resolved
 * against a base URL.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "mem.h"
#include "url.h"

struct good_url {
    const char *in;
    const char *scheme, *host;
    int port;
    const char *path, *userinfo;
    bool tls;
};

static const struct good_url good_urls[] = {
    {"ws://example.com", "ws", "example.com", 80, "/", NULL, false},
    {"wss://example.com/", "wss", "example.com", 443, "/", NULL, true},
    {"http://example.com/a/b", "http", "example.com", 80, "/a/b", NULL, false},
    {"https://example.com:8443/x", "https", "example.com", 8443, "/x", NULL, true},
    {"WSS://Example.COM/Agent", "wss", "Example.COM", 443, "/Agent", NULL, true},
    {"ws://[::1]:8080/x", "ws", "::1", 8080, "/x", NULL, false},
    {"wss://[2001:db8::7]/", "wss", "2001:db8::7", 443, "/", NULL, true},
    {"ws://10.0.0.1:1/", "ws", "10.0.0.1", 1, "/", NULL, false},
    {"ws://h:65535", "ws", "h", 65535, "/", NULL, false},
    {"ws://h/p?q=1&r=2", "ws", "h", 80, "/p?q=1&r=2", NULL, false},
    {"ws://h?q", "ws", "h", 80, "/?q", NULL, false},
    {"ws://h/p#frag", "ws", "h", 80, "/p", NULL, false},
    {"http://user:pass@proxy:3128", "http", "proxy", 3128, "/", "user:pass", false},
    {"http://us%40er:p%3As%20s@proxy/", "http", "proxy", 80, "/", "us@er:p:s s", false},
    {"http://user@proxy", "http", "proxy", 80, "/", "user", false},
};

static void test_parse_good(void **state)
{
    for (size_t i = 0; i < sizeof(good_urls) / sizeof(good_urls[0]); i++) {
        const struct good_url *t = &good_urls[i];
        struct oa_url u;
        char err[128] = "";

        print_message("%s\n", t->in);
        assert_int_equal(oa_url_parse(t->in, &u, err, sizeof(err)), 0);
        assert_string_equal(err, "");
        assert_string_equal(u.scheme, t->scheme);
        assert_string_equal(u.host, t->host);
        assert_int_equal(u.port, t->port);
        assert_string_equal(u.path, t->path);
        if (t->userinfo)
            assert_string_equal(u.userinfo, t->userinfo);
        else
            assert_null(u.userinfo);
        assert_int_equal(u.tls, t->tls);
        oa_url_done(&u);
        assert_null(u.host);
    }
}

struct bad_url {
    const char *in;
    const char *reason; /* a part of reterr */
};

static const struct bad_url bad_urls[] = {
    {"", "not an absolute URL"},
    {"/just/a/path", "not an absolute URL"},
    {"example.com", "not an absolute URL"},
    {"example.com:80", "not an absolute URL"},
    {"mailto:a@b.c", "not an absolute URL"},
    {"ftp://example.com/", "unsupported scheme"},
    {"wsx://example.com/", "unsupported scheme"},
    {"file:///etc/passwd", "no host"},
    {"ws:///path", "no host"},
    {"ws://:80/", "no host"},
    {"ws://host:/", "bad port"},
    {"ws://host:0/", "bad port"},
    {"ws://host:65536/", "bad port"},
    {"ws://host:99999", "bad port"},
    {"ws://host:http/", "bad port"},
    {"ws://[::1]:x/", "bad port"},
    {"ws://a b/", "not a valid URL"},
    {"ws://h/p q", "not a valid URL"},
    {"http://us%4:p@proxy/", "percent-encoding"},
    {"http://user:p%@proxy/", "percent-encoding"},
    {"http://user:p%00x@proxy/", "percent-encoding"},
};

static void test_parse_bad(void **state)
{
    for (size_t i = 0; i < sizeof(bad_urls) / sizeof(bad_urls[0]); i++) {
        const struct bad_url *t = &bad_urls[i];
        struct oa_url u = {.port = -7};
        char err[128] = "";

        print_message("%s\n", t->in);
        assert_int_equal(oa_url_parse(t->in, &u, err, sizeof(err)), OA_ESCHEMA);
        print_message("  -> %s\n", err);
        assert_non_null(strstr(err, t->reason));
        /* *ret is written only on success. */
        assert_int_equal(u.port, -7);
        assert_null(u.host);
    }
}

static void test_parse_no_errbuf(void **state)
{
    struct oa_url u;
    char small[4];

    assert_int_equal(oa_url_parse("ftp://x/", &u, NULL, 0), OA_ESCHEMA);
    assert_int_equal(oa_url_parse("ftp://x/", &u, small, sizeof(small)), OA_ESCHEMA);
    assert_int_equal(strlen(small), 3);
}

static void test_parse_failing_alloc(void **state)
{
    int r = -ENOMEM;

    for (unsigned long k = 1; r != 0; k++) {
        struct oa_url u;
        char err[64];

        assert_true(k < 100);
        oa_mem_fail_after(k);
        r = oa_url_parse("wss://user:pw@example.com:444/a?b", &u, err, sizeof(err));
        oa_mem_fail_after(0);
        if (r == 0) {
            assert_string_equal(u.userinfo, "user:pw");
            oa_url_done(&u);
        } else {
            assert_int_equal(r, -ENOMEM);
        }
    }
}

struct bypass {
    const char *host, *no_proxy;
    bool bypass;
};

static const struct bypass bypasses[] = {
    /* No list: only the metadata address. */
    {"example.com", NULL, false},
    {"example.com", "", false},
    {"169.254.169.254", NULL, true},
    {"169.254.169.254", "other.org", true},
    /* "*" matches everything. */
    {"example.com", "*", true},
    {"10.1.2.3", "foo, *", true},
    /* A domain matches itself and its subdomains, with or without a dot. */
    {"example.com", "example.com", true},
    {"api.example.com", "example.com", true},
    {"a.b.example.com", ".example.com", true},
    {"example.com", ".example.com", true},
    {"api.example.com", "*.example.com", true},
    {"badexample.com", "example.com", false},
    {"example.com.evil.org", "example.com", false},
    {"example.co", "example.com", false},
    /* Case and trailing dots do not matter. */
    {"API.Example.COM", "example.com", true},
    {"api.example.com.", "EXAMPLE.com", true},
    {"api.example.com", "example.com.", true},
    /* Separators: commas, spaces, both, empty entries. */
    {"b.org", "a.org,b.org", true},
    {"b.org", "a.org b.org", true},
    {"c.org", " a.org , ,b.org,\tc.org ", true},
    {"d.org", "a.org,b.org,c.org", false},
    /* A port in the entry is ignored. */
    {"example.com", "example.com:8080", true},
    {"10.0.0.1", "10.0.0.1:3128", true},
    {"::1", "[::1]:8080", true},
    /* IP addresses match exactly, whatever their spelling. */
    {"10.0.0.1", "10.0.0.1", true},
    {"10.0.0.1", "10.0.0.2", false},
    {"110.0.0.1", "0.0.1", false},
    {"10.0.0.1", "0.0.1", false},
    {"::1", "::1", true},
    {"::1", "0:0::1", true},
    {"::1", "::2", false},
    {"fe80::1", "[FE80::1]", true},
    {"10.0.0.1", "example.com", false},
    /* Nothing to compare. */
    {"", "*", false},
    {NULL, "*", false},
};

static void test_bypasses_proxy(void **state)
{
    for (size_t i = 0; i < sizeof(bypasses) / sizeof(bypasses[0]); i++) {
        const struct bypass *t = &bypasses[i];

        print_message("%s in %s\n", t->host ? t->host : "(null)",
                      t->no_proxy ? t->no_proxy : "(null)");
        assert_int_equal(oa_url_bypasses_proxy(t->host, t->no_proxy), t->bypass);
    }
}

/* Location headers made absolute (oa_url_resolve), one row per form. */
struct resolve_row {
    const char *base, *ref;
    const char *scheme, *host;
    int port;
    const char *path; /* NULL: refused */
};

static const struct resolve_row resolves[] = {
    {"http://h/a/b?q", "https://o:8443/x?y#f", "https", "o", 8443, "/x?y"},
    {"https://h/a/b", "//o/p", "https", "o", 443, "/p"},
    {"http://h:8080/a/b?q", "/p#f", "http", "h", 8080, "/p"},
    {"http://h/a/b?q", "c", "http", "h", 80, "/a/c"},
    {"http://h/a/b?q", "?r", "http", "h", 80, "/a/b?r"},
    {"http://h/a/b/", "../c", "http", "h", 80, "/a/b/../c"},
    {"https://[fd00::1]:8443/a/b", "c", "https", "fd00::1", 8443, "/a/c"},
    {"http://h/", "ws://o/", "ws", "o", 80, "/"},
    {"http://h/", "ftp://o/", NULL, NULL, 0, NULL},
    {"http://h/", "http://", NULL, NULL, 0, NULL},
};

static void test_resolve(void **state)
{
    for (size_t i = 0; i < sizeof(resolves) / sizeof(resolves[0]); i++) {
        const struct resolve_row *t = &resolves[i];
        struct oa_url base, u;
        char why[200] = "";

        print_message("%s + %s\n", t->base, t->ref);
        assert_int_equal(oa_url_parse(t->base, &base, NULL, 0), 0);
        if (!t->path) {
            assert_int_equal(oa_url_resolve(&base, t->ref, &u, why, sizeof(why)), OA_ESCHEMA);
            assert_true(why[0] != '\0');
        } else {
            assert_int_equal(oa_url_resolve(&base, t->ref, &u, why, sizeof(why)), 0);
            assert_string_equal(u.scheme, t->scheme);
            assert_string_equal(u.host, t->host);
            assert_int_equal(u.port, t->port);
            assert_string_equal(u.path, t->path);
            oa_url_done(&u);
        }
        oa_url_done(&base);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_good),      cmocka_unit_test(test_parse_bad),
        cmocka_unit_test(test_parse_no_errbuf), cmocka_unit_test(test_parse_failing_alloc),
        cmocka_unit_test(test_bypasses_proxy),  cmocka_unit_test(test_resolve),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
