"""The shipped reference data is the public data, unchanged, and loads as the product
needs it."""

import gzip
import hashlib
import re

from sqlalchemy import func, select

from singlewindow.platform.extensions import db
from singlewindow.platform.reference import codes, loader
from singlewindow.platform.reference.models import Location

from helpers import REPO

DATA = REPO / "platform" / "reference" / "data"


def git_blob(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def test_shipped_files_are_the_files_provenance_names():
    provenance = (DATA / "PROVENANCE.md").read_text(encoding="utf-8")
    copies = {  # file -> blob column of the summary table, for files marked "copy"
        m[1]: m[2] for m in re.finditer(
            r"^\| `([^`]+)` \|[^|]*\| copy \|[^|]*\|[^|]*\|[^|]*\|[^|]*\| ([0-9a-f]{40}) \|",
            provenance, re.M)
    }
    converted = dict(re.findall(r"`([a-z0-9/.-]+\.csv)`\s+([0-9a-f]{40})", provenance))
    expected = {**copies, **converted}
    shipped = sorted(p.relative_to(DATA).as_posix()[:-3] for p in DATA.rglob("*.csv.gz"))
    assert shipped
    for name in shipped:
        assert name in expected, f"{name} is not accounted for in PROVENANCE.md"
        raw = gzip.decompress((DATA / f"{name}.gz").read_bytes())
        assert git_blob(raw) == expected[name], f"{name} differs from its recorded source"


def test_loaded_once_and_not_again(ctx):
    assert loader.load_all() == {}  # the session fixture loaded it; same bytes, nothing to do


def test_code_lists_hold_the_real_codes(ctx):
    lists = codes.lists()
    assert lists.hs["090111"][0] == 6 and "380899" in lists.hs and "380897" not in lists.hs
    assert "TOTAL" not in lists.hs
    assert "999999" not in lists.hs and "99" not in lists.hs  # Comtrade's "not specified"
    assert {"KEMBA", "KENBO", "CNSHA", "CNSGH", "USLAX", "GBFXT"} <= lists.locodes
    assert "GBFXX" not in lists.locodes
    assert lists.currencies["JPY"] == 0 and lists.currencies["KWD"] == 3
    assert lists.currencies["XAU"] is None and "RMB" not in lists.currencies
    assert "ANG" not in lists.currencies and "XCG" in lists.currencies  # withdrawn 2025
    assert {"KGM", "TNE", "NAR", "LTR"} <= set(lists.units) and "XYZ" not in lists.units
    assert {"BG", "BX", "CT", "DR", "PX", "BE", "CS", "VR", "1A"} <= set(lists.package_types)
    assert len(lists.countries) == 249 and lists.countries["KE"] == "Kenya"
    rows = db.session.execute(select(func.count()).select_from(Location)
                              .where(Location.locode == "BEBRU")).scalar_one()
    assert rows == 2  # official bilingual names both kept
