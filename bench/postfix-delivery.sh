#!/bin/sh
# Postfix relaying the delivery benchmark's load to a loopback sink, for comparing with
# bench/delivery.ts (which measures Mailroom doing the same, with or without DKIM):
#
#   apt-get install -y postfix            (choose "No configuration"; nothing under /etc/postfix is changed here)
#   sh bench/postfix-delivery.sh run [delivery.ts options]
#                                         start a throw-away Postfix, run
#                                         node bench/delivery.ts --target 127.0.0.1:$PFX_PORT --sink-port $PFX_SINK_PORT
#                                         (which starts the sink and submits the load), then purge Postfix
#   sh bench/postfix-delivery.sh start    only start it: config + queue in $PFX_DIR (default
#                                         /tmp/mailroom-bench-postfix-delivery), smtpd on 127.0.0.1:$PFX_PORT (2527),
#                                         relayhost [127.0.0.1]:$PFX_SINK_PORT (2600)
#   sh bench/postfix-delivery.sh count    messages still in the queue
#   sh bench/postfix-delivery.sh stop     stop it; "purge" also removes $PFX_DIR
#
# Every message from 127.0.0.0/8 is relayed (mynetworks) to the relayhost, the loopback sink
# that bench/delivery.ts runs; nothing else is reachable: no DNS at all (smtp_dns_support_level
# = disabled, no reverse lookups), no local delivery, never port 25. Postfix's defaults
# otherwise (20 connections to the relayhost, connection cache, in_flow_delay 1s, queue file
# fsynced before 250). No DKIM. Needs root (Postfix drops to the postfix user).
set -eu
DIR=${PFX_DIR:-/tmp/mailroom-bench-postfix-delivery}
PORT=${PFX_PORT:-2527}
SINK_PORT=${PFX_SINK_PORT:-2600}
HERE=$(cd "$(dirname "$0")" && pwd)
case "$PORT$SINK_PORT" in *[!0-9]*) echo "PFX_PORT and PFX_SINK_PORT must be port numbers" >&2; exit 2 ;; esac
if [ "$PORT" = 25 ] || [ "$SINK_PORT" = 25 ]; then
  echo "port 25 is refused: use other loopback ports" >&2
  exit 2
fi
# postfix(1) reports errors only to the log unless stderr is a terminal.
run() { postfix -c "$DIR" "$@" || { tail -n 5 "$DIR/maillog" 2>/dev/null; exit 1; }; }

start() {
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
myorigin = bench.localdomain
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
mydestination =
local_transport = error:no local delivery in this benchmark
relayhost = [127.0.0.1]:$SINK_PORT
# No DNS at all: no reverse lookup of the client (smtpd would ask the system resolver
# for 127.0.0.1's name when the hosts file does not answer), none for the relayhost.
smtpd_peername_lookup = no
smtp_dns_support_level = disabled
lmtp_dns_support_level = disabled
smtp_host_lookup = native
smtpd_relay_restrictions = permit_mynetworks, reject
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
  echo "Postfix $(postconf -c "$DIR" -h mail_version) listening on 127.0.0.1:$PORT, relaying to [127.0.0.1]:$SINK_PORT (config and queue in $DIR)"
}

purge() {
  postfix -c "$DIR" stop 2>/dev/null || true
  rm -rf "$DIR"
}

case "${1:-}" in
start) start ;;
stop) run stop ;;
purge) purge ;;
count) find "$DIR/spool/active" "$DIR/spool/incoming" "$DIR/spool/deferred" "$DIR/spool/maildrop" -type f 2>/dev/null | wc -l ;;
run)
  shift
  purge
  start
  # Wait (up to 5 s) for the master to open its listener: bench/delivery.ts does not retry.
  node -e 'const net = require("node:net"); let n = 0;
    const t = () => { const s = net.connect(Number(process.argv[1]), "127.0.0.1", () => { s.destroy(); process.exit(0); });
      s.on("error", () => (++n > 50 ? process.exit(1) : setTimeout(t, 100))); }; t();' "$PORT"
  status=0
  node "$HERE/delivery.ts" --target "127.0.0.1:$PORT" --sink-port "$SINK_PORT" "$@" || status=$?
  left=$(sh "$0" count)
  [ "$left" = 0 ] || echo "warning: $left messages still in the Postfix queue" >&2
  purge
  exit $status
  ;;
*)
  echo "usage: sh bench/postfix-delivery.sh run [delivery.ts options] | start | stop | count | purge" >&2
  exit 2
  ;;
esac
