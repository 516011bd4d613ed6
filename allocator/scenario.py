"""Scenarios: the policy settings and solver options of one run, as one printable value.

A scenario is resolved in layers, later layers winning key by key (nested
tables merge):

1. the model's defaults (the field defaults below);
2. the instance's ``[defaults]`` table in ``instance.toml``;
3. the scenario file, after the file it ``extends`` (recursively, relative
   paths from the extending file);
4. command-line flags.

The result is strict (unknown keys are errors, naming the file) and frozen,
and it is written next to every result as ``scenario.toml``.
Symbols of ``model.md``: ``shortfall_price`` = λ (€ per person-service below the
minimum), ``equity_alpha`` = α, ``liveability_value`` = β (€ per person),
``extra_budget`` = E_max (M€), ``deearmark_share`` = θ, ``norms`` = τ_k,
``required_share`` = σ_k, ``site_change_cost`` = κ (€ per site closed or opened),
``pooled_payers``: payers whose money joins the municipality's account.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import Field, ValidationError, model_validator

from allocator.errors import InputError, InputIssue, IssueCollector
from allocator.files import read_text
from allocator.policy import HoldHarmless, MinService, Mode, ShortfallMeasure
from allocator.schema import Strict, pydantic_issues


class WelfareCurve(Strict):
    """Concave piecewise-linear f_rd around baseline b: slopes fall as spending rises; cuts cost more.

    f(x) = mw_d · [ Σ_s slope_s · (segment s of x − b above b) − loss_aversion · slope_1 · (b − x)⁺ ],
    segment s spans ``breakpoints[s-1]·b .. breakpoints[s]·b`` above baseline; nothing is gained beyond
    the last breakpoint.  Illustrative shape; see the instance README.
    """

    breakpoints: list[float] = Field(default=[0.1, 0.25, 0.5], description="cumulative shares of baseline")
    slopes: list[float] = Field(default=[1.0, 0.6, 0.3], description="multiplier of the domain's marginal welfare per segment")
    loss_aversion: float = Field(1.5, ge=1.0, description="a euro cut costs this times the first euro gained")

    @model_validator(mode="after")
    def _concave(self) -> "WelfareCurve":
        b, s = self.breakpoints, self.slopes
        if len(b) != len(s) or not b:
            raise ValueError("breakpoints and slopes need the same, non-zero length")
        if any(x <= 0 for x in b) or any(b2 <= b1 for b1, b2 in zip(b, b[1:])):
            raise ValueError("breakpoints must be positive and increasing")
        if any(x < 0 for x in s) or any(s2 > s1 for s1, s2 in zip(s, s[1:])):
            raise ValueError("slopes must be non-negative and non-increasing (concave welfare)")
        return self


class SolverOptions(Strict):
    """HiGHS options for every solve of the run."""

    time_limit: float | None = Field(60.0, gt=0, description="seconds per solve; None = no limit")
    mip_gap: float = Field(1e-4, ge=0, le=0.01, description="relative MIP gap at which HiGHS stops (at most 1 %: a larger gap is not reported as optimal)")
    threads: int | None = Field(None, ge=1, description="HiGHS threads; None = two for a MIP with no other solve beside it, else one (allocator.solver.threads)")
    seed: int = Field(0, ge=0, description="HiGHS random seed")
    memory_limit_mb: float = Field(4000.0, gt=0, description="refuse to build a model estimated to need more memory")
    verbose: bool = False


class ProgrammeSettings(Strict):
    """The multi-year programme (model.md "Programme horizon"); the one-year commands ignore it.

    Money is in constant (real) euros of the instance's year: growth rates are real growth.
    """

    discount_rate: float = Field(0.0225, ge=0, le=1, description="real discount rate r per year, δ = 1/(1 + r): W = Σ_t δ^(t−1) W_t "
                                 "(2.25 %: the Dutch standard for social cost-benefit analysis, Werkgroep discontovoet 2020)")
    stream_growth: dict[str, float] = Field(default={}, description="real yearly growth of stream amounts, A_s,t = A_s (1 + g)^(t−1): "
                                            "stream id or pattern ('gemeentefonds_*', '*' for all) → g")
    deearmark_path: list[float] = Field(default=[1.0], description="de-earmarking phase-in: θ_s,t = θ_s × path[t] (the last "
                                        "value holds for later years)")
    extra_envelope: float | None = Field(None, ge=0, description="E_total: extra money over the whole horizon, M€ (None: only the "
                                         "yearly cap extra_budget)")
    phase_in: float | None = Field(None, ge=0, description="φ: a region's programme spending per domain changes by at most φ × "
                                   "its baseline from one year to the next (None: no limit)")
    min_open_years: dict[str, int] = Field(default={}, description="L_k per facility type: an opened site stays open at least this "
                                           "many years (default: to the end of the horizon)")
    lead_time: dict[str, int] = Field(default={}, description="years per facility type between the opening decision (and its cost) "
                                      "and the first year a new site serves anyone (default 0)")
    opening_cost_factor: float = Field(1.0, ge=0, description="the opening year pays this × o_j (o_j is the instance's annualised "
                                       "opening cost; 1 charges it once, as the one-year model does)")

    @model_validator(mode="after")
    def _sane(self) -> "ProgrammeSettings":
        if not self.deearmark_path or any(not 0 <= v <= 1 for v in self.deearmark_path):
            raise ValueError("deearmark_path: shares of θ in [0, 1], at least one")
        if any(v <= -1 or v > 1 for v in self.stream_growth.values()):
            raise ValueError("stream_growth: yearly rates between −1 and 1")
        if any(v < 1 for v in self.min_open_years.values()) or any(v < 0 for v in self.lead_time.values()):
            raise ValueError("min_open_years at least 1, lead_time at least 0")
        return self


class Tailoring(Strict):
    """Regional tailoring (iedere regio het zijne): norms, required shares and de-earmarking for the regions with
    one tag.

    De-earmarking is national money in the model (a stream pays its domain wherever it is spent), so a tag's θ
    acts on the tag's part of each municipal stream, its share of the stream's domain baseline:
    θ_s,eff = Σ_r θ_r,s b_r,d(s) / Σ_r b_r,d(s).  The money so freed moves between domains nationally.
    """

    norms: dict[str, float] = Field(default={}, description="τ_k per facility type id for these regions")
    required_share: dict[str, float] = Field(default={}, description="σ_k per facility type id for these regions")
    deearmark_share: float | None = Field(None, ge=0, le=1, description="θ for these regions' part of every municipal stream")
    deearmark: dict[str, float] = Field(default={}, description="θ per stream id for these regions' part of it")


class Scenario(Strict):
    """Every setting of one run.  Defaults are the model's; instances and files override them."""

    name: str = "default"
    description: str = ""
    mode: Mode = Field(Mode.WEIGHTED, strict=False, description="weighted (max W − λ·Q) or lexicographic (min Q, then max W)")
    shortfall_price: float = Field(2000.0, ge=0, description="λ: € of welfare per person-service below the minimum")
    shortfall_measure: ShortfallMeasure = Field(ShortfallMeasure.TOTAL, strict=False,
                                                description="Q = Σ q_rk, or Q_max = max q_rk/pop_r")
    equity_alpha: float = Field(1.0, ge=0, description="α: ω_r = bw_r^-α normalised to mean 1")
    liveability_value: float = Field(0.0, ge=0, description="β: € per person who keeps the whole basic package")
    site_change_cost: float = Field(0.0, ge=0, le=1e9, description="κ: € of welfare lost per site closed or opened (disruption)")
    extra_budget: float = Field(0.0, ge=0, description="E_max: extra money on top of the streams, M€/yr")
    extra_eligible_tags: list[str] = Field(default=[], description="extra money only for regions with one of these tags")
    deearmark_share: float | None = Field(None, ge=0, le=1, description="θ for every stream (overrides the table)")
    deearmark: dict[str, float] = Field(default={}, description="θ per stream id (overrides deearmark_share)")
    pooled_payers: list[str] = Field(default=[], description="payers whose money joins the municipality's "
                                     "(ontschotting): their savings may fund programmes and municipal sites, and back")
    hold_harmless: HoldHarmless = Field(HoldHarmless.NONE, strict=False, description="who may end up with less than today")
    corridor_down: float = Field(0.02, ge=0, le=1, description="δ: corridor floor (1 − δ) × baseline total")
    corridor_up: float = Field(0.10, ge=0, description="γ: corridor ceiling (1 + γ) × baseline total")
    per_capita_cap: float = Field(60.0, ge=0, description="€ per inhabitant a region may gain or lose (per-capita-cap)")
    min_service: MinService = Field(MinService.SOFT, strict=False, description="shortfall priced (soft) or forbidden (hard)")
    norms: dict[str, float] = Field(default={}, description="τ_k per facility type id")
    required_share: dict[str, float] = Field(default={}, description="σ_k per facility type id")
    force_open: list[str] = []
    force_closed: list[str] = []
    keep_last_site: bool = Field(False, description="never close the last site of a type in a region")
    max_closures: int | None = Field(None, ge=0, description="at most this many existing sites close")
    use_capacity: bool = Field(False, description="assign demand to sites within capacity")
    capacity_scale: float = Field(1.0, gt=0, description="multiplier on every site capacity (headroom)")
    merge_points: bool = Field(True, description="merge points of a region with the same reach set (exact reduction)")
    drop_dominated_sites: bool = Field(True, description="close candidates dominated in cost and reach (exact reduction)")
    lexicographic_tolerance: float = Field(0.0, ge=0, description="relative slack on Q* in the second stage")
    tailoring: dict[str, Tailoring] = Field(default={}, description="per region tag: its own norms and required shares "
                                            "(a region with several tailored tags takes the first in this table)")
    agendas: list[str] = Field(default=[], description="kansenagenda workbooks (projects, priorities) for a programme, "
                               "relative to the folder of the scenario file that names them")
    programme: ProgrammeSettings = ProgrammeSettings()
    welfare: WelfareCurve = WelfareCurve()
    solver: SolverOptions = SolverOptions()

    @model_validator(mode="after")
    def _consistent(self) -> "Scenario":
        both = sorted(set(self.force_open) & set(self.force_closed))
        if both:
            raise ValueError(f"sites both forced open and forced closed: {both}")
        bad = {k: v for k, v in {**self.deearmark, **self.required_share}.items() if not 0 <= v <= 1}
        if bad:
            raise ValueError(f"shares must lie in [0, 1]: {bad}")
        for tag, t in self.tailoring.items():
            bad = {k: v for k, v in {**t.required_share, **t.deearmark}.items() if not 0 <= v <= 1}
            if bad:
                raise ValueError(f"tailoring.{tag}: shares must lie in [0, 1]: {bad}")
            if any(v < 0 or v > MAX_NORM for v in t.norms.values()):
                raise ValueError(f"tailoring.{tag}.norms must lie between 0 and {MAX_NORM:g}")
        if any(v < 0 or v > MAX_NORM for v in self.norms.values()):
            raise ValueError(f"norms must lie between 0 and {MAX_NORM:g} (minutes or km; a larger norm puts every site "
                             "in reach of every place and only inflates the model)")
        return self

    def to_toml(self) -> str:
        return tomli_w.dumps(self.model_dump(exclude_none=True))

    def with_changes(self, **changes: Any) -> "Scenario":
        """A re-validated copy with some fields changed (nested tables merge)."""
        return Scenario(**deep_merge(self.model_dump(), changes))


def deep_merge(base: dict, over: dict) -> dict:
    """``over`` wins key by key; nested dicts merge recursively."""
    out = dict(base)
    for k, v in over.items():
        out[k] = deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def read_scenario_file(path: str | Path, _seen: tuple[Path, ...] = ()) -> dict:
    """A scenario file as a dict, with the file it ``extends`` merged underneath.

    ``extends`` names a file in the first scenario's folder (or below it), read as any user file
    (:func:`allocator.files.read_text`: a regular file, bounded in size).
    """
    path = Path(path)
    if path.resolve() in _seen:
        raise InputError(InputIssue(str(path), "circular 'extends': " + " -> ".join(map(str, (*_seen, path)))))
    home = _seen[0].parent if _seen else None
    text = read_text(path, "scenario file" if not _seen else "scenario file named by 'extends'", within=home)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise InputError(InputIssue(str(path), f"not valid TOML: {err}")) from None
    if isinstance(data.get("agendas"), list):  # relative to this file's folder, and inside the first file's folder
        data["agendas"] = [_agenda_pattern(a, path, home or path.parent) for a in data["agendas"]]
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise InputError(InputIssue(str(path), "'extends' must be a file name"))
    base = read_scenario_file(path.parent / parent, (*_seen, path.resolve()))
    return deep_merge(base, data)


def _agenda_pattern(pattern, path: Path, home: Path):
    """An agenda pattern of the scenario file ``path``, relative to its folder; it must stay inside ``home`` (the
    folder of the scenario the user named), as ``extends`` must."""
    if not isinstance(pattern, str):
        return pattern  # the type error is reported with the rest of the scenario
    full = Path(pattern) if Path(pattern).is_absolute() else path.parent / pattern
    parts = full.parts
    first_glob = next((n for n, part in enumerate(parts) if any(ch in part for ch in "*?[")), len(parts) - 1)
    fixed = Path(*parts[:first_glob]) if first_glob > 0 else Path(".")  # the folder the pattern reads from
    inside, root = fixed.resolve(), home.resolve()
    if inside != root and root not in inside.parents:
        raise InputError(InputIssue(str(path), f"agendas: '{pattern}' lies outside {root}; kansenagenda workbooks are "
                                    "read from the scenario's folder (or below it)"))
    return str(full)


MAX_NORM = 1e4

OVERRIDES = "overrides (--set, flags or keyword arguments)"  # the label of the last layer in error messages


def dotted(overrides: dict) -> dict:
    """{"norms.gp": 10} → {"norms": {"gp": 10}}: dotted keys reach nested scenario fields."""
    out: dict = {}
    for key, value in overrides.items():
        parts = key.split(".")
        node = out
        for p in parts[:-1]:
            node = node.setdefault(p, {})
            if not isinstance(node, dict):
                raise InputError(InputIssue("--set", f"'{key}': '{p}' is not a table of the scenario", column=key))
        node[parts[-1]] = value
    return out


def parse_set(items) -> dict:
    """``("norms.gp_practice=15", "hold_harmless=region")`` → nested overrides.

    A value is read as a TOML value (``15``, ``0.3``, ``true``, ``["a", "b"]``, ``"text"``); anything that is
    not valid TOML is taken as plain text (``hold_harmless=region``).  Values are validated later, with the
    rest of the scenario, exactly as a file's.
    """
    flat = {}
    for item in items or ():
        key, sep, raw = str(item).partition("=")
        key = key.strip()
        if not sep or not key:
            raise InputError(InputIssue("--set", f"'{item}': expected KEY=VALUE, e.g. shortfall_price=4000 or "
                                        "norms.gp_practice=15"))
        try:
            value = tomllib.loads(f"v = {raw.strip()}")["v"]
        except tomllib.TOMLDecodeError:
            value = raw.strip()
        flat[key] = value
    return dotted(flat)


def resolve_scenario(instance, file: str | Path | None = None, overrides: dict | None = None) -> Scenario:
    """Merge model defaults < the instance's defaults < scenario file (+ extends) < overrides.

    ``instance`` is the :class:`~allocator.instance.Instance` the scenario runs on; it is required, so its
    ``[defaults]`` can never be dropped by accident.
    """
    layers = [("instance.toml [defaults]", dict(instance.manifest.defaults or {}))]
    if file is not None:
        data = read_scenario_file(file)
        data.setdefault("name", Path(file).stem)
        layers.append((str(file), data))
    layers.append((OVERRIDES, {k: v for k, v in (overrides or {}).items() if v is not None}))
    merged: dict = {}
    issues = IssueCollector()
    for label, layer in layers:
        try:
            Scenario(**deep_merge(merged, layer))  # find which layer brings an error
        except ValidationError as err:
            pydantic_issues(err, label, issues)
            issues.raise_if_any()
        merged = deep_merge(merged, layer)
    return Scenario(**merged)


def check_against(sc: Scenario, instance, label: str = "scenario") -> None:
    """References in the scenario must name things the instance has."""
    issues = IssueCollector()
    ftypes, sites, streams = set(instance.facility_types.index), set(instance.sites.index), set(instance.streams.index)
    for key, names, known, what in (
        ("norms", sc.norms, ftypes, "facility type"),
        ("required_share", sc.required_share, ftypes, "facility type"),
        ("deearmark", sc.deearmark, streams, "stream"),
        ("force_open", sc.force_open, sites, "site"),
        ("force_closed", sc.force_closed, sites, "site"),
    ):
        for name in names:
            if name not in known:
                issues.add(label, f"{key}: unknown {what} '{name}'")
    payers = set(instance.facility_types["payer"]) | set(instance.streams["payer"])
    for payer in sc.pooled_payers:
        if payer not in payers:
            issues.add(label, f"pooled_payers: unknown payer '{payer}'; the instance's payers are {sorted(payers)}")
    tags = set()
    if "tags" in instance.regions:
        for t in instance.regions["tags"].dropna():
            tags.update(x.strip() for x in str(t).split(";"))
    for tag in sc.extra_eligible_tags:
        if tag not in tags:
            issues.add(label, f"extra_eligible_tags: no region carries the tag '{tag}'")
    for tag, t in sc.tailoring.items():
        if tag not in tags:
            issues.add(label, f"tailoring: no region carries the tag '{tag}'")
        for key, names in (("norms", t.norms), ("required_share", t.required_share)):
            for name in names:
                if name not in ftypes:
                    issues.add(label, f"tailoring.{tag}.{key}: unknown facility type '{name}'")
        for name in t.deearmark:
            if name not in streams:
                issues.add(label, f"tailoring.{tag}.deearmark: unknown stream '{name}'")
    issues.raise_if_any()
