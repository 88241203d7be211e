"""Shapes of the files people really send, shared by the demo, the tests and the benchmarks (no Django)."""

# Household file headers as village offices write them (aliases of the import's own column labels).
SAMPLE_HEADERS = [
    "NIK",
    "Nama Lengkap",
    "Tgl Lahir",
    "Jenis Kelamin",
    "No KK",
    "Hubungan",
    "Kode Desa",
    "Alamat",
    "No HP",
    "Desil",
]
