"""Outgoing e-mail. With MAIL_SMTP_HOST set it goes to that SMTP server; without, each
message is written as an .eml file under the instance folder (`mail/<tenant>/`), which
is what a developer machine wants. Sending runs as a job on the `notify` queue, so a
mail server that is down delays a message instead of losing it."""

from __future__ import annotations

import re
import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app

from singlewindow.platform.db.scoping import current_tenant_id
from singlewindow.platform.tasks import outbox

SEND_JOB = "singlewindow.platform.mail:send_job"


def queue(to: str, subject: str, body: str, *, key: str) -> None:
    """Send after the current transaction commits (once per `key`)."""
    outbox.enqueue("notify", SEND_JOB, to, subject, body, job_id=f"mail-{key}")


def send_job(to: str, subject: str, body: str) -> None:
    send(to, subject, body)


def mail_dir(folder: str) -> Path:
    return Path(current_app.instance_path) / "mail" / folder


def send(to: str, subject: str, body: str, folder: str = "platform") -> None:
    cfg = current_app.config
    message = EmailMessage()
    message["From"] = cfg["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="singlewindow.invalid")
    message.set_content(body)
    if cfg.get("MAIL_SMTP_HOST"):
        with smtplib.SMTP(cfg["MAIL_SMTP_HOST"], int(cfg.get("MAIL_SMTP_PORT", 25)),
                          timeout=15) as smtp:
            smtp.send_message(message)
        return
    tenant = current_tenant_id()
    target = mail_dir(f"tenant-{tenant}" if tenant else folder)
    target.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^a-z0-9@.]+", "-", to.lower())
    (target / f"{message['Message-ID'].strip('<>').split('@')[0]}-{name}.eml").write_bytes(
        bytes(message))
