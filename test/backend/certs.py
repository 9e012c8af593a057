# SPDX-License-Identifier: Apache-2.0
"""Throw-away X.509 certificates for the wss:// tests, made with the openssl CLI.

make_certs(dir) writes, into dir (created if needed), EC P-256 keys and
certificates valid for one day:

    ca.crt / ca.key                  the test CA (what the agent's ca_file names)
    localhost.crt / localhost.key    CN=localhost, SAN DNS:localhost + IP:127.0.0.1, signed by ca
    wrong.crt / wrong.key            CN=wrong.example, SAN DNS:wrong.example, signed by ca
    untrusted-ca.crt / .key          a second CA nobody trusts
    untrusted.crt / untrusted.key    CN=localhost (same SANs as above), signed by untrusted-ca

It returns a Certs object holding those paths; certs.pair(name) gives the
(certificate, key) tuple for "localhost", "wrong" or "untrusted", which is
what Backend.start(tls=True, certs=...) accepts. Takes well under a second.
"""
import os
import subprocess
from dataclasses import dataclass

OPENSSL = "openssl"
DAYS = "1"


@dataclass
class Certs:
    """Paths of the files written by make_certs()."""
    dir: str
    ca_cert: str
    ca_key: str
    server_cert: str
    server_key: str
    wrong_cert: str
    wrong_key: str
    untrusted_ca_cert: str
    untrusted_ca_key: str
    untrusted_cert: str
    untrusted_key: str

    def pair(self, name="localhost"):
        """(cert, key) of "localhost" (the good server certificate), "wrong"
        (wrong.example, same CA) or "untrusted" (localhost, untrusted CA)."""
        return {
            "localhost": (self.server_cert, self.server_key),
            "wrong": (self.wrong_cert, self.wrong_key),
            "untrusted": (self.untrusted_cert, self.untrusted_key),
        }[name]


def _openssl(*args, cwd):
    r = subprocess.run([OPENSSL, *args], cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args)} failed ({r.returncode}):\n{r.stderr}")


def _make_ca(d, name, cn):
    _openssl("req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.crt", "-days", DAYS,
             "-subj", f"/O=opsagent tests/CN={cn}",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign",
             "-addext", "subjectKeyIdentifier=hash", cwd=d)


def _make_leaf(d, name, cn, sans, ca):
    ext = os.path.join(d, f"{name}.ext")
    with open(ext, "w") as f:
        f.write("basicConstraints=critical,CA:FALSE\n"
                "keyUsage=critical,digitalSignature\n"
                "extendedKeyUsage=serverAuth\n"
                "subjectKeyIdentifier=hash\n"
                "authorityKeyIdentifier=keyid\n"
                f"subjectAltName={sans}\n")
    _openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", f"{name}.key", "-out", f"{name}.csr",
             "-subj", f"/O=opsagent tests/CN={cn}", cwd=d)
    _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.crt", "-CAkey", f"{ca}.key",
             "-CAcreateserial", "-out", f"{name}.crt", "-days", DAYS, "-sha256",
             "-extfile", ext, cwd=d)
    os.unlink(os.path.join(d, f"{name}.csr"))
    os.unlink(ext)


def make_certs(dir):
    """Create the CA, server, wrong-name and untrusted certificates in dir
    (see the module docstring) and return their paths as a Certs object.
    Existing files of the same names are overwritten."""
    d = os.path.abspath(dir)
    os.makedirs(d, exist_ok=True)
    _make_ca(d, "ca", "opsagent test CA")
    _make_ca(d, "untrusted-ca", "opsagent untrusted CA")
    _make_leaf(d, "localhost", "localhost", "DNS:localhost,IP:127.0.0.1", "ca")
    _make_leaf(d, "wrong", "wrong.example", "DNS:wrong.example", "ca")
    _make_leaf(d, "untrusted", "localhost", "DNS:localhost,IP:127.0.0.1", "untrusted-ca")
    p = lambda n: os.path.join(d, n)  # noqa: E731
    return Certs(dir=d, ca_cert=p("ca.crt"), ca_key=p("ca.key"),
                 server_cert=p("localhost.crt"), server_key=p("localhost.key"),
                 wrong_cert=p("wrong.crt"), wrong_key=p("wrong.key"),
                 untrusted_ca_cert=p("untrusted-ca.crt"), untrusted_ca_key=p("untrusted-ca.key"),
                 untrusted_cert=p("untrusted.crt"), untrusted_key=p("untrusted.key"))


if __name__ == "__main__":
    import sys
    print(make_certs(sys.argv[1] if len(sys.argv) > 1 else "certs"))
