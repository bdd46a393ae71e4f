"""HTTPS on loopback: one port that speaks HTTP and HTTPS, and the demo web's certificates.

The crawler's probes ask ``http://host/`` and ``https://host/`` of the same host and port (the
default ports on the web). A loopback server cannot have both ports, so :class:`DualProtocol`
serves both on one: a connection whose first byte opens a TLS handshake (0x16) is wrapped in
TLS, any other is served as plain HTTP (or closed, for an HTTPS-only server). A request
handler tells which it got with :func:`is_tls`.

The demo web's HTTPS sites present a certificate issued at start-up for their addresses
(:func:`demo_context`) by the demo CA shipped in ``certs/``: its certificate is the demo
region's ``crawl: ca_bundle``, so the demo crawl verifies HTTPS as any crawl does, trusting it
besides the system's store, and nothing on the system changes. The CA may only vouch for
loopback addresses (and names under ``evalcrawl-demo.invalid``): its name constraints say so,
and its key is no secret. ``python -m evalcrawler.demo.tls`` makes a new one.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import ssl
import sys
import tempfile
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

CERTS = Path(__file__).resolve().with_name("certs")
DEMO_CA = CERTS / "demo-ca.pem"  # the demo region's ca_bundle
DEMO_CA_KEY = CERTS / "demo-ca-key.pem"
LOOPBACK = ipaddress.ip_network("127.0.0.0/8")
DEMO_DOMAIN = "evalcrawl-demo.invalid"  # a reserved name: the only names the CA may certify

TLS_HANDSHAKE = b"\x16"  # the first byte of a TLS record that opens a handshake
HANDSHAKE_TIMEOUT = 10.0  # seconds a connection may take to send its first byte and handshake


class DualProtocol:
    """A mixin for a :class:`socketserver.TCPServer` (before it in the bases): HTTPS with
    ``tls_context`` on the server's port besides plain HTTP; ``plain_http = False`` makes the
    server HTTPS-only. Without a context the server is left as it was."""

    tls_context: ssl.SSLContext | None = None
    plain_http: bool = True

    def finish_request(self, request: Any, client_address: Any) -> None:
        if self.tls_context is None:
            super().finish_request(request, client_address)  # type: ignore[misc]
            return
        try:
            request.settimeout(HANDSHAKE_TIMEOUT)
            first = request.recv(1, socket.MSG_PEEK)
        except OSError:
            return
        if first != TLS_HANDSHAKE:
            if self.plain_http:
                request.settimeout(None)
                super().finish_request(request, client_address)  # type: ignore[misc]
            return  # HTTPS only: nothing answers plain HTTP here (the caller closes it)
        try:
            secure = self.tls_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return  # a client that refused the certificate, say: the caller closes it
        try:
            secure.settimeout(None)
            super().finish_request(secure, client_address)  # type: ignore[misc]
        finally:
            with contextlib.suppress(OSError):
                secure.shutdown(socket.SHUT_RDWR)
            secure.close()


def is_tls(connection: Any) -> bool:
    """Whether a handler's connection came in over TLS (see :class:`DualProtocol`)."""
    return isinstance(connection, ssl.SSLSocket)


def server_context(cert_chain: str, key: str | None = None) -> ssl.SSLContext:
    """A server-side TLS context for a certificate chain (PEM) and its key."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_chain, key)
    return context


def demo_context(addresses: Sequence[str]) -> ssl.SSLContext:
    """A server context whose certificate, issued now by the demo CA for ``addresses`` (IP
    addresses on loopback), is valid for 30 days."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    ca_cert = x509.load_pem_x509_certificate(DEMO_CA.read_bytes())
    ca_key = serialization.load_pem_private_key(DEMO_CA_KEY.read_bytes(), password=None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(timezone.utc)
    ips = [x509.IPAddress(ipaddress.ip_address(a)) for a in addresses]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "evalcrawl demo site")]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName(ips), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    with tempfile.TemporaryDirectory(prefix="evalcrawl-demo-tls-") as folder:
        chain = Path(folder) / "chain.pem"
        secret = Path(folder) / "key.pem"
        chain.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        secret.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        return server_context(str(chain), str(secret))


def make_demo_ca(folder: Path = CERTS) -> None:
    """Write a new demo CA (certificate and key) to ``folder``: valid until 2126, allowed to
    certify only loopback addresses and names under ``evalcrawl-demo.invalid``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, "evalcrawl demo CA (loopback only, no secret)")]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(datetime(2000, 1, 1, tzinfo=timezone.utc))
        .not_valid_after(datetime(2126, 1, 1, tzinfo=timezone.utc))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.NameConstraints(
                permitted_subtrees=[x509.IPAddress(LOOPBACK), x509.DNSName(DEMO_DOMAIN)],
                excluded_subtrees=None,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / DEMO_CA.name).write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / DEMO_CA_KEY.name).write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


if __name__ == "__main__":  # python -m evalcrawler.demo.tls [FOLDER]: a new demo CA
    make_demo_ca(Path(sys.argv[1]) if len(sys.argv) > 1 else CERTS)
