"""Plausible, deterministic metadata for demo ads: employer and salary only when the text
names them, an invented posting place and a 2026 date derived from the ad id."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Place:
    city: str
    country: str
    country_code: str

    def __str__(self) -> str:
        return f"{self.city}, {self.country}"


# Where a reader of each language would plausibly see such an ad posted.
_PLACES: dict[str, tuple[Place, ...]] = {
    "en": (
        Place("Kingston", "Jamaica", "JM"),
        Place("Montego Bay", "Jamaica", "JM"),
        Place("Nassau", "Bahamas", "BS"),
        Place("Bridgetown", "Barbados", "BB"),
        Place("Port of Spain", "Trinidad and Tobago", "TT"),
        Place("Castries", "Saint Lucia", "LC"),
        Place("Georgetown", "Guyana", "GY"),
        Place("Belize City", "Belize", "BZ"),
    ),
    "es": (
        Place("Santo Domingo", "República Dominicana", "DO"),
        Place("Santiago de los Caballeros", "República Dominicana", "DO"),
        Place("Punta Cana", "República Dominicana", "DO"),
        Place("San Juan", "Puerto Rico", "PR"),
        Place("Ciudad de Panamá", "Panamá", "PA"),
        Place("Cartagena", "Colombia", "CO"),
        Place("Barranquilla", "Colombia", "CO"),
    ),
    "fr": (
        Place("Fort-de-France", "Martinique", "MQ"),
        Place("Pointe-à-Pitre", "Guadeloupe", "GP"),
        Place("Basse-Terre", "Guadeloupe", "GP"),
        Place("Cayenne", "Guyane", "GF"),
        Place("Pétion-Ville", "Haïti", "HT"),
        Place("Port-au-Prince", "Haïti", "HT"),
    ),
    "ht": (
        Place("Port-au-Prince", "Ayiti", "HT"),
        Place("Cap-Haïtien", "Ayiti", "HT"),
        Place("Les Cayes", "Ayiti", "HT"),
        Place("Gonaïves", "Ayiti", "HT"),
        Place("Jacmel", "Ayiti", "HT"),
        Place("Saint-Marc", "Ayiti", "HT"),
    ),
    "pt": (
        Place("Belém", "Brasil", "BR"),
        Place("Macapá", "Brasil", "BR"),
        Place("Manaus", "Brasil", "BR"),
        Place("Boa Vista", "Brasil", "BR"),
        Place("São Luís", "Brasil", "BR"),
        Place("Fortaleza", "Brasil", "BR"),
    ),
}

_FIRST_DAY = date(2026, 1, 5)
_DAY_SPAN = 150  # ads posted from early January to early June 2026


def stable_int(*parts: str) -> int:
    """A number that depends only on ``parts``: Python's own hash() changes per process."""
    digest = hashlib.sha256("\x1f".join(("lurewatch-demo", *parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def invent_place(ad_id: str, lang: str) -> Place:
    places = _PLACES.get(lang, _PLACES["en"])
    return places[stable_int("place", ad_id) % len(places)]


def invent_date(ad_id: str) -> str:
    return (_FIRST_DAY + timedelta(days=stable_int("date", ad_id) % _DAY_SPAN)).isoformat()


# --- employer -------------------------------------------------------------------------------

_CAP = r"[A-ZÀ-ÖØ-Þ][\w'’&.-]*"
_SUFFIXES = (
    r"Ltd\.?|Limited|Inc\.?|LLC|Corp\.?|S\.\s?A\.|S\.R\.L\.|SRL|SARL|SAS|Ltda\.?|"
    r"Group|Hotels?|Resorts?|Agency|Services|Enterprises|Company|Farms?|Cruises?|"
    r"Clinic|Bakery|Supermarket|Construction|Logistics|Academy"
)
_PREFIXES = (
    r"Hotel|Hôtel|Otèl|Restaurante|Grupo|Groupe|Agencia|Agence|Agência|Clínica|Clinique|"
    r"Empresa|Construtora|Constructora|Supermercado|Supermarché|Colegio|Collège|Escola|"
    r"Lekòl|Boulangerie|Panadería|Padaria|Farmácia|Farmacia|Pharmacie|Fundación|Fondation"
)
_LABELLED = re.compile(
    r"(?:Employer|Company|Empresa|Employeur|Entreprise|Konpayi|Anplwayè|Patwon)\s?:\s*"
    rf"((?:{_CAP})(?:\s(?:{_CAP}|de|du|des|da|do|dos|del|la|le|&)){{0,4}})"
)
_SUFFIXED = re.compile(rf"\b((?:{_CAP}\s){{1,4}}(?:{_SUFFIXES}))(?![\w])")
_PREFIXED = re.compile(
    rf"\b((?:{_PREFIXES})(?:\s(?:(?:de|du|des|da|do|del|la|le|los|las)\s)?{_CAP}){{1,3}})"
)
# Capitalised words that start sentences or shout, not names.
_NOT_NAMES = {
    "The", "Our", "A", "An", "We", "Your", "This", "Urgent", "URGENT", "New", "Big", "Top",
    "Grande", "Gran", "Une", "Un", "La", "Le", "Les", "El", "Los", "Nuestra", "Nuestro",
    "Nossa", "Nosso", "Uma", "Um", "Yon", "Nou", "International", "Famous", "Great",
    "Join", "Contact", "Call", "Apply", "Visit", "At", "In", "For", "With", "From", "Chez",
    "Rejoignez", "Contactez", "Appelez", "En", "Por", "Para", "Únete", "Llama", "Contacte",
    "Em", "Na", "No", "Ligue", "Pou", "Nan", "Rele", "Vini",
}  # fmt: skip


def _tidy(name: str) -> str:
    name = name.strip(" ,;:")
    if name.endswith(".") and "." not in name.split()[-1][:-1]:
        name = name[:-1]  # a full stop, not an abbreviation such as "S.A."
    words = name.split()
    while words and words[0] in _NOT_NAMES:
        words = words[1:]
    return " ".join(words)


def find_employer(title: str, text: str) -> str:
    """The organisation an ad names, or "" when it names none (most lures do not)."""
    for source in (text, title):
        for pattern in (_LABELLED, _SUFFIXED, _PREFIXED):
            for match in pattern.finditer(source):
                name = _tidy(match.group(1))
                # A lone generic word ("Hotels", "Agency") names nobody.
                if len(name.split()) >= 2 and not name.isupper():
                    return name[:80]
    return ""


# --- salary ---------------------------------------------------------------------------------

_NUM = r"\d{1,3}(?:[.,\u00a0\u202f ]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
_CUR_BEFORE = r"US\$|RD\$|J\$|TT\$|EC\$|BZ\$|CA\$|C\$|R\$|\$|€|£|USD|EUR|HTG|BRL|DOP|JMD|CAD"
_CUR_AFTER = (
    r"\$\s?US|US\$|\$|€|USD|EUR|HTG|BRL|DOP|JMD|CAD|euros?|dollars?|dólares|dolares|dola|"
    r"gourdes?|goud|reais|real|pesos"
)
_PERIOD_WORD = (
    r"hour|hr|h|day|night|week|wk|month|mo|year|yr|heure|jour|soirée|semaine|mois|an|année|"
    r"hora|día|dia|noche|semana|mes|mês|año|ano|èdtan|lè|jou|semèn|mwa|lane"
)
_PERIOD = (
    r"(?:\s?/\s?|\s(?:per|a|an|each|par|por|pou|pa|chak|de\sl'|la|le|al|ao|à|o)\s)"
    rf"(?:{_PERIOD_WORD})\b"
    r"|\s(?:monthly|weekly|daily|hourly|mensual(?:es)?|semanal(?:es)?|diarios?|mensuels?|"
    r"mensais|mensal|semanais|net|nets|neto|líquidos?)\b"
)
_AMOUNT = rf"(?:(?:{_CUR_BEFORE})\s?(?:{_NUM})|(?:{_NUM})\s?(?:{_CUR_AFTER}))(?![\w])"
_SALARY = re.compile(rf"({_AMOUNT}(?:\s?(?:-|–|to|a|à)\s?{_AMOUNT})?(?:{_PERIOD})?)", re.IGNORECASE)
_PAY_WORDS = re.compile(
    r"\b(salary|pay|pays|wages?|earn|salaire|paie|gains?|gagne[rz]?|salario|sueldo|pago|gana|"
    r"ganar|salário|ganhe|ganha|salè|peye|touche|lajan)\W+(?:\w+\W+){0,3}$",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?;:\n](?:\s|$)")
# Amounts the applicant pays or pays back are not the salary.
_FEE_WORDS = re.compile(
    r"\b(fees?|deposit|repay|pay back|deduct\w*|frais|rembours\w*|retenu\w*|inscription|"
    r"cuota|tarifa|inscripción|devolver|descuent\w*|taxa|matrícula|reembols\w*|desconta\w*|"
    r"frè|ranbouse|depo)\W+(?:\w+\W+){0,3}$",
    re.IGNORECASE,
)


def find_salary(text: str) -> str:
    """The pay the text offers, as written; "" when it states none. Fees are amounts too,
    so an amount counts as pay only after a pay word or with a period ("/month")."""
    candidates = []
    for match in _SALARY.finditer(text):
        # Only the same sentence tells what an amount is for.
        before = _SENTENCE_END.split(text[max(0, match.start() - 40) : match.start()])[-1]
        if not _FEE_WORDS.search(before):
            candidates.append((match.group(1).strip()[:80], before))
    for amount, before in candidates:
        if _PAY_WORDS.search(before):
            return amount
    for amount, _before in candidates:
        if re.search(_PERIOD, amount, re.IGNORECASE):
            return amount
    return ""
