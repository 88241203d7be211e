"""A synthetic household file for the registry benchmarks, with seeded invalid rows and duplicates.

Rows are persons grouped in families; 2% are made invalid in the ways real files are (Excel-damaged
NIK, impossible date, unknown village, missing name) and 1% repeat an earlier person, half exactly and
half with a mistyped NIK and a typo in the name. The labels say which line duplicates which.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from betang.demo.samples import SAMPLE_HEADERS

FIRST_M = [
    "Budi",
    "Agus",
    "Ahmad",
    "Yohanes",
    "Hendra",
    "Rahmat",
    "Bambang",
    "Dedi",
    "Eko",
    "Fajar",
    "Gusti",
    "Hadi",
    "Imam",
    "Joko",
    "Kurniawan",
    "Lukas",
    "Made",
    "Nanda",
    "Oky",
    "Putra",
    "Rizky",
    "Slamet",
    "Teguh",
    "Usman",
    "Wahyu",
    "Yusuf",
    "Antonius",
    "Bonifasius",
    "Daniel",
    "Elias",
    "Frans",
    "Gregorius",
    "Ilham",
    "Jefri",
    "Kevin",
    "Markus",
    "Nikolas",
    "Petrus",
    "Rudi",
    "Samuel",
    "Tomas",
    "Viktor",
    "Wilhelmus",
    "Yakobus",
    "Zulkifli",
    "Arif",
    "Bayu",
    "Candra",
]
FIRST_F = [
    "Siti",
    "Dewi",
    "Maria",
    "Rina",
    "Sri",
    "Ani",
    "Yuliana",
    "Fitri",
    "Lestari",
    "Nur",
    "Ratna",
    "Wulan",
    "Indah",
    "Kartika",
    "Lina",
    "Maya",
    "Novi",
    "Oktaviani",
    "Putri",
    "Rahmawati",
    "Sari",
    "Tri",
    "Utami",
    "Veronika",
    "Yanti",
    "Agnes",
    "Bernadeta",
    "Clara",
    "Debora",
    "Elisabet",
    "Fransiska",
    "Grasiela",
    "Helena",
    "Irene",
    "Yosefina",
    "Magdalena",
]
LAST = [
    "Santoso",
    "Wijaya",
    "Saputra",
    "Hidayat",
    "Lestari",
    "Pratama",
    "Gunawan",
    "Setiawan",
    "Kurniawan",
    "Dandan",
    "Ngabut",
    "Tingang",
    "Bahen",
    "Nyahu",
    "Sahay",
    "Djaya",
    "Rangka",
    "Usop",
    "Tuah",
    "Ampah",
    "Kahayan",
    "Rungan",
    "Barito",
    "Katingan",
    "Mentaya",
    "Seruyan",
    "Lamandau",
    "Arut",
    "Sampit",
    "Pulau",
    "Nugroho",
    "Siregar",
    "Nasution",
    "Simanjuntak",
]
HEADERS = SAMPLE_HEADERS


@dataclass
class Labels:
    exact: dict[int, int] = field(default_factory=dict)  # duplicate line → line of the original
    typo: dict[int, int] = field(default_factory=dict)
    invalid: set[int] = field(default_factory=set)


def _typo(name: str, rng: random.Random) -> str:
    letters = list(name)
    i = rng.randrange(1, len(letters) - 1)
    kind = rng.random()
    if kind < 0.4 and letters[i] != " ":
        letters[i] = rng.choice("aeiouy")  # a wrong vowel
    elif kind < 0.7:
        letters.insert(i, letters[i])  # a doubled letter
    elif letters[i] != " " and letters[i - 1] != " ":
        letters[i - 1], letters[i] = letters[i], letters[i - 1]  # swapped letters
    else:
        letters.insert(i, "h")
    return "".join(letters)


def generate(
    path: Path, *, rows: int, villages: list[str], seed: int = 1, invalid: float = 0.02, duplicates: float = 0.01
) -> Labels:
    rng = random.Random(seed)
    labels = Labels()
    used: set[str] = set()
    people: list[tuple[int, list[str]]] = []  # (line, row) of valid originals, for duplicates
    line = 1
    today = date(2026, 11, 21)
    household_serial = 0
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(HEADERS)
        while line - 1 < rows:
            village = rng.choice(villages)
            district = village[:8].replace(".", "")
            household_serial += 1
            kk = (
                district
                + f"{rng.randint(1, 28):02d}{rng.randint(1, 12):02d}{rng.randint(5, 25):02d}{household_serial % 10000:04d}"
            )
            surname = rng.choice(LAST)
            head_born = today - timedelta(days=rng.randint(25 * 365, 75 * 365))
            family = [("Kepala Keluarga", "L" if rng.random() < 0.85 else "P", head_born)]
            if rng.random() < 0.8:
                family.append(
                    (
                        "Istri" if family[0][1] == "L" else "Suami",
                        "P" if family[0][1] == "L" else "L",
                        head_born + timedelta(days=rng.randint(-2500, 2500)),
                    )
                )
            latest_child = min((today - head_born).days - 30, 45 * 365)
            for _ in range(
                rng.choices([0, 1, 2, 3, 4], weights=[10, 25, 35, 20, 10])[0] if latest_child > 18 * 365 else 0
            ):
                family.append(
                    ("Anak", rng.choice("LP"), head_born + timedelta(days=rng.randint(18 * 365, latest_child)))
                )
            decile = str(rng.randint(1, 10))
            address = f"Jl. Betang No. {rng.randint(1, 200)}"
            for relation, sex, born in family:
                if line - 1 >= rows:
                    break
                born = min(born, today - timedelta(days=30))
                day = born.day + (40 if sex == "P" else 0)
                stem = district + f"{day:02d}{born.month:02d}{born.year % 100:02d}"
                while (nik := stem + f"{rng.randint(1, 9999):04d}") in used:
                    pass
                used.add(nik)
                first = rng.choice(FIRST_M if sex == "L" else FIRST_F)
                middle = rng.choice(FIRST_M if sex == "L" else FIRST_F)
                row = [
                    nik,
                    f"{first} {middle} {surname}",
                    born.strftime("%d/%m/%Y"),
                    sex,
                    kk,
                    relation,
                    village,
                    address,
                    "",
                    decile,
                ]
                line += 1
                roll = rng.random()
                if roll < invalid:
                    labels.invalid.add(line)
                    damage = rng.randrange(4)
                    if damage == 0:
                        row[0] = f"{int(nik[:6]) / 10**5:.5f}E+15"  # Excel's 6.20301E+15
                    elif damage == 1:
                        row[2] = f"31/02/{born.year}"
                    elif damage == 2:
                        row[6] = village[:9] + "9999"
                    else:
                        row[1] = ""
                else:
                    people.append((line, row))
                out.writerow(row)
                if rng.random() < duplicates and line - 1 < rows and people:
                    original_line, original = people[rng.randrange(max(0, len(people) - 2000), len(people))]
                    line += 1
                    if rng.random() < 0.5:
                        out.writerow(original)
                        labels.exact[line] = original_line
                    else:
                        nik = original[0]
                        while (mistyped := nik[:12] + f"{rng.randint(1, 9999):04d}") in used:
                            pass
                        used.add(mistyped)
                        out.writerow([mistyped, _typo(original[1], rng), *original[2:]])
                        labels.typo[line] = original_line
    return labels


def main(argv: list[str]) -> None:
    """`python -m bench.registry_gen OUT.csv ROWS SEED INVALID DUPLICATES VILLAGES.txt`: the file and
    OUT.csv.labels.json. Run as its own process so the benchmark's importer is not forked from a
    process that held a million rows (its peak memory would then be counted twice)."""
    import json

    out, rows, seed, invalid, duplicates, villages_file = argv
    villages = Path(villages_file).read_text().split()
    labels = generate(
        Path(out),
        rows=int(rows),
        villages=villages,
        seed=int(seed),
        invalid=float(invalid),
        duplicates=float(duplicates),
    )
    Path(out + ".labels.json").write_text(
        json.dumps({"exact": labels.exact, "typo": labels.typo, "invalid": sorted(labels.invalid)})
    )


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
