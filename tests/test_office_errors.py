"""The office service's one psycopg error mapper (service/office_errors.py): each kind the caller names becomes the
product's error in the caller's words, the server's first line where the message says "{said}"; a kind the caller
does not name reaches it as psycopg raised it. (The messages each service module gives are tested against a real
server by the tests of that module: test_office_*_pg.py, test_engine_*.py.)"""

from __future__ import annotations

import psycopg
import pytest

from workstation.errors import InputError, PermissionDenied, StoreError
from workstation.service.office_errors import mapped


def raised(exc: Exception, **messages: str) -> BaseException:
    with pytest.raises(BaseException) as info, mapped(**messages):
        raise exc
    return info.value


def test_each_named_kind_is_the_products_error_in_the_callers_words() -> None:
    server = psycopg.errors.InsufficientPrivilege("the office log is append-only: DELETE refused\nCONTEXT: trigger")
    found = raised(server, refused="the office server refuses it: {said}; nothing was changed")
    assert isinstance(found, PermissionDenied)
    assert str(found) == "the office server refuses it: the office log is append-only: DELETE refused; nothing " \
                         "was changed"
    assert found.__cause__ is None and found.__suppress_context__       # no psycopg traceback behind it
    for older in (psycopg.errors.UndefinedTable(), psycopg.errors.UndefinedColumn(),
                  psycopg.errors.UndefinedFunction()):
        assert (type(e := raised(older, older="an older office")), str(e)) == (StoreError, "an older office")
    assert (type(e := raised(psycopg.errors.UniqueViolation("approved by abe"), duplicate="{said}; nothing")),
            str(e)) == (InputError, "approved by abe; nothing")
    assert type(raised(psycopg.errors.CheckViolation("x"), checked="checked")) is InputError
    assert type(raised(psycopg.errors.SerializationFailure("x"), raced="raced")) is InputError
    assert (type(e := raised(psycopg.OperationalError("server closed"), lost="lost")), str(e)) == (StoreError, "lost")


def test_a_broader_kind_takes_a_narrower_error_the_caller_did_not_name() -> None:
    # a UniqueViolation is an IntegrityError, a SerializationFailure an OperationalError (as `except` did)
    assert str(raised(psycopg.errors.UniqueViolation("x"), clash="meanwhile")) == "meanwhile"
    assert str(raised(psycopg.errors.UniqueViolation("x"), duplicate="twice", clash="meanwhile")) == "twice"
    assert str(raised(psycopg.errors.SerializationFailure("x"), lost="lost")) == "lost"
    assert str(raised(psycopg.errors.SerializationFailure("x"), raced="raced", lost="lost")) == "raced"


def test_a_kind_the_caller_does_not_name_and_the_products_errors_pass_as_they_were() -> None:
    refusal = psycopg.errors.InsufficientPrivilege("x")
    assert raised(refusal, lost="lost") is refusal
    own = InputError("the file's own error")
    assert raised(own, refused="r", older="o", duplicate="d", checked="c", clash="c", raced="r", lost="l") is own
    assert raised(psycopg.errors.UndefinedTable("x")).__class__ is psycopg.errors.UndefinedTable
