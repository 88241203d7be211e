"""The only writer of money, and the ledger's public surface: other apps import from here
(`from betang.ledger.services import Leg, journal_post`), never from the modules below, which are
the ledger's own and may move. Deliberately re-exported here, and only what other apps may use.

- `accounts`: account_open, accounts_open_many;
- `post_one`: journal_post, the hot path of every card payment;
- `post_many`: journal_post_many (specs from Python), journal_post_query (legs from a caller's SELECT);
- `reverse`: entry_reverse;
- `types`: legs, entry specs, results and the refusals (LedgerError and its subclasses), debit_credit.

Every entry carries an idempotency key under a unique constraint: the same key with the same request
returns the first result and changes nothing; with another request it is refused
(`core.idempotency`'s rule). The SQL each database runs is in `ledger.backends`.
"""

from betang.ledger.services.accounts import account_open, accounts_open_many
from betang.ledger.services.post_many import journal_post_many, journal_post_query
from betang.ledger.services.post_one import journal_post
from betang.ledger.services.reverse import entry_reverse
from betang.ledger.services.types import (
    AlreadyReversed,
    BulkPosted,
    EntrySpec,
    IdempotencyConflict,
    InsufficientFunds,
    LedgerError,
    Leg,
    LegsQuery,
    Posted,
    Unbalanced,
    UnknownAccount,
    debit_credit,
)

__all__ = [
    "AlreadyReversed",
    "BulkPosted",
    "EntrySpec",
    "IdempotencyConflict",
    "InsufficientFunds",
    "LedgerError",
    "Leg",
    "LegsQuery",
    "Posted",
    "Unbalanced",
    "UnknownAccount",
    "account_open",
    "accounts_open_many",
    "debit_credit",
    "entry_reverse",
    "journal_post",
    "journal_post_many",
    "journal_post_query",
]
