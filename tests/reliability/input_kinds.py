"""Every kind of input the reliability suite sends through the landing folder, as data: a kind
is its files (their paths under the landing root and their bytes), the meters it describes, and
where each of its rows must end up. Adding a kind is adding one entry to `KINDS`.

Each kind `nn` owns its meter ids (`Knn-...`), weather locations (`Wnn`) and file names
(`knn_...`), so kinds never interfere. Most send one UTC day, `DAY`, of hourly readings.
"""

from __future__ import annotations

import gzip
import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import pyarrow as pa
import pyarrow.parquet as pq

FIRST_DAY = date(2024, 3, 30)
LAST_DAY = date(2024, 4, 7)
"""The lake's days (`ENERGY_START_DATE` is the first): Paris springs forward on 03-31, Sydney
falls back on 04-07."""
DAY = "2024-04-02"
LONG = "meter_id,timestamp,energy_kwh\n"


@dataclass(frozen=True)
class Kind:
    """One kind of input and where its rows must end up.

    `sent`: data rows (wide files: non-empty values) in the kind's files; `bronze`: rows landed in
    `bronze/meter_readings` (or `bronze/weather`); `silver`: non-missing silver rows (default:
    `bronze`); `kwh`: their total energy; `quarantined`: reason fragment -> quarantine rows;
    `file_rejected`: the kind's rows are all accounted for by a whole-file rejection;
    `in_rejected_files`: rows of some of its files rejected whole (e.g. a duplicate copy);
    `swallowed`: input rows folded into another row's quarantine record; `waiting`: rows of a
    file still being written, left in the inbox; `fresh`: files not aged past the settle time.
    """

    nn: int
    name: str
    files: dict[str, bytes]
    sent: int
    bronze: int = 0
    silver: int | None = None
    kwh: float | None = None
    quarantined: dict[str, int] = field(default_factory=dict)
    meters: tuple[tuple[str, str, int | None], ...] = ()
    file_rejected: bool = False
    in_rejected_files: int = 0
    swallowed: int = 0
    waiting: int = 0
    fresh: frozenset[str] = frozenset()
    weather: bool = False

    @property
    def id(self) -> str:
        return f"k{self.nn:02d}_{self.name}"

    @property
    def expected_silver(self) -> int:
        return self.bronze if self.silver is None else self.silver

    def accounted(self, bronze: int, rejected_rows: int, rejected_files: int) -> int:
        """The kind's input rows found somewhere: landed, quarantined (as rows, or in a file
        quarantined whole), or waiting in the inbox."""
        in_files = self.sent if self.file_rejected else self.in_rejected_files
        return (
            bronze
            + rejected_rows
            + (in_files if rejected_files else 0)
            + self.swallowed
            + self.waiting
        )


def m(nn: int, suffix: str = "a") -> str:
    return f"K{nn:02d}-{suffix}"


def hourly(meter: str, value: object = 1.5, day: str = DAY, hours: range = range(24)) -> str:
    return "".join(f"{meter},{day}T{h:02d}:00:00Z,{value}\n" for h in hours)


def text(value: str) -> bytes:
    return value.encode()


def parquet(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def wide(
    meter: str, columns: list[str], values: list[str], unit: str = "kWh", day: str = DAY
) -> str:
    return f"meter_id,date,unit,{','.join(columns)}\n{meter},{day},{unit},{','.join(values)}\n"


H24 = [f"h{k}" for k in range(1, 25)]
UTC60 = "UTC", 60


def simple(
    nn: int, name: str, body: str, *, header: str = LONG, ext: str = "csv", **kw: object
) -> Kind:
    """A kind of one readings file for meter `Knn-a` (UTC, 60 minutes) unless told otherwise."""
    meters = kw.pop("meters", ((m(nn), *UTC60),))
    return Kind(
        nn, name, {f"readings/k{nn:02d}_{name}.{ext}": text(header + body)}, meters=meters, **kw
    )  # type: ignore[arg-type]


def _one_bad(nn: int, bad_line: str) -> str:
    """23 good hourly rows and one bad line in the middle."""
    return hourly(m(nn), hours=range(12)) + bad_line + hourly(m(nn), hours=range(13, 24))


def _row_kinds() -> list[Kind]:
    k: list[Kind] = []
    add = k.append
    # --- long files that land whole ------------------------------------------------------
    add(simple(1, "kwh_utc", hourly(m(1)), sent=24, bronze=24, kwh=36.0))
    add(
        simple(
            2,
            "wh",
            hourly(m(2), 1500),
            header="meter_id,timestamp,energy_wh\n",
            sent=24,
            bronze=24,
            kwh=36.0,
        )
    )
    add(
        simple(
            3,
            "kw_row_interval",
            "".join(f"{m(3)},{DAY}T{h:02d}:00:00Z,1.5,60\n" for h in range(24)),
            header="meter_id,timestamp,power_kw,interval_minutes\n",
            sent=24,
            bronze=24,
            kwh=36.0,
        )
    )
    add(
        simple(
            4,
            "kw_meter_interval",
            hourly(m(4)),
            header="meter_id,timestamp,power_kw\n",
            sent=24,
            bronze=24,
            kwh=36.0,
        )
    )
    add(
        simple(
            5,
            "offset_colon",
            "".join(f"{m(5)},{DAY}T{h:02d}:00:00+02:00,1.5\n" for h in range(2, 24)),
            sent=22,
            bronze=22,
            kwh=33.0,
        )
    )
    add(
        simple(
            6,
            "offset_compact",
            "".join(f"{m(6)},{DAY}T{h:02d}:00:00+0200,1.5\n" for h in range(2, 24)),
            sent=22,
            bronze=22,
            kwh=33.0,
        )
    )
    add(
        simple(
            7,
            "local_paris",
            "".join(f"{m(7)},{DAY}T{h:02d}:00:00,1.5\n" for h in range(2, 24)),
            meters=((m(7), "Europe/Paris", 60),),
            sent=22,
            bronze=22,
            kwh=33.0,
        )
    )
    add(simple(8, "space_separator", hourly(m(8)).replace("T", " "), sent=24, bronze=24, kwh=36.0))
    add(
        simple(
            9,
            "no_seconds",
            "".join(f"{m(9)},{DAY}T{h:02d}:00Z,1.5\n" for h in range(24)),
            sent=24,
            bronze=24,
            kwh=36.0,
        )
    )
    add(
        simple(
            10,
            "fractional_seconds",
            hourly(m(10)).replace(":00Z", ":00.000Z"),
            sent=24,
            bronze=24,
            kwh=36.0,
        )
    )
    add(
        simple(
            11,
            "lower_case_t_z",
            hourly(m(11)).replace("T", "t").replace("Z", "z"),
            sent=24,
            bronze=24,
            kwh=36.0,
        )
    )
    add(
        simple(
            12,
            "padded_values",
            "".join(f" {m(12)} , {DAY}T{h:02d}:00:00Z , 1.5 \n" for h in range(24)),
            sent=24,
            bronze=24,
            kwh=36.0,
        )
    )
    add(
        Kind(
            13,
            "utf8_bom",
            {"readings/k13_utf8_bom.csv": b"\xef\xbb\xbf" + text(LONG + hourly(m(13)))},
            meters=((m(13), *UTC60),),
            sent=24,
            bronze=24,
            kwh=36.0,
        )
    )
    add(
        Kind(
            14,
            "crlf",
            {"readings/k14_crlf.csv": text((LONG + hourly(m(14))).replace("\n", "\r\n"))},
            meters=((m(14), *UTC60),),
            sent=24,
            bronze=24,
            kwh=36.0,
        )
    )
    add(
        simple(
            15, "no_final_newline_settled", hourly(m(15)).rstrip("\n"), sent=24, bronze=24, kwh=36.0
        )
    )
    add(
        simple(
            16,
            "being_written",
            hourly(m(16), hours=range(12)) + f"{m(16)},{DAY}T12:00:00Z,1",
            sent=13,
            waiting=13,
            fresh=frozenset({"readings/k16_being_written.csv"}),
        )
    )
    add(
        Kind(
            17,
            "parquet_strings",
            {
                "readings/k17_parquet_strings.parquet": parquet(
                    pa.table(
                        {
                            "meter_id": [m(17)] * 24,
                            "timestamp": [f"{DAY}T{h:02d}:00:00Z" for h in range(24)],
                            "energy_kwh": ["1.5"] * 24,
                        }
                    )
                )
            },
            meters=((m(17), *UTC60),),
            sent=24,
            bronze=24,
            kwh=36.0,
        )
    )
    add(
        Kind(
            18,
            "parquet_typed",
            {
                "readings/k18_parquet_typed.parquet": parquet(
                    pa.table(
                        {
                            "meter_id": [m(18)] * 24,
                            "timestamp": pa.array(
                                [datetime(2024, 4, 2, h, tzinfo=UTC) for h in range(24)],
                                pa.timestamp("us", "UTC"),
                            ),
                            "energy_kwh": [1.5] * 24,
                        }
                    )
                )
            },
            meters=((m(18), *UTC60),),
            sent=24,
            bronze=24,
            kwh=36.0,
        )
    )
    add(
        Kind(
            19,
            "csv_gzip",
            {"readings/k19_csv_gzip.csv.gz": gzip.compress(text(LONG + hourly(m(19))))},
            meters=((m(19), *UTC60),),
            sent=24,
            bronze=24,
            kwh=36.0,
        )
    )
    add(
        Kind(
            20,
            "nested_folder",
            {"readings/2024/04/k20_nested_folder.csv": text(LONG + hourly(m(20)))},
            meters=((m(20), *UTC60),),
            sent=24,
            bronze=24,
            kwh=36.0,
        )
    )
    add(
        simple(
            21,
            "is_estimated",
            "".join(
                f"{m(21)},{DAY}T{h:02d}:00:00Z,1.5,{'yes' if h % 2 else 'F'}\n" for h in range(24)
            ),
            header="meter_id,timestamp,energy_kwh,is_estimated\n",
            sent=24,
            bronze=24,
            kwh=36.0,
        )
    )
    add(simple(22, "negative_export", hourly(m(22), -1.5), sent=24, bronze=24, kwh=-36.0))
    add(simple(23, "zeros", hourly(m(23), 0), sent=24, bronze=24, kwh=0.0))
    add(simple(24, "repeated_rows", hourly(m(24)) * 2, sent=48, bronze=48, silver=24, kwh=36.0))
    add(
        Kind(
            25,
            "later_file_corrects",
            {
                "readings/k25_a_original.csv": text(LONG + hourly(m(25), 1.0)),
                "readings/k25_b_correction.csv": text(LONG + hourly(m(25), 7.0)),
            },
            meters=((m(25), *UTC60),),
            sent=48,
            bronze=48,
            silver=24,
            kwh=168.0,
        )
    )
    add(
        simple(
            26,
            "unsorted",
            "".join(sorted(hourly(m(26)).splitlines(True), key=lambda line: line[::-1])),
            sent=24,
            bronze=24,
            kwh=36.0,
        )
    )
    add(
        simple(
            27,
            "finer_than_grid",
            "".join(f"{m(27)},{DAY}T{h // 2:02d}:{30 * (h % 2):02d}:00Z,0.75\n" for h in range(48)),
            sent=48,
            bronze=48,
            silver=24,
            kwh=36.0,
        )
    )
    add(
        simple(
            28,
            "no_interval_anywhere",
            "".join(f"{m(28)},{DAY}T{h // 2:02d}:{30 * (h % 2):02d}:00Z,1.5\n" for h in range(48)),
            header="meter_id,timestamp,power_kw\n",
            meters=((m(28), "UTC", None),),
            sent=48,
            bronze=48,
            kwh=36.0,
        )
    )
    add(
        simple(
            29,
            "quarter_hourly",
            "".join(
                f"{m(29)},{DAY}T{h // 4:02d}:{15 * (h % 4):02d}:00Z,0.375\n" for h in range(96)
            ),
            meters=((m(29), "UTC", 15),),
            sent=96,
            bronze=96,
            kwh=36.0,
        )
    )
    sydney = [f"{h:02d}:00" for h in range(24)]
    fall_back = [*sydney[:3], "02:00", *sydney[3:]]  # 25 local hours on 2024-04-07
    add(
        simple(
            30,
            "fall_back_newest_first",
            "".join(
                f"{m(30)},2024-04-07T{h}:00,{i}\n" for i, h in reversed(list(enumerate(fall_back)))
            ),
            meters=((m(30), "Australia/Sydney", 60),),
            sent=25,
            bronze=25,
            kwh=float(sum(range(25))),
        )
    )
    add(
        simple(
            31,
            "fall_back_in_order",
            "".join(f"{m(31)},2024-04-07T{h}:00,{i}\n" for i, h in enumerate(fall_back)),
            meters=((m(31), "Australia/Sydney", 60),),
            sent=25,
            bronze=25,
            kwh=float(sum(range(25))),
        )
    )
    add(
        simple(
            32,
            "spring_forward_gap",
            "".join(f"{m(32)},2024-03-31T{h:02d}:00:00,1\n" for h in range(24)),
            meters=((m(32), "Europe/Paris", 60),),
            sent=24,
            bronze=23,
            kwh=23.0,
            quarantined={"nonexistent local timestamp 2024-03-31T02:00:00 in Europe/Paris": 1},
        )
    )
    add(
        simple(
            33,
            "unicode_meter_id",
            hourly("K33-Zähler-ü"),
            meters=(("K33-Zähler-ü", *UTC60),),
            sent=24,
            bronze=24,
            kwh=36.0,
        )
    )
    add(
        simple(
            34,
            "quoted_comma_in_id",
            "".join(f'"K34-a,b",{DAY}T{h:02d}:00:00Z,1.5\n' for h in range(24)),
            meters=(("K34-a,b", *UTC60),),
            sent=24,
            bronze=24,
            kwh=36.0,
        )
    )
    add(
        simple(
            35,
            "off_grid_timestamps",
            hourly(m(35)).replace(":00:00Z", ":07:00Z"),
            sent=24,
            bronze=24,
            kwh=36.0,
        )
    )
    add(
        simple(
            36,
            "empty_value_is_a_gap",
            _one_bad(36, f"{m(36)},{DAY}T12:00:00Z,\n"),
            sent=24,
            bronze=24,
            silver=23,
            kwh=34.5,
        )
    )
    # --- single rows quarantined, the rest lands -----------------------------------------
    for nn, name, line, reason in [
        (40, "not_a_number", f"{m(40)},{DAY}T12:00:00Z,abc\n", "energy_kwh is not a number: abc"),
        (41, "nan", f"{m(41)},{DAY}T12:00:00Z,NaN\n", "energy_kwh is not finite: NaN"),
        (42, "infinite", f"{m(42)},{DAY}T12:00:00Z,inf\n", "energy_kwh is not finite: inf"),
        (43, "implausible_energy", f"{m(43)},{DAY}T12:00:00Z,1e12\n", "exceeds the ceiling"),
        (44, "missing_meter_id", f",{DAY}T12:00:00Z,1.5\n", "missing meter_id"),
        (
            45,
            "meter_never_described",
            f"K45-ghost,{DAY}T12:00:00Z,1.5\n",
            "meter never described: K45-ghost",
        ),
        (
            46,
            "unparsable_timestamp",
            f"{m(46)},yesterday noon,1.5\n",
            "unparsable timestamp: yesterday noon",
        ),
        (47, "missing_timestamp", f"{m(47)},,1.5\n", "missing timestamp"),
        (48, "date_only_timestamp", f"{m(48)},{DAY},1.5\n", "unparsable timestamp: 2024-04-02"),
        (49, "offset_out_of_range", f"{m(49)},{DAY}T12:00:00+25:00,1.5\n", "offset out of range"),
        (
            50,
            "impossible_date",
            f"{m(50)},2024-02-30T12:00:00Z,1.5\n",
            "unparsable timestamp: 2024-02-30",
        ),
        (
            51,
            "before_start_date",
            f"{m(51)},2024-03-29T12:00:00Z,1.5\n",
            "before the lake's first day 2024-03-30",
        ),
        (
            52,
            "year_1900",
            f"{m(52)},1900-04-02T12:00:00Z,1.5\n",
            "starts on 1900-04-02, before the lake's first day",
        ),
        (53, "year_2099", f"{m(53)},2099-04-02T12:00:00Z,1.5\n", "starts on 2099-04-02, after"),
        (54, "year_9999", f"{m(54)},9999-12-31T23:00:00Z,1.5\n", "starts on 9999-12-31, after"),
        (
            55,
            "extra_field",
            f"{m(55)},{DAY}T12:00:00Z,1.5,oops\n",
            "malformed CSV row: 4 fields where the header has 3",
        ),
        (
            56,
            "short_row",
            f"{m(56)},{DAY}T12:00:00Z\n",
            "malformed CSV row: 2 fields where the header has 3",
        ),
    ]:
        add(
            simple(
                nn, name, _one_bad(nn, line), sent=24, bronze=23, kwh=34.5, quarantined={reason: 1}
            )
        )
    add(
        simple(
            57,
            "is_estimated_not_boolean",
            "".join(
                f"{m(57)},{DAY}T{h:02d}:00:00Z,1.5,{'maybe' if h == 5 else 'n'}\n"
                for h in range(24)
            ),
            header="meter_id,timestamp,energy_kwh,is_estimated\n",
            sent=24,
            bronze=23,
            kwh=34.5,
            quarantined={"is_estimated is not a boolean: maybe": 1},
        )
    )
    add(
        simple(
            58,
            "interval_not_supported",
            "".join(f"{m(58)},{DAY}T{h:02d}:00:00Z,1.5,{7 if h == 5 else 60}\n" for h in range(24)),
            header="meter_id,timestamp,energy_kwh,interval_minutes\n",
            sent=24,
            bronze=23,
            kwh=34.5,
            quarantined={"interval_minutes is not one of": 1},
        )
    )
    add(
        simple(
            59,
            "power_overflows_on_conversion",
            _one_bad(59, f"{m(59)},{DAY}T12:00:00Z,1e308\n"),
            header="meter_id,timestamp,power_kw\n",
            sent=24,
            bronze=23,
            kwh=34.5,
            quarantined={"energy is not finite after unit conversion": 1},
        )
    )
    add(
        simple(
            60,
            "power_without_any_interval",
            f"{m(60)},{DAY}T01:00:00Z,1\n{m(60)},{DAY}T05:00:00Z,1\n{m(60)},{DAY}T17:00:00Z,1\n",
            header="meter_id,timestamp,power_kw\n",
            meters=((m(60), "UTC", None),),
            sent=3,
            quarantined={"power_kw needs the interval": 3},
        )
    )
    add(
        simple(
            61,
            "coarser_than_grid",
            hourly(m(61)),
            meters=((m(61), "UTC", 15),),
            sent=24,
            quarantined={
                "reading covers 60 minutes, coarser than meter K61-a's 15-minute grid": 24
            },
        )
    )
    add(
        simple(
            62,
            "unterminated_quote",
            hourly(m(62), hours=range(10))
            + f'{m(62)},"{DAY}T10:00:00Z,1.5\n'
            + hourly(m(62), hours=range(11, 24)),
            sent=24,
            bronze=10,
            kwh=15.0,
            quarantined={
                "at lines 12-25: a stray or unterminated quote folded 14 lines into one row": 1
            },
            swallowed=13,
        )
    )
    # --- meters rejected when described: their readings point at it ----------------------
    for nn, name, row, reason in [
        (
            65,
            "meter_unknown_zone",
            f"{m(65)},LOC,Mars/Olympus,60",
            "unknown time zone Mars/Olympus",
        ),
        (66, "meter_missing_location", f"{m(66)},,UTC,60", "missing location_id"),
        (67, "meter_bad_interval", f"{m(67)},LOC,UTC,7", "interval_minutes is not one of"),
    ]:
        add(
            Kind(
                nn,
                name,
                {
                    f"meters/k{nn}_{name}.csv": text(
                        f"meter_id,location_id,timezone,interval_minutes\n{row}\n"
                    ),
                    f"readings/k{nn}_{name}.csv": text(LONG + hourly(m(nn))),
                },
                sent=25,
                quarantined={f"meter {m(nn)} was rejected when described: {reason}": 24, reason: 1},
            )
        )
    add(
        Kind(
            68,
            "meter_described_twice_differently",
            {
                "meters/k68_twice.csv": text(
                    f"meter_id,location_id,timezone,interval_minutes\n{m(68)},LOC,UTC,60\n{m(68)},LOC,UTC,30\n"
                ),
                "readings/k68_twice.csv": text(LONG + hourly(m(68))),
            },
            sent=26,
            quarantined={
                f"meter {m(68)} was rejected when described": 24,
                "described 2 times in this file with different values": 2,
            },
        )
    )
    return k


def _file_kinds() -> list[Kind]:
    k: list[Kind] = []
    add = k.append
    good = hourly
    for nn, name, header, reason in [
        (
            70,
            "unknown_column",
            "meter_id,timestamp,energy_kwh,colour\n",
            "unknown columns: ['colour']",
        ),
        (
            71,
            "missing_timestamp_column",
            "meter_id,when,energy_kwh\n",
            "missing required columns: ['timestamp']",
        ),
        (72, "no_energy_column", "meter_id,timestamp,reading\n", "unknown columns: ['reading']"),
        (
            73,
            "mixed_units",
            "meter_id,timestamp,energy_kwh,energy_wh\n",
            "mixed units: several energy columns",
        ),
        (
            74,
            "duplicate_columns",
            "meter_id,timestamp,energy_kwh,energy_kwh\n",
            "duplicate columns: ['energy_kwh']",
        ),
        (75, "semicolon_delimited", "meter_id;timestamp;energy_kwh\n", "missing required columns"),
    ]:
        body = good(m(nn)) if header.count(",") == 2 else good(m(nn), "1.5,x")
        if nn == 75:
            body = good(m(nn)).replace(",", ";")
        add(
            simple(
                nn, name, body, header=header, sent=24, quarantined={reason: 1}, file_rejected=True
            )
        )
    add(
        Kind(
            76,
            "no_energy_column_only_ids",
            {
                "readings/k76_ids_only.csv": text(
                    "meter_id,timestamp\n"
                    + "".join(f"{m(76)},{DAY}T{h:02d}:00:00Z\n" for h in range(24))
                )
            },
            meters=((m(76), *UTC60),),
            sent=24,
            quarantined={"no energy column; expected exactly one of": 1},
            file_rejected=True,
        )
    )
    add(
        Kind(
            77,
            "empty_file",
            {"readings/k77_empty.csv": b""},
            sent=0,
            quarantined={"empty file: 0 bytes": 1},
            file_rejected=True,
        )
    )
    add(
        Kind(
            78,
            "header_only",
            {"readings/k78_header_only.csv": text(LONG)},
            sent=0,
            quarantined={"empty file: no data rows": 1},
            file_rejected=True,
        )
    )
    add(
        Kind(
            79,
            "latin1_bytes",
            {
                "readings/k79_latin1.csv": (
                    LONG + f"{m(79)},{DAY}T00:00:00Z,1.5\nK79-Z\xe4hler,{DAY}T01:00:00Z,1.5\n"
                ).encode("latin-1")
            },
            meters=((m(79), *UTC60),),
            sent=2,
            quarantined={"not UTF-8 text": 1},
            file_rejected=True,
        )
    )
    add(
        Kind(
            80,
            "corrupt_parquet",
            {"readings/k80_corrupt.parquet": b"PAR1 this is not a parquet file PAR1"},
            sent=0,
            quarantined={"unreadable file": 1},
            file_rejected=True,
        )
    )
    add(
        Kind(
            81,
            "parquet_list_column",
            {
                "readings/k81_list.parquet": parquet(
                    pa.table(
                        {
                            "meter_id": [m(81)],
                            "timestamp": [f"{DAY}T00:00:00Z"],
                            "energy_kwh": [[1.5, 2.0]],
                        }
                    )
                )
            },
            meters=((m(81), *UTC60),),
            sent=1,
            quarantined={"unsupported type": 1},
            file_rejected=True,
        )
    )
    huge = "x" * (5 * 1024 * 1024)
    add(
        simple(
            82,
            "huge_field",
            hourly(m(82), hours=range(3)) + f'{m(82)},{DAY}T03:00:00Z,"{huge}\n',
            sent=4,
            quarantined={"a field of more than 131072 characters ending at line 5": 1},
            file_rejected=True,
        )
    )
    add(
        Kind(
            83,
            "txt_extension",
            {"readings/k83_export.txt": text(LONG + hourly(m(83)))},
            meters=((m(83), *UTC60),),
            sent=24,
            quarantined={"unknown extension '.txt'": 1},
            file_rejected=True,
        )
    )
    add(
        Kind(
            84,
            "tsv_extension",
            {"readings/k84_export.tsv": text((LONG + hourly(m(84))).replace(",", "\t"))},
            meters=((m(84), *UTC60),),
            sent=24,
            quarantined={"unknown extension '.tsv'": 1},
            file_rejected=True,
        )
    )
    add(
        Kind(
            85,
            "hidden_file",
            {"readings/.k85_partial.csv": text(LONG + hourly(m(85)))},
            meters=((m(85), *UTC60),),
            sent=24,
            quarantined={"hidden file": 1},
            file_rejected=True,
        )
    )
    add(
        Kind(
            87,
            "hidden_upload_in_progress",
            {"readings/.k87_upload.csv.part": text(LONG + hourly(m(87), hours=range(5)))},
            meters=((m(87), *UTC60),),
            sent=5,
            waiting=5,
            fresh=frozenset({"readings/.k87_upload.csv.part"}),
        )
    )
    add(
        Kind(
            86,
            "same_bytes_twice",
            {
                "readings/k86_a.csv": text(LONG + hourly(m(86))),
                "readings/k86_b_copy.csv": text(LONG + hourly(m(86))),
            },
            meters=((m(86), *UTC60),),
            sent=48,
            bronze=24,
            kwh=36.0,
            quarantined={"duplicate: same content as": 1},
            in_rejected_files=24,
        )
    )
    return k


def _wide_kinds() -> list[Kind]:
    k: list[Kind] = []
    add = k.append

    def wide_kind(nn: int, name: str, body: str, meters: tuple = (), **kw: object) -> Kind:
        return Kind(
            nn,
            name,
            {f"readings/k{nn}_{name}.csv": text(body)},
            meters=meters or ((m(nn), *UTC60),),
            **kw,
        )  # type: ignore[arg-type]

    add(wide_kind(90, "wide_h1_h24", wide(m(90), H24, ["1.5"] * 24), sent=24, bronze=24, kwh=36.0))
    add(
        wide_kind(
            91,
            "wide_h0_h23",
            wide(m(91), [f"h{k}" for k in range(24)], ["1.5"] * 24),
            sent=24,
            bronze=24,
            kwh=36.0,
        )
    )
    half = [f"{k // 2:02d}:{30 * (k % 2):02d}" for k in range(48)]
    add(
        wide_kind(
            92,
            "wide_48_starts",
            wide(m(92), half, ["0.75"] * 48),
            meters=((m(92), "UTC", 30),),
            sent=48,
            bronze=48,
            kwh=36.0,
        )
    )
    quarter_ends = [f"{k // 4:02d}:{15 * (k % 4):02d}" for k in range(1, 97)]
    add(
        wide_kind(
            93,
            "wide_96_ends",
            wide(m(93), quarter_ends, ["0.375"] * 96),
            meters=((m(93), "UTC", 15),),
            sent=96,
            bronze=96,
            kwh=36.0,
        )
    )
    add(
        wide_kind(
            94,
            "wide_thousands_separators",
            wide(m(94), H24, ['"16,853"'] * 24, unit="Wh"),
            sent=24,
            bronze=24,
            kwh=24 * 16.853,
        )
    )
    add(
        wide_kind(
            95,
            "wide_bad_cell",
            wide(m(95), H24, ["1.5"] * 23 + ["n/a"]),
            sent=24,
            bronze=23,
            kwh=34.5,
            quarantined={"energy_kwh is not a number: n/a": 1},
        )
    )
    add(
        wide_kind(
            96,
            "wide_unknown_layout",
            wide(m(96), H24[:23], ["1.5"] * 23),
            sent=23,
            quarantined={"wide file: 23 value columns": 1},
            file_rejected=True,
        )
    )
    add(
        wide_kind(
            97,
            "wide_no_unit",
            f"meter_id,date,{','.join(H24)}\n{m(97)},{DAY},{','.join(['1'] * 24)}\n",
            sent=24,
            quarantined={"wide file (a date column): missing ['unit']": 1},
            file_rejected=True,
        )
    )
    two_days = "".join(
        f"{meter},2024-04-0{d},kW,{','.join(['2'] * 24)}\n"
        for meter in (m(98), m(98, "b"))
        for d in (2, 3)
    )
    add(
        wide_kind(
            98,
            "wide_two_meters_two_days",
            f"meter_id,date,unit,{','.join(H24)}\n{two_days}",
            meters=((m(98), *UTC60), (m(98, "b"), *UTC60)),
            sent=96,
            bronze=96,
            kwh=192.0,
        )
    )
    add(
        wide_kind(
            99,
            "wide_local_spring_forward",
            wide(m(99), H24, ["1"] * 2 + [""] + ["1"] * 21, day="2024-03-31"),
            meters=((m(99), "Europe/Paris", 60),),
            sent=23,
            bronze=23,
            kwh=23.0,
        )
    )
    return k


def _weather_kinds() -> list[Kind]:
    header = "location_id,timestamp,temperature_c,kind,issued_at\n"

    def rows(
        nn: int,
        hours: range = range(24),
        temperature: str = "11.5",
        kind: str = "observation",
        issued: str = "",
    ) -> str:
        return "".join(f"W{nn},{DAY}T{h:02d}:00:00Z,{temperature},{kind},{issued}\n" for h in hours)

    def weather(nn: int, name: str, body: str, **kw: object) -> Kind:
        return Kind(
            nn, name, {f"weather/k{nn}_{name}.csv": text(header + body)}, weather=True, **kw
        )  # type: ignore[arg-type]

    return [
        weather(100, "weather_observations", rows(100), sent=24, bronze=24),
        weather(
            101,
            "weather_forecast_issued",
            rows(101, kind="forecast", issued=f"{DAY}T00:00:00Z"),
            sent=24,
            bronze=24,
        ),
        weather(
            102,
            "weather_forecast_without_issue",
            rows(102, hours=range(23)) + rows(102, hours=range(23, 24), kind="forecast"),
            sent=24,
            bronze=23,
            quarantined={"forecast without issued_at": 1},
        ),
        weather(
            103,
            "weather_bad_temperature",
            rows(103, hours=range(23)) + rows(103, hours=range(23, 24), temperature="warm"),
            sent=24,
            bronze=23,
            quarantined={"temperature_c is not a number: warm": 1},
        ),
        weather(
            104,
            "weather_local_time_unknown_location",
            rows(104, hours=range(23)) + f"W104,{DAY}T23:00:00,11.5,observation,\n",
            sent=24,
            bronze=23,
            quarantined={"timestamp without offset for a location of unknown time zone": 1},
        ),
        weather(
            105,
            "weather_unknown_kind",
            rows(105, hours=range(23)) + rows(105, hours=range(23, 24), kind="guess"),
            sent=24,
            bronze=23,
            quarantined={"unknown kind guess": 1},
        ),
    ]


KINDS: list[Kind] = [*_row_kinds(), *_file_kinds(), *_wide_kinds(), *_weather_kinds()]
