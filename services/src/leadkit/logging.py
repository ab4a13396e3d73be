"""Structured JSON logs; every line carries lead_id, correlation_id and causation_id."""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog
from structlog.typing import EventDict, WrappedLogger

from leadkit.redact import Redactor

TRACE_KEYS = ("lead_id", "correlation_id", "causation_id")


def _ensure_trace_keys(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    # Present even when unknown, so a log search on them never silently skips lines.
    for key in TRACE_KEYS:
        event_dict.setdefault(key, None)
    return event_dict


def _redacting(redactor: Redactor) -> Any:
    def redact(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
        return {key: redactor.value(value) for key, value in event_dict.items()}

    return redact


def configure_logging(
    *, service: str, level: str = "INFO", fmt: str = "json", redactor: Redactor | None = None
) -> None:
    """Route structlog and the standard library (uvicorn, httpx, aiokafka, SQLAlchemy) to one
    renderer. Every line passes the redactor last, after exceptions are rendered, so neither a
    message, a field nor a traceback carries a secret (uvicorn's access log has query strings,
    httpx logs request URLs)."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _ensure_trace_keys,
    ]
    renderer: Any = structlog.processors.JSONRenderer() if fmt == "json" else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                _redacting(redactor or Redactor()),
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("aiokafka", "kafka"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    structlog.contextvars.bind_contextvars(service=service)
