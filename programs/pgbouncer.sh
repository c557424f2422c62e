# pgbouncer pooling connections to a fake PostgreSQL backend (client.py
# pgfake answers each query with "fake:" and the query in capitals), and its
# admin console.
. "$(dirname "$0")/lib.sh"
need pgbouncer python3

port=$(free_port)
bport=$(free_port)
python3 "$HERE/client.py" pgfake "$bport" 2>>"$W/pgfake.log" &
fake=$!
record "$fake" python3
disown "$fake"

echo '"librel" ""' >"$W/users.txt"
cat >"$W/pgbouncer.ini" <<CONF
[databases]
fake = host=127.0.0.1 port=$bport dbname=fake user=librel
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = trust
auth_file = $W/users.txt
admin_users = librel
pool_mode = session
default_pool_size = 4
logfile = $W/pgbouncer.log
pidfile = $W/pgbouncer.pid
CONF

# pgbouncer refuses to run as root: -u drops to nobody once it is loaded
# (so PREFIX need not be readable by nobody).
as=()
[ "$(id -u)" != 0 ] || as=(-u nobody)
"${ON_LIB[@]}" pgbouncer "${as[@]}" "$W/pgbouncer.ini" 2>>"$W/pgbouncer.stderr" &
pid=$!
record "$pid" pgbouncer

pg() { client pg "$port" librel "$@"; }
version() { pg pgbouncer 'SHOW VERSION' 2>/dev/null | grep -q '^PgBouncer '; }
started() {
	wait_for 10 eval 'alive $pid && version' ||
		{ why="no SHOW VERSION answer on 127.0.0.1:$port ($(tail -n 1 "$W/pgbouncer.stderr" 2>/dev/null))"; return 1; }
}
check pgbouncer.start started || exit 1
check pgbouncer.maps maps_ok "$pid"

# query DB SQL WANT
query() {
	local got
	got=$(pg "$1" "$2") || return 1
	[ "$got" = "$3" ] || { why="$2: got '$got', want '$3'"; return 1; }
}
check pgbouncer.proxy query fake "select 'hello'" "fake:SELECT 'HELLO'"

# 200 queries on one client connection.
many() {
	local want got
	want=$(for i in $(seq 1 200); do echo "fake:QUERY-$i"; done)
	got=$(pg fake $(seq -f 'query-%g' 1 200)) || return 1
	[ "$got" = "$want" ] || { why="wrong rows ($(diff <(echo "$want") <(echo "$got") | head -n 3 | tr '\n' ' '))"; return 1; }
}
check pgbouncer.200-queries many

# 12 clients at once through a pool of 4 server connections.
parallel() {
	local c jobs=()
	for c in $(seq 1 12); do
		pg fake "c$c-a" "c$c-b" >"$W/par.$c" &
		jobs+=($!)
	done
	for c in $(seq 1 12); do
		wait "${jobs[c - 1]}" || { why="client $c: $(tail -n 1 "$W/par.$c")"; return 1; }
		[ "$(cat "$W/par.$c")" = "fake:C$c-A"$'\n'"fake:C$c-B" ] || { why="client $c got $(cat "$W/par.$c")"; return 1; }
	done
}
check pgbouncer.parallel-clients parallel

# The admin console reports the pool it used.
admin() {
	local got
	got=$(pg pgbouncer 'SHOW POOLS') || return 1
	grep -q '^fake	librel	' <<<"$got" || { why="no fake/librel pool in SHOW POOLS: $(echo $got)"; return 1; }
}
check pgbouncer.admin-console admin

# SIGINT: safe shutdown once clients are gone.
check pgbouncer.sigint stops_on INT
