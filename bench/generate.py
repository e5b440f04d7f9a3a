"""Realistic synthetic listings for benchmarks: several languages, categories, cities, hours."""

from __future__ import annotations

import random
import uuid
from typing import Any

NS = uuid.UUID("b3e0c0de-0000-4000-8000-00000000b0b0")

CITIES = [  # name, province, lat, lon, postal prefix
    ("Vancouver", "BC", 49.2827, -123.1207, "V6B"), ("Surrey", "BC", 49.1913, -122.8490, "V3T"),
    ("Burnaby", "BC", 49.2488, -122.9805, "V5H"), ("Richmond", "BC", 49.1666, -123.1336, "V6X"),
    ("Victoria", "BC", 48.4284, -123.3656, "V8W"), ("Kelowna", "BC", 49.8880, -119.4960, "V1Y"),
    ("Prince George", "BC", 53.9171, -122.7497, "V2L"), ("Calgary", "AB", 51.0447, -114.0719, "T2P"),
    ("Edmonton", "AB", 53.5461, -113.4938, "T5J"), ("Toronto", "ON", 43.6532, -79.3832, "M5V"),
    ("Ottawa", "ON", 45.4215, -75.6972, "K1P"), ("Montréal", "QC", 45.5019, -73.5674, "H2X"),
    ("Gatineau", "QC", 45.4765, -75.7013, "J8X"), ("Winnipeg", "MB", 49.8951, -97.1384, "R3C"),
    ("Halifax", "NS", 44.6488, -63.5752, "B3J"), ("Regina", "SK", 50.4452, -104.6189, "S4P"),
]
ZONES = {"BC": "America/Vancouver", "AB": "America/Edmonton", "ON": "America/Toronto",
         "QC": "America/Toronto", "MB": "America/Winnipeg", "NS": "America/Halifax",
         "SK": "America/Regina"}

KINDS = [  # term code, English name pattern, English description, French name, French description
    ("crisis-line", "{place} Crisis Line", "Call or text any time to talk with a trained "
     "support worker about violence, abuse or fear for your safety.", "Ligne de crise de {place}",
     "Appelez ou textez en tout temps pour parler à une intervenante formée de violence, d'abus "
     "ou de peur pour votre sécurité."),
    ("transition-house", "{place} Transition House", "A safe, confidential place to stay for "
     "women and children leaving violence, with support and advocacy.",
     "Maison d'hébergement de {place}", "Un lieu sûr et confidentiel pour les femmes et les "
     "enfants qui fuient la violence, avec soutien et accompagnement."),
    ("counselling", "{place} Counselling Program", "Free one-to-one and group counselling for "
     "people affected by family violence and abuse.", "Programme de counseling de {place}",
     "Counseling individuel et en groupe gratuit pour les personnes touchées par la violence "
     "familiale."),
    ("legal-advocacy", "{place} Legal Advocacy", "Help with protection orders, family law and "
     "court accompaniment for survivors of violence.", "Défense juridique de {place}",
     "Aide pour les ordonnances de protection, le droit de la famille et l'accompagnement à la "
     "cour."),
    ("sti-testing", "{place} Sexual Health Clinic", "Walk-in STI and HIV testing, treatment and "
     "free condoms. Anonymous testing available.", "Clinique de santé sexuelle de {place}",
     "Dépistage des ITS et du VIH sans rendez-vous, traitement et condoms gratuits."),
    ("contraception", "{place} Contraception Clinic", "Birth control counselling, prescriptions, "
     "IUD insertion and emergency contraception.", "Clinique de contraception de {place}",
     "Conseils en contraception, ordonnances, pose de stérilet et contraception d'urgence."),
    ("pep", "{place} PEP Access", "HIV post-exposure prophylaxis: come within 72 hours of an "
     "exposure; sooner is better.", "Accès à la PPE de {place}", "Prophylaxie post-exposition "
     "au VIH : venez dans les 72 heures suivant une exposition."),
    ("youth-clinic", "{place} Youth Clinic", "Drop-in sexual health care for young people up to "
     "24, confidential and free.", "Clinique jeunesse de {place}", "Soins de santé sexuelle "
     "sans rendez-vous pour les jeunes jusqu'à 24 ans, confidentiels et gratuits."),
]
OTHER = {
    "es": ("Servicio de apoyo en {place}", "Atención gratuita y confidencial para personas "
           "afectadas por la violencia y servicios de salud sexual."),
    "zh_Hans": ("{place}支援服务", "为受暴力影响的人提供免费保密的支持，以及性健康检测服务。"),
    "pa": ("{place} ਸਹਾਇਤਾ ਸੇਵਾ", "ਹਿੰਸਾ ਤੋਂ ਪ੍ਰਭਾਵਿਤ ਲੋਕਾਂ ਲਈ ਮੁਫ਼ਤ ਅਤੇ ਗੁਪਤ ਸਹਾਇਤਾ।"),
    "ar": ("خدمة الدعم في {place}", "دعم مجاني وسري للأشخاص المتأثرين بالعنف وخدمات الصحة "
           "الجنسية."),
    "ko": ("{place} 지원 서비스", "폭력 피해자를 위한 무료 비밀 상담과 성건강 검사."),
    "vi": ("Dịch vụ hỗ trợ {place}", "Hỗ trợ miễn phí và bảo mật cho người bị bạo lực và xét "
           "nghiệm sức khỏe tình dục."),
}
LANGS = ["en", "fr", "pa", "zh", "yue", "ar", "fa", "ko", "vi", "tl", "es", "hi"]
NEIGHBOURHOODS = ["North", "South", "East", "West", "Central", "Harbour", "Riverside", "Hillside",
                  "Lakeview", "Parkside", "Old Town", "Uptown"]


def _id(*parts: Any) -> str:
    return str(uuid.uuid5(NS, ":".join(map(str, parts))))


def listing(n: int, term_ids: dict[str, str], rng: random.Random) -> dict[str, Any]:
    """One HSDS service object."""
    code, en_name, en_desc, fr_name, fr_desc = rng.choice(KINDS)
    city, province, lat, lon, postal = rng.choice(CITIES)
    place = f"{rng.choice(NEIGHBOURHOODS)} {city} {n}"
    confidential = code == "transition-house"
    always = code == "crisis-line"
    translations = []
    if rng.random() < 0.8:
        translations.append({"locale": "fr", "name": fr_name.format(place=place),
                             "description": fr_desc})
    if rng.random() < 0.25:
        locale = rng.choice(list(OTHER))
        name, description = OTHER[locale]
        translations.append({"locale": locale, "name": name.format(place=place),
                             "description": description})
    days = rng.choice(["MO,TU,WE,TH,FR", "MO,TU,WE,TH,FR,SA", "TU,TH", "MO,WE,FR"])
    opens = rng.choice(["08:30", "09:00", "10:00", "12:00"])
    closes = rng.choice(["16:30", "17:00", "20:00", "21:00"])
    features = [c for c, p in (("walk-in", 0.4), ("free", 0.7), ("appointment", 0.3)) if
                rng.random() < p]
    population = [c for c in ("women", "youth", "2slgbtqia", "newcomers") if rng.random() < 0.2]
    attrs = [{"id": _id(n, "attr", c), "taxonomy_term_id": term_ids[c]}
             for c in [code, *features, *population] if c in term_ids]
    return {
        "id": _id(n, "service"), "name": en_name.format(place=place),
        "description": en_desc + f" Serving {city} and area.", "status": "active",
        "publication": "published", "crisis_line": code == "crisis-line", "open_24_7": always,
        "text_language": "en",
        "organization": {"id": _id(n // 5, "org"), "name": f"{city} Community Society {n // 5}",
                         "description": "A community organisation."},
        "phones": [{"id": _id(n, "phone"), "number": f"604-555-01{n % 100:02d}",
                    "text_ok": rng.random() < 0.3, "tty": rng.random() < 0.05}],
        "schedules": [] if always else [{"id": _id(n, "sched"), "freq": "WEEKLY",
                                         "byday": days, "opens_at": opens, "closes_at": closes,
                                         "timezone_name": ZONES[province]}],
        "languages": [{"id": _id(n, "lang", code_), "code": code_, "name": code_}
                      for code_ in sorted({"en", *rng.sample(LANGS, rng.randint(1, 3))})],
        "cost_options": [{"id": _id(n, "cost"), "option": "Free", "amount": 0}]
        if "free" in features else [],
        "attributes": attrs,
        "translations": translations,
        "service_at_locations": [{"id": _id(n, "sal"), "location": {
            "id": _id(n, "loc"), "location_type": "physical", "name": place,
            "confidential": confidential, "public_area": city,
            "latitude": round(lat + rng.uniform(-0.08, 0.08), 5),
            "longitude": round(lon + rng.uniform(-0.12, 0.12), 5),
            "addresses": [{"id": _id(n, "addr"), "address_1": f"{rng.randint(10, 9999)} Main St",
                           "city": city, "state_province": province,
                           "postal_code": f"{postal} {rng.randint(1, 9)}A{rng.randint(1, 9)}",
                           "country": "CA", "address_type": "physical"}]}}],
    }
