"""`field__any=[...]`: membership in a list as one array parameter on PostgreSQL (`= ANY(%s)`).

`__in` with thousands of values makes a statement with thousands of placeholders, which psycopg
parses anew each time (its query cache keys on the text) and the server plans anew; one array
parameter keeps the statement the same whatever the list. Elsewhere it is `__in`.
"""

from __future__ import annotations

from django.db.models import Field
from django.db.models.lookups import In


@Field.register_lookup
class AnyOf(In):
    lookup_name = "any"

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        field = self.lhs.output_field
        # The values were prepared when the lookup was built (In.get_prep_lookup): only adapt them here.
        values = [field.get_db_prep_value(v, connection, prepared=True) for v in self.rhs if v is not None]
        return f"{lhs} = ANY(%s)", (*lhs_params, values)
