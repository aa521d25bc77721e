"""dualtrace: an open engine for counter-proliferation and sanctions-evasion investigations.

Facts are loaded from lists, FtM data, trade records and documents as statements that
keep their provenance; everything else (resolution, graph, rules, reports) is derived
from those statements and can be rebuilt.
"""

__version__ = "0.1.0"
