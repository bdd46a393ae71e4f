"""Reports: pandas analysis (ranking, regional statistics, year over year) and writers for
CSV, one-file HTML and XLSX."""
