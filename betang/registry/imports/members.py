"""Cooperative members, the file's rows: persons matched by NIK (or made), each bound to a cooperative."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from betang.core.masking import mask_nik
from betang.registry.imports import validation as v
from betang.registry.imports.coop_refs import _COOP_REF_COLUMNS, _clean_coop_ref, _resolve_cooperatives
from betang.registry.imports.duplicates import Block, _blocks, _duplicate_issue, _join_block, _probable_duplicate
from betang.registry.imports.organisations import OrgSpec
from betang.registry.imports.rows import CleanRow, Context, Outcome, RowResult, _issues, _words
from betang.registry.imports.tabular import Column
from betang.registry.models import Cooperative, CooperativeMember, DuplicateCandidate, Person
from betang.registry.services import matching

MEMBER_ROLES = {
    "anggota": "MEMBER",
    "member": "MEMBER",
    "ketua": "CHAIR",
    "chair": "CHAIR",
    "wakil ketua": "CHAIR",
    "sekretaris": "SECRETARY",
    "secretary": "SECRETARY",
    "bendahara": "TREASURER",
    "treasurer": "TREASURER",
    "pengawas": "SUPERVISOR",
    "ketua pengawas": "SUPERVISOR",
    "anggota pengawas": "SUPERVISOR",
    "supervisor": "SUPERVISOR",
}


def _clean_member(ctx: Context, fields: dict[str, Any]) -> tuple[dict[str, Any], list[v.Issue]]:
    values, issues = _clean_coop_ref(ctx, fields)
    nik = v.check_nik(fields.get("nik"), ctx.regions, today=ctx.today)
    name = v.check_name(fields.get("name"))
    phone = v.check_phone(fields.get("phone"))
    joined = v.check_date(fields.get("joined_date"), field_name="joined_date", label=_("Joining date"), today=ctx.today)
    term_end = v.check_date(
        fields.get("term_end"), field_name="term_end", label=_("End of term"), today=ctx.today, past=False
    )
    role_text = _words(fields.get("role"))
    role = MEMBER_ROLES.get(role_text) if role_text else None  # empty: MEMBER when made, kept when known
    if role_text and role is None:
        issues.append(
            v.Issue(
                "member.role",
                _("Role %(text)s is not anggota, ketua, sekretaris, bendahara or pengawas.") % {"text": role_text},
                field="role",
            )
        )
    issues += _issues(nik, name, phone, joined, term_end)
    values |= {
        "nik": nik.value,
        "name": name.value,
        "name_key": matching.name_key(name.value) if name.value else "",
        "phone": phone.value or "",
        "role": role,
        "joined_date": joined.value,
        "term_end": term_end.value,
    }
    return values, issues


def _flush_members(ctx: Context, spec: OrgSpec, pending: list[CleanRow], results: list[RowResult]) -> None:
    """Members are persons of the registry, matched by NIK (a NIK not yet registered makes a person with
    the birth date and sex the NIK encodes, in the cooperative's village). A member of a village
    cooperative registered in another village is kept with a warning: KDMP/KKMP members live there."""
    coops = _resolve_cooperatives(ctx, pending, results)
    chunk = _MemberChunk.load(ctx, pending, coops)
    for line, raw, values, issues in pending:
        if (coop := coops.get(line)) is not None:
            results.append(chunk.match(line, raw, values, list(issues), coop))
    chunk.write()


_VILLAGE_KINDS = {Cooperative.Kind.KDMP.value, Cooperative.Kind.KKMP.value}


@dataclass
class _MemberChunk:
    """The registry as one chunk of member rows finds it (persons, memberships, the blocks of persons
    not yet registered), and what the rows decide to write, in file order."""

    ctx: Context
    persons: dict[str, Person]  # by NIK
    survivors: dict[Any, Person]  # the persons merged ones now stand for, by id
    memberships: dict[tuple[Any, Any], CooperativeMember]  # by (cooperative id, person id)
    unknown: dict[int, tuple[str, v.NikFacts]]  # by line: where a not yet registered NIK would be made
    blocks: Block
    new_people: list[Person] = field(default_factory=list)
    new_members: list[CooperativeMember] = field(default_factory=list)
    changed: list[CooperativeMember] = field(default_factory=list)
    candidates: list[DuplicateCandidate] = field(default_factory=list)

    @classmethod
    def load(cls, ctx: Context, pending: list[CleanRow], coops: dict[int, Cooperative]) -> _MemberChunk:
        persons = {p.nik: p for p in Person.objects.filter(nik__in=[values["nik"] for _, _, values, _ in pending])}
        merged_into = [p.merged_into_id for p in persons.values() if p.merged_into_id]
        survivors = {p.pk: p for p in Person.objects.filter(pk__in=merged_into)}
        memberships = {
            (m.cooperative_id, m.person_id): m
            for m in CooperativeMember.objects.filter(
                cooperative_id__in={c.pk for c in coops.values()}, person_id__in=[p.pk for p in persons.values()]
            )
        }
        # Where each not yet registered NIK would be made, for the duplicate matcher: its block and facts.
        unknown: dict[int, tuple[str, v.NikFacts]] = {}
        for line, _raw, values, _checked in pending:
            if (coop := coops.get(line)) is not None and values["nik"] not in persons:
                facts = v.nik_facts(values["nik"], today=ctx.today)
                unknown[line] = (matching.block_key(coop.region_code, facts.birth_date), facts)
        blocks = _blocks({key for key, _ in unknown.values()})
        return cls(ctx, persons, survivors, memberships, unknown, blocks)

    def match(
        self, line: int, raw: list[Any], values: dict[str, Any], issues: list[v.Issue], coop: Cooperative
    ) -> RowResult:
        person = self.persons.get(values["nik"])
        if person is not None and person.merged_into_id:
            person = self.survivors.get(person.merged_into_id, person)
        visible = person is not None and self.ctx.scope.contains(person.region_code)
        if person is not None and matching.name_score(person.name_key, values["name_key"]) < 80:
            issues.append(_nik_conflict(values, person, visible=visible))
            return RowResult(line, Outcome.REJECTED, issues, data=self.ctx.original(raw))
        held = False
        if person is None:
            person, held = self._new_person(line, values, coop, issues)
        elif coop.kind in _VILLAGE_KINDS and person.region_code != coop.region_code:
            issues.append(_elsewhere_living(values, person, coop, visible=visible))
        return self._membership(line, raw, values, issues, coop, person, held=held)

    def _new_person(
        self, line: int, values: dict[str, Any], coop: Cooperative, issues: list[v.Issue]
    ) -> tuple[Person, bool]:
        """The person a NIK not yet registered makes, and whether it is held as a probable duplicate."""
        now = self.ctx.now
        block_key, facts = self.unknown[line]
        found = _probable_duplicate(self.blocks, block_key=block_key, sex=facts.sex, name_key=values["name_key"])
        person = Person(
            nik=values["nik"],
            name=values["name"],
            name_key=values["name_key"],
            block_key=block_key,
            birth_date=facts.birth_date,
            sex=facts.sex,
            region_code=coop.region_code,
            phone=values["phone"],
            review=Person.Review.POSSIBLE_DUPLICATE if found else Person.Review.NONE,
            created_at=now,
            updated_at=now,
        )
        self.persons[person.nik] = person
        self.new_people.append(person)
        _join_block(self.blocks, block_key, facts.sex, person.name_key, (person.pk, None, person.name, person.nik))
        if not found:
            return person, False
        match, verdict = found
        issues.append(_duplicate_issue(match, verdict))
        self.candidates.append(_candidate(match[0], person, verdict, coop.region_code, now))
        return person, True

    def _membership(
        self,
        line: int,
        raw: list[Any],
        values: dict[str, Any],
        issues: list[v.Issue],
        coop: Cooperative,
        person: Person,
        *,
        held: bool,
    ) -> RowResult:
        """The person's membership of the cooperative, made or updated by the row."""
        member = self.memberships.get((coop.pk, person.pk))
        if member is None:
            member = CooperativeMember(
                cooperative=coop,
                person=person,
                role=values["role"] or CooperativeMember.Role.MEMBER,
                joined_date=values["joined_date"],
                term_end=values["term_end"],
            )
            self.memberships[(coop.pk, person.pk)] = member
            self.new_members.append(member)
            outcome = Outcome.HELD if held else Outcome.CREATED
            data = self.ctx.original(raw) if issues else None
            return RowResult(line, outcome, issues, object_id=person.pk, data=data)
        changes = {}
        for attr in ("role", "joined_date", "term_end"):
            new = values[attr]
            if new is not None and getattr(member, attr) != new:  # an empty cell never erases
                changes[f"member.{attr}"] = [str(getattr(member, attr) or ""), str(new)]
                setattr(member, attr, new)
        if not changes:
            return RowResult(line, Outcome.UNCHANGED, issues, object_id=person.pk)
        if member.pk is not None:  # one made earlier in this chunk is written with its latest values
            self.changed.append(member)
        return RowResult(line, Outcome.UPDATED, issues, object_id=person.pk, changes=changes)

    def write(self) -> None:
        Person.objects.bulk_create(self.new_people, batch_size=1000)
        DuplicateCandidate.objects.bulk_create(self.candidates, batch_size=1000)
        CooperativeMember.objects.bulk_create(self.new_members, batch_size=1000)
        if self.changed:
            CooperativeMember.objects.bulk_update(self.changed, ["role", "joined_date", "term_end"], batch_size=500)


def _candidate(existing_id: Any, person: Person, verdict: matching.Verdict, region_code: str, now: datetime):
    return DuplicateCandidate(
        existing_id=existing_id,
        candidate=person,
        score=verdict.score,
        reason=verdict.reason,
        region_code=region_code,
        created_at=now,
    )


def _nik_conflict(values: dict[str, Any], person: Person, *, visible: bool) -> v.Issue:
    """A NIK registered to someone else; the registered name is told only to a user who may read that person."""
    nik = mask_nik(values["nik"])
    return v.Issue(
        "nik.conflict",
        _("NIK %(nik)s is already registered to %(name)s.") % {"nik": nik, "name": person.name}
        if visible
        else _("NIK %(nik)s is registered under another name.") % {"nik": nik},
        field="nik",
    )


def _elsewhere_living(values: dict[str, Any], person: Person, coop: Cooperative, *, visible: bool) -> v.Issue:
    """A warning: a village cooperative's member is registered in another village."""
    return v.Issue(
        "member.domicile",
        _("%(name)s is registered in village %(home)s, not in the cooperative's village %(village)s.")
        % {"name": person.name, "home": person.region_code, "village": coop.region_code}
        if visible
        else _("%(name)s is registered outside your area, not in the cooperative's village %(village)s.")
        % {"name": values["name"], "village": coop.region_code},
        v.WARNING,
        "nik",
    )


_MEMBER_COLUMNS = [
    *_COOP_REF_COLUMNS,
    Column("nik", "NIK", ("nomor induk kependudukan", "no ktp", "nik anggota"), required=True),
    Column("name", "Nama Lengkap", ("nama", "nama anggota", "name", "full name"), required=True),
    Column("role", "Jabatan", ("peran", "role", "kedudukan", "status keanggotaan")),
    Column("joined_date", "Tanggal Masuk", ("tgl masuk", "tanggal bergabung", "tanggal menjadi anggota", "joined")),
    Column("term_end", "Akhir Masa Jabatan", ("masa jabatan berakhir", "akhir jabatan", "term end")),
    Column("phone", "No HP", ("nomor hp", "hp", "telepon", "no telp", "phone")),
]

SPEC = OrgSpec(
    model=CooperativeMember, columns=_MEMBER_COLUMNS, clean=_clean_member, keys=(), compare=(), flush=_flush_members
)
