/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The command line (design.md, Command line): option parsing and dispatch
 * only. The only place that exits the process.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "builtins.h"
#include "cfg.h"
#include "ctl.h"
#include "json.h"
#include "log.h"
#include "modrepo.h"
#include "once.h"
#include "service.h"
#include "status.h"
#include "update.h"

/* Parsed command-line values (the house style allows these as globals). */
static const char *arg_config;
static int arg_verbosity; /* -1 quiet, 0 config, 1 debug */

static void usage(FILE *f)
{
    fputs("Usage:\n"
          "  opsagent [-c FILE] [-v|-q] run             run the agent (systemd starts this)\n"
          "  opsagent [-c FILE] [-v|-q] once RECIPE.json [--dry-run] [--json]\n"
          "                                             run a recipe file here, once, without a "
          "backend\n"
          "  opsagent [-c FILE] status [--json]         ask the running agent how it is doing\n"
          "  opsagent [-c FILE] stop [--wait|--end]     stop the running agent\n"
          "  opsagent [-c FILE] check                   connect, handshake, answer a Test, report\n"
          "  opsagent --version | --help\n"
          "\n"
          "Options:\n"
          "  -c, --config FILE  config file (default " OA_CFG_DEFAULT_PATH ")\n"
          "  -v, --verbose      log at debug level\n"
          "  -q, --quiet        log warnings and errors only\n"
          "\n"
          "Exit status: 0 success; 1 a state failed; 64 usage; 65 invalid recipe;\n"
          "66 unreadable recipe; 69 no agent running (status, stop); 75 another agent\n"
          "runs with this runtime dir; 78 invalid config.\n",
          f);
}

/* -v and -q win over the config's loglvl. `once` prints a line per state
 * on stdout, so unless asked it does not repeat them on stderr. */
static void apply_log_level(const struct oa_cfg *cfg, bool once)
{
    if (arg_verbosity > 0)
        oa_log_set_level(OA_LOG_DEBUG);
    else if (arg_verbosity < 0)
        oa_log_set_level(OA_LOG_WARNING);
    else if (once && !cfg->loglvl_set)
        oa_log_set_level(OA_LOG_NOTICE);
    else
        oa_log_set_level(cfg->loglvl);
}

/* Loads the config for a command. `once` reads the default file only when it
 * exists; the others need it. Returns 0 or OA_EXIT_CONFIG (logged). */
static int load_config(struct oa_cfg *cfg, bool optional, unsigned flags)
{
    const char *path = arg_config;
    char why[1024];

    if (!path && !(optional && access(OA_CFG_DEFAULT_PATH, F_OK) != 0))
        path = OA_CFG_DEFAULT_PATH;
    if (oa_cfg_load(cfg, path, flags, why, sizeof(why)) < 0) {
        oa_log(OA_LOG_ERR, "%s", why);
        return OA_EXIT_CONFIG;
    }
    apply_log_level(cfg, optional);
    return 0;
}

static bool self_exe(char *buf, size_t size)
{
    size_t len = size;

    if (uv_exepath(buf, &len) < 0) {
        oa_log(OA_LOG_CRIT, "cannot find the agent's own binary for exec-state");
        return false;
    }
    return true;
}

static int cmd_once(int argc, char **argv)
{
    static const struct option opts[] = {
        {"dry-run", no_argument, NULL, 'n'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    struct oa_once_opts o = {0};
    struct oa_cfg cfg;
    char exe[4096];
    int c, r;

    optind = 0;
    while ((c = getopt_long(argc, argv, "njh", opts, NULL)) != -1) {
        switch (c) {
        case 'n':
            o.dry_run = true;
            break;
        case 'j':
            o.json = true;
            break;
        case 'h':
            usage(stdout);
            return OA_EXIT_OK;
        default:
            return OA_EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "opsagent once: expected one recipe file (opsagent once RECIPE.json)\n");
        return OA_EXIT_USAGE;
    }
    o.recipe_path = argv[optind];
    if (!self_exe(exe, sizeof(exe)))
        return OA_EXIT_SOFTWARE;
    o.self_exe = exe;
    r = load_config(&cfg, true, 0);
    if (r == 0)
        r = oa_once_run(&cfg, &o);
    oa_cfg_done(&cfg);
    return r;
}

/* argv: the whole command line, executed again after a self-update. */
static int cmd_service(bool check, char **argv)
{
    struct oa_cfg cfg;
    char exe[4096];
    int r = load_config(&cfg, false, OA_CFG_REQUIRE_BACKEND);

    if (r == 0)
        r = self_exe(exe, sizeof(exe)) ? oa_service_run(&cfg, exe, check) : OA_EXIT_SOFTWARE;
    oa_cfg_done(&cfg);
    if (r == OA_UPDATE_REEXEC)
        r = oa_update_reexec(exe, argv);
    return r;
}

/* rollback-check: systemd's ExecStartPre, run with the previous binary. */
static int cmd_rollback_check(void)
{
    struct oa_cfg cfg;
    char exe[4096];
    int r = load_config(&cfg, false, 0);

    if (r == 0)
        r = self_exe(exe, sizeof(exe)) ? oa_update_rollback_check(&cfg, exe) : OA_EXIT_SOFTWARE;
    oa_cfg_done(&cfg);
    return r;
}

/* Sends one request on the control socket; returns the parsed answer or
 * NULL (logged). */
static struct oa_json *ask_agent(const struct oa_cfg *cfg, const char *request, struct oa_buf *raw)
{
    struct oa_json *reply;
    const struct oa_json *ok;
    char why[512];

    if (oa_ctl_request(cfg->runtime_dir, request, 5000, raw, why, sizeof(why)) < 0) {
        fprintf(stderr, "opsagent: %s\n", why);
        return NULL;
    }
    if (oa_json_parse(raw->data ? raw->data : "", raw->len, NULL, &reply, why, sizeof(why)) < 0) {
        fprintf(stderr, "opsagent: the agent answered something else than JSON: %s\n", why);
        return NULL;
    }
    ok = oa_json_get(reply, "ok");
    if (!ok || ok->type != OA_JSON_BOOL || !ok->u.boolean) {
        const struct oa_json *err = oa_json_get(reply, "error");
        fprintf(stderr, "opsagent: the agent refused: %s\n",
                err && err->type == OA_JSON_STRING ? err->u.str : "no reason given");
        oa_json_free(reply);
        return NULL;
    }
    return reply;
}

/* status [--json] and stop [--wait|--end]: talk to the running agent. */
static int cmd_control(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"wait", no_argument, NULL, 'w'},
        {"end", no_argument, NULL, 'e'},
        {0},
    };
    bool status = strcmp(argv[0], "status") == 0, json = false;
    const char *mode = "now", *request;
    struct oa_json *reply;
    struct oa_buf raw;
    struct oa_cfg cfg;
    char req[64];
    int c, r;

    optind = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'j' && status)
            json = true;
        else if ((c == 'w' || c == 'e') && !status)
            mode = c == 'w' ? "wait" : "end";
        else
            return OA_EXIT_USAGE;
    }
    if (optind != argc)
        return OA_EXIT_USAGE;
    if ((r = load_config(&cfg, false, 0)) != 0) {
        oa_cfg_done(&cfg);
        return r;
    }
    snprintf(req, sizeof(req), "{\"cmd\":\"stop\",\"mode\":\"%s\"}", mode);
    request = status ? "{\"cmd\":\"status\"}" : req;
    oa_buf_init(&raw, 64u << 20);
    reply = ask_agent(&cfg, request, &raw);
    r = reply ? OA_EXIT_OK : OA_EXIT_UNAVAILABLE;
    if (reply && status && json)
        fputs(raw.data, stdout);
    else if (reply && status)
        oa_status_print(reply, stdout);
    else if (reply)
        printf("stop requested (%s)\n", mode);
    oa_json_free(reply);
    oa_buf_done(&raw);
    oa_cfg_done(&cfg);
    return r;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'}, {"verbose", no_argument, NULL, 'v'},
        {"quiet", no_argument, NULL, 'q'},        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},      {0},
    };
    char **all_argv = argv;
    const char *cmd;
    int c;

    /* A write to a closed pipe or socket must fail with EPIPE, not kill us. */
    signal(SIGPIPE, SIG_IGN);
    oa_log_init();
    while ((c = getopt_long(argc, argv, "+c:vqhV", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            arg_config = optarg;
            break;
        case 'v':
            arg_verbosity = 1;
            break;
        case 'q':
            arg_verbosity = -1;
            break;
        case 'h':
            usage(stdout);
            return OA_EXIT_OK;
        case 'V':
            printf("opsagent %s\n", OA_VERSION);
            return OA_EXIT_OK;
        default:
            usage(stderr);
            return OA_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return OA_EXIT_USAGE;
    }
    /* -v and -q apply to the config loading too; loglvl comes after it. */
    if (arg_verbosity)
        oa_log_set_level(arg_verbosity > 0 ? OA_LOG_DEBUG : OA_LOG_WARNING);
    cmd = argv[optind];
    argc -= optind;
    argv += optind;
    if (strcmp(cmd, "exec-state") == 0)
        return oa_builtins_exec_state();
    if (strcmp(cmd, "exec-prepare") == 0)
        return oa_modrepo_exec_prepare();
    if (strcmp(cmd, "exec-update") == 0)
        return oa_update_exec_child();
    if (strcmp(cmd, "rollback-check") == 0)
        return cmd_rollback_check();
    if (strcmp(cmd, "once") == 0)
        return cmd_once(argc, argv);
    if (strcmp(cmd, "run") == 0 || strcmp(cmd, "check") == 0)
        return cmd_service(strcmp(cmd, "check") == 0, all_argv);
    if (strcmp(cmd, "status") == 0 || strcmp(cmd, "stop") == 0)
        return cmd_control(argc, argv);
    fprintf(stderr, "opsagent: unknown command '%s'\n", cmd);
    usage(stderr);
    return OA_EXIT_USAGE;
}
