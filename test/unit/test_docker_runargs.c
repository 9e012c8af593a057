/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the container set of linux.docker.running and
 * linux.docker.deploy (builtins/docker_runargs.c, modules.md §11.3,
 * §11.5): the `docker run` argv built from every parameter, numbered
 * containers and their host ports, the checks of each parameter with the
 * sentence a person reads, the host copies of `files`, memory sizes, and
 * the fingerprint that changes with every parameter but file contents.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../builtins/docker_runargs.c"

#include "json.h"

static const struct oa_param_spec spec[] = {OA_DOCKER_RUN_PARAMS};

/* One parse of JSON parameters, kept for the assertions. */
struct plan {
    struct oa_json *obj;
    struct oa_params p;
    struct oa_docker_run r;
    char err[512];
    int rc;
};

static void plan_parse(struct plan *t, const char *state_dir, const char *json)
{
    static struct oa_run_ctx ctx;

    memset(t, 0, sizeof(*t));
    ctx = (struct oa_run_ctx){.id = "s1", .state_dir = state_dir};
    assert_int_equal(oa_json_parse(json, strlen(json), NULL, &t->obj, NULL, 0), 0);
    assert_int_equal(oa_params_parse(spec, sizeof(spec) / sizeof(spec[0]), t->obj, &t->p, NULL,
                                     t->err, sizeof(t->err)),
                     0);
    t->rc = oa_docker_run_parse(&ctx, &t->p, &t->r, t->err, sizeof(t->err));
}

static void plan_done(struct plan *t)
{
    if (t->rc == 0)
        oa_docker_run_done(&t->r);
    oa_params_done(&t->p);
    oa_json_free(t->obj);
}

/* The argv of container i, joined with spaces. */
static void argv_of(const struct plan *t, size_t i, const char *env_file, char *buf, size_t len)
{
    struct oa_docker_args a;

    assert_int_equal(oa_docker_run_args(&t->r, i, env_file, &a), 0);
    buf[0] = '\0';
    for (size_t k = 0; a.argv[k]; k++)
        snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", k ? " " : "", a.argv[k]);
    oa_docker_args_done(&a);
}

static void test_every_parameter(void **state)
{
    struct plan t;
    char argv[2048];

    (void)state;
    plan_parse(&t, "/var/lib/oa",
               "{\"container\": \"web\", \"image\": \"nginx\", \"tag\": \"1.25\","
               " \"command\": [\"nginx\", \"-g\", \"daemon off;\"],"
               " \"environment\": [{\"key\": \"A\", \"value\": \"1\"}, {\"key\": \"B\"}],"
               " \"volumes\": [{\"key\": \"/srv\", \"value\": \"/data:ro\"}],"
               " \"devices\": {\"/dev/fuse\": \"\", \"/dev/sda\": \"/dev/xvda:rwm\"},"
               " \"mem_limit\": \"1G\", \"cpu_shares\": 1024,"
               " \"port_bindings\": [{\"key\": \"80\", \"value\": \"8080\"},"
               "  {\"key\": \"53/udp\", \"value\": \"[::1]:5353\"}, {\"key\": \"9000\"}],"
               " \"files\": {\"/etc/app/app.conf\": \"x=1\\n\"}}");
    assert_int_equal(t.rc, 0);
    assert_string_equal(t.r.image, "nginx:1.25");
    assert_int_equal(t.r.n_names, 1);
    assert_string_equal(t.r.names[0], "web");
    assert_int_equal(t.r.n_env, 2);
    assert_int_equal(t.r.n_files, 1);
    assert_string_equal(t.r.files[0].host, "/var/lib/oa/docker-config/web/-etc-app-app.conf");
    argv_of(&t, 0, "/tmp/env-1", argv, sizeof(argv));
    assert_string_equal(argv,
                        "run -d --name web --hostname web --env-file /tmp/env-1"
                        " -p 8080:80 -p [::1]:5353:53/udp -p 9000"
                        " -v /srv:/data:ro"
                        " -v /var/lib/oa/docker-config/web/-etc-app-app.conf:/etc/app/app.conf"
                        " --device /dev/fuse --device /dev/sda:/dev/xvda:rwm"
                        " -m 1073741824 --cpu-shares 1024 nginx:1.25 nginx -g daemon off;");
    plan_done(&t);
}

static void test_numbered_containers(void **state)
{
    struct plan t;
    char argv[1024];

    (void)state;
    plan_parse(
        &t, NULL,
        "{\"container\": \"web\", \"image\": \"r.example.com:5000/app@sha256:ab\","
        " \"count\": \"3\", \"port_bindings\": {\"80\": \"10.0.0.1:8080\", \"81\": \"8083\"}}");
    assert_int_equal(t.rc, 0);
    assert_string_equal(t.r.image, "r.example.com:5000/app@sha256:ab");
    assert_int_equal(t.r.n_names, 3);
    assert_string_equal(t.r.names[2], "web_3");
    argv_of(&t, 2, NULL, argv, sizeof(argv));
    assert_string_equal(argv, "run -d --name web_3 --hostname web_3 -p 10.0.0.1:8082:80 -p 8085:81 "
                              "r.example.com:5000/app@sha256:ab");
    plan_done(&t);
    /* count 0 is one container with the name as given. */
    plan_parse(&t, NULL, "{\"container\": \"web\", \"image\": \"nginx\", \"count\": \"0\"}");
    assert_int_equal(t.rc, 0);
    assert_int_equal(t.r.n_names, 1);
    assert_string_equal(t.r.names[0], "web");
    argv_of(&t, 0, NULL, argv, sizeof(argv));
    assert_string_equal(argv, "run -d --name web --hostname web nginx:latest");
    plan_done(&t);
}

/* One row per rule: parameters (inside {"container":"web","image":"x", …})
 * and the sentence they fail with. */
static const struct {
    const char *params;
    const char *err;
} refusals[] = {
    {"\"mem_limit\": \"12x\"",
     "parameter 'mem_limit': '12x' is not a size (bytes, or a number with b, k, m, g or t)"},
    {"\"mem_limit\": \"99999999999999t\"",
     "parameter 'mem_limit': '99999999999999t' is not a size (bytes, or a number with b, k, m, "
     "g or t)"},
    {"\"mem_limit\": \"m\"",
     "parameter 'mem_limit': 'm' is not a size (bytes, or a number with b, k, m, g or t)"},
    {"\"port_bindings\": {\"0\": \"80\"}",
     "parameter 'port_bindings': '0' is not a container port (port[/tcp|udp|sctp])"},
    {"\"port_bindings\": {\"80/icmp\": \"80\"}",
     "parameter 'port_bindings': '80/icmp' is not a container port (port[/tcp|udp|sctp])"},
    {"\"port_bindings\": {\"80\": \"70000\"}",
     "parameter 'port_bindings': '70000' is not [hostIp:]hostPort"},
    {"\"port_bindings\": {\"80\": \"host name:80\"}",
     "parameter 'port_bindings': 'host name:80' is not [hostIp:]hostPort"},
    {"\"port_bindings\": {\"80\": \"1.2.3.4:\"}",
     "parameter 'port_bindings': '1.2.3.4:' is not [hostIp:]hostPort"},
    {"\"count\": 2, \"port_bindings\": {\"80\": \"65535\"}",
     "parameter 'port_bindings': host port 65535 + 2 containers is over 65535"},
    {"\"count\": 2, \"port_bindings\": {\"80\": \"8080\", \"81\": \"8081\"}",
     "parameter 'port_bindings': host ports 8080 and 8081 are closer together than the 2 "
     "containers need"},
    {"\"port_bindings\": {\"80\": \"8080\", \"81/tcp\": \"8080\"}",
     "parameter 'port_bindings': host port 8080 is bound twice"},
    {"\"volumes\": {\"a:b\": \"/c\"}", "parameter 'volumes': 'a:b' is not a host path"},
    {"\"volumes\": {\"/a\": \"/c:RO\"}",
     "parameter 'volumes': '/c:RO' (for /a) is not a container path with optional :ro"},
    {"\"devices\": {\"sda\": \"\"}", "parameter 'devices': 'sda' is not a device path"},
    {"\"devices\": {\"/dev/sda\": \"/dev/b:\"}",
     "parameter 'devices': '/dev/b:' (for /dev/sda) is not a device path with optional :rwm "
     "permissions"},
    {"\"environment\": {\"#A\": \"1\"}", "parameter 'environment': '#A' is not a variable name"},
    {"\"environment\": {\"A=B\": \"1\"}", "parameter 'environment': 'A=B' is not a variable name"},
    {"\"environment\": {\"A\": \"1\\r\"}",
     "parameter 'environment': the value of A has a line break, which docker's env file cannot "
     "hold"},
    {"\"files\": {\"/a:b\": \"x\"}", "parameter 'files': '/a:b' is not a container path"},
    {"\"watch\": [\"rel\"]", "parameter 'watch': 'rel' is not an absolute path"},
    {"\"count\": 1001", "parameter 'count': expected a whole number from 0 to 1000, got '1001'"},
};

static void test_refusals(void **state)
{
    char json[512];
    struct plan t;

    (void)state;
    for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
        snprintf(json, sizeof(json), "{\"container\": \"web\", \"image\": \"x\", %s}",
                 refusals[i].params);
        plan_parse(&t, "/s", json);
        if (t.rc == 0)
            fail_msg("accepted: %s", json);
        assert_string_equal(t.err, refusals[i].err);
        plan_done(&t);
    }
    plan_parse(&t, NULL, "{\"container\": \"web\", \"image\": \"x\", \"files\": {\"/a\": \"b\"}}");
    assert_int_equal(t.rc, OA_ESCHEMA);
    assert_string_equal(t.err, "parameter 'files' needs the agent's state directory");
    plan_done(&t);
    plan_parse(&t, NULL, "{\"container\": \"_web\", \"image\": \"x\"}");
    assert_string_equal(t.err, "parameter 'container': '_web' is not a container name");
    plan_done(&t);
}

static void test_memory_sizes(void **state)
{
    static const struct {
        const char *text;
        uint64_t bytes;
    } ok[] = {{"0", 0},           {"1024", 1024},    {"7b", 7}, {"2k", 2048}, {"512m", 536870912},
              {"1G", 1073741824}, {"1t", 1ULL << 40}};
    uint64_t v;

    (void)state;
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        assert_int_equal(parse_memory(ok[i].text, &v), 0);
        assert_true(v == ok[i].bytes);
    }
    /* 2^24 TiB is 2^64 bytes: one too many. */
    assert_int_equal(parse_memory("16777216t", &v), -ERANGE);
    assert_int_equal(parse_memory("16777215t", &v), 0);
    assert_true(v == 16777215ULL << 40);
    assert_int_equal(parse_memory("", &v), -EINVAL);
    assert_int_equal(parse_memory("1.5g", &v), -EINVAL);
    assert_int_equal(parse_memory("-1", &v), -EINVAL);
}

/* The fingerprint of "{container, image, …}" plus extra. */
static void fingerprint_of(const char *extra, char fp[65])
{
    char json[512];
    struct plan t;

    snprintf(json, sizeof(json), "{\"container\": \"web\", \"image\": \"nginx\"%s}", extra);
    plan_parse(&t, "/s", json);
    assert_int_equal(t.rc, 0);
    memcpy(fp, t.r.fingerprint, 65);
    plan_done(&t);
}

static void test_fingerprint(void **state)
{
    static const char *const changes[] = {
        ", \"tag\": \"1\"",
        ", \"count\": \"2\"",
        ", \"command\": [\"a\"]",
        ", \"command\": [\"a b\"]",
        ", \"command\": [\"a\", \"b\"]",
        ", \"environment\": {\"A\": \"1\"}",
        ", \"environment\": {\"A\": \"2\"}",
        ", \"environment\": {\"A\": \"1\", \"B\": \"\"}",
        ", \"environment\": {\"B\": \"\", \"A\": \"1\"}",
        ", \"volumes\": {\"/a\": \"/b\"}",
        ", \"devices\": {\"/dev/a\": \"\"}",
        ", \"mem_limit\": \"1m\"",
        ", \"cpu_shares\": \"2\"",
        ", \"port_bindings\": {\"80\": \"80\"}",
        ", \"port_bindings\": {\"80\": \"81\"}",
        ", \"port_bindings\": {\"80\": \"1.2.3.4:80\"}",
        ", \"files\": {\"/a\": \"x\"}",
    };
    char base[65], fp[65], seen[sizeof(changes) / sizeof(changes[0])][65];

    (void)state;
    fingerprint_of("", base);
    assert_int_equal(strlen(base), 64);
    /* Options that do not shape the containers leave it alone, and so do
     * file contents (their change restarts through the watch). */
    fingerprint_of(
        ", \"force\": true, \"username\": \"u\", \"password\": \"p\", \"watch\": [\"/x\"]", fp);
    assert_string_equal(fp, base);
    fingerprint_of(", \"mem_limit\": \"1024k\"", fp);
    fingerprint_of(", \"mem_limit\": \"1m\"", seen[0]);
    assert_string_equal(fp, seen[0]); /* the same bytes */
    for (size_t i = 0; i < sizeof(changes) / sizeof(changes[0]); i++) {
        fingerprint_of(changes[i], seen[i]);
        assert_string_not_equal(seen[i], base);
        for (size_t k = 0; k < i; k++)
            if (strcmp(changes[k], ", \"mem_limit\": \"1m\"") != 0 && strcmp(seen[i], seen[k]) == 0)
                fail_msg("%s and %s have one fingerprint", changes[i], changes[k]);
    }
    fingerprint_of(", \"files\": {\"/a\": \"other content\"}", fp);
    assert_string_equal(fp, seen[16]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_parameter), cmocka_unit_test(test_numbered_containers),
        cmocka_unit_test(test_refusals),        cmocka_unit_test(test_memory_sizes),
        cmocka_unit_test(test_fingerprint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
