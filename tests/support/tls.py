"""Throwaway TLS for tests: a trustme CA and a server certificate for 127.0.0.1 and localhost.

    files = make_tls(tmp_path)
    with serve_app(app, ssl_certfile=files.cert, ssl_keyfile=files.key) as base_url: ...
    httpx.Client(verify=files.client_context())       # or SSL_CERT_FILE=files.ca

Nothing is installed anywhere: the CA lives only in the test's temporary directory.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

import trustme


@dataclass(frozen=True)
class TLSFiles:
    ca: str  # the CA certificate (PEM): what clients must trust
    cert: str  # the server's certificate chain (PEM)
    key: str  # the server's private key (PEM)

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.ca)


def make_tls(directory: Path) -> TLSFiles:
    ca = trustme.CA()
    server = ca.issue_cert("127.0.0.1", "localhost")
    files = TLSFiles(
        ca=str(directory / "ca.pem"),
        cert=str(directory / "server-chain.pem"),
        key=str(directory / "server-key.pem"),
    )
    ca.cert_pem.write_to_path(files.ca)
    server.private_key_pem.write_to_path(files.key)
    with open(files.cert, "wb") as chain:
        for blob in server.cert_chain_pems:
            chain.write(blob.bytes())
    return files
