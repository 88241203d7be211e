"""`field__any=[...]`: membership in a list as one array parameter on PostgreSQL (`= ANY(%s)`).

`__in` with thousands of values makes a statement with thousands of placeholders, which psycopg
parses anew each time (its query cache keys on the text) and the server plans anew; one array
parameter keeps the statement the same whatever the list. Elsewhere it is `__in`.
"""

from __future__ import annotations

from django.db.models import CharField, Field
from django.db.models.lookups import In


def _plain_text(field: Field, values) -> bool:
    """A text column compared with text values: nothing to prepare (a chunk's 5,000 NIKs each went
    through CharField.get_prep_value twice, a measurable part of an import)."""
    return isinstance(field, CharField) and isinstance(values, (list, tuple, set, frozenset))


@Field.register_lookup
class AnyOf(In):
    lookup_name = "any"

    def get_prep_lookup(self):
        if _plain_text(self.lhs.output_field, self.rhs) and all(type(v) is str for v in self.rhs if v is not None):
            return list(dict.fromkeys(v for v in self.rhs if v is not None))
        return super().get_prep_lookup()

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        field = self.lhs.output_field
        if _plain_text(field, self.rhs):
            return f"{lhs} = ANY(%s)", (*lhs_params, list(self.rhs))
        # The values were prepared when the lookup was built (In.get_prep_lookup): only adapt them here.
        values = [field.get_db_prep_value(v, connection, prepared=True) for v in self.rhs if v is not None]
        return f"{lhs} = ANY(%s)", (*lhs_params, values)
