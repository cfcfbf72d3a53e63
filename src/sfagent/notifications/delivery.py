"""Sending one notification through one channel, with errors sorted into "try again later"
(network trouble, 5xx, 429) and "will never work" (4xx, a bad address: the job dead-letters)."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import time
from dataclasses import dataclass

import aiosmtplib
import httpx

from sfagent.config import Settings
from sfagent.notifications import messages
from sfagent.notifications.messages import NotificationEvent


class DeliveryFailed(Exception):
    """Retrying cannot fix it (the receiver refused the request, the address is wrong)."""


class DeliveryDeferred(Exception):
    """The receiver is unreachable or busy: retry later."""


@dataclass(frozen=True, slots=True)
class Destination:
    method: str
    target: str
    secret: str | None = None


async def deliver(
    destination: Destination,
    event: NotificationEvent,
    settings: Settings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> None:
    """Send `event` to `destination`; raise DeliveryFailed or DeliveryDeferred."""
    if destination.method == "email":
        await _email(destination, event, settings)
        return
    if destination.method == "webhook":
        body = messages.webhook_body(event)
        headers = {"Content-Type": "application/json", messages.EVENT_HEADER: event.kind}
        if destination.secret:
            timestamp = int(time.time())
            headers[messages.TIMESTAMP_HEADER] = str(timestamp)
            headers[messages.SIGNATURE_HEADER] = messages.sign(destination.secret, timestamp, body)
        await _post(destination.target, body, headers, settings, transport)
        return
    if destination.method == "slack":
        body = json.dumps(messages.slack_body(event)).encode()
        headers = {"Content-Type": "application/json"}
        await _post(destination.target, body, headers, settings, transport)
        return
    raise DeliveryFailed(f"unknown notification method {destination.method!r}")


async def _post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    settings: Settings,
    transport: httpx.AsyncBaseTransport | None,
) -> None:
    if not settings.notification_private_targets:
        await _refuse_private(url)
    timeout = httpx.Timeout(settings.notification_timeout_seconds)
    try:
        async with httpx.AsyncClient(timeout=timeout, transport=transport) as client:
            response = await client.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        raise DeliveryDeferred(f"{_host(url)} unreachable: {type(exc).__name__}") from exc
    if response.status_code == 429 or response.status_code >= 500:
        raise DeliveryDeferred(f"{_host(url)} answered {response.status_code}")
    if response.status_code >= 400:
        raise DeliveryFailed(f"{_host(url)} refused the notification: {response.status_code}")


async def _email(destination: Destination, event: NotificationEvent, settings: Settings) -> None:
    if not settings.smtp_host:
        raise DeliveryFailed("email notifications need SFAGENT_SMTP_HOST")
    recipients = [address.strip() for address in destination.target.split(",") if address.strip()]
    message = messages.email_message(event, sender=settings.smtp_sender, recipients=recipients)
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    try:
        await aiosmtplib.send(
            message,
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=password,
            start_tls=settings.smtp_starttls,
            timeout=settings.notification_timeout_seconds,
        )
    except aiosmtplib.SMTPRecipientsRefused as exc:
        raise DeliveryFailed(f"the mail server refused the recipients: {exc}") from exc
    except aiosmtplib.SMTPResponseException as exc:
        if 500 <= exc.code < 600:
            raise DeliveryFailed(f"the mail server refused the message: {exc.code}") from exc
        raise DeliveryDeferred(f"the mail server deferred the message: {exc.code}") from exc
    except (aiosmtplib.SMTPException, OSError) as exc:
        raise DeliveryDeferred(f"mail server unreachable: {type(exc).__name__}") from exc


async def _refuse_private(url: str) -> None:
    """Refuse a URL whose host is, or resolves to, a loopback, private, link-local or
    reserved address. (A host that re-resolves between this check and the request can still
    slip through; an egress proxy closes that gap.)"""
    host = httpx.URL(url).host
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None)
    except OSError as exc:
        raise DeliveryDeferred(f"{host} does not resolve: {exc}") from exc
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if not address.is_global:
            raise DeliveryFailed(
                f"{host} is a private network address ({address}); set "
                "SFAGENT_NOTIFICATION_PRIVATE_TARGETS=1 to allow such targets"
            )


def _host(url: str) -> str:
    return httpx.URL(url).host or "the receiver"
