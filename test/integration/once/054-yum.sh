#!/bin/bash
# The yum side (modules.md §1.5, §5.2, §5.5) on this Debian machine. On
# Debian, linux.yum.package and linux.yum.repo refuse to run, the fixtures
# included. Then the sandbox pretends to be CentOS 7 (its private
# /etc/os-release): the apt modules refuse, and the yum modules run against
# Debian's rpm with a sandboxed rpm database and a stand-in `yum` (in a
# tmpfs /usr/local/sbin) that records its arguments and installs RPMs built
# here with rpmbuild. This checks the yum calls the modules make and their
# reading of rpm's answers; real yum and dnf need a RHEL-family host.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-pkg.sh"
need_tools rpm rpmbuild
in_sandbox "$@"
mkdir -p "$T/state"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY
FIX="$OA_SOURCE_DIR/test/fixtures/visualops-recipes"
config c "[global]
state_dir = $T/state
runtime_dir = $T/run"

# ---- On Debian: refused, nothing written.
. /etc/os-release
debian=$PRETTY_NAME
st linux.yum.package '{"name": {"nginx": ""}}'
expect_rc 1
expect_state false false "module linux.yum.package is not available on $debian"
st linux.yum.package '{"name": {"nginx": ""}}' dry
expect_state false false "module linux.yum.package is not available on $debian"
st linux.yum.repo '{"name": "mongodb", "content": "[mongodb]\n"}'
expect_state false false "module linux.yum.repo is not available on $debian"
[ ! -e /etc/yum.repos.d/mongodb.repo ] || fail "the refused state wrote its file"
for f in basic/linux.yum.package.json basic/linux.yum.repo.json complex/linux.yum.repo.complex.json; do
    module=$(/usr/bin/python3 -c '
import json, sys
print(json.load(open(sys.argv[1]))["component"]["init"]["state"][0]["module"])' "$FIX/$f")
    agent -c "$T/c.conf" once --json "$FIX/$f"
    expect_rc 1
    [ "$(json_field 1 state_comment)" = "module $module is not available on $debian" ] ||
        fail "$f: $(json_field 1 state_comment)"
done

# ---- Pretend to be CentOS 7.
rm -f /etc/os-release
printf 'NAME="CentOS Linux"\nVERSION="7 (Core)"\nID="centos"\nID_LIKE="rhel fedora"\nVERSION_ID="7"\nPRETTY_NAME="CentOS Linux 7 (Core)"\n' >/etc/os-release
st linux.apt.package '{"name": {"nginx": ""}}'
expect_state false false "module linux.apt.package is not available on CentOS Linux 7 (Core)"
st linux.apt.repo '{"name": "x", "content": "deb http://example.invalid/ x main\n"}'
expect_state false false "module linux.apt.repo is not available on CentOS Linux 7 (Core)"
st linux.yum.package '{"name": {"nginx": ""}}'
expect_state false false "yum is not installed"

# A sandboxed rpm database, RPMs, and the stand-in yum.
mkdir -p /etc/rpm "$T/rpmdb" "$T/yumrepo" "$T/files"
echo "%_dbpath $T/rpmdb" >/etc/rpm/macros
mkrpm() { # mkrpm DIR NAME VERSION [EPOCH]
    cat >"$T/spec" <<SPEC
Name: $2
Version: $3
Release: 1
${4:+Epoch: $4}
Summary: opsagent test package
License: Apache-2.0
BuildArch: noarch
%description
opsagent test package
%install
mkdir -p %{buildroot}/opt/oa-test
echo "$2 $3" >%{buildroot}/opt/oa-test/$2.txt
%files
/opt/oa-test/$2.txt
SPEC
    rpmbuild -bb --quiet --define "_topdir $T/rpmbuild" "$T/spec" >/dev/null 2>&1 ||
        fail "rpmbuild $2 $3"
    mv "$T"/rpmbuild/RPMS/noarch/*.rpm "$1/"
}
mkrpm "$T/yumrepo" oa-rpm 1.0
mkrpm "$T/yumrepo" oa-rpm 2.0
mkrpm "$T/yumrepo" oa-epoch 1.0 2
mkrpm "$T/files" oa-file 1.0
mkrpm "$T/files" oa-release 1.0
sandbox_tmpfs /usr/local/sbin
cat >/usr/local/sbin/yum <<YUM
#!/bin/bash
# Stand-in for yum: records its arguments, answers check-update from the
# test's repository, installs and removes with rpm.
echo "yum \$*" >>"$T/yum.log"
args=()
for a in "\$@"; do
    case \$a in -y|-q|-C|--nogpgcheck|--disablerepo=*|--enablerepo=*) ;; *) args+=("\$a") ;; esac
done
set -- "\${args[@]}"
verb=\$1
shift
file_for() {
    for f in \$(ls "$T"/yumrepo/*.rpm | sort -Vr); do
        nv=\$(rpm -qp --qf '%{NAME} %{NAME}-%{VERSION} %{NAME}-%{VERSION}-%{RELEASE}' "\$f")
        for w in \$nv; do [ "\$w" = "\$1" ] && { echo "\$f"; return 0; }; done
    done
    return 1
}
case \$verb in
makecache) exit 0 ;;
check-update)
    f=\$(file_for "\$1") || exit 0
    new=\$(rpm -qp --qf '%{VERSION}-%{RELEASE}' "\$f")
    [ "\$new" = "\$(rpm -q --qf '%{VERSION}-%{RELEASE}' "\$1")" ] && exit 0
    printf '\n%s.noarch    %s    oa-test\n' "\$1" "\$new"
    exit 100 ;;
install|update|downgrade|localinstall)
    files=()
    for s in "\$@"; do
        if [ -f "\$s" ]; then files+=("\$s")
        else f=\$(file_for "\$s") || { echo "No package \$s available."; exit 1; }; files+=("\$f"); fi
    done
    exec rpm -U --oldpackage --replacepkgs --nodeps "\${files[@]}" ;;
remove) exec rpm -e --nodeps "\$@" ;;
esac
exit 1
YUM
chmod 755 /usr/local/sbin/yum
: >"$T/yum.log"
yum_calls() { cat "$T/yum.log"; : >"$T/yum.log"; }
expect_calls() {
    local got
    got=$(yum_calls)
    [ "$got" = "$1" ] || fail "yum calls: '$got', expected '$1'"
}

# ---- linux.yum.package
st linux.yum.package '{"name": {"oa-rpm": ""}}' dry
expect_state true true "would install: oa-rpm"
expect_calls ""
st linux.yum.package '{"name": {"oa-rpm": ""}}'
expect_state true true "installed: oa-rpm 2.0-1"
expect_calls "yum -y install oa-rpm"
[ "$(cat /opt/oa-test/oa-rpm.txt)" = "oa-rpm 2.0" ] || fail "oa-rpm's file"
st linux.yum.package '{"name": {"oa-rpm": ""}}'
expect_state true false "already ok: oa-rpm 2.0-1; no changes"
expect_calls ""
st linux.yum.package '{"name": {"oa-rpm": "1.0"}}'
expect_state true true "downgraded: oa-rpm 2.0-1 → 1.0-1"
expect_calls "yum -y downgrade oa-rpm-1.0"
st linux.yum.package '{"name": {"oa-rpm": "1.0-1"}}'
expect_state true false "already ok: oa-rpm 1.0-1; no changes"
# latest: the index is refreshed once (no record yet), then read from the cache.
st linux.yum.package '{"name": {"oa-rpm": "latest"}}'
expect_state true true "upgraded: oa-rpm 1.0-1 → 2.0-1"
expect_calls "yum -q makecache
yum -q -C check-update oa-rpm
yum -y update oa-rpm"
st linux.yum.package '{"name": {"oa-rpm": "latest"}}'
expect_state true false "already ok: oa-rpm 2.0-1; no changes"
expect_calls "yum -q -C check-update oa-rpm"
# repo and verify-gpg.
st linux.yum.package '{"name": {"oa-epoch": ""}, "repo": "oa-test", "verify-gpg": false}'
expect_state true true "installed: oa-epoch 2:1.0-1"
expect_calls "yum -y --nogpgcheck --disablerepo=* --enablerepo=oa-test install oa-epoch"
st linux.yum.package '{"name": {"oa-epoch": "2:1.0"}}'
expect_state true false "already ok: oa-epoch 2:1.0-1; no changes"
# A file, a removal and a failure in one state: removals first.
st linux.yum.package "{\"name\": [{\"key\": \"oa-file\", \"value\": \"$T/files/oa-file-1.0-1.noarch.rpm\"}, {\"key\": \"oa-epoch\", \"value\": \"purged\"}, {\"key\": \"oa-nope\"}]}"
expect_rc 1
expect_state false true "installed: oa-file 1.0-1; purged: oa-epoch; failed: oa-nope (yum install exited with status 1)"
expect_calls "yum -y remove oa-epoch
yum -y localinstall $T/files/oa-file-1.0-1.noarch.rpm
yum -y install oa-nope
yum -y localinstall $T/files/oa-file-1.0-1.noarch.rpm
yum -y install oa-nope"
st linux.yum.package "{\"name\": {\"oa-file\": \"$T/files/oa-file-1.0-1.noarch.rpm\", \"oa-epoch\": \"removed\"}}"
expect_state true false "already ok: oa-file 1.0-1, oa-epoch (not installed); no changes"
expect_calls ""

# ---- linux.yum.repo: files (".repo" unless there) and release RPMs.
echo $(date +%s) >"$T/state/pkg/yum-index"
st linux.yum.repo '{"name": "myrepo", "content": "[myrepo]\nbaseurl=file:///srv/repo\n"}' dry
expect_state true true "would create /etc/yum.repos.d/myrepo.repo"
st linux.yum.repo '{"name": "myrepo", "content": "[myrepo]\nbaseurl=file:///srv/repo\n"}'
expect_state true true "/etc/yum.repos.d/myrepo.repo: created"
[ "$(stat -c '%a %U:%G' /etc/yum.repos.d/myrepo.repo)" = "644 root:root" ] || fail "attributes"
[ ! -e "$T/state/pkg/yum-index" ] || fail "the yum index is not marked stale"
st linux.yum.repo '{"name": "myrepo.repo", "content": "[myrepo]\nbaseurl=file:///srv/repo\n"}'
expect_state true false "/etc/yum.repos.d/myrepo.repo is up to date, no changes"
st linux.yum.repo '{"name": "myrepo"}'
expect_state false false "linux.yum.repo needs 'content' or 'rpm-url'"
agent -c "$T/c.conf" once --json "$FIX/basic/linux.yum.repo.json"
expect_rc 0
[ "$(json_field 1 state_comment)" = "/etc/yum.repos.d/mongodb.repo: created" ] || fail "fixture: $(json_field 1 state_comment)"

/usr/bin/python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$T/files" >"$T/http.log" 2>&1 &
http_pid=$!
trap 'rc=$?; kill $http_pid 2>/dev/null; at_exit "$rc"' EXIT
for _ in $(seq 100); do
    HP=$(sed -n 's/.* port \([0-9][0-9]*\).*/\1/p' "$T/http.log" | head -n 1)
    [ -n "$HP" ] && break
    sleep 0.1
done
U="http://127.0.0.1:$HP/oa-release-1.0-1.noarch.rpm"
st linux.yum.repo "{\"name\": \"oa-release\", \"rpm-url\": \"$U\"}" dry
expect_state true true "would install the release package from $U"
st linux.yum.repo "{\"name\": \"oa-release\", \"rpm-url\": \"$U\"}"
expect_state true true "installed the release package oa-release from $U"
yum_calls >"$T/calls"
expect_line calls '^yum -y install /tmp/opsagent-repo\.[A-Za-z0-9]+/oa-release-1\.0-1\.noarch\.rpm$'
expect_lines calls 1
rpm -q oa-release >/dev/null || fail "oa-release is not installed"
[ -z "$(ls -d /tmp/opsagent-repo.* 2>/dev/null)" ] || fail "the download was left behind"
st linux.yum.repo "{\"name\": \"oa-release\", \"rpm-url\": \"$U\"}"
expect_state true false "the release package oa-release is installed, no changes"
[ "$(grep -c 'GET /oa-release' "$T/http.log")" = 1 ] || fail "expected one download"
# A local release RPM already installed: read, found, nothing done.
st linux.yum.repo "{\"name\": \"oa-release\", \"rpm-url\": \"$T/files/oa-release-1.0-1.noarch.rpm\"}"
expect_state true false "the release package oa-release is installed, no changes"
echo ok
