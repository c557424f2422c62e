# Shared by the program scripts (sourced). The runner sets PROG_MODE (librel
# or reference), PROG_LIBDIR (PREFIX/lib, empty for the reference),
# PROG_LIBREL (librel.so.1's real path) and PROG_WORK (this program's own
# temp dir, removed by the runner).
set -u
W=$PROG_WORK
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export LC_ALL=C
# The daemons live in sbin, which a user's PATH may lack.
PATH=$PATH:/usr/sbin:/sbin

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }

# check NAME FUNCTION ARGS...: one PASS/FAIL line. FUNCTION explains a
# failure by setting `why`.
check() {
	local name=$1
	shift
	why=
	if "$@"; then pass "$name"; else
		fail "$name" "${why:-$1 failed}"
		return 1
	fi
}

# The program under test runs as "${ON_LIB[@]}" PROGRAM ARGS: on librel
# (LD_LIBRARY_PATH alone) or on Debian's libevent. env execs, so a
# background job's $! is the program's own pid.
ON_LIB=(env)
[ -z "$PROG_LIBDIR" ] || ON_LIB=(env "LD_LIBRARY_PATH=$PROG_LIBDIR")

# record PID [COMM]: the runner (and our exit trap) kill PID while its
# /proc/PID/comm still starts with COMM (default: what it is now; see
# pids.sh).
record() { echo "$1 ${2:-$(cat "/proc/$1/comm")}" >>"$W/pids"; }
. "$HERE/pids.sh"
kill_recorded() { kill_pids "$W/pids"; }
trap kill_recorded EXIT
# Killed by a signal, the script still runs its EXIT trap.
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 141' PIPE
trap 'exit 143' TERM

# need PROGRAM...: all present, else one FAIL line and the script ends.
need() {
	local p
	for p in "$@"; do
		command -v "$p" >/dev/null && continue
		fail "$(basename "$0" .sh)" "$p is not installed (scripts/deps test installs it)"
		exit 1
	done
}

# A loopback TCP+UDP port free right now.
free_port() { python3 "$HERE/client.py" port; }

# wait_for SECONDS COMMAND...: poll every 0.1 s until COMMAND succeeds.
wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.1
	done
}

alive() { kill -0 "$1" 2>/dev/null; }

# PID and its descendants running the same executable (a server's workers,
# not the shells it starts).
tree() {
	local c exe
	exe=$(readlink "/proc/$1/exe")
	echo "$1"
	for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		[ "$(readlink "/proc/$c/exe")" = "$exe" ] && tree "$c"
	done
}

# maps_ok PID: PID and its worker processes mapped librel from PREFIX and no
# other libevent (reference mode: Debian's libevent and no librel).
maps_ok() {
	local pid libs
	[ -r "/proc/$1/maps" ] || { why="no process $1"; return 1; }
	for pid in $(tree "$1"); do
		libs=$(awk '{ n = split($6, part, "/") } part[n] ~ /^lib(event|rel)[-_.]/ { print $6 }' \
			"/proc/$pid/maps" 2>/dev/null | sort -u)
		if [ "$PROG_MODE" = librel ]; then
			grep -qxF "$PROG_LIBREL" <<<"$libs" ||
				{ why="pid $pid did not map $PROG_LIBREL (mapped: ${libs:-no libevent})"; return 1; }
			libs=$(grep -vxF "$PROG_LIBREL" <<<"$libs")
			[ -z "$libs" ] || { why="pid $pid also mapped $(echo $libs)"; return 1; }
		else
			grep -q '/libevent[a-z_]*-2\.1\.so' <<<"$libs" ||
				{ why="pid $pid did not map Debian's libevent (mapped: ${libs:-nothing})"; return 1; }
			! grep -q librel <<<"$libs" || { why="pid $pid mapped $(echo $libs)"; return 1; }
		fi
	done
}

# client ARGS...: programs/client.py, bounded; on failure `why` is its last line.
client() {
	local out
	if out=$(timeout 60 python3 "$HERE/client.py" "$@" 2>&1); then
		printf '%s\n' "$out"
	else
		why=$(tail -n 1 <<<"${out:-client.py $1 timed out}")
		return 1
	fi
}

# stops_on SIGNAL: the program ($pid) exits with status 0 within 10 s of it.
stops_on() {
	kill -"$1" "$pid"
	wait_for 10 eval '! alive $pid' || { why="still running 10 s after SIG$1"; return 1; }
	wait "$pid" || { why="exit status $?"; return 1; }
}

# dns_query [tcp] NAME WANT: the DNS server on 127.0.0.1:$port answers
# NAME with WANT (an address, NXDOMAIN, REFUSED).
dns_query() {
	local got tcp=()
	[ "$1" != tcp ] || { tcp=(tcp); shift; }
	got=$(client dns "$port" "${tcp[@]}" "$1") || return 1
	[ "$got" = "$2" ] || { why="$1: got '$got', want '$2'"; return 1; }
}

# Every name of the test zone (h1..h200.librel.test), over UDP then TCP.
dns_zone_answers() {
	local i got want
	want=$(for i in $(seq 1 200); do echo "127.0.$((i / 100)).$((i % 100))"; done)
	for tcp in "" tcp; do
		got=$(client dns "$port" $tcp $(printf 'h%d.librel.test ' $(seq 1 200))) || return 1
		[ "$got" = "$want" ] || { why="${tcp:-udp}: wrong answers ($(diff <(echo "$want") <(echo "$got") | head -n 3 | tr '\n' ' '))"; return 1; }
	done
}
