"""Test data built through the real write path (operations), so it is validated like real data."""

from __future__ import annotations

import uuid
from typing import Any

from directory import operations
from directory.extensions import db


def uid() -> str:
    return str(uuid.uuid4())


def service_data(**overrides: Any) -> dict[str, Any]:
    """An HSDS service object with one phone, a weekly schedule and one location."""
    data: dict[str, Any] = {
        "id": uid(),
        "name": "Harbour Women's Crisis Line",
        "description": "Free, confidential support by phone and text for women experiencing "
                       "violence, day and night.",
        "status": "active",
        "text_language": "en",
        "crisis_line": True,
        "open_24_7": True,
        "organization": {"id": uid(), "name": "Harbour Women's Society",
                         "description": "A feminist anti-violence organisation."},
        "phones": [{"id": uid(), "number": "604-555-0142", "type": "voice", "text_ok": True,
                    "voicemail_safe": False, "hours": "24 hours"}],
        "schedules": [{"id": uid(), "freq": "WEEKLY", "byday": "MO,TU,WE,TH,FR,SA,SU",
                       "opens_at": "00:00", "closes_at": "23:59",
                       "timezone_name": "America/Vancouver"}],
        "languages": [{"id": uid(), "name": "English", "code": "en"}],
        "service_at_locations": [{"id": uid(), "location": {
            "id": uid(), "location_type": "physical", "name": "Harbour House",
            "confidential": True, "public_area": "East Vancouver",
            "latitude": 49.2781, "longitude": -123.0690,
            "addresses": [{"id": uid(), "address_1": "1234 Secret Street", "city": "Vancouver",
                           "state_province": "BC", "postal_code": "V5L 1A1", "country": "CA",
                           "address_type": "physical"}]}}],
        "translations": [{"locale": "fr", "name": "Ligne de crise Harbour pour femmes",
                          "description": "Soutien gratuit et confidentiel par téléphone et "
                                         "texto, jour et nuit."}],
    }
    data.update(overrides)
    return data


def make_service(*, publish: bool = True, commit: bool = True, **overrides: Any):
    """Create a service through operations; published and committed unless told otherwise."""
    with operations.acting_as("test"):
        service = operations.create_service(service_data(**overrides))
        if publish:
            operations.publish_service(service.id)
    if commit:
        db.session.commit()
    return service
