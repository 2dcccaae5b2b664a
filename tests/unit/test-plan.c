/*
 * Planner tests: both strategies on 2, 3 and 5 nodes, auto's choice, the
 * guards, the predicted interruptions, and every refusal (forbidden
 * strategy, availability, quorum, offline and maintenance nodes, downgrade,
 * an unsafe starting state, no takeover node, unknown group). Clusters are
 * written in a small notation so each test shows its situation at a glance:
 *
 *   nodes:  "n1:1 n2:1:standby n3:1:offline n4:2:maint n5:1:drained"
 *           (name:version[:state]; drained = standby left by an earlier run)
 *   groups: "mail@n2 web@- db@n1!n3"   (name@owner, - = stopped, !bans)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "clupdate/plan.h"
#include "util.h"

static void make_cluster(struct clu_cluster *c, const char *nodes, const char *groups)
{
	char *copy = clu__xstrdup(nodes), *save = NULL;

	memset(c, 0, sizeof(*c));
	c->quorum = true;
	for (char *tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		char *name = strtok(tok, ":"), *version = strtok(NULL, ":"), *state = strtok(NULL, ":");
		struct clu_node *n = clu_cluster_add_node(c, name);

		n->online = true;
		clu_set_string(&n->version, version);
		if (state && !strcmp(state, "standby"))
			n->standby = true;
		if (state && !strcmp(state, "offline"))
			n->online = false;
		if (state && !strcmp(state, "maint"))
			n->maintenance = true;
		if (state && !strcmp(state, "drained"))
			n->standby = n->drained_by_clupdate = true;
	}
	free(copy);

	copy = clu__xstrdup(groups);
	for (char *tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		char *bans = strchr(tok, '!');
		char *at = strchr(tok, '@');
		struct clu_group *g;

		if (bans)
			*bans++ = '\0';
		*at++ = '\0';
		g = clu_cluster_add_group(c, tok);
		clu_group_add_member(g, "ip");
		if (strcmp(at, "-") != 0) {
			clu_set_string(&g->owner, at);
			clu_set_string(&g->data_version, clu_cluster_node(c, at)->version);
		}
		for (char *b = bans ? strtok(bans, ",") : NULL; b; b = strtok(NULL, ","))
			clu_group_ban(g, b);
	}
	free(copy);
}

static char *group_names[] = { "mail", "web" };

/* A manifest like the demo's sp2: in place, migrates the store. */
static void make_manifest(struct clu_manifest *m, size_t n_groups)
{
	memset(m, 0, sizeof(*m));
	m->path = "sp2.conf";
	m->name = "mail-sp2";
	m->version = "2";
	m->groups = group_names;
	m->n_groups = n_groups;
	m->strategy = CLU_STRATEGY_IN_PLACE;
	m->data_migration = true;
	m->takeover_compatible = false;
	m->max_unavailable = 1;
	m->expected_install_ms = 8000;
	m->expected_switchover_ms = 3000;
	m->version_attribute = "mail-version";
}

/* "pin mail@n2, install n2, ..." from a plan, to compare whole sequences. */
static char *sequence(const struct clu_plan *plan)
{
	char *out = clu__xstrdup("");

	for (size_t i = 0; i < plan->n_steps; i++) {
		const struct clu_step *s = &plan->steps[i];
		char *next;

		if (s->group && s->node)
			next = clu__xasprintf("%s%s%s %s@%s", out, i ? ", " : "",
					      clu_action_name(s->action), s->group, s->node);
		else
			next = clu__xasprintf("%s%s%s %s", out, i ? ", " : "",
					      clu_action_name(s->action), s->group ? s->group : s->node);
		free(out);
		out = next;
	}
	return out;
}

static void assert_plan(const struct clu_plan *plan, const char *expected)
{
	char *got = sequence(plan);

	assert_string_equal(got, expected);
	free(got);
}

static const struct clu_guard *find_guard(const struct clu_plan *plan, const char *group,
					  const char *node)
{
	for (size_t i = 0; i < plan->n_guards; i++)
		if (!strcmp(plan->guards[i].group, group) && !strcmp(plan->guards[i].node, node))
			return &plan->guards[i];
	return NULL;
}

static void test_in_place_two_nodes(void **state)
{
	struct clu_cluster c;
	struct clu_manifest m;
	struct clu_plan plan;
	struct clu_err err = CLU_ERR_INIT;
	const struct clu_guard *g;
	(void)state;

	make_cluster(&c, "n1:1 n2:1", "mail@n2");
	make_manifest(&m, 1);
	assert_int_equal(clu_plan_make(&plan, &m, &c, -1, &err), 0);
	assert_int_equal(plan.strategy, CLU_STRATEGY_IN_PLACE);
	assert_plan(&plan, "pin mail@n2, install n2, verify n2, unpin mail@n2, "
			   "drain n1, install n1, verify n1, undrain n1");
	/* mail may not run on n1 from n2's install (2) until n1 is verified (7). */
	assert_int_equal(plan.n_guards, 1);
	g = find_guard(&plan, "mail", "n1");
	assert_non_null(g);
	assert_int_equal(g->from, 2);
	assert_int_equal(g->until, 7);
	assert_int_equal(g->enforced_by, 0);
	assert_int_equal(plan.n_interruptions, 1);
	assert_string_equal(plan.interruptions[0].group, "mail");
	assert_int_equal(plan.interruptions[0].count, 1);
	assert_int_equal(plan.interruptions[0].ms, 8000);
	/* The install on the owner is what interrupts users. */
	assert_int_equal(plan.steps[1].n_interrupts, 1);
	assert_int_equal(plan.steps[5].n_interrupts, 0);
	clu_plan_release(&plan);
	clu_cluster_release(&c);
}

static void test_rolling_two_nodes(void **state)
{
	struct clu_cluster c;
	struct clu_manifest m;
	struct clu_plan plan;
	struct clu_err err = CLU_ERR_INIT;
	const struct clu_guard *g;
	(void)state;

	make_cluster(&c, "n1:1 n2:1", "mail@n2");
	make_manifest(&m, 1);
	m.takeover_compatible = true;
	assert_int_equal(clu_plan_make(&plan, &m, &c, CLU_STRATEGY_ROLLING, &err), 0);
	assert_plan(&plan, "drain n1, install n1, verify n1, undrain n1, "
			   "ban mail@n2, move mail@n1, install n2, verify n2, clear mail");
	/* n2 is banned for mail (step 5) until it is verified (8), cleared after. */
	g = find_guard(&plan, "mail", "n2");
	assert_non_null(g);
	assert_int_equal(g->enforced_by, 5);
	assert_int_equal(g->from, 6);
	assert_int_equal(g->until, 8);
	assert_int_equal(plan.interruptions[0].count, 1);
	assert_int_equal(plan.interruptions[0].ms, 3000);
	assert_int_equal(plan.steps[5].n_interrupts, 1);
	clu_plan_release(&plan);
	clu_cluster_release(&c);
}

static void test_in_place_three_nodes(void **state)
{
	struct clu_cluster c;
	struct clu_manifest m;
	struct clu_plan plan;
	struct clu_err err = CLU_ERR_INIT;
	(void)state;

	make_cluster(&c, "n1:1 n2:1 n3:1", "mail@n2");
	make_manifest(&m, 1);
	assert_int_equal(clu_plan_make(&plan, &m, &c, -1, &err), 0);
	assert_plan(&plan, "pin mail@n2, install n2, verify n2, unpin mail@n2, "
			   "drain n1, install n1, verify n1, undrain n1, "
			   "drain n3, install n3, verify n3, undrain n3");
	assert_int_equal(plan.n_guards, 2);
	assert_int_equal(find_guard(&plan, "mail", "n1")->until, 7);
	assert_int_equal(find_guard(&plan, "mail", "n3")->from, 2);
	assert_int_equal(find_guard(&plan, "mail", "n3")->until, 11);
	clu_plan_release(&plan);
	clu_cluster_release(&c);
}

static void test_rolling_three_nodes(void **state)
{
	struct clu_cluster c;
	struct clu_manifest m;
	struct clu_plan plan;
	struct clu_err err = CLU_ERR_INIT;
	(void)state;

	make_cluster(&c, "n1:1 n2:1 n3:1", "mail@n2");
	make_manifest(&m, 1);
	m.data_migration = false;
	assert_int_equal(clu_plan_make(&plan, &m, &c, CLU_STRATEGY_ROLLING, &err), 0);
	assert_plan(&plan, "drain n1, install n1, verify n1, undrain n1, "
			   "drain n3, install n3, verify n3, undrain n3, "
			   "ban mail@n2, move mail@n1, install n2, verify n2, clear mail");
	/* Without data migration the old owner may still run the data: no guard. */
	assert_int_equal(plan.n_guards, 0);
	clu_plan_release(&plan);
	clu_cluster_release(&c);
}

static void test_five_nodes_both(void **state)
{
	struct clu_cluster c;
	struct clu_manifest m;
	struct clu_plan plan;
	struct clu_err err = CLU_ERR_INIT;
	(void)state;

	make_cluster(&c, "n1:1 n2:1 n3:1 n4:1 n5:1", "mail@n4");
	make_manifest(&m, 1);
	assert_int_equal(clu_plan_make(&plan, &m, &c, CLU_STRATEGY_IN_PLACE, &err), 0);
	assert_int_equal(plan.n_steps, 4 + 4 * 4);
	assert_string_equal(plan.steps[1].node, "n4");
	assert_int_equal(plan.n_guards, 4);
	assert_int_equal(plan.interruptions[0].count, 1);
	clu_plan_release(&plan);

	m.takeover_compatible = true;
	assert_int_equal(clu_plan_make(&plan, &m, &c, CLU_STRATEGY_ROLLING, &err), 0);
	assert_int_equal(plan.n_steps, 4 * 4 + 1 + 1 + 2 + 1);
	assert_int_equal(plan.steps[16].action, CLU_ACTION_BAN);
	assert_int_equal(plan.steps[17].action, CLU_ACTION_MOVE);
	assert_string_equal(plan.steps[17].node, "n1");
	assert_int_equal(plan.interruptions[0].count, 1);
	clu_plan_release(&plan);
	clu_cluster_release(&c);
}

static void test_auto_choice(void **state)
{
	struct clu_cluster c;
	struct clu_manifest m;
	struct clu_plan plan;
	struct clu_err err = CLU_ERR_INIT;
	(void)state;

	make_cluster(&c, "n1:1 n2:1 n3:1", "mail@n2");
	make_manifest(&m, 1);
	m.strategy = CLU_STRATEGY_AUTO;
	/* Forbidden rolling: auto takes in-place and says why. */
	assert_int_equal(clu_plan_make(&plan, &m, &c, -1, &err), 0);
	assert_int_equal(plan.strategy, CLU_STRATEGY_IN_PLACE);
	assert_non_null(strstr(plan.choice, "rolling is not allowed"));
	clu_plan_release(&plan);

	/* A switchover (3 s) is shorter than the installer (8 s): rolling. */
	m.takeover_compatible = true;
	assert_int_equal(clu_plan_make(&plan, &m, &c, -1, &err), 0);
	assert_int_equal(plan.strategy, CLU_STRATEGY_ROLLING);
	assert_string_equal(plan.choice, "auto chose rolling: predicted interruption 3000 ms "
			    "(one switchover per group) against 8000 ms in place");
	clu_plan_release(&plan);

	/* A fast installer makes in-place the smaller interruption. */
	m.expected_install_ms = 1000;
	assert_int_equal(clu_plan_make(&plan, &m, &c, -1, &err), 0);
	assert_int_equal(plan.strategy, CLU_STRATEGY_IN_PLACE);
	clu_plan_release(&plan);
	clu_cluster_release(&c);
}

static void test_refuse_forbidden_rolling(void **state)
{
	struct clu_cluster c;
	struct clu_manifest m;
	struct clu_plan plan;
	struct clu_err err = CLU_ERR_INIT;
	(void)state;

	make_cluster(&c, "n1:1 n2:1", "mail@n2");
	make_manifest(&m, 1);
	assert_int_equal(clu_plan_make(&plan, &m, &c, CLU_STRATEGY_ROLLING, &err), CLU_E_REFUSED);
	assert_non_null(strstr(err.msg, "strategy rolling is forbidden by 'sp2.conf'"));
	assert_non_null(strstr(err.msg, "takeover-compatible = no"));
	clu_cluster_release(&c);
}

static void expect_refusal(const char *nodes, const char *groups, int strategy,
			   unsigned max_unavailable, int code, const char *message)
{
	struct clu_cluster c;
	struct clu_manifest m;
	struct clu_plan plan;
	struct clu_err err = CLU_ERR_INIT;

	make_cluster(&c, nodes, groups);
	make_manifest(&m, 1);
	m.takeover_compatible = true;
	m.max_unavailable = max_unavailable;
	assert_int_equal(clu_plan_make(&plan, &m, &c, strategy, &err), code);
	if (!strstr(err.msg, message))
		fail_msg("expected '%s' in '%s'", message, err.msg);
	clu_cluster_release(&c);
}

static void test_refuse_availability(void **state)
{
	(void)state;
	/*
	 * n1 already in standby: the owner under its installer is a second node
	 * out of service (and so would n3 be when drained).
	 */
	expect_refusal("n1:1:standby n2:1 n3:1", "mail@n2", CLU_STRATEGY_IN_PLACE, 1,
		       CLU_E_REFUSED, "in-place plan refused at step 2 (install 'n2'): "
		       "availability: 2 nodes would be out of service, the manifest allows 1 "
		       "(max-unavailable)");
}

static void test_standby_node_allowed_with_headroom(void **state)
{
	struct clu_cluster c;
	struct clu_manifest m;
	struct clu_plan plan;
	struct clu_err err = CLU_ERR_INIT;
	(void)state;

	make_cluster(&c, "n1:1:standby n2:1 n3:1", "mail@n2");
	make_manifest(&m, 1);
	m.max_unavailable = 2;
	assert_int_equal(clu_plan_make(&plan, &m, &c, -1, &err), 0);
	/* A node found in standby is updated there and left in standby. */
	assert_plan(&plan, "pin mail@n2, install n2, verify n2, unpin mail@n2, "
			   "install n1, verify n1, "
			   "drain n3, install n3, verify n3, undrain n3");
	clu_plan_release(&plan);
	clu_cluster_release(&c);
}

static void test_refuse_quorum(void **state)
{
	struct clu_cluster c;
	struct clu_manifest m;
	struct clu_plan plan;
	struct clu_err err = CLU_ERR_INIT;
	(void)state;

	make_cluster(&c, "n1:1 n2:1 n3:1", "mail@n2");
	c.quorum = false;
	make_manifest(&m, 1);
	assert_int_equal(clu_plan_make(&plan, &m, &c, -1, &err), CLU_E_REFUSED);
	assert_string_equal(err.msg, "the cluster is not safe to update as it is: quorum: "
			    "the cluster has no quorum although all 3 nodes are online: a "
			    "node joining, or an election under way?");
	clu_cluster_release(&c);
	/* A node down (banned, so it is no reason to refuse): the plain reason. */
	make_cluster(&c, "n1:1 n2:1 n3:1:offline", "mail@n2!n3");
	c.quorum = false;
	err = (struct clu_err)CLU_ERR_INIT;
	assert_int_equal(clu_plan_make(&plan, &m, &c, -1, &err), CLU_E_REFUSED);
	assert_string_equal(err.msg, "the cluster is not safe to update as it is: quorum: "
			    "the cluster has no quorum (only 2 of 3 nodes online)");
	clu_cluster_release(&c);
}

static void test_refuse_offline_node(void **state)
{
	(void)state;
	expect_refusal("n1:1 n2:1 n3:1:offline", "mail@n2", CLU_STRATEGY_IN_PLACE, 1,
		       CLU_E_REFUSED, "node 'n3' is offline: it cannot be updated");
}

static void test_offline_banned_node_skipped(void **state)
{
	struct clu_cluster c;
	struct clu_manifest m;
	struct clu_plan plan;
	struct clu_err err = CLU_ERR_INIT;
	(void)state;

	/* Of 3 nodes, n3 offline: the owner under its installer would leave 1 vote of 2. */
	make_cluster(&c, "n1:1 n2:1 n3:1:offline", "mail@n2!n3");
	make_manifest(&m, 1);
	m.max_unavailable = 2;
	assert_int_equal(clu_plan_make(&plan, &m, &c, -1, &err), CLU_E_REFUSED);
	assert_string_equal(err.msg, "in-place plan refused at step 2 (install 'n2'): quorum: "
			    "1 of 3 votes would be present after it (1 node offline, 1 held out "
			    "of service by the update), the cluster needs 2");
	clu_cluster_release(&c);

	/* Of 5, one offline: skipped, and the others one at a time (the margin is 1). */
	make_cluster(&c, "n1:1 n2:1 n3:1 n4:1 n5:1:offline", "mail@n2!n5");
	assert_int_equal(clu_plan_make(&plan, &m, &c, -1, &err), 0);
	assert_plan(&plan, "pin mail@n2, install n2, verify n2, unpin mail@n2, "
			   "drain n1, install n1, verify n1, undrain n1, "
			   "drain n3, install n3, verify n3, undrain n3, "
			   "drain n4, install n4, verify n4, undrain n4");
	assert_int_equal(plan.n_notes, 1);
	assert_non_null(strstr(plan.notes[0], "'n5' is offline and banned"));
	assert_int_equal(plan.steps[1].votes_present, 3);
	assert_int_equal(plan.steps[1].votes_needed, 3);
	clu_plan_release(&plan);
	clu_cluster_release(&c);
}

static void test_refuse_maintenance_and_downgrade(void **state)
{
	(void)state;
	expect_refusal("n1:1:maint n2:1", "mail@n2", CLU_STRATEGY_IN_PLACE, 1,
		       CLU_E_REFUSED, "node 'n1' is in maintenance mode");
	expect_refusal("n1:3 n2:1", "mail@n2", CLU_STRATEGY_IN_PLACE, 1,
		       CLU_E_REFUSED, "node 'n1' has version 3, newer than mail-sp2's 2: "
		       "clupdate does not downgrade");
}

static void test_refuse_unsafe_start(void **state)
{
	(void)state;
	/* The data is already at 2 on n2, yet n1 (at 1) may take it over. */
	expect_refusal("n1:1 n2:2 n3:1", "mail@n2", CLU_STRATEGY_IN_PLACE, 1, CLU_E_REFUSED,
		       "the cluster is not safe to update as it is: version guard: 'mail' "
		       "could fail over to 'n1' (version 1), older than its data (version 2)");
}

static void test_refuse_no_takeover_node(void **state)
{
	(void)state;
	/* The only other node stays in standby: nobody can take the group. */
	expect_refusal("n1:1:standby n2:1", "mail@n2", CLU_STRATEGY_ROLLING, 1, CLU_E_REFUSED,
		       "rolling: no updated node can take over 'mail' from 'n2'");
}

static void test_refuse_unknown_group(void **state)
{
	(void)state;
	expect_refusal("n1:1 n2:1", "web@n2", CLU_STRATEGY_IN_PLACE, 1, CLU_E_CLUSTER,
		       "group 'mail' named in 'sp2.conf' is not in the cluster");
}

static void test_two_groups_two_owners(void **state)
{
	struct clu_cluster c;
	struct clu_manifest m;
	struct clu_plan plan;
	struct clu_err err = CLU_ERR_INIT;
	(void)state;

	make_cluster(&c, "n1:1 n2:1 n3:1", "mail@n1 web@n2");
	make_manifest(&m, 2);
	assert_int_equal(clu_plan_make(&plan, &m, &c, -1, &err), 0);
	assert_plan(&plan, "pin mail@n1, install n1, verify n1, unpin mail@n1, "
			   "pin web@n2, install n2, verify n2, unpin web@n2, "
			   "drain n3, install n3, verify n3, undrain n3");
	/* mail may not go to n2 before n2 is verified, nor either group to n3. */
	assert_int_equal(find_guard(&plan, "mail", "n2")->until, 7);
	assert_int_equal(find_guard(&plan, "mail", "n3")->until, 11);
	assert_int_equal(find_guard(&plan, "web", "n3")->from, 6);
	assert_null(find_guard(&plan, "web", "n1"));
	assert_int_equal(plan.interruptions[1].count, 1);
	clu_plan_release(&plan);

	m.takeover_compatible = true;
	assert_int_equal(clu_plan_make(&plan, &m, &c, CLU_STRATEGY_ROLLING, &err), 0);
	assert_plan(&plan, "drain n3, install n3, verify n3, undrain n3, "
			   "ban mail@n1, ban mail@n2, move mail@n3, install n1, verify n1, "
			   "ban web@n2, move web@n1, install n2, verify n2, clear mail, clear web");
	clu_plan_release(&plan);
	clu_cluster_release(&c);
}

static void test_stopped_group_and_updated_nodes(void **state)
{
	struct clu_cluster c;
	struct clu_manifest m;
	struct clu_plan plan;
	struct clu_err err = CLU_ERR_INIT;
	(void)state;

	make_cluster(&c, "n1:2 n2:1", "mail@-");
	make_manifest(&m, 1);
	assert_int_equal(clu_plan_make(&plan, &m, &c, -1, &err), 0);
	assert_plan(&plan, "drain n2, install n2, verify n2, undrain n2");
	assert_int_equal(plan.interruptions[0].count, 0);
	assert_int_equal(plan.n_notes, 2);
	assert_non_null(strstr(plan.notes[0], "'n1' already has version 2"));
	assert_non_null(strstr(plan.notes[1], "'mail' is stopped"));
	clu_plan_release(&plan);
	clu_cluster_release(&c);

	make_cluster(&c, "n1:2 n2:2", "mail@n1");
	assert_int_equal(clu_plan_make(&plan, &m, &c, -1, &err), 0);
	assert_int_equal(plan.n_steps, 0);
	clu_plan_release(&plan);
	clu_cluster_release(&c);
}

static void test_hooks_around_install(void **state)
{
	struct clu_cluster c;
	struct clu_manifest m;
	struct clu_plan plan;
	struct clu_err err = CLU_ERR_INIT;
	struct clu_hook hook = { .name = "queue", .pre = "flush", .post = "selftest",
				 .timeout_ms = 1000 };
	(void)state;

	make_cluster(&c, "n1:1 n2:1", "mail@n2");
	make_manifest(&m, 1);
	m.hooks = &hook;
	m.n_hooks = 1;
	assert_int_equal(clu_plan_make(&plan, &m, &c, -1, &err), 0);
	assert_plan(&plan, "pin mail@n2, pre-hook n2, install n2, verify n2, post-hook n2, "
			   "unpin mail@n2, drain n1, pre-hook n1, install n1, verify n1, "
			   "post-hook n1, undrain n1");
	assert_string_equal(plan.steps[1].hook, "queue");
	clu_plan_release(&plan);
	clu_cluster_release(&c);
}

/*
 * After a crash: the owner is updated, a passive was left drained by the
 * dead run, the version guard's bans are in place. The drained node goes
 * first (it costs no availability) and is undrained; then the last one.
 */
static void test_resume_after_crash(void **state)
{
	struct clu_cluster c;
	struct clu_manifest m;
	struct clu_plan plan;
	struct clu_err err = CLU_ERR_INIT;
	(void)state;

	make_cluster(&c, "n1:2 n2:1:drained n3:1", "mail@n1!n2,n3");
	make_manifest(&m, 1);
	assert_int_equal(clu_plan_make(&plan, &m, &c, -1, &err), 0);
	assert_plan(&plan, "install n2, verify n2, undrain n2, "
			   "drain n3, install n3, verify n3, undrain n3");
	clu_plan_release(&plan);

	/* Its installer finished after the crash: only the undrain is left. */
	clu_set_string(&c.nodes[1].version, "2");
	assert_int_equal(clu_plan_make(&plan, &m, &c, -1, &err), 0);
	assert_plan(&plan, "undrain n2, drain n3, install n3, verify n3, undrain n3");
	assert_non_null(strstr(plan.notes[1], "'n2' already has version 2 but an earlier run "
				"left it drained"));
	clu_plan_release(&plan);
	clu_set_string(&c.nodes[1].version, "1");

	/* Drained by its administrator instead: updated, but left drained. */
	c.nodes[1].drained_by_clupdate = false;
	m.max_unavailable = 2;
	assert_int_equal(clu_plan_make(&plan, &m, &c, -1, &err), 0);
	assert_plan(&plan, "install n2, verify n2, drain n3, install n3, verify n3, undrain n3");
	clu_plan_release(&plan);
	clu_cluster_release(&c);
}

/*
 * The owner died under an earlier run's pin: the group runs nowhere, still
 * pinned, banned from the older nodes. The plan starts it again where it
 * was pinned, then updates that node as its owner; the same unpin step, a
 * restart, is told apart from a pin's end. The restart may bring the group
 * back there only in part (the owner may have died with the new binaries
 * and the old data), up to the pin; not on an owner already updated.
 */
static void test_resume_after_the_owner_died(void **state)
{
	struct clu_cluster c;
	struct clu_manifest m;
	struct clu_plan plan;
	struct clu_err err = CLU_ERR_INIT;
	char *text;
	(void)state;

	make_cluster(&c, "n1:1 n2:1 n3:1", "mail@-!n2,n3");
	c.groups[0].managed = false;
	clu_set_string(&c.groups[0].pinned_by_clupdate, "n1");
	make_manifest(&m, 1);
	assert_int_equal(clu_plan_make(&plan, &m, &c, -1, &err), 0);
	assert_plan(&plan, "unpin mail@n1, pin mail@n1, install n1, verify n1, unpin mail@n1, "
			   "drain n2, install n2, verify n2, undrain n2, "
			   "drain n3, install n3, verify n3, undrain n3");
	assert_true(clu_step_restarts(&plan, &plan.steps[0]));
	assert_false(clu_step_restarts(&plan, &plan.steps[4]));
	text = clu_step_describe(&plan.steps[0], &plan);
	assert_non_null(strstr(text, "the engine starts it there again"));
	free(text);
	assert_int_equal(plan.steps[0].post[1].kind, CLU_FACT_GROUP_PLACED_ON);
	assert_int_equal(plan.steps[1].pre[0].kind, CLU_FACT_GROUP_PLACED_ON);
	assert_int_equal(plan.steps[1].post[1].kind, CLU_FACT_GROUP_ON);
	assert_int_equal(plan.steps[4].post[1].kind, CLU_FACT_GROUP_ON);
	clu_plan_release(&plan);

	/* Its owner already updated: nothing to install there, so whole. */
	clu_set_string(&c.nodes[0].version, "2");
	clu_set_string(&c.groups[0].data_version, "2");
	assert_int_equal(clu_plan_make(&plan, &m, &c, -1, &err), 0);
	assert_int_equal(plan.steps[0].action, CLU_ACTION_UNPIN);
	assert_int_equal(plan.steps[0].post[1].kind, CLU_FACT_GROUP_ON);
	clu_plan_release(&plan);
	clu_set_string(&c.nodes[0].version, "1");
	clu_set_string(&c.groups[0].data_version, NULL);

	/* Where the engine would start it elsewhere, the plan says so. */
	clu_set_string(&c.groups[0].pinned_by_clupdate, "n2");
	assert_int_not_equal(clu_plan_make(&plan, &m, &c, -1, &err), 0);
	assert_non_null(strstr(err.msg, "step 1"));
	clu_cluster_release(&c);
}

/*
 * An earlier run stopped after the restart of a stranded group on its
 * half-installed owner and before the pin: the engine runs the group on
 * n1 but for maild, "not installed" there, and manages it again. The plan
 * takes it as placed on n1: pin it as it is (no restart, no drain of n1
 * away from its data), install there again. A member failed for another
 * reason is not taken so: the group is in trouble, and the plan as before.
 */
static void test_resume_with_the_group_left_in_part(void **state)
{
	struct clu_failure not_installed = { .resource = "maild", .node = "n1", .task = "start",
					     .status = "not installed", .call = 7 };
	struct clu_cluster c;
	struct clu_manifest m;
	struct clu_plan plan;
	struct clu_err err = CLU_ERR_INIT;
	struct clu_group *g;
	(void)state;

	make_cluster(&c, "n1:1 n2:1 n3:1", "mail@-!n2,n3");
	g = &c.groups[0];
	clu_group_add_member(g, "maild");
	clu_set_string(&g->partly_on, "n1");
	clu_set_string(&g->trouble, "'maild' failed");
	clu_cluster_add_failure(&c, &not_installed);
	make_manifest(&m, 1);
	assert_int_equal(clu_plan_make(&plan, &m, &c, -1, &err), 0);
	assert_plan(&plan, "pin mail@n1, install n1, verify n1, unpin mail@n1, "
			   "drain n2, install n2, verify n2, undrain n2, "
			   "drain n3, install n3, verify n3, undrain n3");
	assert_int_equal(plan.steps[0].pre[0].kind, CLU_FACT_GROUP_PLACED_ON);
	assert_true(clu_fact_holds(&plan.steps[0].pre[0], &c, &m));
	assert_int_equal(plan.steps[0].post[1].kind, CLU_FACT_GROUP_ON);
	for (size_t i = 0; i < plan.n_notes; i++)
		assert_null(strstr(plan.notes[i], "is stopped"));
	clu_plan_release(&plan);

	/* maild failed there for another reason: not placed, not n1's to keep. */
	clu_set_string(&c.failures[0].status, "error");
	assert_int_equal(clu_plan_make(&plan, &m, &c, -1, &err), 0);
	assert_int_equal(plan.steps[0].action, CLU_ACTION_DRAIN);
	clu_plan_release(&plan);
	clu_cluster_release(&c);
}

/* The executor's view: a live state that breaks an open guard is refused. */
static void test_check_state_guards(void **state)
{
	struct clu_cluster c, live;
	struct clu_manifest m;
	struct clu_plan plan;
	struct clu_err err = CLU_ERR_INIT;
	(void)state;

	make_cluster(&c, "n1:1 n2:1", "mail@n2");
	make_manifest(&m, 1);
	assert_int_equal(clu_plan_make(&plan, &m, &c, -1, &err), 0);

	/* After step 4 (unpin) with the guard's ban missing: refused. */
	make_cluster(&live, "n1:1 n2:2", "mail@n2");
	clu_set_string(&clu_cluster_group(&live, "mail")->data_version, NULL);
	assert_int_equal(clu_plan_check_state(&plan, &m, &live, 4, &err), CLU_E_REFUSED);
	assert_string_equal(err.msg, "version guard: 'mail' could fail over to 'n1', which "
			    "must not host it until step 7");
	/* With the ban in place it holds. */
	clu_group_ban(clu_cluster_group(&live, "mail"), "n1");
	assert_int_equal(clu_plan_check_state(&plan, &m, &live, 4, &err), 0);
	/* And the guard is over once n1 is verified. */
	clu_group_unban(clu_cluster_group(&live, "mail"), "n1");
	assert_int_equal(clu_plan_check_state(&plan, &m, &live, 8, &err), 0);
	clu_cluster_release(&live);
	clu_plan_release(&plan);
	clu_cluster_release(&c);
}

/* "1:pin 2:drain ..." wave by step, to compare whole sequences. */
static char *waves_of(const struct clu_plan *plan)
{
	char *out = clu__xstrdup("");

	for (size_t i = 0; i < plan->n_steps; i++) {
		char *next = clu__xasprintf("%s%s%u", out, i ? " " : "", plan->steps[i].wave);

		free(out);
		out = next;
	}
	return out;
}

static void assert_waves(const struct clu_plan *plan, const char *expected)
{
	char *got = waves_of(plan);

	assert_string_equal(got, expected);
	free(got);
}

/* Votes present after each step, "3 2 3 ...". */
static void assert_votes(const struct clu_plan *plan, const char *expected)
{
	char *out = clu__xstrdup("");

	for (size_t i = 0; i < plan->n_steps; i++) {
		char *next = clu__xasprintf("%s%s%u", out, i ? " " : "", plan->steps[i].votes_present);

		free(out);
		out = next;
	}
	assert_string_equal(out, expected);
	free(out);
}

/* One node at a time: each node its own wave, the margin after every step. */
static void test_waves_one_at_a_time(void **state)
{
	struct clu_cluster c;
	struct clu_manifest m;
	struct clu_plan plan;
	struct clu_err err = CLU_ERR_INIT;
	(void)state;

	make_cluster(&c, "n1:1 n2:1 n3:1", "mail@n2");
	make_manifest(&m, 1);
	assert_int_equal(clu_plan_make(&plan, &m, &c, -1, &err), 0);
	assert_plan(&plan, "pin mail@n2, install n2, verify n2, unpin mail@n2, "
			   "drain n1, install n1, verify n1, undrain n1, "
			   "drain n3, install n3, verify n3, undrain n3");
	assert_waves(&plan, "1 1 1 1 2 2 2 2 3 3 3 3");
	assert_votes(&plan, "3 2 2 3 2 2 2 3 2 2 2 3");
	for (size_t i = 0; i < plan.n_steps; i++)
		assert_int_equal(plan.steps[i].votes_needed, 2);
	clu_plan_release(&plan);
	clu_cluster_release(&c);
}

/*
 * max-unavailable 2 on 5 nodes: the owner alone, then the passives two at
 * a time, each kind of step on both before the next kind; quorum 3 of 5.
 */
static void test_waves_in_place(void **state)
{
	struct clu_cluster c;
	struct clu_manifest m;
	struct clu_plan plan;
	struct clu_err err = CLU_ERR_INIT;
	(void)state;

	make_cluster(&c, "n1:1 n2:1 n3:1 n4:1 n5:1", "mail@n1");
	make_manifest(&m, 1);
	m.max_unavailable = 2;
	assert_int_equal(clu_plan_make(&plan, &m, &c, -1, &err), 0);
	assert_plan(&plan, "pin mail@n1, install n1, verify n1, unpin mail@n1, "
			   "drain n2, drain n3, install n2, install n3, verify n2, verify n3, "
			   "undrain n2, undrain n3, "
			   "drain n4, drain n5, install n4, install n5, verify n4, verify n5, "
			   "undrain n4, undrain n5");
	assert_waves(&plan, "1 1 1 1 2 2 2 2 2 2 2 2 3 3 3 3 3 3 3 3");
	assert_votes(&plan, "5 4 4 5 4 3 3 3 3 3 4 5 4 3 3 3 3 3 4 5");
	/* The guard of each passive ends at its own verify, inside the wave. */
	assert_int_equal(find_guard(&plan, "mail", "n3")->until, 10);
	clu_plan_release(&plan);

	/* max-unavailable 4: the quorum margin keeps waves at 2 (3 votes of 5 needed). */
	m.max_unavailable = 4;
	assert_int_equal(clu_plan_make(&plan, &m, &c, -1, &err), 0);
	assert_waves(&plan, "1 1 1 1 2 2 2 2 2 2 2 2 3 3 3 3 3 3 3 3");
	clu_plan_release(&plan);

	/* An odd number: the last wave is smaller; rolling updates the passives first. */
	make_manifest(&m, 1);
	m.max_unavailable = 3;
	m.data_migration = false;
	m.strategy = CLU_STRATEGY_ROLLING;
	clu_cluster_release(&c);
	make_cluster(&c, "n1:1 n2:1 n3:1 n4:1 n5:1 n6:1 n7:1", "mail@n1");
	assert_int_equal(clu_plan_make(&plan, &m, &c, -1, &err), 0);
	assert_plan(&plan, "drain n2, drain n3, drain n4, install n2, install n3, install n4, "
			   "verify n2, verify n3, verify n4, undrain n2, undrain n3, undrain n4, "
			   "drain n5, drain n6, drain n7, install n5, install n6, install n7, "
			   "verify n5, verify n6, verify n7, undrain n5, undrain n6, undrain n7, "
			   "ban mail@n1, move mail@n2, install n1, verify n1, clear mail");
	assert_int_equal(plan.steps[5].votes_present, 4);
	assert_int_equal(plan.steps[5].votes_needed, 4);
	clu_plan_release(&plan);
	clu_cluster_release(&c);
}

/* Nodes already offline count against both limits; hooks run kind by kind. */
static void test_waves_offline_and_hooks(void **state)
{
	struct clu_cluster c;
	struct clu_manifest m;
	struct clu_plan plan;
	struct clu_err err = CLU_ERR_INIT;
	struct clu_hook hook = { .name = "h", .pre = "true", .post = "true" };
	(void)state;

	/* 7 nodes, n7 offline: 6 votes, 4 needed: waves of 2 (and max-unavailable 3 less 1). */
	make_cluster(&c, "n1:1 n2:1 n3:1 n4:1 n5:1 n6:1 n7:1:offline", "mail@n1!n7");
	make_manifest(&m, 1);
	m.max_unavailable = 3;
	m.hooks = &hook;
	m.n_hooks = 1;
	assert_int_equal(clu_plan_make(&plan, &m, &c, -1, &err), 0);
	assert_plan(&plan, "pin mail@n1, pre-hook n1, install n1, verify n1, post-hook n1, "
			   "unpin mail@n1, "
			   "drain n2, drain n3, pre-hook n2, pre-hook n3, install n2, install n3, "
			   "verify n2, verify n3, post-hook n2, post-hook n3, undrain n2, undrain n3, "
			   "drain n4, drain n5, pre-hook n4, pre-hook n5, install n4, install n5, "
			   "verify n4, verify n5, post-hook n4, post-hook n5, undrain n4, undrain n5, "
			   "drain n6, pre-hook n6, install n6, verify n6, post-hook n6, undrain n6");
	clu_plan_release(&plan);
	clu_cluster_release(&c);

	/* 5 nodes, 2 offline: taking one more out loses quorum, at the step that does. */
	make_cluster(&c, "n1:1 n2:1 n3:1 n4:1:offline n5:1:offline", "mail@n2!n4,n5");
	m.n_hooks = 0;
	assert_int_equal(clu_plan_make(&plan, &m, &c, -1, &err), CLU_E_REFUSED);
	assert_string_equal(err.msg, "in-place plan refused at step 2 (install 'n2'): quorum: "
			    "2 of 5 votes would be present after it (2 nodes offline, 1 held out "
			    "of service by the update), the cluster needs 3");
	clu_cluster_release(&c);
}

/* require-all-nodes-online: any node offline refuses, naming them all. */
static void test_require_all_nodes_online(void **state)
{
	struct clu_cluster c;
	struct clu_manifest m;
	struct clu_plan plan;
	struct clu_err err = CLU_ERR_INIT;
	(void)state;

	make_cluster(&c, "n1:1 n2:1 n3:1 n4:1:offline n5:1:offline", "mail@n2!n4,n5");
	make_manifest(&m, 1);
	m.max_unavailable = 3;
	m.require_all_nodes_online = true;
	assert_int_equal(clu_plan_make(&plan, &m, &c, -1, &err), CLU_E_REFUSED);
	assert_string_equal(err.msg, "require-all-nodes-online = yes in 'sp2.conf', but 2 of 5 "
			    "nodes are offline: 'n4', 'n5'; bring them online first");
	clu_cluster_release(&c);

	/* All online: planned as without it. */
	make_cluster(&c, "n1:1 n2:1 n3:1", "mail@n2");
	assert_int_equal(clu_plan_make(&plan, &m, &c, -1, &err), 0);
	clu_plan_release(&plan);
	clu_cluster_release(&c);
}

static void test_version_cmp(void **state)
{
	(void)state;
	assert_true(clu_version_cmp("2", "1") > 0);
	assert_true(clu_version_cmp("2.10", "2.9") > 0);
	assert_true(clu_version_cmp("2.0", "2") > 0);
	assert_int_equal(clu_version_cmp("02", "2"), 0);
	assert_true(clu_version_cmp(NULL, "1") < 0);
	assert_true(clu_version_cmp("1.2-rc1", "1.2-rc2") < 0);
	assert_int_equal(clu_version_cmp(NULL, NULL), 0);
}

/*
 * A rollback plan: the nodes newer than the version put back are the ones
 * worked on, in place, the owner first pinned; with migration (a
 * down-migration), the other nodes are guarded until each is rolled back;
 * a node older than that version is refused.
 */
static void test_rollback_plan(void **state)
{
	struct clu_cluster c;
	struct clu_manifest m;
	struct clu_plan plan;
	struct clu_err err = CLU_ERR_INIT;

	(void)state;
	make_manifest(&m, 1);
	m.version = "1";                  /* what clu_rollback_prepare() derives */
	make_cluster(&c, "n1:2 n2:2 n3:1", "mail@n1!n3");   /* n3: a guard ban of the update's run */
	assert_int_equal(clu_plan_make_rollback(&plan, &m, &c, &err), 0);
	assert_true(plan.rollback);
	assert_plan(&plan, "pin mail@n1, install n1, verify n1, unpin mail@n1, "
		    "drain n2, install n2, verify n2, undrain n2");
	assert_non_null(find_guard(&plan, "mail", "n2"));
	assert_null(find_guard(&plan, "mail", "n3"));     /* already at 1 */
	clu_plan_release(&plan);
	clu_cluster_release(&c);

	m.data_migration = false;         /* not migrated: no guard */
	make_cluster(&c, "n1:1 n2:2 n3:1", "mail@n1");
	assert_int_equal(clu_plan_make_rollback(&plan, &m, &c, &err), 0);
	assert_plan(&plan, "drain n2, install n2, verify n2, undrain n2");
	assert_int_equal(plan.n_guards, 0);
	clu_plan_release(&plan);
	clu_cluster_release(&c);

	make_cluster(&c, "n1:2 n2:0", "mail@n1");
	assert_int_equal(clu_plan_make_rollback(&plan, &m, &c, &err), CLU_E_REFUSED);
	assert_string_equal(err.msg, "node 'n2' has version 0, older than the version "
			    "mail-sp2 rolls back to (1)");
	clu_cluster_release(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_place_two_nodes),
		cmocka_unit_test(test_rolling_two_nodes),
		cmocka_unit_test(test_in_place_three_nodes),
		cmocka_unit_test(test_rolling_three_nodes),
		cmocka_unit_test(test_five_nodes_both),
		cmocka_unit_test(test_auto_choice),
		cmocka_unit_test(test_refuse_forbidden_rolling),
		cmocka_unit_test(test_refuse_availability),
		cmocka_unit_test(test_standby_node_allowed_with_headroom),
		cmocka_unit_test(test_refuse_quorum),
		cmocka_unit_test(test_refuse_offline_node),
		cmocka_unit_test(test_offline_banned_node_skipped),
		cmocka_unit_test(test_refuse_maintenance_and_downgrade),
		cmocka_unit_test(test_refuse_unsafe_start),
		cmocka_unit_test(test_refuse_no_takeover_node),
		cmocka_unit_test(test_refuse_unknown_group),
		cmocka_unit_test(test_two_groups_two_owners),
		cmocka_unit_test(test_stopped_group_and_updated_nodes),
		cmocka_unit_test(test_hooks_around_install),
		cmocka_unit_test(test_resume_after_crash),
		cmocka_unit_test(test_resume_after_the_owner_died),
		cmocka_unit_test(test_resume_with_the_group_left_in_part),
		cmocka_unit_test(test_check_state_guards),
		cmocka_unit_test(test_waves_one_at_a_time),
		cmocka_unit_test(test_waves_in_place),
		cmocka_unit_test(test_waves_offline_and_hooks),
		cmocka_unit_test(test_require_all_nodes_online),
		cmocka_unit_test(test_version_cmp),
		cmocka_unit_test(test_rollback_plan),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
