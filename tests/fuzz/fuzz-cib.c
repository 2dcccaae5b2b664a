/*
 * Fuzz target: the CIB configuration (clu_pacemaker_parse_config(),
 * lib/pacemaker.c), the XML of `cibadmin --query [--scope=configuration]`.
 * It completes a model crm_mon gave, so each input is applied to a fixed
 * one shaped like the fixtures': nodes n1 to n5, n1's version known (it
 * must not be overridden), the others unknown, and a group "mail" on n2
 * (its data version is inferred again). The model is checked afterwards.
 *
 * Covers: lib/pacemaker.c:clu_pacemaker_parse_config,sets_value,set_value,
 *   config_version,check_version,first_child,is_element,attr,infer_data_versions
 *   lib/xml.c
 */
#include "clupdate/pacemaker.h"
#include "fuzz.h"

static void model(struct clu_cluster *cluster)
{
	static const char *const names[] = { "n1", "n2", "n3", "n4", "n5" };
	struct clu_group *mail;

	*cluster = (struct clu_cluster){ .quorum = true };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		clu_cluster_add_node(cluster, names[i])->online = i < 3;
	clu_set_string(&clu_cluster_node(cluster, "n1")->version, "1");
	mail = clu_cluster_add_group(cluster, "mail");
	clu_group_add_member(mail, "mail-ip");
	clu_group_add_member(mail, "maild");
	clu_set_string(&mail->owner, "n2");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct clu_cluster cluster;
	struct clu_err err = CLU_ERR_INIT;

	model(&cluster);
	if (clu_pacemaker_parse_config(&cluster, (const char *)data, size, "mail-version",
				       "pacemaker", &err) == 0 &&
	    clu_cluster_validate(&cluster, "fuzz", &err) != 0)
		__builtin_trap();   /* a valid model stays valid */
	clu_cluster_release(&cluster);
	return 0;
}
