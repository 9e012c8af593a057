#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Installs opsagent on this host, or brings an installation up to date:
#   the runtime packages, /usr/bin/opsagent (0755; a new one removes the
#   opsagent.prev a self-update kept), /etc/opsagent/opsagent.conf
#   (0600; only the [userdata] keys given are written, every other line of an
#   existing file is kept), /etc/systemd/system/opsagent.service (0644), then
#   systemctl daemon-reload, enable, and (re)start.
# Every step is skipped when it is already in the wanted state, so a second
# run changes nothing and says so. Run as root. Debian 12 is tested; the
# dnf/yum branch (RHEL family, packages from EPEL) is not.
#
# ROOT=DIR installs below DIR instead of / (tests, image builds): no package
# manager and no systemctl then. The token is not created here: the agent
# makes it (0400) on its first start.
set -eu

usage() {
    cat <<'EOF'
Usage: install.sh [OPTIONS]
  --binary FILE         the opsagent binary to install (default: ./opsagent
                        next to this script, else ../build/opsagent)
  --build-dir DIR       take the binary from DIR/opsagent
  --app-id ID           [userdata] app_id
  --ws-uri URI          [userdata] ws_uri (ws:// or wss://)
  --version V           [userdata] version
  --base-remote URL     [userdata] base_remote
  --gpg-key-uri URL     [userdata] gpg_key_uri
  --userdata FILE       read APP_ID=, WS_URI=, VERSION=, BASE_REMOTE= and
                        GPG_KEY_URI= lines (cloud-init user data); the options
                        above win over it
  --unit-dir DIR        where the unit goes (default /etc/systemd/system)
  --no-packages         do not install the runtime packages
  --no-systemd          no systemctl (no daemon-reload, enable or restart)
  -h, --help            this text
Environment: ROOT=DIR installs below DIR and implies --no-packages --no-systemd.
A new config needs --app-id and --ws-uri (or the user data lines); an
existing one is edited in place.
EOF
}

say() { printf '%s\n' "$*"; }
die() {
    printf 'install.sh: %s\n' "$*" >&2
    exit 1
}

here=$(cd "$(dirname "$0")" && pwd)
ROOT=${ROOT:-}
ROOT=${ROOT%/}
binary=
build_dir=
userdata=
unit_dir=/etc/systemd/system
do_packages=1
do_systemd=1
changes=0
restart_needed=0
unit_changed=0
tmpfiles=
scratch=
trap 'eval "rm -f $tmpfiles"; [ -z "$scratch" ] || rm -rf "$scratch"' EXIT
trap 'exit 130' INT TERM

# The [userdata] keys, in the order a new config lists them, and the user
# data variable each comes from.
KEYS="ws_uri app_id version base_remote gpg_key_uri"
var_of() {
    case $1 in
    ws_uri) echo WS_URI ;;
    app_id) echo APP_ID ;;
    version) echo VERSION ;;
    base_remote) echo BASE_REMOTE ;;
    gpg_key_uri) echo GPG_KEY_URI ;;
    esac
}

# set_key KEY VALUE remembers a value for a [userdata] key; given KEY tells
# whether one was set; value KEY prints it.
set_key() { eval "given_$1=1; value_$1=\$2"; }
given() { eval "[ \"\${given_$1:-0}\" = 1 ]"; }
value() { eval "printf '%s' \"\${value_$1:-}\""; }

while [ $# -gt 0 ]; do
    case $1 in
    -h | --help)
        usage
        exit 0
        ;;
    --no-packages) do_packages=0 ;;
    --no-systemd) do_systemd=0 ;;
    --binary | --build-dir | --userdata | --unit-dir | --app-id | --ws-uri | --version | \
        --base-remote | --gpg-key-uri)
        [ $# -ge 2 ] || die "$1 needs a value"
        case $1 in
        --binary) binary=$2 ;;
        --build-dir) build_dir=$2 ;;
        --userdata) userdata=$2 ;;
        --unit-dir) unit_dir=$2 ;;
        --app-id) set_key app_id "$2" ;;
        --ws-uri) set_key ws_uri "$2" ;;
        --version) set_key version "$2" ;;
        --base-remote) set_key base_remote "$2" ;;
        --gpg-key-uri) set_key gpg_key_uri "$2" ;;
        esac
        shift
        ;;
    *)
        usage >&2
        die "unknown argument: $1"
        ;;
    esac
    shift
done

if [ -n "$ROOT" ]; then
    do_packages=0
    do_systemd=0
    mkdir -p "$ROOT" || die "cannot create ROOT=$ROOT"
elif [ "$(id -u)" -ne 0 ]; then
    die "run as root (or set ROOT=DIR to install below DIR)"
fi

# tmp_in DIR: sets $tmp to a new temporary file in DIR (for an atomic
# rename into place), removed on exit unless renamed.
tmp_in() {
    tmp=$(mktemp "$1/.opsagent-install.XXXXXX") || die "cannot create a file in $1"
    tmpfiles="$tmpfiles '$tmp'"
}

mode_of() { stat -c %a "$1"; }

# put SRC DST MODE: installs SRC as DST atomically unless DST already has
# the same bytes and mode. Sets $put to "same", "mode" or "new".
put() {
    if [ -f "$2" ] && cmp -s "$1" "$2"; then
        if [ "$(mode_of "$2")" = "$3" ]; then
            put=same
        else
            chmod "$3" "$2"
            put=mode
        fi
        return
    fi
    mkdir -p "$(dirname "$2")"
    tmp_in "$(dirname "$2")"
    cp "$1" "$tmp"
    chmod "$3" "$tmp"
    mv -f "$tmp" "$2"
    put=new
}

# --- user data -------------------------------------------------------------

# userdata_value FILE VAR: prints the value of VAR=value in a user data file
# as the agent reads it (agent/userdata.c): optional leading blanks and
# "export ", the rest of the line less trailing blanks, one pair of matching
# quotes removed; the last such line wins. Fails when there is none.
userdata_value() {
    line=$(tr -d '\r' <"$1" | grep -E "^[[:blank:]]*(export[[:blank:]]+)?$2=" | tail -n 1)
    [ -n "$line" ] || return 1
    v=${line#*"$2="}
    v=$(printf '%s' "$v" | sed 's/[[:blank:]]*$//')
    case $v in
    \'*\' | \"*\") [ "${v#?}" = "" ] || { v=${v#?} && v=${v%?}; } ;;
    esac
    printf '%s\n' "$v"
}

if [ -n "$userdata" ]; then
    [ -r "$userdata" ] || die "cannot read the user data file $userdata"
    for k in $KEYS; do
        ! given "$k" || continue
        var=$(var_of "$k")
        if v=$(userdata_value "$userdata" "$var"); then
            case $v in *'@{'*) die "$userdata: $var is still a template placeholder: $v" ;; esac
            set_key "$k" "$v"
        fi
    done
fi

nl='
'
cr=$(printf '\r')
# Checks what the agent would reject, so that a bad value fails here rather
# than as exit 78 of the service.
for k in $KEYS; do
    given "$k" || continue
    v=$(value "$k")
    case $v in *"$nl"* | *"$cr"*) die "$k: the value has a line break" ;; esac
    case $v in *[[:space:]]\;*) die "$k: ' ;' would start a comment in the config: $v" ;; esac
    # Lines are at most 198 bytes (inih's buffer, see cfg.c).
    [ "$(printf '%s = %s' "$k" "$v" | wc -c)" -le 198 ] || die "$k: the value is too long for a config line"
    case $k in
    ws_uri)
        case $v in ws://?* | wss://?*) ;; *) die "ws_uri: expected a ws:// or wss:// URL, got '$v'" ;; esac
        ;;
    app_id)
        [ -n "$v" ] || die "app_id: the value is empty"
        ;;
    esac
done

# --- packages --------------------------------------------------------------

DEB_PACKAGES="libuv1 libwslay1 libyajl2 libmbedtls14 libmbedx509-1 libmbedcrypto7 libinih1
    libhttp-parser2.9 libsystemd0 git ca-certificates"
# Untested: the names on RHEL 8/9 with EPEL enabled (wslay, mbedtls, inih and
# http-parser come from EPEL). A binary built on Debian does not run there;
# it must be built on the target release.
RPM_PACKAGES="libuv wslay yajl mbedtls inih http-parser systemd-libs git ca-certificates"

packages() {
    missing=
    if command -v dpkg-query >/dev/null && command -v apt-get >/dev/null; then
        for p in $DEB_PACKAGES; do
            [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" = installed ] ||
                missing="$missing $p"
        done
        [ -n "$missing" ] || {
            say "packages: all present"
            return
        }
        say "packages: installing$missing"
        # At first boot cloud-init or unattended-upgrades may hold the dpkg
        # lock for a while: wait for it instead of failing.
        apt-get -q -o DPkg::Lock::Timeout=600 update >/dev/null || die "apt-get update failed"
        # shellcheck disable=SC2086 # the list is meant to split
        DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=600 \
            install --no-install-recommends $missing || die "apt-get install failed"
    elif command -v rpm >/dev/null && { command -v dnf >/dev/null || command -v yum >/dev/null; }; then
        for p in $RPM_PACKAGES; do
            rpm -q --quiet "$p" || missing="$missing $p"
        done
        [ -n "$missing" ] || {
            say "packages: all present"
            return
        }
        say "packages: installing$missing (untested on this family)"
        pm=dnf
        command -v dnf >/dev/null || pm=yum
        # shellcheck disable=SC2086 # the list is meant to split
        $pm -y -q install $missing || die "$pm install failed (is EPEL enabled?)"
    else
        die "no apt-get or dnf/yum here: install the runtime libraries yourself and use --no-packages"
    fi
    changes=$((changes + 1))
}

if [ "$do_packages" = 1 ]; then
    packages
else
    say "packages: skipped${ROOT:+ (ROOT is set)}"
fi

# --- binary ----------------------------------------------------------------

if [ -z "$binary" ] && [ -n "$build_dir" ]; then
    binary=$build_dir/opsagent
elif [ -z "$binary" ]; then
    for b in "$here/opsagent" "$here/../build/opsagent"; do
        if [ -f "$b" ]; then
            binary=$b
            break
        fi
    done
    [ -n "$binary" ] || die "no opsagent binary next to this script or in ../build: use --binary FILE"
fi
if [ ! -f "$binary" ] || [ ! -x "$binary" ]; then
    die "$binary: not an executable file"
fi
# The binary must run here (architecture, libraries) and be the agent.
if ! version_line=$("$binary" --version 2>&1); then
    die "$binary --version failed (wrong architecture or missing libraries?): $version_line"
fi
case $version_line in
"opsagent "*) ;;
*) die "$binary does not look like opsagent: --version printed '$version_line'" ;;
esac

bin_dst=$ROOT/usr/bin/opsagent
put "$binary" "$bin_dst" 755
case $put in
same) say "binary: $bin_dst is up to date ($version_line)" ;;
mode)
    say "binary: $bin_dst mode set to 0755"
    changes=$((changes + 1))
    ;;
new)
    say "binary: installed $bin_dst ($version_line)"
    changes=$((changes + 1))
    restart_needed=1
    # The previous binary a self-update kept would roll this one back
    # (rollback-check before each start) if that update was still pending:
    # an installed binary supersedes it.
    if [ -e "$bin_dst.prev" ]; then
        rm -f "$bin_dst.prev"
        say "binary: removed $bin_dst.prev (a self-update's previous binary)"
    fi
    ;;
esac

# --- config ----------------------------------------------------------------

# ini_get FILE SECTION KEY: prints the value the agent would use (the last
# active line wins, as in cfg.c); fails when the key is absent.
ini_get() {
    awk -v sect="$2" -v key="$3" '
        function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t\r]+$/, "", s); return s }
        /^[ \t]*\[/ { s = $0; sub(/^[ \t]*\[/, "", s); sub(/\].*$/, "", s); cur = trim(s); next }
        /^[ \t]*[;#]/ { next }
        cur == sect {
            i = index($0, "="); j = index($0, ":")
            if (i == 0 || (j > 0 && j < i)) i = j
            if (i == 0 || trim(substr($0, 1, i - 1)) != key) next
            v = trim(substr($0, i + 1))
            # An inline comment starts at a ";" after white space (inih).
            if (match(v, /[ \t];/)) v = trim(substr(v, 1, RSTART))
            val = v; found = 1
        }
        END { if (found) print val; exit !found }' "$1"
}

# ini_set IN OUT: writes IN to OUT with every given [userdata] key set: the
# first active line of a key is replaced and its later repeats dropped; a
# missing key goes after the section's last key (a missing section is
# appended). Everything else is copied as it is.
ini_set() {
    set_keys=
    for k in $KEYS; do
        given "$k" || continue
        set_keys="$set_keys $k"
        eval "OA_VAL_$k=\$(value \"\$k\")"
        export "OA_VAL_$k"
    done
    OA_KEYS=$set_keys awk -v sect=userdata '
        function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t\r]+$/, "", s); return s }
        function keyof(line,   i, j) {
            if (line ~ /^[ \t]*[;#]/) return ""
            i = index(line, "="); j = index(line, ":")
            if (i == 0 || (j > 0 && j < i)) i = j
            return i ? trim(substr(line, 1, i - 1)) : ""
        }
        function line_for(k,   v) { v = ENVIRON["OA_VAL_" k]; return v == "" ? k " =" : k " = " v }
        BEGIN { n = split(ENVIRON["OA_KEYS"], keys, " "); for (i = 1; i <= n; i++) want[keys[i]] = 1 }
        # First pass: where each key is, where the section ends.
        NR == FNR {
            if ($0 ~ /^[ \t]*\[/) {
                s = $0; sub(/^[ \t]*\[/, "", s); sub(/\].*$/, "", s); cur = trim(s)
                if (cur == sect && !header) header = FNR
                next
            }
            if (cur != sect) next
            k = keyof($0)
            if (k == "") next
            last_key = FNR
            if (k in want) { if (k in first) drop[FNR] = 1; else first[k] = FNR }
            next
        }
        # Second pass: copy with the edits.
        {
            if (!(FNR in drop)) {
                k = keyof($0)
                if ((k in first) && first[k] == FNR) print line_for(k)
                else print
            }
            if (FNR == (last_key ? last_key : header)) add_missing()
        }
        function add_missing(   i) {
            for (i = 1; i <= n; i++) if (!(keys[i] in first)) print line_for(keys[i])
        }
        END {
            if (header) exit
            if (FNR > 0) print ""
            print "[" sect "]"
            add_missing()
        }' "$1" "$1" >"$2"
}

conf_dir=$ROOT/etc/opsagent
conf=$conf_dir/opsagent.conf
if [ ! -d "$conf_dir" ]; then
    mkdir -p "$(dirname "$conf_dir")"
    mkdir -m 0700 "$conf_dir"
fi
# The new config is made aside, so that an unchanged one is not even touched.
scratch=$(mktemp -d)
base=$scratch/base
if [ -f "$conf" ]; then
    cp "$conf" "$base"
    what=updated
else
    cat >"$base" <<'EOF'
# opsagent configuration, written by install.sh. Every key and its default:
# opsagent.conf.example. install.sh sets only the [userdata] keys it is given
# and keeps everything else in this file.
EOF
    what=created
fi
new=$scratch/new
ini_set "$base" "$new"
for k in ws_uri app_id; do
    v=$(ini_get "$new" userdata "$k") || v=
    [ -n "$v" ] || die "$conf: no [userdata] $k: give --$(echo "$k" | tr _ -) or a user data file with $(var_of "$k")="
done
# Which keys really change, for the message.
edited=
for k in $KEYS; do
    given "$k" || continue
    v=$(value "$k")
    if [ ! -f "$conf" ] || ! old=$(ini_get "$conf" userdata "$k") || [ "$old" != "$v" ]; then
        edited="$edited $k"
    fi
done
put "$new" "$conf" 600
case $put in
same) say "config: $conf is up to date" ;;
mode)
    say "config: $conf mode set to 0600"
    changes=$((changes + 1))
    ;;
new)
    if [ -n "$edited" ]; then
        say "config: $what $conf ($(echo "$edited" | sed 's/^ //; s/ /, /g'))"
    else
        say "config: $what $conf"
    fi
    changes=$((changes + 1))
    restart_needed=1
    ;;
esac

# --- unit ------------------------------------------------------------------

unit_src=$here/opsagent.service
[ -f "$unit_src" ] || die "$unit_src is missing (install.sh needs the unit next to it)"
unit_dst=$ROOT$unit_dir/opsagent.service
put "$unit_src" "$unit_dst" 644
case $put in
same) say "unit: $unit_dst is up to date" ;;
mode)
    say "unit: $unit_dst mode set to 0644"
    changes=$((changes + 1))
    ;;
new)
    say "unit: installed $unit_dst"
    changes=$((changes + 1))
    unit_changed=1
    restart_needed=1
    ;;
esac

# --- systemd ---------------------------------------------------------------

service() {
    command -v systemctl >/dev/null || die "systemctl not found: use --no-systemd"
    if [ -d /run/systemd/system ]; then booted=1; else booted=0; fi
    if [ "$unit_changed" = 1 ] && [ "$booted" = 1 ]; then
        systemctl daemon-reload || die "systemctl daemon-reload failed"
        say "systemd: daemon-reload"
    fi
    # enable works without a running systemd too (it only makes links).
    if ! systemctl is-enabled --quiet opsagent.service 2>/dev/null; then
        systemctl enable --quiet opsagent.service || die "systemctl enable opsagent failed"
        say "service: enabled"
        changes=$((changes + 1))
    fi
    if [ "$booted" = 0 ]; then
        say "service: systemd is not running here: opsagent starts at the next boot"
        return
    fi
    if [ "$restart_needed" = 0 ] && systemctl is-active --quiet opsagent.service; then
        say "service: enabled and active"
        return
    fi
    if systemctl is-active --quiet opsagent.service; then
        say "service: restarting (a running state finishes first)"
    else
        say "service: starting"
    fi
    if ! systemctl restart opsagent.service; then
        die "opsagent did not start: see systemctl status opsagent and journalctl -u opsagent"
    fi
    changes=$((changes + 1))
}

if [ "$do_systemd" = 1 ]; then
    service
else
    say "systemd: skipped${ROOT:+ (ROOT is set)}"
fi

if [ "$changes" = 0 ]; then
    say "nothing changed: opsagent is installed as wanted"
else
    say "done: $changes change(s)"
fi
