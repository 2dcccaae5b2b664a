#!/usr/bin/env python3
"""bench/plan-scale's helper: writes synthetic clusters and times a command.

  plan-scale.py static NODES GROUPS MEMBERS FILE   a static description (doc/static-cluster.md)
  plan-scale.py xml NODES GROUPS MEMBERS FILE      the same cluster as crm_mon --output-as=xml
  plan-scale.py manifest GROUPS FILE [GROUP...]    a service pack updating GROUP... (default:
                                                   g1..gGROUPS, every group)
  plan-scale.py time RUNS CMD...                   run CMD RUNS times (stdout discarded):
                                                   prints "MEDIAN_MS MAX_RSS_KB EXIT"

The cluster: nodes n1..nNODES, online, version 1; groups g1..gGROUPS, group
gI on node n((I-1) mod NODES + 1), members gI-r1..gI-rM where M is MEMBERS,
or 3 and 4 in turn when MEMBERS is 0 (groups of 3-4 resources). The XML has
what clupdate asks crm_mon for (summary, nodes, resources, node attributes;
no history), in the shape of tests/fixtures/crm_mon/*.xml.
"""
import os
import statistics
import subprocess
import sys
import time


def members_of(i, members):
    return members if members else 3 + (i % 2)


def write_static(nodes, groups, members, path):
    with open(path, "w") as f:
        f.write(f"# bench/plan-scale: {nodes} nodes, {groups} groups\n")
        f.write("[cluster]\nname = scale\nquorum = yes\n\n")
        for n in range(1, nodes + 1):
            f.write(f'[node "n{n}"]\nversion = 1\n\n')
        for g in range(1, groups + 1):
            names = " ".join(f"g{g}-r{r}" for r in range(1, members_of(g, members) + 1))
            owner = (g - 1) % nodes + 1
            f.write(f'[group "g{g}"]\nmembers = {names}\nowner = n{owner}\n'
                    f"address = 10.{g >> 16 & 255}.{g >> 8 & 255}.{g & 255}\n\n")


def write_xml(nodes, groups, members, path):
    resources = sum(members_of(g, members) for g in range(1, groups + 1))
    with open(path, "w") as f:
        f.write('<pacemaker-result api-version="2.25" request="crm_mon --output-as=xml '
                '--inactive --exclude=all --include=summary,options,nodes,resources,'
                'attributes,bans,failures">\n')
        f.write('  <summary>\n    <stack type="corosync"/>\n'
                '    <current_dc present="true" version="2.1.5-a3f44794f94" name="n1" id="1" '
                'with_quorum="true" mixed_version="false"/>\n'
                '    <last_update time="Tue Nov 24 04:04:10 2026"/>\n'
                '    <last_change time="Tue Nov 24 04:04:08 2026" user="root" '
                'client="crm_attribute" origin="n1"/>\n'
                f'    <nodes_configured number="{nodes}"/>\n'
                f'    <resources_configured number="{resources}" disabled="0" blocked="0"/>\n'
                '    <cluster_options stonith-enabled="false" symmetric-cluster="true" '
                'no-quorum-policy="stop" maintenance-mode="false" stop-all-resources="false" '
                'stonith-timeout-ms="30000" priority-fencing-delay-ms="0"/>\n  </summary>\n')
        running = [0] * (nodes + 1)
        for g in range(1, groups + 1):
            running[(g - 1) % nodes + 1] += members_of(g, members)
        f.write("  <nodes>\n")
        for n in range(1, nodes + 1):
            f.write(f'    <node name="n{n}" id="{n}" online="true" standby="false" '
                    'standby_onfail="false" maintenance="false" pending="false" '
                    'unclean="false" health="green" feature_set="3.16.1" shutdown="false" '
                    f'expected_up="true" is_dc="{"true" if n == 1 else "false"}" '
                    f'resources_running="{running[n]}" type="member"/>\n')
        f.write("  </nodes>\n  <resources>\n")
        for g in range(1, groups + 1):
            m = members_of(g, members)
            owner = (g - 1) % nodes + 1
            f.write(f'    <group id="g{g}" number_resources="{m}" managed="true" '
                    'disabled="false">\n')
            for r in range(1, m + 1):
                f.write(f'      <resource id="g{g}-r{r}" resource_agent="ocf:pacemaker:Dummy" '
                        'role="Started" active="true" orphaned="false" blocked="false" '
                        'managed="true" failed="false" failure_ignored="false" '
                        f'nodes_running_on="1">\n        <node name="n{owner}" id="{owner}" '
                        'cached="true"/>\n      </resource>\n')
            f.write("    </group>\n")
        f.write("  </resources>\n  <node_attributes>\n")
        for n in range(1, nodes + 1):
            f.write(f'    <node name="n{n}">\n      <attribute name="app-version" value="1"/>\n'
                    "    </node>\n")
        f.write('  </node_attributes>\n  <status code="0" message="OK"/>\n'
                "</pacemaker-result>\n")


def write_manifest(groups, path, names):
    names = names or [f"g{g}" for g in range(1, groups + 1)]
    with open(path, "w") as f:
        f.write("# bench/plan-scale: a service pack of the application every group runs;\n"
                "# it does not change the data format (no data migration), in place.\n"
                "[update]\nname = app-sp2\nversion = 2\n"
                f"groups = {' '.join(names)}\n"
                "strategy = in-place\ndata-migration = no\n"
                "version-attribute = app-version\n\n"
                "[install]\ncommand = /bin/true\nverify = echo 2\n")


def time_command(runs, argv):
    walls, rss, code = [], 0, 0
    for _ in range(runs):
        start = time.monotonic()
        with open(os.devnull, "wb") as null:
            proc = subprocess.Popen(argv, stdout=null, stderr=null)
            _, status, usage = os.wait4(proc.pid, 0)
        walls.append((time.monotonic() - start) * 1000)
        rss = max(rss, usage.ru_maxrss)
        code = os.waitstatus_to_exitcode(status)
    print(f"{statistics.median(walls):.1f} {rss} {code}")


def main(argv):
    what = argv[1] if len(argv) > 1 else ""
    if what in ("static", "xml") and len(argv) == 6:
        write = write_static if what == "static" else write_xml
        write(int(argv[2]), int(argv[3]), int(argv[4]), argv[5])
    elif what == "manifest" and len(argv) >= 4:
        write_manifest(int(argv[2]), argv[3], argv[4:])
    elif what == "time" and len(argv) >= 4:
        time_command(int(argv[2]), argv[3:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
