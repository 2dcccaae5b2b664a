/*
 * `clupdate plan MANIFEST`: read the manifest and the cluster's state,
 * plan the update and print the plan (a runbook, or JSON/XML). Nothing is
 * changed on the cluster.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "clupdate/cluster.h"
#include "clupdate/manifest.h"
#include "clupdate/output.h"
#include "clupdate/plan.h"
#include "clupdate/target.h"
#include "cmd.h"

const char cmd_plan_help[] =
"usage: clupdate plan MANIFEST [--cluster SOURCE] [--strategy STRATEGY]\n"
"                              [--output-as text|json|xml]\n"
"\n"
"Show the ordered, checked plan for applying the service pack described by\n"
"MANIFEST (see clupdate-manifest(5), doc/manifest.md) to the cluster. Nothing\n"
"is changed. The plan is simulated step by step on a copy of the cluster's\n"
"state; a plan that would break an invariant is refused with the step and\n"
"the reason:\n"
"  version guard     a group never runs on, and cannot fail over to, a node\n"
"                    whose installed version is older than the group's data\n"
"  availability      never more nodes out of service than max-unavailable,\n"
"                    and never without quorum\n"
"  no surprise       a group under its installer is pinned: the engine will\n"
"  failover          not move it\n"
"\n"
"options:\n"
"  --cluster SOURCE   where the cluster's state comes from (default: pacemaker)\n"
"                       pacemaker    ask the local Pacemaker (crm_mon)\n"
"                       lab:NAME     a 'clupdate lab' cluster\n"
"                       ssh:HOST,..  a cluster reached with ssh (see --ssh-config)\n"
"                       xml:FILE     a saved 'crm_mon --output-as=xml' capture\n"
"                       static:FILE  a cluster described in a file\n"
"                                    (doc/static-cluster.md)\n"
"  --strategy S       in-place, rolling or auto, instead of the manifest's\n"
"                       in-place  the owner first, pinned (no failover), then\n"
"                                 each passive node drained and updated\n"
"                       rolling   passive nodes first, one switchover, the\n"
"                                 old owner last (needs takeover-compatible)\n"
"                       auto      the permitted one with the smaller predicted\n"
"                                 interruption\n"
"  --ssh-config FILE  ssh_config for ssh: clusters (host names, ports, keys)\n"
"  --output-as F      text (a runbook, default), json or xml (an envelope with\n"
"                     api-version and status; schema in doc/)\n"
"\n"
"examples:\n"
"  clupdate plan demo/sp2/sp2.conf\n"
"  clupdate plan sp3.conf --cluster xml:crm_mon.xml --output-as json\n"
"\n"
"exit status: 0 planned, 2 usage, 3 bad manifest, 4 cluster unreadable,\n"
"5 refused as unsafe.\n";

int cmd_plan(int argc, char **argv)
{
	static const struct option options[] = {
		{ "cluster", required_argument, NULL, 'c' },
		{ "strategy", required_argument, NULL, 's' },
		{ "output-as", required_argument, NULL, 'o' },
		{ "ssh-config", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *source = "pacemaker", *ssh_config = NULL;
	int strategy = -1, format = CLU_FORMAT_TEXT, opt, ret, status;
	struct clu_manifest manifest;
	struct clu_cluster cluster = { 0 };
	struct clu_plan plan;
	struct clu_err err = CLU_ERR_INIT;
	struct clu_output *out;
	struct clu_target target;
	bool have_manifest = false, have_plan = false, have_target = false;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (opt) {
		case 'c':
			source = optarg;
			break;
		case 's':
			if ((status = cmd_strategy_option("plan", optarg, &strategy)))
				return status;
			break;
		case 'o':
			if ((status = cmd_format_option("plan", optarg, false, &format)))
				return status;
			break;
		case 'S':
			ssh_config = optarg;
			break;
		case 'h':
			fputs(cmd_plan_help, stdout);
			return 0;
		default:
			return cmd_fail(CLU_E_USAGE, "plan: unknown option '%s' (see 'clupdate help plan')",
					argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cmd_fail(CLU_E_USAGE, "plan: expected one MANIFEST (see 'clupdate help plan')");

	out = clu_output_new(format, stdout, "plan");
	ret = clu_manifest_load(&manifest, argv[optind], &err);
	if (ret)
		goto out;
	have_manifest = true;
	ret = clu_target_open(&target, source, manifest.version_attribute, ssh_config, &err);
	if (ret)
		goto out;
	have_target = true;
	ret = clu_target_read(&target, &cluster, &err);
	if (ret)
		goto out;
	ret = clu_plan_make(&plan, &manifest, &cluster, strategy, &err);
	if (ret)
		goto out;
	have_plan = true;
	clu_output_plan(out, &plan, &manifest, &cluster);
out:
	if (clu_output_finish(out, ret, ret ? err.msg : NULL) && !ret)
		ret = clu_err_set(&err, CLU_E_IO, "cannot write the plan: %s", strerror(errno));
	if (have_plan)
		clu_plan_release(&plan);
	clu_cluster_release(&cluster);
	if (have_target)
		clu_target_release(&target);
	if (have_manifest)
		clu_manifest_release(&manifest);
	if (ret)
		return cmd_fail(ret, "%s", err.msg);
	return 0;
}
