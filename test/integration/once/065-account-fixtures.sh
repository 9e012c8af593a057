#!/bin/bash
# The original authors' complex recipes for linux.group, linux.user,
# linux.cronjob and common.timezone, replayed state by state as their old
# harness did (each state runs whatever the one before returned) and each
# result checked against its `_` annotation (True, False, True|False). Paths
# are moved under the test's directory (/tmp/test, /visualops1) and the one
# linux.dir step is done with mkdir/chown/chmod, so that only the sandbox
# changes: private /etc, tmpfs /home, spool and /run/systemd. Needs cron.
. "$(dirname "$0")/../lib.sh"
command -v crontab >/dev/null || { echo "SKIP: crontab is not installed (Debian package cron)"; exit 77; }
in_sandbox "$@"
sandbox_tmpfs /home /var/spool/cron /run/systemd
mkdir -p /var/spool/cron/crontabs
chgrp crontab /var/spool/cron/crontabs
chmod 1730 /var/spool/cron/crontabs
# The cron recipe starts with `crontab -r`, which must find a crontab.
echo '0 0 1 1 * true' | crontab -u root -
ln -sfn /usr/share/zoneinfo/Etc/UTC /etc/localtime

# replay FILE: runs every state of the fixture through exec-state and
# prints one line per state; exits 1 when a result contradicts its note.
replay() {
    /usr/bin/python3 - "$1" "$T" "$OPSAGENT" <<'PY'
import json, re, subprocess, sys
path, tmp, opsagent = sys.argv[1:]
states = json.load(open(path))["component"]["init"]["state"]
bad = 0
for i, s in enumerate(states, 1):
    module, param = s["module"], s["parameter"]
    text = json.dumps(param).replace("/tmp/test", tmp + "/test")
    text = text.replace('"/visualops1"', json.dumps(tmp + "/visualops1"))
    param = json.loads(text)
    if module == "linux.dir":
        p = param["path"][0]
        cmd = "mkdir -p %s && chown %s:%s %s" % (p, param.get("user", "root"), param.get("group", "root"), p)
        if "mode" in param:
            cmd += " && chmod %s %s" % (param["mode"], p)
        module, param = "linux.cmd", {"cmd": cmd}
    req = {"id": s["id"], "module": module, "parameter": param, "dry_run": False, "watch_dir": None}
    # Without fd 3 the result is the last line of stdout; the rest (and
    # stderr) goes to our stderr, where sanitizer reports are looked for.
    r = subprocess.run([opsagent, "exec-state"], input=json.dumps(req).encode(),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    lines = r.stdout.decode(errors="replace").splitlines()
    sys.stderr.write("\n".join(lines[:-1] + [r.stderr.decode(errors="replace")]))
    res = json.loads(lines[-1])
    m = re.search(r"- *(True\|False|True/False|True|False)\s*$", s.get("_", ""))
    want = m.group(1) if m else "any"
    ok = want in ("any", "True|False", "True/False") or want == str(res["result"])
    bad += not ok
    print("%s %2d %-16s %-5s (note %s): %s" % ("ok  " if ok else "BAD ", i, s["module"],
          res["result"], want, res["comment"]))
sys.exit(1 if bad else 0)
PY
}

F="$OA_SOURCE_DIR/test/fixtures/visualops-recipes/complex"
for f in linux.group linux.user linux.cronjob linux.timezone; do
    replay "$F/$f.complex.json" >"$T/out" 2>"$T/err" || fail "$f.complex.json: a result contradicts its note"
    cat "$T/out"
    no_sanitizer_report
done
