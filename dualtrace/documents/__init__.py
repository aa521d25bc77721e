"""Evidence from documents: mentions of known entities, extracted facts, claims and reviews.

Ingestion (``dualtrace.sources.documents``) turns files into text with a page map;
this package finds what the text says and keeps every finding as a *claim* that
points at its document, page and characters until an analyst accepts, rejects or
edits it.
"""
