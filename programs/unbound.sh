# unbound as a loopback resolver answering from a local zone (no upstream,
# no root hints used): UDP and TCP queries, many names, NXDOMAIN.
. "$(dirname "$0")/lib.sh"
need unbound python3

port=$(free_port)
{
	cat <<CONF
server:
	interface: 127.0.0.1
	port: $port
	do-ip6: no
	do-daemonize: no
	username: ""
	chroot: ""
	directory: "$W"
	pidfile: "$W/unbound.pid"
	logfile: ""
	use-syslog: no
	verbosity: 1
	num-threads: 2
	outgoing-range: 64
	local-zone: "librel.test." static
CONF
	for i in $(seq 1 200); do
		echo "	local-data: \"h$i.librel.test. IN A 127.0.$((i / 100)).$((i % 100))\""
	done
	echo "remote-control:"
	echo "	control-enable: no"
} >"$W/unbound.conf"

"${ON_LIB[@]}" unbound -d -c "$W/unbound.conf" &
pid=$!
record "$pid" unbound

answers() { [ "$(client dns "$port" "$1")" = "$2" ]; }
started() {
	wait_for 10 eval 'alive $pid && answers h1.librel.test 127.0.0.1' ||
		{ why="unbound did not answer on 127.0.0.1:$port"; return 1; }
}
check unbound.start started || exit 1
check unbound.maps maps_ok "$pid"

check unbound.udp dns_query h42.librel.test 127.0.0.42
check unbound.tcp dns_query tcp h142.librel.test 127.0.1.42
check unbound.nxdomain dns_query nothere.librel.test NXDOMAIN
check unbound.200-names dns_zone_answers

check unbound.sigterm stops_on TERM
