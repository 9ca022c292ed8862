# yang/: see its files
