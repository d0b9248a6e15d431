"""The Spark session of ``cds review --engine spark``: the one already running (spark-submit, a
notebook), else a new one; ``local[N]`` by default, on loopback only and quiet.

With ``spark_input.py`` and ``spark.py``, one of the three modules that import pyspark, and only
inside functions.
"""

from __future__ import annotations

import os
import sys
import tempfile
from typing import TYPE_CHECKING

from cds.errors import ConfigError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

#: Log4j 2 settings for a quiet driver: errors only, and no "Setting default log level" banner.
_LOG4J = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n%ex
logger.repl.name = org.apache.spark.repl.Main
logger.repl.level = error
logger.gateway.name = org.apache.spark.api.python.PythonGatewayServer
logger.gateway.level = error
logger.submit.name = org.apache.spark.deploy.SparkSubmit
logger.submit.level = error
"""


def spark_session(master: str | None = None, workers: int | None = None) -> SparkSession:
    """The active session (spark-submit, a notebook), else a new one.

    Without ``master`` (or ``SPARK_MASTER``) it is ``local[workers]``, on loopback only: driver
    bound to 127.0.0.1, no UI, the venv's Python for the workers, errors-only logging.
    """
    sessions = session_class()
    active = sessions.getActiveSession()
    if active is not None and master is None:
        return active
    master = master or os.environ.get("SPARK_MASTER")
    submitted = "PYSPARK_GATEWAY_PORT" in os.environ  # started by spark-submit: keep its master
    builder = sessions.builder.appName("cds-review")
    builder = builder.config("spark.ui.showConsoleProgress", "false")
    if master is None and not submitted:
        master = f"local[{workers or os.cpu_count() or 1}]"
    if master is not None:
        builder = builder.master(master)
    log4j = None
    if master is not None and master.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        # the workers' interpreter is read from the environment, not from spark.pyspark.python
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        fd, log4j = tempfile.mkstemp(prefix="cds-log4j2-", suffix=".properties")
        with os.fdopen(fd, "w") as fh:
            fh.write(_LOG4J)
        builder = (
            builder.config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.pyspark.python", sys.executable)
            .config("spark.pyspark.driver.python", sys.executable)
            .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile=file:{log4j}")
        )
    try:
        session = builder.getOrCreate()
    finally:
        if log4j is not None:
            os.unlink(log4j)
    session.sparkContext.setLogLevel("ERROR")
    return session


def session_class() -> type[SparkSession]:
    """PySpark's ``SparkSession`` class; ConfigError saying how to install the extra without it."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # `make run` and a plain install leave the extra out
        raise ConfigError(
            "the spark engine needs the 'spark' extra (PySpark), which is not installed: "
            "pip install -e '.[spark]' in a checkout (make test installs it), or "
            "pip install 'cds[spark]'; Spark also needs Java 17+. Or use --engine local"
        ) from exc
    return SparkSession
