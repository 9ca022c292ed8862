# bgp/: see its files
