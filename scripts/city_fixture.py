"""Writes tests/fixtures/city/block.osm.pbf with pyosmium (PyPI `osmium`),
and broken.osm.pbf: one building way that does not close (way 7, nodes
1 2 3), for tests/city_import.rs.

The same elements are built by hand in src/city/osm_tests.rs (`block()`);
the unit test there checks that reading this file gives the same features.
Grid units are 1e-4 degrees (about 5.6 m east, 11.1 m north at 60°N)
from 24.94°E, 60.17°N.

    python3 -m venv target/city-venv && target/city-venv/bin/pip install osmium
    target/city-venv/bin/python scripts/city_fixture.py
"""
import os
import osmium
from osmium.osm.mutable import Node, Way, Relation

OUT = "tests/fixtures/city/block.osm.pbf"
BROKEN = "tests/fixtures/city/broken.osm.pbf"
NODES = {
    1: (0, 0), 2: (4, 0), 3: (4, 4), 4: (0, 4),            # way 100, a square
    5: (10, 0), 6: (14, 0),                                 # way 101 (node 99 missing)
    10: (20, 0), 11: (30, 0), 12: (30, 10), 13: (20, 10),   # relation 987's outer ways
    20: (23, 3), 21: (27, 3), 22: (27, 7), 23: (23, 7),     # its courtyard
    30: (40, 0), 31: (50, 0), 32: (50, 10), 33: (40, 10),   # way 204, relation 989's outer
    34: (43, 3), 35: (47, 3), 36: (47, 7),                  # its (triangular) courtyard
    40: (0, 20), 41: (20, 20), 42: (40, 20),                # street 300
    50: (0, 30), 52: (20, 30), 53: (30, 30),                # street 301 (node 51 missing)
}
WAYS = [
    (100, [1, 2, 3, 4, 1], {"building": "yes", "name": "Talo", "building:levels": "5"}),
    (101, [5, 6, 99, 5], {"building": "yes"}),
    (201, [10, 11, 12], {}),
    (202, [12, 13, 10], {}),
    (203, [20, 21, 22, 23, 20], {}),
    (204, [30, 31, 32, 33, 30], {"building": "yes", "name": "Old"}),
    (205, [34, 35, 36, 34], {}),
    (300, [40, 41, 42], {"highway": "primary", "name": "Mannerheimintie", "lanes": "3",
                         "maxspeed": "40", "surface": "asphalt"}),
    (301, [50, 51, 52, 53], {"highway": "residential"}),
    (302, [40, 41], {"highway": "footway"}),
]
RELATIONS = [
    (987, [("w", 201, "outer"), ("w", 202, "outer"), ("w", 203, "inner")],
     {"type": "multipolygon", "building": "yes", "height": "18", "name": "Courtyard"}),
    (989, [("w", 204, "outer"), ("w", 205, "inner")],
     {"type": "multipolygon", "building": "apartments", "building:levels": "4"}),
]

if os.path.exists(OUT):
    os.remove(OUT)
w = osmium.SimpleWriter(OUT)
for i, (x, y) in NODES.items():
    w.add_node(Node(id=i, location=(24.94 + x * 1e-4, 60.17 + y * 1e-4), tags={}))
for i, refs, tags in WAYS:
    w.add_way(Way(id=i, nodes=refs, tags=tags))
for i, members, tags in RELATIONS:
    w.add_relation(Relation(id=i, members=members, tags=tags))
w.close()
print(OUT, os.path.getsize(OUT), "bytes")

if os.path.exists(BROKEN):
    os.remove(BROKEN)
w = osmium.SimpleWriter(BROKEN)
for i in (1, 2, 3):
    x, y = NODES[i]
    w.add_node(Node(id=i, location=(24.94 + x * 1e-4, 60.17 + y * 1e-4), tags={}))
w.add_way(Way(id=7, nodes=[1, 2, 3], tags={"building": "yes"}))
w.close()
print(BROKEN, os.path.getsize(BROKEN), "bytes")
