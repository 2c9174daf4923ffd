"""Certificates as PDF (reportlab, with its built-in CID font for Chinese: nothing to embed or download)."""

from __future__ import annotations

import io

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from training.models import Certificate

_FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(_FONT))


def pdf(certificate: Certificate) -> bytes:
    buffer = io.BytesIO()
    width, height = landscape(A4)
    page = canvas.Canvas(buffer, pagesize=(width, height))
    page.setTitle(f"{_('Training certificate')} {certificate.code}")
    user = certificate.user
    lines = [
        (28, _("Training certificate")),
        (20, user.get_full_name() or user.get_username()),
        (16, certificate.programme.title),
        (
            14,
            _("%(hours)s hours, completed %(date)s")
            % {"hours": certificate.hours, "date": certificate.issued_on.isoformat()},
        ),  # fmt: skip
        (11, _("Verification code: %(code)s") % {"code": certificate.code}),
        (11, f"{settings.SITE_URL}{reverse('training:verify', args=[certificate.code])}"),
    ]
    y = height - 150
    for size, text in lines:
        page.setFont(_FONT, size)
        page.drawCentredString(width / 2, y, text)
        y -= size * 2.4
    page.showPage()
    page.save()
    return buffer.getvalue()
