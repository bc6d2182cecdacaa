"""The landing inbox: which dropped files wait, what a parse says of them, and where they go after.

Files wait in `<landing>/<kind>/`. Once judged they move, never deleted, to
`<landing>/_processed/<kind>/` (their rows belong in bronze) or `<landing>/_rejected/<kind>/`
(quarantined with a reason). A judgement is a row of `bronze/landing_files`; its `sha256` makes a
renamed copy of an accepted file a duplicate instead of a second ingestion.

The inbox itself is the queue (judged files leave it), so a file whose modification time is older
than files already judged (copied with `cp -p`, or a move that failed) is still picked up.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from checks.contracts import (
    BRONZE_LANDING_FILES,
    BRONZE_METER_READINGS,
    BRONZE_METERS,
    BRONZE_QUARANTINE,
    BRONZE_WEATHER,
)
from checks.contracts.vocabularies import LANDING_KINDS, LandingKind
from checks.quarantine import Rejection
from energy_assets.settings import start_date
from energy_assets.sources.base import Received, SourceRun
from energy_assets.sources.landing.files import (
    SOURCE,
    ParsedFile,
    extension,
    file_sha256,
    is_settled,
    list_landing_files,
    refused_files,
)
from energy_assets.sources.landing.ledger import outside_window
from energy_assets.sources.landing.meters import parse_meters_file
from energy_assets.sources.landing.readings import parse_readings_file
from energy_assets.sources.landing.weather import parse_weather_file
from energy_assets.sources.reading_limits import accepted_days
from energy_assets.storage.lake import Lake
from energy_assets.transforms.cleaning import current_meters

PROCESSED = "_processed"
REJECTED = "_rejected"

Position = tuple[int, str]
"""Where a file stands in arrival order: (modification time in ns, path)."""


@dataclass(frozen=True)
class InboxFile:
    path: Path
    kind: LandingKind
    mtime_ns: int
    refusal: str | None = None
    """Why the file is not read at all (hidden, another extension), if so."""

    @property
    def position(self) -> Position:
        return (self.mtime_ns, str(self.path))


def waiting_files(
    landing_root: Path, after: Position | None, limit: int, now: datetime | None = None
) -> list[InboxFile]:
    """Up to `limit` settled files waiting in the inbox (sub-folders included; files it does not
    read carry their `refusal`), meters files first (readings and weather refer to them), each
    kind in arrival order (mtime, path). A file still being written (`is_settled`) waits for a
    later look.

    Files after the cursor `after` (the newest position already judged) come before files at or
    before it (stragglers with old mtimes, or a file that could not be moved), so a stuck file
    cannot starve new arrivals and an old-looking file is never skipped.
    """
    now = now or datetime.now(UTC)
    files = []
    for kind in LANDING_KINDS:
        listed = [(path, None) for path in list_landing_files(landing_root, kind)]
        for path, refusal in [*listed, *refused_files(landing_root, kind)]:
            try:
                if not is_settled(path, now, end_mark_counts=refusal is None):
                    continue
                files.append(InboxFile(path, kind, path.stat().st_mtime_ns, refusal))
            except FileNotFoundError:  # moved away between listing and stat
                continue
    files.sort(
        key=lambda f: (f.kind != "meters", after is not None and f.position <= after, f.position)
    )
    return files[:limit]


def arrived_at_utc(path: Path) -> datetime:
    """When a landing file arrived: its modification time, which moving it to the archive keeps.

    Every row of a file is received at that instant, so between two files that send the same
    interval or meter the later file wins, whatever the order they are parsed in and whether or
    not the sensor has archived them yet.
    """
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)


def archived_files(landing_root: Path, kind: LandingKind) -> list[Path]:
    """The accepted files of a kind, moved aside to `_processed/` (bronze keeps reading them)."""
    return list_landing_files(Path(landing_root) / PROCESSED, kind)


@dataclass(frozen=True)
class Verdict:
    """What the landing sensor decided for one file."""

    file: InboxFile
    sha256: str
    status: str  # accepted, rejected or duplicate
    rows: int
    rejections: list[Rejection]
    first_day: date | None = None
    last_day: date | None = None
    reason: str | None = None

    @property
    def is_accepted(self) -> bool:
        return self.status == "accepted"


def _summary(rejections: Sequence[Rejection]) -> str:
    """The most frequent rejection reasons of a file, e.g. `3 x meter never described: X`."""
    counts: dict[str, int] = {}
    for r in rejections:
        counts[r.reason] = counts.get(r.reason, 0) + 1
    top = sorted(counts.items(), key=lambda item: -item[1])[:3]
    return "; ".join(f"{n} x {reason}" if n > 1 else reason for reason, n in top)


def judge(
    file: InboxFile,
    sha256: str,
    accepted: Mapping[str, str],
    parse: Callable[[], ParsedFile],
    today: date,
) -> Verdict:
    """Rejected unread when the inbox does not read such a file (`file.refusal`); a duplicate
    when the same bytes were already accepted (`accepted`: sha256 -> path; the file is then not
    parsed); else accepted with at least one good row, rejected with none.

    A rejected or duplicate file carries its quarantine rows; an accepted file's rejected rows
    are quarantined by the bronze run that reads it.
    """
    if file.refusal is not None:
        refused = refusal_rejection(file.path, file.refusal, today)
        return Verdict(file, sha256, "rejected", 0, [refused], reason=file.refusal)
    if sha256 in accepted:
        reason = f"duplicate: same content as {accepted[sha256]}, already ingested"
        record = {"file": str(file.path), "sha256": sha256}
        duplicate = Rejection(record, reason, day=today, source_file=str(file.path))
        return Verdict(file, sha256, "duplicate", 0, [duplicate], reason=reason)
    parsed = parse()
    rows = parsed.rows.num_rows
    if rows == 0:
        reason = _summary(parsed.rejections) or "no usable row"
        return Verdict(file, sha256, "rejected", 0, parsed.rejections, reason=reason)
    first_day = last_day = None
    if "day" in parsed.rows.column_names:
        first_day = pc.min(parsed.rows["day"]).as_py()
        last_day = pc.max(parsed.rows["day"]).as_py()
    partly = _summary(parsed.rejections) or None
    return Verdict(file, sha256, "accepted", rows, parsed.rejections, first_day, last_day, partly)


def refusal_rejection(path: Path, reason: str, today: date) -> Rejection:
    """The quarantine row of a file the inbox does not read."""
    record = {"file": str(path), "size_bytes": path.stat().st_size}
    return Rejection(record, reason, day=today, source_file=str(path))


def destination(landing_root: Path, verdict: Verdict) -> Path:
    """Where a judged file goes: `_processed/<kind>/` or `_rejected/<kind>/`, under its own name
    unless that is taken (then the name carries the first 12 hex digits of its hash)."""
    aside = PROCESSED if verdict.is_accepted else REJECTED
    folder = Path(landing_root) / aside / verdict.file.kind
    name = verdict.file.path
    target = folder / name.name
    if name.name.startswith("."):
        target = folder / f"_hidden{name.name}"
    if target.exists():
        suffix = extension(name)
        stem = name.name[: len(name.name) - len(suffix)]
        target = folder / f"{stem}.{verdict.sha256[:12]}{suffix}"
    return target


def move_aside(source: Path, target: Path) -> None:
    """Move a judged file out of the inbox (never delete it)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(source, target)


def ledger_rows(verdicts: Sequence[tuple[Verdict, Path]], processed_at_utc: datetime) -> pa.Table:
    """The `bronze/landing_files` rows of judged files (each with where it goes), read before the
    files move."""
    return pa.Table.from_pylist(
        [
            {
                "path": str(target),
                "landed_path": str(v.file.path),
                "sha256": v.sha256,
                "kind": v.file.kind,
                "status": v.status,
                "first_day": v.first_day,
                "last_day": v.last_day,
                "rows": v.rows,
                "rows_rejected": len(v.rejections) if v.is_accepted else 0,
                "size_bytes": v.file.path.stat().st_size,
                "reason": v.reason,
                "processed_at_utc": processed_at_utc,
            }
            for v, target in verdicts
        ],
        schema=BRONZE_LANDING_FILES.schema,
    )


LandingParser = Callable[[Path, str, datetime], ParsedFile]


def landing_parser(store: Lake, kind: LandingKind) -> LandingParser:
    """How to parse a landing file of a kind, given the meters bronze describes now (readings
    and weather need their meter's or location's time zone)."""
    if kind == "meters":
        return lambda path, batch, at: parse_meters_file(path, batch_id=batch, ingested_at_utc=at)
    meters = current_meters(store.read(BRONZE_METERS)).table.to_pylist()
    if kind == "readings":
        zones = {m["meter_id"]: m["timezone"] for m in meters}
        intervals = {m["meter_id"]: m["interval_minutes"] for m in meters if m["interval_minutes"]}
        days = accepted_days(start_date(), datetime.now(UTC).date())
        refused = rejected_meters(store)
        return lambda path, batch, at: parse_readings_file(
            path,
            zones,
            intervals,
            batch_id=batch,
            ingested_at_utc=at,
            days=days,
            rejected_meters=refused,
        )
    locations = {m["location_id"]: m["timezone"] for m in meters}
    return lambda path, batch, at: parse_weather_file(
        path, locations, batch_id=batch, ingested_at_utc=at
    )


def rejected_meters(store: Lake) -> dict[str, str]:
    """Meter -> why a landing meters file's row describing it was rejected (its readings then
    point there instead of saying the meter was never described)."""
    quarantine = store.read(BRONZE_QUARANTINE).select(
        ["source", "source_file", "meter_id", "reason"]
    )
    refused = {}
    for row in quarantine.filter(pc.equal(quarantine["source"], SOURCE)).to_pylist():
        if (
            row["meter_id"]
            and row["source_file"]
            and _kind_of(store, row["source_file"]) == "meters"
        ):
            refused[row["meter_id"]] = f"{row['reason']} (in {row['source_file']})"
    return refused


def _kind_of(store: Lake, path: str) -> str | None:
    """The landing kind a file belongs to, waiting or moved aside; None outside the folder."""
    try:
        parts = Path(path).relative_to(store.landing_root).parts
    except ValueError:
        return None
    if parts and parts[0] in (PROCESSED, REJECTED):
        parts = parts[1:]
    return parts[0] if len(parts) > 1 else None


def landing_batch_id(sha256: str) -> str:
    return f"landing-{sha256[:16]}"


def landing_files(
    store: Lake,
    kind: LandingKind,
    window: tuple[date, date] | None = None,
    inferred: dict[str, int] | None = None,
) -> tuple[list[pa.Table], dict[str, list[Rejection]]]:
    """Parse the landing files of a kind: rows (in the window, if given), rejections by file;
    `inferred`, when given, collects the meters whose interval came from their cadence.

    Each file's rows are received when the file arrived (`arrived_at_utc`). The files are those
    the landing sensor accepted (`landing/_processed/`; with a window, only those whose days meet
    it) and those still waiting in the inbox, each content once: a re-run of a day gives the same
    rows whether or not the sensor has judged its files yet. A waiting file still being written
    (`is_settled`) is left for a later run; one the inbox does not read (hidden, another
    extension) and a second copy of the same bytes are rejected with why.
    """
    parse = landing_parser(store, kind)
    rows: list[pa.Table] = []
    rejected: dict[str, list[Rejection]] = {}
    seen: dict[str, str] = {}
    root = store.landing_root
    now = datetime.now(UTC)
    for path, reason in refused_files(root, kind):
        with contextlib.suppress(FileNotFoundError):  # gone since the listing: nothing to refuse
            if is_settled(path, now, end_mark_counts=False):
                rejected[str(path)] = [refusal_rejection(path, reason, now.date())]
    skipped = outside_window(store.read(BRONZE_LANDING_FILES), *window) if window else set()
    vanished = True
    while vanished:  # a file the sensor moved after it was listed is read where it went
        vanished = False
        archived = [p for p in archived_files(root, kind) if str(p) not in skipped]
        waiting = list_landing_files(root, kind)
        in_inbox = set(waiting)
        for path in [*archived, *waiting]:
            try:
                if path in in_inbox and not is_settled(path, now):
                    continue
                sha = file_sha256(path)
                if sha in seen:
                    first = seen[sha]
                    if first != str(path) and Path(first).exists():
                        reason = f"duplicate: same content as {first}, already ingested"
                        record = {"file": str(path), "sha256": sha}
                        rejection = Rejection(record, reason, now.date(), source_file=str(path))
                        rejected[str(path)] = [rejection]
                    continue
                parsed = parse(path, landing_batch_id(sha), arrived_at_utc(path))
            except FileNotFoundError:
                vanished = True
                continue
            seen[sha] = str(path)
            _keep(parsed, path, window, rows, rejected, inferred)
    return rows, rejected


def _keep(
    parsed: ParsedFile,
    path: Path,
    window: tuple[date, date] | None,
    rows: list[pa.Table],
    rejected: dict[str, list[Rejection]],
    inferred: dict[str, int] | None,
) -> None:
    """Add a parsed file's rows (in the window, if given), rejections and inferred intervals."""
    table = parsed.rows
    if window is not None:
        days = table["day"]
        table = table.filter(
            pc.and_(
                pc.greater_equal(days, pa.scalar(window[0], pa.date32())),
                pc.less(days, pa.scalar(window[1], pa.date32())),
            )
        )
    rows.append(table)
    rejected[str(path)] = parsed.rejections
    if inferred is not None:
        inferred.update(parsed.inferred_intervals)


@dataclass(frozen=True)
class LandingSource:
    """Files dropped in the landing folder of a local lake (object stores have none)."""

    name: str = SOURCE
    api_tables: frozenset[str] = frozenset()

    def meters(self, run: SourceRun) -> Received:
        if not run.store.is_local:
            return Received(self.name)
        rows, rejected = landing_files(run.store, "meters")
        return Received(self.name, {BRONZE_METERS.name: rows}, rejected_files=rejected)

    def readings(self, run: SourceRun, start: date, end: date) -> Received:
        if not run.store.is_local:
            return Received(self.name)
        inferred: dict[str, int] = {}
        rows, rejected = landing_files(run.store, "readings", (start, end), inferred)
        return Received(
            self.name,
            {BRONZE_METER_READINGS.name: rows},
            rejected_files=rejected,
            inferred_intervals=inferred,
        )

    def weather(self, run: SourceRun, start: date, end: date) -> Received:
        if not run.store.is_local:
            return Received(self.name)
        rows, rejected = landing_files(run.store, "weather", (start, end))
        return Received(self.name, {BRONZE_WEATHER.name: rows}, rejected_files=rejected)
