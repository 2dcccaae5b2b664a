/*
 * Reading a Pacemaker cluster's state: `crm_mon --output-as=xml` -> the
 * cluster model (struct clu_cluster).
 *
 * What is read, from crm_mon's XML (schema: Pacemaker's
 * api/crm_mon-2.*.rng; written against 2.25, Pacemaker 2.1.5):
 *
 *  - quorum: <summary><current_dc with_quorum="true">. Without a DC
 *    (present="false") the partition is taken not to have quorum.
 *  - nodes, from <nodes><node>: name, online, standby (or standby_onfail),
 *    maintenance. Nodes of type "ping" cannot run resources and are left
 *    out. The installed application version is the value of the node
 *    attribute named by the caller (<node_attributes><node><attribute>);
 *    NULL when the node has none. crm_mon lists the attributes of online
 *    nodes only: clu_pacemaker_parse_config() fills in the others.
 *  - groups, from the top-level <resources><group>: members in group order;
 *    owner = the node the members run on, NULL when none runs; managed =
 *    false when the group or any member is unmanaged (is-managed=false, or
 *    cluster maintenance-mode). A group active on more than one node at
 *    once (its members split between nodes, or a member with several
 *    <node>s: multi-active) is refused, naming the group and the nodes:
 *    clupdate cannot pin, move or update it until the cluster recovers it.
 *    A top-level primitive that is not in a group (and is not a fence
 *    device, class stonith) is read as a group of one member named after
 *    it: to Pacemaker and to the update procedure it is the same thing.
 *    Clones and bundles are not failover groups and are left out, as are
 *    orphaned resources (in the status but no longer configured).
 *  - bans, from <bans><ban>: a location constraint of score -INFINITY on
 *    the group or one of its members bans the group from that node (a
 *    group's members always run together). Finite negative scores only
 *    discourage and are ignored, as are promoted-only bans and bans of
 *    nodes crm_mon does not list.
 *  - data_version: crm_mon knows nothing of application data, so it is
 *    inferred as the installed version of the owner: the shared data is at
 *    the version of the node that last ran it. NULL when the group is
 *    stopped or the owner's version is unknown.
 *  - name: crm_mon 2.1.5 does not report the cluster name; it comes from
 *    the configuration (clu_pacemaker_parse_config()).
 *  - address: not in crm_mon's output; stays NULL.
 *
 * A saved crm_mon XML alone (source xml:FILE) therefore has no cluster name
 * and no version for offline nodes; the live reader runs both commands.
 *
 * Unknown elements and attributes are ignored (newer crm_mon add some).
 * Missing required structure (not crm_mon XML, no <summary>, <nodes> or
 * <resources>, a node or resource without its id) is a CLU_E_CLUSTER error
 * that names the source, as is crm_mon's own failure status (its
 * <status code> and <errors> are quoted).
 *
 * What comes from the cluster is checked where it is read, before anything
 * is planned from it: node, group and resource names, the cluster name and
 * versions follow the one rule of cluster.h (clu_name_check(),
 * clu_version_check()) that the static file follows too; an empty version
 * attribute is an unknown version. A document with a DTD is refused
 * (lib/xml.h: crm_mon and cibadmin never write one, and entity expansion
 * is how a small document takes gigabytes). Text of the document
 * quoted in messages is shown escaped (clu_display()).
 *
 * Threads: parsing keeps no state of its own, but libxml2 2.9 wants
 * xmlInitParser() to have run once before threads parse concurrently;
 * the front end's first read of the cluster (on the main thread) does it.
 */
#ifndef CLUPDATE_PACEMAKER_H
#define CLUPDATE_PACEMAKER_H

#include <stddef.h>

#include "clupdate/cluster.h"
#include "clupdate/err.h"

/*
 * The crm_mon command line that produces what clu_pacemaker_parse() reads,
 * as a NULL-terminated argv (static, immutable: safe from any thread):
 *
 *   crm_mon --output-as=xml --inactive --exclude=all
 *           --include=summary,options,nodes,resources,attributes,bans
 *
 * XML output is one-shot. The sections are named explicitly rather than
 * taking XML's default of everything, so that a crm_mon with another
 * default still gives node attributes (the versions) and bans, and so that
 * crm_mon does not query the fencer for fencing history, which can hang
 * while fencing is in trouble (exactly when clupdate must not). Transports
 * that run crm_mon on another node use this same vector.
 */
const char *const *clu_pacemaker_status_argv(void);

/*
 * The second command of the live reader, the cluster's configuration
 * (crm_config and permanent node attributes), as a static NULL-terminated
 * argv:   cibadmin --query --scope=configuration
 */
const char *const *clu_pacemaker_config_argv(void);

/*
 * Parse crm_mon XML (xml[0..len), need not be NUL-terminated) into *out,
 * which it initialises; on error *out holds nothing to release.
 * version_attribute names the node attribute that holds the installed
 * version (e.g. "mail-version"); NULL leaves every version unknown.
 * where names the source in messages (e.g. "xml:lab.xml", "pacemaker").
 * The model is checked with clu_cluster_validate().
 *
 * Returns 0 or CLU_E_CLUSTER, e.g.
 *   "xml:x.xml: not XML: line 3: Opening and ending tag mismatch: ..."
 *   "xml:x.xml: crm_mon output has a document type declaration
 *    (<!DOCTYPE pacemaker-result>), which crm_mon never writes: refused"
 *   "xml:x.xml: not crm_mon output: root element is <cib>"
 *   "xml:x.xml: <nodes>: node name '-oProxyCommand=id' starts with '-'
 *    (expected 1 to 253 letters, digits, ...)"
 *   "xml:x.xml: group 'mail' is active on more than one node: 'n1', 'n2'
 *    (expected one node: let the cluster recover it first)"
 *   "pacemaker: crm_mon failed with status 102 (Not connected): crm_mon: ..."
 *   "xml:x.xml: no <nodes> in crm_mon output"
 */
int clu_pacemaker_parse(struct clu_cluster *out, const char *xml, size_t len,
			const char *version_attribute, const char *where,
			struct clu_err *err);

/*
 * Complete a model read by clu_pacemaker_parse() with the configuration,
 * xml[0..len) being `cibadmin --query --scope=configuration` (root
 * <configuration>) or a whole CIB (`cibadmin --query`, root <cib>): the
 * cluster name (property cluster-name) when the model has none, and, for
 * nodes whose version is unknown (offline nodes), the permanent node
 * attribute version_attribute (a set with a rule is skipped: only the
 * cluster evaluates rules). crm_mon's values, which include transient
 * attributes, are never overridden. Data versions are inferred again.
 * The name and the versions are checked as clu_pacemaker_parse() checks
 * them, before any is stored. Returns 0 or CLU_E_CLUSTER ("pacemaker: not
 * XML: ...", "pacemaker: not the CIB's configuration: root element is
 * <x>", "pacemaker: cluster-name 'my cluster' has a space (expected
 * ...)", a DTD refused); *cluster is left as it was on error, for the
 * caller to release.
 */
int clu_pacemaker_parse_config(struct clu_cluster *cluster, const char *xml, size_t len,
			       const char *version_attribute, const char *where,
			       struct clu_err *err);

/*
 * Read a saved crm_mon XML file; where in messages is "xml:PATH".
 * Returns 0, CLU_E_IO ("cannot read 'PATH': No such file or directory") or
 * CLU_E_CLUSTER as clu_pacemaker_parse().
 */
int clu_pacemaker_read_file(struct clu_cluster *out, const char *path,
			    const char *version_attribute, struct clu_err *err);

#endif
