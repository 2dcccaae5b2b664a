#!/usr/bin/python3
"""The admin state of a Pacemaker CIB, normalised for diffing.

Reads `cibadmin --query` on stdin; prints one sorted line per item of what
`clupdate abort` must put back: every constraint (its tag and all its
attributes), every permanent node attribute, every resource's meta
attribute (and rsc_defaults/op_defaults), and the cluster properties.
Left out, because they are not admin state: the status section (transient
attributes, operation history), the CIB's epochs and timestamps, and the
properties the engine writes itself (dc-version, cluster-infrastructure,
cluster-name, have-watchdog, last-lrm-refresh). Node attributes named with
--skip-node-attribute NAME (a node's recorded software version, which abort
keeps, since software is not rolled back) are left out too.

Usage: cib-snapshot.py [--skip-node-attribute NAME]... < cib.xml
"""
import sys
import xml.etree.ElementTree as ET

ENGINE_PROPERTIES = {"dc-version", "cluster-infrastructure", "cluster-name",
                     "have-watchdog", "last-lrm-refresh"}


def attrs(e):
    return " ".join(f"{k}={v}" for k, v in sorted(e.attrib.items()))


def main(argv):
    skip = {argv[i + 1] for i, a in enumerate(argv) if a == "--skip-node-attribute"}
    cib = ET.parse(sys.stdin).getroot()
    conf = cib.find("configuration")
    lines = []
    for c in conf.find("constraints") or []:
        lines.append(f"constraint {c.tag} {attrs(c)}")
        for sub in c.iter():
            if sub is not c:
                lines.append(f"constraint {c.get('id')} {sub.tag} {attrs(sub)}")
    for node in conf.find("nodes") or []:
        for pair in node.findall("instance_attributes/nvpair"):
            if pair.get("name") not in skip:
                lines.append(f"node {node.get('uname')} {pair.get('name')}={pair.get('value')}")
    for res in conf.find("resources").iter():
        for pair in res.findall("meta_attributes/nvpair"):
            lines.append(f"meta {res.tag} {res.get('id')} {pair.get('name')}={pair.get('value')}")
    for section in ("rsc_defaults", "op_defaults"):
        for pair in conf.findall(f"{section}/meta_attributes/nvpair"):
            lines.append(f"{section} {pair.get('name')}={pair.get('value')}")
    for props in conf.findall("crm_config/cluster_property_set"):
        for pair in props.findall("nvpair"):
            if pair.get("name") not in ENGINE_PROPERTIES:
                lines.append(f"property {props.get('id')} {pair.get('name')}={pair.get('value')}")
    print("\n".join(sorted(lines)))


if __name__ == "__main__":
    main(sys.argv[1:])
