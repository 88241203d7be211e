"""The registry's masking of NIK and KK: the core helpers, under the names the registry has used."""

from betang.core.masking import mask_changes, mask_kk, mask_nik, mask_text

__all__ = ["mask_changes", "mask_kk", "mask_nik", "mask_text"]
