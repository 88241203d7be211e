"""Masking of personal identifiers for pages, exports and messages."""


def mask_nik(nik: str) -> str:
    """`6271031203800003` → `6271••••••••0003`: region and serial stay readable, birth date hidden."""
    if not nik or len(nik) != 16:
        return nik
    return nik[:4] + "•" * 8 + nik[12:]


def mask_kk(kk: str) -> str:
    return mask_nik(kk)
