#!/bin/sh
# A throw-away Postfix instance on a loopback port, for comparing with bench/relay.ts:
#
#   apt-get install -y postfix            (choose "No configuration"; nothing under /etc/postfix is changed here)
#   sh bench/postfix.sh start             config + queue in $PFX_DIR (default /tmp/mailroom-bench-postfix), port $PFX_PORT (2526)
#   node bench/relay.ts --target 127.0.0.1:2526
#   sh bench/postfix.sh count             messages in the hold queue (should grow by --count per run)
#   sh bench/postfix.sh clear             empty the queue between runs
#   sh bench/postfix.sh stop              stop it; "purge" also removes $PFX_DIR
#
# Every message from 127.0.0.0/8 is accepted (relay permitted for mynetworks) and put on
# HOLD, so the figure is intake only (smtpd + cleanup, queue file fsynced before 250), like
# Mailroom's relay without a dispatcher. No DNS lookups of any kind (no reverse lookup of
# the client either), never port 25. Needs root (Postfix drops to the postfix user).
set -eu
DIR=${PFX_DIR:-/tmp/mailroom-bench-postfix}
PORT=${PFX_PORT:-2526}
# postfix(1) reports errors only to the log unless stderr is a terminal.
run() { postfix -c "$DIR" "$@" || { tail -n 5 "$DIR/maillog" 2>/dev/null; exit 1; }; }

case "${1:-}" in
start)
  mkdir -p "$DIR/spool" "$DIR/data"
  chown root:root "$DIR" "$DIR/spool"
  chmod 755 "$DIR"
  chown postfix "$DIR/data"
  cat >"$DIR/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $DIR/spool
data_directory = $DIR/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
meta_directory = /etc/postfix
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
myhostname = bench.localdomain
mydomain = localdomain
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
mydestination =
# No DNS at all: smtpd would otherwise look up the client's name (reverse DNS of
# 127.0.0.1), which goes to the system resolver when the hosts file does not answer it.
smtpd_peername_lookup = no
smtp_dns_support_level = disabled
lmtp_dns_support_level = disabled
smtp_host_lookup = native
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_client_restrictions = check_client_access static:HOLD
maillog_file_prefixes = $DIR
maillog_file = $DIR/maillog
biff = no
EOF
  cat >"$DIR/master.cf" <<EOF
127.0.0.1:$PORT inet n - n - - smtpd
pickup     unix  n - n 60 1 pickup
cleanup    unix  n - n -  0 cleanup
qmgr       unix  n - n 300 1 qmgr
rewrite    unix  - - n -  - trivial-rewrite
bounce     unix  - - n -  0 bounce
defer      unix  - - n -  0 bounce
trace      unix  - - n -  0 bounce
verify     unix  - - n -  1 verify
flush      unix  n - n 1000? 0 flush
proxymap   unix  - - n -  - proxymap
proxywrite unix  - - n -  1 proxymap
smtp       unix  - - n -  - smtp
relay      unix  - - n -  - smtp
showq      unix  n - n -  - showq
error      unix  - - n -  - error
retry      unix  - - n -  - error
discard    unix  - - n -  - discard
anvil      unix  - - n -  1 anvil
scache     unix  - - n -  1 scache
postlog    unix-dgram n - n - 1 postlogd
EOF
  run set-permissions >/dev/null 2>&1 || true
  run start
  echo "Postfix $(postconf -c "$DIR" -h mail_version) listening on 127.0.0.1:$PORT (config and queue in $DIR)"
  ;;
stop) run stop ;;
purge)
  postfix -c "$DIR" stop 2>/dev/null || true
  rm -rf "$DIR"
  ;;
count) find "$DIR/spool/hold" -type f | wc -l ;;
clear) postsuper -c "$DIR" -d ALL hold 2>&1 | tail -n 1 ;;
*)
  echo "usage: sh bench/postfix.sh start|stop|count|clear|purge" >&2
  exit 2
  ;;
esac
