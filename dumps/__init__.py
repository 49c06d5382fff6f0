"""Bootstrap the graph from a Hub metadata dump (Parquet), without calling the Hub API."""
