"""Watches: who wants to hear about which changes, and where to tell them.

A watch names a scope (a model, a family root with all its descendants, a licence or a term), the kinds
of change it cares about and, optionally, a webhook target. This package holds what a watch is made of
and the rules every part of it must satisfy (e.g. :mod:`graph.watches.targets`, the guard on webhook
URLs), so that the API, which creates watches, and the workers, which deliver to them, apply the same ones.
"""
