"""Population inputs: Bulk Data NDJSON folders and Bundle files, read line by line.

Every input line gets exactly one verdict (`Verdict`), so the summary accounts for all of them:

* ``patient``: a resource in a patient's compartment (`subject`, `patient` or `beneficiary`
  pointing at ``Patient/<id>``, or a Patient by its id), kept as raw bytes for that patient;
* ``reference``: shared reference data with no patient (Medication, for medicationReference);
* ``ignored``: counted with a reason (a type the review does not read, a blank line, a Bulk
  block header);
* ``error``: unusable (bad JSON, not an object, no resourceType, a clinical resource with no
  patient), written to ``errors.ndjson`` with file, line and reason.

Bulk file names are not standardised (``1.Condition.ndjson``, ``Condition.001.ndjson``, no
extension at all): a folder's ``manifest.json`` lists its files, otherwise every file whose
first line is a FHIR resource is read. In Bundles, ``urn:uuid:`` references are rewritten to
``Type/id`` through the entries' ``fullUrl`` (what a server does on a transaction).
"""

from __future__ import annotations

import gzip
import re
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NamedTuple

import orjson

from cds.errors import InputError

PATIENT_LINKS = ("subject", "patient", "beneficiary")
#: What the fact extractor reads for a patient (cds/facts/extract.py); other types are counted.
CLINICAL_TYPES = frozenset(
    {
        "Condition",
        "Observation",
        "MedicationRequest",
        "MedicationStatement",
        "ServiceRequest",
        "Encounter",
    }
)
#: Shared data a patient's resources may point at (medicationReference).
REFERENCE_TYPES = frozenset({"Medication"})
NDJSON_SUFFIXES = (".ndjson", ".ndjson.gz", ".jsonl", ".jsonl.gz")
_PATIENT_REF = re.compile(r"(?:^|/)Patient/([^/]+)(?:/_history/[^/]*)?$")
_URN = "urn:uuid:"

Kind = Literal["patient", "reference", "ignored", "error"]


@dataclass(frozen=True)
class SourceFile:
    """One input file: NDJSON (one resource per line) or a JSON Bundle / single resource."""

    path: Path
    format: Literal["ndjson", "bundle"]
    declared_type: str | None = None
    """The manifest's type, or the first line's resourceType (informative only)."""


class Verdict(NamedTuple):
    """What one input line is (a named tuple: one is made for every input line, at half the
    cost of a frozen dataclass)."""

    kind: Kind
    pid: str = ""
    rtype: str = ""
    reason: str = ""
    rid: str = ""


class InputLine(NamedTuple):
    """One line (or Bundle entry) with where it came from and its verdict (a named tuple, like
    `Verdict`)."""

    where: str
    line: int
    raw: bytes
    verdict: Verdict


def discover(inputs: Sequence[Path]) -> list[SourceFile]:
    """The files to read, in a stable order; InputError for a path that does not exist."""
    found: list[SourceFile] = []
    for item in inputs:
        if item.is_dir():
            found += _folder(item)
        elif item.is_file() and item.name == "manifest.json":
            found += _folder(item.parent)
        elif item.is_file():
            found.append(_single(item))
        else:
            raise InputError(f"input {item} does not exist")
    return found


def _folder(folder: Path) -> list[SourceFile]:
    manifest = folder / "manifest.json"
    if manifest.is_file():
        return _manifest_files(folder, manifest)
    files: list[SourceFile] = []
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        if path.name.startswith("."):
            continue
        sniffed = _sniff(path)
        if sniffed is not None:
            files.append(sniffed)
    return files


def _manifest_files(folder: Path, manifest: Path) -> list[SourceFile]:
    try:
        data = orjson.loads(manifest.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        raise InputError(f"{manifest}: not a readable Bulk Data manifest: {exc}") from exc
    outputs = data.get("output") if isinstance(data, dict) else None
    if not isinstance(outputs, list):
        raise InputError(f"{manifest}: a Bulk Data manifest needs an 'output' list")
    files = []
    for item in outputs:
        if not isinstance(item, dict) or not isinstance(item.get("url"), str):
            raise InputError(f"{manifest}: every output needs a 'url'")
        local = folder / item["url"].rsplit("/", 1)[-1]
        if not local.is_file():
            raise InputError(f"{manifest}: listed file {local.name} is missing from {folder}")
        rtype = item.get("type")
        files.append(SourceFile(local, "ndjson", rtype if isinstance(rtype, str) else None))
    return files


def _single(path: Path) -> SourceFile:
    sniffed = _sniff(path)
    if sniffed is None:
        raise InputError(f"{path} is neither FHIR NDJSON nor a FHIR Bundle or resource (JSON)")
    return sniffed


def _sniff(path: Path) -> SourceFile | None:
    """NDJSON when the first line is a whole resource; a Bundle file when the file is one."""
    name = path.name.lower()
    if name.endswith(NDJSON_SUFFIXES):
        return SourceFile(path, "ndjson", _first_type(path))
    if name.endswith(".json"):
        return SourceFile(path, "bundle", "Bundle")
    rtype = _first_type(path)  # no extension (Cerner- and Epic-style names): sniff
    return SourceFile(path, "ndjson", rtype) if rtype else None


def _first_type(path: Path) -> str | None:
    try:
        with _open(path) as fh:
            for raw in fh:
                if raw.strip():
                    data = orjson.loads(raw)
                    rtype = data.get("resourceType") if isinstance(data, dict) else None
                    return rtype if isinstance(rtype, str) else None
    except (OSError, EOFError, orjson.JSONDecodeError, UnicodeDecodeError):
        return None
    return None


def _open(path: Path) -> Any:
    with path.open("rb") as probe:
        magic = probe.read(2)
    return gzip.open(path, "rb") if magic == b"\x1f\x8b" else path.open("rb")


def read_lines(src: SourceFile) -> Iterator[InputLine]:
    """Every line (or Bundle entry) of a file with its verdict."""
    if src.format == "ndjson":
        yield from _ndjson_lines(src.path)
    else:
        yield from _bundle_lines(src.path)


def _ndjson_lines(path: Path) -> Iterator[InputLine]:
    where = str(path)
    try:
        with _open(path) as fh:
            for number, raw in enumerate(fh, start=1):
                line = raw.rstrip(b"\r\n")
                yield InputLine(where, number, line, classify_raw(line))
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise InputError(f"cannot read {path}: {exc}") from exc


def read_range(src: SourceFile, start: int, end: int) -> Iterator[InputLine]:
    """The lines of a plain (not gzipped) NDJSON file that begin at a byte offset in
    ``[start, end)``, numbered from 1 within the range: the caller adds the lines before it.
    Consecutive ranges read every line of the file exactly once (a parallel read)."""
    where = str(src.path)
    try:
        with src.path.open("rb") as fh:
            pos = start
            if start > 0:
                fh.seek(start - 1)
                pos += len(fh.readline()) - 1  # the rest of a line that began before the range
            for number, raw in enumerate(fh, start=1):
                if pos >= end:
                    return
                pos += len(raw)
                line = raw.rstrip(b"\r\n")
                yield InputLine(where, number, line, classify_raw(line))
    except OSError as exc:
        raise InputError(f"cannot read {src.path}: {exc}") from exc


def classify_raw(line: bytes) -> Verdict:
    """The verdict of one NDJSON line."""
    if not line.strip():
        return Verdict("ignored", reason="blank line")
    try:
        data = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        return Verdict("error", reason=f"not valid JSON: {exc.msg}")
    return classify(data)


def classify(data: object) -> Verdict:
    """The verdict of one parsed resource."""
    if not isinstance(data, dict):
        return Verdict("error", reason=f"not a JSON object but a {type(data).__name__}")
    rtype = data.get("resourceType")
    if not isinstance(rtype, str) or not rtype:
        return Verdict("error", reason="no resourceType")
    rid = f"{rtype}/{data.get('id', '?')}"
    if rtype == "Patient":
        pid = data.get("id")
        if not isinstance(pid, str) or not pid:
            return Verdict("error", rtype=rtype, reason="Patient without an id", rid=rid)
        return Verdict("patient", pid, rtype, rid=rid)
    pid = patient_of(data)
    if pid:
        if rtype in CLINICAL_TYPES:
            return Verdict("patient", pid, rtype, rid=rid)
        return Verdict("ignored", pid, rtype, f"type {rtype} is not read by the review", rid)
    if rtype in REFERENCE_TYPES:
        return Verdict("reference", rtype=rtype, rid=rid)
    if rtype in CLINICAL_TYPES:
        return Verdict(
            "error",
            rtype=rtype,
            rid=rid,
            reason=f"{rtype} with no patient reference (subject/patient)",
        )
    if rtype == "Parameters":
        return Verdict("ignored", rtype=rtype, reason="Bulk block header (Parameters)", rid=rid)
    return Verdict(
        "ignored", rtype=rtype, reason=f"type {rtype} has no patient and is not used", rid=rid
    )


def patient_of(resource: Mapping[str, Any]) -> str | None:
    """The id of the patient whose compartment owns a resource, from its literal reference."""
    subject = resource.get("subject")
    if subject.__class__ is dict:  # the common case: subject "Patient/<id>", read without a regex
        target = subject.get("reference")
        if target.__class__ is str and target.startswith("Patient/") and len(target) > 8:
            pid: str = target[8:]
            if "/" not in pid:
                return pid
    for link in PATIENT_LINKS:
        ref = resource.get(link)
        target = ref.get("reference") if isinstance(ref, Mapping) else None
        if isinstance(target, str):
            m = _PATIENT_REF.search(target)
            if m:
                return m.group(1)
    return None


# --------------------------------------------------------------------------------------------
# Bundles: one JSON document, entries resolved through fullUrl.


def _bundle_lines(path: Path) -> Iterator[InputLine]:
    where = str(path)
    try:
        data = orjson.loads(path.read_bytes())
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from exc
    except orjson.JSONDecodeError as exc:
        yield InputLine(where, 1, b"", Verdict("error", reason=f"not valid JSON: {exc.msg}"))
        return
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        raw = orjson.dumps(data)
        yield InputLine(where, 1, raw, classify(data))
        return
    entries = data.get("entry") or []
    resources = [e.get("resource") if isinstance(e, dict) else None for e in entries]
    mapping = _fullurl_map(entries)
    for number, (entry, res) in enumerate(zip(entries, resources, strict=True), start=1):
        if res is None:
            reason = "Bundle entry without a resource"
            yield InputLine(where, number, orjson.dumps(entry), Verdict("error", reason=reason))
            continue
        if isinstance(res, dict):
            res = _with_id(res, entry)
            res = _rewrite(res, mapping)
        yield InputLine(where, number, orjson.dumps(res), classify(res))


def _fullurl_map(entries: list[Any]) -> dict[str, str]:
    """``urn:uuid:X`` (and absolute fullUrls) → ``Type/id``."""
    out: dict[str, str] = {}
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("resource"), dict):
            continue
        full, res = entry.get("fullUrl"), _with_id(entry["resource"], entry)
        if isinstance(full, str) and isinstance(res.get("resourceType"), str) and res.get("id"):
            out[full] = f"{res['resourceType']}/{res['id']}"
    return out


def _with_id(res: dict[str, Any], entry: Mapping[str, Any]) -> dict[str, Any]:
    """A transaction POST entry may carry no id: its ``urn:uuid`` becomes the id."""
    full = entry.get("fullUrl")
    if res.get("id") or not isinstance(full, str) or not full.startswith(_URN):
        return res
    try:
        uuid.UUID(full[len(_URN) :])
    except ValueError:
        return res
    return {**res, "id": full[len(_URN) :]}


def _rewrite(value: Any, mapping: Mapping[str, str]) -> Any:
    if isinstance(value, dict):
        out = {k: _rewrite(v, mapping) for k, v in value.items()}
        ref = out.get("reference")
        if isinstance(ref, str) and ref in mapping:
            out["reference"] = mapping[ref]
        return out
    if isinstance(value, list):
        return [_rewrite(v, mapping) for v in value]
    return value
