"""Registry (pendataan): cooperatives and outlets, UMKM, BUMDes, households and persons; imports; dedup."""
