"""Real Spark for tests of this plugin and of stacks that use it: lean settings for small machines, a Java check,
and a throwaway Spark Connect server on 127.0.0.1. The plugin itself never imports this module."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
from pathlib import Path

from stackhub.testing import ServerProcess, free_port

__all__ = [
    "JAVA_INSTALL",
    "LEAN_CONF",
    "SparkConnectServer",
    "free_port",
    "java_problem",
]

#: The command that installs the Java runtime Spark 4 needs, on Debian and Ubuntu.
JAVA_INSTALL = "apt-get update && apt-get install -y openjdk-17-jre-headless"

#: Spark settings for tests on 2 cores: few shuffle partitions, no UI, no progress bars, a small driver.
#: ``spark.default.parallelism`` is 4, not the 2 cores: a table written from Arrow is cut into that many files, and
#: Spark streams a result partition by partition (see stackhub_spark._arrow), so a query over a table streams in
#: quarters rather than halves, as it would on a machine with more cores.
LEAN_CONF: dict[str, str] = {
    "spark.sql.shuffle.partitions": "2",
    "spark.default.parallelism": "4",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.adaptive.coalescePartitions.initialPartitionNum": "2",
    "spark.driver.memory": "1g",
    "spark.driver.extraJavaOptions": "-XX:+UseSerialGC -XX:TieredStopAtLevel=1",
}

# A cold start on 2 busy cores took 25 s; leave room for a loaded CI machine.
SERVER_START_TIMEOUT = 180.0


def java_problem() -> str | None:
    """Why Spark cannot start here (no Java, or one older than 17), or None when it can."""
    java_home = os.environ.get("JAVA_HOME")
    java = str(Path(java_home) / "bin" / "java") if java_home else shutil.which("java")
    if not java or not Path(java).exists():
        return f"no Java runtime is installed (Spark 4 needs Java 17 or newer): {JAVA_INSTALL}"
    try:
        shown = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60, check=False).stderr
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"'{java} -version' failed ({exc}); install a working Java 17+: {JAVA_INSTALL}"
    match = re.search(r'version "(\d+)(?:\.(\d+))?', shown)
    major = int(match[1]) if match else 0
    if major == 1 and match and match[2]:
        major = int(match[2])  # "1.8.0" is Java 8
    if major < 17:
        return f"Java {major or '?'} is installed, Spark 4 needs 17 or newer: {JAVA_INSTALL}"
    return None


def _spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent


class SparkConnectServer(ServerProcess):
    """A Spark Connect server (``org.apache.spark.sql.connect.service.SparkConnectServer``, bundled with pyspark)
    on 127.0.0.1, started with ``spark-submit`` as ``sbin/start-connect-server.sh`` does, its warehouse under
    ``root``."""

    name = "The Spark Connect server"
    # spark-submit's scripts run helper processes before they exec the JVM, so the signal goes to the whole group;
    # the JVM's shutdown hooks get more time than a Python server.
    signal_group = True
    stop_timeout = 30.0

    def __init__(self, root: Path, *, conf: dict[str, str] | None = None, niceness: int = 0) -> None:
        """``niceness`` above 0 runs the server at a lower CPU priority, e.g. while it starts next to other tests."""
        super().__init__(root / "connect-server.log")
        self.root = root
        self.niceness = niceness
        self.port = free_port()
        self.url = f"sc://127.0.0.1:{self.port}"
        self.conf = {**LEAN_CONF, **(conf or {})}

    def start(self) -> None:
        """Start the server and wait until it listens."""
        self.launch()
        self.wait()

    def launch(self) -> None:
        """Start the server's JVM without waiting for it (``wait()`` does), so other work overlaps its start."""
        home = _spark_home()
        command = [
            str(home / "bin" / "spark-submit"),
            "--class",
            "org.apache.spark.sql.connect.service.SparkConnectServer",
            "--name",
            "stackhub-test-connect-server",
            "--master",
            "local[2]",
        ]
        conf = {
            **self.conf,
            "spark.connect.grpc.binding.address": "127.0.0.1",
            "spark.connect.grpc.binding.port": str(self.port),
            "spark.sql.warehouse.dir": str(self.root / "warehouse"),
        }
        for key, value in conf.items():
            command += ["--conf", f"{key}={value}"]
        if self.niceness and shutil.which("nice"):
            command = ["nice", "-n", str(self.niceness), *command]
        env = {**os.environ, "SPARK_HOME": str(home), "SPARK_NO_DAEMONIZE": "1"}
        env.pop("SPARK_REMOTE", None)
        self.spawn(command, env=env, cwd=self.root)

    def wait(self) -> None:
        """Wait until the launched server listens; ``RuntimeError`` with its log if it exits or takes too long."""
        self.wait_until(self.listening, waiting_for=f"listen on port {self.port}", timeout=SERVER_START_TIMEOUT)

    def listening(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False
