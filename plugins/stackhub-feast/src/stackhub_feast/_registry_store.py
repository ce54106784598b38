"""Feast's file registry store, written atomically.

Feast's own ``FileRegistryStore`` truncates the registry file and writes the new one in place, so a process that
dies mid-write (or a reader that looks at the wrong moment) finds a torn registry. This one writes a temporary file
next to it and renames it over the old one. Feast loads it by dotted path (``registry_store_type``).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from feast.infra.registry.file import FileRegistryStore
from feast.protos.feast.core.Registry_pb2 import Registry as RegistryProto
from feast.utils import _utc_now

__all__ = ["AtomicFileRegistryStore"]


class AtomicFileRegistryStore(FileRegistryStore):
    """The registry as one protobuf file, replaced whole by ``os.replace`` on every commit."""

    def _write_registry(self, registry_proto: RegistryProto) -> None:
        registry_proto.version_id = str(uuid.uuid4())
        registry_proto.last_updated.FromDatetime(_utc_now())
        path: Path = self._filepath
        path.parent.mkdir(parents=True, exist_ok=True)
        # A new name of our own rather than mkstemp: the file gets the umask's permissions, as Feast's would.
        temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        try:
            with open(temporary, "xb") as file:
                file.write(registry_proto.SerializeToString())
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
