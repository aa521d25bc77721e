"""E-mail messages (.eml): headers as metadata, the body as text, attachments carried along.

The plain-text body is preferred; an HTML-only message is reduced to its visible
text. Sender, recipients and date stay as metadata because they are evidence too
(who wrote to whom, when).
"""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

from dualtrace.errors import InputError
from dualtrace.sources.documents.markup import html_to_text
from dualtrace.sources.documents.model import ExtractedText, PageText

HEADERS = ("from", "to", "cc", "date", "subject", "message-id")


def read_eml(raw: bytes, name: str) -> ExtractedText:
    """Body text (plain preferred over HTML) with a header block, one page."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    if not isinstance(msg, EmailMessage) or not any(msg.get(h) for h in HEADERS):
        raise InputError("not an e-mail message (no From/To/Date/Subject headers)", file=name)
    meta: dict[str, str] = {}
    for header in HEADERS:
        value = msg.get(header)
        if value:
            meta[header] = str(value)
    body_text = ""
    warnings: list[str] = []
    try:
        part = msg.get_body(preferencelist=("plain", "html"))
        if part is not None:
            content = part.get_content()
            if isinstance(content, bytes):
                content = content.decode("utf-8", errors="replace")
            if part.get_content_subtype() == "html":
                body_text, _ = html_to_text(content)
            else:
                body_text = content
    except (LookupError, UnicodeError, KeyError) as exc:
        warnings.append(f"body could not be decoded: {exc}")
    names: list[str] = []
    carried: list[tuple[str, bytes]] = []
    for part in msg.iter_attachments():
        filename = part.get_filename() or "(unnamed)"
        names.append(filename)
        try:
            payload = part.get_payload(decode=True)
        except (LookupError, ValueError) as exc:
            warnings.append(f"attachment {filename}: cannot decode ({exc})")
            continue
        if isinstance(payload, bytes) and payload:
            carried.append((filename, payload))
    if names:
        meta["attachments"] = ", ".join(names)
    header_block = "\n".join(
        f"{h.title()}: {meta[h]}" for h in ("from", "to", "cc", "date", "subject") if h in meta
    )
    text = f"{header_block}\n\n{body_text.strip()}".strip()
    return ExtractedText(
        pages=[PageText(text.replace("\r\n", "\n"))],
        media_type="message/rfc822",
        title=meta.get("subject"),
        metadata=meta,
        warnings=warnings,
        attachments=carried,
    )
