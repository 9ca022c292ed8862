# dotsd/: see its files
