# dots-client/: see its files
