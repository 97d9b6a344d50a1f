"""Wiring for the telematics worker: the MQTT adapter, the intake service and the database, together."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from depotdispatch.adapters.telematics_mqtt import Counts, Store, StoreUnavailable
from depotdispatch.bootstrap import App
from depotdispatch.domain.errors import Conflict
from depotdispatch.domain.telemetry import Rejected, Telemetry
from depotdispatch.services import telemetry as svc


def make_store(app: App) -> Store:
    def store(parsed: Sequence[Telemetry], refused: Sequence[Rejected]) -> Counts:
        try:
            result = svc.take_telemetry(app.uow(), parsed, app.clock.now(), refused)
        except (OperationalError, InterfaceError) as exc:
            raise StoreUnavailable(f"database unavailable: {str(exc.orig)[:160]}") from exc
        except Conflict as exc:  # busy, or a concurrent writer stored the same reading: the next try sorts it out
            raise StoreUnavailable(exc.detail) from exc
        except DBAPIError as exc:
            if exc.connection_invalidated:
                raise StoreUnavailable("database connection lost") from exc
            raise
        return Counts(result.stored, result.duplicates, dict(result.rejected))

    return store
