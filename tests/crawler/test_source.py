"""HubSource logic over an in-memory HfApi stand-in: traversal, failures, retries, inference."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx2
import pytest

from crawler.observations import (
    AliasSeen,
    DeploymentKind,
    DeploymentSeen,
    DerivationSeen,
    EvidenceKind,
    FileSeen,
    ModelSeen,
    ModelStatus,
    Observation,
    ProblemKind,
    ProblemSeen,
    Relation,
    Source,
)
from crawler.report import CrawlReport
from crawler.settings import CrawlerSettings
from crawler.source import FALLBACK_EXPAND, MODEL_EXPAND, HubSource
from tests.support.hubfakes import FIXED_NOW, FakeHubApi, http_error, model_payload, recorded_body


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def api(tmp_path: Path) -> FakeHubApi:
    return FakeHubApi(tmp=tmp_path)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def make_source(api: FakeHubApi, sleeps: Sleeps, **settings: Any) -> HubSource:
    config = CrawlerSettings(endpoint="https://hub.test", max_retries=settings.pop("max_retries", 3), **settings)
    return HubSource(config, api=api, sleep=sleeps, rand=lambda: 1.0, clock=lambda: FIXED_NOW)  # type: ignore[arg-type]


def of(kind: type, observations: list[Observation]) -> list[Any]:
    return [o for o in observations if isinstance(o, kind)]


def problems(observations: list[Observation]) -> list[ProblemKind]:
    return [o.kind for o in observations if isinstance(o, ProblemSeen)]


def edges(observations: list[Observation]) -> set[tuple[str, str, str]]:
    return {(d.child_id, d.parent_id, d.evidence_kind.value) for d in of(DerivationSeen, observations)}


def test_iter_model_is_one_model_info_call(api: FakeHubApi, sleeps: Sleeps) -> None:
    body = recorded_body("models_HuggingFaceH4_zephyr-7b-beta.json")
    api.add(body)
    source = make_source(api, sleeps)
    out = list(source.iter_model("HuggingFaceH4/zephyr-7b-beta"))
    assert api.calls == [("model_info", "HuggingFaceH4/zephyr-7b-beta")]
    [model] = of(ModelSeen, out)
    assert model.source.url == "https://hub.test/api/models/HuggingFaceH4/zephyr-7b-beta"
    assert model.source.revision == "892b3d7a7b1cf10c7a701c60881cd93df615734c"
    assert model.source.observed_at == FIXED_NOW
    assert edges(out) == {
        ("HuggingFaceH4/zephyr-7b-beta", "mistralai/Mistral-7B-v0.1", "hub_tag"),
        ("HuggingFaceH4/zephyr-7b-beta", "mistralai/Mistral-7B-v0.1", "card_base_model"),
    }
    files = [s["rfilename"] for s in body["siblings"]]
    assert [f.name for f in of(FileSeen, out)] == files and len(files) == 31
    assert source.report.observations["ModelSeen"] == 1 and source.report.observations["FileSeen"] == 31
    assert source.report.models_ingested == 1


def test_expand_list_when_files_metadata_is_off(api: FakeHubApi, sleeps: Sleeps) -> None:
    seen: dict[str, Any] = {}
    original = api.model_info

    def spy(repo_id: str, **kwargs: Any) -> Any:
        seen.update(kwargs)
        return original(repo_id, **kwargs)

    api.model_info = spy  # type: ignore[method-assign]
    api.add(model_payload("o/m", base_model="a/b"))
    list(make_source(api, sleeps, files_metadata=False).iter_model("o/m"))
    assert seen["expand"] == MODEL_EXPAND and "files_metadata" not in seen
    list(make_source(api, sleeps).iter_model("o/m"))
    assert seen["files_metadata"] is True


def test_not_found_is_a_fact(api: FakeHubApi, sleeps: Sleeps) -> None:
    out = list(make_source(api, sleeps).iter_model("gone/model"))
    [model] = of(ModelSeen, out)
    assert model.status is ModelStatus.DELETED
    assert problems(out) == [ProblemKind.NOT_FOUND]
    assert sleeps == []  # permanent: never retried


def test_gated_401_is_a_fact(api: FakeHubApi, sleeps: Sleeps) -> None:
    api.errors["model_info:meta-llama/Llama-2-7b"] = [
        http_error(401, "https://hub.test/api/models/meta-llama/Llama-2-7b", headers={"X-Error-Code": "GatedRepo"})
    ]
    out = list(make_source(api, sleeps).iter_model("meta-llama/Llama-2-7b"))
    assert of(ModelSeen, out)[0].status is ModelStatus.GATED
    assert of(ModelSeen, out)[0].license_recorded is False  # a licence not read is not "no licence"
    assert problems(out) == [ProblemKind.GATED]


def test_429_honours_retry_after(api: FakeHubApi, sleeps: Sleeps) -> None:
    api.add(model_payload("o/m"))
    api.errors["model_info:o/m"] = [http_error(429, "https://hub.test/api/models/o/m", headers={"Retry-After": "7"})]
    out = list(make_source(api, sleeps).iter_model("o/m"))
    assert sleeps == [7.0]
    assert of(ModelSeen, out)[0].status is ModelStatus.AVAILABLE


def test_5xx_and_timeouts_back_off_then_give_up(api: FakeHubApi, sleeps: Sleeps) -> None:
    api.add(model_payload("o/m"))
    url = "https://hub.test/api/models/o/m"
    api.errors["model_info:o/m"] = [
        http_error(500, url),
        httpx2.ReadTimeout("read timed out"),
        http_error(503, url),
        http_error(502, url),
    ]
    out = list(make_source(api, sleeps, max_retries=3, backoff_base_s=1.0).iter_model("o/m"))
    assert sleeps == [1.0, 2.0, 4.0]  # exponential; the injected jitter draw (1.0) gives the ceiling
    [model] = of(ModelSeen, out)
    assert model.status is ModelStatus.UNAVAILABLE
    [problem] = of(ProblemSeen, out)
    assert problem.kind is ProblemKind.HUB_ERROR and "4 attempts" in problem.message


def test_transient_error_then_success(api: FakeHubApi, sleeps: Sleeps) -> None:
    api.add(model_payload("o/m"))
    api.errors["model_info:o/m"] = [httpx2.ConnectError("refused")]
    out = list(make_source(api, sleeps).iter_model("o/m"))
    assert len(sleeps) == 1 and of(ModelSeen, out)[0].status is ModelStatus.AVAILABLE


def test_unparseable_answer_is_read_again_without_card(api: FakeHubApi, sleeps: Sleeps) -> None:
    payload = model_payload("o/m", base_model="a/b")
    payload["cardData"]["tags"] = 5  # huggingface_hub's ModelCardData cannot iterate this
    api.add(payload)
    calls: list[Any] = []
    original = api.model_info

    def spy(repo_id: str, **kwargs: Any) -> Any:
        calls.append(kwargs.get("expand"))
        return original(repo_id, **kwargs)

    api.model_info = spy  # type: ignore[method-assign]
    out = list(make_source(api, sleeps).iter_model("o/m"))
    assert calls == [None, FALLBACK_EXPAND]
    assert ProblemKind.MALFORMED_CARD in problems(out)
    assert edges(out) == {("o/m", "a/b", "hub_tag")}  # tags survived


def test_invalid_seed_makes_no_request(api: FakeHubApi, sleeps: Sleeps) -> None:
    out = list(make_source(api, sleeps).iter_model("not a/valid/id"))
    assert api.calls == [] and problems(out) == [ProblemKind.INVALID_REPO_ID]


def chain(api: FakeHubApi) -> None:
    api.add(model_payload("org/child", base_model="org/mid"))
    api.add(model_payload("org/mid", base_model="org/root"))
    api.add(model_payload("org/root"))


def test_iter_up_follows_to_the_root(api: FakeHubApi, sleeps: Sleeps) -> None:
    chain(api)
    out = list(make_source(api, sleeps).iter_up("org/child"))
    assert [m.id for m in of(ModelSeen, out)] == ["org/child", "org/mid", "org/root"]
    assert {(c, p) for c, p, _ in edges(out)} == {("org/child", "org/mid"), ("org/mid", "org/root")}
    assert api.counts["model_info"] == 3 and problems(out) == []


def test_iter_up_cycle_and_self_reference(api: FakeHubApi, sleeps: Sleeps) -> None:
    api.add(model_payload("o/a", base_model="o/b"))
    api.add(model_payload("o/b", base_model=["o/a", "o/b"], relation="merge"))
    out = list(make_source(api, sleeps).iter_up("o/a"))
    assert api.counts["model_info"] == 2  # each model fetched once
    kinds = problems(out)
    assert kinds.count(ProblemKind.CYCLE) == 1 and ProblemKind.SELF_REFERENCE in kinds
    [cycle] = [p for p in of(ProblemSeen, out) if p.kind is ProblemKind.CYCLE]
    assert "o/a → o/b → o/a" in cycle.message
    assert ("o/b", "o/b") not in {(c, p) for c, p, _ in edges(out)}


def test_iter_up_renamed_parent_is_reported_against_the_current_id(api: FakeHubApi, sleeps: Sleeps) -> None:
    api.add(recorded_body("models_meta-llama_Llama-3.1-8B-Instruct.json"))
    api.add(model_payload("meta-llama/Llama-3.1-8B", license="llama3.1"))
    api.aliases["meta-llama/Meta-Llama-3.1-8B"] = "meta-llama/Llama-3.1-8B"
    out = list(make_source(api, sleeps).iter_up("meta-llama/Llama-3.1-8B-Instruct"))
    # the card's old name and the tag's current name are both fetched once; the old one redirects
    assert [a for a in of(AliasSeen, out)] == [
        AliasSeen("meta-llama/Meta-Llama-3.1-8B", "meta-llama/Llama-3.1-8B", of(AliasSeen, out)[0].source)
    ]
    derivations = of(DerivationSeen, out)
    assert {d.parent_id for d in derivations} == {"meta-llama/Llama-3.1-8B"}
    card = [d for d in derivations if d.evidence_kind is EvidenceKind.CARD_BASE_MODEL][0]
    assert "as meta-llama/Meta-Llama-3.1-8B, now meta-llama/Llama-3.1-8B" in card.evidence_detail
    kinds = problems(out)
    assert ProblemKind.CARD_TAG_DISAGREE in kinds and ProblemKind.RENAMED in kinds
    assert [m.id for m in of(ModelSeen, out)] == ["meta-llama/Llama-3.1-8B-Instruct", "meta-llama/Llama-3.1-8B"]


def test_iter_up_deleted_gated_and_invalid_parents(api: FakeHubApi, sleeps: Sleeps) -> None:
    api.add(model_payload("o/merge", base_model=["gone/parent", "gated/parent", "bad id!"], tags=[]))
    api.errors["model_info:gated/parent"] = [
        http_error(403, "https://hub.test/api/models/gated/parent", headers={"X-Error-Code": "GatedRepo"})
    ]
    out = list(make_source(api, sleeps).iter_up("o/merge"))
    status = {m.id: m.status for m in of(ModelSeen, out)}
    assert status == {"o/merge": ModelStatus.AVAILABLE, "gone/parent": ModelStatus.DELETED, "gated/parent": ModelStatus.GATED}
    kinds = problems(out)
    for kind in (ProblemKind.NOT_FOUND, ProblemKind.GATED, ProblemKind.INVALID_REPO_ID):
        assert kind in kinds
    # the dangling and gated parents are still recorded as parents
    assert {(p, r) for _, p, r in ((d.child_id, d.parent_id, d.relation) for d in of(DerivationSeen, out))} == {
        ("gone/parent", Relation.MERGE), ("gated/parent", Relation.MERGE)
    }


def test_iter_up_is_bounded(api: FakeHubApi, sleeps: Sleeps) -> None:
    for i in range(10):
        api.add(model_payload(f"o/m{i}", base_model=f"o/m{i + 1}"))
    source = make_source(api, sleeps, max_up_depth=3)
    out = list(source.iter_up("o/m0"))
    assert api.counts["model_info"] == 4
    assert ProblemKind.TOO_LARGE in problems(out)
    api.counts.clear()
    out = list(make_source(api, sleeps, max_up_models=2).iter_up("o/m0"))
    assert api.counts["model_info"] == 2 and ProblemKind.TOO_LARGE in problems(out)


def family(api: FakeHubApi) -> None:
    api.add(model_payload("base/root"))
    for i in range(5):
        api.add(model_payload(f"ft/child{i}", base_model="base/root"))
    api.add(model_payload("q/child0-GGUF", base_model="ft/child0", relation="quantized", siblings=["m.Q4_K_M.gguf"]))
    api.add(model_payload("m/merge", base_model=["ft/child1", "ft/child2"]))


def test_iter_children_lists_without_per_child_requests(api: FakeHubApi, sleeps: Sleeps) -> None:
    family(api)
    out = list(make_source(api, sleeps).iter_children("base/root", depth=2))
    assert api.counts["model_info"] == 0
    assert api.counts["list_models"] == 1 + 5  # the root, then each child
    ids = [m.id for m in of(ModelSeen, out)]
    assert sorted(ids) == sorted([f"ft/child{i}" for i in range(5)] + ["q/child0-GGUF", "m/merge"])
    assert len(ids) == len(set(ids))  # the merge is listed under two parents but yielded once
    relations = {(d.child_id, d.parent_id): d.relation for d in of(DerivationSeen, out)}
    assert relations[("q/child0-GGUF", "ft/child0")] is Relation.QUANTIZED
    assert relations[("m/merge", "ft/child1")] is Relation.MERGE and relations[("m/merge", "ft/child2")] is Relation.MERGE


def test_iter_children_relation_filter_breadth_and_cycles(api: FakeHubApi, sleeps: Sleeps) -> None:
    family(api)
    out = list(make_source(api, sleeps).iter_children("ft/child0", relation="quantized", depth=1))
    assert api.calls[-1] == ("list_models", "base_model:quantized:ft/child0")
    assert [m.id for m in of(ModelSeen, out)] == ["q/child0-GGUF"]
    out = list(make_source(api, sleeps).iter_children("base/root", depth=1, breadth=2))
    assert len(of(ModelSeen, out)) == 2 and ProblemKind.TOO_LARGE in problems(out)
    api.add(model_payload("base/root", base_model="ft/child3"))  # root declares its own child as base
    out = list(make_source(api, sleeps).iter_children("base/root", depth=3))
    assert ProblemKind.CYCLE in problems(out)
    with pytest.raises(ValueError):
        make_source(api, sleeps).iter_children("base/root", relation="unknown")


def test_iter_children_listing_failure_is_recorded(api: FakeHubApi, sleeps: Sleeps) -> None:
    family(api)
    api.errors["list_models:base_model:base/root"] = [http_error(500, "https://hub.test/api/models")] * 5
    out = list(make_source(api, sleeps, max_retries=2).iter_children("base/root"))
    assert problems(out) == [ProblemKind.HUB_ERROR] and len(sleeps) == 2


def test_iter_deployers(api: FakeHubApi, sleeps: Sleeps) -> None:
    mapping = recorded_body("models_meta-llama_Llama-3.1-8B-Instruct_expand_inferenceProviderMapping.json")
    api.add(mapping)
    api.spaces = [
        {"id": "someone/chat", "author": "someone", "sha": "s" * 40, "models": ["meta-llama/Llama-3.1-8B-Instruct"],
         "runtime": {"stage": "RUNNING", "hardware": {"current": "cpu-basic", "requested": "cpu-basic"}}},
        {"id": "other/demo", "models": ["other/model"]},
    ]
    out = list(make_source(api, sleeps).iter_deployers("meta-llama/Llama-3.1-8B-Instruct"))
    deployments = of(DeploymentSeen, out)
    spaces = [d for d in deployments if d.kind is DeploymentKind.SPACE]
    assert [(d.id, d.operator, d.status, d.url) for d in spaces] == [
        ("space:someone/chat", "someone", "RUNNING", "https://hub.test/spaces/someone/chat")
    ]
    providers = {d.operator: d.status for d in deployments if d.kind is DeploymentKind.INFERENCE_PROVIDER}
    assert providers == {
        "fireworks-ai": "live", "sambanova": "live", "hf-inference": "live", "nebius": "live", "novita": "live",
        "hyperbolic": "staging",
    }
    assert all(d.model_id == "meta-llama/Llama-3.1-8B-Instruct" for d in deployments)


def test_iter_deployers_of_a_missing_model(api: FakeHubApi, sleeps: Sleeps) -> None:
    out = list(make_source(api, sleeps).iter_deployers("gone/model"))
    assert problems(out) == [ProblemKind.NOT_FOUND] and of(DeploymentSeen, out) == []


def undeclared(api: FakeHubApi, model_id: str, files: dict[str, str], **kwargs: Any) -> None:
    api.add(model_payload(model_id, tags=[], siblings=list(files), **kwargs))
    for name, text in files.items():
        api.files[(model_id, name)] = text.encode()


def test_inference_reads_adapter_config_only(api: FakeHubApi, sleeps: Sleeps) -> None:
    undeclared(api, "me/lora", {
        "adapter_config.json": json.dumps({"base_model_name_or_path": "mistralai/Mistral-7B-v0.1"}),
        "README.md": "Original model: https://huggingface.co/someone/else",
    })
    out = list(make_source(api, sleeps).iter_model("me/lora"))
    [derivation] = of(DerivationSeen, out)
    assert (derivation.parent_id, derivation.relation, derivation.evidence_kind) == (
        "mistralai/Mistral-7B-v0.1", Relation.ADAPTER, EvidenceKind.ADAPTER_CONFIG
    )
    assert derivation.confidence < 1
    assert derivation.source.url.endswith("/me/lora/resolve/" + "a" * 40 + "/adapter_config.json")
    downloads = [c for c in api.calls if c[0] == "hf_hub_download"]
    assert downloads == [("hf_hub_download", "me/lora/adapter_config.json")] * 2  # size probe + download


def test_inference_from_card_text_with_quantized_name(api: FakeHubApi, sleeps: Sleeps) -> None:
    undeclared(api, "TheBloke/Llama-2-7B-GGUF", {"README.md": "- Original model: [Llama 2 7B](https://huggingface.co/meta-llama/Llama-2-7b-hf)\n", "llama-2-7b.Q4_K_M.gguf": ""})
    out = list(make_source(api, sleeps).iter_model("TheBloke/Llama-2-7B-GGUF"))
    [derivation] = of(DerivationSeen, out)
    assert (derivation.parent_id, derivation.relation, derivation.evidence_kind) == (
        "meta-llama/Llama-2-7b-hf", Relation.QUANTIZED, EvidenceKind.CARD_TEXT
    )
    assert "relation from quantized format GGUF" in derivation.evidence_detail


def test_inference_malformed_front_matter_and_gated_files(api: FakeHubApi, sleeps: Sleeps) -> None:
    undeclared(api, "me/broken", {"README.md": "---\nbase_model: [unclosed\n---\nhello"})
    api.models["me/broken"]["cardData"] = None
    out = list(make_source(api, sleeps).iter_model("me/broken"))
    assert ProblemKind.MALFORMED_CARD in problems(out) and of(DerivationSeen, out) == []
    undeclared(api, "gated/model", {"README.md": "x"}, gated="manual")
    api.errors["download:gated/model/README.md"] = [
        http_error(401, "https://hub.test/gated/model/resolve/main/README.md", headers={"X-Error-Code": "GatedRepo"})
    ]
    out = list(make_source(api, sleeps).iter_model("gated/model"))
    assert ProblemKind.GATED in problems(out)


def test_front_matter_the_hub_missed_is_declared(api: FakeHubApi, sleeps: Sleeps) -> None:
    undeclared(api, "me/m", {"README.md": "---\nbase_model: microsoft/phi-2\n---\n# My model"})
    api.models["me/m"]["cardData"] = None
    [derivation] = of(DerivationSeen, list(make_source(api, sleeps).iter_model("me/m")))
    assert (derivation.parent_id, derivation.evidence_kind) == ("microsoft/phi-2", EvidenceKind.CARD_BASE_MODEL)


def test_huge_files_are_not_read(api: FakeHubApi, sleeps: Sleeps) -> None:
    undeclared(api, "me/big", {"config.json": json.dumps({"_name_or_path": "a/b", "pad": "x" * 5000}), "README.md": "y" * 5000})
    out = list(make_source(api, sleeps, max_file_bytes=1024, max_card_bytes=2048, name_search=False).iter_model("me/big"))
    toobig = [p for p in of(ProblemSeen, out) if p.kind is ProblemKind.TOO_LARGE]
    assert len(toobig) == 2  # README truncated to 2048 bytes, config.json skipped
    assert of(DerivationSeen, out) == []


def test_name_search_accepts_exactly_one_candidate(api: FakeHubApi, sleeps: Sleeps) -> None:
    undeclared(api, "someone/gemma-2-9b-it-exl2", {"measurement.json": "{}"})
    api.add(model_payload("google/gemma-2-9b-it"))
    out = list(make_source(api, sleeps).iter_model("someone/gemma-2-9b-it-exl2"))
    [derivation] = of(DerivationSeen, out)
    assert (derivation.parent_id, derivation.evidence_kind, derivation.confidence) == (
        "google/gemma-2-9b-it", EvidenceKind.NAME_PATTERN, 0.3
    )
    api.add(model_payload("mirror/gemma-2-9b-it"))
    assert of(DerivationSeen, list(make_source(api, sleeps).iter_model("someone/gemma-2-9b-it-exl2"))) == []


def test_report_counts_and_bounded_samples() -> None:
    report = CrawlReport(max_samples_per_kind=2)
    source = Source("https://hub.test/api/models/x", None, FIXED_NOW)
    for i in range(5):
        report.record(ProblemSeen(f"m/{i}", ProblemKind.NOT_FOUND, "gone", source))
        report.record(ProblemSeen("m/0", ProblemKind.NOT_FOUND, "gone", source))
    report.record(ModelSeen("a/b", source))
    assert report.problems["not_found"] == 5  # distinct (model, kind, message)
    assert report.problem_samples["not_found"] == ["m/0: gone", "m/1: gone"]
    report.hub_requests = 4
    assert report.requests_per_model == 4.0
    assert report.as_dict()["observations"] == {"ModelSeen": 1, "ProblemSeen": 10}


def test_token_is_never_shown() -> None:
    settings = CrawlerSettings(endpoint="http://x", token="hf_secret_value")  # type: ignore[arg-type]
    assert "hf_secret_value" not in repr(settings) and "hf_secret_value" not in str(settings.redacted())
    assert settings.token is not None and settings.token.get_secret_value() == "hf_secret_value"


def test_without_a_file_list_small_files_are_probed(api: FakeHubApi, sleeps: Sleeps) -> None:
    api.add(model_payload("eaddario/X-GGUF", tags=[], siblings=[]))
    api.files[("eaddario/X-GGUF", "README.md")] = b"Original model: deepseek-ai/X\n"
    out = list(make_source(api, sleeps, name_search=False).iter_model("eaddario/X-GGUF"))
    [derivation] = of(DerivationSeen, out)
    assert (derivation.parent_id, derivation.relation) == ("deepseek-ai/X", Relation.QUANTIZED)
    api.add(model_payload("nothing/here", tags=[], siblings=[]))
    out = list(make_source(api, sleeps, name_search=False).iter_model("nothing/here"))
    assert problems(out) == []  # README.md and config.json were probed; their 404s are not problems
    assert ("hf_hub_download", "nothing/here/config.json") in api.calls


def test_listed_files_are_not_probed_beyond_the_list(api: FakeHubApi, sleeps: Sleeps) -> None:
    api.add(model_payload("o/m", tags=[], siblings=["model.safetensors"]))
    list(make_source(api, sleeps).iter_model("o/m"))
    assert [c for c in api.calls if c[0] == "hf_hub_download"] == []


def test_a_different_spelling_is_an_alias_not_a_rename(api: FakeHubApi, sleeps: Sleeps) -> None:
    api.add(model_payload("01-ai/Yi-1.5-34B-32k"))
    api.aliases["01-ai/Yi-1.5-34B-32K"] = "01-ai/Yi-1.5-34B-32k"
    out = list(make_source(api, sleeps).iter_model("01-ai/Yi-1.5-34B-32K"))
    assert [(a.old_id, a.new_id) for a in of(AliasSeen, out)] == [("01-ai/Yi-1.5-34B-32K", "01-ai/Yi-1.5-34B-32k")]
    assert ProblemKind.RENAMED not in problems(out)


def test_iter_up_budget_on_a_wide_level(api: FakeHubApi, sleeps: Sleeps) -> None:
    parents = [f"p/{i}" for i in range(5)]
    api.add(model_payload("o/merge", base_model=parents))
    for parent in parents:
        api.add(model_payload(parent, base_model="root/base"))
    api.add(model_payload("root/base"))
    out = list(make_source(api, sleeps, max_up_models=3).iter_up("o/merge"))
    assert api.counts["model_info"] == 3
    assert problems(out) == [ProblemKind.TOO_LARGE]
    # all five declared parents are still reported, fetched or not
    assert {d.parent_id for d in of(DerivationSeen, out) if d.child_id == "o/merge"} == set(parents)


def test_a_source_remembers_what_it_fetched(api: FakeHubApi, sleeps: Sleeps) -> None:
    chain(api)
    source = make_source(api, sleeps)
    first = list(source.iter_up("org/child"))
    second = list(source.iter_up("org/mid"))
    assert api.counts["model_info"] == 3  # org/mid and org/root came from the memo
    assert [m.id for m in of(ModelSeen, second)] == ["org/mid", "org/root"]
    assert of(DerivationSeen, second) == [d for d in of(DerivationSeen, first) if d.child_id == "org/mid"]
    api.counts.clear()
    list(make_source(api, sleeps, memo_models=0).iter_up("org/child"))
    list(make_source(api, sleeps, memo_models=0).iter_up("org/child"))
    assert api.counts["model_info"] == 6


def test_transient_failures_are_not_remembered(api: FakeHubApi, sleeps: Sleeps) -> None:
    api.add(model_payload("o/m"))
    api.errors["model_info:o/m"] = [http_error(503, "https://hub.test/api/models/o/m")] * 2
    source = make_source(api, sleeps, max_retries=1)
    assert of(ModelSeen, list(source.iter_model("o/m")))[0].status is ModelStatus.UNAVAILABLE
    assert of(ModelSeen, list(source.iter_model("o/m")))[0].status is ModelStatus.AVAILABLE


def test_iter_up_stops_at_known_models(api: FakeHubApi, sleeps: Sleeps) -> None:
    chain(api)
    out = list(make_source(api, sleeps).iter_up("org/child", stop_at=lambda model: model == "org/mid"))
    assert api.calls == [("model_info", "org/child")]
    assert [(d.child_id, d.parent_id) for d in of(DerivationSeen, out)] == [("org/child", "org/mid")] * 2
    assert problems(out) == []


def test_report_counts_distinct_models_and_problems(api: FakeHubApi, sleeps: Sleeps) -> None:
    chain(api)
    api.add(model_payload("o/gone-parent", base_model="gone/x"))
    source = make_source(api, sleeps)
    for _ in range(3):
        list(source.iter_up("org/child"))
        list(source.iter_up("o/gone-parent"))
    report = source.report
    assert report.observations["ModelSeen"] == 3 * 5
    assert report.models_ingested == 4 and report.models_by_status["deleted"] == 1
    assert report.problems == {"not_found": 1}
    assert report.hub_requests == 0  # the stand-in API makes no HTTP requests; the replay tests count real ones
