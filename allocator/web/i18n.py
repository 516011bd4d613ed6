"""The page's words in Dutch (the default) and English: column labels, section headings and chart texts.

English is the engine's own language (the report, :data:`allocator.export.LABELS`); Dutch comes from
the tables below.  A text without a Dutch entry is shown in English rather than guessed.  The page's
own buttons and labels are translated in its script (``static/app.js``).
"""

from __future__ import annotations

from allocator.export import plain

LANGUAGES = ("nl", "en")

COLUMNS_NL = {
    "region_id": "Gemeentecode", "name": "Naam", "province": "Provincie", "domain_id": "Domein",
    "site_id": "Locatie", "ftype_id": "Voorzieningstype", "population": "Inwoners",
    "change_per_inhabitant_eur": "Verandering per inwoner (€/jaar)", "change_meur": "Verandering (M€/jaar)",
    "programme_change_meur": "Verandering programma's (M€/jaar)", "facilities_change_meur": "Verandering voorzieningen (M€/jaar)",
    "sites_opened": "Locaties geopend", "sites_closed": "Locaties gesloten",
    "people_short": "Inwoners zonder basisvoorziening (personen)", "welfare": "Brede welvaart W (M€-eq/jaar)",
    "shortfall": "Tekort Q (persoonsvoorzieningen)", "status": "Status", "mip_gap": "MIP-gap", "check": "Controle",
    "price_of_fairness": "Prijs van rechtvaardigheid", "gini_welfare": "Gini van welvaart per inwoner",
    "solve_seconds": "Rekentijd (s)", "k": "Punt", "scenario": "Scenario", "extra_money": "Extra geld (M€/jaar)",
    "baseline_total_meur": "Basis incl. voorzieningen (M€/jaar)", "plan_total_meur": "Plan incl. voorzieningen (M€/jaar)",
    "plan_change_meur": "Verandering met extra geld (M€/jaar)",
    "redistribution_change_meur": "Verandering bij herverdeling (M€/jaar)",
    "plan_change_per_inhabitant_eur": "Verandering met extra geld (€/inwoner)",
    "redistribution_change_per_inhabitant_eur": "Verandering bij herverdeling (€/inwoner)",
    "year": "Jaar", "project_id": "Project", "start_year": "Startjaar",
    "good_self_rated_health_pct": "Ervaren gezondheid goed (%)", "life_expectancy_at_birth_years": "Levensverwachting (jaren)",
    "median_disposable_income_eur": "Mediaan besteedbaar inkomen (€)", "net_labour_participation_pct": "Netto arbeidsparticipatie (%)",
    "population_with_starting_qualification_pct": "Inwoners met startkwalificatie (%)",
    "registered_problematic_debt_pct": "Geregistreerde problematische schulden (%)",
    "satisfied_with_life_pct": "Tevreden met het leven (%)", "unemployment_pct": "Werkloosheid (%)",
}

PHRASES_NL = {
    # section headings (allocator.reports.page)
    "The points of the front": "De punten van het front", "Scenarios side by side": "Scenario's naast elkaar",
    "Data and assumptions": "Gegevens en aannames",
    "Change in programme spending per inhabitant": "Verandering in programma-uitgaven per inwoner",
    "Coverage per facility type": "Bereik per voorzieningstype",
    "Shortfall below the minimum service level": "Tekort onder het rechtvaardigheidsminimum",
    "People short of a basic service": "Inwoners zonder basisvoorziening binnen de norm",
    "Broad-welfare weight ω": "Gewicht brede welvaart ω", "Facility decisions": "Besluiten over voorzieningen",
    "Money flows between domains": "Geldstromen tussen domeinen", "Gainers and losers": "Winnaars en verliezers",
    "Year by year": "Per jaar", "Money per year": "Geld per jaar", "Kansenagenda projects": "Projecten uit de kansenagenda's",
    "Plan versus realised": "Plan tegenover realisatie", "Broad welfare beside the plan": "Brede welvaart naast het plan",
    "What redistribution (no extra money) would take": "Wat herverdeling (zonder extra geld) zou wegnemen",
    "Pareto front": "Paretofront",
    # section notes
    "Blue: the region gets more than in the status quo; red: less.":
        "Blauw: de gemeente krijgt meer dan nu; rood: minder.",
    "Share of each region's people within the norm of the facility type.":
        "Aandeel van de inwoners binnen de norm van het voorzieningstype.",
    "Person-services below the rechtvaardigheidsminimum, summed over facility types: a person short of two types "
    "counts twice.": "Persoonsvoorzieningen onder het rechtvaardigheidsminimum, opgeteld over de voorzieningstypen: "
                     "wie twee voorzieningen mist, telt twee keer.",
    "Distinct persons short of at least one basic-package service (each person counted once).":
        "Inwoners die ten minste één voorziening uit het basispakket missen (ieder één keer geteld).",
    "ω_r = bw_r^−α normalised to mean 1: a euro counts more where broad welfare is lower.":
        "ω_r = bw_r^−α, genormeerd op gemiddeld 1: een euro telt zwaarder waar de brede welvaart lager is.",
    "Per municipality, total spending incl. facilities against its baseline; programme and facility money apart. "
    "The 10 largest changes; region_totals.csv has every municipality.":
        "Per gemeente: de totale uitgaven inclusief voorzieningen tegenover de huidige situatie, programma's en "
        "voorzieningen apart. De 10 grootste veranderingen; region_totals.csv bevat elke gemeente.",
    # chart texts (allocator.reports.charts)
    "Change in spending": "Verandering in uitgaven", "€ per inhabitant per year": "€ per inwoner per jaar",
    "% of people within the norm": "% inwoners binnen de norm", "Shortfall Q": "Tekort Q",
    "person-services below the minimum": "persoonsvoorzieningen onder het minimum", "People short": "Inwoners tekort",
    "shortfall Q below the minimum (person-services)": "tekort Q onder het minimum (persoonsvoorzieningen)",
    "shortfall Q (person-services)": "tekort Q (persoonsvoorzieningen)", "Q (person-services)": "Q (persoonsvoorzieningen)",
    "persons": "personen", "ω (mean 1)": "ω (gemiddeld 1)", "region": "gemeente", "site": "locatie",
    "type": "type", "facility type": "voorzieningstype", "decision": "besluit", "keep": "behouden", "open": "openen",
    "close": "sluiten", "existing": "bestaand", "candidate": "kandidaat",
    "Facility decisions (kept, opened, closed)": "Besluiten over voorzieningen (behouden, geopend, gesloten)",
    "paid from": "betaald uit", "spent in": "besteed aan", "site id": "locatiecode",
    # headline keys (allocator.reports.page)
    "status": "status", "MIP gap": "MIP-gap", "time limit": "tijdslimiet", "broad welfare W": "brede welvaart W",
    "shortfall Q": "tekort Q", "extra money": "extra geld", "de-earmarked money (net)": "ontschot geld (netto)",
    "Gini of welfare per inhabitant": "Gini van welvaart per inwoner", "price of fairness": "prijs van rechtvaardigheid",
    "regions below the minimum": "gemeenten onder het minimum", "sites opened / closed": "locaties geopend / gesloten",
    "seconds (build / solve)": "seconden (opbouw / oplossen)", "status (worst stage)": "status (slechtste stap)",
    "least extra money": "minste extra geld",
    "regions worse off (municipal money, its facilities included)": "gemeenten erop achteruit (gemeentelijk geld, voorzieningen inbegrepen)",
    "broad welfare W at that price": "brede welvaart W bij dat bedrag",
    "people short of a basic service": "inwoners zonder basisvoorziening", "redistribution instead": "in plaats daarvan herverdelen",
    "status (worst point)": "status (slechtste punt)", "points": "punten", "seconds": "seconden",
}


def word(column: str, lang: str) -> str:
    """A column's label in ``lang`` (Dutch if known, else the engine's plain English)."""
    if lang == "nl" and column in COLUMNS_NL:
        return COLUMNS_NL[column]
    return plain(column)


def translate(text: str, lang: str) -> str:
    """A heading, note or chart text in ``lang`` (unchanged when English or unknown)."""
    return PHRASES_NL.get(text, text) if lang == "nl" else text


def translate_spec(spec, lang: str):
    """A Vega-Lite spec with its titles translated (data values and field names are left alone)."""
    if lang != "nl":
        return spec
    if isinstance(spec, dict):
        return {k: (translate(v, lang) if k == "title" and isinstance(v, str)
                    else _title(v, lang) if k == "title" else v if k in ("data", "datasets") else translate_spec(v, lang))
                for k, v in spec.items()}
    if isinstance(spec, list):
        return [translate_spec(v, lang) for v in spec]
    return spec


def _title(value, lang: str):
    if isinstance(value, dict) and isinstance(value.get("text"), str):
        return {**value, "text": translate(value["text"], lang)}
    return value
