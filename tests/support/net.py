"""Loopback ports: a free one to listen on, and whether something answers on one."""

import socket
from urllib.parse import urlparse


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_answers(port, host="127.0.0.1", timeout=0.3):
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def url_answers(url, default_port=6379):
    parsed = urlparse(url)
    return port_answers(parsed.port or default_port, parsed.hostname or "127.0.0.1", timeout=0.5)
