"""Feast's exceptions, translated into the stackhub hierarchy at every call into Feast."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator

from feast.errors import FeastError, FeastObjectNotFoundException, FeatureNameCollisionError
from google.protobuf.message import DecodeError
from stackhub import InvalidInput, NotFound, StackhubError, Unavailable

__all__ = ["feast_errors"]

_REPORT = "Report it with the Feast version and the call that failed: the plugin checks its input before calling Feast."


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0].rstrip(".") if text else type(exc).__name__


@contextlib.contextmanager
def feast_errors(context: str, where: str) -> Iterator[None]:
    """Raise a ``StackhubError`` for what Feast raises inside the block.

    ``context`` names the operation (``"Feast materialize of view 'x'"``); ``where`` the repository it ran in.
    """
    try:
        yield
    except StackhubError:
        raise
    except FeastObjectNotFoundException as exc:
        raise NotFound(
            f"{context} failed: {_first_line(exc)}.", fix=f"Check the definitions applied to {where}."
        ) from exc
    except FeatureNameCollisionError as exc:
        raise InvalidInput(
            f"{context} failed: {_first_line(exc)}.", fix="Pass full_feature_names=True, or request each feature once."
        ) from exc
    except (sqlite3.OperationalError, OSError) as exc:
        raise Unavailable(
            f"{context} failed: Feast cannot read or write its files in {where}: {_first_line(exc)}.",
            fix="Check that the repository folder, its registry and online store file are writable and not locked.",
        ) from exc
    except DecodeError as exc:
        raise Unavailable(
            f"{context} failed: the Feast registry in {where} is not a registry Feast can read: {_first_line(exc)}.",
            fix="Restore the registry file from a backup, or point registry_path at another file and apply again.",
        ) from exc
    except (FeastError, sqlite3.Error, ValueError, TypeError, KeyError) as exc:
        raise StackhubError(
            f"{context} failed inside Feast: {type(exc).__name__}: {_first_line(exc)}.", fix=_REPORT
        ) from exc
