"""Betang: people's-economy programs through village cooperatives, UMKM and BUMDes."""

__version__ = "0.1.0"
