# mitigate/: see its files
