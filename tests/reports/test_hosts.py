"""Hosts counted by kind: a list that reaches the Hub's cap is a floor, every other count a total."""

from __future__ import annotations

from crawler.deployments import HUB_SPACES_PER_MODEL
from crawler.observations import DeploymentKind
from graph.reads import Deployment
from reports.dossier.hosts import cap_words, count_hosts


def _spaces(model_id: str, n: int, depth: int = 0) -> list[Deployment]:
    return [Deployment(f"space:u{i}/{model_id}", DeploymentKind.SPACE, None, None, f"u{i}", model_id, depth, None, None)
            for i in range(n)]


def _provider(model_id: str) -> Deployment:
    return Deployment(f"provider:p:{model_id}", DeploymentKind.INFERENCE_PROVIDER, "live", None, "p", model_id, 0,
                      None, None)


def test_kinds_are_counted_spaces_first_with_the_models_they_serve() -> None:
    hosts = count_hosts([_provider("a/m"), *_spaces("a/m", 3), *_spaces("b/child", 2, depth=1)])
    assert [(h.kind, h.total, h.direct, h.models, h.capped) for h in hosts] == [
        ("space", 5, 3, 2, ()),
        ("inference_provider", 1, 1, 1, ()),
    ]
    assert hosts[0].source_cap == HUB_SPACES_PER_MODEL and hosts[1].source_cap is None


def test_a_model_listed_with_exactly_the_hubs_cap_of_spaces_may_have_more() -> None:
    (spaces,) = count_hosts([*_spaces("a/m", HUB_SPACES_PER_MODEL), *_spaces("b/n", HUB_SPACES_PER_MODEL - 1)])
    assert [(c.model, c.listed) for c in spaces.capped] == [("a/m", HUB_SPACES_PER_MODEL)]
    assert cap_words(spaces, spaces.capped[0]) == (
        f"the Hub lists at most {HUB_SPACES_PER_MODEL} Spaces per model; {HUB_SPACES_PER_MODEL} listed, "
        "more may exist"
    )


def test_more_spaces_than_the_metadata_cap_came_from_the_paged_listing_and_are_a_total() -> None:
    (spaces,) = count_hosts(_spaces("a/m", HUB_SPACES_PER_MODEL + 5))
    assert spaces.total == HUB_SPACES_PER_MODEL + 5 and spaces.capped == ()
