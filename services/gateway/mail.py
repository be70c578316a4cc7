"""E-mail for notifications, through the SMTP server in the settings (when one is set)."""

import asyncio
import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

from services.gateway.settings import GatewaySettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str


class Mailer:
    """Sends mail without holding up the caller's event loop; failures are logged, not raised."""

    def __init__(self, settings: GatewaySettings) -> None:
        self._settings = settings

    @property
    def enabled(self) -> bool:
        return self._settings.smtp_host is not None

    async def send(self, mail: Mail) -> bool:
        if not self.enabled:
            return False
        try:
            await asyncio.to_thread(self._send, mail)
        except (OSError, ValueError, smtplib.SMTPException) as error:
            log.warning("e-mail to a user could not be sent: %s", type(error).__name__)
            return False
        return True

    def _send(self, mail: Mail) -> None:
        settings = self._settings
        assert settings.smtp_host is not None
        message = EmailMessage()
        message["From"] = settings.smtp_sender
        message["To"] = mail.to
        message["Subject"] = " ".join(mail.subject.split())  # one line, whatever the title holds
        message.set_content(mail.body)
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_username and settings.smtp_password:
                smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
            smtp.send_message(message)
