"""The data model: FtM statements extended with provenance, and entities built from them."""
