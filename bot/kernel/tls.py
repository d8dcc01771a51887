"""The TLS settings of the bot's own HTTPS clients (the Zalo Bot API, file links): one
verified context a process, shared by every client.

Building one loads the whole CA bundle, about 50 ms of CPU; httpx did it for every
client it made (a Zalo channel, its file fetcher, each restart of either). A context
is safe to share between clients and threads once built, and nothing here changes it.
"""

from __future__ import annotations

import ssl
from functools import lru_cache

import httpx


@lru_cache(maxsize=2)
def client_context(trust_env: bool = True) -> ssl.SSLContext:
    """What httpx would build for a client with certificate checks on (certifi's CA bundle;
    with `trust_env`, SSL_CERT_FILE and SSL_CERT_DIR where set)."""
    return httpx.create_ssl_context(trust_env=trust_env)
