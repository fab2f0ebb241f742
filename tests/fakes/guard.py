"""Keep tests off the network: only loopback addresses may be resolved or connected to.

Use as an autouse fixture::

    @pytest.fixture(autouse=True)
    def _loopback_only():
        with loopback_only():
            yield

Inside the block any name lookup or TCP/UDP connect to something other than 127.0.0.1,
::1 or ``localhost`` raises ``NetworkBlocked`` (an ``OSError``), and proxy variables are
removed from the environment so that requests cannot route loopback traffic elsewhere.
"""

from __future__ import annotations

import contextlib
import os
import socket

LOOPBACK = {"127.0.0.1", "::1", "localhost", "::ffff:127.0.0.1"}
_PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


class NetworkBlocked(OSError):
    pass


@contextlib.contextmanager
def loopback_only():
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def _check(sock, address):
        if sock.family == getattr(socket, "AF_UNIX", None):
            return
        host = address[0] if isinstance(address, tuple) else address
        if host not in LOOPBACK:
            raise NetworkBlocked(f"test tried to reach {host!r}; only loopback is allowed")

    def connect(self, address):
        _check(self, address)
        return real_connect(self, address)

    def connect_ex(self, address):
        _check(self, address)
        return real_connect_ex(self, address)

    def getaddrinfo(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else host
        if name not in LOOPBACK and name is not None:
            raise socket.gaierror(socket.EAI_NONAME, f"lookup of {name!r} blocked in tests")
        return real_getaddrinfo(host, *args, **kwargs)

    saved_env = {}
    for name in _PROXY_VARIABLES:
        for variant in (name, name.lower()):
            if variant in os.environ:
                saved_env[variant] = os.environ.pop(variant)
    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
    socket.getaddrinfo = getaddrinfo
    try:
        yield
    finally:
        socket.socket.connect = real_connect
        socket.socket.connect_ex = real_connect_ex
        socket.getaddrinfo = real_getaddrinfo
        os.environ.update(saved_env)
