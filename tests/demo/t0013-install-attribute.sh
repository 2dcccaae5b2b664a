#!/bin/bash
# The installers record the installed version in the permanent node
# attribute mail-version with crm_attribute, and only when it changes: a
# second run writes nothing to the CIB. Runs against an offline CIB file
# (CIB_file) and a stand-in crm_node that names the node: no cluster needed.
source "$(dirname "$0")/lib.sh"

if ! command -v cibadmin >/dev/null || ! command -v crm_attribute >/dev/null; then
	note "pacemaker-cli-utils not installed: attribute not checked"
	exit 0
fi
export CIB_file=$WORK/cib.xml
cibadmin --empty >"$CIB_file"
cibadmin --create -o nodes --xml-text '<node id="1" uname="n1"><instance_attributes id="nodes-1"><nvpair id="nodes-1-mail-version" name="mail-version" value="1"/></instance_attributes></node>'
mkdir bin
printf '#!/bin/sh\necho n1\n' >bin/crm_node
chmod +x bin/crm_node
export PATH=$WORK/bin:$PATH MAIL_PREFIX=$WORK/opt MAIL_STORE=$WORK/store MAIL_RUN=$WORK/run
unset MAIL_NO_ATTRIBUTE

"$DEMO_DIR/setup-node" 1 >/dev/null
"$DEMO_DIR/sp2/install" >out 2>err || fail "install: $(cat out err)"
[[ $(crm_attribute --node n1 --name mail-version --query --quiet) == 2 ]] ||
	fail "mail-version not set to 2: $(cat out err)"
grep -q "node attribute 'mail-version' of node 'n1' set to 2" out || fail "not reported: $(cat out)"
epoch() { grep -o ' epoch="[0-9]*"' "$CIB_file"; }
before=$(epoch)
"$DEMO_DIR/sp2/install" >out2 2>err2 || fail "second install: $(cat out2 err2)"
[[ $(epoch) == "$before" ]] || fail "the second run wrote to the CIB"

# A node unknown to the cluster: the installer fails, saying so.
printf '#!/bin/sh\necho n9\n' >bin/crm_node
rc=0; "$DEMO_DIR/sp3/install" >out3 2>err3 || rc=$?
((rc == 1)) && grep -q "cannot set node attribute 'mail-version' of node 'n9'" err3 ||
	fail "unknown node: exit $rc, $(cat out3 err3)"
