# Types for sqlcipher3 (it ships none): the module is pysqlite built against SQLCipher, the same DB-API as the
# standard library's sqlite3, so its names take sqlite3's types from typeshed. Only for mypy (mypy_path).
from sqlite3 import Connection as Connection
from sqlite3 import Cursor as Cursor
from sqlite3 import DatabaseError as DatabaseError
from sqlite3 import Error as Error
from sqlite3 import IntegrityError as IntegrityError
from sqlite3 import OperationalError as OperationalError
from sqlite3 import ProgrammingError as ProgrammingError
from sqlite3 import Row as Row
from sqlite3 import connect as connect
from sqlite3 import sqlite_version as sqlite_version
