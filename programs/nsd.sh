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

check nsd.udp dns_query h42.librel.test 127.0.0.42
check nsd.tcp dns_query tcp h142.librel.test 127.0.1.42
check nsd.nxdomain dns_query nothere.librel.test NXDOMAIN
check nsd.refused dns_query example.org REFUSED
check nsd.200-names dns_zone_answers

check nsd.sigterm stops_on TERM
