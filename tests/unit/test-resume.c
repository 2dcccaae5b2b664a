/*
 * resume.h: which run may be resumed (the last or a given one; not one
 * that succeeded, was aborted or was completed by a later run), its
 * manifest (refused once the file's text differs from the journalled
 * one), and the summary of what the new plan does again, node by node:
 * at the target (not reinstalled, maybe still undrained), done again,
 * not reached, nothing planned (an offline node the plan skips). Runs are
 * recorded in a real journal in a temporary directory; plans are the
 * planner's own, from a cluster model written here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "clupdate/resume.h"
#include "util.h"

static const char manifest_text[] =
	"[update]\nname = sp\nversion = 2\ngroups = mail\nstrategy = in-place\n"
	"data-migration = yes\ntakeover-compatible = no\nmax-unavailable = 2\n"
	"version-attribute = v\n"
	"[install]\ncommand = install\nverify = verify\n";

struct fixture {
	char dir[64];
	char manifest_path[96];
	struct clu_journal *journal;
};

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
	struct fixture *fx = clu__xcalloc(1, sizeof(*fx));
	struct clu_err err = CLU_ERR_INIT;

	snprintf(fx->dir, sizeof(fx->dir), "/tmp/clupdate-test-resume-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->manifest_path, sizeof(fx->manifest_path), "%s/sp.conf", fx->dir);
	write_text(fx->manifest_path, manifest_text);
	assert_int_equal(clu_journal_open(&fx->journal, fx->dir, &err), 0);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	char *cmd = clu__xasprintf("rm -rf '%s'", fx->dir);

	clu_journal_close(fx->journal);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(fx);
	return 0;
}

/* A run of sp 2 with these steps ("action node state", state done, failed,
 * running), ended in state (RUNNING: not ended, a crash). */
static int64_t record_run(struct fixture *fx, const char *version, enum clu_run_state state,
			  const char *const *steps)
{
	struct clu_run_begin begin = {
		.update = "sp", .version = version, .manifest_path = fx->manifest_path,
		.manifest_text = manifest_text, .strategy = "in-place", .cluster = "sim:x.ini",
		.plan_json = "{}", .n_steps = 12,
	};
	struct clu_err err = CLU_ERR_INIT;
	int64_t id = 0;
	unsigned index = 0;

	assert_int_equal(clu_journal_run_begin(fx->journal, &begin, &id, &err), 0);
	for (const char *const *s = steps; s && *s; s++) {
		char action[16], node[16], how[16];
		enum clu_step_state st;

		assert_int_equal(sscanf(*s, "%15s %15s %15s", action, node, how), 3);
		assert_int_equal(clu_journal_step_begin(fx->journal, id, ++index, 1, action, node,
							NULL, NULL, &err), 0);
		if (!strcmp(how, "running"))
			continue;
		st = !strcmp(how, "done") ? CLU_STEP_DONE : CLU_STEP_FAILED;
		assert_int_equal(clu_journal_step_end(fx->journal, id, index, 1, st, 0, NULL, 0,
						      NULL, &err), 0);
	}
	if (state != CLU_RUN_RUNNING)
		assert_int_equal(clu_journal_run_end(fx->journal, id, state, NULL, &err), 0);
	return id;
}

static void assert_not_resumable(struct fixture *fx, int64_t id, const char *message)
{
	struct clu_run_record run;
	struct clu_err err = CLU_ERR_INIT;

	assert_int_equal(clu_resume_find(fx->journal, id, &run, &err), CLU_E_USAGE);
	assert_string_equal(err.msg, message);
}

static void test_find(void **state)
{
	static const char *const failed_at_n2[] = {
		"pin n1 done", "install n1 done", "drain n2 done", "install n2 failed", NULL,
	};
	struct fixture *fx = *state;
	struct clu_run_record run;
	struct clu_err err = CLU_ERR_INIT;

	assert_not_resumable(fx, 0, "the journal has no run: nothing to resume");
	record_run(fx, "2", CLU_RUN_FAILED, failed_at_n2);
	assert_int_equal(clu_resume_find(fx->journal, 0, &run, &err), 0);
	assert_int_equal(run.id, 1);
	assert_int_equal(run.n_steps, 4);
	clu_run_record_release(&run);
	assert_not_resumable(fx, 9, "no run 9 in the journal (see 'clupdate history')");

	/* A crash: still running. */
	record_run(fx, "2", CLU_RUN_RUNNING, NULL);
	assert_int_equal(clu_resume_find(fx->journal, 0, &run, &err), 0);
	assert_int_equal(run.id, 2);
	clu_run_record_release(&run);

	record_run(fx, "2", CLU_RUN_SUCCEEDED, NULL);
	assert_not_resumable(fx, 0, "nothing to resume: the last run, 3 (sp 2), succeeded");
	assert_not_resumable(fx, 1, "nothing to resume: run 1 (sp 2) was completed by run 3");
	assert_not_resumable(fx, 3, "nothing to resume: run 3 (sp 2) succeeded");

	/* Another version's success completes nothing of version 3. */
	record_run(fx, "3", CLU_RUN_FAILED, NULL);
	record_run(fx, "2", CLU_RUN_SUCCEEDED, NULL);
	assert_int_equal(clu_resume_find(fx->journal, 4, &run, &err), 0);
	clu_run_record_release(&run);
	record_run(fx, "2", CLU_RUN_ABORTED, NULL);
	assert_not_resumable(fx, 0, "nothing to resume: the last run, 6 (sp 2), was aborted (its "
			     "changes were put back); 'clupdate apply' of its manifest starts the "
			     "update again");
}

static void test_manifest(void **state)
{
	struct fixture *fx = *state;
	struct clu_run_record run;
	struct clu_manifest m;
	struct clu_err err = CLU_ERR_INIT;
	char *expected;

	record_run(fx, "2", CLU_RUN_FAILED, NULL);
	assert_int_equal(clu_resume_find(fx->journal, 0, &run, &err), 0);
	assert_int_equal(clu_resume_manifest(&run, &m, &err), 0);
	assert_string_equal(m.name, "sp");
	clu_manifest_release(&m);

	/* One comment more is another text: refused, naming the file. */
	write_text(fx->manifest_path, "# edited\n");
	{
		FILE *f = fopen(fx->manifest_path, "a");

		fputs(manifest_text, f);
		fclose(f);
	}
	assert_int_equal(clu_resume_manifest(&run, &m, &err), CLU_E_MANIFEST);
	expected = clu__xasprintf("manifest '%s' changed since run 1 began: resume continues a "
				  "run with the manifest it began with; restore that text (see "
				  "'clupdate show 1'), or apply the new one with 'clupdate apply "
				  "%s'", fx->manifest_path, fx->manifest_path);
	assert_string_equal(err.msg, expected);
	free(expected);

	unlink(fx->manifest_path);
	assert_int_not_equal(clu_resume_manifest(&run, &m, &err), 0);
	assert_true(!strncmp(err.msg, "the manifest of run 1: ", 23));
	clu_run_record_release(&run);
}

static void make_cluster(struct clu_cluster *c, const char *n2_version, bool n2_drained)
{
	static const char *const names[] = { "n1", "n2", "n3", "n4", "n5" };
	struct clu_group *g;

	memset(c, 0, sizeof(*c));
	c->quorum = true;
	/* n5, already updated, keeps the quorum margin for n4 offline: 3 of 5 votes needed. */
	for (size_t i = 0; i < 5; i++) {
		struct clu_node *n = clu_cluster_add_node(c, names[i]);

		n->online = i != 3;     /* n4 is offline, banned: the plan skips it */
		clu_set_string(&n->version, i == 0 || i == 4 ? "2" : i == 1 ? n2_version : "1");
	}
	c->nodes[1].standby = c->nodes[1].drained_by_clupdate = n2_drained;
	g = clu_cluster_add_group(c, "mail");
	clu_group_add_member(g, "mail-ip");
	clu_set_string(&g->owner, "n1");
	clu_set_string(&g->data_version, "2");
	g->managed = true;
	clu_group_ban(g, "n2");
	clu_group_ban(g, "n3");
	clu_group_ban(g, "n4");
}

static void summarize(struct fixture *fx, const char *n2_version, bool n2_drained,
		      struct clu_resume_summary *s)
{
	static const char *const steps[] = {
		"pin n1 done", "install n1 done", "verify n1 done", "unpin n1 done",
		"drain n2 done", "install n2 running", NULL,
	};
	struct clu_run_record run;
	struct clu_cluster c;
	struct clu_manifest m;
	struct clu_plan plan;
	struct clu_err err = CLU_ERR_INIT;

	record_run(fx, "2", CLU_RUN_RUNNING, steps);
	assert_int_equal(clu_resume_find(fx->journal, 0, &run, &err), 0);
	assert_int_equal(clu_resume_manifest(&run, &m, &err), 0);
	make_cluster(&c, n2_version, n2_drained);
	if (clu_plan_make(&plan, &m, &c, -1, &err))
		fail_msg("plan: %s", err.msg);
	clu_resume_summarize(s, &run, &plan, &c);
	clu_plan_release(&plan);
	clu_cluster_release(&c);
	clu_manifest_release(&m);
	clu_run_record_release(&run);
	assert_int_equal(s->run_id, 1);
	assert_int_equal(s->n_nodes, 5);
}

static void assert_node(const struct clu_resume_node *n, const char *name,
			enum clu_resume_fate fate, const char *did, const char *now)
{
	assert_string_equal(n->name, name);
	assert_int_equal(n->fate, fate);
	if (did)
		assert_string_equal(n->did, did);
	else
		assert_null(n->did);
	assert_string_equal(n->now, now);
}

/* The crash during n2's install: n2 not updated, still drained. */
static void test_summary_redone(void **state)
{
	struct clu_resume_summary s;

	summarize(*state, "1", true, &s);
	assert_node(&s.nodes[0], "n1", CLU_RESUME_AT_TARGET,
		    "pin, install, verify, unpin done", "already at version 2: not reinstalled");
	assert_node(&s.nodes[1], "n2", CLU_RESUME_REDONE,
		    "drain done; install interrupted (step 6)",
		    "at version 1, not 2: done again: install, verify, undrain (steps 1-3)");
	assert_node(&s.nodes[2], "n3", CLU_RESUME_NOT_REACHED, NULL,
		    "not reached by run 1: drain, install, verify, undrain (steps 4-7)");
	assert_node(&s.nodes[3], "n4", CLU_RESUME_NOT_PLANNED, NULL,
		    "at version 1: nothing planned there (see the plan's notes)");
	assert_int_equal(s.nodes[0].n_steps, 0);
	assert_int_equal(s.nodes[1].n_steps, 3);
	clu_resume_summary_release(&s);
}

/* The crash after n2's install (its version is there): only its undrain. */
static void test_summary_at_target(void **state)
{
	struct clu_resume_summary s;

	summarize(*state, "2", true, &s);
	assert_node(&s.nodes[1], "n2", CLU_RESUME_AT_TARGET,
		    "drain done; install interrupted (step 6)",
		    "already at version 2: not reinstalled; still to do there: undrain (step 1)");
	assert_string_equal(s.nodes[1].version, "2");
	assert_node(&s.nodes[2], "n3", CLU_RESUME_NOT_REACHED, NULL,
		    "not reached by run 1: drain, install, verify, undrain (steps 2-5)");
	clu_resume_summary_release(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_find, setup, teardown),
		cmocka_unit_test_setup_teardown(test_manifest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_summary_redone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_summary_at_target, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
