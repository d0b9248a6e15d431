"""``cds review`` and ``cds synth``: thin shells around the review engine and the generator."""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from cds.errors import ConfigError, InputError


class EngineName(StrEnum):
    local = "local"
    spark = "spark"


def register(app: typer.Typer) -> None:
    """Add the ``review`` and ``synth`` commands to the ``cds`` app."""
    app.command("review")(review)
    app.command("synth")(synth)


def review(
    out: Annotated[Path, typer.Option(help="Output folder")],
    inputs: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Bulk NDJSON folders (with or without manifest.json), NDJSON files, Bundle files "
            "or folders"
        ),
    ] = None,
    engine: Annotated[EngineName, typer.Option(help="local (process pool) or spark")] = (
        EngineName.local
    ),
    workers: Annotated[int | None, typer.Option(help="Worker processes (default: cores)")] = None,
    as_of: Annotated[
        str,
        typer.Option(
            "--as-of",
            help="'last-discharge' (each patient's latest finished encounter) or an "
            "ISO 8601 instant with zone",
        ),
    ] = "last-discharge",
    memory_mb: Annotated[
        int, typer.Option("--memory-mb", help="Above this input size, spill to shard files")
    ] = 512,
    pack: Annotated[str | None, typer.Option(help="Rule pack name or folder")] = None,
    from_fhir: Annotated[
        str | None,
        typer.Option("--from-fhir", help="Run a Bulk $export on this FHIR base URL first"),
    ] = None,
    token: Annotated[
        str | None, typer.Option(help="Bearer token for --from-fhir (or CDS_FHIR_TOKEN)")
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="Settings file (the service's): site settings, site_timezone, pack",
        ),
    ] = None,
    compare: Annotated[
        Path | None,
        typer.Option(
            "--compare",
            help="Also review under B, in the same pass: a settings file (site settings, "
            "site_timezone, pack) or another pack folder or name; writes compare.json",
        ),
    ] = None,
    feedback: Annotated[
        str | None,
        typer.Option(
            "--feedback",
            help="With --compare: the feedback store's DATABASE_URL, for each rule's observed "
            "override rate and the expected overridden cards",
        ),
    ] = None,
    spark_master: Annotated[
        str | None,
        typer.Option(
            "--spark-master",
            help="With --engine spark: a Spark master URL (default: SPARK_MASTER, else "
            "local[WORKERS])",
        ),
    ] = None,
) -> None:
    """Review a patient population: replay discharge and order-sign calls, write the cards."""
    from cds.config import load_settings
    from cds.review.local import run_review
    from cds.review.options import ReviewOptions
    from cds.review.progress import reporter_for

    settings = load_settings(config, serving=False)
    _check_site(config, pack or settings.pack, settings.site)

    if spark_master and engine is not EngineName.spark:
        raise ConfigError("--spark-master needs --engine spark")
    paths = list(inputs or [])
    if from_fhir:
        from cds.review.bulk import export_to_folder

        bearer = token or os.environ.get("CDS_FHIR_TOKEN")
        paths.append(export_to_folder(from_fhir, bearer, out / "export"))
    if not paths:
        raise InputError("give at least one INPUT, or --from-fhir")
    if workers is not None and workers < 1:
        raise InputError("--workers must be at least 1")
    if feedback is not None and compare is None:
        raise ConfigError("--feedback needs --compare")
    counterpart = None
    if compare is not None:
        from cds.review.compare import Side, load_counterpart, side_of

        label = str(config or "defaults")
        side_a = Side(label, pack or settings.pack, settings.site, settings.site_timezone)
        counterpart = load_counterpart(side_of(compare, side_a))
    options = ReviewOptions(
        out=out,
        workers=workers or os.cpu_count() or 1,
        memory_mb=memory_mb,
        as_of=as_of,
        pack=pack or settings.pack,
        site=settings.site,
        site_timezone=settings.site_timezone,
        compare=counterpart,
        feedback=feedback,
        label=str(config or "defaults"),
    )
    if engine is EngineName.spark:
        from cds.review.spark import SparkOptions, run_review_spark

        summary = run_review_spark(paths, options, reporter_for(), SparkOptions(spark_master))
    else:
        summary = run_review(paths, options, reporter_for())
    lines = summary["lines"]
    typer.echo(
        f"{summary['patients']['reviewed']} patients, {summary['cards']} cards "
        f"({summary['patients']['with_cards']} patients with cards); {lines['read']} lines read: "
        f"{lines['used']} used, {lines['reference']} reference, {lines['ignored']} ignored, "
        f"{lines['errors']} errors; see {out}/report.html"
    )
    if counterpart is not None:
        from cds.review.burden import describe_change

        typer.echo(describe_change(out))


def _check_site(config: Path | None, pack: str, site: dict[str, float | None]) -> None:
    """A's site settings, checked against its pack (unknown or out of its declared range)
    before any input is read: one line naming the settings file."""
    from cds.errors import CdsError
    from cds.pack.load import load_pack

    try:
        load_pack(pack).setting_values(site)
    except CdsError as exc:
        where = f"--config {config}: " if config is not None else ""
        raise ConfigError(f"{where}{exc.message}") from exc


def synth(
    patients: Annotated[int, typer.Option(help="How many patients")] = 50,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same files)")] = 1,
    out: Annotated[Path, typer.Option(help="Output folder")] = Path("synth-out"),
) -> None:
    """Write a reproducible synthetic population as Bulk NDJSON, with the expected cards."""
    from cds.review.synth import synthesize

    if patients < 1:
        raise InputError("--patients must be at least 1")
    expected = synthesize(patients, seed, out)
    typer.echo(
        f"{patients} patients, {expected['lines']} resources, "
        f"{expected['cards']} expected cards; see {out}/expected.json"
    )
