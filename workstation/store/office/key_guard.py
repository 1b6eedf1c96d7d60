"""The guard of a table of registered keys (checkpoint_keys.py, signing_keys.py): a key is stored by its user, by
the admin who enrolled them (`office_keyslots.enrolled_by`), or by a member of the office's owner role (the
server's administrator at `office init`); nobody changes or removes one, the owner neither (a signature or a
checkpoint made with it must stay checkable). The server sets who stored it and when.

One trigger function, `dws.<table>_guard()`, fired before each insert (a row) and before an update, delete or
truncate (the statement, refused). Idempotent, as a schema step's SQL is (schema.py): CREATE OR REPLACE the
function, each trigger dropped if there and made again.
"""

from __future__ import annotations


def statements(table: str, noun: str) -> tuple[str, ...]:
    """The guard's SQL for `dws.<table>` (an unquoted name of ours, not input), whose refusals call a row "a <noun>
    key"; the office's owner role is left as the placeholder `{owner}` for psycopg's sql.SQL(...).format."""
    return (
        f"""CREATE OR REPLACE FUNCTION dws.{table}_guard() RETURNS trigger LANGUAGE plpgsql
        SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
        BEGIN
            IF TG_OP <> 'INSERT' THEN
                RAISE EXCEPTION 'a {noun} key is kept as stored: % refused', TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            IF NEW.login <> session_user AND NOT pg_has_role(session_user, {{owner}}, 'MEMBER')
               AND NOT EXISTS (SELECT 1 FROM dws.office_keyslots k
                               WHERE k.login = NEW.login AND k.enrolled_by = session_user) THEN
                RAISE EXCEPTION 'a {noun} key is stored by its user or by the admin who enrolled them: % may '
                                'not store one for %', session_user, NEW.login USING ERRCODE = 'insufficient_privilege';
            END IF;
            NEW.created_by := session_user;
            NEW.created_at := clock_timestamp();
            RETURN NEW;
        END $$""",
        f"DROP TRIGGER IF EXISTS {table}_insert ON dws.{table}",
        f"CREATE TRIGGER {table}_insert BEFORE INSERT ON dws.{table} FOR EACH ROW "
        f"EXECUTE FUNCTION dws.{table}_guard()",
        f"DROP TRIGGER IF EXISTS {table}_keep ON dws.{table}",
        f"CREATE TRIGGER {table}_keep BEFORE UPDATE OR DELETE OR TRUNCATE ON dws.{table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION dws.{table}_guard()",
    )
