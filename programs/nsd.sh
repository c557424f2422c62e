# nsd serving a zone file on loopback (its main, server and xfrd processes):
# UDP and TCP queries, every name of the zone, NXDOMAIN and REFUSED.
. "$(dirname "$0")/lib.sh"
need nsd python3

port=$(free_port)
{
	cat <<ZONE
\$ORIGIN librel.test.
\$TTL 300
@	IN SOA ns.librel.test. admin.librel.test. 1 3600 600 86400 300
@	IN NS ns
ns	IN A 127.0.0.1
ZONE
	for i in $(seq 1 200); do echo "h$i	IN A 127.0.$((i / 100)).$((i % 100))"; done
} >"$W/librel.test.zone"
cat >"$W/nsd.conf" <<CONF
server:
	ip-address: 127.0.0.1
	port: $port
	do-ip6: no
	server-count: 1
	username: ""
	chroot: ""
	zonesdir: "$W"
	database: ""
	zonelistfile: "$W/zone.list"
	xfrdfile: "$W/xfrd.state"
	xfrdir: "$W"
	pidfile: "$W/nsd.pid"
	logfile: "$W/nsd.log"
	verbosity: 1
remote-control:
	control-enable: no
zone:
	name: librel.test
	zonefile: librel.test.zone
CONF

"${ON_LIB[@]}" nsd -d -c "$W/nsd.conf" &
pid=$!
record "$pid" nsd
# nsd's forks, recorded as soon as they exist.
record_children() {
	local c
	for c in $(tree "$pid"); do record "$c"; done
}

answers() { [ "$(client dns "$port" "$1")" = "$2" ]; }
started() {
	wait_for 10 eval 'alive $pid && answers h1.librel.test 127.0.0.1' ||
		{ why="nsd did not answer on 127.0.0.1:$port ($(tail -n 1 "$W/nsd.log" 2>/dev/null))"; return 1; }
	record_children
}
check nsd.start started || exit 1
check nsd.maps maps_ok "$pid"

# query [tcp] NAME WANT
query() {
	local got tcp=()
	[ "$1" != tcp ] || { tcp=(tcp); shift; }
	got=$(client dns "$port" "${tcp[@]}" "$1") || return 1
	[ "$got" = "$2" ] || { why="$1: got '$got', want '$2'"; return 1; }
}
check nsd.udp query h42.librel.test 127.0.0.42
check nsd.tcp query tcp h142.librel.test 127.0.1.42
check nsd.nxdomain query nothere.librel.test NXDOMAIN
check nsd.refused query example.org REFUSED
# Every name of the zone, over UDP then over TCP.
many() {
	local i got want
	want=$(for i in $(seq 1 200); do echo "127.0.$((i / 100)).$((i % 100))"; done)
	for tcp in "" tcp; do
		got=$(client dns "$port" $tcp $(printf 'h%d.librel.test ' $(seq 1 200))) || return 1
		[ "$got" = "$want" ] || { why="${tcp:-udp}: wrong answers ($(diff <(echo "$want") <(echo "$got") | head -n 3 | tr '\n' ' '))"; return 1; }
	done
}
check nsd.200-names many

stopped() {
	kill -TERM "$pid"
	wait_for 10 eval '! alive $pid' || { why="still running 10 s after SIGTERM"; return 1; }
	wait "$pid" || { why="exit status $?"; return 1; }
}
check nsd.sigterm stopped
