#!/bin/bash
# linux.apt.ppa (modules.md §5.4). Launchpad is out of reach, so the two
# tools that would reach it are recording stand-ins first on the modules'
# PATH (/usr/local/sbin, a tmpfs): add-apt-repository accepts only the
# argv "-y ppa:OWNER/ARCHIVE" and writes what Ubuntu 22.04's writes (the
# .list file and a key in trusted.gpg.d); apt-get logs its argv and plays
# a given output and status. The sandbox's /etc says Ubuntu 24.04 (noble).
# Covers: Ubuntu only; names; public PPAs (added once, then no tool runs;
# a deb822 .sources entry counts, a disabled one does not; dry run; the
# tool failing, or succeeding without adding the entry; apt-get update
# failing; software-properties-common installed when add-apt-repository is
# missing); private PPAs (the sources line and the credentials file written
# atomically, root:root 0644 and 0600 whatever the umask, the password in
# neither the comment nor the output; a changed password rewrites only the
# credentials; a wrong mode is put right; an untrusted key named; no
# codename); the fixture.
# Root only, in a sandbox (private /etc).
. "$(dirname "$0")/../lib.sh"
in_sandbox "$@"
FIX="$OA_SOURCE_DIR/test/fixtures/visualops-recipes/basic/linux.apt.ppa.json"
D=/etc/apt/sources.list.d
A=/etc/apt/auth.conf.d
mkdir -p "$T/state"
rm -f /etc/apt/sources.list "$D"/* "$A"/* 2>/dev/null || true

# On this Debian host: refused, before anything is read or run.
st linux.apt.ppa '{"name": "oa-owner/oa-tools"}'
expect_state false false "PPAs are only supported on Ubuntu, not on $(. /etc/os-release && echo "$PRETTY_NAME")"
agent once --json "$FIX"
expect_rc 1
[ "$(json_field 1 state_comment)" = "PPAs are only supported on Ubuntu, not on $(. /etc/os-release && echo "$PRETTY_NAME")" ] ||
    fail "fixture on Debian: $(json_field 1 state_comment)"

# From here on, the sandbox's /etc says Ubuntu 24.04.
ubuntu() {
    rm -f /etc/os-release /etc/lsb-release
    printf '%s\n' 'PRETTY_NAME="Ubuntu 24.04.1 LTS"' 'NAME="Ubuntu"' 'VERSION_ID="24.04"' \
        'ID=ubuntu' 'ID_LIKE=debian' "${1-VERSION_CODENAME=noble}" 'UBUNTU_CODENAME=noble' >/etc/os-release
    [ -n "${1-x}" ] || sed -i '/UBUNTU_CODENAME/d' /etc/os-release
}
ubuntu
sandbox_tmpfs /usr/local/sbin
# apt-get: logs "apt-get ARGS" to $T/calls; prints $T/apt.out; exits with
# $T/apt.rc; an install of software-properties-common puts the
# add-apt-repository stand-in in place.
cat >/usr/local/sbin/apt-get <<EOF
#!/bin/sh
echo "apt-get \$*" >>'$T/calls'
cat '$T/apt.out' 2>/dev/null
case " \$* " in *" install "*"software-properties-common"*) cp '$T/aar' /usr/local/sbin/add-apt-repository ;; esac
exit \$(cat '$T/apt.rc' 2>/dev/null || echo 0)
EOF
# add-apt-repository: logs, refuses any other argv, and then does what
# $T/aar.mode says: "ok" (write the .list file and the key), "fail"
# (Launchpad's answer for an unknown PPA), "nothing" (exit 0, no file).
cat >"$T/aar" <<EOF
#!/bin/sh
echo "add-apt-repository \$*" >>'$T/calls'
[ \$# -eq 2 ] && [ "\$1" = -y ] || { echo "unexpected argv: \$*" >&2; exit 2; }
spec=\${2#ppa:}
owner=\${spec%%/*} archive=\${spec#*/}
[ "ppa:\$owner/\$archive" = "\$2" ] || { echo "unexpected argv: \$*" >&2; exit 2; }
case \$(cat '$T/aar.mode') in
fail) echo "Cannot add PPA: 'ppa:~\$owner/ubuntu/\$archive'." >&2
      echo "ERROR: '~\$owner' user or team does not exist." >&2; exit 1 ;;
nothing) exit 0 ;;
esac
echo "Repository: 'deb https://ppa.launchpadcontent.net/\$owner/\$archive/ubuntu/ noble main'"
echo "deb https://ppa.launchpadcontent.net/\$owner/\$archive/ubuntu/ noble main" \
    >"$D/\$owner-ubuntu-\$archive-noble.list"
echo key >"/etc/apt/trusted.gpg.d/\$owner-ubuntu-\$archive.gpg"
EOF
chmod 755 /usr/local/sbin/apt-get "$T/aar"
cp "$T/aar" /usr/local/sbin/add-apt-repository
echo ok >"$T/aar.mode"
calls() { cat "$T/calls" 2>/dev/null; }
reset() { : >"$T/calls"; rm -f "$T/apt.out" "$T/apt.rc"; }
reset
p() { printf '{"name": "%s"%s}' "$1" "${2:+, $2}"; }

# Names: owner/archive in Launchpad's spelling; credentials in pairs.
for bad in Oa-owner/tools oa-owner noslash/ a/b/c -x/y "ppa:"; do
    st linux.apt.ppa "$(p "$bad")"
    expect_state false false "parameter 'name': '$bad' is not a PPA (owner/archive, lower case)"
done
st linux.apt.ppa "$(p oa-owner/private '"username": "u"')"
expect_state false false "a private PPA needs both 'username' and 'password'"
st linux.apt.ppa "$(p oa-owner/private '"username": "u", "password": "two words"')"
expect_state false false "parameter 'password' must not contain blanks"
[ -z "$(calls)" ] || fail "a refused state ran: $(calls)"

# A public PPA: a dry run, added once, then nothing runs.
st linux.apt.ppa "$(p oa-owner/oa-tools)" dry
expect_state true true "would add ppa:oa-owner/oa-tools with add-apt-repository, then apt-get update"
[ -z "$(calls)" ] && [ -z "$(ls "$D")" ] || fail "the dry run: $(calls) $(ls "$D")"
st linux.apt.ppa "$(p ppa:oa-owner/oa-tools)"
expect_rc 0
expect_state true true "added ppa:oa-owner/oa-tools ($D/oa-owner-ubuntu-oa-tools-noble.list), index updated"
[ "$(calls)" = "add-apt-repository -y ppa:oa-owner/oa-tools
apt-get -q -o DPkg::Lock::Timeout=300 update" ] || fail "calls: $(calls)"
expect_line out "^\+ add-apt-repository -y ppa:oa-owner/oa-tools$"
expect_line out "^Repository: 'deb https://ppa.launchpadcontent.net/oa-owner/oa-tools/ubuntu/ noble main'$"
[ -f "$T/state/pkg/apt-index" ] || fail "the index refresh is not recorded"
reset
st linux.apt.ppa "$(p oa-owner/oa-tools)"
expect_state true false "ppa:oa-owner/oa-tools is already added ($D/oa-owner-ubuntu-oa-tools-noble.list), no changes"
expect_lines out 0
[ -z "$(calls)" ] || fail "ran: $(calls)"

# Ubuntu 24.04's add-apt-repository writes deb822 .sources files, and an
# older one ppa.launchpad.net lines in sources.list: both count, unless
# disabled.
printf 'Types: deb\nURIs: https://ppa.launchpadcontent.net/oa-owner/deb822/ubuntu/\nSuites: noble\nComponents: main\nSigned-By:\n -----BEGIN PGP PUBLIC KEY BLOCK-----\n .\n -----END PGP PUBLIC KEY BLOCK-----\n' \
    >"$D/oa-owner-ubuntu-deb822-noble.sources"
st linux.apt.ppa "$(p oa-owner/deb822)"
expect_state true false "ppa:oa-owner/deb822 is already added ($D/oa-owner-ubuntu-deb822-noble.sources), no changes"
echo 'deb http://ppa.launchpad.net/oa-owner/old/ubuntu noble main # by hand' >/etc/apt/sources.list
st linux.apt.ppa "$(p oa-owner/old)"
expect_state true false "ppa:oa-owner/old is already added (/etc/apt/sources.list), no changes"
[ -z "$(calls)" ] || fail "ran: $(calls)"
sed -i 's/^Types: deb$/Enabled: no\nTypes: deb/' "$D/oa-owner-ubuntu-deb822-noble.sources"
st linux.apt.ppa "$(p oa-owner/deb822)"
expect_state true true "added ppa:oa-owner/deb822 ($D/oa-owner-ubuntu-deb822-noble.list), index updated"
reset

# Failures: the tool's own error line; no entry after a zero exit; the
# index update failing (the index is then marked stale).
echo fail >"$T/aar.mode"
st linux.apt.ppa "$(p oa-gone/tools)"
expect_rc 1
expect_state false false "add-apt-repository exited with status 1: Cannot add PPA: 'ppa:~oa-gone/ubuntu/tools'."
expect_line out "^ERROR: '~oa-gone' user or team does not exist\.$"
[ "$(calls)" = "add-apt-repository -y ppa:oa-gone/tools" ] || fail "calls: $(calls)"
echo nothing >"$T/aar.mode"
st linux.apt.ppa "$(p oa-owner/silent)"
expect_state false true "add-apt-repository ran without error, but no apt source has ppa:oa-owner/silent"
echo ok >"$T/aar.mode"
reset
echo 100 >"$T/apt.rc"
echo "E: The repository 'https://ppa.launchpadcontent.net/oa-owner/noupdate/ubuntu noble Release' does not have a Release file." >"$T/apt.out"
st linux.apt.ppa "$(p oa-owner/noupdate)"
expect_state false true "added ppa:oa-owner/noupdate ($D/oa-owner-ubuntu-noupdate-noble.list), but apt-get exited with status 100: E: The repository 'https://ppa.launchpadcontent.net/oa-owner/noupdate/ubuntu noble Release' does not have a Release file."
[ ! -e "$T/state/pkg/apt-index" ] || fail "the index is not marked stale"
reset

# add-apt-repository missing: software-properties-common is installed.
rm /usr/local/sbin/add-apt-repository
: >"$T/hidden"
[ ! -e /usr/bin/add-apt-repository ] || mount --bind "$T/hidden" /usr/bin/add-apt-repository
st linux.apt.ppa "$(p oa-owner/fresh)" dry
expect_state true true "would add ppa:oa-owner/fresh with add-apt-repository, then apt-get update"
expect_line out "^would install the package software-properties-common \(for add-apt-repository\)$"
[ -z "$(calls)" ] || fail "the dry run ran: $(calls)"
st linux.apt.ppa "$(p oa-owner/fresh)"
expect_state true true "added ppa:oa-owner/fresh ($D/oa-owner-ubuntu-fresh-noble.list), index updated"
expect_line out "^installing the package software-properties-common \(for add-apt-repository\)$"
[ "$(calls)" = "apt-get -q -y -o DPkg::Lock::Timeout=300 install --no-install-recommends software-properties-common
add-apt-repository -y ppa:oa-owner/fresh
apt-get -q -o DPkg::Lock::Timeout=300 update" ] || fail "calls: $(calls)"
reset

# A private PPA: the sources line and the credentials, written whatever
# the umask; the password never shown.
rm -f "$D"/* /etc/apt/sources.list
L="$D/oa-owner-ubuntu-private-noble.list"
C="$A/oa-owner-ubuntu-private.conf"
priv() { p oa-owner/private "\"username\": \"oa-user\", \"password\": \"$1\""; }
st linux.apt.ppa "$(priv s3cret-one)" dry
expect_state true true "private ppa:oa-owner/private: would create $L; would create $C; then apt-get update"
[ ! -e "$L" ] && [ ! -e "$C" ] && [ -z "$(calls)" ] || fail "the dry run wrote or ran"
(umask 000 && st linux.apt.ppa "$(priv s3cret-one)")
expect_state true true "private ppa:oa-owner/private: $L: created; $C: created; index updated"
[ "$(stat -c '%a %U:%G' "$L" "$C")" = "644 root:root
600 root:root" ] || fail "modes: $(stat -c '%n %a %U:%G' "$L" "$C")"
[ "$(cat "$L")" = "deb https://private-ppa.launchpadcontent.net/oa-owner/private/ubuntu noble main" ] ||
    fail "sources line: $(cat "$L")"
[ "$(cat "$C")" = "machine private-ppa.launchpadcontent.net/oa-owner/private/ubuntu login oa-user password s3cret-one" ] ||
    fail "credentials: $(cat "$C")"
[ "$(calls)" = "apt-get -q -o DPkg::Lock::Timeout=300 update" ] || fail "calls: $(calls)"
# Nothing else in either directory: no temporary file left behind.
[ "$(ls -A "$D")" = "$(basename "$L")" ] && [ "$(ls -A "$A")" = "$(basename "$C")" ] ||
    fail "left: $(ls -A "$D" "$A")"
reset
st linux.apt.ppa "$(priv s3cret-one)"
expect_state true false "private ppa:oa-owner/private is set up ($L, $C), no changes"
[ -z "$(calls)" ] || fail "ran: $(calls)"

# A new password: only the credentials change, replaced (a new file
# renamed over the old one: the old inode keeps the old text).
ln "$T$C" "$T/old-credentials" # /etc is bound from $T/etc: one file system
st linux.apt.ppa "$(priv s3cret-two)"
expect_state true true "private ppa:oa-owner/private: $L is up to date; $C: content changed; index updated"
grep -q 's3cret-one$' "$T/old-credentials" || fail "the credentials were rewritten in place"
[ "$(stat -c %i "$C")" != "$(stat -c %i "$T/old-credentials")" ] || fail "same inode"
grep -q 's3cret-two$' "$C" || fail "credentials: $(cat "$C")"
if grep -q s3cret "$T/out" "$T/result"; then fail "the password was shown"; fi
# A wrong mode is put right.
chmod 644 "$C"
st linux.apt.ppa "$(priv s3cret-two)"
expect_state true true "private ppa:oa-owner/private: $L is up to date; $C: mode 0644 → 0600; index updated"
[ "$(stat -c %a "$C")" = 600 ] || fail "mode $(stat -c %a "$C")"
reset

# apt cannot check the PPA's signature (no key is fetched for a private
# PPA): apt-get only warns, the state fails naming the key.
echo "W: GPG error: https://private-ppa.launchpadcontent.net/oa-owner/private/ubuntu noble InRelease: The following signatures couldn't be verified because the public key is not available: NO_PUBKEY 0123456789ABCDEF" >"$T/apt.out"
st linux.apt.ppa "$(priv s3cret-three)"
expect_state false true "private ppa:oa-owner/private: $L is up to date; $C: content changed; but apt cannot check the PPA's signature: its key 0123456789ABCDEF is not trusted (put the key in /etc/apt/trusted.gpg.d/, for example with linux.file)"
if grep -q s3cret "$T/out" "$T/result"; then fail "the password was shown"; fi
reset

# No codename in os-release: /etc/lsb-release, else a failure.
ubuntu ""
echo 'DISTRIB_CODENAME=jammy' >/etc/lsb-release
st linux.apt.ppa "$(p oa-owner/jam '"username": "u", "password": "p"')" dry
expect_state true true "private ppa:oa-owner/jam: would create $D/oa-owner-ubuntu-jam-jammy.list; would create $A/oa-owner-ubuntu-jam.conf; then apt-get update"
rm /etc/lsb-release
st linux.apt.ppa "$(p oa-owner/jam '"username": "u", "password": "p"')"
expect_state false false "cannot tell this Ubuntu's codename (Ubuntu 24.04.1 LTS)"
ubuntu

# The fixture, through `once`, on "Ubuntu".
cp "$T/aar" /usr/local/sbin/add-apt-repository
agent once --json "$FIX"
expect_rc 0
[ "$(json_field 1 state_comment)" = "added ppa:chromium-daily/stable ($D/chromium-daily-ubuntu-stable-noble.list), index updated" ] ||
    fail "fixture: $(json_field 1 state_comment)"
agent once --json "$FIX"
[ "$(json_field 1 state_comment)" = "ppa:chromium-daily/stable is already added ($D/chromium-daily-ubuntu-stable-noble.list), no changes" ] ||
    fail "fixture again: $(json_field 1 state_comment)"
echo ok
