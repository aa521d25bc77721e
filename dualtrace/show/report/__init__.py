"""Reports: entity and case dossiers as HTML and PDF, screening results as Excel/CSV."""
