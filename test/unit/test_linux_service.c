/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the service modules, linux.service and linux.supervisord
 * (modules.md §4.1, §4.2). Like chrony's unit tests, this file replaces the
 * calls that touch the system (running tools, looking for files, reading
 * the OS) with fakes before it includes the two .c files, so that the
 * systemd and Upstart paths, which this Debian machine cannot run, are
 * checked call by call: the init chosen per service, every argv, the
 * start / reload / restart / custom-command logic and its comments, dry
 * runs; and for supervisord the pid and status parsing, groups, ERROR
 * output, the daemon start and the config watch.
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
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

/* The fakes, named before any header of the project declares them. */
#define SERVICE_SETTLE_MS 0
#define SUPERVISORD_WAIT_MS 300
#define oa_tool_exec fake_tool_exec
#define oa_tool_which fake_tool_which
#define oa_fs_exists fake_fs_exists
#define oa_osinfo_read fake_osinfo_read
#define oa_prereq_ensure fake_prereq_ensure

#include "../../builtins/linux_service.c"
#include "../../builtins/linux_supervisord.c"

#include "json.h"

/* One expected tool call: argv joined with spaces (the supervisord config
 * path written CFG), its exit status (-1: the tool is not installed) and
 * what it prints on stdout. */
struct call {
    const char *argv;
    int exit;
    const char *out;
};

static struct {
    const struct call *calls;
    size_t n, next;
    const char *const *files; /* paths that exist, NULL-terminated */
    bool have_service;
    enum oa_init init;
    const char *config; /* written CFG in expected calls */
} fk;

int fake_tool_exec(char *const argv[], const char *const *extra_env, struct oa_buf *capture,
                   int *ret_status, char *why, size_t len)
{
    char line[1024] = "";

    for (size_t i = 0; argv[i]; i++) {
        const char *a = fk.config && !strcmp(argv[i], fk.config) ? "CFG" : argv[i];
        snprintf(line + strlen(line), sizeof(line) - strlen(line), "%s%s", i ? " " : "", a);
    }
    if (fk.next >= fk.n)
        fail_msg("unexpected call: %s", line);
    assert_string_equal(line, fk.calls[fk.next].argv);
    const struct call *c = &fk.calls[fk.next++];
    if (c->exit < 0) {
        snprintf(why, len, "%s is not installed", argv[0]);
        return -ENOENT;
    }
    if (capture && c->out)
        assert_int_equal(oa_buf_puts(capture, c->out), 0);
    *ret_status = c->exit << 8; /* an exit status, as waitpid reports it */
    return 0;
}

const char *fake_tool_which(const char *name, char *buf, size_t len)
{
    if (strcmp(name, "service") != 0 || !fk.have_service)
        return NULL;
    snprintf(buf, len, "/usr/sbin/service");
    return buf;
}

bool fake_fs_exists(const char *path)
{
    for (size_t i = 0; fk.files && fk.files[i]; i++)
        if (strcmp(fk.files[i], path) == 0)
            return true;
    return false;
}

void fake_osinfo_read(struct oa_osinfo *ret)
{
    memset(ret, 0, sizeof(*ret));
    oa_osinfo_parse("ID=debian\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n", ret);
    ret->init = fk.init;
}

int fake_prereq_ensure(const struct oa_run_ctx *ctx, const struct oa_osinfo *os, const char *tool,
                       const char *deb_pkg, const char *rpm_pkg, bool *installed,
                       struct oa_outcome *out)
{
    assert_string_equal(tool, "supervisord");
    assert_string_equal(deb_pkg, "supervisor");
    *installed = false;
    return 0;
}

#define SCRIPT(...)                                                                                \
    do {                                                                                           \
        static const struct call calls_[] = {__VA_ARGS__};                                         \
        fk.calls = calls_;                                                                         \
        fk.n = sizeof(calls_) / sizeof(calls_[0]);                                                 \
        fk.next = 0;                                                                               \
    } while (0)

static void reset(enum oa_init init, bool have_service, const char *const *files)
{
    memset(&fk, 0, sizeof(fk));
    fk.init = init;
    fk.have_service = have_service;
    fk.files = files;
}

/* Runs module m with the JSON parameters; every scripted call must be used. */
static void run_module(const struct oa_module *m, const char *json, bool dry_run,
                       const char *watch_dir, struct oa_outcome *out)
{
    struct oa_run_ctx ctx = {.id = "state-1", .dry_run = dry_run, .watch_dir = watch_dir};
    struct oa_json *obj;
    struct oa_params p;
    char err[512];

    assert_int_equal(oa_json_parse(json, strlen(json), NULL, &obj, err, sizeof(err)), 0);
    if (oa_params_parse(m->params, m->n_params, obj, &p, NULL, err, sizeof(err)) < 0)
        fail_msg("parameters: %s", err);
    memset(out, 0, sizeof(*out));
    m->run(&ctx, &p, out);
    oa_params_done(&p);
    oa_json_free(obj);
    if (fk.next != fk.n)
        fail_msg("call %zu of %zu was not made: %s", fk.next + 1, fk.n, fk.calls[fk.next].argv);
}

static void expect_outcome(const struct oa_outcome *out, bool result, bool changed,
                           const char *comment)
{
    assert_string_equal(out->comment, comment);
    assert_int_equal(out->result, result);
    assert_int_equal(out->changed, changed);
}

/* --- linux.service: pure parts --- */

static void test_service_init(void **state)
{
    assert_int_equal(service_init(OA_INIT_SYSTEMD, false), OA_INIT_SYSTEMD);
    assert_int_equal(service_init(OA_INIT_SYSTEMD, true), OA_INIT_SYSTEMD);
    assert_int_equal(service_init(OA_INIT_UPSTART, true), OA_INIT_UPSTART);
    assert_int_equal(service_init(OA_INIT_UPSTART, false), OA_INIT_SYSV);
    assert_int_equal(service_init(OA_INIT_SYSV, true), OA_INIT_SYSV);
    assert_int_equal(service_init(OA_INIT_SYSV, false), OA_INIT_SYSV);
}

static void test_service_setup_upstart_job(void **state)
{
    static const char *const files[] = {"/etc/init/ssh.conf", NULL};
    struct svc s;

    reset(OA_INIT_UPSTART, true, files);
    service_setup(&s, "ssh", OA_INIT_UPSTART, true);
    assert_int_equal(s.init, OA_INIT_UPSTART);
    service_setup(&s, "cron", OA_INIT_UPSTART, true);
    assert_int_equal(s.init, OA_INIT_SYSV);
    /* A job file alone does not make a SysV host use Upstart. */
    service_setup(&s, "ssh", OA_INIT_SYSV, true);
    assert_int_equal(s.init, OA_INIT_SYSV);
}

static void test_valid_service_name(void **state)
{
    static const char *const good[] = {"nginx", "ssh.service", "getty@tty1", "php7.4-fpm", "a_b"};
    static const char *const bad[] = {"",       "-h",  ".hidden", "..",   "a/b",
                                      "../etc", "a b", "a\tb",    "a\nb", "a\x7f"};
    char long_name[SERVICE_NAME_MAX + 2];

    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        assert_true(valid_service_name(good[i]));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_false(valid_service_name(bad[i]));
    memset(long_name, 'a', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    assert_false(valid_service_name(long_name));
    long_name[SERVICE_NAME_MAX] = '\0';
    assert_true(valid_service_name(long_name));
}

static const char *joined(char **argv, char *buf, size_t len)
{
    buf[0] = '\0';
    for (size_t i = 0; argv[i]; i++)
        snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", i ? " " : "", argv[i]);
    return buf;
}

static void test_service_argv(void **state)
{
    static const struct {
        enum oa_init init;
        bool have_service;
        const char *name;
        enum svc_op op;
        const char *want;
    } rows[] = {
        {OA_INIT_SYSTEMD, true, "nginx", SVC_PROBE, "systemctl cat nginx.service"},
        {OA_INIT_SYSTEMD, true, "nginx", SVC_STATUS, "systemctl is-active --quiet nginx.service"},
        {OA_INIT_SYSTEMD, true, "nginx", SVC_START, "systemctl start nginx.service"},
        {OA_INIT_SYSTEMD, true, "nginx", SVC_RELOAD, "systemctl reload nginx.service"},
        {OA_INIT_SYSTEMD, true, "nginx", SVC_RESTART, "systemctl restart nginx.service"},
        {OA_INIT_SYSTEMD, false, "ssh.service", SVC_START, "systemctl start ssh.service"},
        {OA_INIT_UPSTART, true, "ssh", SVC_STATUS, "initctl status ssh"},
        {OA_INIT_UPSTART, true, "ssh", SVC_START, "initctl start ssh"},
        {OA_INIT_UPSTART, true, "ssh", SVC_RELOAD, "initctl reload ssh"},
        {OA_INIT_UPSTART, true, "ssh", SVC_RESTART, "initctl restart ssh"},
        {OA_INIT_SYSV, true, "food", SVC_STATUS, "service food status"},
        {OA_INIT_SYSV, true, "food", SVC_START, "service food start"},
        {OA_INIT_SYSV, true, "food", SVC_RELOAD, "service food reload"},
        {OA_INIT_SYSV, true, "food", SVC_RESTART, "service food restart"},
        {OA_INIT_SYSV, false, "food", SVC_STATUS, "/etc/init.d/food status"},
        {OA_INIT_SYSV, false, "food", SVC_START, "/etc/init.d/food start"},
        {OA_INIT_SYSV, false, "food", SVC_RESTART, "/etc/init.d/food restart"},
    };
    char *argv[5], buf[256];
    struct svc s;

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        memset(&s, 0, sizeof(s));
        service_setup(&s, rows[i].name, rows[i].init, rows[i].have_service);
        s.init = rows[i].init; /* Upstart without the job file in the fake file system */
        assert_string_equal(joined(service_argv(&s, rows[i].op, argv), buf, sizeof(buf)),
                            rows[i].want);
    }
}

static void test_upstart_running(void **state)
{
    assert_true(upstart_running("ssh start/running, process 1234\n"));
    assert_false(upstart_running("ssh stop/waiting\n"));
    assert_false(upstart_running("ssh start/post-start, (post-start) process 12\n"));
    assert_false(upstart_running(""));
    assert_false(upstart_running(NULL));
}

/* --- linux.service: whole runs --- */

static void test_systemd_start(void **state)
{
    struct oa_outcome out;

    reset(OA_INIT_SYSTEMD, true, NULL);
    SCRIPT({"systemctl cat nginx.service", 0, "[Unit]\n"},
           {"systemctl is-active --quiet nginx.service", 3, NULL},
           {"systemctl start nginx.service", 0, NULL},
           {"systemctl is-active --quiet nginx.service", 0, NULL});
    run_module(&oa_mod_linux_service, "{\"name\": [\"nginx\"]}", false, NULL, &out);
    expect_outcome(&out, true, true, "nginx started");
}

static void test_systemd_running_and_unknown(void **state)
{
    struct oa_outcome out;

    reset(OA_INIT_SYSTEMD, true, NULL);
    /* Every service is attempted; the unknown one fails the state. */
    SCRIPT({"systemctl cat nosuch.service", 1, NULL}, {"systemctl cat nginx.service", 0, NULL},
           {"systemctl is-active --quiet nginx.service", 0, NULL});
    run_module(&oa_mod_linux_service,
               "{\"name\": [{\"key\": \"nosuch\"}, {\"key\": \"nginx\", \"value\": null}]}", false,
               NULL, &out);
    expect_outcome(&out, false, false, "service nosuch is not available; nginx already running");

    reset(OA_INIT_SYSTEMD, true, NULL);
    SCRIPT({"systemctl cat nginx.service", 0, NULL},
           {"systemctl is-active --quiet nginx.service", -1, NULL});
    run_module(&oa_mod_linux_service, "{\"name\": [\"nginx\"]}", false, NULL, &out);
    expect_outcome(&out, false, false,
                   "nginx: cannot check its status: systemctl is not installed");

    reset(OA_INIT_SYSTEMD, true, NULL);
    SCRIPT({"systemctl cat nginx.service", -1, NULL});
    run_module(&oa_mod_linux_service, "{\"name\": [\"nginx\"]}", false, NULL, &out);
    expect_outcome(&out, false, false, "service nginx: systemctl is not installed");
}

static void test_systemd_start_fails(void **state)
{
    struct oa_outcome out;

    reset(OA_INIT_SYSTEMD, true, NULL);
    SCRIPT({"systemctl cat nginx.service", 0, NULL},
           {"systemctl is-active --quiet nginx.service", 3, NULL},
           {"systemctl start nginx.service", 1, NULL},
           {"systemctl is-active --quiet nginx.service", 3, NULL});
    run_module(&oa_mod_linux_service, "{\"name\": [\"nginx\"]}", false, NULL, &out);
    expect_outcome(&out, false, true, "nginx failed to start (systemctl exited with status 1)");
}

static void test_systemd_watch_reload_then_restart(void **state)
{
    struct oa_outcome out;

    reset(OA_INIT_SYSTEMD, true, NULL);
    SCRIPT({"systemctl cat nginx.service", 0, NULL},
           {"systemctl is-active --quiet nginx.service", 0, NULL},
           {"systemctl reload nginx.service", 1, NULL},
           {"systemctl restart nginx.service", 0, NULL},
           {"systemctl is-active --quiet nginx.service", 0, NULL});
    run_module(&oa_mod_linux_service, "{\"name\": [\"nginx\"], \"watch\": true}", false, NULL,
               &out);
    expect_outcome(&out, true, true, "watch is true: nginx restarted");

    reset(OA_INIT_SYSTEMD, true, NULL);
    SCRIPT({"systemctl cat nginx.service", 0, NULL},
           {"systemctl is-active --quiet nginx.service", 0, NULL},
           {"systemctl reload nginx.service", 0, NULL},
           {"systemctl is-active --quiet nginx.service", 0, NULL});
    run_module(&oa_mod_linux_service, "{\"name\": [\"nginx\"], \"watch\": \"true\"}", false, NULL,
               &out);
    expect_outcome(&out, true, true, "watch is true: nginx reloaded");
}

static void test_watch_keywords(void **state)
{
    struct oa_outcome out;

    /* "restart": no reload first. */
    reset(OA_INIT_SYSTEMD, true, NULL);
    SCRIPT({"systemctl cat app.service", 0, NULL},
           {"systemctl is-active --quiet app.service", 0, NULL},
           {"systemctl restart app.service", 0, NULL},
           {"systemctl is-active --quiet app.service", 0, NULL});
    run_module(&oa_mod_linux_service,
               "{\"name\": [{\"key\": \"app\", \"value\": \"restart\"}], \"watch\": true}", false,
               NULL, &out);
    expect_outcome(&out, true, true, "watch is true: app restarted");

    /* "reload": a failed reload is not followed by a restart. */
    reset(OA_INIT_SYSTEMD, true, NULL);
    SCRIPT({"systemctl cat app.service", 0, NULL},
           {"systemctl is-active --quiet app.service", 0, NULL},
           {"systemctl reload app.service", 1, NULL});
    run_module(&oa_mod_linux_service,
               "{\"name\": [{\"key\": \"app\", \"value\": \"reload\"}], \"watch\": true}", false,
               NULL, &out);
    expect_outcome(&out, false, true, "watch is true: app: reload exited with status 1");

    /* A stopped service with a keyword is started instead. */
    reset(OA_INIT_SYSTEMD, true, NULL);
    SCRIPT({"systemctl cat app.service", 0, NULL},
           {"systemctl is-active --quiet app.service", 3, NULL},
           {"systemctl start app.service", 0, NULL},
           {"systemctl is-active --quiet app.service", 0, NULL});
    run_module(&oa_mod_linux_service,
               "{\"name\": [{\"key\": \"app\", \"value\": \"restart\"}], \"watch\": true}", false,
               NULL, &out);
    expect_outcome(&out, true, true, "watch is true: app started");
}

static void test_watch_custom_command(void **state)
{
    struct oa_outcome out;

    /* A custom command runs even when the service is stopped. */
    reset(OA_INIT_SYSTEMD, true, NULL);
    SCRIPT({"systemctl cat app.service", 0, NULL},
           {"systemctl is-active --quiet app.service", 3, NULL},
           {"/bin/sh -c systemctl start app && echo ok", 0, NULL},
           {"systemctl is-active --quiet app.service", 0, NULL});
    run_module(&oa_mod_linux_service,
               "{\"name\": {\"app\": \"systemctl start app && echo ok\"}, \"watch\": true}", false,
               NULL, &out);
    expect_outcome(&out, true, true, "watch is true: app: ran action command");

    /* Exit 0 is success: a failing command fails, even if the service runs. */
    reset(OA_INIT_SYSTEMD, true, NULL);
    SCRIPT({"systemctl cat app.service", 0, NULL},
           {"systemctl is-active --quiet app.service", 0, NULL}, {"/bin/sh -c exit 4", 4, NULL});
    run_module(&oa_mod_linux_service, "{\"name\": {\"app\": \"exit 4\"}, \"watch\": true}", false,
               NULL, &out);
    expect_outcome(&out, false, true, "watch is true: app: action command exited with status 4");

    /* The command ran, but the service is not running afterwards. */
    reset(OA_INIT_SYSTEMD, true, NULL);
    SCRIPT({"systemctl cat app.service", 0, NULL},
           {"systemctl is-active --quiet app.service", 0, NULL}, {"/bin/sh -c true", 0, NULL},
           {"systemctl is-active --quiet app.service", 3, NULL});
    run_module(&oa_mod_linux_service, "{\"name\": {\"app\": \"true\"}, \"watch\": true}", false,
               NULL, &out);
    expect_outcome(&out, false, true, "watch is true: app is not running after its action command");

    /* A restart that leaves the service stopped. */
    reset(OA_INIT_SYSTEMD, true, NULL);
    SCRIPT({"systemctl cat app.service", 0, NULL},
           {"systemctl is-active --quiet app.service", 0, NULL},
           {"systemctl restart app.service", 0, NULL},
           {"systemctl is-active --quiet app.service", 3, NULL});
    run_module(&oa_mod_linux_service,
               "{\"name\": [{\"key\": \"app\", \"value\": \"restart\"}], \"watch\": true}", false,
               NULL, &out);
    expect_outcome(&out, false, true, "watch is true: app is not running after the restart");
}

static void test_upstart(void **state)
{
    static const char *const files[] = {"/etc/init/ssh.conf", "/etc/init.d/cron", NULL};
    struct oa_outcome out;

    /* ssh has a job: initctl; cron has none: its init script. */
    reset(OA_INIT_UPSTART, true, files);
    SCRIPT({"initctl status ssh", 0, "ssh stop/waiting\n"}, {"initctl start ssh", 0, NULL},
           {"initctl status ssh", 0, "ssh start/running, process 99\n"},
           {"service cron status", 0, NULL});
    run_module(&oa_mod_linux_service, "{\"name\": [\"ssh\", \"cron\"]}", false, NULL, &out);
    expect_outcome(&out, true, true, "ssh started; cron already running");

    reset(OA_INIT_UPSTART, true, files);
    SCRIPT({"initctl status ssh", 0, "ssh start/running, process 99\n"},
           {"initctl reload ssh", 0, NULL},
           {"initctl status ssh", 0, "ssh start/running, process 99\n"});
    run_module(&oa_mod_linux_service, "{\"name\": [\"ssh\"], \"watch\": true}", false, NULL, &out);
    expect_outcome(&out, true, true, "watch is true: ssh reloaded");
}

static void test_sysv(void **state)
{
    static const char *const files[] = {"/etc/init.d/food", NULL};
    struct oa_outcome out;

    reset(OA_INIT_SYSV, true, files);
    SCRIPT({"service food status", 3, NULL}, {"service food start", 0, NULL},
           {"service food status", 0, NULL});
    run_module(&oa_mod_linux_service, "{\"name\": [\"food\"]}", false, NULL, &out);
    expect_outcome(&out, true, true, "food started");

    /* Without `service`, the init script itself. */
    reset(OA_INIT_SYSV, false, files);
    SCRIPT({"/etc/init.d/food status", 3, NULL}, {"/etc/init.d/food start", 0, NULL},
           {"/etc/init.d/food status", 0, NULL});
    run_module(&oa_mod_linux_service, "{\"name\": [\"food\"]}", false, NULL, &out);
    expect_outcome(&out, true, true, "food started");

    reset(OA_INIT_SYSV, true, files);
    run_module(&oa_mod_linux_service, "{\"name\": [\"crond\"]}", false, NULL, &out);
    expect_outcome(&out, false, false, "service crond is not available");
}

static void test_dry_run(void **state)
{
    struct oa_outcome out;

    reset(OA_INIT_SYSTEMD, true, NULL);
    SCRIPT({"systemctl cat a.service", 0, NULL}, {"systemctl is-active --quiet a.service", 3, NULL},
           {"systemctl cat b.service", 0, NULL},
           {"systemctl is-active --quiet b.service", 0, NULL});
    run_module(&oa_mod_linux_service, "{\"name\": [\"a\", \"b\"]}", true, NULL, &out);
    expect_outcome(&out, true, true, "would start a; b already running");

    reset(OA_INIT_SYSTEMD, true, NULL);
    SCRIPT({"systemctl cat a.service", 0, NULL}, {"systemctl is-active --quiet a.service", 0, NULL},
           {"systemctl cat b.service", 0, NULL}, {"systemctl is-active --quiet b.service", 0, NULL},
           {"systemctl cat c.service", 0, NULL},
           {"systemctl is-active --quiet c.service", 0, NULL});
    run_module(
        &oa_mod_linux_service,
        "{\"name\": {\"a\": \"\", \"b\": \"restart\", \"c\": \"make -C /x\"}, \"watch\": true}",
        true, NULL, &out);
    expect_outcome(&out, true, true,
                   "watch is true: would reload a; would restart b; would run the action command "
                   "of c");
}

static void test_bad_parameters(void **state)
{
    struct oa_outcome out;

    reset(OA_INIT_SYSTEMD, true, NULL);
    run_module(&oa_mod_linux_service, "{\"name\": [\"../etc/x\"]}", false, NULL, &out);
    expect_outcome(&out, false, false, "parameter 'name': '../etc/x' is not a valid service name");
    run_module(&oa_mod_linux_service, "{\"name\": [\"ok\", \"-h\"]}", false, NULL, &out);
    expect_outcome(&out, false, false, "parameter 'name': '-h' is not a valid service name");
    run_module(&oa_mod_linux_service, "{\"name\": [\"ok\"], \"watch\": [\"etc/x\"]}", false, NULL,
               &out);
    expect_outcome(&out, false, false, "parameter 'watch': 'etc/x' is not an absolute path");
    run_module(&oa_mod_linux_service, "{\"name\": [\"ok\"], \"watch\": [\"/etc/x\"]}", false, NULL,
               &out);
    expect_outcome(&out, false, false, "no watch directory is configured for the watched files");
}

/* --- linux.supervisord: pure parts --- */

static void test_parse_pid(void **state)
{
    assert_int_equal(parse_pid("1234\n"), 1234);
    assert_int_equal(parse_pid("  77 \n"), 77);
    assert_int_equal(parse_pid(""), 0);
    assert_int_equal(parse_pid(NULL), 0);
    assert_int_equal(parse_pid("unix:///tmp/supervisor.sock no such file\n"), 0);
    assert_int_equal(parse_pid("12abc\n"), 0);
    assert_int_equal(parse_pid("12 13\n"), 0);
    assert_int_equal(parse_pid("99999999999999999999\n"), 0);
}

static void test_says_error(void **state)
{
    assert_true(says_error("foo: ERROR (spawn error)\n"));
    assert_true(says_error("Error: .ini file does not include supervisord section"));
    assert_true(says_error("ERROR: no such process/group: bar\n"));
    assert_false(says_error("foo: started\n"));
    assert_false(says_error(""));
    assert_false(says_error(NULL));
}

static void test_lookup_state(void **state)
{
    static const char status[] =
        "foo                              RUNNING   pid 12, uptime 0:01:02\n"
        "foobar                           STOPPED   Not started\n"
        "grp:a                            RUNNING   pid 13, uptime 0:00:10\n"
        "grp:b                            STOPPED   Not started\n"
        "grp:c                            RUNNING   pid 15, uptime 0:00:10\n"
        "web:w1                           RUNNING   pid 16, uptime 1:00:00\n"
        "web:w2                           RUNNING   pid 17, uptime 1:00:00\n"
        "job:j1                           FATAL     Exited too quickly\n"
        "job:j2                           BACKOFF   Exited too quickly\n"
        "garbage\n";
    char st[32];
    bool group;

    assert_true(lookup_state(status, "foo", st, sizeof(st), &group));
    assert_string_equal(st, "RUNNING");
    assert_false(group);
    assert_true(lookup_state(status, "foobar", st, sizeof(st), &group));
    assert_string_equal(st, "STOPPED");
    assert_true(lookup_state(status, "grp", st, sizeof(st), &group));
    assert_string_equal(st, "STOPPED");
    assert_true(group);
    assert_true(lookup_state(status, "grp:a", st, sizeof(st), &group));
    assert_string_equal(st, "RUNNING");
    assert_false(group);
    assert_true(lookup_state(status, "web", st, sizeof(st), &group));
    assert_string_equal(st, "RUNNING");
    assert_true(group);
    assert_true(lookup_state(status, "job", st, sizeof(st), &group));
    assert_string_equal(st, "FATAL");
    assert_false(lookup_state(status, "fo", st, sizeof(st), &group));
    assert_false(lookup_state(status, "gr", st, sizeof(st), &group));
    assert_false(lookup_state(status, "garbage", st, sizeof(st), &group));
    assert_false(lookup_state("", "foo", st, sizeof(st), &group));
    assert_false(lookup_state(NULL, "foo", st, sizeof(st), &group));
}

static void test_valid_program_name(void **state)
{
    assert_true(valid_program_name("foo"));
    assert_true(valid_program_name("grp:a"));
    assert_false(valid_program_name(""));
    assert_false(valid_program_name("-c"));
    assert_false(valid_program_name("a b"));
}

/* --- linux.supervisord: whole runs --- */

struct sv_fx {
    char dir[64];
    char config[PATH_MAX];
    char watch[PATH_MAX];
    char json[PATH_MAX * 2];
};

static int sv_setup(void **state)
{
    struct sv_fx *fx = calloc(1, sizeof(*fx));
    FILE *f;

    assert_non_null(fx);
    snprintf(fx->dir, sizeof(fx->dir), "/tmp/oa-test-svc.XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    snprintf(fx->config, sizeof(fx->config), "%s/sv.conf", fx->dir);
    snprintf(fx->watch, sizeof(fx->watch), "%s/watch", fx->dir);
    f = fopen(fx->config, "w");
    assert_non_null(f);
    fputs("[supervisord]\n[program:foo]\ncommand=/bin/true\n", f);
    fclose(f);
    *state = fx;
    return 0;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

static int sv_teardown(void **state)
{
    struct sv_fx *fx = *state;

    nftw(fx->dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    free(fx);
    return 0;
}

/* The parameters {"config": <fx config>, "name": NAMES, EXTRA}. */
static const char *sv_params(struct sv_fx *fx, const char *names, const char *extra)
{
    snprintf(fx->json, sizeof(fx->json), "{\"config\": \"%s\", \"name\": %s%s}", fx->config, names,
             extra ? extra : "");
    return fx->json;
}

static void sv_reset(struct sv_fx *fx)
{
    reset(OA_INIT_SYSV, true, NULL);
    fk.config = fx->config;
}

static void test_sv_start_daemon(void **state)
{
    struct sv_fx *fx = *state;
    struct oa_outcome out;
    char want[PATH_MAX + 128];

    sv_reset(fx);
    SCRIPT({"supervisorctl -c CFG pid", 1, "unix:///tmp/sv.sock no such file\n"},
           {"supervisord -c CFG", 0, NULL}, {"supervisorctl -c CFG pid", 1, "no such file\n"},
           {"supervisorctl -c CFG pid", 0, "4242\n"},
           {"supervisorctl -c CFG status", 3, "foo  STARTING\ngrp:a  STARTING\n"});
    run_module(&oa_mod_linux_supervisord, sv_params(fx, "[\"foo\", \"grp\"]", NULL), false, NULL,
               &out);
    snprintf(want, sizeof(want), "supervisord started with %s; foo starting; grp starting",
             fx->config);
    expect_outcome(&out, true, true, want);

    /* Programs a fresh daemon started are not restarted by a watch. */
    sv_reset(fx);
    SCRIPT({"supervisorctl -c CFG pid", 1, NULL}, {"supervisord -c CFG", 0, NULL},
           {"supervisorctl -c CFG pid", 0, "4242\n"},
           {"supervisorctl -c CFG status", 0, "foo RUNNING pid 1\nbar STOPPED\n"},
           {"supervisorctl -c CFG start bar", 0, "bar: started\n"});
    run_module(&oa_mod_linux_supervisord, sv_params(fx, "[\"foo\", \"bar\"]", ", \"watch\": true"),
               false, NULL, &out);
    snprintf(want, sizeof(want),
             "watch is true: supervisord started with %s; foo started; bar started", fx->config);
    expect_outcome(&out, true, true, want);
}

static void test_sv_daemon_fails(void **state)
{
    struct sv_fx *fx = *state;
    struct oa_outcome out;
    char want[PATH_MAX + 64];

    sv_reset(fx);
    SCRIPT({"supervisorctl -c CFG pid", 1, "no such file\n"}, {"supervisord -c CFG", 2, NULL});
    run_module(&oa_mod_linux_supervisord, sv_params(fx, "[\"foo\"]", NULL), false, NULL, &out);
    snprintf(want, sizeof(want), "supervisord -c %s exited with status 2", fx->config);
    expect_outcome(&out, false, false, want);

    /* Started, but never answers (4 polls of 100 ms within 300 ms). */
    sv_reset(fx);
    SCRIPT({"supervisorctl -c CFG pid", 1, NULL}, {"supervisord -c CFG", 0, NULL},
           {"supervisorctl -c CFG pid", 1, NULL}, {"supervisorctl -c CFG pid", 1, NULL},
           {"supervisorctl -c CFG pid", 1, NULL}, {"supervisorctl -c CFG pid", 1, NULL});
    run_module(&oa_mod_linux_supervisord, sv_params(fx, "[\"foo\"]", NULL), false, NULL, &out);
    snprintf(want, sizeof(want), "supervisord -c %s did not answer within 0 s", fx->config);
    expect_outcome(&out, false, true, want);

    sv_reset(fx);
    SCRIPT({"supervisorctl -c CFG pid", -1, NULL});
    run_module(&oa_mod_linux_supervisord, sv_params(fx, "[\"foo\"]", NULL), false, NULL, &out);
    expect_outcome(&out, false, false, "supervisorctl is not installed");
}

static void test_sv_programs(void **state)
{
    struct sv_fx *fx = *state;
    struct oa_outcome out;

    /* Running: nothing to do; stopped: start; a stopped group: start g:*. */
    sv_reset(fx);
    SCRIPT({"supervisorctl -c CFG pid", 0, "10\n"},
           {"supervisorctl -c CFG status", 3,
            "foo RUNNING pid 1\nbar EXITED Jan 1\ng:x STOPPED\ng:y RUNNING pid 3\n"},
           {"supervisorctl -c CFG start bar", 0, "bar: started\n"},
           {"supervisorctl -c CFG start g:*", 0, "g:x: started\n"});
    run_module(&oa_mod_linux_supervisord, sv_params(fx, "[\"foo\", \"bar\", \"g\"]", NULL), false,
               NULL, &out);
    expect_outcome(&out, true, true, "foo already running; bar started; g started");

    sv_reset(fx);
    SCRIPT({"supervisorctl -c CFG pid", 0, "10\n"},
           {"supervisorctl -c CFG status", 0, "foo RUNNING pid 1\n"});
    run_module(&oa_mod_linux_supervisord, sv_params(fx, "\"foo\"", NULL), false, NULL, &out);
    expect_outcome(&out, true, false, "foo already running");

    /* A watch restarts running programs and groups; BACKOFF is restarted. */
    sv_reset(fx);
    SCRIPT({"supervisorctl -c CFG pid", 0, "10\n"},
           {"supervisorctl -c CFG status", 0, "foo RUNNING pid 1\ng:x RUNNING\nb BACKOFF x\n"},
           {"supervisorctl -c CFG restart foo", 0, "foo: stopped\nfoo: started\n"},
           {"supervisorctl -c CFG restart g:*", 0, "g:x: stopped\ng:x: started\n"},
           {"supervisorctl -c CFG restart b", 0, "b: started\n"});
    run_module(&oa_mod_linux_supervisord,
               sv_params(fx, "[\"foo\", \"g\", \"b\"]", ", \"watch\": true"), false, NULL, &out);
    expect_outcome(&out, true, true, "watch is true: foo restarted; g restarted; b restarted");
}

static void test_sv_unknown_and_errors(void **state)
{
    struct sv_fx *fx = *state;
    struct oa_outcome out;

    /* Unknown names: one reread, then add each; ERROR output fails. */
    sv_reset(fx);
    SCRIPT({"supervisorctl -c CFG pid", 0, "10\n"},
           {"supervisorctl -c CFG status", 0, "foo STOPPED\n"},
           {"supervisorctl -c CFG reread", 0, "new: available\n"},
           {"supervisorctl -c CFG add new", 0, "new: added process group\n"},
           {"supervisorctl -c CFG add nosuch", 2, "ERROR: no such process/group: nosuch\n"},
           {"supervisorctl -c CFG start foo", 7, "foo: ERROR (spawn error)\n"});
    run_module(&oa_mod_linux_supervisord, sv_params(fx, "[\"new\", \"nosuch\", \"foo\"]", NULL),
               false, NULL, &out);
    expect_outcome(&out, false, true,
                   "new added; ERROR: no such process/group: nosuch; foo: ERROR (spawn error)");

    /* A non-zero exit without ERROR in the output. */
    sv_reset(fx);
    SCRIPT({"supervisorctl -c CFG pid", 0, "10\n"},
           {"supervisorctl -c CFG status", 0, "foo STOPPED\n"},
           {"supervisorctl -c CFG start foo", 1, "something odd\n"});
    run_module(&oa_mod_linux_supervisord, sv_params(fx, "[\"foo\"]", NULL), false, NULL, &out);
    expect_outcome(&out, false, true, "supervisorctl start foo exited with status 1");
}

static void test_sv_dry_run(void **state)
{
    struct sv_fx *fx = *state;
    struct oa_outcome out;
    char want[PATH_MAX + 128];

    sv_reset(fx);
    SCRIPT({"supervisorctl -c CFG pid", 1, "no such file\n"});
    run_module(&oa_mod_linux_supervisord, sv_params(fx, "[\"foo\"]", NULL), true, NULL, &out);
    snprintf(want, sizeof(want), "would start supervisord with %s, then the programs", fx->config);
    expect_outcome(&out, true, true, want);

    sv_reset(fx);
    SCRIPT({"supervisorctl -c CFG pid", 0, "10\n"},
           {"supervisorctl -c CFG status", 0, "foo RUNNING\nbar STOPPED\n"});
    run_module(&oa_mod_linux_supervisord,
               sv_params(fx, "[\"foo\", \"bar\", \"baz\"]", ", \"watch\": true"), true, NULL, &out);
    expect_outcome(&out, true, true,
                   "watch is true: would restart foo; would start bar; would add baz");
}

static void test_sv_config_watch(void **state)
{
    struct sv_fx *fx = *state;
    struct oa_outcome out;
    char want[PATH_MAX + 128];
    FILE *f;

    /* The first sighting of the config is a baseline only. */
    sv_reset(fx);
    SCRIPT({"supervisorctl -c CFG pid", 0, "10\n"},
           {"supervisorctl -c CFG status", 0, "foo RUNNING\n"});
    run_module(&oa_mod_linux_supervisord, sv_params(fx, "[\"foo\"]", NULL), false, fx->watch, &out);
    expect_outcome(&out, true, false, "foo already running");

    f = fopen(fx->config, "a");
    assert_non_null(f);
    fputs("environment=A=1\n", f);
    fclose(f);
    /* A dry run says so and stores nothing. */
    sv_reset(fx);
    SCRIPT({"supervisorctl -c CFG pid", 0, "10\n"},
           {"supervisorctl -c CFG status", 0, "foo RUNNING\n"});
    run_module(&oa_mod_linux_supervisord, sv_params(fx, "[\"foo\"]", NULL), true, fx->watch, &out);
    snprintf(want, sizeof(want), "%s changed: would reread and update; foo already running",
             fx->config);
    expect_outcome(&out, true, true, want);

    /* A failed update stores nothing either. */
    sv_reset(fx);
    SCRIPT({"supervisorctl -c CFG pid", 0, "10\n"},
           {"supervisorctl -c CFG reread", 0, "foo: changed\n"},
           {"supervisorctl -c CFG update", 0, "ERROR: CANT_REREAD\n"});
    run_module(&oa_mod_linux_supervisord, sv_params(fx, "[\"foo\"]", NULL), false, fx->watch, &out);
    expect_outcome(&out, false, true, "ERROR: CANT_REREAD");

    sv_reset(fx);
    SCRIPT({"supervisorctl -c CFG pid", 0, "10\n"},
           {"supervisorctl -c CFG reread", 0, "foo: changed\n"},
           {"supervisorctl -c CFG update", 0, "foo: stopped\nfoo: updated process group\n"},
           {"supervisorctl -c CFG status", 0, "foo RUNNING\n"});
    run_module(&oa_mod_linux_supervisord, sv_params(fx, "[\"foo\"]", NULL), false, fx->watch, &out);
    snprintf(want, sizeof(want), "%s changed: reread and updated; foo already running", fx->config);
    expect_outcome(&out, true, true, want);

    sv_reset(fx);
    SCRIPT({"supervisorctl -c CFG pid", 0, "10\n"},
           {"supervisorctl -c CFG status", 0, "foo RUNNING\n"});
    run_module(&oa_mod_linux_supervisord, sv_params(fx, "[\"foo\"]", NULL), false, fx->watch, &out);
    expect_outcome(&out, true, false, "foo already running");
}

static void test_sv_bad_parameters(void **state)
{
    struct sv_fx *fx = *state;
    struct oa_outcome out;
    char want[PATH_MAX + 64];

    sv_reset(fx);
    run_module(&oa_mod_linux_supervisord, "{\"config\": \"sv.conf\", \"name\": [\"foo\"]}", false,
               NULL, &out);
    expect_outcome(&out, false, false, "parameter 'config': 'sv.conf' is not an absolute path");
    run_module(&oa_mod_linux_supervisord, sv_params(fx, "[\"a b\"]", NULL), false, NULL, &out);
    expect_outcome(&out, false, false,
                   "parameter 'name': 'a b' is not a valid program or group name");
    run_module(&oa_mod_linux_supervisord,
               "{\"config\": \"/nonexistent/sv.conf\", \"name\": [\"foo\"]}", false, NULL, &out);
    expect_outcome(&out, false, false,
                   "supervisord config /nonexistent/sv.conf: No such file or directory");
    snprintf(fx->json, sizeof(fx->json), "{\"config\": \"%s\", \"name\": [\"foo\"]}", fx->dir);
    run_module(&oa_mod_linux_supervisord, fx->json, false, NULL, &out);
    snprintf(want, sizeof(want), "supervisord config %s: not a regular file", fx->dir);
    expect_outcome(&out, false, false, want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_service_init),
        cmocka_unit_test(test_service_setup_upstart_job),
        cmocka_unit_test(test_valid_service_name),
        cmocka_unit_test(test_service_argv),
        cmocka_unit_test(test_upstart_running),
        cmocka_unit_test(test_systemd_start),
        cmocka_unit_test(test_systemd_running_and_unknown),
        cmocka_unit_test(test_systemd_start_fails),
        cmocka_unit_test(test_systemd_watch_reload_then_restart),
        cmocka_unit_test(test_watch_keywords),
        cmocka_unit_test(test_watch_custom_command),
        cmocka_unit_test(test_upstart),
        cmocka_unit_test(test_sysv),
        cmocka_unit_test(test_dry_run),
        cmocka_unit_test(test_bad_parameters),
        cmocka_unit_test(test_parse_pid),
        cmocka_unit_test(test_says_error),
        cmocka_unit_test(test_lookup_state),
        cmocka_unit_test(test_valid_program_name),
        cmocka_unit_test_setup_teardown(test_sv_start_daemon, sv_setup, sv_teardown),
        cmocka_unit_test_setup_teardown(test_sv_daemon_fails, sv_setup, sv_teardown),
        cmocka_unit_test_setup_teardown(test_sv_programs, sv_setup, sv_teardown),
        cmocka_unit_test_setup_teardown(test_sv_unknown_and_errors, sv_setup, sv_teardown),
        cmocka_unit_test_setup_teardown(test_sv_dry_run, sv_setup, sv_teardown),
        cmocka_unit_test_setup_teardown(test_sv_config_watch, sv_setup, sv_teardown),
        cmocka_unit_test_setup_teardown(test_sv_bad_parameters, sv_setup, sv_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
