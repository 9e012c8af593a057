#!/bin/bash
# linux.apt.package: where packages come from (modules.md §5.0, §5.1, §D).
# A .deb file entry (a local path, or an http URL on 127.0.0.1 downloaded
# through the agent's client) is handled together with repository entries
# and is never fetched again once its package is installed; deb-conf-file
# is loaded with debconf-set-selections before installing; `repo` is the
# apt target release; verify-gpg false allows an unsigned repository, absent
# or true refuses it; the fixture's quirks (unknown keys, an option written
# as a package) and invalid parameters fail or warn as the spec says.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-pkg.sh"
need_tools dpkg-deb dpkg-scanpackages
in_sandbox "$@"
pkg_sandbox

R="$T/repo" F="$T/files"
mkdeb "$R" oa-test 1.0
mkdeb "$R" oa-test 2.0
mkdeb "$R" oa-conf 1.0 '. /usr/share/debconf/confmodule
db_get oa-conf/greeting
echo "$RET" >/opt/oa-test/greeting' 'Template: oa-conf/greeting
Type: string
Default: default greeting
Description: what the test package writes'
index_repo "$R"
mkdeb "$T/bpo" oa-test 3.0~bpo1
index_repo "$T/bpo" oa-backports yes
add_source "deb [trusted=yes] file:$R ./"
add_source "deb [trusted=yes] file:$T/bpo ./"
mkdeb "$F" oa-local 1.0
mkdeb "$F" oa-local2 1.0
mkdeb "$F" oa-web 1.0

# A loopback HTTP server for the .deb URLs.
PY=/usr/bin/python3
$PY -u -m http.server 0 --bind 127.0.0.1 --directory "$F" >"$T/http.log" 2>&1 &
http_pid=$!
trap 'rc=$?; kill $http_pid 2>/dev/null; at_exit "$rc"' EXIT
for _ in $(seq 100); do
    HP=$(sed -n 's/.* port \([0-9][0-9]*\).*/\1/p' "$T/http.log" | head -n 1)
    [ -n "$HP" ] && break
    sleep 0.1
done
[ -n "$HP" ] || fail "no HTTP server port: $(cat "$T/http.log")"
U="http://127.0.0.1:$HP"

# ---- Invalid parameters fail before anything is touched.
st linux.apt.package '{}'
expect_state false false "missing required parameter 'name'"
st linux.apt.package '{"name": [{"key": "-oAPT::Get::Foo=1"}]}'
expect_state false false "parameter 'name': '-oAPT::Get::Foo=1' is not a valid package name"
st linux.apt.package '{"name": {"oa-test": "1.0; reboot"}}'
expect_state false false "parameter 'name': '1.0; reboot' is not a valid version"
st linux.apt.package '{"name": {"oa-test": "pkgs/oa-test.deb"}}'
expect_state false false "parameter 'name': 'pkgs/oa-test.deb' is neither an absolute path nor an http(s) URL"
st linux.apt.package '{"name": {"oa-test": "/tmp/oa-test.rpm"}}'
expect_state false false "parameter 'name': '/tmp/oa-test.rpm' is not a .deb file"
st linux.apt.package '{"name": {"oa-test": "ftp://example.invalid/oa-test.deb"}}'
expect_state false false "parameter 'name': 'ftp://example.invalid/oa-test.deb': only http:// and https:// URLs are supported"
st linux.apt.package '{"name": {"oa-test": ""}, "deb-conf-file": "debconf.conf"}'
expect_state false false "parameter 'deb-conf-file': 'debconf.conf' is not an absolute path"
st linux.apt.package '{"name": {"oa-test": ""}, "repo": "-oAPT::x"}'
expect_state false false "parameter 'repo': '-oAPT::x' is not a release name"
st linux.apt.package '{"name": {"oa-test": ""}, "verify-gpg": "perhaps"}'
expect_rc 1
expect_line result 'parameter .verify-gpg.: expected a boolean'
[ ! -d /var/lib/apt/lists/partial ] || fail "an invalid state touched apt"

# ---- File entries together with repository entries, in one apt-get call.
st linux.apt.package "{\"name\": {\"oa-test\": \"\", \"oa-local\": \"$F/oa-local_1.0_all.deb\"}}" dry
expect_state true true "would install: oa-test (not in the local package index yet), oa-local from $F/oa-local_1.0_all.deb"
st linux.apt.package "{\"name\": {\"oa-test\": \"\", \"oa-local\": \"$F/oa-local_1.0_all.deb\"}}"
expect_state true true "installed: oa-test 2.0, oa-local 1.0"
expect_line out " install oa-test $F/oa-local_1.0_all.deb\$"
[ "$(cat /opt/oa-test/oa-local.conf)" = "oa-local 1.0" ] || fail "oa-local's file is missing"
st linux.apt.package "{\"name\": {\"oa-test\": \"\", \"oa-local\": \"$F/oa-local_1.0_all.deb\"}}"
expect_state true false "already ok: oa-test 2.0, oa-local 1.0; no changes"
# A missing file, found out by the dry run too.
st linux.apt.package "{\"name\": {\"oa-gone\": \"$F/oa-gone_1.0_all.deb\"}}" dry
expect_state false false "failed: oa-gone (the file does not exist)"
st linux.apt.package "{\"name\": {\"oa-gone\": \"$F/oa-gone_1.0_all.deb\"}}"
expect_state false false "failed: oa-gone (the file does not exist)"
# The key must be the package's name: the check afterwards says so.
st linux.apt.package "{\"name\": {\"oa-wrong\": \"$F/oa-local2_1.0_all.deb\"}}"
expect_state false false "failed: oa-wrong (not installed afterwards)"

# A URL: downloaded into a private directory, removed afterwards; never
# downloaded again once installed; the dry run downloads nothing.
st linux.apt.package "{\"name\": {\"oa-web\": \"$U/oa-web_1.0_all.deb\"}}" dry
expect_state true true "would install: oa-web from $U/oa-web_1.0_all.deb"
st linux.apt.package "{\"name\": {\"oa-web\": \"$U/oa-web_1.0_all.deb\"}}"
expect_state true true "installed: oa-web 1.0"
expect_line out "^downloading $U/oa-web_1.0_all.deb\$"
expect_line out ' install /tmp/opsagent-pkg\.[A-Za-z0-9]+/oa-web_1\.0_all\.deb$'
[ -z "$(ls -d /tmp/opsagent-pkg.* 2>/dev/null)" ] || fail "the download directory was left behind"
[ "$(grep -c 'GET /oa-web_1.0_all.deb' "$T/http.log")" = 1 ] || fail "expected one download"
st linux.apt.package "{\"name\": {\"oa-web\": \"$U/oa-web_1.0_all.deb\"}}"
expect_state true false "already ok: oa-web 1.0; no changes"
[ "$(grep -c 'GET /oa-web_1.0_all.deb' "$T/http.log")" = 1 ] || fail "downloaded again"
st linux.apt.package "{\"name\": {\"oa-missing\": \"$U/oa-missing_1.0_all.deb\"}}"
expect_rc 1
expect_line result "failed: oa-missing \\(.*404"

# ---- deb-conf-file: loaded before installing, and only then.
st linux.apt.package '{"name": {"oa-conf": ""}, "deb-conf-file": "/nonexistent/preseed"}'
expect_state false false "failed: oa-conf (the debconf file /nonexistent/preseed does not exist)"
expect_dpkg oa-conf unknown
echo 'oa-conf oa-conf/greeting string preseeded greeting' >"$T/preseed"
st linux.apt.package "{\"name\": {\"oa-conf\": \"\"}, \"deb-conf-file\": \"$T/preseed\"}"
expect_state true true "installed: oa-conf 1.0"
expect_line out "^\\+ debconf-set-selections $T/preseed\$"
[ "$(cat /opt/oa-test/greeting)" = "preseeded greeting" ] || fail "debconf answer: $(cat /opt/oa-test/greeting)"
st linux.apt.package "{\"name\": {\"oa-conf\": \"\"}, \"deb-conf-file\": \"$T/preseed\"}"
expect_state true false "already ok: oa-conf 1.0; no changes"
expect_no_line out debconf-set-selections

# ---- repo: the target release (priority 100 suite, like backports).
st linux.apt.package '{"name": {"oa-test": "latest"}}'
expect_state true false "already ok: oa-test 2.0; no changes"
st linux.apt.package '{"name": {"oa-test": "latest"}, "repo": "oa-backports"}'
expect_state true true "upgraded: oa-test 2.0 → 3.0~bpo1"
expect_line out ' -t oa-backports install oa-test$'
st linux.apt.package '{"name": {"oa-test": "latest"}, "repo": "oa-backports"}'
expect_state true false "already ok: oa-test 3.0~bpo1; no changes"
st linux.apt.package '{"name": {"oa-nothere": ""}, "repo": "no-such-release"}'
expect_rc 1
expect_line result "failed: oa-nothere \\(apt-cache failed: E: The value 'no-such-release' is invalid"

# ---- The fixtures' quirks: unknown keys are warned about; an option
# written as a package is a package that does not exist.
st linux.apt.package '{"name": [{"key": "oa-test"}, {"key": "fromrepo", "value": "opscode"}], "fromrepo": "opscode", "verify_gpg": false, "debconf": "/tmp/debconf.conf"}'
expect_rc 1
expect_state false false "already ok: oa-test 3.0~bpo1; failed: fromrepo (no such package in the package index)"
expect_line out "^ignoring unknown parameter 'fromrepo'\$"
expect_line out "^ignoring unknown parameter 'verify_gpg'\$"
expect_line out "^ignoring unknown parameter 'debconf'\$"

# ---- verify-gpg: an unsigned repository (no Release file).
mkdeb "$T/unsigned" oa-unsigned 1.0
(cd "$T/unsigned" && dpkg-scanpackages -m . /dev/null 2>/dev/null | gzip -9 >Packages.gz)
add_source "deb file:$T/unsigned ./"
st linux.apt.package '{"name": {"oa-unsigned": ""}}'
expect_rc 1
expect_state false false "failed: oa-unsigned (no such package in the package index)"
expect_line out 'refreshing the package index failed; carrying on'
st linux.apt.package '{"name": {"oa-unsigned": ""}, "verify-gpg": "n"}'
expect_state true true "installed: oa-unsigned 1.0"
expect_line out ' --allow-insecure-repositories update$'
expect_line out ' --allow-unauthenticated install oa-unsigned$'
st linux.apt.package '{"name": {"oa-unsigned": "purged"}}'
expect_state true true "purged: oa-unsigned"
# Known to the index now, but verification refuses it.
st linux.apt.package '{"name": {"oa-unsigned": ""}, "verify-gpg": true}'
expect_rc 1
expect_state false false "failed: oa-unsigned (apt-get install exited with status 100)"
expect_line err 'There were unauthenticated packages'
expect_dpkg oa-unsigned unknown
echo ok
