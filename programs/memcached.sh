# memcached on loopback TCP: keys, counters, deletes, a large value and
# parallel clients, all through libevent's loop in its worker threads.
. "$(dirname "$0")/lib.sh"
need memcached python3

port=$(free_port)
# As root memcached must be told whom to become.
user=()
[ "$(id -u)" = 0 ] && user=(-u nobody)
"${ON_LIB[@]}" memcached -l 127.0.0.1 -p "$port" -U 0 -t 2 -m 64 -c 256 "${user[@]}" &
pid=$!
record "$pid" memcached

up() { alive "$pid" && client mc "$port" delete >/dev/null; }
started() { wait_for 10 up || { why="memcached did not answer on 127.0.0.1:$port"; return 1; }; }
check memcached.start started || exit 1
check memcached.maps maps_ok "$pid"
mc() { client mc "$port" "$1" >&2; }
check memcached.set-get mc setget
check memcached.incr mc incr
check memcached.delete mc delete
check memcached.large-value mc large
check memcached.parallel mc parallel

# (memcached exits 0 on SIGTERM: "Signal handled: Terminated")
check memcached.sigterm stops_on TERM
