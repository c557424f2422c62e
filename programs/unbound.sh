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

# query [tcp] NAME WANT
query() {
	local got tcp=()
	[ "$1" != tcp ] || { tcp=(tcp); shift; }
	got=$(client dns "$port" "${tcp[@]}" "$1") || return 1
	[ "$got" = "$2" ] || { why="$1: got '$got', want '$2'"; return 1; }
}
check unbound.udp query h42.librel.test 127.0.0.42
check unbound.tcp query tcp h142.librel.test 127.0.1.42
check unbound.nxdomain query nothere.librel.test NXDOMAIN
# Every name of the zone, over UDP then over TCP.
many() {
	local i got want
	want=$(for i in $(seq 1 200); do echo "127.0.$((i / 100)).$((i % 100))"; done)
	for tcp in "" tcp; do
		got=$(client dns "$port" $tcp $(printf 'h%d.librel.test ' $(seq 1 200))) || return 1
		[ "$got" = "$want" ] || { why="${tcp:-udp}: wrong answers ($(diff <(echo "$want") <(echo "$got") | head -n 3 | tr '\n' ' '))"; return 1; }
	done
}
check unbound.200-names many

stopped() {
	kill -TERM "$pid"
	wait_for 10 eval '! alive $pid' || { why="still running 10 s after SIGTERM"; return 1; }
	wait "$pid" || { why="exit status $?"; return 1; }
}
check unbound.sigterm stopped
