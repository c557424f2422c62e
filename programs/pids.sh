# Sourced by the runner and by lib.sh: the daemons a check records.
# kill_pids FILE: kills each "PID COMM" line's PID while /proc/PID/comm
# still starts with COMM. A pid is only killed while it still runs the
# recorded command, and a program may rename itself once started (tmux's
# server: "tmux: server").
kill_pids() {
	local pid comm
	[ -f "$1" ] || return 0
	while read -r pid comm; do
		[ -n "$comm" ] && [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == "$comm"* ]] &&
			kill -9 "$pid" 2>/dev/null
	done <"$1"
	return 0
}
