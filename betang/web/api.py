"""The API's one error schema and the statuses an operation documents with it."""

from __future__ import annotations

from typing import Annotated, Any

from ninja import Field, Schema
from ninja.pagination import PageNumberPagination
from pydantic import ConfigDict, StrictStr

# What a text field may hold: anything but the C0 control characters other than tab, LF and CR, and DEL;
# InputGuardMiddleware refuses those with a 400 before the API reads the request, and the spec says so.
SAFE_TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
# Strict: a JSON number is not text ("nik": 6203… is a 422, not read as a string).
Text = Annotated[StrictStr, Field(pattern=SAFE_TEXT)]


class StrictIn(Schema):
    """An input body: a field the operation does not know is a 422, never silently ignored."""

    model_config = ConfigDict(extra="forbid")


class ErrorOut(Schema):
    """Every error of the API: a stable code, a message in the caller's language, details or null."""

    code: str = Field(description="stable, dotted or snake_case: `aid.wrong_pin`, `invalid_request`, `not_found`")
    message: str
    details: Any = Field(None, description="what went wrong where: the invalid fields for `invalid_request`")


# Every operation can meet these: a control character or too many fields (400 invalid_input), no or a
# bad token (401), a capability or area it lacks (403), a parameter of the wrong type or shape (422).
COMMON = (400, 401, 403, 422)
# An operation with a JSON body also: malformed JSON (400), a body beyond the upload limit (413), not JSON (415).
BODY = (413, 415)


def errors(*statuses: int, auth: bool = True) -> dict[int, type[ErrorOut]]:
    """`response=` entries documenting ErrorOut for the common statuses and the operation's own."""
    common = COMMON if auth else (400, 422)
    return dict.fromkeys(sorted({*common, *statuses}), ErrorOut)


class Pages(PageNumberPagination):
    """Pages of a queryset (LIMIT/OFFSET in SQL), with bounds: a page number no column holds is a 422."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=1_000_000)
        page_size: int | None = Field(None, ge=1, le=100)
