"""Outbox senders: console and file (the defaults) and SMTP e-mail.

Every sender implements :class:`carnet.services.outbox.Sender`. The console and
file senders are for development and for deployments whose messages are picked
up by another system; they never log the recipient in full.
"""

from __future__ import annotations

import json
import os
import smtplib
import sys
import threading
from email.message import EmailMessage
from typing import TYPE_CHECKING, TextIO

from carnet.domain.errors import InfrastructureError, redact

if TYPE_CHECKING:
    from pathlib import Path

    from carnet.domain.messages import Message

__all__ = ["ConsoleSender", "FileSender", "SmtpSender"]


class ConsoleSender:
    """Prints each message (recipient masked) to a stream: for local demos."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stderr

    def send(self, message: Message, text: str) -> None:
        """Print the message."""
        print(
            f"[outbox {message.channel.value} to {redact(message.recipient, 4)}] {text}",
            file=self._stream,
            flush=True,
        )


class FileSender:
    """Appends each message as one JSON line to a private file (mode 0600)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()

    def send(self, message: Message, text: str) -> None:
        """Append the message.

        Raises:
            InfrastructureError: the file cannot be written.
        """
        record = {
            "id": message.id,
            "channel": message.channel.value,
            "recipient": message.recipient,
            "text": text,
            "created_at": message.created_at.isoformat(),
        }
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            with self._lock:
                fd = os.open(self._path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                with os.fdopen(fd, "a", encoding="utf-8") as out:
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
        except OSError as exc:
            raise InfrastructureError("the outbox file cannot be written") from exc


class SmtpSender:
    """Sends e-mail messages through an SMTP relay (STARTTLS when offered)."""

    def __init__(self, host: str, port: int, sender: str, *, timeout: float = 10.0) -> None:
        self._host, self._port, self._from, self._timeout = host, port, sender, timeout

    def send(self, message: Message, text: str) -> None:
        """Send one e-mail.

        Raises:
            InfrastructureError: the relay refused or could not be reached.
        """
        mail = EmailMessage()
        mail["From"] = self._from
        mail["To"] = message.recipient
        mail["Subject"] = "Carnet"
        mail.set_content(text)
        try:
            with smtplib.SMTP(self._host, self._port, timeout=self._timeout) as smtp:
                if smtp.has_extn("starttls"):
                    smtp.starttls()
                smtp.send_message(mail)
        except (OSError, smtplib.SMTPException) as exc:
            raise InfrastructureError("the SMTP relay did not accept the message") from exc
