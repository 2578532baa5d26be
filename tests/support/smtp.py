"""SMTP servers of our own (aiosmtpd) on free loopback ports, and handlers that record,
refuse or count what they are sent."""

import asyncio
import email
import threading
from email import policy

from aiosmtpd.controller import Controller

from tests.support.net import free_port


class RecordingHandler:
    """Accepts every message and keeps it (parsed), with the number of SMTP sessions."""

    def __init__(self):
        self.messages = []
        self.sessions = 0
        self.lock = threading.Lock()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        with self.lock:
            self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append({"rcpt_tos": list(envelope.rcpt_tos), "message": parsed})
        return "250 Message accepted for delivery"

    def to(self, address):
        return [m["message"] for m in self.messages if address in m["rcpt_tos"]]


class RefusingHandler:
    """A provider in trouble: 451 to every RCPT and DATA."""

    def __init__(self):
        self.refused = 0
        self.messages = []
        self.sessions = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.refused += 1
        return "451 4.3.0 Temporary failure, try again later"

    async def handle_DATA(self, server, session, envelope):
        self.refused += 1
        return "451 4.3.0 Temporary failure, try again later"


class SMTPServer:
    def __init__(self, handler):
        self.handler = handler
        self.port = free_port()
        self.controller = Controller(handler, hostname="127.0.0.1", port=self.port)

    @property
    def url(self):
        return f"smtp://127.0.0.1:{self.port}"

    def __getattr__(self, name):
        return getattr(self.handler, name)


class CountingSMTPHandler:
    """Counts the messages the server accepted. `stall` makes the next conversation wait at RCPT
    (mid-send, before any data is accepted) until released; `in_flight` is set when it does."""

    def __init__(self):
        self.messages = []
        self.stall_next = False
        self.in_flight = threading.Event()
        self.release = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.stall_next:
            self.stall_next = False
            self.in_flight.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 Message accepted for delivery"

    def recipients(self):
        return [rcpt for envelope in self.messages for rcpt in envelope.rcpt_tos]
