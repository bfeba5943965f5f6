"""What each workspace layer and table must hold (see docs/workspace.md).

``required`` columns must exist; ``numeric`` columns must hold numbers (blank allowed);
``boolean`` columns take 是/否, true/false, 1/0, Y/N; ``unique`` names the id column that must not
repeat. Columns not listed pass through untouched.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Schema:
    """Expected columns of one layer or table."""

    required: tuple[str, ...] = ()
    numeric: tuple[str, ...] = ()
    boolean: tuple[str, ...] = ()
    text: tuple[str, ...] = ()
    unique: str | None = None
    geometry: str | None = None  # "polygon", or None for a table
    label: str = ""
    extra: dict = field(default_factory=dict)


POLY = "polygon"

LAYERS: dict[str, Schema] = {
    "parcels": Schema(required=("parcel_id",), numeric=("contract_far",),
                      boolean=("plan_conditions", "standard_land", "industrial_real_estate"),
                      text=("parcel_id", "owner_uscc", "owner_name", "land_use_code", "township", "park_id",
                            "split_from", "merged_from"),
                      unique="parcel_id", geometry=POLY, label="宗地"),
    "buildings": Schema(numeric=("floors", "height_m", "storey_height_m", "completed_year"), boolean=("completed",),
                        text=("building_id", "parcel_id", "use"), unique="building_id", geometry=POLY, label="建筑物"),
    "roads": Schema(numeric=("width_m",), geometry=POLY, label="道路"),
    "water": Schema(geometry=POLY, label="水域"),
    "urban_boundary": Schema(geometry=POLY, label="城镇开发边界"),
    "basic_farmland": Schema(geometry=POLY, label="永久基本农田"),
    "eco_redline": Schema(geometry=POLY, label="生态保护红线"),
    "zoning": Schema(text=("land_use_code", "land_use_name"), geometry=POLY, label="控规用地"),
    "parks": Schema(required=("park_id",), boolean=("standard_land_rules",), text=("park_id", "name", "kind"),
                    unique="park_id", geometry=POLY, label="园区"),
    "study_area": Schema(geometry=POLY, label="研究范围"),
    "renovations": Schema(required=("renovation_id", "parcel_id"),
                          numeric=("floor_area_after_m2", "renovation_floor_area_m2", "expansion_floor_area_m2",
                                   "equipment_investment", "total_investment", "leased_plant_m2"),
                          boolean=("accepted",), text=("renovation_id", "parcel_id", "uscc", "policy_category"),
                          unique="renovation_id", geometry=POLY, label="零增地技改方案"),
    "split_proposals": Schema(required=("proposal_id", "parcel_id"), numeric=("part_no",),
                              text=("proposal_id", "parcel_id", "buyer_uscc"), geometry=POLY, label="分割方案"),
}

TABLES: dict[str, Schema] = {
    "enterprises": Schema(required=("uscc", "year"),
                          numeric=("year", "revenue", "tax", "value_added", "employees", "energy_tce",
                                   "emissions_t", "rd_expense"),
                          text=("uscc", "name", "scale", "industry", "quality_kinds"), label="企业亩均效益数据"),
    "tenancy": Schema(required=("parcel_id", "uscc"), numeric=("floor_area_m2",), text=("parcel_id", "uscc"),
                      label="一地多企"),
    "contracts": Schema(required=("parcel_id",),
                        numeric=("total_investment", "invested", "due_area_m2", "developed_area_m2", "land_price",
                                 "committed_investment_intensity", "committed_far", "committed_tax_per_mu",
                                 "committed_va_per_energy", "committed_va_per_mu", "committed_va_per_emission"),
                        text=("contract_id", "parcel_id", "kind", "gov_cause"), label="出让合同/划拨决定书"),
    "projects": Schema(required=("uscc",), numeric=("total_investment", "built_year", "energy_tce"),
                       boolean=("key_project", "under_construction"), text=("project_id", "uscc", "parcel_id", "name"),
                       label="重点项目"),
    "merge_proposals": Schema(required=("proposal_id", "parcel_ids"), text=("proposal_id", "parcel_ids", "buyer_uscc"),
                              label="合并方案"),
    "land_supply": Schema(required=("year", "use", "area_mu"), numeric=("year", "area_mu"), text=("use",),
                          label="土地供应台账"),
    # 权利人 (TD/T 1066 QLR) kept apart from the 宗地 layer: joined onto it by parcel_id or unit_id
    "holders": Schema(text=("parcel_id", "unit_id", "owner_uscc", "owner_name"), label="权利人"),
}

#: Every field a layer or table may hold (docs/workspace.md), beyond the checked ones above; used
#: by ``init`` and ``inspect`` to tell known fields from unknown ones.
DOC_FIELDS: dict[str, set[str]] = {
    "parcels": {"parcel_id", "owner_uscc", "owner_name", "land_use_code", "township", "park_id", "rights_nature",
                "rights_type", "term_start", "term_end", "contract_far", "plan_conditions", "standard_land", "status",
                "split_from", "merged_from", "industrial_real_estate"},
    "buildings": {"building_id", "parcel_id", "floors", "height_m", "storey_height_m", "use", "completed",
                  "completed_year"},
    "roads": {"road_id", "name", "road_class", "width_m"},
    "water": {"water_id", "name"},
    "urban_boundary": {"id", "name"}, "basic_farmland": {"id", "name"}, "eco_redline": {"id", "name"},
    "zoning": {"zone_id", "land_use_code", "land_use_name"},
    "parks": {"park_id", "name", "kind", "standard_land_rules"},
    "study_area": set(),
    "renovations": {"renovation_id", "parcel_id", "uscc", "floor_area_after_m2", "renovation_floor_area_m2",
                    "expansion_floor_area_m2", "accepted", "equipment_investment", "total_investment",
                    "leased_plant_m2", "policy_category", "approved_date", "actual_start"},
    "split_proposals": {"proposal_id", "parcel_id", "part_no", "buyer_uscc"},
    "enterprises": {"uscc", "name", "year", "scale", "revenue", "tax", "value_added", "employees", "energy_tce",
                    "emissions_t", "rd_expense", "industry", "quality_kinds"},
    "tenancy": {"parcel_id", "uscc", "floor_area_m2"},
    "contracts": {"contract_id", "parcel_id", "kind", "signed_date", "agreed_start", "agreed_completion",
                  "actual_start", "total_investment", "invested", "due_area_m2", "developed_area_m2",
                  "suspended_since", "gov_cause", "land_price", "actual_completion",
                  "committed_investment_intensity", "committed_far", "committed_tax_per_mu", "committed_va_per_energy",
                  "committed_va_per_mu", "committed_va_per_emission"},
    "projects": {"project_id", "uscc", "parcel_id", "name", "key_project", "total_investment", "under_construction",
                 "built_year", "energy_tce"},
    "merge_proposals": {"proposal_id", "parcel_ids", "buyer_uscc"},
    "land_supply": {"year", "use", "area_mu"},
    "holders": {"parcel_id", "unit_id", "owner_uscc", "owner_name"},
}
