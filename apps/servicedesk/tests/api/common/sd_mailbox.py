"""An aiosmtpd handler for the black-box API tests: every message it receives is decoded
(MIME parts, transfer encodings) and written as one JSON file into a directory.

    PYTHONPATH=<this dir> python3 -m aiosmtpd -n -l 127.0.0.1:PORT -c sd_mailbox.Mailbox OUTDIR

Each file is `NNNNN.json` with `mail_from`, `rcpt_tos`, `to`, `subject`, `text` and `html`;
it is written under a temporary name and renamed, so readers never see half a file.
"""

import email
import json
import os
from email import policy


class Mailbox:
    """Stores each message as JSON in `outdir`."""

    def __init__(self, outdir):
        self.outdir = outdir
        self.count = 0

    @classmethod
    def from_cli(cls, parser, *args):
        if len(args) != 1:
            parser.error("sd_mailbox.Mailbox takes exactly one argument: the output directory")
        return cls(args[0])

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        msg = email.message_from_bytes(raw, policy=policy.default)
        text, html = [], []
        for part in msg.walk():
            if part.is_multipart():
                continue
            kind = part.get_content_type()
            if kind == "text/plain":
                text.append(part.get_content())
            elif kind == "text/html":
                html.append(part.get_content())
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "to": str(msg.get("to", "")),
            "subject": str(msg.get("subject", "")),
            "text": "".join(text),
            "html": "".join(html),
        }
        self.count += 1
        name = f"{self.count:05d}.json"
        tmp = os.path.join(self.outdir, "." + name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(record, f)
        os.replace(tmp, os.path.join(self.outdir, name))
        return "250 Message accepted for delivery"
