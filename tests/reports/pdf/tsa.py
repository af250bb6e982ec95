"""A local RFC 3161 timestamp authority for tests: pyHanko's DummyTimeStamper answering over HTTP.

It runs in a thread on 127.0.0.1, answers `application/timestamp-query` POSTs with
`application/timestamp-reply`, and has its own root (not the platform's), as a real authority
would. `fixed_time` pins the time it states, so tests need no clock.
"""

from __future__ import annotations

import datetime
import socket
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.sign.timestamps import DummyTimeStamper

TSA_NAME = "Fictional Time Authority TSA 1"
MAX_QUERY_BYTES = 64 * 1024


@dataclass(frozen=True)
class TsaKeys:
    root_pem: bytes
    cert: asn1_x509.Certificate
    key: asn1_keys.PrivateKeyInfo


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Fictional Time Authority"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def tsa_keys_create() -> TsaKeys:
    """A root and a timestamping certificate it issues, valid for ten years either side of today."""
    now = datetime.datetime.now(datetime.UTC)
    span = datetime.timedelta(days=3650)
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root = (
        x509.CertificateBuilder()
        .subject_name(_name("Fictional Time Authority root"))
        .issuer_name(_name("Fictional Time Authority root"))
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - span)
        .not_valid_after(now + span)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(root_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(TSA_NAME))
        .issuer_name(root.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - span)
        .not_valid_after(now + span)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(root_key, hashes.SHA256())
    )
    key_der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return TsaKeys(
        root_pem=root.public_bytes(serialization.Encoding.PEM),
        cert=asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
        key=asn1_keys.PrivateKeyInfo.load(key_der),
    )


class _Handler(BaseHTTPRequestHandler):
    stamper: DummyTimeStamper
    answered: list[str]

    def do_POST(self):  # noqa: N802 - the name http.server calls
        length = int(self.headers.get("Content-Length") or 0)
        query = self.headers.get("Content-Type") == "application/timestamp-query"
        if not query or not 0 < length <= MAX_QUERY_BYTES:
            self.send_error(400, "expected an application/timestamp-query")
            return
        request = tsp.TimeStampReq.load(self.rfile.read(length))
        body = self.stamper.request_tsa_response(request).dump()
        self.answered.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "application/timestamp-reply")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):  # noqa: A002 - http.server's signature
        pass


@dataclass
class LocalTsa:
    url: str
    keys: TsaKeys
    fixed_time: datetime.datetime
    answered: list[str]


@contextmanager
def local_tsa(keys: TsaKeys, *, fixed_time: datetime.datetime):
    """Serve a timestamp authority until the block ends."""
    stamper = DummyTimeStamper(tsa_cert=keys.cert, tsa_key=keys.key, fixed_dt=fixed_time)
    answered: list[str] = []
    handler = type("Handler", (_Handler,), {"stamper": stamper, "answered": answered})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LocalTsa(
            url=f"http://127.0.0.1:{server.server_address[1]}/tsa",
            keys=keys,
            fixed_time=fixed_time,
            answered=answered,
        )
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def dead_url() -> str:
    """An address where nothing listens: a port taken from the OS and released again."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/tsa"
