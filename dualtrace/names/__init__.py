"""Name normalisation shared by all matching (screening and trade linkage).

- ``normalize``: name -> comparable forms (scripts, romanisations, legal forms, stop
  words, comparison keys);
- ``romanize``: Cyrillic in GOST 7.79 / BGN-PCGN / ICAO 9303 / scientific, Han to
  segmented pinyin;
- ``acronyms``: acronym expansions learned from the lists' alias groups;
- ``identifiers``: identifier cleaning and check-digit validation (python-stdnum).
"""

from dualtrace.names.acronyms import AcronymTable
from dualtrace.names.identifiers import Identifier, classify_identifier, clean_identifier
from dualtrace.names.normalize import NameForm, legal_forms, name_forms, token_key
from dualtrace.names.romanize import romanize_cyrillic, romanize_han

__all__ = [
    "AcronymTable",
    "Identifier",
    "NameForm",
    "classify_identifier",
    "clean_identifier",
    "legal_forms",
    "name_forms",
    "romanize_cyrillic",
    "romanize_han",
    "token_key",
]
