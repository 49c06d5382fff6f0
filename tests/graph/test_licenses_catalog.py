"""The licence knowledge base: facts carried over from the reference, coverage, lookups, validation."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from terms.licenses import (
    DATA_DIR,
    CommercialStatus,
    DerivativeLicensing,
    EuOssEligibility,
    FlowDown,
    LicenseCatalog,
    Marker,
    OutputTraining,
    Redistribution,
    TriState,
    default_catalog,
)
from terms.licenses.errors import KnowledgeBaseError

FIXTURES = Path(__file__).parent / "fixtures"

# §8 of the reference and the `other` slugs of the working agreement.
SECTION_8 = [
    "llama2", "llama3", "llama3.1", "llama3.2", "llama3.3", "llama4", "gemma", "creativeml-openrail-m",
    "openrail++", "bigscience-openrail-m", "bigscience-bloom-rail-1.0", "deepseek", "mit", "apache-2.0",
    "stabilityai-ai-community", "flux-1-dev-non-commercial-license", "mrl", "mnpl", "tongyi-qianwen", "qwen",
    "qwen-research", "falcon-llm-license", "nvidia-open-model-license", "microsoft-research-license",
    "bsd-3-clause", "cc-by-4.0", "cc-by-sa-4.0", "cc-by-nc-4.0", "cc-by-nc-sa-4.0", "gpl-3.0", "agpl-3.0",
    "impact-lr", "impact-mr", "impact-hr", "openmdw-1.0", "openmdw-1.1",
]


@pytest.fixture(scope="module")
def catalog() -> LicenseCatalog:
    return default_catalog()


def test_every_section_8_licence_is_a_typed_entry(catalog: LicenseCatalog) -> None:
    missing = [lid for lid in SECTION_8 if catalog.canonical(lid) != lid]
    assert missing == []
    for lid in SECTION_8:
        entry = catalog.get(lid)
        assert entry.family not in ("unknown", "unclassified"), lid
        assert entry.commercial.status is not None


def test_every_hub_licence_id_is_in_the_catalog(catalog: LicenseCatalog) -> None:
    hub = json.loads((FIXTURES / "hf_license_identifiers.json").read_text(encoding="utf-8"))
    ids = [item["id"] for item in hub["licenses"] if item["id"] != "other"]
    assert len(ids) == 82
    assert [lid for lid in ids if catalog.canonical(lid) != lid] == []


def test_undescribed_hub_ids_stay_unknown(catalog: LicenseCatalog) -> None:
    for lid in ("fair-noncommercial-research-license", "grok2-community", "gpl-2.0", "artistic-2.0"):
        entry = catalog.get(lid)
        assert entry.family == "unclassified"
        assert entry.commercial.status is CommercialStatus.UNKNOWN
        assert entry.derivative_licensing is DerivativeLicensing.UNKNOWN
        assert entry.eu_oss_exemption is EuOssEligibility.UNKNOWN
        assert entry.verified is False


def test_common_permissive_licences_allow_commercial_use(catalog: LicenseCatalog) -> None:
    for lid in ("cc0-1.0", "bsd-2-clause", "bsd-3-clause", "mpl-2.0", "isc", "zlib", "unlicense", "mit", "apache-2.0"):
        assert catalog.get(lid).commercial.status is CommercialStatus.ALLOWED, lid
    mpl = catalog.get("mpl-2.0")  # only the commercial fact is catalogued; the rest stays unknown
    assert (mpl.derivative_licensing, mpl.verified) == (DerivativeLicensing.UNKNOWN, False)


def test_no_derivatives_licences_allow_copies_but_not_shared_adaptations(catalog: LicenseCatalog) -> None:
    for lid in ("cc-by-nd-4.0", "cc-by-nc-nd-4.0", "cc-by-nc-nd-3.0"):
        entry = catalog.get(lid)
        assert entry.redistribution is Redistribution.ALLOWED, lid
        assert entry.derivative_licensing is DerivativeLicensing.NO_SHARING, lid
        terms = catalog.terms(lid)
        assert "redistribution:no_adapted_sharing" in {t.id for t in terms.flowing} & terms.binding, lid
    assert catalog.get("cc-by-nc-nd-4.0").commercial.status is CommercialStatus.NON_COMMERCIAL
    assert catalog.get("cc-by-sa-4.0").derivative_licensing is DerivativeLicensing.SAME
    assert "redistribution:no_adapted_sharing" not in {t.id for t in catalog.terms("cc-by-4.0").all}


def test_llama_facts(catalog: LicenseCatalog) -> None:
    l31 = catalog.get("llama3.1")
    assert l31.commercial.status is CommercialStatus.CONDITIONAL
    assert l31.commercial.mau_threshold == 700_000_000
    assert l31.flow_down is FlowDown.PRIVITY
    assert l31.derivative_licensing is DerivativeLicensing.TERMS_ATTACH
    assert l31.markers["derivative_licensing"] is Marker.GUESS
    assert [(n.kind.value, n.value, n.applies_to_output_training) for n in l31.naming] == [
        ("must_begin_with", "Llama", True)]
    assert "Built with Llama" in [a.text for a in l31.attribution]
    assert l31.outputs.train_other_models is OutputTraining.CONDITIONAL
    assert [n.value for n in catalog.get("llama3").naming] == ["Llama 3"]
    assert catalog.get("llama2").naming == ()
    assert catalog.get("llama2").outputs.train_other_models is OutputTraining.FORBIDDEN
    assert catalog.get("llama3.1").exclusions == ()
    for lid in ("llama3.2", "llama3.3", "llama4"):
        (exclusion,) = catalog.get(lid).exclusions
        assert (exclusion.region, exclusion.scope, exclusion.end_users_exempt) == ("EU", "multimodal", True)
        assert {"safety_filter_circumvention", "unlawful_tool_interaction"} <= set(catalog.get(lid).restrictions)
    for lid in ("llama2", "llama3", "llama3.1", "llama3.2", "llama3.3", "llama4"):  # AUP §3.e in every version
        assert {"undisclosed_machine_generation", "disinformation", "spam_malware", "privacy_violation",
                "infringement", "harassment_defamation", "discrimination"} <= set(catalog.get(lid).restrictions)
        assert catalog.get(lid).restrictions_complete is True
    assert "safety_filter_circumvention" not in l31.restrictions  # AUP §1.h arrived with Llama 3.2
    assert l31.restriction_sections["disinformation"] == "AUP §3.a"
    assert l31.osi_approved is TriState.NO and l31.eu_oss_exemption is EuOssEligibility.DOUBTFUL


def test_use_restricted_and_commercially_limited_licences(catalog: LicenseCatalog) -> None:
    gemma = catalog.get("gemma")
    assert gemma.flow_down is FlowDown.YES and gemma.hosting_is_distribution is TriState.YES
    assert {"safety_filter_circumvention", "automated_decisions"} <= set(gemma.restrictions)
    assert gemma.outputs.trained_model_is_derivative is True
    deepseek = catalog.get("deepseek")
    assert catalog.get("deepseek-license") is deepseek
    assert {"military", "inappropriate_content", "privacy_violation"} <= set(deepseek.restrictions)
    assert not {"medical_advice", "law_enforcement"} & set(deepseek.restrictions)  # not in its Attachment A
    assert deepseek.restriction_sections["military"] == "Attachment A (b)"
    assert len(catalog.get("bigcode-openrail-m").restrictions) == 13
    stability = catalog.get("stabilityai-ai-community")
    assert (stability.commercial.revenue_threshold_usd, stability.commercial.registration_required) == (1_000_000, True)
    flux = catalog.get("flux-1-dev-non-commercial-license")
    assert flux.commercial.status is CommercialStatus.NON_COMMERCIAL
    assert {"military", "surveillance", "biometric_identification"} <= set(flux.restrictions)
    assert flux.outputs.commercial_use is TriState.YES and flux.outputs.train_other_models is OutputTraining.FORBIDDEN
    assert catalog.get("mrl").commercial.status is CommercialStatus.RESEARCH_ONLY
    assert catalog.get("mnpl").commercial.status is CommercialStatus.NON_PRODUCTION
    tongyi = catalog.get("tongyi-qianwen")
    assert tongyi.commercial.mau_threshold == 100_000_000
    assert (tongyi.outputs.train_other_models, tongyi.outputs.except_family) == (OutputTraining.FORBIDDEN, "qwen")
    assert catalog.get("microsoft-research-license").redistribution is Redistribution.FORBIDDEN
    assert "safety_filter_circumvention" in catalog.get("nvidia-open-model-license").terminates_on
    assert catalog.get("cc-by-nc-4.0").commercial.persists_in_derivatives is True
    assert catalog.get("cc-by-sa-4.0").share_alike and catalog.get("gpl-3.0").no_further_restrictions
    assert catalog.get("apache-2.0").osi_approved is TriState.YES
    assert (catalog.get("openmdw-1.0").osi_approved, catalog.get("openmdw-1.0").eu_oss_exemption) == (
        TriState.NO, EuOssEligibility.YES)


def test_unverified_entries_stay_marked(catalog: LicenseCatalog) -> None:
    for lid in ("mnpl", "qwen-research", "falcon-llm-license", "bigcode-openrail-m", "impact-mr",
                "stability-ai-nc-research"):
        assert catalog.get(lid).verified is False, lid
    assert catalog.get("qwen-research").markers["commercial"] is Marker.UNVERIFIED
    assert catalog.get("falcon-llm-license").markers["flow_down"] is Marker.SECONDARY
    for lid in ("llama3.1", "gemma", "apache-2.0", "flux-1-dev-non-commercial-license"):
        assert catalog.get(lid).verified is True, lid


def test_taxonomy_has_the_shared_restrictions(catalog: LicenseCatalog) -> None:
    wanted = {"military", "surveillance", "medical_advice", "disinformation", "biometric_identification",
              "law_enforcement", "safety_filter_circumvention", "competing_model_training", "automated_decisions"}
    assert wanted <= set(catalog.taxonomy.restrictions)
    assert all(catalog.taxonomy.restrictions[item] for item in wanted)


def test_unknown_ids_answer_the_explicit_unknown_entry(catalog: LicenseCatalog) -> None:
    assert catalog.get("no-such-licence").id == "unknown"
    assert catalog.get(None).id == "unknown"
    assert catalog.get("unknown").is_unknown
    assert catalog.terms("no-such-licence").all == ()


def test_terms_flow_and_bind_by_derivative_licensing(catalog: LicenseCatalog) -> None:
    llama = catalog.terms("llama3.1")
    assert llama.flowing == llama.all and llama.binding == frozenset(t.id for t in llama.all)
    nc = catalog.terms("cc-by-nc-4.0")
    assert {t.id for t in nc.flowing} == {"commercial:non_commercial", "attribution:keep_notices"}
    assert nc.binding == frozenset({"commercial:non_commercial"})
    apache = catalog.terms("apache-2.0")
    assert apache.binding == frozenset() and all(t.kind.value == "attribution" for t in apache.flowing)


def _copy_data(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def test_a_restriction_outside_the_taxonomy_is_rejected(tmp_path: Path) -> None:
    data = _copy_data(tmp_path)
    path = data / "licenses" / "gemma.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("{id: spam_malware,", "{id: spamming,"), encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match="spamming"):
        LicenseCatalog.load(data)


def test_a_restriction_without_its_section_is_rejected(tmp_path: Path) -> None:
    data = _copy_data(tmp_path)
    path = data / "licenses" / "gemma.yaml"
    text = path.read_text(encoding="utf-8")
    assert '- {id: sexual_content, section: "' in text
    path.write_text(text.replace('- {id: sexual_content, section: "PUP §4"}',
                                 "- sexual_content"), encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match="sexual_content.*no section"):
        LicenseCatalog.load(data)


def test_a_restriction_listed_twice_is_rejected(tmp_path: Path) -> None:
    data = _copy_data(tmp_path)
    path = data / "licenses" / "gemma.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('- {id: infringement, section: "PUP §1"}',
                                 '- {id: infringement, section: "PUP §1"}\n      - {id: infringement, section: "x"}'),
                    encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match="listed twice"):
        LicenseCatalog.load(data)


def test_duplicate_ids_and_missing_unknown_entry_are_rejected(tmp_path: Path) -> None:
    data = _copy_data(tmp_path)
    shutil.copy(data / "licenses" / "gemma.yaml", data / "licenses" / "gemma-copy.yaml")
    with pytest.raises(KnowledgeBaseError, match="defined twice"):
        LicenseCatalog.load(data)
    (data / "licenses" / "gemma-copy.yaml").unlink()
    (data / "licenses" / "unknown.yaml").unlink()
    with pytest.raises(KnowledgeBaseError, match="unknown"):
        LicenseCatalog.load(data)


def test_schema_version_mismatch_and_bad_yaml_are_rejected(tmp_path: Path) -> None:
    data = _copy_data(tmp_path)
    path = data / "licenses" / "mistral.yaml"
    original = path.read_text(encoding="utf-8")
    path.write_text(original.replace("schema_version: 1", "schema_version: 2"), encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match="schema_version"):
        LicenseCatalog.load(data)
    path.write_text(original + "\n  - id: [broken\n", encoding="utf-8")
    with pytest.raises(KnowledgeBaseError):
        LicenseCatalog.load(data)


def test_an_unknown_field_is_rejected(tmp_path: Path) -> None:
    data = _copy_data(tmp_path)
    path = data / "licenses" / "mistral.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("    family: mistral\n", "    family: mistral\n"
                                                                  "    commerical: yes\n", 1), encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match="commerical"):
        LicenseCatalog.load(data)
