"""Illustrative kansenagenda workbooks for the 11 NPVR programme regions of ``instances/nl``.

    python -m regio_instances.prepare_nl_agendas      # writes instances/nl/scenarios/agendas/<region>.xlsx

Every workbook is the regio template (:func:`allocator.multiyear.agenda.write_template`) filled with
three projects of the programme region (its tag ``npvr:<region>``), all labelled *illustratief*:
the amounts are assumptions of this script, not the regions' own agendas.  Project sizes scale with
the region's population (per 100,000 inhabitants: a care hub 2.0 M€/yr for 3 years, 1.6 M€-eq/yr once
done, from 2026; a mobility hub 3.0 M€/yr for 2 years, 2.4, from 2026; a learning centre 1.0 M€/yr for
2 years, 0.8, from 2028).  Welfare counts only within the horizon, so a five-year programme starts the
projects that pay back within it and a ten-year one more.  Each region gives its municipalities a priority of
1.1 on one domain (the first domain its NPVR plan names: care, accessibility or education).
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from allocator.instance import load_instance
from allocator.multiyear.agenda import write_template

HERE = Path(__file__).resolve().parent
OUT = HERE / "nl" / "scenarios" / "agendas"  # beside the scenarios that name them (agendas stay in their folder)
PROJECTS = [  # (suffix, name, domain, cost per 100k inhabitants, years, earliest, welfare per 100k)
    ("zorg", "Regionale zorghub", "care", 2.0, 3, 2026, 1.6),
    ("mobiliteit", "Mobiliteitsknooppunt", "accessibility", 3.0, 2, 2026, 2.4),
    ("leren", "Leven-lang-ontwikkelencentrum", "education", 1.0, 2, 2028, 0.8),
]
PRIORITY = {"noord-en-oost-groningen": "care", "zuid-en-oost-drenthe": "care", "zuid-limburg": "care",
            "twente": "accessibility", "achterhoek": "accessibility", "kop-van-noord-holland": "accessibility",
            "zeeuws-vlaanderen": "accessibility", "noord-friesland": "education", "zuidoost-friesland": "education",
            "midden-limburg": "education", "noord-limburg": "education"}


def main() -> None:
    inst = load_instance(HERE / "nl")
    regions = inst.regions
    OUT.mkdir(exist_ok=True)
    for region, domain in sorted(PRIORITY.items()):
        tag = f"npvr:{region}"
        members = regions[regions["tags"].fillna("").str.split(";").map(lambda t, tag=tag: tag in t)]
        scale = float(members["population"].sum()) / 1e5
        path = write_template(OUT / f"{region}.xlsx", inst)
        wb = load_workbook(path)
        ws = wb["projects"]
        ws.delete_rows(2, ws.max_row)
        for suffix, name, dom, cost, years, start, welfare in PROJECTS:
            ws.append([f"{region}-{suffix}", f"{name} {region.replace('-', ' ').title()} (illustratief)", tag, dom,
                       round(cost * scale, 2), years, start, round(welfare * scale, 2)])
        ws = wb["priorities"]
        ws.delete_rows(2, ws.max_row)
        for code in members.index:
            ws.append([code, domain, 1.1])
        wb.save(path)
        print(f"{path.relative_to(HERE.parent)}: {len(members)} municipalities, {scale * 1e5:,.0f} inhabitants")


if __name__ == "__main__":
    main()
