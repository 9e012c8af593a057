#!/bin/bash
# linux.file remote_uri (modules.md §3.2, ⚠ §D): the body of an http URL
# (python's http.server on 127.0.0.1) becomes the content, byte for byte
# (binary, empty); it is fetched every round and a second run changes
# nothing; it wins over content; a changed body updates the file; a dry run
# fetches and changes nothing; a 404, a refused connection and ftp:// fail
# without touching the file; a password in the URL is never shown. Over
# https (a CA and a certificate made here with openssl) the agent verifies
# the server with [network] ca_file from its config: the right CA works, a
# wrong CA and the system bundle fail. Needs no root: files go under $T.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-files.sh"

PY=/usr/bin/python3
[ -x $PY ] && command -v openssl >/dev/null || {
    echo "SKIP: needs /usr/bin/python3 and openssl"
    exit 77
}
pids=()
trap 'rc=$?; for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; at_exit "$rc"' EXIT

mkdir -p "$T/www" "$T/files"
printf 'first body\n' >"$T/www/data.txt"
: >"$T/www/empty"
head -c 200000 /dev/urandom >"$T/www/blob.bin"
printf 'x\0y\0' >>"$T/www/blob.bin"

# wait_port LOG: the port a server wrote in its log ("... port N ...").
wait_port() {
    for _ in $(seq 100); do
        local p
        p=$(sed -n 's/.* port \([0-9][0-9]*\).*/\1/p' "$1" | head -n 1)
        if [ -n "$p" ]; then
            echo "$p"
            return 0
        fi
        sleep 0.1
    done
    fail "no server port in $1: $(cat "$1")"
}

$PY -u -m http.server 0 --bind 127.0.0.1 --directory "$T/www" >"$T/http.log" 2>&1 &
pids+=($!)
HP=$(wait_port "$T/http.log")
U="http://127.0.0.1:$HP"
F="$T/files/data.txt"

# param PATH URL [EXTRA]: linux.file parameters as JSON.
param() {
    printf '{"path": "%s", "remote_uri": "%s"%s}' "$1" "$2" "${3:-}"
}

st linux.file "$(param "$F" "$U/data.txt")"
expect_rc 0
expect_state true true "File $F created"
cmp -s "$T/www/data.txt" "$F" || fail "content differs"
expect_line out "^downloaded $U/data.txt \(11 bytes\)$"
# Fetched again every round; nothing changes.
st linux.file "$(param "$F" "$U/data.txt")"
expect_state true false "File $F is in the correct state"
expect_line out "^downloaded $U/data.txt \(11 bytes\)$"
# remote_uri wins over content.
st linux.file "$(param "$F" "$U/data.txt" ', "content": "ignored"')"
expect_state true false "File $F is in the correct state"
# A new body: the dry run fetches and reports, the real run writes.
printf 'second body\n' >"$T/www/data.txt"
st linux.file "$(param "$F" "$U/data.txt" ', "mode": "0600"')" dry
expect_state true true "would update $F (content, mode 0644 → 0600)"
expect_content "$F" 'first body
'
st linux.file "$(param "$F" "$U/data.txt" ', "mode": "0600"')"
expect_state true true "File $F updated (content, mode 0644 → 0600)"
cmp -s "$T/www/data.txt" "$F" || fail "content not updated"

# Binary and empty bodies, byte for byte.
st linux.file "$(param "$T/files/blob.bin" "$U/blob.bin")"
expect_state true true "File $T/files/blob.bin created"
cmp -s "$T/www/blob.bin" "$T/files/blob.bin" || fail "binary content differs"
st linux.file "$(param "$T/files/blob.bin" "$U/blob.bin")"
expect_state true false "File $T/files/blob.bin is in the correct state"
echo "not empty" >"$T/files/empty"
st linux.file "$(param "$T/files/empty" "$U/empty")"
expect_state true true "File $T/files/empty updated (content)"
[ ! -s "$T/files/empty" ] || fail "not emptied"

# Failures leave the file as it is.
st linux.file "$(param "$F" "$U/missing.txt")"
expect_rc 1
expect_state false false "cannot download $U/missing.txt: HTTP 404 File not found"
cmp -s "$T/www/data.txt" "$F" || fail "a failed download changed the file"
st linux.file "$(param "$T/files/new" "ftp://127.0.0.1/x")"
expect_state false false "cannot download ftp://127.0.0.1/x: ftp:// is not supported; use http or https"
$PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' >"$T/free"
st linux.file "$(param "$T/files/new" "http://127.0.0.1:$(cat "$T/free")/x")"
expect_rc 1
grep -q '"comment":"cannot download http://127.0.0.1:[0-9]*/x: .*refused' "$T/result" ||
    fail "refused: $(cat "$T/result")"
[ ! -e "$T/files/new" ] || fail "a failed download created the file"

# A password in the URL is replaced by *** in the output and the comment.
st linux.file "$(param "$T/files/auth" "http://user:s3cret@127.0.0.1:$HP/data.txt")"
expect_state true true "File $T/files/auth created"
expect_line out "^downloaded http://\*\*\*@127.0.0.1:$HP/data.txt \(12 bytes\)$"
st linux.file "$(param "$T/files/auth" "http://user:s3cret@127.0.0.1:$HP/nothing")"
expect_state false false "cannot download http://***@127.0.0.1:$HP/nothing: HTTP 404 File not found"
if grep -q s3cret "$T/out" "$T/result" "$T/err"; then fail "the password was shown"; fi

# https: a CA, a server certificate for localhost (mbedTLS matches host names,
# not IP addresses) and a CA nobody uses.
C="$T/certs"
mkdir -p "$C"
ossl() { openssl "$@" >>"$C/log" 2>&1 || fail "openssl $*: $(cat "$C/log")"; }
for ca in ca other; do
    ossl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
        -keyout "$C/$ca.key" -out "$C/$ca.crt" -subj "/O=opsagent tests/CN=$ca" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
done
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$C/ext"
ossl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$C/server.key" \
    -out "$C/server.csr" -subj "/O=opsagent tests/CN=localhost"
ossl x509 -req -in "$C/server.csr" -CA "$C/ca.crt" -CAkey "$C/ca.key" -CAcreateserial \
    -days 1 -sha256 -extfile "$C/ext" -out "$C/server.crt"
cat >"$T/https.py" <<'PY'
import functools, http.server, ssl, sys
www, cert, key = sys.argv[1:4]
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=www)
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print("serving https on port %d" % srv.server_address[1], flush=True)
srv.serve_forever()
PY
$PY -u "$T/https.py" "$T/www" "$C/server.crt" "$C/server.key" >"$T/https.log" 2>&1 &
pids+=($!)
SP=$(wait_port "$T/https.log")

recipe tls "{\"state\": [{\"id\": \"tls\", \"module\": \"linux.file\", \"parameter\":
  $(param "$T/files/tls.txt" "https://localhost:$SP/data.txt")}]}"
for ca in ca other; do
    config "$ca" "[global]
state_dir = $T/state
runtime_dir = $T/run
[network]
ca_file = $C/$ca.crt"
done
config none "[global]
state_dir = $T/state
runtime_dir = $T/run"

agent -c "$T/ca.conf" once --json "$T/tls.json"
expect_rc 0
[ "$(json_field 1 state_comment)" = "File $T/files/tls.txt created" ] ||
    fail "https: $(json_field 1 state_comment)"
[ "$(json_field 1 state_stdout)" = "downloaded https://localhost:$SP/data.txt (12 bytes)" ] ||
    fail "https output: $(json_field 1 state_stdout)"
cmp -s "$T/www/data.txt" "$T/files/tls.txt" || fail "https content differs"
agent -c "$T/ca.conf" once --json "$T/tls.json"
expect_rc 0
[ "$(json_field 1 state_comment)" = "File $T/files/tls.txt is in the correct state" ] ||
    fail "https again: $(json_field 1 state_comment)"

# The wrong CA, and the system bundle (which does not hold ours): refused.
rm "$T/files/tls.txt"
for c in other none; do
    agent -c "$T/$c.conf" once --json "$T/tls.json"
    expect_rc 1
    got=$(json_field 1 state_comment)
    case "$got" in
    "cannot download https://localhost:$SP/data.txt: "*"certificate verification failed"*) ;;
    *) fail "https with $c: $got" ;;
    esac
    echo "https with $c: $got"
    [ ! -e "$T/files/tls.txt" ] || fail "https with $c created the file"
done
