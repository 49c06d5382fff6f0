"""AIBOM export: a model's CycloneDX 1.6 ML-BOM, built from its investigation dossier."""

from api.aibom.builder import MEDIA_TYPE, aibom_json, build_bom

__all__ = ["MEDIA_TYPE", "aibom_json", "build_bom"]
