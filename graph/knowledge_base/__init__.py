"""The licence knowledge base as stored in the graph: rows for License and Term nodes and their loader."""
