"""Readers: one module per source format, each yielding FtM entities made of statements.

Every statement a reader produces carries a :class:`~dualtrace.model.provenance.SourcePointer`
in its ``origin`` (file and row, or document span). Problems with single rows go to the
:class:`~dualtrace.model.provenance.LoadReport`; problems with the whole input raise
:class:`~dualtrace.errors.InputError`.
"""
