#!/bin/bash
# linux.cronjob (modules.md §7.3): jobs added below our marker (or the
# original's Salt marker), a no-op when present, schedules rewritten in
# place, other lines kept, root when no user is given, another user's
# crontab, a dry run that writes nothing (also when crontab itself would
# first be installed), and the refusals: unknown user, empty or multi-line
# command, a bad time field, a crontab that cannot be written. Root only, in
# a sandbox with a tmpfs spool; needs Debian's cron package (crontab).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-accounts.sh"
command -v crontab >/dev/null || { echo "SKIP: crontab is not installed (Debian package cron)"; exit 77; }
in_sandbox "$@"
sandbox_tmpfs /var/spool/cron
spool() {
    mkdir -p /var/spool/cron/crontabs
    chgrp crontab /var/spool/cron/crontabs
    chmod 1730 /var/spool/cron/crontabs
}
spool
M='# Lines below here are managed by opsagent, do not edit'

# The basic fixture: one command for root.
agent once --json "$OA_SOURCE_DIR/test/fixtures/visualops-recipes/basic/linux.cronjob.json"
expect_rc 0
[ "$(json_field 1 state_comment)" = "Cron jobs of root: added 'ntpdate time.apple.com'" ] ||
    fail "comment: $(json_field 1 state_comment)"
[ "$(crontab -u root -l)" = "$M
* * * * * ntpdate time.apple.com" ] || fail "crontab: $(crontab -u root -l)"

# Again, without `user` (root): nothing to do.
cp /var/spool/cron/crontabs/root "$T/root.before"
run_state linux.cronjob '{"cmd": ["ntpdate time.apple.com"]}'
expect_state true false "Cron jobs of root are up to date: 'ntpdate time.apple.com' present"
cmp -s /var/spool/cron/crontabs/root "$T/root.before" || fail "a no-op rewrote the crontab"

# The complex fixture's full parameters, as a dry run, then for real: the
# existing entry gets the new schedule in place, the new one is appended.
full='{"cmd": ["ntpdate time.apple.com", "echo toto >> /tmp/toto.cron 2>&1"], "day-of-month": "*/3",
  "day-of-week": "*/5", "hour": "*/2", "minute": "*/1", "month": "*/4", "user": "root"}'
run_state linux.cronjob "$full" dry
expect_state true true "crontab of root: would update the schedule 'ntpdate time.apple.com'; would add 'echo toto >> /tmp/toto.cron 2>&1'"
cmp -s /var/spool/cron/crontabs/root "$T/root.before" || fail "the dry run changed the crontab"
run_state linux.cronjob "$full"
expect_state true true "Cron jobs of root: schedule updated 'ntpdate time.apple.com'; added 'echo toto >> /tmp/toto.cron 2>&1'"
[ "$(crontab -u root -l)" = "$M
*/1 */2 */3 */4 */5 ntpdate time.apple.com
*/1 */2 */3 */4 */5 echo toto >> /tmp/toto.cron 2>&1" ] || fail "crontab: $(crontab -u root -l)"
run_state linux.cronjob "$full"
expect_state true false "Cron jobs of root are up to date: 'ntpdate time.apple.com' present; 'echo toto >> /tmp/toto.cron 2>&1' present"

# Another user's crontab, written by hand before, with the original's
# marker: comments, variables and other jobs stay; new jobs go at the end;
# blanks around the command and between fields do not matter; % is kept.
add_user cronuser 4801
printf 'MAILTO=""\n# mine\n0 1 * * * /bin/mine\n# Lines below here are managed by Salt, do not edit\n5  4 * * *   /usr/bin/old  \n' >"$T/ct"
crontab -u cronuser "$T/ct"
run_state linux.cronjob '{"user": "cronuser", "cmd": [" /usr/bin/old ", "date +%d >> /tmp/d"], "minute": "5", "hour": "4"}'
expect_state true true "Cron jobs of cronuser: '/usr/bin/old' present; added 'date +%d >> /tmp/d'"
[ "$(crontab -u cronuser -l)" = 'MAILTO=""
# mine
0 1 * * * /bin/mine
# Lines below here are managed by Salt, do not edit
5  4 * * *   /usr/bin/old  
5 4 * * * date +%d >> /tmp/d' ] || fail "crontab: $(crontab -u cronuser -l)"
! crontab -u root -l | grep -qF '%d' || fail "root's crontab was changed"
# Month and day names.
run_state linux.cronjob '{"user": "cronuser", "cmd": "/bin/weekly", "day-of-week": "mon-fri", "month": "jan,jul"}'
expect_state true true "Cron jobs of cronuser: added '/bin/weekly'"
crontab -u cronuser -l | grep -qx '\* \* \* jan,jul mon-fri /bin/weekly' || fail "crontab: $(crontab -u cronuser -l)"

# Refusals: nothing is written.
cp /var/spool/cron/crontabs/root "$T/root.before"
run_state linux.cronjob '{"cmd": [""]}'
expect_state false false "parameter 'cmd': command 1 is empty"
run_state linux.cronjob '{"cmd": ["true", "   "]}'
expect_state false false "parameter 'cmd': command 2 is empty"
run_state linux.cronjob '{"cmd": ["echo a\necho b"]}'
expect_state false false "parameter 'cmd': command 1 is not a single line"
run_state linux.cronjob '{"cmd": []}'
expect_state false false "missing required parameter 'cmd'"
run_state linux.cronjob '{"cmd": ["true"], "minute": "1 2"}'
expect_state false false "parameter 'minute': '1 2' is not a cron time field"
run_state linux.cronjob '{"cmd": ["true"], "hour": "*;reboot"}'
expect_state false false "parameter 'hour': '*;reboot' is not a cron time field"
run_state linux.cronjob '{"cmd": ["true"], "user": "nosuchuser"}'
expect_state false false "user nosuchuser does not exist"
cmp -s /var/spool/cron/crontabs/root "$T/root.before" || fail "a refused state changed the crontab"

# crontab cannot write (a read-only spool): its message in the output.
mount -o remount,ro /var/spool/cron
run_state linux.cronjob '{"cmd": ["true"]}'
expect_state false false "cannot write the crontab of root: crontab exited with status 1"
expect_line err "Read-only file system"
mount -o remount,rw /var/spool/cron
cmp -s /var/spool/cron/crontabs/root "$T/root.before" || fail "the failed write changed the crontab"

# crontab missing (hidden here): a dry run says it would install cron and
# what it would add, without reading any crontab.
mount --bind /dev/null "$(command -v crontab)"
run_state linux.cronjob '{"cmd": ["true"]}' dry
expect_state true true "crontab of root: would add 'true'"
expect_line out "^would install the package cron \\(for crontab\\)$"
