"""Chinese header aliases for the tables bureaus send.

Headers are matched after normalisation (:func:`normalize_header`): surrounding spaces dropped,
full-width brackets made half-width, a trailing unit in brackets ignored (``税收实际贡献(万元)``
matches ``税收实际贡献``), ASCII lower-cased. A workspace adds its own under ``[aliases]``.
"""

from __future__ import annotations

import re

#: field -> Chinese (and English) headers seen in bureau tables.
ALIASES: dict[str, list[str]] = {
    # enterprises (亩均效益数据)
    "uscc": ["统一社会信用代码", "社会信用代码", "信用代码", "企业统一社会信用代码", "uscc"],
    "name": ["企业名称", "单位名称", "企业(单位)名称", "项目名称", "name"],
    "year": ["年度", "年份", "评价年度", "year"],
    "scale": ["规模", "企业规模", "规上规下", "是否规上", "scale"],
    "revenue": ["营业收入", "主营业务收入", "销售收入", "revenue"],
    "tax": ["税收实际贡献", "实缴税金", "实际税收", "税收", "tax"],
    "value_added": ["工业增加值", "增加值", "value_added"],
    "employees": ["年平均职工人数", "从业人员平均人数", "职工人数", "employees"],
    "energy_tce": ["综合能耗", "能耗", "年综合能耗", "energy_tce"],
    "emissions_t": ["主要污染物排放量", "排放量", "污染物排放量", "emissions_t"],
    "rd_expense": ["R&D经费支出", "研发经费支出", "研发费用", "r&d经费", "rd_expense"],
    "industry": ["行业", "所属行业", "行业类别", "industry"],
    # shared keys
    "parcel_id": ["宗地代码", "宗地编号", "不动产单元号", "地块编号", "parcel_id"],
    # tenancy (一地多企)
    "floor_area_m2": ["租用建筑面积", "使用建筑面积", "建筑面积", "floor_area_m2"],
    # contracts (出让合同/划拨决定书)
    "contract_id": ["合同编号", "出让合同编号", "决定书编号", "contract_id"],
    "kind": ["供地方式", "合同类型", "kind"],
    "signed_date": ["签订日期", "合同签订日期", "signed_date"],
    "agreed_start": ["约定动工日期", "约定开工日期", "合同约定动工日期", "agreed_start"],
    "agreed_completion": ["约定竣工日期", "合同约定竣工日期", "agreed_completion"],
    "actual_start": ["实际动工日期", "实际开工日期", "actual_start"],
    "total_investment": ["总投资", "项目总投资", "计划总投资", "total_investment"],
    "invested": ["已完成投资", "已投资额", "完成投资", "invested"],
    "due_area_m2": ["应开发面积", "应动工开发建设用地面积", "due_area_m2"],
    "developed_area_m2": ["已开发面积", "已动工开发建设用地面积", "developed_area_m2"],
    "suspended_since": ["停工日期", "中止开发日期", "suspended_since"],
    "gov_cause": ["政府原因", "政府原因说明", "闲置原因", "gov_cause"],
    "land_price": ["出让价款", "土地价款", "划拨价款", "land_price"],
    # 标准地 committed indicators (投资监管协议) and completion (TT-STD / DQ-STD 达产复核)
    "actual_completion": ["实际竣工日期", "竣工验收日期", "actual_completion"],
    "committed_investment_intensity": ["承诺投资强度", "约定投资强度", "投资强度", "committed_investment_intensity"],
    "committed_far": ["承诺容积率", "约定容积率", "committed_far"],
    "committed_tax_per_mu": ["承诺亩均税收", "约定亩均税收", "committed_tax_per_mu"],
    "committed_va_per_energy": ["承诺单位能耗增加值", "约定单位能耗增加值", "单位能耗增加值", "committed_va_per_energy"],
    "committed_va_per_mu": ["承诺亩均增加值", "约定亩均增加值", "committed_va_per_mu"],
    "committed_va_per_emission": ["承诺单位排放增加值", "约定单位排放增加值", "单位排放增加值", "committed_va_per_emission"],
    # 零增地技改 plans (TT-ZERO): approval, start, industry-policy category
    "approved_date": ["审批日期", "批准日期", "备案日期", "核准日期", "审批同意日期", "approved_date"],
    "policy_category": ["产业政策类别", "产业结构调整指导目录类别", "产业目录类别", "policy_category"],
    # enterprises: the kinds of 留驻优质企业 (TT-RETAIN)
    "quality_kinds": ["优质企业类型", "优质企业类别", "企业荣誉", "荣誉称号", "quality_kinds"],
    # projects (重点项目)
    "project_id": ["项目编号", "project_id"],
    "key_project": ["是否重点项目", "重点项目", "key_project"],
    "under_construction": ["是否在建", "在建", "under_construction"],
    "built_year": ["建成年份", "投产年份", "built_year"],
    # proposals
    "proposal_id": ["方案编号", "proposal_id"],
    "parcel_ids": ["合并宗地代码", "宗地代码列表", "合并宗地", "parcel_ids"],
    "buyer_uscc": ["受让方统一社会信用代码", "受让方信用代码", "buyer_uscc"],
    # land supply ledger
    "use": ["用途", "土地用途", "use"],
    "area_mu": ["面积(亩)", "供地面积", "area_mu"],
}

_BRACKETS = str.maketrans({"（": "(", "）": ")", "【": "[", "】": "]", "：": ":", "　": " "})
_UNIT_SUFFIX = re.compile(r"\s*[(\[][^()\[\]]*[)\]]\s*$")


def normalize_header(header: object) -> str:
    """Normalise a header for matching: strip, half-width brackets, ASCII lower case.

    Examples
    --------
    >>> normalize_header(" 税收实际贡献（万元） ")
    '税收实际贡献(万元)'
    """
    text = str(header).translate(_BRACKETS).strip()
    text = re.sub(r"\s+", "", text)
    return text.lower()


def _strip_unit(header: str) -> str:
    return _UNIT_SUFFIX.sub("", header)


def _add(lookup: dict[str, str], stripped: dict[str, str], names, field: str) -> None:
    for name in names:
        norm = normalize_header(name)
        lookup[norm] = field
        stripped[_strip_unit(norm)] = field


def build_lookup(extra: dict[str, list[str]] | None = None, target: str | None = None,
                 standards=None) -> dict[str, str]:
    """Normalised header → field.

    In increasing priority: the standard field codes of every schema (only when ``target`` is
    ``None``), :data:`ALIASES`, the standard codes of ``target``'s schemas (``ZDDM`` → ``parcel_id``
    for ``parcels``; see :mod:`geo_tenglong.standards`), and the workspace's ``extra`` aliases.

    Parameters
    ----------
    extra : dict, optional
        Workspace aliases (field → list of headers).
    target : str, optional
        The workspace layer or table being read (``parcels``, ``enterprises`` …).
    standards : Standards, optional
        The standards in force (the workspace's, with its ``[standards]`` merged); the built-in
        ones when omitted.
    """
    from ..standards import load_standards

    std = standards if standards is not None else load_standards()
    lookup: dict[str, str] = {}
    stripped: dict[str, str] = {}
    if target is None:
        for src, field in reversed(list(std.field_map(None).items())):
            _add(lookup, stripped, [src], field)
    from .schema import LAYERS, TABLES

    for schema in (*LAYERS.values(), *TABLES.values()):   # a field's own name is always itself
        for field in {*schema.required, *schema.numeric, *schema.boolean, *schema.text}:
            _add(lookup, stripped, [field], field)
    for field, names in ALIASES.items():
        _add(lookup, stripped, [field, *names], field)
    if target is not None:
        for src, field in reversed(list(std.field_map(target).items())):
            _add(lookup, stripped, [src], field)
    for field, names in (extra or {}).items():
        _add(lookup, stripped, [field, *names], field)
    for key, field in stripped.items():
        lookup.setdefault(key, field)
    return lookup


def map_headers(headers, extra: dict[str, list[str]] | None = None, target: str | None = None,
                standards=None) -> dict[str, str]:
    """Map a table's or layer's headers to field names.

    Parameters
    ----------
    headers : iterable of str
    extra : dict, optional
        Workspace aliases (field → list of headers).
    target : str, optional
        The layer or table read, so its standard schemas' codes apply (see :func:`build_lookup`).
    standards : Standards, optional

    Returns
    -------
    dict
        Original header → field name, for the headers recognised. Unrecognised headers are kept
        by the caller under their own name. When two headers map to one field, the first keeps it.

    Examples
    --------
    >>> map_headers(["ZDDM", "QLRMC", "YT", "备注"], target="parcels")
    {'ZDDM': 'parcel_id', 'QLRMC': 'owner_name', 'YT': 'land_use_code'}
    """
    lookup = build_lookup(extra, target, standards)
    out: dict[str, str] = {}
    taken: set[str] = set()
    headers = list(headers)
    for h in headers:  # a header already named as a field keeps it
        if normalize_header(h) in lookup and lookup[normalize_header(h)] == normalize_header(h):
            taken.add(normalize_header(h))
    for h in headers:
        norm = normalize_header(h)
        field = lookup.get(norm) or lookup.get(_strip_unit(norm))
        if field is None:
            continue
        if field in taken and norm != field:
            continue
        out[h] = field
        taken.add(field)
    return out
