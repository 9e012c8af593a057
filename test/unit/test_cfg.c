/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The config loader: defaults, every value kind, ranges, the rules between
 * keys, the original agent's keys, and the one-line errors with file, line,
 * key and what was expected.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cfg.h"
#include "err.h"
#include "log.h"

static int load(struct oa_cfg *cfg, const char *text, unsigned flags, char *err, size_t errlen)
{
    FILE *f = fmemopen((void *)text, strlen(text), "r");
    int r;

    assert_non_null(f);
    r = oa_cfg_load_stream(cfg, f, "test.conf", flags, err, errlen);
    fclose(f);
    return r;
}

static void defaults_without_a_file(void **unused)
{
    struct oa_cfg cfg;
    char err[256];

    unsetenv("STATE_DIRECTORY");
    unsetenv("RUNTIME_DIRECTORY");
    assert_int_equal(oa_cfg_load(&cfg, NULL, 0, err, sizeof(err)), 0);
    assert_int_equal(cfg.loglvl, OA_LOG_INFO);
    assert_string_equal(cfg.state_dir, "/var/lib/opsagent");
    assert_string_equal(cfg.runtime_dir, "/run/opsagent");
    assert_string_equal(cfg.token_path, "/var/lib/opsagent/token");
    assert_string_equal(cfg.watch_dir, "/var/lib/opsagent/watch");
    assert_string_equal(cfg.mod_root, "/var/lib/opsagent/modules");
    assert_string_equal(cfg.mod_name, "repo");
    assert_string_equal(cfg.mod_bootstrap, "bootstrap.sh");
    assert_string_equal(cfg.version, OA_VERSION);
    assert_string_equal(cfg.userdata_url, "http://169.254.169.254/latest/user-data");
    assert_null(cfg.ws_uri);
    assert_null(cfg.instance_id);
    assert_false(cfg.insecure);
    assert_int_equal(cfg.connect_timeout_ms, 10000);
    assert_int_equal(cfg.keepalive_ms, 30000);
    assert_int_equal(cfg.dead_after_ms, 75000);
    assert_int_equal(cfg.reconnect_min_ms, 1000);
    assert_int_equal(cfg.reconnect_max_ms, 60000);
    assert_int_equal(cfg.handshake_retry_ms, 30000);
    assert_int_equal(cfg.delay_ms, 600000);
    assert_int_equal(cfg.retry_wait_ms, 5000);
    assert_int_equal(cfg.state_timeout_ms, 3600000);
    assert_int_equal(cfg.kill_grace_ms, 10000);
    assert_int_equal(cfg.output_limit, 65536);
    assert_int_equal(cfg.max_message, 16 << 20);
    oa_cfg_done(&cfg);
}

static void systemd_directories(void **unused)
{
    struct oa_cfg cfg;
    char err[256];

    setenv("STATE_DIRECTORY", "/var/lib/opsagent-x:/var/lib/other", 1);
    setenv("RUNTIME_DIRECTORY", "/run/opsagent-x", 1);
    assert_int_equal(oa_cfg_load(&cfg, NULL, 0, err, sizeof(err)), 0);
    assert_string_equal(cfg.state_dir, "/var/lib/opsagent-x");
    assert_string_equal(cfg.token_path, "/var/lib/opsagent-x/token");
    assert_string_equal(cfg.runtime_dir, "/run/opsagent-x");
    oa_cfg_done(&cfg);
    unsetenv("STATE_DIRECTORY");
    unsetenv("RUNTIME_DIRECTORY");
}

static void every_kind_of_value(void **unused)
{
    static const char text[] = "[global]\n"
                               "loglvl = warning\n"
                               "state_dir = /srv/oa\n"
                               "[userdata]\n"
                               "ws_uri = wss://backend.example:8443/agent\n"
                               "app_id = app-42\n"
                               "[network]\n"
                               "insecure = yes\n"
                               "keepalive = 250ms\n"
                               "dead_after = 2s\n"
                               "reconnect_max = 2min\n"
                               "proxy = http://u:p@proxy:3128\n"
                               "get_retry = 3\n"
                               "[runtime]\n"
                               "delay = 2\n"
                               "state_timeout = 1h\n"
                               "output_limit = 4096\n"
                               "modules_dir =\n";
    struct oa_cfg cfg;
    char err[256];

    assert_int_equal(load(&cfg, text, OA_CFG_REQUIRE_BACKEND, err, sizeof(err)), 0);
    assert_int_equal(cfg.loglvl, OA_LOG_WARNING);
    assert_true(cfg.loglvl_set);
    assert_string_equal(cfg.state_dir, "/srv/oa");
    assert_string_equal(cfg.watch_dir, "/srv/oa/watch");
    assert_string_equal(cfg.ws_uri, "wss://backend.example:8443/agent");
    assert_string_equal(cfg.app_id, "app-42");
    assert_true(cfg.insecure);
    assert_int_equal(cfg.keepalive_ms, 250);
    assert_int_equal(cfg.dead_after_ms, 2000);
    assert_int_equal(cfg.reconnect_max_ms, 120000);
    assert_string_equal(cfg.proxy, "http://u:p@proxy:3128");
    assert_int_equal(cfg.get_retry, 3);
    assert_int_equal(cfg.delay_ms, 120000); /* minutes by default */
    assert_int_equal(cfg.state_timeout_ms, 3600000);
    assert_int_equal(cfg.output_limit, 4096);
    assert_null(cfg.modules_dir); /* empty: the default */
    assert_string_equal(cfg.path, "test.conf");
    oa_cfg_done(&cfg);
}

static void the_original_agents_file(void **unused)
{
    static const char text[] = "[global]\n"
                               "envroot = /opt/visualops/env\n"
                               "conf_path = /var/lib/visualops/opsagent\n"
                               "watch = /var/lib/visualops/opsagent/watch\n"
                               "token = /var/lib/visualops/opsagent/token\n"
                               "logfile = /var/log/visualops/agent.log\n"
                               "[userdata]\n"
                               "ws_uri = wss://api.visualops.io:443/agent/\n"
                               "app_id = app-123\n"
                               "version = 2014-11-01\n"
                               "base_remote = https://s3.amazonaws.com/visualops\n"
                               "[module]\n"
                               "root = /opt/visualops/bootstrap/salt\n"
                               "name = salt\n"
                               "mod_repo = https://github.com/MadeiraCloud/salt.git\n"
                               "mod_tag = v2014-11-01\n"
                               "[network]\n"
                               "instance_id = http://169.254.169.254/latest/meta-data/instance-id\n"
                               "[salt]\n"
                               "delay = 3\n"
                               "timeout = 90\n"
                               "srv_root = /srv/salt\n";
    struct oa_cfg cfg;
    char err[256];

    assert_int_equal(load(&cfg, text, OA_CFG_REQUIRE_BACKEND, err, sizeof(err)), 0);
    assert_string_equal(cfg.watch_dir, "/var/lib/visualops/opsagent/watch");
    assert_string_equal(cfg.token_path, "/var/lib/visualops/opsagent/token");
    assert_string_equal(cfg.version, "2014-11-01");
    assert_string_equal(cfg.mod_name, "salt");
    assert_string_equal(cfg.mod_tag, "v2014-11-01");
    assert_int_equal(cfg.delay_ms, 180000);
    assert_int_equal(cfg.state_timeout_ms, 90000);
    assert_string_equal(cfg.instance_id, "http://169.254.169.254/latest/meta-data/instance-id");
    oa_cfg_done(&cfg);
}

struct bad_case {
    const char *text;
    unsigned flags;
    int ret;
    const char *err; /* exact text */
};

static const struct bad_case bad_cases[] = {
    {"[network]\nkeepalive = fast\n", 0, OA_ESCHEMA,
     "test.conf:2: [network] keepalive = 'fast': expected a duration: a whole number, "
     "optionally followed by ms, s, min or h"},
    {"[network]\nkeepalive = 0\n", 0, OA_ESCHEMA,
     "test.conf:2: [network] keepalive = '0': expected a duration from 1 ms to 60 min"},
    {"[runtime]\ndelay = 8d\n", 0, OA_ESCHEMA,
     "test.conf:2: [runtime] delay = '8d': expected a duration: a whole number, optionally "
     "followed by ms, s, min or h"},
    {"[runtime]\ndelay = 20000\n", 0, OA_ESCHEMA,
     "test.conf:2: [runtime] delay = '20000': expected a duration from 0 s to 10080 min"},
    {"[runtime]\nmax_message = 1k\n", 0, OA_ESCHEMA,
     "test.conf:2: [runtime] max_message = '1k': expected a whole number"},
    {"[runtime]\noutput_limit = 99999999999\n", 0, OA_ESCHEMA,
     "test.conf:2: [runtime] output_limit = '99999999999': expected a whole number from 256 to "
     "67108864"},
    {"[network]\ninsecure = sure\n", 0, OA_ESCHEMA,
     "test.conf:2: [network] insecure = 'sure': expected a boolean (true/false, yes/no, on/off, "
     "1/0)"},
    {"[global]\nloglvl = chatty\n", 0, OA_ESCHEMA,
     "test.conf:2: [global] loglvl = 'chatty': expected one of DEBUG, INFO, NOTICE, WARNING, "
     "ERROR"},
    {"[global]\ntoken = token.txt\n", 0, OA_ESCHEMA,
     "test.conf:2: [global] token = 'token.txt': expected an absolute path"},
    {"[userdata]\nws_uri = wss://\n", 0, OA_ESCHEMA,
     "test.conf:2: [userdata] ws_uri = 'wss://': expected a ws:// or wss:// URL with a host"},
    {"[network]\nproxy = socks5://a:b@h:1\n", 0, OA_ESCHEMA,
     "test.conf:2: [network] proxy = '***': expected an http://[user:pass@]host:port URL"},
    {"[network]\nreconnect_min = 2min\nreconnect_max = 1min\n", 0, OA_ESCHEMA,
     "test.conf: [network] reconnect_min must not exceed reconnect_max"},
    {"[network]\nkeepalive = 75\n", 0, OA_ESCHEMA,
     "test.conf: [network] keepalive must be shorter than dead_after"},
    {"[runtime]\n\n\nbroken line\n", 0, OA_ESYNTAX,
     "test.conf:4: expected '[section]', 'key = value' or a comment"},
    {"[runtime\n", 0, OA_ESYNTAX, "test.conf:1: expected '[section]', 'key = value' or a comment"},
    {"", OA_CFG_REQUIRE_BACKEND, OA_ESCHEMA,
     "test.conf: [userdata] ws_uri is missing: expected a ws:// or wss:// URL of the backend"},
    {"[userdata]\nws_uri = ws://h/\n", OA_CFG_REQUIRE_BACKEND, OA_ESCHEMA,
     "test.conf: [userdata] app_id is missing: expected the app's id"},
    {"[userdata]\nws_uri = ws://h/\napp_id =\n", OA_CFG_REQUIRE_BACKEND, OA_ESCHEMA,
     "test.conf: [userdata] app_id is missing: expected the app's id"},
};

static void every_bad_value_gives_one_precise_line(void **unused)
{
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        const struct bad_case *c = &bad_cases[i];
        struct oa_cfg cfg;
        char err[512] = "";
        int r = load(&cfg, c->text, c->flags, err, sizeof(err));

        if (r != c->ret || strcmp(err, c->err) != 0)
            fail_msg("case %zu: got %d '%s', expected %d '%s'", i, r, err, c->ret, c->err);
        oa_cfg_done(&cfg);
    }
}

static void a_long_line_is_an_error_not_a_cut(void **unused)
{
    char text[600], err[256];
    struct oa_cfg cfg;

    snprintf(text, sizeof(text), "[userdata]\nbase_remote = https://example.com/%0300d\n", 0);
    assert_int_equal(load(&cfg, text, 0, err, sizeof(err)), OA_ESYNTAX);
    assert_string_equal(err, "test.conf:2: line longer than 199 bytes");
    oa_cfg_done(&cfg);
}

static void indented_lines_are_not_continuations(void **unused)
{
    struct oa_cfg cfg;
    char err[256];

    assert_int_equal(load(&cfg, "[userdata]\napp_id = a\n   version = 9\n", 0, err, sizeof(err)),
                     0);
    assert_string_equal(cfg.app_id, "a");
    assert_string_equal(cfg.version, "9");
    oa_cfg_done(&cfg);
}

static void repeated_keys_take_the_later_value(void **unused)
{
    struct oa_cfg cfg;
    char err[256];

    assert_int_equal(load(&cfg, "[runtime]\nretry_wait = 1\nretry_wait = 2\n", 0, err, sizeof(err)),
                     0);
    assert_int_equal(cfg.retry_wait_ms, 2000);
    oa_cfg_done(&cfg);
}

static void a_missing_file_names_itself(void **unused)
{
    struct oa_cfg cfg;
    char err[256];

    assert_int_equal(oa_cfg_load(&cfg, "/nonexistent/opsagent.conf", 0, err, sizeof(err)), -ENOENT);
    assert_string_equal(err, "/nonexistent/opsagent.conf: cannot read the config file: No such "
                             "file or directory");
    oa_cfg_done(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_without_a_file),
        cmocka_unit_test(systemd_directories),
        cmocka_unit_test(every_kind_of_value),
        cmocka_unit_test(the_original_agents_file),
        cmocka_unit_test(every_bad_value_gives_one_precise_line),
        cmocka_unit_test(a_long_line_is_an_error_not_a_cut),
        cmocka_unit_test(indented_lines_are_not_continuations),
        cmocka_unit_test(repeated_keys_take_the_later_value),
        cmocka_unit_test(a_missing_file_names_itself),
    };
    oa_log_set_level(OA_LOG_CRIT);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
