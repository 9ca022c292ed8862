# xdp/: see its files
