"""What Lineage hands to people: investigation dossiers (``reports.dossier``), their Markdown/HTML/JSON forms and the CycloneDX AIBOM, used by the API and the CLI alike."""
