"""How far each hub's model listing has been read: one ``HubListing`` node per endpoint."""

from __future__ import annotations

__all__ = ["LISTING_READ", "LISTING_RECORD"]

LISTING_READ = """
MATCH (h:HubListing {endpoint: $endpoint})
RETURN h.high_water AS high_water, h.last_run AS last_run, h.last_full_run AS last_full_run,
       h.last_full_at AS last_full_at, h.updated_at AS updated_at
"""

# The high-water mark only moves forward; a full listing also records itself.
LISTING_RECORD = """
MERGE (h:HubListing {endpoint: $endpoint})
SET h.high_water = CASE WHEN $high_water IS NULL OR (h.high_water IS NOT NULL AND h.high_water >= $high_water)
                        THEN h.high_water ELSE $high_water END,
    h.last_run = $run, h.updated_at = $now,
    h.last_full_run = CASE WHEN $full THEN $run ELSE h.last_full_run END,
    h.last_full_at = CASE WHEN $full THEN $now ELSE h.last_full_at END
"""
