#!/bin/bash
# common.timezone (modules.md §8.1) without systemd: /etc/localtime becomes
# a symlink to the zone (the fixtures check it with `ls -l`), /etc/timezone
# names it, a zone linked to another (Asia/Chongqing → Asia/Shanghai) can
# still be chosen, a no-op when content and names match, use-utc in the third
# line of /etc/adjtime (first two lines kept; created when missing) or in
# UTC= of /etc/default/rcS where there is no adjtime, a dry run that changes
# nothing, the fixture's `use_utc` key warned about and ignored, the
# refusals, and RHEL 6's /etc/sysconfig/clock (ZONE=, UTC=) with a faked
# os-release. Root only, in a sandbox (private /etc; /run/systemd hidden so
# that timedatectl is never used on the real clock).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-accounts.sh"
[ -f /usr/share/zoneinfo/Asia/Shanghai ] || { echo "SKIP: tzdata is not installed"; exit 77; }
in_sandbox "$@"
sandbox_tmpfs /run/systemd

ln -sfn /usr/share/zoneinfo/Etc/UTC /etc/localtime
echo Etc/UTC >/etc/timezone
rm -f /etc/adjtime /etc/default/rcS
link() { readlink /etc/localtime; }

# The basic fixture.
agent once --json "$OA_SOURCE_DIR/test/fixtures/visualops-recipes/basic/linux.timezone.json"
expect_rc 0
[ "$(json_field 1 state_comment)" = "Time zone set to Asia/Shanghai (was Etc/UTC)" ] ||
    fail "comment: $(json_field 1 state_comment)"
[ "$(link)" = /usr/share/zoneinfo/Asia/Shanghai ] || fail "link: $(link)"
[ "$(cat /etc/timezone)" = Asia/Shanghai ] || fail "/etc/timezone: $(cat /etc/timezone)"
[ ! -e /etc/adjtime ] || fail "/etc/adjtime was written without use-utc"
run_state common.timezone '{"name": "Asia/Shanghai"}'
expect_state true false "Time zone is Asia/Shanghai: no changes"
[ ! -s "$T/out" ] || fail "output of a no-op: $(cat "$T/out")"

# The complex fixture: Chongqing (the same content as Shanghai), checked
# with ls -l, then Shanghai with use-utc false.
run_state common.timezone '{"name": "Asia/Chongqing"}'
expect_state true true "Time zone set to Asia/Chongqing (was Asia/Shanghai)"
# shellcheck disable=SC2010 # the fixture's own check
ls -l /etc/localtime | grep -q Chongqing || fail "ls -l: $(ls -l /etc/localtime)"
run_state common.timezone '{"name": "Asia/Chongqing"}'
expect_state true false "Time zone is Asia/Chongqing: no changes"
run_state common.timezone '{"name": "Asia/Shanghai", "use-utc": false}'
expect_state true true "Time zone set to Asia/Shanghai (was Asia/Chongqing); hardware clock set to local time (was UTC)"
# shellcheck disable=SC2010 # the fixture's own check
ls -l /etc/localtime | grep -q Shanghai || fail "ls -l: $(ls -l /etc/localtime)"
[ "$(cat /etc/adjtime)" = "0.0 0 0.0
0
LOCAL" ] || fail "adjtime: $(cat /etc/adjtime)"
run_state common.timezone '{"name": "Asia/Shanghai", "use-utc": "n"}'
expect_state true false "Time zone is Asia/Shanghai, hardware clock in local time: no changes"

# A dry run changes nothing.
cp -P /etc/localtime "$T/localtime.before"
cp /etc/adjtime "$T/adjtime.before"
run_state common.timezone '{"name": "Europe/Paris", "use-utc": true}' dry
expect_state true true "would set the time zone to Europe/Paris (now Asia/Shanghai); would set the hardware clock to UTC (now local time)"
[ "$(link)" = /usr/share/zoneinfo/Asia/Shanghai ] || fail "the dry run changed the link"
cmp -s /etc/adjtime "$T/adjtime.before" || fail "the dry run changed /etc/adjtime"
[ "$(cat /etc/timezone)" = Asia/Shanghai ] || fail "the dry run changed /etc/timezone"

# use-utc ("y") in adjtime: the drift lines stay.
printf '1.5 1700000000 0.0\n1700000000\nLOCAL\n' >/etc/adjtime
run_state common.timezone '{"name": "Asia/Shanghai", "use-utc": "y"}'
expect_state true true "Hardware clock set to UTC (was local time)"
[ "$(cat /etc/adjtime)" = "1.5 1700000000 0.0
1700000000
UTC" ] || fail "adjtime: $(cat /etc/adjtime)"
# The fixture's `use_utc` key is warned about and does nothing.
run_state common.timezone '{"name": "Asia/Shanghai", "use_utc": false}'
expect_state true false "Time zone is Asia/Shanghai: no changes"
expect_line out "^ignoring unknown parameter 'use_utc'$"
grep -qx UTC /etc/adjtime || fail "use_utc changed the clock"
agent once --json "$OA_SOURCE_DIR/test/fixtures/visualops-recipes/common.timezone.json"
expect_rc 0
[ "$(json_field 1 state_comment)" = "Time zone set to Asia/Chongqing (was Asia/Shanghai)" ] ||
    fail "comment: $(json_field 1 state_comment)"
[ "$(json_field 1 state_stdout | head -n 1)" = "ignoring unknown parameter 'use_utc'" ] ||
    fail "output: $(json_field 1 state_stdout)"

# Old Debian without /etc/adjtime: UTC= of /etc/default/rcS.
rm /etc/adjtime
printf 'TMPTIME=0\nUTC=yes\nVERBOSE=no\n' >/etc/default/rcS
run_state common.timezone '{"name": "Asia/Chongqing", "use-utc": false}'
expect_state true true "Hardware clock set to local time (was UTC)"
[ "$(cat /etc/default/rcS)" = "TMPTIME=0
UTC=no
VERBOSE=no" ] || fail "rcS: $(cat /etc/default/rcS)"
[ ! -e /etc/adjtime ] || fail "/etc/adjtime was created"
run_state common.timezone '{"name": "Asia/Chongqing", "use-utc": false}'
expect_state true false "Time zone is Asia/Chongqing, hardware clock in local time: no changes"
rm /etc/default/rcS

# /etc/localtime as a copy (not a link) of the zone with /etc/timezone
# naming it: the content decides, nothing to do.
cp --remove-destination /usr/share/zoneinfo/Europe/Paris /etc/localtime
echo Europe/Paris >/etc/timezone
run_state common.timezone '{"name": "Europe/Paris", "use-utc": true}'
expect_state true false "Time zone is Europe/Paris, hardware clock in UTC: no changes"
[ ! -L /etc/localtime ] || fail "a matching copy was replaced"
# A copy of another zone is replaced by a link.
run_state common.timezone '{"name": "America/New_York"}'
expect_state true true "Time zone set to America/New_York (was Europe/Paris)"
[ "$(link)" = /usr/share/zoneinfo/America/New_York ] || fail "link: $(link)"
# No /etc/localtime at all (some containers).
rm /etc/localtime /etc/timezone
run_state common.timezone '{"name": "UTC"}'
expect_state true true "Time zone set to UTC (was unknown)"
[ "$(link)" = /usr/share/zoneinfo/UTC ] && [ "$(cat /etc/timezone)" = UTC ] || fail "UTC not set"

# Refusals: nothing changes.
cp -P /etc/localtime "$T/localtime.before"
run_state common.timezone '{"name": "Mars/Olympus_Mons"}'
expect_state false false "unknown time zone 'Mars/Olympus_Mons': /usr/share/zoneinfo/Mars/Olympus_Mons: does not exist"
run_state common.timezone '{"name": "Asia"}'
expect_state false false "unknown time zone 'Asia': /usr/share/zoneinfo/Asia: not a zone file"
run_state common.timezone '{"name": "../../../etc/shadow"}'
expect_state false false "parameter 'name': '../../../etc/shadow' is not a time zone name"
run_state common.timezone '{"name": "/usr/share/zoneinfo/UTC"}'
expect_state false false "parameter 'name': '/usr/share/zoneinfo/UTC' is not a time zone name"
run_state common.timezone '{"use-utc": true}'
expect_state false false "missing required parameter 'name'"
run_state common.timezone '{"name": "UTC", "use-utc": "sometimes"}'
expect_state_re false false "parameter 'use-utc': expected a boolean.*"
[ "$(link)" = /usr/share/zoneinfo/UTC ] || fail "a refused state changed the link"

# A write that fails: /etc/adjtime is a directory.
mkdir /etc/adjtime
run_state common.timezone '{"name": "UTC", "use-utc": false}'
expect_state_re false false "/etc/adjtime: cannot rename into place: Is a directory"
rmdir /etc/adjtime

# RHEL 6 (its os-release faked in the private /etc): the name goes to ZONE=
# and the clock mode to UTC= of /etc/sysconfig/clock when there is no
# adjtime; /etc/timezone is Debian's and is not written.
rm -f /etc/os-release /etc/timezone
printf 'ID="centos"\nID_LIKE="rhel fedora"\nVERSION_ID="6"\nPRETTY_NAME="CentOS release 6"\n' >/etc/os-release
mkdir -p /etc/sysconfig
printf 'ZONE="America/New_York"\nUTC=true\nARC=false\n' >/etc/sysconfig/clock
ln -sfn /usr/share/zoneinfo/America/New_York /etc/localtime
run_state common.timezone '{"name": "Asia/Tokyo", "use-utc": false}'
expect_state true true "Time zone set to Asia/Tokyo (was America/New_York); hardware clock set to local time (was UTC)"
[ "$(cat /etc/sysconfig/clock)" = 'ZONE="Asia/Tokyo"
UTC=false
ARC=false' ] || fail "clock: $(cat /etc/sysconfig/clock)"
[ "$(link)" = /usr/share/zoneinfo/Asia/Tokyo ] || fail "link: $(link)"
[ ! -e /etc/timezone ] && [ ! -e /etc/adjtime ] || fail "Debian's files written on RHEL"
run_state common.timezone '{"name": "Asia/Tokyo", "use-utc": false}'
expect_state true false "Time zone is Asia/Tokyo, hardware clock in local time: no changes"
# ZONE= naming another zone than the link: corrected.
sed -i 's|^ZONE=.*|ZONE="Japan"|' /etc/sysconfig/clock
run_state common.timezone '{"name": "Asia/Tokyo"}'
expect_state true true "Time zone set to Asia/Tokyo (was Japan)"
grep -qx 'ZONE="Asia/Tokyo"' /etc/sysconfig/clock || fail "clock: $(cat /etc/sysconfig/clock)"
