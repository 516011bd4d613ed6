"""InstanceData: an instance under a scenario, as the frames the model blocks and the checker read.

Everything the scenario changes about the data is applied here, once: effective
norms τ_k and required shares σ_k, de-earmarking shares θ_s, the equity weights
ω_r = bw_r^-α / (population-weighted mean of bw^-α), eligibility for extra
money, and the sparse reach table N_k(i).  The model blocks and the
independent checker both start from these frames, so what the model optimises
and what the checker re-checks are the same data.

Index names equal the table id columns (``region_id``, ``domain_id``,
``stream_id``, ``ftype_id``, ``point_id``, ``site_id``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from allocator.instance import PROGRAMME_PAYER, Instance
from allocator.scenario import Scenario, check_against
from allocator.scipy_parts import sparse
from allocator.travel import reach_table


def values_at(table: pd.Series, keys) -> np.ndarray:
    """table[k] for every k in ``keys`` (each in ``table``'s index), as an array.

    ``Series.map`` gives the same, but on string keys it re-infers the dtype of every result element: 3.4 ms
    against 0.8 ms for 26,000 keys, a what-if's coverage rows.
    """
    pos = table.index.get_indexer(keys)
    if (pos < 0).any():
        raise KeyError(f"{int((pos < 0).sum())} key(s) not in the index of {table.name or 'the table'}")
    return table.to_numpy()[pos]


@dataclass(frozen=True)
class InstanceData:
    instance: Instance
    scenario: Scenario

    @classmethod
    def prepare(cls, instance: Instance, scenario: Scenario, label: str = "scenario") -> "InstanceData":
        check_against(scenario, instance, label)
        return cls(instance, scenario)

    def __getstate__(self) -> dict:
        """Pickle the instance and the scenario only: the frames derived from them are caches (7.7 MB of pickle on
        nl after a build, against 1.1 MB), computed again by a worker that builds its own model.  A build that
        adds frames in another thread then never changes what is being pickled."""
        return {"instance": self.instance, "scenario": self.scenario}

    def share_frames(self, other: "InstanceData") -> None:
        """Take the frames ``other`` has computed so far (reach, groups, demand, …) instead of computing them again.

        Only for a scenario of the same structure (:func:`allocator.procedures.whatif.structure_key`): the
        frames depend on no field outside it, so they are equal; ``regions`` (whose ω depends on α, a
        welfare weight a warm model changes) is computed again.  Frames are read, never changed, so sharing
        them is safe.
        """
        for name, value in other.__dict__.items():
            if name not in ("instance", "scenario", "regions"):
                self.__dict__.setdefault(name, value)

    # --- regions -----------------------------------------------------------
    @cached_property
    def regions(self) -> pd.DataFrame:
        """Regions with ``omega`` (equity weight) and ``eligible`` (may receive extra money)."""
        r = self.instance.regions.copy()
        raw = r["bw_index"].to_numpy(float) ** (-self.scenario.equity_alpha)
        pop = r["population"].to_numpy(float)
        r["omega"] = raw / (raw @ pop / pop.sum())
        tags = r["tags"].fillna("") if "tags" in r else pd.Series("", index=r.index)
        wanted = set(self.scenario.extra_eligible_tags)
        r["tag_set"] = tags.map(lambda t: frozenset(x.strip() for x in str(t).split(";") if x.strip()))
        r["eligible"] = True if not wanted else r["tag_set"].map(lambda t: bool(wanted & t))
        return r

    # --- money -------------------------------------------------------------
    @cached_property
    def streams(self) -> pd.DataFrame:
        """Streams with the effective de-earmarking share ``theta``."""
        s = self.instance.streams.copy()
        theta = s["deearmark_share"].astype(float)
        if self.scenario.deearmark_share is not None:
            theta[:] = self.scenario.deearmark_share
        for sid, share in self.scenario.deearmark.items():
            theta[sid] = share
        s["theta"] = self._tailored_theta(s, theta)
        s["pool"] = self.pool_of(s["payer"])
        return s

    def _tailored_theta(self, streams: pd.DataFrame, theta: pd.Series) -> pd.Series:
        """θ_s,eff = Σ_r θ_r,s b_r,d(s) / Σ_r b_r,d(s) for municipal streams when a tag has its own θ
        (:class:`~allocator.scenario.Tailoring`); the streams' θ otherwise."""
        tailored = {tag: t for tag, t in self.scenario.tailoring.items() if t.deearmark_share is not None or t.deearmark}
        if not tailored:
            return theta
        regions = self.regions
        per_region = pd.DataFrame(np.tile(theta.to_numpy(float), (len(regions), 1)), index=regions.index,
                                  columns=streams.index)
        done = pd.Series(False, index=regions.index)
        for tag, t in self.scenario.tailoring.items():
            rows = regions["tag_set"].map(lambda tags, tag=tag: tag in tags) & ~done
            if tag in tailored:
                if t.deearmark_share is not None:
                    per_region.loc[rows, :] = t.deearmark_share
                for sid, share in t.deearmark.items():
                    per_region.loc[rows, sid] = share
            done |= rows
        base = self.baseline.unstack("domain_id").reindex(index=regions.index).fillna(0.0)
        out = theta.copy()
        municipal = streams["payer"].isin([PROGRAMME_PAYER])
        for sid in streams.index[municipal]:
            d = streams.at[sid, "domain_id"]
            weight = base[d] if d in base else pd.Series(0.0, index=regions.index)
            if weight.sum() > 0:
                out[sid] = float((per_region[sid] * weight).sum() / weight.sum())
        return out

    def pool_of(self, payer: pd.Series) -> pd.Series:
        """The account a payer's money sits in: its own, or the municipality's when the scenario pools it."""
        pooled = payer.isin([PROGRAMME_PAYER, *self.scenario.pooled_payers])
        return payer.where(~pooled, PROGRAMME_PAYER)

    @cached_property
    def pools(self) -> list[str]:
        """The accounts of the domain balance: the municipality's first, then every other (unpooled) payer."""
        others = set(self.streams["pool"]) | set(self.sites["pool"])
        return [PROGRAMME_PAYER] + sorted(others - {PROGRAMME_PAYER})

    @property
    def domains(self) -> pd.DataFrame:
        return self.instance.domains

    @property
    def baseline(self) -> pd.Series:
        return self.instance.baseline

    @cached_property
    def priorities(self) -> pd.Series:
        """Kansenagenda multiplier per (region, domain); 1 where the instance gives none."""
        full = self.baseline.index
        if self.instance.priorities is None:
            return pd.Series(1.0, index=full, name="weight")
        return self.instance.priorities.reindex(full, fill_value=1.0)

    # --- facilities --------------------------------------------------------
    @cached_property
    def ftypes(self) -> pd.DataFrame:
        """Facility types with the effective ``norm`` and ``required_share``."""
        f = self.instance.facility_types.copy()
        for k, v in self.scenario.norms.items():
            f.loc[k, "norm"] = v
        for k, v in self.scenario.required_share.items():
            f.loc[k, "required_share"] = v
        if "demand" not in f:
            f["demand"] = "all"
        return f

    def _tailored(self, field: str) -> pd.DataFrame:
        """Region × type values of ``field`` (``norm`` or ``required_share``): the scenario's, overridden for the
        regions carrying a tag of ``scenario.tailoring`` (the first tailored tag of a region wins)."""
        f = self.ftypes
        out = pd.DataFrame(np.tile(f[field].to_numpy(float), (len(self.regions), 1)), index=self.regions.index,
                           columns=f.index)
        key = "norms" if field == "norm" else "required_share"
        done = pd.Series(False, index=self.regions.index)
        for tag, t in self.scenario.tailoring.items():
            rows = self.regions["tag_set"].map(lambda tags, tag=tag: tag in tags) & ~done
            for k, v in getattr(t, key).items():
                out.loc[rows, k] = float(v)
            done |= rows
        return out

    @cached_property
    def region_norms(self) -> pd.DataFrame:
        """τ per region × facility type: the scenario's norm, or the tailored one of the region's tag."""
        return self._tailored("norm")

    @cached_property
    def region_shares(self) -> pd.DataFrame:
        """σ per region × facility type: the scenario's required share, or the tailored one of the region's tag."""
        return self._tailored("required_share")

    @cached_property
    def demand_share(self) -> pd.DataFrame:
        """Region × type: the share of the residents who need the type (1, or e.g. children_4_11 / population)."""
        r = self.instance.regions
        pop = r["population"].to_numpy(float)
        cols = {k: (np.ones(len(r)) if g == "all" else r[g].to_numpy(float) / np.where(pop > 0, pop, 1.0))
                for k, g in self.ftypes["demand"].items()}
        return pd.DataFrame(cols, index=r.index, columns=self.ftypes.index)

    def persons(self, region_ids, ftype_ids, population) -> np.ndarray:
        """Persons who need each row's type: population × the type's demand share in the row's region."""
        share = self.demand_share.to_numpy()
        rows = self.demand_share.index.get_indexer(np.asarray(region_ids))
        cols = self.demand_share.columns.get_indexer(np.asarray(ftype_ids))
        return np.asarray(population, dtype=float) * share[rows, cols]

    @cached_property
    def sites(self) -> pd.DataFrame:
        """Sites with their paying ``domain_id``, ``forced`` (1 open, 0 closed, NaN free), scaled ``capacity``,
        and ``unit_cost`` = c_j + o_j (1 − e_j): what the site costs per year when open in the plan (M€)."""
        s = self.instance.sites.copy()
        s["domain_id"] = s["ftype_id"].map(self.ftypes["domain_id"])
        s["payer"] = s["ftype_id"].map(self.ftypes["payer"])
        s["pool"] = self.pool_of(s["payer"])
        s["unit_cost"] = s["operating_cost"] + s["opening_cost"] * (~s["existing"])
        s["capacity"] = s["capacity"] * self.scenario.capacity_scale
        forced = pd.Series(np.nan, index=s.index)
        forced[list(self.scenario.force_open)] = 1.0
        forced[list(self.scenario.force_closed)] = 0.0
        dominated = self.dominated_sites(s, forced)
        forced[dominated] = 0.0
        s["forced"] = forced
        s["dominated"] = s.index.isin(dominated)
        return s

    def dominated_sites(self, sites: pd.DataFrame, forced: pd.Series) -> list[str]:
        """Candidate sites no optimum needs: the reduction "drop dominated candidates" (forced closed).

        Candidate j is dominated by a site j' of the same type and region (an existing one, or a candidate
        that is not itself forced) with running cost c' ≤ c, opening cost o'(1 − e') ≤ o and reach N(j') ⊇ N(j)
        (costs compared one by one, so the argument holds in every year of a programme too, where the
        opening cost falls in one year and the running cost in every year), when the type has no capacity
        in the scenario: any plan opening j can open j' instead (or keep j' open) and give the saving to
        the region's programmes, covering at least as many people at no less welfare.  Among equals, the
        site listed first stays.  A site another payer pays (not pooled) saves that payer's money, which
        no hold-harmless rule counts, so the argument holds for it too.  Off with ``drop_dominated_sites = false``.
        """
        if not self.scenario.drop_dominated_sites:
            return []
        capped = set(sites.loc[sites["capacity"].notna(), "ftype_id"]) if self.scenario.use_capacity else set()
        free = (forced.isna() | (forced == 1.0)).to_numpy()
        usable = sites[~sites["ftype_id"].isin(capped).to_numpy() & free]
        usable = usable[usable.groupby(["region_id", "ftype_id"], sort=False)["ftype_id"].transform("size") > 1]
        if usable.empty:
            return []
        cost = usable["operating_cost"].to_numpy(float)
        opening = (usable["opening_cost"] * ~usable["existing"]).to_numpy(float)
        # incidence of usable sites and (group, point) columns, so that C = A Aᵀ is block-diagonal by group:
        # C_ab = |N(a) ∩ N(b)| for a, b of one (region, type);  N(b) ⊇ N(a) ⇔ C_ab = |N(a)|
        group = usable.groupby(["region_id", "ftype_id"], sort=False).ngroup().to_numpy()
        reach = self.reach[self.reach["site_id"].isin(usable.index)]
        rows = pd.Index(usable.index).get_indexer(reach["site_id"])
        cols = pd.factorize(pd.MultiIndex.from_arrays([group[rows], reach["point_id"].to_numpy()]))[0]
        A = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(usable), max(1, len(cols) and cols.max() + 1)))
        C = (A @ A.T).tocoo()
        same = group[C.row] == group[C.col]  # sites without reach meet nobody: add their pairs below
        a, b, inter = C.row[same], C.col[same], C.data[same]
        size = np.asarray(A.sum(axis=1)).ravel()
        empty = np.flatnonzero(size == 0)
        if len(empty):  # N(a) = ∅ ⊆ every N(b) of its group
            members = pd.Series(np.arange(len(usable))).groupby(group).apply(np.asarray)
            extra = [(x, y) for x in empty for y in members[group[x]] if y != x]
            if extra:
                ea, eb = np.array(extra).T
                a, b, inter = np.r_[a, ea], np.r_[b, eb], np.r_[inter, np.zeros(len(ea))]
        keep = a != b
        a, b, inter = a[keep], b[keep], inter[keep]
        covers = inter == size[a]
        strictly = (cost[b] < cost[a]) | (opening[b] < opening[a]) | (size[b] > size[a])
        dominated = covers & (cost[b] <= cost[a]) & (opening[b] <= opening[a]) & (strictly | (b < a))
        candidate = ~usable["existing"].to_numpy() & forced.reindex(usable.index).isna().to_numpy()
        hit = np.unique(a[dominated])
        return usable.index[hit[candidate[hit]]].tolist()

    @property
    def points(self) -> pd.DataFrame:
        return self.instance.demand_points

    @cached_property
    def reach(self) -> pd.DataFrame:
        """Sparse N_k(i): one row per (point_id, ftype_id, site_id) within the norm, with km and minutes."""
        t = self.instance.manifest.travel
        norms = self.region_norms
        reach = reach_table(self.points, self.instance.sites, self.ftypes, norms.max(axis=0),
                            self.instance.travel, t.detour_factor, t.speed_kmh)
        if not self.scenario.tailoring or reach.empty:
            return reach
        # tailored norms: reach was found with each type's widest norm; keep the pairs within the point's own
        unit = reach["ftype_id"].map(self.ftypes["norm_unit"]).to_numpy()
        own = norms.to_numpy()[norms.index.get_indexer(reach["point_id"].map(self.points["region_id"])),
                               norms.columns.get_indexer(reach["ftype_id"])]
        length = np.where(unit == "km", reach["km"].to_numpy(float), reach["minutes"].to_numpy(float))
        keep = (unit == "region") | (length <= own * (1 + 1e-9) + 1e-9)
        return reach[keep].reset_index(drop=True)

    @cached_property
    def point_groups(self) -> pd.DataFrame:
        """(point_id, ftype_id, group_id) for every pair with a site in reach: the reduction "merge points".

        Points of one region with the same reach set N_k(i) share one coverage variable (group_id = the
        first such point): exact, because any plan can give them equal coverage (capacity assignments
        split in proportion to population).  With a positive liveability value the reach sets of all
        types must agree, so that a point's basic package is judged on one group; with
        ``merge_points = false`` every point is its own group.
        """
        r = self.reach
        pairs = r[["point_id", "ftype_id"]].drop_duplicates(ignore_index=True)
        if not self.scenario.merge_points or pairs.empty:
            return pairs.assign(group_id=pairs["point_id"])
        all_types = self.scenario.liveability_value > 0
        site = pd.factorize(r["site_id"])[0]
        if all_types:  # a point's reach over every type: (type, site) as one code
            members = pd.factorize(r["ftype_id"])[0].astype(np.int64) * (site.max() + 1) + site
            points, signature = reach_signatures(r["point_id"], members)
            pairs["signature"] = pd.Series(signature, index=points).reindex(pairs["point_id"]).to_numpy()
            pairs["kind"] = "all"
        else:  # the pairs in order of first appearance, as factorize numbers them
            pair = pd.factorize(r["point_id"])[0].astype(np.int64) * len(self.ftypes) + pd.factorize(r["ftype_id"])[0]
            pairs["signature"] = reach_signatures(pair, site)[1]
            pairs["kind"] = pairs["ftype_id"]
        pairs["region_id"] = pairs["point_id"].map(self.points["region_id"]).to_numpy()
        first = pairs.groupby(["region_id", "kind", "signature"], sort=False)["point_id"].transform("first")
        return pairs[["point_id", "ftype_id"]].assign(group_id=first.to_numpy())

    @cached_property
    def capacity_groups(self) -> pd.Series:
        """site_id → group_id for the capacitated sites in reach of someone: the reduction "pool co-located capacity".

        Capacitated sites of one type with the same reach set (e.g. the 75 schools of a town placed at its centre)
        form one group that serves its points within Σ_{j∈G} cap_j y_j (group_id = its first site).  Exact: any
        point that reaches one member reaches all, so a group's assignment splits over its open members in
        proportion to capacity.  Sites without a capacity stay alone.
        """
        s = self.sites
        r = self.model_reach[self.model_reach["site_id"].isin(s.index[s["capacity"].notna()])]
        if r.empty:
            return pd.Series(dtype=object)
        site_ids, signature = reach_signatures(r["site_id"], pd.factorize(r["point_id"])[0])
        order = np.argsort(s.index.get_indexer(site_ids), kind="stable")
        frame = pd.DataFrame({"site_id": site_ids[order], "signature": signature[order]})
        frame["ftype_id"] = frame["site_id"].map(s["ftype_id"]).to_numpy()
        first = frame.groupby(["ftype_id", "signature"], sort=False)["site_id"].transform("first")
        return pd.Series(first.to_numpy(), index=frame["site_id"].to_numpy(), name="group_id")

    @cached_property
    def coverable(self) -> pd.DataFrame:
        """Coverage pairs of the model: (group's point_id, ftype_id) with region, summed population, members."""
        g = self.point_groups
        pop = self.persons(g["point_id"].map(self.points["region_id"]), g["ftype_id"],
                           g["point_id"].map(self.points["population"]))
        out = pd.DataFrame({"point_id": g["group_id"], "ftype_id": g["ftype_id"], "population": pop})
        out = out.groupby(["point_id", "ftype_id"], sort=False, as_index=False).agg(
            population=("population", "sum"), members=("population", "size"))
        out.insert(2, "region_id", out["point_id"].map(self.points["region_id"]).to_numpy())
        return out

    @cached_property
    def model_reach(self) -> pd.DataFrame:
        """The reach rows of the model's coverage pairs (the groups' first points)."""
        reps = pd.MultiIndex.from_frame(self.coverable[["point_id", "ftype_id"]])
        keep = pd.MultiIndex.from_frame(self.reach[["point_id", "ftype_id"]]).isin(reps)
        return self.reach[keep].reset_index(drop=True)

    @cached_property
    def model_reach_pair(self) -> np.ndarray:
        """For each row of ``model_reach``, the position of its coverage pair in ``coverable``."""
        return pd.MultiIndex.from_frame(self.coverable[["point_id", "ftype_id"]]).get_indexer(
            pd.MultiIndex.from_frame(self.model_reach[["point_id", "ftype_id"]]))

    @cached_property
    def demand(self) -> pd.DataFrame:
        """(region_id, ftype_id) rows of the minimum service: population, and the required persons σ_k·pop."""
        served = self.region_shares.columns[(self.region_shares > 0).any(axis=0).to_numpy()]
        pop = self.points.groupby("region_id")["population"].sum()
        rk = pd.MultiIndex.from_product([pop.index, served], names=["region_id", "ftype_id"]).to_frame(index=False)
        rk["population"] = self.persons(rk["region_id"], rk["ftype_id"], rk["region_id"].map(pop))
        rk = rk[rk["population"] > 0].reset_index(drop=True)  # an age group nobody in the region belongs to
        share = self.region_shares
        rk["required"] = share.to_numpy()[share.index.get_indexer(rk["region_id"]), share.columns.get_indexer(rk["ftype_id"])] \
            * rk["population"]
        return rk

    @cached_property
    def basic_types(self) -> list[str]:
        return list(self.ftypes.index[self.ftypes["basic_package"]])

    def reach_stats(self) -> pd.DataFrame:
        """Per facility type: norm, population within reach of an existing site, of any site, and none."""
        pts = self.points
        total = float(pts["population"].sum())
        existing = self.reach[self.reach["site_id"].map(self.instance.sites["existing"]).astype(bool)]
        rows = []
        for k, f in self.ftypes.iterrows():
            any_pts = set(self.reach.loc[self.reach["ftype_id"] == k, "point_id"])
            ex_pts = set(existing.loc[existing["ftype_id"] == k, "point_id"])
            none = pts.index[~pts.index.isin(any_pts)]
            rows.append({
                "ftype_id": k,
                "norm": f"{f['norm']:g} {f['norm_unit']}" if f["norm_unit"] != "region" else "in region",
                "required_share": float(f["required_share"]),
                "sites": int((self.instance.sites["ftype_id"] == k).sum()),
                "pop_share_existing": float(pts.loc[list(ex_pts), "population"].sum()) / total if total else 0.0,
                "pop_share_any_site": float(pts.loc[list(any_pts), "population"].sum()) / total if total else 0.0,
                "points_unreachable": int(len(none)),
                "regions_unreachable": sorted(pts.loc[none, "region_id"].unique().tolist()),
            })
        return pd.DataFrame(rows).set_index("ftype_id")

    def unreachable_warnings(self) -> list[str]:
        """Demand points no site (existing or candidate) can serve within a norm that requires coverage."""
        out = []
        stats = self.reach_stats()
        for k, row in stats.iterrows():
            if row["points_unreachable"] and self.ftypes.loc[k, "required_share"] > 0:
                names = self.regions["name"]
                regions = [f"{names.get(r, r)} ({r})" for r in row["regions_unreachable"]]
                out.append(f"{row['points_unreachable']} demand point(s) in {len(regions)} region(s) have no {k} site "
                           f"within the norm ({row['norm']}), even with every candidate open: "
                           f"{', '.join(regions[:8])}{' ...' if len(regions) > 8 else ''}")
        return out


def reach_signatures(owner, members) -> tuple[np.ndarray, np.ndarray]:
    """(owners, signatures): each distinct owner in order of first appearance, with its set of integer
    ``members`` (one per row) as the bytes of their sorted codes: equal signatures, equal sets."""
    codes, owners = pd.factorize(owner)
    order = np.lexsort((np.asarray(members, dtype=np.int64), codes))
    c, m = codes[order], np.asarray(members, dtype=np.int64)[order]
    starts = np.flatnonzero(np.r_[True, c[1:] != c[:-1]])
    signatures = np.empty(len(starts), dtype=object)
    signatures[:] = [m[a:b].tobytes() for a, b in zip(starts, np.r_[starts[1:], len(c)])]
    return np.asarray(owners), signatures
