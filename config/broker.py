"""The single-machine broker: kombu's SQLAlchemy transport on a SQLite file under var/.

Kombu's filesystem transport lets a reader open a message file another process is still
writing (the worker then dies of a JSONDecodeError). Here every message is a row: a producer
inserts it in one transaction, and a consumer takes it in one ``BEGIN IMMEDIATE``
transaction, so a message is either wholly there or not there, and only one consumer gets
it. Four things differ from the stock transport (``config.celery`` calls ``install()``, which
maps ``sqla+`` URLs to this one):

- the SQLite file is in WAL mode with a 30 s busy timeout, so web, beat and the worker's
  processes wait for each other instead of failing with "database is locked";
- a consumer polls an empty queue every ``polling_interval`` seconds (a broker transport
  option, 0.1 s by default here) instead of kombu's 1 s, which would cap a worker at
  ``concurrency`` messages a second;
- a taken message is deleted in the transaction that takes it (the stock transport keeps
  every message for ever, flagged invisible, and the file grows by each message);
- each process makes its own engine: the stock transport caches one per URL for the class,
  and a worker's pool process, forked from the worker, would share its open SQLite
  connections (SQLite forbids carrying a connection across a fork).

A message a worker had taken when it was killed is gone with it, as with the stock transport:
the post it was about is still leased in the database, and the dispatcher takes it back when
the lease expires (``PUBLISH_LEASE_SECONDS``). The broker is only a doorbell.
"""

from __future__ import annotations

import os
import threading
from json import loads
from pathlib import Path
from queue import Empty
from time import monotonic, sleep

from kombu.transport import TRANSPORT_ALIASES
from kombu.transport import sqlalchemy as kombu_sqla
from kombu.utils.encoding import bytes_to_str
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import sessionmaker

#: Seconds a SQLite connection waits for another one's write lock before giving up.
BUSY_TIMEOUT_SECONDS = 30
#: Seconds between two looks at an empty queue.
POLLING_INTERVAL = 0.1
#: ...and for BUSY_SECONDS after a message came (at the pace of a run of messages).
BUSY_POLLING_INTERVAL = 0.01
BUSY_SECONDS = 2.0
#: Transport options that are ours, not keyword arguments of ``sqlalchemy.create_engine``.
_OWN_OPTIONS = ("polling_interval",)
#: (process id, URL) -> (engine, session factory)
_ENGINES: dict[tuple[int, str], tuple] = {}
_LOCK = threading.Lock()


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class Channel(kombu_sqla.Channel):
    def _engine_from_config(self):
        client = self.connection.client
        saved = client.transport_options
        client.transport_options = {
            key: value for key, value in saved.items() if key not in _OWN_OPTIONS
        }
        try:
            engine = super()._engine_from_config()
        finally:
            client.transport_options = saved
        if engine.dialect.name == "sqlite":
            database = engine.url.database
            if database and database != ":memory:":
                # A fresh var/ folder (or COUNTERSIGN_VAR_DIR) may not exist yet.
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            event.listen(engine, "connect", _sqlite_pragmas)
        return engine

    def _open(self):
        url = self.connection.client.hostname
        key = (os.getpid(), url)
        with _LOCK:
            if key not in _ENGINES:
                engine = self._engine_from_config()
                try:
                    kombu_sqla.metadata.create_all(engine)
                except OperationalError:  # another process created the tables first
                    kombu_sqla.metadata.create_all(engine)
                _ENGINES[key] = engine, sessionmaker(bind=engine)
        return _ENGINES[key]

    def _get_or_create(self, queue):
        """The queue's row, made if missing. Kombu's own guards only threads of one process:
        when two processes (beat and the worker, on a fresh file) insert the same queue, the
        loser's session is left failed and every later send of that process fails with it.
        Here the loser rolls back and reads the row the other one made."""
        session = self.session
        cls = self.queue_cls
        obj = session.query(cls).filter(cls.name == queue).first()
        if obj is not None:
            return obj
        session.add(cls(queue))
        try:
            session.commit()
        except (IntegrityError, OperationalError):
            session.rollback()
        return session.query(cls).filter(cls.name == queue).one()

    def _get(self, queue):
        obj = self._get_or_create(queue)
        session = self.session
        if session.bind.name == "sqlite":
            session.execute(text("BEGIN IMMEDIATE TRANSACTION"))
        message = self.message_cls
        try:
            row = (
                session.query(message)
                .with_for_update()
                .filter(message.queue_id == obj.id)
                .filter(message.visible != False)  # noqa: E712 - SQL, not Python
                .order_by(message.sent_at, message.id)
                .limit(1)
                .first()
            )
            if row is None:
                session.commit()
                raise Empty()
            payload = loads(bytes_to_str(row.payload))
            session.delete(row)
            session.commit()
        except Empty:
            raise
        except Exception:
            session.rollback()
            raise
        return payload


class Transport(kombu_sqla.Transport):
    Channel = Channel
    polling_interval = POLLING_INTERVAL  # kombu reads the transport option over this
    _last_delivery = float("-inf")

    def drain_events(self, connection, timeout=None):
        """Kombu's loop (wait for one message, ``timeout`` at most), looking again every
        ``BUSY_POLLING_INTERVAL`` for ``BUSY_SECONDS`` after a message came, and every
        ``polling_interval`` otherwise: a worker busy with a run of messages takes the
        next one as soon as a process is free (with the idle pace, a process freed by a
        finished task waited up to 0.1 s for its next one), and an idle worker stays quiet.
        """
        started = monotonic()
        while True:
            try:
                self.cycle.get(self._deliver, timeout=timeout)
            except Empty:
                now = monotonic()
                if timeout is not None and now - started >= timeout:
                    raise TimeoutError() from None
                busy = now - self._last_delivery < BUSY_SECONDS
                interval = BUSY_POLLING_INTERVAL if busy else (self.polling_interval or 0)
                if timeout is not None:  # never past the caller's timeout
                    interval = min(interval, timeout - (now - started))
                sleep(interval)
            else:
                self._last_delivery = monotonic()
                return


def install() -> None:
    """Make ``sqla+`` (and ``sqlalchemy+``) broker URLs use this transport."""
    TRANSPORT_ALIASES["sqla"] = TRANSPORT_ALIASES["sqlalchemy"] = "config.broker:Transport"
