"""Dagster's SQLite event log, with its database connections kept open.

Dagster's SqliteEventLogStorage builds a new SQLAlchemy engine, opens the file, checks its schema
revision and throws the engine (and its compiled-statement cache) away for every single event. A
night stores about a thousand events (planned materialisations and checks, dbt's node results,
check evaluations), and on this machine that bookkeeping alone took ≈ 20 s of a tiny home's run.

This subclass keeps one engine per database file (the run's own shard and the asset index), so each
event is one INSERT on an open connection. Everything else is Dagster's: the same files under
<DAGSTER_HOME>/history/runs, the same schema and WAL journal, the same lock around each use, so the
Dagster UI (which may use the stock class) reads them as before. `salestier run` writes it into the
home's dagster.yaml (cli.DAGSTER_YAML).
"""

from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from dagster._core.storage.event_log import SqliteEventLogStorage
from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy.pool import NullPool

# busy timeout as Dagster's own (seconds); the UI process may hold a read lock briefly
BUSY_TIMEOUT_S = 30
# a long-lived process (the UI, a daemon) touches many runs: keep only the most recent shards open
MAX_OPEN_SHARDS = 8


class KeptOpenSqliteEventLogStorage(SqliteEventLogStorage):
    """SqliteEventLogStorage that reuses one engine (and its pooled connection) per shard."""

    def __init__(self, base_dir: str, inst_data: Any = None) -> None:
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        super().__init__(base_dir, inst_data=inst_data)

    @classmethod
    def from_config_value(cls, inst_data: Any, config_value: Any) -> "KeptOpenSqliteEventLogStorage":
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Engine:
        engine = self._engines.get(shard)
        if engine is None:
            url = self.conn_string_for_shard(shard)
            if shard not in self._initialized_dbs:  # Dagster's schema check nests connections: its own engine
                first = create_engine(url, poolclass=NullPool, connect_args={"timeout": BUSY_TIMEOUT_S})
                self._initdb(first)
                first.dispose()
                self._initialized_dbs.add(shard)
            engine = create_engine(url, pool_size=1, max_overflow=0,
                                   connect_args={"timeout": BUSY_TIMEOUT_S, "check_same_thread": False})
            self._engines[shard] = engine
            while len(self._engines) > MAX_OPEN_SHARDS:
                _, old = self._engines.popitem(last=False)
                old.dispose()
        else:
            self._engines.move_to_end(shard)
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock, self._engine(shard).connect() as conn, conn.begin():
            yield conn

    def dispose(self) -> None:
        """Close every kept connection (the instance calls this when it is disposed)."""
        while self._engines:
            _, engine = self._engines.popitem()
            engine.dispose()
        super().dispose()
