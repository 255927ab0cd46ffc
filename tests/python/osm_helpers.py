"""Helpers shared by the OSM tests: real OSM extracts of the data directory moved to another
place (e.g. into a regency of Banten), written by the tests themselves."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path


def shifted_osm(src: Path, out: Path, lon: float, lat: float, facilities: list[tuple[str, str, float, float]]) -> Path:
    """A real extract moved to (lon, lat) (its south-west corner), as OSM XML, with facility
    nodes added at offsets from that corner (sorted ids kept: they follow the file's nodes)."""
    xml = subprocess.run(["osmium", "cat", "-f", "osm", str(src)], check=True, capture_output=True,
                         text=True).stdout
    lats = [float(v) for v in re.findall(r' lat="([-0-9.]+)"', xml)]
    lons = [float(v) for v in re.findall(r' lon="([-0-9.]+)"', xml)]
    dlat, dlon = lat - min(lats), lon - min(lons)
    xml = re.sub(r' lat="([-0-9.]+)"', lambda m: f' lat="{float(m.group(1)) + dlat:.7f}"', xml)
    xml = re.sub(r' lon="([-0-9.]+)"', lambda m: f' lon="{float(m.group(1)) + dlon:.7f}"', xml)
    extra = "".join(
        f'  <node id="{900000000 + i}" version="1" lat="{lat + dy:.7f}" lon="{lon + dx:.7f}">'
        f'<tag k="amenity" v="{amenity}"/><tag k="name" v="{name}"/></node>\n'
        for i, (name, amenity, dx, dy) in enumerate(facilities))
    first_way = xml.index("  <way ")
    out.write_text(xml[:first_way] + extra + xml[first_way:])
    return out
