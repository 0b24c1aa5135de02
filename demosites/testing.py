"""A synthetic seed corpus of known shape, so tests can check exact counts and markup without
depending on the real corpus, which grows as it is written."""

from __future__ import annotations

import json
from pathlib import Path

from demosites.seed import LANGS

# (lure title, lure text, benign title, benign text) per language; {job} and {n} vary per ad.
_TEMPLATES = {
    "en": (
        "URGENT: {job}s wanted abroad #{n}",
        "Travel paid, pay back later. Earn US$ 2,000 per month as a {job}. "
        'Send photos on WhatsApp & keep it quiet "for now" <3\n\nLeaving Friday.',
        "{job} at Coral Bay Hotel Ltd (ref {n})",
        "Coral Bay Hotel Ltd is hiring a {job}. Salary: $900 a month, contract per labour law. "
        "Apply in person.",
    ),
    "es": (
        "¡{job}s para el extranjero YA! #{n}",
        "Pasaje pagado, lo devuelves después. Gana 1.800 dólares al mes como {job}. "
        "Manda fotos por WhatsApp 💃",
        "{job} en Grupo Brisas del Mar ({n})",
        "Grupo Brisas del Mar busca {job}. Sueldo 25.000 pesos mensuales, contrato legal.",
    ),
    "fr": (
        "{job}s demandées à l'étranger n°{n}",
        "Billet avancé, remboursé sur salaire. 2500 USD/mois comme {job}. "
        "Passeport gardé par l'agence.",
        "{job} chez Hôtel Le Flamboyant ({n})",
        "L'Hôtel Le Flamboyant recrute un {job}. Salaire 1800 € par mois, contrat local.",
    ),
    "ht": (
        "{job} pou travay lòt bò #{n}",
        "Nou peye tikè a, w ap ranbouse apre. 1500 dola pa mwa pou {job}. Voye foto sou WhatsApp.",
        "{job} nan Lekòl Nouvo Jou ({n})",
        "Lekòl Nouvo Jou ap chèche yon {job}. Salè 30 000 goud pa mwa, kontra legal.",
    ),
    "pt": (
        "{job}s para o exterior JÁ #{n}",
        "Passagem paga, você devolve depois. Ganhe 2.000 dólares por mês como {job}. "
        "Mande fotos pelo WhatsApp.",
        "{job} na Construtora Boa Vista ({n})",
        "A Construtora Boa Vista contrata {job}. Salário R$ 2.400 por mês, carteira assinada.",
    ),
}
_JOBS = ("cleaner", "cook", "driver", "waitress", "nurse", "welder", "dancer", "nanny")
_CATEGORIES = ("hotel_job", "domestic_work", "farm_work", "modelling", "call_centre", "other")


def write_sample_seed(directory: Path, per_language: int = 80) -> Path:
    """Writes ``{lang}.jsonl`` for the five languages, half lures and half benign ads."""
    if per_language < 2:
        raise ValueError("per_language must be at least 2 (one lure, one benign ad)")
    directory.mkdir(parents=True, exist_ok=True)
    for lang in LANGS:
        lure_title, lure_text, ok_title, ok_text = _TEMPLATES[lang]
        lines = []
        for n in range(1, per_language + 1):
            job = _JOBS[n % len(_JOBS)]
            label = n % 2
            title, text = (lure_title, lure_text) if label else (ok_title, ok_text)
            record = {
                "id": f"{lang}-{n:04d}",
                "lang": lang,
                "label": label,
                "kind": "lure" if label else "benign",
                "category": _CATEGORIES[n % len(_CATEGORIES)],
                "title": title.format(job=job, n=n),
                "text": text.format(job=job, n=n),
            }
            lines.append(json.dumps(record, ensure_ascii=False))
        (directory / f"{lang}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return directory
