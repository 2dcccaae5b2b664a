/*
 * Unit tests of the Pacemaker state reader (lib/pacemaker.c).
 *
 * The model is checked against real captures of `crm_mon --output-as=xml`
 * from lab clusters (tests/fixtures/crm_mon/, see its README). The reader's
 * individual rules and its errors are checked on small documents written
 * here, in crm_mon's shape (schema api/crm_mon-2.25.rng) but marked as
 * what they are: test inputs, not captures. The live reader runs stand-ins
 * for crm_mon and cibadmin put first on PATH, which check their arguments;
 * the real crm_mon, replaying each capture's CIB, checks those arguments
 * against real data. Hostile inputs (hostile-*.xml, each a capture edited
 * and marked as such) are refused before anything is planned from them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "clupdate/pacemaker.h"
#include "clupdate/proc.h"
#include "clupdate/pacemaker-backend.h"
#include "clupdate/plan.h"
#include "clupdate/target.h"
#include "util.h"

#define CAPTURES "tests/fixtures/crm_mon/"

static char tmpdir[64];

static int make_tmpdir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/clu-test-pacemaker-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
	char path[128];

	(void)state;
	static const char *const files[] = { "crm_mon", "cibadmin", "cibadmin.log", "output.xml",
					     "config.xml" };

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, files[i]);
		unlink(path);
	}
	return rmdir(tmpdir);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static int parse(struct clu_cluster *c, const char *xml, const char *attribute,
		 struct clu_err *err)
{
	return clu_pacemaker_parse(c, xml, strlen(xml), attribute, "test", err);
}

static void check_error(const char *xml, const char *expected)
{
	struct clu_cluster c;
	struct clu_err err = CLU_ERR_INIT;

	memset(&c, 0xa5, sizeof(c));
	assert_int_equal(parse(&c, xml, "v", &err), CLU_E_CLUSTER);
	assert_int_equal(err.code, CLU_E_CLUSTER);
	assert_string_equal(err.msg, expected);
	assert_null(c.nodes);
	assert_null(c.groups);
}

static void assert_node(const struct clu_cluster *c, const char *name, bool online,
			bool standby, bool maintenance, const char *version)
{
	const struct clu_node *n = clu_cluster_node(c, name);

	assert_non_null(n);
	assert_int_equal(n->online, online);
	assert_int_equal(n->standby, standby);
	assert_int_equal(n->maintenance, maintenance);
	if (version)
		assert_string_equal(n->version, version);
	else
		assert_null(n->version);
}

/* ---- the rules, on test inputs ---- */

#define HEAD "<pacemaker-result api-version=\"2.25\" request=\"crm_mon --output-as=xml\">\n"
#define SUMMARY_QUORATE "<summary><current_dc present=\"true\" version=\"2.1.5\" " \
	"name=\"a\" id=\"1\" with_quorum=\"true\"/></summary>\n"
#define TAIL "<status code=\"0\" message=\"OK\"/>\n</pacemaker-result>\n"
#define NODE(name, online, standby, maint, type) \
	"<node name=\"" name "\" id=\"" name "\" online=\"" online "\" standby=\"" standby \
	"\" standby_onfail=\"false\" maintenance=\"" maint "\" pending=\"false\" " \
	"unclean=\"false\" shutdown=\"false\" expected_up=\"true\" is_dc=\"false\" " \
	"resources_running=\"0\" type=\"" type "\"/>\n"
#define RSC(id, agent, managed, on) \
	"<resource id=\"" id "\" resource_agent=\"" agent "\" role=\"Started\" " \
	"active=\"true\" orphaned=\"false\" blocked=\"false\" managed=\"" managed "\" " \
	"failed=\"false\" failure_ignored=\"false\" nodes_running_on=\"1\">" \
	"<node name=\"" on "\" id=\"" on "\" cached=\"true\"/></resource>\n"
#define RSC_STOPPED(id) \
	"<resource id=\"" id "\" resource_agent=\"ocf:heartbeat:Dummy\" role=\"Stopped\" " \
	"active=\"false\" orphaned=\"false\" blocked=\"false\" managed=\"true\" " \
	"failed=\"false\" failure_ignored=\"false\" nodes_running_on=\"0\"/>\n"
#define BAN(id, rsc, node, weight, promoted) \
	"<ban id=\"" id "\" resource=\"" rsc "\" node=\"" node "\" weight=\"" weight \
	"\" promoted-only=\"" promoted "\" master_only=\"" promoted "\"/>\n"

/* Test input: every rule of pacemaker.h once; weight is the score of the
 * ban of the group itself. */
#define RULES_XML(weight) \
	HEAD SUMMARY_QUORATE \
	"<nodes>\n" \
	NODE("a", "true", "false", "false", "member") \
	NODE("b", "true", "true", "false", "member") \
	NODE("c", "false", "false", "true", "member") \
	NODE("q", "true", "false", "false", "ping") \
	"</nodes>\n" \
	"<resources>\n" \
	"<group id=\"mail\" number_resources=\"2\" managed=\"true\" disabled=\"false\">\n" \
	RSC_STOPPED("mail-ip") \
	RSC("mail-store", "ocf:heartbeat:Dummy", "true", "a") \
	"</group>\n" \
	"<group id=\"web\" number_resources=\"2\" managed=\"true\" disabled=\"false\">\n" \
	RSC("web-ip", "ocf:heartbeat:IPaddr2", "true", "b") \
	RSC("web-server", "ocf:heartbeat:apache", "false", "b") \
	"</group>\n" \
	"<clone id=\"ping-clone\" multi_state=\"false\" unique=\"false\" managed=\"true\" " \
	"disabled=\"false\" failed=\"false\" failure_ignored=\"false\">\n" \
	RSC("ping", "ocf:pacemaker:ping", "true", "a") \
	"</clone>\n" \
	RSC("fence", "stonith:fence_dummy", "true", "b") \
	RSC("lone", "ocf:heartbeat:Dummy", "true", "b") \
	"<future-thing id=\"x\"/>\n" \
	"</resources>\n" \
	"<node_attributes>\n" \
	"<node name=\"a\"><attribute name=\"other\" value=\"9\"/>" \
	"<attribute name=\"v\" value=\"2.10\"/></node>\n" \
	"<node name=\"b\"><attribute name=\"v\" value=\"2.9\"/></node>\n" \
	"<node name=\"ghost\"><attribute name=\"v\" value=\"7\"/></node>\n" \
	"</node_attributes>\n" \
	"<bans>\n" \
	BAN("ban-member", "mail-store", "c", "-1000000", "false") \
	BAN("ban-group", "mail", "b", weight, "false") \
	"</bans>\n" \
	TAIL

static const char rules_xml[] = RULES_XML("-1000000");

static void test_rules(void **state)
{
	struct clu_cluster c;
	struct clu_err err = CLU_ERR_INIT;
	const struct clu_group *g;

	(void)state;
	/* crm_mon writes -INFINITY as -1000000; anything not a number is an error. */
	check_error(RULES_XML("-INFINITY"), "test: <ban id=\"ban-group\">: "
		    "weight=\"-INFINITY\" is not an integer");
	assert_int_equal(parse(&c, rules_xml, "v", &err), 0);
	assert_true(c.quorum);
	assert_null(c.name);
	assert_int_equal(c.n_nodes, 3);                 /* ping node q left out */
	assert_node(&c, "a", true, false, false, "2.10");
	assert_node(&c, "b", true, true, false, "2.9");
	assert_node(&c, "c", false, false, true, NULL);
	assert_null(clu_cluster_node(&c, "q"));

	assert_int_equal(c.n_groups, 3);                /* clone, fence left out */
	g = &c.groups[0];
	assert_string_equal(g->name, "mail");
	assert_int_equal(g->n_members, 2);
	assert_string_equal(g->members[0], "mail-ip");
	assert_string_equal(g->members[1], "mail-store");
	/* Partly started: running nowhere whole, and the trouble named. */
	assert_null(g->owner);
	assert_string_equal(g->partly_on, "a");
	assert_string_equal(g->trouble, "'mail-ip' is stopped while 1 of 2 members run on 'a'");
	assert_true(g->managed);
	assert_null(g->data_version);
	assert_int_equal(g->n_banned, 2);
	assert_string_equal(g->banned[0], "c");         /* via its member */
	assert_string_equal(g->banned[1], "b");
	assert_null(g->address);

	g = &c.groups[1];
	assert_string_equal(g->name, "web");
	assert_string_equal(g->owner, "b");
	assert_false(g->managed);                       /* one member unmanaged */
	assert_string_equal(g->data_version, "2.9");
	assert_int_equal(g->n_banned, 0);

	g = &c.groups[2];
	assert_string_equal(g->name, "lone");
	assert_int_equal(g->n_members, 1);
	assert_string_equal(g->members[0], "lone");
	assert_string_equal(g->owner, "b");
	clu_cluster_release(&c);

	/* No version attribute: versions and data versions unknown. */
	assert_int_equal(parse(&c, rules_xml, NULL, &err), 0);
	assert_null(c.nodes[0].version);
	assert_null(c.groups[0].data_version);
	clu_cluster_release(&c);
}

static void test_bans_that_do_not_ban(void **state)
{
	static const char xml[] =
		HEAD SUMMARY_QUORATE
		"<nodes>\n" NODE("a", "true", "false", "false", "member")
		NODE("b", "true", "false", "false", "member") "</nodes>\n"
		"<resources>\n"
		"<group id=\"g\" number_resources=\"1\" managed=\"true\" disabled=\"false\">\n"
		RSC("g-ip", "ocf:heartbeat:IPaddr2", "true", "a") "</group>\n"
		"</resources>\n"
		"<bans>\n"
		BAN("finite", "g", "b", "-100", "false")
		BAN("promoted", "g", "b", "-1000000", "true")
		BAN("elsewhere", "other-rsc", "b", "-1000000", "false")
		BAN("ghost-node", "g", "ghost", "-1000000", "false")
		"</bans>\n" TAIL;
	struct clu_cluster c;
	struct clu_err err = CLU_ERR_INIT;

	(void)state;
	assert_int_equal(parse(&c, xml, "v", &err), 0);
	assert_int_equal(c.n_groups, 1);
	assert_int_equal(c.groups[0].n_banned, 0);
	assert_null(c.groups[0].data_version);          /* owner a has no version */
	clu_cluster_release(&c);
}

static void test_quorum(void **state)
{
	static const char no_dc[] = HEAD "<summary><current_dc present=\"false\"/></summary>"
		"<nodes/><resources/>" TAIL;
	static const char no_quorum[] = HEAD "<summary><current_dc present=\"true\" "
		"version=\"2.1.5\" name=\"a\" id=\"1\" with_quorum=\"false\"/></summary>"
		"<nodes/><resources/>" TAIL;
	struct clu_cluster c;
	struct clu_err err = CLU_ERR_INIT;

	(void)state;
	assert_int_equal(parse(&c, no_dc, "v", &err), 0);
	assert_false(c.quorum);
	assert_int_equal(c.n_nodes, 0);
	clu_cluster_release(&c);
	assert_int_equal(parse(&c, no_quorum, "v", &err), 0);
	assert_false(c.quorum);
	clu_cluster_release(&c);
}

static void test_errors(void **state)
{
	(void)state;
	check_error("", "test: empty crm_mon output");
	check_error("<pacemaker-result>\n<summary/>\n</pacemaker>\n",
		    "test: not XML: line 3: Opening and ending tag mismatch: "
		    "pacemaker-result line 1 and pacemaker");
	check_error("<cib/>", "test: not crm_mon output: root element is <cib>");
	/* crm_mon 2.1.5's own output on a machine where the cluster is not
	 * running (exit status 102). */
	check_error("<pacemaker-result api-version=\"2.25\" request=\"crm_mon --output-as=xml\">\n"
		    "  <status code=\"102\" message=\"Not connected\">\n"
		    "    <errors>\n"
		    "      <error>error: Could not connect to launcher: Connection refused</error>\n"
		    "      <error>crm_mon: Connection to cluster failed: Connection refused</error>\n"
		    "    </errors>\n"
		    "  </status>\n"
		    "</pacemaker-result>\n",
		    "test: crm_mon failed with status 102 (Not connected): error: Could not "
		    "connect to launcher: Connection refused; crm_mon: Connection to cluster "
		    "failed: Connection refused");
	/* crm_mon 2.1.5's output with CIB_file naming no file: status "OK". */
	check_error("<pacemaker-result api-version=\"2.25\" request=\"crm_mon --output-as=xml\">\n"
		    "  <status code=\"0\" message=\"OK\">\n"
		    "    <errors>\n"
		    "      <error>Could not connect to the CIB: No such device or address</error>\n"
		    "    </errors>\n"
		    "  </status>\n"
		    "</pacemaker-result>\n",
		    "test: no <summary> in crm_mon output (Could not connect to the CIB: "
		    "No such device or address)");
	check_error(HEAD SUMMARY_QUORATE "<resources/>" TAIL,
		    "test: no <nodes> in crm_mon output");
	check_error(HEAD SUMMARY_QUORATE "<nodes/>" TAIL,
		    "test: no <resources> in crm_mon output");
	check_error(HEAD SUMMARY_QUORATE "<nodes><node id=\"1\" online=\"true\"/></nodes>"
		    "<resources/>" TAIL, "test: <node id=\"1\"> without 'name'");
	check_error(HEAD SUMMARY_QUORATE "<nodes><node name=\"a\"/></nodes><resources/>" TAIL,
		    "test: <node name=\"a\"> without 'online'");
	check_error(HEAD SUMMARY_QUORATE "<nodes><node name=\"a\" online=\"yes!\"/></nodes>"
		    "<resources/>" TAIL,
		    "test: <node name=\"a\">: online=\"yes!\" is not a boolean");
	check_error(HEAD SUMMARY_QUORATE "<nodes/><resources><group managed=\"true\"/>"
		    "</resources>" TAIL, "test: <group> without 'id'");
	check_error(HEAD SUMMARY_QUORATE "<nodes/><resources><group id=\"g\">"
		    "<resource managed=\"true\"/></group></resources>" TAIL,
		    "test: <resource> without 'id'");
	check_error(HEAD SUMMARY_QUORATE "<nodes/><resources/><bans><ban id=\"b\" "
		    "resource=\"r\" weight=\"-1000000\"/></bans>" TAIL,
		    "test: <ban id=\"b\"> without 'node'");
	/* A group running on a node crm_mon did not list. */
	check_error(HEAD SUMMARY_QUORATE "<nodes/><resources>"
		    RSC("r", "ocf:heartbeat:Dummy", "true", "zz") "</resources>" TAIL,
		    "test: group 'r' runs on unknown node 'zz'");
}

/* ---- hostile input ---- */

#define NAME_EXPECTED "(expected 1 to 253 letters, digits, '.', '_' and '-', the first a " \
	"letter, a digit or '_')"
#define VERSION_EXPECTED "(expected 1 to 64 letters, digits, '.', '_', '+', '~', ':' and " \
	"'-', the first a letter or a digit)"
#define SPLIT_EXPECTED "(expected one node: let the cluster recover it first)"
#define DTD_REFUSED "crm_mon output has a document type declaration " \
	"(<!DOCTYPE pacemaker-result>), which crm_mon never writes: refused"

/* The capture stem must be refused with "xml:PATH: " and message. */
static void check_refused(const char *stem, const char *message)
{
	struct clu_cluster c;
	struct clu_err err = CLU_ERR_INIT;
	char path[256], expected[CLU_ERR_MAX];

	snprintf(path, sizeof(path), CAPTURES "%s.xml", stem);
	snprintf(expected, sizeof(expected), "xml:%s: %s", path, message);
	print_message("%s\n", path);
	assert_int_equal(clu_pacemaker_read_file(&c, path, "mail-version", &err), CLU_E_CLUSTER);
	assert_string_equal(err.msg, expected);
	assert_null(c.nodes);
}

static void test_hostile_names(void **state)
{
	char long_name[300], xml[2048], expected[CLU_ERR_MAX];
	struct clu_cluster c;
	struct clu_err err = CLU_ERR_INIT;

	(void)state;
	check_refused("hostile-node-newline", "<nodes>: node name 'n3\\n    4. install 'n2' "
		      "(fake step)' has a control character " NAME_EXPECTED);
	check_refused("hostile-node-option", "<nodes>: node name '-oProxyCommand=id' starts "
		      "with '-' " NAME_EXPECTED);
	check_refused("hostile-node-shell", "<nodes>: node name 'n3;$(id)' has a character "
		      "other than letters, digits, '.', '_' and '-' " NAME_EXPECTED);

	/* Groups and resources, by the same rule. */
	check_error(HEAD SUMMARY_QUORATE "<nodes/><resources><group id=\"mail web\"/>"
		    "</resources>" TAIL, "test: <resources>: group name 'mail web' has a space "
		    NAME_EXPECTED);
	check_error(HEAD SUMMARY_QUORATE "<nodes/><resources><group id=\"g\">"
		    RSC_STOPPED("-x") "</group></resources>" TAIL,
		    "test: <group id=\"g\">: resource name '-x' starts with '-' " NAME_EXPECTED);
	check_error(HEAD SUMMARY_QUORATE "<nodes/><resources>" RSC_STOPPED(".r")
		    "</resources>" TAIL, "test: <resources>: resource name '.r' does not start "
		    "with a letter, a digit or '_' " NAME_EXPECTED);
	/* Bounded, and quoted in part. */
	memset(long_name, 'n', 254);
	long_name[254] = '\0';
	snprintf(xml, sizeof(xml), HEAD SUMMARY_QUORATE "<nodes><node name=\"%s\" "
		 "online=\"true\"/></nodes><resources/>" TAIL, long_name);
	snprintf(expected, sizeof(expected), "test: <nodes>: node name '%.80s...' is longer "
		 "than 253 characters " NAME_EXPECTED, long_name);
	check_error(xml, expected);
	long_name[253] = '\0';
	snprintf(xml, sizeof(xml), HEAD SUMMARY_QUORATE "<nodes><node name=\"%s\" "
		 "online=\"true\"/></nodes><resources/>" TAIL, long_name);
	assert_int_equal(parse(&c, xml, "v", &err), 0);
	clu_cluster_release(&c);

	/* Versions: checked; an empty one is unknown, as a missing one. */
	check_error(HEAD SUMMARY_QUORATE "<nodes>" NODE("a", "true", "false", "false", "member")
		    "</nodes><resources/><node_attributes><node name=\"a\"><attribute name=\"v\" "
		    "value=\"2 beta\"/></node></node_attributes>" TAIL,
		    "test: <node_attributes>: node 'a' v '2 beta' has a space " VERSION_EXPECTED);
	check_error(HEAD SUMMARY_QUORATE "<nodes>" NODE("a", "true", "false", "false", "member")
		    "</nodes><resources/><node_attributes><node name=\"a\"><attribute name=\"v\" "
		    "value=\"1&#9;2\"/></node></node_attributes>" TAIL,
		    "test: <node_attributes>: node 'a' v '1\\t2' has a control character "
		    VERSION_EXPECTED);
	check_error(HEAD SUMMARY_QUORATE "<nodes>" NODE("a", "true", "false", "false", "member")
		    "</nodes><resources/><node_attributes><node name=\"a\"><attribute name=\"v\" "
		    "value=\"1&#155;2J\"/></node></node_attributes>" TAIL,
		    "test: <node_attributes>: node 'a' v '1\\xc2\\x9b2J' has a character other "
		    "than letters, digits, '.', '_', '+', '~', ':' and '-' " VERSION_EXPECTED);
	assert_int_equal(parse(&c, HEAD SUMMARY_QUORATE "<nodes>"
			       NODE("a", "true", "false", "false", "member") "</nodes><resources/>"
			       "<node_attributes><node name=\"a\"><attribute name=\"v\" value=\"\"/>"
			       "</node></node_attributes>" TAIL, "v", &err), 0);
	assert_null(c.nodes[0].version);
	clu_cluster_release(&c);

}

static void test_hostile_config(void **state)
{
	static const char name_config[] =
		"<configuration><crm_config><cluster_property_set id=\"o\">"
		"<nvpair id=\"n\" name=\"cluster-name\" value=\"my cluster\"/>"
		"</cluster_property_set></crm_config></configuration>";
	static const char version_config[] =
		"<configuration><crm_config><cluster_property_set id=\"o\">"
		"<nvpair id=\"n\" name=\"cluster-name\" value=\"ok\"/>"
		"</cluster_property_set></crm_config><nodes>"
		"<node id=\"1\" uname=\"a\"><instance_attributes id=\"i\">"
		"<nvpair id=\"v\" name=\"v\" value=\"1;reboot\"/></instance_attributes></node>"
		"</nodes></configuration>";
	struct clu_cluster c;
	struct clu_err err = CLU_ERR_INIT;

	(void)state;
	assert_int_equal(parse(&c, HEAD SUMMARY_QUORATE "<nodes>"
			       NODE("a", "false", "false", "false", "member")
			       "</nodes><resources/>" TAIL, "v", &err), 0);
	assert_int_equal(clu_pacemaker_parse_config(&c, name_config, strlen(name_config), "v",
						    "pacemaker", &err), CLU_E_CLUSTER);
	assert_string_equal(err.msg, "pacemaker: cluster-name 'my cluster' has a space "
			    NAME_EXPECTED);
	/* Refused before anything changed: not even the cluster name. */
	assert_int_equal(clu_pacemaker_parse_config(&c, version_config, strlen(version_config),
						    "v", "pacemaker", &err), CLU_E_CLUSTER);
	assert_string_equal(err.msg, "pacemaker: <nodes>: node 'a' v '1;reboot' has a "
			    "character other than letters, digits, '.', '_', '+', '~', ':' and "
			    "'-' " VERSION_EXPECTED);
	assert_null(c.name);
	assert_null(c.nodes[0].version);
	clu_cluster_release(&c);
}

static void test_split_groups(void **state)
{
	(void)state;
	check_refused("hostile-group-split", "group 'mail' is active on more than one node: "
		      "'n1', 'n2' " SPLIT_EXPECTED);
	check_refused("hostile-member-multi-active", "group 'mail' is active on more than one "
		      "node: 'n1', 'n2' " SPLIT_EXPECTED);
	/* A lone primitive, on three nodes. */
	check_error(HEAD SUMMARY_QUORATE "<nodes>" NODE("a", "true", "false", "false", "member")
		    NODE("b", "true", "false", "false", "member")
		    NODE("c", "true", "false", "false", "member") "</nodes><resources>"
		    "<resource id=\"r\" resource_agent=\"ocf:heartbeat:Dummy\" role=\"Started\" "
		    "active=\"true\" orphaned=\"false\" managed=\"true\" nodes_running_on=\"3\">"
		    "<node name=\"a\" id=\"1\"/><node name=\"c\" id=\"3\"/><node name=\"b\" id=\"2\"/>"
		    "</resource></resources>" TAIL,
		    "test: group 'r' is active on more than one node: 'a', 'c', 'b' "
		    SPLIT_EXPECTED);
}

/* What messages quote of the document, they quote escaped (clu_display()). */
static void test_quoted_text_escaped(void **state)
{
	(void)state;
	check_error(HEAD SUMMARY_QUORATE "<nodes><node name=\"a\" online=\"yes&#10;no\"/>"
		    "</nodes><resources/>" TAIL,
		    "test: <node name=\"a\">: online=\"yes\\nno\" is not a boolean");
	check_error(HEAD SUMMARY_QUORATE "<nodes/><resources/><bans><ban id=\"b&#13;\" "
		    "resource=\"r\" node=\"a\" weight=\"-&#9;1\"/></bans>" TAIL,
		    "test: <ban id=\"b\\r\">: weight=\"-\\t1\" is not an integer");
	/* XML has no ESC, but it has U+009B, the terminal's 8-bit CSI. */
	check_error("<pacemaker-result><status code=\"1&#10;\" message=\"&#155;0m&#13;\">"
		    "<errors><error>a&#10;b</error></errors></status></pacemaker-result>",
		    "test: crm_mon failed with status 1\\n (\\xc2\\x9b0m\\r): a\\nb");
}

/* Peak resident set size of this process so far, in kB. */
static long peak_rss_kb(void)
{
	struct rusage usage;

	assert_int_equal(getrusage(RUSAGE_SELF, &usage), 0);
	return usage.ru_maxrss;
}

static void test_dtd_refused(void **state)
{
	static const char external[] =
		"<!DOCTYPE pacemaker-result SYSTEM \"http://example.com/x.dtd\">"
		"<pacemaker-result/>";
	static const char bare[] = "<!DOCTYPE pacemaker-result><pacemaker-result/>";
	static const char config[] =
		"<!DOCTYPE cib [<!ENTITY n \"x\">]><cib><configuration/></cib>";
	struct clu_cluster c;
	struct clu_err err = CLU_ERR_INIT;
	long before;

	(void)state;
	/* 74 kB that expand to 200 MB (once quoted in a message): refused at
	 * "<!DOCTYPE", the peak memory of the process left where it was. */
	before = peak_rss_kb();
	check_refused("hostile-dtd-quadratic-blowup", DTD_REFUSED);
	assert_true(peak_rss_kb() - before < 32 * 1024);
	check_refused("hostile-dtd-billion-laughs", DTD_REFUSED);
	/* "1&minor;" read as "1": never read at all. */
	check_refused("hostile-dtd-entity-in-attribute", DTD_REFUSED);

	check_error(external, "test: " DTD_REFUSED);
	check_error(bare, "test: " DTD_REFUSED);
	/* Without a DTD, no entity but the predefined ones. */
	check_error("<pacemaker-result a=\"&x;\"/>", "test: not XML: line 1: Entity 'x' not "
		    "defined");

	assert_int_equal(parse(&c, rules_xml, "v", &err), 0);
	assert_int_equal(clu_pacemaker_parse_config(&c, config, strlen(config), "v", "pacemaker",
						    &err), CLU_E_CLUSTER);
	assert_string_equal(err.msg, "pacemaker: cibadmin output has a document type declaration "
			    "(<!DOCTYPE cib>), which cibadmin never writes: refused");
	clu_cluster_release(&c);
}

static void test_argv(void **state)
{
	const char *const *argv = clu_pacemaker_status_argv();

	(void)state;
	assert_string_equal(argv[0], "crm_mon");
	assert_string_equal(argv[1], "--output-as=xml");
	assert_string_equal(argv[2], "--inactive");
	assert_string_equal(argv[3], "--exclude=all");
	assert_string_equal(argv[4], "--include=summary,options,nodes,resources,attributes,bans,"
			    "failures");
	assert_null(argv[5]);
}

/* ---- real captures ---- */

/*
 * One line that shows every field of a model, so that a capture's whole
 * reading is one exact comparison:
 *   NAME quorum|no-quorum; NODE online|offline[,standby][,maintenance] v=VERSION|?; ...
 *   | GROUP [MEMBERS] @OWNER|stopped managed|unmanaged data=V|? banned=[...]; ...
 */
static char *render(const struct clu_cluster *c)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	assert_non_null(f);
	fprintf(f, "%s %s", c->name ? c->name : "?", c->quorum ? "quorum" : "no-quorum");
	for (size_t i = 0; i < c->n_nodes; i++) {
		const struct clu_node *n = &c->nodes[i];

		fprintf(f, "; %s %s%s%s v=%s", n->name, n->online ? "online" : "offline",
			n->standby ? ",standby" : "", n->maintenance ? ",maintenance" : "",
			n->version ? n->version : "?");
	}
	fprintf(f, " |");
	for (size_t i = 0; i < c->n_groups; i++) {
		const struct clu_group *g = &c->groups[i];

		fprintf(f, "%s %s [", i ? ";" : "", g->name);
		for (size_t j = 0; j < g->n_members; j++)
			fprintf(f, "%s%s", j ? "," : "", g->members[j]);
		fprintf(f, "] @%s %s data=%s banned=[", g->owner ? g->owner : "stopped",
			g->managed ? "managed" : "unmanaged",
			g->data_version ? g->data_version : "?");
		for (size_t j = 0; j < g->n_banned; j++)
			fprintf(f, "%s%s", j ? "," : "", g->banned[j]);
		fprintf(f, "]%s%s", g->address ? " address=" : "", g->address ? g->address : "");
	}
	fclose(f);
	return buf;
}

#define N3 "; n1 online v=1; n2 online v=1; n3 online v=1 |"
#define MAIL " mail [ip,store,maild]"

/*
 * What each capture shows (tests/fixtures/crm_mon/README.md), read from
 * crm_mon's XML alone, then completed with its configuration (.cib.xml).
 */
static const struct capture {
	const char *stem;
	const char *model;           /* from crm_mon alone */
	const char *with_config;     /* after clu_pacemaker_parse_config() */
} captures[] = {
	{ "2node-mail-on-n2",
	  "? quorum; n1 online v=1; n2 online v=1 |" MAIL " @n2 managed data=1 banned=[]",
	  "clu-cap2 quorum; n1 online v=1; n2 online v=1 |" MAIL " @n2 managed data=1 banned=[]" },
	{ "3node-mail-on-n1",
	  "? quorum" N3 MAIL " @n1 managed data=1 banned=[]", NULL },
	{ "3node-mixed-versions",
	  "? quorum; n1 online v=3; n2 online v=2; n3 online v=1 |" MAIL
	  " @n1 managed data=3 banned=[]", NULL },
	{ "3node-two-groups-mail-n1-web-n2",
	  "? quorum" N3 MAIL " @n1 managed data=1 banned=[]; web [web-ip,web-app] @n2 managed "
	  "data=1 banned=[]", NULL },
	{ "3node-mail-stopped",
	  "? quorum" N3 MAIL " @stopped managed data=? banned=[]", NULL },
	{ "3node-mail-unmanaged-on-n1",
	  "? quorum" N3 MAIL " @n1 unmanaged data=1 banned=[]", NULL },
	{ "3node-mail-on-n1-banned-n2",
	  "? quorum" N3 MAIL " @n1 managed data=1 banned=[n2]", NULL },
	{ "3node-mail-on-n3-banned-n1-n2",
	  "? quorum" N3 MAIL " @n3 managed data=1 banned=[n1,n2]", NULL },
	{ "3node-standby-n1",
	  "? quorum; n1 online,standby v=1; n2 online v=1; n3 online v=1 |" MAIL
	  " @n3 managed data=1 banned=[]", NULL },
	/* crm_mon lists no attributes of an offline node: its version comes
	 * from the configuration. */
	{ "3node-offline-n3-mail-on-n1",
	  "? quorum; n1 online v=1; n2 online v=1; n3 offline v=? |" MAIL
	  " @n1 managed data=1 banned=[]",
	  "clu-cap3 quorum; n1 online v=1; n2 online v=1; n3 offline v=1 |" MAIL
	  " @n1 managed data=1 banned=[]" },
	{ "5node-mixed-versions",
	  "? quorum; n1 online v=2; n2 online v=2; n3 online v=1; n4 online v=1; "
	  "n5 online v=1 |" MAIL " @n1 managed data=2 banned=[]",
	  "clu-cap5 quorum; n1 online v=2; n2 online v=2; n3 online v=1; n4 online v=1; "
	  "n5 online v=1 |" MAIL " @n1 managed data=2 banned=[]" },
};
#define N_CAPTURES (sizeof(captures) / sizeof(captures[0]))

/* The model with config, when the table does not spell it out: the same
 * with the lab's cluster name. */
static void expected_with_config(const struct capture *cap, char *buf, size_t size)
{
	if (cap->with_config)
		snprintf(buf, size, "%s", cap->with_config);
	else
		snprintf(buf, size, "clu-cap3%s", cap->model + 1);
}

static void test_captures(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_CAPTURES; i++) {
		const struct capture *cap = &captures[i];
		struct clu_cluster c;
		struct clu_err err = CLU_ERR_INIT;
		char path[256], expected[1024], *model, *config;
		size_t len;

		snprintf(path, sizeof(path), CAPTURES "%s.xml", cap->stem);
		print_message("%s\n", path);
		assert_int_equal(clu_pacemaker_read_file(&c, path, "mail-version", &err), 0);
		model = render(&c);
		assert_string_equal(model, cap->model);
		free(model);

		snprintf(path, sizeof(path), CAPTURES "%s.cib.xml", cap->stem);
		config = slurp(path, &len);
		assert_int_equal(clu_pacemaker_parse_config(&c, config, len, "mail-version",
							    path, &err), 0);
		model = render(&c);
		expected_with_config(cap, expected, sizeof(expected));
		assert_string_equal(model, expected);
		free(model);
		free(config);
		clu_cluster_release(&c);
	}
}

/* The fields a planner leans on, spelled out for two captures. */
/*
 * A group counts as running on a node only whole; what failed is read from
 * crm_mon's failure history, the agent's message unescaped once more.
 */

/* A saved state, through the one --cluster resolver. */
static int load_file(struct clu_cluster *c, const char *spec, const char *version_attribute,
		     struct clu_err *err)
{
	struct clu_target t;
	int ret = clu_target_open(&t, spec, version_attribute, NULL, err);

	if (!ret)
		ret = clu_target_read(&t, c, err);
	clu_target_release(&t);
	return ret;
}

static void test_failures_and_partial_groups(void **state)
{
	struct clu_cluster c;
	struct clu_err err = CLU_ERR_INIT;
	const struct clu_group *mail;
	char *text;

	(void)state;
	/* Recovered on n3 after the start failed on n2: whole on n3. */
	assert_int_equal(load_file(&c, "xml:" CAPTURES
					  "3node-mail-recovered-on-n3-start-failed-n2.xml",
					  "mail-version", &err), 0);
	mail = clu_cluster_group(&c, "mail");
	assert_string_equal(mail->owner, "n3");
	assert_null(mail->partly_on);
	assert_null(mail->trouble);
	assert_int_equal(c.n_failures, 1);
	text = clu_failure_describe(&c.failures[0]);
	assert_string_equal(text, "'maild' start on 'n2' failed: error (maild did not start: "
			    "sabotaged)");
	free(text);
	clu_cluster_release(&c);

	/* ip and store on n2, maild stopped: no owner, and the trouble named. */
	assert_int_equal(load_file(&c, "xml:" CAPTURES
					  "edited-3node-mail-partly-started-on-n2.xml",
					  "mail-version", &err), 0);
	mail = clu_cluster_group(&c, "mail");
	assert_null(mail->owner);
	assert_string_equal(mail->partly_on, "n2");
	assert_string_equal(mail->trouble, "'maild' is stopped while 2 of 3 members run on 'n2'");
	assert_int_equal(c.n_failures, 2);
	assert_string_equal(c.failures[1].node, "n3");
	assert_string_equal(c.failures[1].reason, "store '/srv/clupdate-mail' has format 1, but "
			    "this maild reads only format 2");
	/* maild not installed on n2 (its start said so): placed there, in part. */
	assert_true(clu_group_not_installed_on(&c, mail, "n2"));
	assert_false(clu_group_not_installed_on(&c, mail, "n3"));   /* nothing runs there */
	assert_true(clu_fact_holds(&(struct clu_fact){ CLU_FACT_GROUP_PLACED_ON, "n2", "mail", NULL },
				   &c, NULL));
	assert_false(clu_fact_holds(&(struct clu_fact){ CLU_FACT_GROUP_ON, "n2", "mail", NULL },
				    &c, NULL));
	/* Failed otherwise (not "not installed"): not placed. */
	clu_set_string(&c.failures[0].status, "error");
	assert_false(clu_group_not_installed_on(&c, mail, "n2"));
	clu_cluster_release(&c);
}

static void test_capture_details(void **state)
{
	struct clu_cluster c;
	struct clu_err err = CLU_ERR_INIT;
	const struct clu_group *mail;

	(void)state;
	assert_int_equal(load_file(&c, "xml:" CAPTURES "3node-mail-on-n3-banned-n1-n2.xml",
					  "mail-version", &err), 0);
	assert_true(c.quorum);
	assert_int_equal(c.n_nodes, 3);
	assert_int_equal(clu_cluster_online(&c), 3);
	mail = clu_cluster_group(&c, "mail");
	assert_non_null(mail);
	assert_string_equal(mail->owner, "n3");
	assert_true(clu_group_banned(mail, "n1"));
	assert_true(clu_group_banned(mail, "n2"));
	assert_false(clu_group_banned(mail, "n3"));
	assert_string_equal(mail->members[2], "maild");
	assert_null(mail->address);
	clu_cluster_release(&c);

	assert_int_equal(load_file(&c, "xml:" CAPTURES "3node-offline-n3-mail-on-n1.xml",
					  "mail-version", &err), 0);
	assert_int_equal(clu_cluster_online(&c), 2);
	assert_false(clu_cluster_node(&c, "n3")->online);
	assert_string_equal(clu_cluster_group(&c, "mail")->owner, "n1");
	clu_cluster_release(&c);

	/* Another attribute name: nobody has it. */
	assert_int_equal(clu_pacemaker_read_file(&c, CAPTURES "3node-mixed-versions.xml",
						 "clupdate-version", &err), 0);
	assert_null(c.nodes[0].version);
	assert_null(c.groups[0].data_version);
	clu_cluster_release(&c);
}

/*
 * The live reader's flags against real data: crm_mon replaying each
 * capture's CIB (CIB_file) with clu_pacemaker_status_argv() must give the
 * model the capture gives. This is what shows that the narrowed --include
 * still carries node attributes and bans.
 */
static void test_status_argv_on_captures(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_CAPTURES; i++) {
		const struct capture *cap = &captures[i];
		struct clu_proc proc;
		struct clu_cluster c;
		struct clu_err err = CLU_ERR_INIT;
		char path[256], *model;
		int rc;

		snprintf(path, sizeof(path), CAPTURES "%s.cib.xml", cap->stem);
		clu_proc_init(&proc);
		clu_proc_args(&proc, clu_pacemaker_status_argv());
		clu_proc_setenv(&proc, "CIB_file", path);
		proc.timeout_ms = 30000;
		rc = clu_proc_run(&proc, &err);
		if (!proc.result.started) {
			clu_proc_release(&proc);
			skip();   /* no crm_mon here: scripts/install-deps installs it */
		}
		assert_int_equal(rc, 0);
		assert_int_equal(clu_pacemaker_parse(&c, proc.out.buf, proc.out.len,
						     "mail-version", path, &err), 0);
		model = render(&c);
		assert_string_equal(model, cap->model);
		free(model);
		clu_cluster_release(&c);
		clu_proc_release(&proc);
	}
}

static void test_config_errors(void **state)
{
	struct clu_cluster c;
	struct clu_err err = CLU_ERR_INIT;
	static const char with_rule[] =
		"<configuration><crm_config/><nodes>"
		"<node id=\"1\" uname=\"a\"><instance_attributes id=\"i\">"
		"<rule id=\"r\" score=\"0\"/><nvpair id=\"v\" name=\"v\" value=\"5\"/>"
		"</instance_attributes></node>"
		"<node id=\"2\" uname=\"b\"><instance_attributes id=\"j\">"
		"<nvpair id=\"w\" name=\"v\" value=\"6\"/></instance_attributes></node>"
		"</nodes></configuration>";

	(void)state;
	assert_int_equal(clu_pacemaker_read_file(&c, CAPTURES "3node-offline-n3-mail-on-n1.xml",
						 "v", &err), 0);
	assert_int_equal(clu_pacemaker_parse_config(&c, "<status/>", 9, "v", "pacemaker", &err),
			 CLU_E_CLUSTER);
	assert_string_equal(err.msg, "pacemaker: not the CIB's configuration: root element "
			    "is <status>");
	assert_int_equal(clu_pacemaker_parse_config(&c, "<cib>", 5, "v", "pacemaker", &err),
			 CLU_E_CLUSTER);
	assert_string_equal(err.msg, "pacemaker: not XML: line 1: Premature end of data in "
			    "tag cib line 1");
	assert_int_equal(clu_pacemaker_parse_config(&c, "", 0, "v", "pacemaker", &err),
			 CLU_E_CLUSTER);
	assert_string_equal(err.msg, "pacemaker: empty cibadmin output");
	clu_cluster_release(&c);

	/* A conditional set is the cluster's to evaluate: skipped. */
	assert_int_equal(parse(&c, HEAD SUMMARY_QUORATE "<nodes>"
			       NODE("a", "false", "false", "false", "member")
			       NODE("b", "false", "false", "false", "member")
			       "</nodes><resources/>" TAIL, "v", &err), 0);
	assert_int_equal(clu_pacemaker_parse_config(&c, with_rule, strlen(with_rule), "v",
						    "pacemaker", &err), 0);
	assert_null(c.nodes[0].version);
	assert_string_equal(c.nodes[1].version, "6");
	assert_null(c.name);
	clu_cluster_release(&c);
}

/* ---- the live reader, with a stand-in crm_mon ---- */

/* A crm_mon that checks its arguments, then prints output.xml and exits
 * with $FAKE_STATUS (or sleeps when $FAKE_SLEEP is set). */
static const char fake_crm_mon[] =
	"#!/bin/sh\n"
	"[ \"$*\" = '--output-as=xml --inactive --exclude=all "
	"--include=summary,options,nodes,resources,attributes,bans,failures' ] || "
	"{ echo \"bad arguments: $*\" >&2; exit 64; }\n"
	"[ -n \"$FAKE_SLEEP\" ] && exec sleep \"$FAKE_SLEEP\"\n"
	"cat \"$(dirname \"$0\")/output.xml\"\n"
	"[ -n \"$FAKE_STDERR\" ] && echo \"$FAKE_STDERR\" >&2\n"
	"exit \"${FAKE_STATUS:-0}\"\n";

/* A cibadmin that checks its arguments, then prints config.xml, or fails
 * when $FAKE_CIB_STATUS is set. */
static const char fake_cibadmin[] =
	"#!/bin/sh\n"
	"[ \"$*\" = '--query --scope=configuration' ] || "
	"{ echo \"bad arguments: $*\" >&2; exit 64; }\n"
	"[ -n \"$FAKE_CIB_STATUS\" ] && { echo 'Call cib_query failed' >&2; "
	"exit \"$FAKE_CIB_STATUS\"; }\n"
	"cat \"$(dirname \"$0\")/config.xml\"\n";

/* Test input: the configuration behind rules_xml, with offline c at 1.9. */
static const char rules_config[] =
	"<configuration><crm_config><cluster_property_set id=\"o\">"
	"<nvpair id=\"n\" name=\"cluster-name\" value=\"rules\"/></cluster_property_set>"
	"</crm_config><nodes>"
	"<node id=\"a\" uname=\"a\"><instance_attributes id=\"ia\">"
	"<nvpair id=\"va\" name=\"v\" value=\"1\"/></instance_attributes></node>"
	"<node id=\"c\" uname=\"c\"><instance_attributes id=\"ic\">"
	"<nvpair id=\"vc\" name=\"v\" value=\"1.9\"/></instance_attributes></node>"
	"</nodes></configuration>\n";

/* The live state through the target "pacemaker" (this machine is a node). */
static int read_live(struct clu_cluster *c, struct clu_err *err)
{
	struct clu_target t;
	int ret = clu_target_open(&t, "pacemaker", "v", NULL, err);

	if (!ret)
		ret = clu_target_read(&t, c, err);
	clu_target_release(&t);
	return ret;
}

static void test_live(void **state)
{
	char path[128], *old_path = strdup(getenv("PATH")), *new_path;
	struct clu_cluster c;
	struct clu_err err = CLU_ERR_INIT;

	(void)state;
	snprintf(path, sizeof(path), "%s/crm_mon", tmpdir);
	write_file(path, fake_crm_mon, 0755);
	snprintf(path, sizeof(path), "%s/cibadmin", tmpdir);
	write_file(path, fake_cibadmin, 0755);
	snprintf(path, sizeof(path), "%s/config.xml", tmpdir);
	write_file(path, rules_config, 0644);
	snprintf(path, sizeof(path), "%s/output.xml", tmpdir);
	write_file(path, rules_xml, 0644);
	assert_true(asprintf(&new_path, "%s:%s", tmpdir, old_path) > 0);
	setenv("PATH", new_path, 1);

	assert_int_equal(read_live(&c, &err), 0);
	assert_string_equal(c.name, "rules");
	assert_int_equal(c.n_nodes, 3);
	assert_string_equal(c.nodes[0].version, "2.10");   /* crm_mon's value wins */
	assert_string_equal(c.nodes[2].version, "1.9");    /* offline: from the config */
	assert_null(c.groups[0].owner);                    /* partly started */
	assert_string_equal(c.groups[1].owner, "b");
	assert_string_equal(c.groups[1].data_version, "2.9");
	clu_cluster_release(&c);

	setenv("FAKE_CIB_STATUS", "105", 1);
	assert_int_equal(read_live(&c, &err), CLU_E_CLUSTER);
	assert_string_equal(err.msg, "cannot read the configuration: 'cibadmin' exited with "
			    "status 105: Call cib_query failed");
	unsetenv("FAKE_CIB_STATUS");

	/* crm_mon cannot reach the cluster stack here: no control node answers. */
	write_file(path, "", 0644);
	setenv("FAKE_STATUS", "102", 1);
	setenv("FAKE_STDERR", "crm_mon: Connection to cluster failed", 1);
	assert_int_equal(read_live(&c, &err), CLU_E_SPAWN);
	assert_non_null(strstr(err.msg, "crm_mon: Connection to cluster failed"));
	unsetenv("FAKE_STDERR");
	setenv("FAKE_STATUS", "0", 1);
	assert_int_equal(read_live(&c, &err), CLU_E_CLUSTER);
	unsetenv("FAKE_STATUS");

	setenv("PATH", "/nonexistent", 1);
	assert_int_equal(read_live(&c, &err), CLU_E_SPAWN);
	assert_non_null(strstr(err.msg, "cannot run 'crm_mon': No such file or directory"));
	assert_null(c.nodes);

	setenv("PATH", old_path, 1);
	free(new_path);
	free(old_path);
}

/*
 * The Pacemaker backend's ban of a group whose name holds "-on-": its
 * change record carries the node and the group (nothing is parsed back
 * from the id), and the constraint it writes names them. A stand-in
 * cibadmin answers "no such object" to queries and logs every call.
 */
static const char fake_cibadmin_log[] =
	"#!/bin/sh\n"
	"printf '%s\\n' \"$*\" >>\"$(dirname \"$0\")/cibadmin.log\"\n"
	"[ \"$1\" = --query ] && exit 105\n"
	"exit 0\n";

static void test_backend_ban_add_on(void **state)
{
	char path[128], *old_path = strdup(getenv("PATH")), *new_path, *log;
	struct clu_intent ban = { CLU_VERB_BAN, "add-on-svc", "n1", NULL };
	struct clu_err err = CLU_ERR_INIT;
	struct clu_change c;
	struct clu_target t;
	bool already = true;

	(void)state;
	snprintf(path, sizeof(path), "%s/cibadmin", tmpdir);
	write_file(path, fake_cibadmin_log, 0755);
	assert_true(asprintf(&new_path, "%s:%s", tmpdir, old_path) > 0);
	setenv("PATH", new_path, 1);
	assert_int_equal(clu_target_open(&t, "pacemaker", "v", NULL, &err), 0);

	assert_int_equal(t.backend->ops->prepare(t.backend, &ban, &c, &already, &err), 0);
	assert_false(already);
	assert_string_equal(c.kind, CLU_PCMK_CHANGE_CONSTRAINT);
	assert_string_equal(c.target, "clupdate-ban-add-on-svc-on-n1");
	assert_string_equal(c.node, "n1");
	assert_string_equal(c.group, "add-on-svc");
	assert_int_equal(t.backend->ops->verb_of(&c), CLU_VERB_BAN);
	assert_int_equal(t.backend->ops->apply(t.backend, &c, 1, &err), 0);
	clu_change_release(&c);

	snprintf(path, sizeof(path), "%s/cibadmin.log", tmpdir);
	log = clu__read_file(path, 1 << 20, NULL);
	assert_non_null(log);
	assert_non_null(strstr(log, "--query --xpath //constraints/*[@id='clupdate-ban-add-on-svc-on-n1']"));
	assert_non_null(strstr(log, "<rsc_location id=\"clupdate-ban-add-on-svc-on-n1\" "
			       "rsc=\"add-on-svc\" node=\"n1\" score=\"-INFINITY\"/>"));
	free(log);
	clu_target_release(&t);
	setenv("PATH", old_path, 1);
	free(new_path);
	free(old_path);
}

static void test_read_file(void **state)
{
	struct clu_cluster c;
	struct clu_err err = CLU_ERR_INIT;
	char path[128];

	(void)state;
	assert_int_equal(clu_pacemaker_read_file(&c, "/nonexistent.xml", "v", &err), CLU_E_IO);
	assert_string_equal(err.msg, "cannot read '/nonexistent.xml': No such file or directory");
	snprintf(path, sizeof(path), "%s/output.xml", tmpdir);
	write_file(path, "<cib/>", 0644);
	assert_int_equal(clu_pacemaker_read_file(&c, path, "v", &err), CLU_E_CLUSTER);
	assert_true(strncmp(err.msg, "xml:", 4) == 0);
	assert_string_equal(err.msg + 4 + strlen(path), ": not crm_mon output: root element is <cib>");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_bans_that_do_not_ban),
		cmocka_unit_test(test_quorum),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_hostile_names),
		cmocka_unit_test(test_hostile_config),
		cmocka_unit_test(test_split_groups),
		cmocka_unit_test(test_quoted_text_escaped),
		cmocka_unit_test(test_dtd_refused),
		cmocka_unit_test(test_argv),
		cmocka_unit_test(test_captures),
		cmocka_unit_test(test_capture_details),
		cmocka_unit_test(test_failures_and_partial_groups),
		cmocka_unit_test(test_status_argv_on_captures),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_live),
		cmocka_unit_test(test_backend_ban_add_on),
		cmocka_unit_test(test_read_file),
	};

	return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
