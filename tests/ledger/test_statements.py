"""One bank statement for every owner (ledger.statements): the data migration that moved aid's and the
fund's statements into it keeps every stored one, and an owner reads only its own."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from betang.aid import selectors as aid_selectors
from betang.aid.models import BANK_STATEMENT_OWNER as PROGRAM_OWNER
from betang.aid.services.programs import PocketSpec, program_create
from betang.fund import selectors as fund_selectors
from betang.fund.models import BANK_STATEMENT_OWNER as FUND_OWNER
from betang.fund.services.funds import fund_create
from betang.ledger import statements
from betang.ledger.models import BankStatement

BEFORE = [("aid", "0014_cycle_window_end"), ("fund", "0006_instalment_to_capitalise")]


def _migrate(targets=None) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets or executor.loader.graph.leaf_nodes())
    executor.loader.build_graph()
    return executor


def test_the_move_into_the_ledger_keeps_every_statement_its_id_file_and_lines_and_goes_back(
    transactional_db, make_user, now
):
    user = make_user(username="bendahara")
    program = program_create(code="khbs", name="KHBS", pockets=[PocketSpec("FOOD", "Pangan")], occurred_at=now)
    fund = fund_create(code="bergulir", name="Dana bergulir", region_code="62", occurred_at=now, actor=user)
    aid_id, fund_id = uuid.uuid4(), uuid.uuid4()
    aid_lines = [{"line": 2, "outcome": "reconciled", "settlement": "PK/KHBS/1", "reason": ""}]
    fund_lines = [{"line": 2, "outcome": "recorded", "loan": "DB-2026-0001", "amount": 5, "reason": ""}]
    try:
        old = _migrate(BEFORE).loader.project_state(BEFORE).apps
        old.get_model("aid", "BankStatement").objects.create(
            id=aid_id, program_id=program.pk, file="bank-statements/2026/11/a.csv", original_name="a.csv",
            uploaded_by_id=user.pk, uploaded_at=now, outcomes=aid_lines, counts={"reconciled": 1},
        )  # fmt: skip
        old.get_model("fund", "FundBankStatement").objects.create(
            id=fund_id, fund_id=fund.pk, file="fund/bank-statements/2026/11/f.csv", original_name="f.csv",
            uploaded_by_id=None, uploaded_at=now, outcomes=fund_lines, counts={"recorded": 1},
        )  # fmt: skip

        _migrate()
        moved = {s.pk: s for s in BankStatement.objects.all()}
        assert set(moved) == {aid_id, fund_id}
        kept = moved[aid_id]
        assert (kept.owner_kind, kept.owner_id, kept.file.name, kept.original_name) == (
            PROGRAM_OWNER,
            program.pk,
            "bank-statements/2026/11/a.csv",
            "a.csv",
        )
        assert (kept.uploaded_by_id, kept.uploaded_at, kept.outcomes, kept.counts) == (
            user.pk,
            now,
            aid_lines,
            {"reconciled": 1},
        )
        kept = moved[fund_id]
        assert (kept.owner_kind, kept.owner_id, kept.file.name, kept.outcomes, kept.counts) == (
            FUND_OWNER,
            fund.pk,
            "fund/bank-statements/2026/11/f.csv",
            fund_lines,
            {"recorded": 1},
        )
        # The pages' reads find each by its old id, under its own owner only.
        assert aid_selectors.bank_statement_get(program, aid_id).pk == aid_id
        assert fund_selectors.bank_statement_get(fund=fund, pk=fund_id).pk == fund_id
        assert statements.bank_statement_find(owner_kind=FUND_OWNER, owner_id=fund.pk, pk=aid_id) is None

        back = _migrate(BEFORE).loader.project_state(BEFORE).apps
        assert list(back.get_model("aid", "BankStatement").objects.values_list("id", "program_id", "outcomes")) == [
            (aid_id, program.pk, aid_lines)
        ]
        assert list(back.get_model("fund", "FundBankStatement").objects.values_list("id", "file", "counts")) == [
            (fund_id, "fund/bank-statements/2026/11/f.csv", {"recorded": 1})
        ]
        assert not BankStatement.objects.exists()
    finally:
        _migrate()
    assert BankStatement.objects.count() == 2


@pytest.mark.django_db
def test_an_owner_reads_only_its_own_statements(make_user, now):
    made = BankStatement.objects.create(
        owner_kind=FUND_OWNER, owner_id=uuid.uuid4(), file="x.csv", original_name="x.csv", uploaded_at=now
    )
    assert statements.bank_statement_find(owner_kind=FUND_OWNER, owner_id=made.owner_id, pk=made.pk) == made
    assert statements.bank_statement_find(owner_kind=PROGRAM_OWNER, owner_id=made.owner_id, pk=made.pk) is None
    assert statements.bank_statement_find(owner_kind=FUND_OWNER, owner_id=uuid.uuid4(), pk=made.pk) is None
    assert list(statements.bank_statement_list(owner_kind=FUND_OWNER, owner_id=made.owner_id)) == [made]
