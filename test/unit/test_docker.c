/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the docker modules (modules.md §11) with the docker CLI
 * replaced, call by call: like chrony's unit tests, this file swaps the
 * functions that touch the system (oa_docker_exec, the service tools, the
 * prerequisite install, the OS) for fakes before it includes the .c files.
 * It checks what the integration tests' stand-in cannot show on this
 * Debian host: the daemon started through systemd, Upstart or an init.d
 * script, a daemon that never answers, the RHEL package, an OS without a
 * package manager; and the parsers: `docker ps` lines, push reports,
 * references and registries, names; a login whose output holds the
 * password; and dry runs where docker would be installed first.
 */
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

/* The fakes, named before any header of the project declares them. */
#define DOCKER_START_WAIT_MS 500
#define oa_docker_exec fake_docker_exec
#define oa_tool_exec fake_tool_exec
#define oa_tool_which fake_tool_which
#define oa_osinfo_read fake_osinfo_read
#define oa_prereq_ensure fake_prereq_ensure

#include "../../builtins/docker_cli.c"
#include "../../builtins/docker_deploy.c"
#include "../../builtins/docker_engine.c"
#include "../../builtins/docker_image.c"
#include "../../builtins/docker_push.c"
#include "../../builtins/docker_runargs.c"
#include "../../builtins/docker_running.c"

#include "json.h"

/* One expected docker call: argv after "docker" joined with spaces (a
 * login's private config written CFG), its exit status and its output. */
struct call {
    const char *argv;
    int exit;
    const char *out;
};

static struct {
    const struct call *calls;
    size_t n, next;
    char input[256];   /* what the last call got on stdin */
    char tools[512];   /* the service tools run, "; "-separated */
    int tool_exit;     /* their exit status */
    bool have_service; /* `service` is installed */
    enum oa_init init;
    const char *os_release;
    bool installed; /* the prerequisite installs docker */
    char prereq[128];
} fk;

int fake_docker_exec(char *const argv[], const char *input, struct oa_buf *capture,
                     void (*on_line)(void *arg, const char *line), void *arg, int *ret_status,
                     char *why, size_t len)
{
    char line[2048] = "";

    assert_string_equal(argv[0], "docker");
    for (size_t i = 1; argv[i]; i++) {
        const char *a = strstr(argv[i], "/login-") ? "CFG" : argv[i];
        snprintf(line + strlen(line), sizeof(line) - strlen(line), "%s%s", i > 1 ? " " : "", a);
    }
    if (fk.next >= fk.n)
        fail_msg("unexpected call: docker %s", line);
    assert_string_equal(line, fk.calls[fk.next].argv);
    const struct call *c = &fk.calls[fk.next++];
    snprintf(fk.input, sizeof(fk.input), "%s", input ? input : "");
    if (capture && c->out)
        assert_int_equal(oa_buf_puts(capture, c->out), 0);
    for (const char *p = c->out; !capture && p && *p;) {
        size_t n = strcspn(p, "\n");
        char one[512];
        snprintf(one, sizeof(one), "%.*s", (int)n, p);
        if (on_line)
            on_line(arg, one);
        p += n + (p[n] == '\n');
    }
    (void)why;
    (void)len;
    *ret_status = c->exit << 8;
    return 0;
}

int fake_tool_exec(char *const argv[], const char *const *extra_env, struct oa_buf *capture,
                   int *ret_status, char *why, size_t len)
{
    size_t used = strlen(fk.tools);

    snprintf(fk.tools + used, sizeof(fk.tools) - used, "%s", used ? "; " : "");
    for (size_t i = 0; argv[i]; i++) {
        used = strlen(fk.tools);
        snprintf(fk.tools + used, sizeof(fk.tools) - used, "%s%s", i ? " " : "", argv[i]);
    }
    *ret_status = fk.tool_exit << 8;
    return 0;
}

const char *fake_tool_which(const char *name, char *buf, size_t len)
{
    if (strcmp(name, "service") != 0 || !fk.have_service)
        return NULL;
    snprintf(buf, len, "/usr/sbin/service");
    return buf;
}

void fake_osinfo_read(struct oa_osinfo *ret)
{
    memset(ret, 0, sizeof(*ret));
    oa_osinfo_parse(fk.os_release, ret);
    ret->init = fk.init;
}

int fake_prereq_ensure(const struct oa_run_ctx *ctx, const struct oa_osinfo *os, const char *tool,
                       const char *deb_pkg, const char *rpm_pkg, bool *installed,
                       struct oa_outcome *out)
{
    assert_string_equal(tool, "docker");
    snprintf(fk.prereq, sizeof(fk.prereq), "%s/%s", deb_pkg, rpm_pkg);
    if (os->family == OA_OS_UNKNOWN && fk.installed) {
        oa_outcome_set(out, false, false, "docker is not installed and no package is known for it");
        return -ENOENT;
    }
    *installed = fk.installed;
    return 0;
}

#define SCRIPT(...)                                                                                \
    do {                                                                                           \
        static const struct call calls_[] = {__VA_ARGS__};                                         \
        fk.calls = calls_;                                                                         \
        fk.n = sizeof(calls_) / sizeof(calls_[0]);                                                 \
        fk.next = 0;                                                                               \
    } while (0)

#define DEBIAN "ID=debian\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"
#define PING "info --format {{.ServerVersion}}"
#define DOWN                                                                                       \
    "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon "    \
    "running?\n"

static char state_dir[PATH_MAX];

static int setup(void **state)
{
    memset(&fk, 0, sizeof(fk));
    fk.os_release = DEBIAN;
    snprintf(state_dir, sizeof(state_dir), "/tmp/oa-docker-unit-XXXXXX");
    assert_non_null(mkdtemp(state_dir));
    return 0;
}

static int teardown(void **state)
{
    assert_int_equal(fk.next, fk.n); /* every scripted call was made */
    remove_tree(state_dir);          /* docker_engine.c's */
    return 0;
}

/* Runs module m with the JSON parameters. */
static void run_module(const struct oa_module *m, const char *json, bool dry_run,
                       struct oa_outcome *out)
{
    struct oa_run_ctx ctx = {.id = "s1", .dry_run = dry_run, .state_dir = state_dir};
    struct oa_json *obj;
    struct oa_params p;
    char err[512];

    memset(out, 0, sizeof(*out));
    assert_int_equal(oa_json_parse(json, strlen(json), NULL, &obj, NULL, 0), 0);
    assert_int_equal(oa_params_parse(m->params, m->n_params, obj, &p, NULL, err, sizeof(err)), 0);
    assert_int_equal(m->run(&ctx, &p, out), 0);
    oa_params_done(&p);
    oa_json_free(obj);
}

static void expect(const struct oa_outcome *out, bool result, bool changed, const char *comment)
{
    assert_string_equal(out->comment, comment);
    assert_int_equal(out->result, result);
    assert_int_equal(out->changed, changed);
}

static void test_ps_parse(void **state)
{
    struct oa_docker_ps ps;

    assert_int_equal(oa_docker_ps_parse("web|Up 3 minutes\n"
                                        "db,web/db|Up 2 hours (Paused)\r\n"
                                        "loop|Restarting (1) 5 seconds ago\n"
                                        "old|Exited (0) 2 days ago\n"
                                        "new|Created\n"
                                        "garbage without a bar\n"
                                        "\n"
                                        "last|Up",
                                        &ps),
                     0);
    assert_int_equal(ps.n, 6);
    assert_int_equal(oa_docker_ps_find(&ps, "web"), 1);
    assert_int_equal(oa_docker_ps_find(&ps, "db"), 1);
    assert_int_equal(oa_docker_ps_find(&ps, "web/db"), -1); /* a link alias */
    assert_int_equal(oa_docker_ps_find(&ps, "loop"), 1);
    assert_int_equal(oa_docker_ps_find(&ps, "old"), 0);
    assert_int_equal(oa_docker_ps_find(&ps, "new"), 0);
    assert_int_equal(oa_docker_ps_find(&ps, "last"), 1);
    assert_int_equal(oa_docker_ps_find(&ps, "garbage without a bar"), -1);
    oa_docker_ps_done(&ps);
    assert_int_equal(oa_docker_ps_parse("", &ps), 0);
    assert_int_equal(ps.n, 0);
    oa_docker_ps_done(&ps);
}

static void test_refs(void **state)
{
    char buf[DOCKER_REF_MAX];

    assert_string_equal(oa_docker_ref("nginx", NULL, buf, sizeof(buf)), "nginx:latest");
    assert_string_equal(oa_docker_ref("nginx", "", buf, sizeof(buf)), "nginx:latest");
    assert_string_equal(oa_docker_ref("nginx", "1.25", buf, sizeof(buf)), "nginx:1.25");
    assert_string_equal(oa_docker_ref("nginx:1.25", NULL, buf, sizeof(buf)), "nginx:1.25");
    assert_string_equal(oa_docker_ref("r.io:5000/a/b", NULL, buf, sizeof(buf)),
                        "r.io:5000/a/b:latest");
    assert_string_equal(oa_docker_ref("a@sha256:00", NULL, buf, sizeof(buf)), "a@sha256:00");
    assert_null(oa_docker_ref("nginx", "1", buf, 7)); /* "nginx:1" needs 8 */
    assert_string_equal(oa_docker_registry("nginx:1", buf, sizeof(buf)), "");
    assert_string_equal(oa_docker_registry("visualops/x", buf, sizeof(buf)), "");
    assert_string_equal(oa_docker_registry("r.io/x", buf, sizeof(buf)), "r.io");
    assert_string_equal(oa_docker_registry("r:5000/x", buf, sizeof(buf)), "r:5000");
    assert_string_equal(oa_docker_registry("localhost/x", buf, sizeof(buf)), "localhost");
    assert_string_equal(oa_docker_short_id("sha256:0123456789abcdef", buf, sizeof(buf)),
                        "sha256:0123456789ab");
    assert_true(oa_docker_valid_name("my_ubuntu_httpd.1-a"));
    assert_false(oa_docker_valid_name("-x"));
    assert_false(oa_docker_valid_name("a/b"));
    assert_false(oa_docker_valid_name(""));
    assert_true(oa_docker_valid_ref("r.io:5000/a/b@sha256:00"));
    assert_false(oa_docker_valid_ref("--rm"));
    assert_false(oa_docker_valid_ref("a b"));
    assert_false(oa_docker_valid_ref("a\tb"));
}

static void test_push_report(void **state)
{
    struct push_report rep = {0};
    static const char *const lines[] = {
        "The push refers to repository [docker.io/visualops/x]",
        "0a0a0a0a0a0a: Preparing",
        "0a0a0a0a0a0a: Pushed",
        "1b1b1b1b1b1b: Layer already exists",
        "2c2c2c2c2c2c: Mounted from visualops/y",
        "nothex: Pushed",
        "3d3d3d3d3d3d: Pushed extra",
        /* One line in three pieces. NOLINTNEXTLINE(bugprone-suspicious-missing-comma) */
        "latest: digest: sha256:"
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
        " size: 528",
    };

    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
        on_push_line(&rep, lines[i]);
    assert_int_equal(rep.uploaded, 2);
    assert_string_equal(rep.digest,
                        "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    rep = (struct push_report){0};
    on_push_line(&rep, "latest: digest: sha256:0123 size: 1");
    assert_string_equal(rep.digest, "");
}

/* The daemon is down on a systemd host: systemctl starts it, then docker
 * is asked until it answers. */
static void test_start_systemd(void **state)
{
    struct oa_outcome out;

    fk.init = OA_INIT_SYSTEMD;
    SCRIPT({PING, 1, DOWN}, {PING, 1, DOWN}, {PING, 0, "24.0.7\n"},
           {"image inspect --format {{.Id}} nginx:latest", 1,
            "Error response from daemon: No such image: nginx:latest\n"},
           {"pull nginx:latest", 0, "Status: Downloaded newer image for nginx:latest\n"},
           {"image inspect --format {{.Id}} nginx:latest", 0,
            "sha256:"
            "aaaaaaaaaaaaaaaa\n"},
           {"image prune -f", 0, "Total reclaimed space: 0B\n"});
    run_module(&oa_mod_linux_docker_pulled, "{\"repo\": \"nginx\"}", false, &out);
    expect(&out, true, true,
           "started the docker daemon; pulled nginx:latest (sha256:aaaaaaaaaaaa)");
    assert_string_equal(fk.tools, "systemctl start docker");
    assert_string_equal(fk.prereq, "docker.io/docker");
}

/* Upstart and SysV hosts go through `service`; without it, the init.d
 * script; without that, the state fails and says why. */
static void test_start_elsewhere(void **state)
{
    struct oa_outcome out;

    fk.init = OA_INIT_UPSTART;
    fk.have_service = true;
    SCRIPT({PING, 1, DOWN}, {PING, 0, "1.13.1\n"},
           {"image inspect --format {{.Id}} nginx:latest", 0, "sha256:aa\n"},
           {"push nginx:latest", 0,
            "aaaaaaaaaaaa: Layer already exists\nlatest: digest: sha256:"
            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef size: 528\n"});
    run_module(&oa_mod_linux_docker_pushed, "{\"repository\": \"nginx\"}", false, &out);
    expect(&out, true, true,
           "started the docker daemon; pushed nginx:latest: the registry had every layer (digest "
           "sha256:0123456789ab)");
    assert_string_equal(fk.tools, "service docker start");

    if (access("/etc/init.d/docker", F_OK) == 0)
        skip(); /* this host has a docker init script */
    fk.have_service = false;
    fk.tools[0] = '\0';
    SCRIPT({PING, 1, DOWN});
    run_module(&oa_mod_linux_docker_pulled, "{\"repo\": \"nginx\"}", false, &out);
    expect(&out, false, false,
           "the docker daemon is not running, and no init system here can start it");
    assert_string_equal(fk.tools, "");
}

/* Started, but it never answers: the state fails after the wait. */
static void test_start_never_answers(void **state)
{
    struct oa_outcome out;

    fk.init = OA_INIT_SYSTEMD;
    SCRIPT({PING, 1, DOWN}, {PING, 1, DOWN}, {PING, 1, DOWN}, {PING, 1, DOWN}, {PING, 1, DOWN});
    run_module(&oa_mod_linux_docker_running, "{\"container\": \"web\", \"image\": \"nginx\"}",
               false, &out);
    expect(&out, false, true,
           "the docker daemon does not answer after its start: Cannot connect to the Docker "
           "daemon at unix:///var/run/docker.sock. Is the docker daemon running?");
    /* A failing start is reported with how it ended. */
    fk.tools[0] = '\0';
    fk.tool_exit = 5;
    SCRIPT({PING, 1, DOWN});
    run_module(&oa_mod_linux_docker_running, "{\"container\": \"web\", \"image\": \"nginx\"}",
               false, &out);
    expect(&out, false, false,
           "the docker daemon is not running and cannot be started: systemctl start exited "
           "with status 5");
}

/* A dry run where docker would be installed asks docker nothing. */
static void test_dry_run_without_docker(void **state)
{
    struct oa_outcome out;

    fk.installed = true;
    fk.os_release = "ID=rocky\nID_LIKE=\"rhel centos fedora\"\nPRETTY_NAME=\"Rocky Linux 9\"\n";
    SCRIPT({NULL, 0, NULL});
    fk.n = 0;
    run_module(&oa_mod_linux_docker_deploy,
               "{\"container\": \"web\", \"image\": \"nginx\", \"count\": 2,"
               " \"files\": {\"/etc/a.conf\": \"a\"}}",
               true, &out);
    expect(&out, true, true,
           "would install docker; would write the host copy of /etc/a.conf; would pull "
           "nginx:latest; would start container web_1 from nginx:latest; would start container "
           "web_2 from nginx:latest");
    run_module(&oa_mod_linux_docker_built, "{\"tag\": \"t\", \"path\": \"/\"}", true, &out);
    /* / has no Dockerfile: refused before docker is asked. */
    expect(&out, false, false, "/Dockerfile does not exist");
    /* No package manager known: the prerequisite fails the state. */
    fk.os_release = "ID=alpine\nPRETTY_NAME=\"Alpine\"\n";
    run_module(&oa_mod_linux_docker_running, "{\"container\": \"web\", \"image\": \"nginx\"}", true,
               &out);
    expect(&out, false, false, "docker is not installed and no package is known for it");
}

/* The password goes on stdin only; docker's words are shown without it. */
static void test_login(void **state)
{
    struct oa_outcome out;

    SCRIPT({PING, 0, "24.0.7\n"}, {"image inspect --format {{.Id}} r.io/app:1", 0, "sha256:aa\n"},
           {"--config CFG login -u bob --password-stdin r.io", 1,
            "Error response from daemon: login attempt to https://r.io/v2/ failed with status: "
            "401 Unauthorized (password 'pa ss' rejected)\n"});
    run_module(&oa_mod_linux_docker_pulled,
               "{\"repo\": \"r.io/app\", \"tag\": \"1\", \"username\": \"bob\","
               " \"password\": \"pa ss\"}",
               false, &out);
    expect(&out, false, false,
           "cannot log in to r.io as bob: Error response from daemon: login attempt to "
           "https://r.io/v2/ failed with status: 401 Unauthorized (password '***' rejected)");
    assert_string_equal(fk.input, "pa ss");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ps_parse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_push_report, setup, teardown),
        cmocka_unit_test_setup_teardown(test_start_systemd, setup, teardown),
        cmocka_unit_test_setup_teardown(test_start_elsewhere, setup, teardown),
        cmocka_unit_test_setup_teardown(test_start_never_answers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dry_run_without_docker, setup, teardown),
        cmocka_unit_test_setup_teardown(test_login, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
