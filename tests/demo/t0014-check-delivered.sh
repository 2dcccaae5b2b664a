#!/bin/bash
# check-delivered (the service packs' probe check) finds every acknowledged
# message in the store and reports, alone, the ids the store does not hold.
source "$(dirname "$0")/lib.sh"

export MAIL_PREFIX=$WORK/opt MAIL_STORE=$WORK/store
"$DEMO_DIR/setup-node" 2 >/dev/null || fail "setup-node 2"
start_maild "$MAIL_PREFIX/bin/maild" "$MAIL_STORE"
"$DEMO_DIR/smtp-send" 127.0.0.1 "$PORT" --count 5 >acked || fail "smtp-send"
[[ $(wc -l <acked) == 5 ]] || fail "expected 5 acknowledged ids: $(cat acked)"

missing=$("$DEMO_DIR/sp2/check-delivered" <acked) || fail "check-delivered failed"
[[ -z $missing ]] || fail "stored messages reported missing: $missing"

{ cat acked; echo FFFFFFFFFFFFFFFFFF; } >claimed
missing=$("$DEMO_DIR/sp2/check-delivered" <claimed) || fail "check-delivered failed"
[[ $missing == FFFFFFFFFFFFFFFFFF ]] || fail "expected only the unknown id, got: $missing"

rc=0; MAIL_STORE=$WORK/nowhere "$DEMO_DIR/sp2/check-delivered" <acked >/dev/null 2>&1 || rc=$?
((rc != 0)) || fail "a missing store must not look like 'nothing lost'"
