"""Document ingestion: reports, invoices, scans, web pages and e-mails to text with a page map.

Every format reader returns an :class:`~dualtrace.sources.documents.model.ExtractedText`
(pages of text plus metadata); :func:`~dualtrace.sources.documents.ingest.ingest_file`
adds the content hash, language and page offsets that later stages cite, and turns any
failure into one clear per-document error instead of stopping a folder load.
"""

from dualtrace.sources.documents.ingest import (
    SUPPORTED_SUFFIXES,
    IngestLimits,
    discover,
    ingest_bytes,
    ingest_file,
)
from dualtrace.sources.documents.model import Document, ExtractedText, Page

__all__ = [
    "SUPPORTED_SUFFIXES",
    "Document",
    "ExtractedText",
    "IngestLimits",
    "Page",
    "discover",
    "ingest_bytes",
    "ingest_file",
]
