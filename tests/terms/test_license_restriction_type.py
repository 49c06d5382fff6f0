"""The GraphQL licence lists each restriction with the section of its licence text."""

from __future__ import annotations

from api.licenses.types import License
from api.schema import schema
from terms.licenses import default_catalog


def test_graphql_licence_gives_each_restriction_its_section() -> None:
    catalog = default_catalog()
    llama = License.from_internal(catalog.get("llama3.2"), catalog)
    items = {r.id: r for r in llama.restriction_items()}
    assert list(items) == list(catalog.get("llama3.2").restrictions) == llama.restrictions
    assert items["safety_filter_circumvention"].section == "AUP §1.h"
    assert items["disinformation"].description == catalog.taxonomy.restrictions["disinformation"]
    nd = License.from_internal(catalog.get("cc-by-nd-4.0"), catalog)
    assert nd.restriction_items() == [] and nd.derivative_licensing == "no_sharing"
    sdl = str(schema)
    assert "restrictionItems: [LicenseRestriction!]!" in sdl and "type LicenseRestriction" in sdl
